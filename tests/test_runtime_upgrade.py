"""The upgrade's local checks (fennel_gov.upgrade.plan) on Fennel's real runtimes, and the options the
upgrade command refuses before it contacts a node. The live upgrade is in test_runtime_upgrade_live.py."""

from __future__ import annotations

import pytest

from fennel_gov.errors import BadInput
from fennel_gov.upgrade.diff import diff_runtimes
from fennel_gov.upgrade.inspect import inspect_runtime
from fennel_gov.upgrade.plan import method_call, plan_upgrade
from tests.conftest import FIXTURES

RUNTIMES = FIXTURES / "runtimes"
V100 = RUNTIMES / "solochain-runtime-v100.compact.compressed.wasm"
V101 = RUNTIMES / "solochain-runtime-v101.compact.compressed.wasm"
V102 = RUNTIMES / "fennel-v102.compact.compressed.wasm"
# blake2_256 of the files, from the fixtures' README (not computed by the code under test)
V102_HASH = "0xbdb39fb4898cea70ea775026d36cd90187bd981a58378c6fea6b034b9f7736c7"


@pytest.fixture(scope="module")
def facts():
    return {path: inspect_runtime(path.read_bytes()) for path in (V100, V101, V102)}


def test_a_spec_name_change_is_a_problem_unless_allowed_and_then_uses_the_unchecked_calls(facts):
    diff = diff_runtimes(facts[V101], facts[V102])
    refused = plan_upgrade(diff)
    assert [p for p in refused.problems if p.startswith("spec_name (solochain-runtime → fennel)")]
    assert "--allow-spec-name-change" in refused.problems[0]
    assert refused.without_checks is False
    allowed = plan_upgrade(diff, allow_spec_name_change=True)
    assert allowed.problems == [] and allowed.blocking == []
    assert allowed.without_checks is True
    assert allowed.code_hash == V102_HASH
    assert (allowed.old_spec, allowed.new_spec) == ("solochain-runtime/101", "fennel/102")
    assert method_call("authorize", allowed.without_checks) == "authorize_upgrade_without_checks"
    assert method_call("set-code", refused.without_checks) == "set_code"


@pytest.mark.parametrize("old, new", [(V102, V101), (V101, V100), (V101, V101)])
def test_a_downgrade_or_the_same_version_is_a_problem_even_with_a_rename_allowed(facts, old, new):
    plan = plan_upgrade(diff_runtimes(facts[old], facts[new]), allow_spec_name_change=True)
    assert any(p.startswith("spec_version") and "SpecVersionNeedsToIncrease" in p for p in plan.problems)


def test_v100_to_v101_is_a_problem_for_the_slot_duration(facts):
    plan = plan_upgrade(diff_runtimes(facts[V100], facts[V101]))
    assert any("AuraApi_slot_duration (6000 → 12000)" in p for p in plan.problems)


def test_another_code_hash_blocks_and_the_right_one_does_not(facts):
    diff = diff_runtimes(facts[V101], facts[V102])
    wrong = plan_upgrade(diff, allow_spec_name_change=True, expect_code_hash="0x" + "11" * 32)
    assert wrong.blocking and "not the expected 0x1111" in wrong.blocking[0]
    right = plan_upgrade(diff, allow_spec_name_change=True, expect_code_hash=V102_HASH.upper().replace("0X", "0x"))
    assert right.blocking == []
    with pytest.raises(BadInput):
        plan_upgrade(diff, expect_code_hash="0x1234")


@pytest.mark.parametrize("args, message", [
    (["--method", "replace"], "--method takes authorize or set-code"),
    (["--method", "set-code", "--call-only"], "--call-only gives the small authorize call"),
    (["--expect-code-hash", "0x12"], "must be 32 bytes"),
    (["--wait", "soon"], "--wait takes included, finalized or effective"),
])
def test_bad_options_are_exit_2_before_any_node_is_contacted(cli, args, message):
    from tests.chopsticks import free_port

    run = cli("runtime", "upgrade", V102, "--url", f"ws://127.0.0.1:{free_port()}", *args)
    assert run.exit_code == 2, run.stderr
    assert message in run.stderr


def test_a_file_that_does_not_match_the_srtool_digest_blocks(facts):
    from fennel_gov.upgrade.inspect import check_srtool_digest

    diff = diff_runtimes(facts[V101], facts[V102])
    size = V102.stat().st_size
    matching = check_srtool_digest(facts[V102], {"runtimes": {"compressed": {"blake2_256": V102_HASH, "size": size}}})
    assert plan_upgrade(diff, allow_spec_name_change=True, srtool=matching).blocking == []
    other = check_srtool_digest(facts[V102], {"runtimes": {"compressed": {"blake2_256": V102_HASH, "size": size + 1}}})
    blocked = plan_upgrade(diff, allow_spec_name_change=True, srtool=other)
    assert blocked.blocking == ["the file does not match the srtool digest (runtimes.compressed.size); rebuild or take the file srtool built"]
