"""``runtime inspect`` and ``runtime diff`` on Fennel's three real runtimes (v100, v101, v102).

The expected figures below were found without the code under test:
- names, versions and blake2_256: the fixture README (tests/fixtures/fennel-solonet/README.md);
- sha256: ``sha256sum`` of each file; impl_name, transaction/state version: the wasm's own
  ``runtime_version`` custom section, decoded by hand in a one-off script;
- pallets, calls, storage types, constants, extensions: the V14 metadata decoded directly with
  scalecodec in a one-off script (types compared structurally, the outer RuntimeCall left opaque);
- slot duration and authorities: ``AuraApi_*``/``GrandpaApi_*`` called with the bare executor over
  each runtime's ``development`` genesis and the answers decoded by hand.
The last two tests also check the figures live against chopsticks' executor and @polkadot/types
(tests/js/runtime_facts.mjs), which share no code with fennel-gov.
What that found: v100 → v101 doubles the slot (Aura.SlotDuration 6000 → 12000 ms,
Timestamp.MinimumPeriod 3000 → 6000) and starts exposing ValidatorManager.SessionPeriod (50) and
SessionOffset (0); v102 has SessionPeriod 30, Grandpa.MaxAuthorities 64 (was 32), a 10^13
ExistentialDeposit (was 10^9), and Grandpa.report_equivocation[_unsigned] take a session
MembershipProof {session, trie_nodes, validator_count} where v100/v101 took an empty enum.
No pallet, call index, storage item, API or transaction extension differs between the three.
"""

from __future__ import annotations

import dataclasses
import json

import pytest

from tests.conftest import FIXTURES

RUNTIMES = FIXTURES / "runtimes"
V100 = RUNTIMES / "solochain-runtime-v100.compact.compressed.wasm"
V101 = RUNTIMES / "solochain-runtime-v101.compact.compressed.wasm"
V102 = RUNTIMES / "fennel-v102.compact.compressed.wasm"

FIGURES = {
    V100: dict(
        spec_name="solochain-runtime", impl_name="solochain-runtime", spec_version=100,
        blake2_256="0x64df0e22afb673cdbc132f24f72b1e02a8622749380def46f34b559d3edd9a16",
        sha256="0xf39bf53a024c1e719bc4fda9c6e19520fe71a18cb87a69f13c0398849a38e8aa",
        file_size=503438, wasm_size=1835836, slot_ms=6000, minimum_period=3000, grandpa_max=32,
        session_period=None, presets=["development", "local_testnet", "staging"], equivocation="empty",
    ),
    V101: dict(
        spec_name="solochain-runtime", impl_name="solochain-runtime", spec_version=101,
        blake2_256="0x9096e55025a47041bed23b5c42d1f85b48aa341735351491652160bed42e599e",
        slot_ms=12000, minimum_period=6000, grandpa_max=32, session_period=50,
        presets=["development", "local_testnet", "staging", "production"], equivocation="empty",
    ),
    V102: dict(
        spec_name="fennel", impl_name="fennel-node", spec_version=102,
        blake2_256="0xbdb39fb4898cea70ea775026d36cd90187bd981a58378c6fea6b034b9f7736c7",
        sha256="0xfb569a475331abfc47eee2e82a58e162ec3e4dd199e3d51065d6a7590ce243c6",
        file_size=510539, wasm_size=1868902, slot_ms=12000, minimum_period=6000, grandpa_max=64,
        session_period=30, presets=["development", "local_testnet", "staging", "production"],
        equivocation="membership_proof",
    ),
}
PALLETS = [("System", 0), ("Timestamp", 1), ("Aura", 2), ("Grandpa", 3), ("Balances", 4), ("TransactionPayment", 5),
           ("Sudo", 6), ("ValidatorManager", 7), ("Session", 8), ("Certificate", 9), ("Identity", 10),
           ("Keystore", 11), ("Infostratus", 12), ("Signal", 13), ("Trust", 14)]
ALICE_SR25519 = "0xd43593c715fdd31c61141abd04a99fd6822c8558854ccde39a5684e7a56da27d"
ALICE_ED25519 = "0x88dc3417d5058ec4b4503e0c12ea1a0a89be200fe98922423d4334014fa6b0ee"
EXTENSIONS = ["CheckNonZeroSender", "CheckSpecVersion", "CheckTxVersion", "CheckGenesis", "CheckMortality", "CheckNonce",
              "CheckWeight", "ChargeTransactionPayment", "CheckMetadataHash", "WeightReclaim"]


@pytest.fixture(scope="module")
def facts():
    from fennel_gov.upgrade.inspect import inspect_runtime

    return {path: inspect_runtime(path.read_bytes()) for path in FIGURES}


# -- inspect -------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", list(FIGURES), ids=lambda p: p.name.split(".")[0])
def test_inspect_states_the_readme_names_versions_and_hashes(cli, path):
    run = cli("runtime", "inspect", path, "--json")
    assert run.exit_code == 0, run.stderr
    got, want = run.json, FIGURES[path]
    assert (got["spec_name"], got["impl_name"], got["spec_version"]) == (want["spec_name"], want["impl_name"], want["spec_version"])
    assert got["code_hash"] == want["blake2_256"]
    for key in ("sha256", "file_size", "wasm_size"):
        if key in want:
            assert got[key] == want[key]
    assert (got["transaction_version"], got["state_version"], got["authoring_version"], got["impl_version"]) == (1, 1, 1, 1)
    assert got["compressed"] is True
    assert [(p["name"], p["index"]) for p in got["pallets"]] == PALLETS
    system = next(p for p in got["pallets"] if p["name"] == "System")
    calls = {c["name"]: c["index"] for c in system["calls"]}
    assert {k: calls[k] for k in ("set_code", "set_code_without_checks", "authorize_upgrade",
                                  "authorize_upgrade_without_checks", "apply_authorized_upgrade")} == {
        "set_code": 2, "set_code_without_checks": 3, "authorize_upgrade": 9,
        "authorize_upgrade_without_checks": 10, "apply_authorized_upgrade": 11}
    assert {a["name"]: a["version"] for a in got["apis"]}.items() >= {"AuraApi": 1, "GrandpaApi": 3, "SessionKeys": 1, "Core": 5}.items()
    assert got["transaction_extensions"] == EXTENSIONS
    assert got["presets"] == want["presets"]
    assert (got["ss58_prefix"], got["min_authorities"], got["session_period"]) == (42, 2, want["session_period"])
    consensus = got["consensus"]
    assert consensus["preset"] == "development"
    assert consensus["slot_duration_ms"] == want["slot_ms"]
    assert consensus["aura_authorities"] == [ALICE_SR25519]
    assert consensus["grandpa_authorities"] == [{"public": ALICE_ED25519, "weight": 1}]
    assert (consensus["grandpa_set_id"], consensus["problems"]) == (0, [])


def test_inspect_human_output_names_the_essentials(cli):
    run = cli("runtime", "inspect", V102)
    assert run.exit_code == 0
    assert "fennel 102" in run.stdout
    assert FIGURES[V102]["blake2_256"] in run.stdout
    assert "slot duration:       12000 ms" in run.stdout
    assert "    6 Sudo (5 calls)" in run.stdout


def test_inspect_reads_a_plain_wasm_too_and_its_hash_is_of_the_plain_bytes(cli, tmp_path):
    import hashlib

    import zstandard

    raw = V101.read_bytes()
    plain = zstandard.ZstdDecompressor().stream_reader(raw[8:]).read(60_000_000)
    path = tmp_path / "plain.wasm"
    path.write_bytes(plain)
    got = cli("runtime", "inspect", path, "--json").json
    assert got["compressed"] is False
    assert got["code_hash"] == "0x" + hashlib.blake2b(plain, digest_size=32).hexdigest() != FIGURES[V101]["blake2_256"]
    assert got["spec_version"] == 101


# -- srtool digest -------------------------------------------------------------------------------


def _srtool_digest(path) -> dict:
    """A digest shaped like 'srtool build --json' prints (srtool's README), with the README's figures."""
    want = FIGURES[path]
    entry = {
        "size": str(want["file_size"]),
        "blake2_256": want["blake2_256"],
        "sha256": want["sha256"],
        "wasm": "runtime/fennel/target/srtool/release/wbuild/fennel-runtime/fennel_runtime.compact.compressed.wasm",
        "subwasm": {
            "size": want["wasm_size"],
            "compression": {"size_compressed": want["file_size"], "size_decompressed": want["wasm_size"], "compressed": True},
            "reserved_meta": [109, 101, 116, 97],
            "reserved_meta_valid": True,
            "metadata_version": 14,
            "core_version": {"specName": want["spec_name"], "implName": want["impl_name"], "specVersion": want["spec_version"]},
            "blake2_256": want["blake2_256"],
        },
    }
    return {"gen": "srtool v0.17.0", "runtimes": {"compact": {"size": "1"}, "compressed": entry}}


def test_srtool_digest_that_matches_passes_every_field(cli, tmp_path):
    digest = tmp_path / "digest.json"
    digest.write_text(json.dumps(_srtool_digest(V102)))
    run = cli("runtime", "inspect", V102, "--srtool-json", digest, "--json")
    assert run.exit_code == 0, run.stdout
    report = run.json["srtool"]
    assert report["ok"] and report["entry"] == "compressed"
    assert {c["field"].removeprefix("runtimes.compressed.") for c in report["checks"]} == {
        "blake2_256", "sha256", "size", "subwasm.blake2_256", "subwasm.size", "subwasm.compression.compressed",
        "subwasm.compression.size_compressed", "subwasm.compression.size_decompressed",
        "subwasm.core_version.specName", "subwasm.core_version.specVersion"}


@pytest.mark.parametrize("field", ["blake2_256", "sha256", "subwasm.blake2_256", "subwasm.core_version.specVersion"])
def test_srtool_digest_mismatch_is_exit_1_and_names_the_field(cli, tmp_path, field):
    document = _srtool_digest(V102)
    holder = document["runtimes"]["compressed"]
    *parents, last = field.split(".")
    for part in parents:
        holder = holder[part]
    holder[last] = FIGURES[V101]["blake2_256"] if "blake2" in last or "sha" in last else 101
    digest = tmp_path / "digest.json"
    digest.write_text(json.dumps(document))
    run = cli("runtime", "inspect", V102, "--srtool-json", digest)
    assert run.exit_code == 1
    assert f"BAD runtimes.compressed.{field}" in run.stdout
    assert "MISMATCH" in run.stdout


def test_srtool_digest_of_an_old_subwasm_with_a_text_core_version(cli, tmp_path):
    document = _srtool_digest(V100)
    document["runtimes"]["compressed"]["subwasm"]["core_version"] = "solochain-runtime-100 (solochain-runtime-1.tx1.au1)"
    digest = tmp_path / "digest.json"
    digest.write_text(json.dumps(document))
    assert cli("runtime", "inspect", V100, "--srtool-json", digest).exit_code == 0
    document["runtimes"]["compressed"]["subwasm"]["core_version"] = "solochain-runtime-101 (solochain-runtime-1.tx1.au1)"
    digest.write_text(json.dumps(document))
    assert cli("runtime", "inspect", V100, "--srtool-json", digest).exit_code == 1


@pytest.mark.parametrize("content", [
    "{not json",
    "[]",
    '{"runtimes": {"compact": {"blake2_256": "0x00"}}}',  # no entry for a compressed file
    '{"runtimes": {"compressed": {"blake2_256": 5.5}}}',
    '{"runtimes": {"compressed": {"wasm": "x"}}}',  # nothing to check
])
def test_malformed_srtool_json_is_exit_2_in_one_line(cli, tmp_path, content):
    digest = tmp_path / "digest.json"
    digest.write_text(content)
    run = cli("runtime", "inspect", V102, "--srtool-json", digest)
    assert run.exit_code == 2
    assert run.stderr.startswith("error: ") and run.stderr.count("\n") == 1
    assert run.stdout == ""


# -- bad input -----------------------------------------------------------------------------------


@pytest.mark.parametrize("make", [
    lambda: V102.read_bytes()[: 200_000],  # truncated compressed file
    lambda: __import__("zstandard").ZstdDecompressor().stream_reader(V102.read_bytes()[8:]).read(10**8)[:900_000],  # truncated plain
    lambda: b"\x00asm\x01\x00\x00\x00",  # valid, empty wasm module: not a runtime
    lambda: b"PK\x03\x04 a zip file",
    lambda: b"",
], ids=["truncated-compressed", "truncated-plain", "empty-module", "not-wasm", "empty-file"])
def test_inspect_and_diff_refuse_what_is_not_a_runtime_with_exit_2(cli, tmp_path, make):
    bad = tmp_path / "bad.wasm"
    bad.write_bytes(make())
    for argv in (("runtime", "inspect", bad), ("runtime", "diff", V101, bad)):
        run = cli(*argv)
        assert run.exit_code == 2, run.stderr
        assert run.stderr.startswith(f"error: {bad}: ") and run.stderr.count("\n") == 1


def test_missing_file_is_exit_2(cli, tmp_path):
    run = cli("runtime", "diff", V101, tmp_path / "nope.wasm")
    assert run.exit_code == 2 and "cannot read" in run.stderr


# -- diff ----------------------------------------------------------------------------------------


def expected_findings(old, new) -> set[tuple[str, str, str]]:
    """(severity, code, subject) of every error and warning, from the independently found figures."""
    a, b = FIGURES[old], FIGURES[new]
    out = set()
    if a["spec_name"] != b["spec_name"]:
        out.add(("error", "spec_name_changed", "spec_name"))
    if b["spec_version"] <= a["spec_version"]:
        out.add(("error", "spec_version_not_increasing", "spec_version"))
    if a["slot_ms"] != b["slot_ms"]:
        out |= {("error", "slot_duration_changed", "AuraApi_slot_duration"),
                ("error", "constant_changed", "Aura.SlotDuration")}
    if a["minimum_period"] != b["minimum_period"]:
        out.add(("warning", "constant_changed", "Timestamp.MinimumPeriod"))
    if a["grandpa_max"] != b["grandpa_max"]:
        out.add(("warning", "constant_changed", "Grandpa.MaxAuthorities"))
    if None not in (a["session_period"], b["session_period"]) and a["session_period"] != b["session_period"]:
        out.add(("warning", "constant_changed", "ValidatorManager.SessionPeriod"))
    if a["equivocation"] != b["equivocation"]:
        out |= {("warning", "call_arguments_changed", "Grandpa.report_equivocation"),
                ("warning", "call_arguments_changed", "Grandpa.report_equivocation_unsigned"),
                ("warning", "transaction_version_not_bumped", "transaction_version")}
    return out


PAIRS = [(a, b) for a in FIGURES for b in FIGURES]


@pytest.mark.parametrize("old,new", PAIRS, ids=[f"{a.name[:-25]}->{b.name[:-25]}" for a, b in PAIRS])
def test_diff_of_every_ordered_pair_reports_exactly_what_changed(facts, old, new):
    from fennel_gov.upgrade.diff import diff_runtimes

    result = diff_runtimes(facts[old], facts[new])
    serious = {(f.severity, f.code, f.subject) for f in result.findings if f.severity != "info"}
    assert serious == expected_findings(old, new)
    assert result.has_errors == any(s == "error" for s, _, _ in expected_findings(old, new))
    # nothing moved or vanished between these three
    assert not {f.code for f in result.findings} & {"pallet_removed", "pallet_index_changed", "call_removed",
                                                    "call_index_changed", "storage_removed", "storage_type_changed",
                                                    "storage_added", "api_removed", "transaction_extensions_changed"}


def test_session_period_exposed_only_from_v101_is_information(facts):
    from fennel_gov.upgrade.diff import diff_runtimes

    infos = {(f.subject, f.old, f.new) for f in diff_runtimes(facts[V100], facts[V102]).by_severity("info")}
    assert ("ValidatorManager.SessionPeriod", None, 30) in infos
    assert ("ValidatorManager.SessionOffset", None, 0) in infos
    assert ("Balances.ExistentialDeposit", str(10**9), str(10**13)) in infos


def test_diff_v101_to_v102_cli_refuses_the_spec_name_change_with_exit_1(cli):
    run = cli("runtime", "diff", V101, V102, "--json")
    assert run.exit_code == 1
    data = run.json
    assert (data["old"]["spec_name"], data["new"]["spec_name"]) == ("solochain-runtime", "fennel")
    assert data["errors"] == 1
    error = next(f for f in data["findings"] if f["severity"] == "error")
    assert (error["code"], error["old"], error["new"]) == ("spec_name_changed", "solochain-runtime", "fennel")
    assert "InvalidSpecName" in error["message"]
    period = next(f for f in data["findings"] if f["subject"] == "ValidatorManager.SessionPeriod")
    assert (period["severity"], period["old"], period["new"]) == ("warning", 50, 30)


def test_diff_human_output_and_exit_codes(cli):
    down = cli("runtime", "diff", V102, V101)
    assert down.exit_code == 1
    assert "ERROR   spec_version (102 → 101)" in down.stdout and "SpecVersionNeedsToIncrease" in down.stdout
    same = cli("runtime", "diff", V101, V101)
    assert same.exit_code == 1 and "1 error(s), 0 warning(s)" in same.stdout
    slot = cli("runtime", "diff", V100, V101)
    assert slot.exit_code == 1 and "ERROR   AuraApi_slot_duration (6000 → 12000)" in slot.stdout


# Changes the real runtimes do not contain, made on v102's real facts: each check must fire.


def _with_pallet(facts, name, **changes):
    pallets = tuple(dataclasses.replace(p, **changes) if p.name == name else p for p in facts.pallets)
    return dataclasses.replace(facts, pallets=pallets)


def _bumped(facts, **version):
    return dataclasses.replace(facts, version=dataclasses.replace(facts.version, spec_version=facts.version.spec_version + 1, **version))


def test_moved_and_vanished_pallets_and_calls_are_reported(facts):
    from fennel_gov.upgrade.diff import diff_runtimes

    old = facts[V102]
    trust = old.pallet("Trust")
    new = _with_pallet(_bumped(old), "Trust", index=20, calls=trust.calls[1:])
    new = _with_pallet(new, "Signal", calls=tuple(dataclasses.replace(c, index=c.index + 1) for c in old.pallet("Signal").calls))
    new = dataclasses.replace(new, pallets=tuple(p for p in new.pallets if p.name != "Certificate"))
    found = diff_runtimes(old, new).codes()
    assert ("pallet_index_changed", "Trust") in found
    assert ("call_removed", f"Trust.{trust.calls[0].name}") in found
    assert ("call_index_changed", f"Signal.{old.pallet('Signal').calls[0].name}") in found
    assert ("pallet_removed", "Certificate") in found
    assert ("transaction_version_not_bumped", "transaction_version") in found
    # a vital pallet vanishing is an error
    without_sudo = dataclasses.replace(_bumped(old), pallets=tuple(p for p in old.pallets if p.name != "Sudo"))
    result = diff_runtimes(old, without_sudo)
    assert ("error", "pallet_removed", "Sudo") in {(f.severity, f.code, f.subject) for f in result.findings}


def test_transaction_version_storage_extension_and_api_changes_are_reported(facts):
    from fennel_gov.upgrade.diff import diff_runtimes

    old = facts[V102]
    session = old.pallet("Session")
    storage = dict(session.storage)
    storage["NextKeys"] = storage["NextKeys"].replace("grandpa", "beefy")
    del storage["QueuedKeys"]
    new = _with_pallet(_bumped(old, transaction_version=2), "Session", storage=storage)
    new = dataclasses.replace(new, transaction_extensions=old.transaction_extensions[:-1],
                              apis=tuple(a for a in old.apis if a.name != "GrandpaApi"))
    result = diff_runtimes(old, new)
    found = {(f.severity, f.code, f.subject) for f in result.findings}
    assert ("warning", "transaction_version_changed", "transaction_version") in found
    assert ("warning", "storage_type_changed", "Session.NextKeys") in found
    assert ("warning", "storage_removed", "Session.QueuedKeys") in found
    assert ("warning", "transaction_extensions_changed", "transaction_extensions") in found
    assert ("error", "api_removed", "GrandpaApi") in found


def test_a_consensus_api_failing_on_the_new_runtime_is_an_error(facts):
    from fennel_gov.upgrade.diff import diff_runtimes

    old = facts[V102]
    broken = dataclasses.replace(old.consensus, grandpa_authorities=(), problems=("GrandpaApi_current_set_id failed: trap",))
    result = diff_runtimes(old, dataclasses.replace(_bumped(old), consensus=broken))
    found = {(f.severity, f.code) for f in result.findings}
    assert ("error", "consensus_api_failed") in found
    assert ("error", "no_grandpa_authorities") in found


def test_inspect_and_diff_run_with_sockets_disabled(cli, socket_disabled):
    # Runtime files are checked on the air-gapped machine too: nothing here may open a socket.
    assert cli("runtime", "inspect", V100, "--json").exit_code == 0
    assert cli("runtime", "diff", V100, V101, "--json").exit_code == 1


# -- cross-check with chopsticks' executor and @polkadot/types (no fennel-gov code) ----------------


@pytest.fixture(scope="module")
def polkadot_js():
    from tests.conftest import run_node_script

    return {path: json.loads(run_node_script("runtime_facts.mjs", str(path))) for path in FIGURES}


def test_inspect_agrees_with_polkadot_js_on_every_pallet_call_constant_and_api(facts, polkadot_js):
    for path, theirs in polkadot_js.items():
        ours = facts[path]
        version = theirs["version"]
        assert (ours.version.spec_name, ours.version.impl_name, ours.version.spec_version, ours.version.transaction_version,
                ours.version.state_version) == (version["specName"], version["implName"], version["specVersion"],
                                                version["transactionVersion"], version["stateVersion"])
        assert [(a.id, a.version) for a in ours.apis] == [tuple(a) for a in version["apis"]]
        assert [(p.name, p.index, {c.name: c.index for c in p.calls}, sorted(p.storage)) for p in ours.pallets] == [
            (p["name"], p["index"], p["calls"], sorted(p["storage"])) for p in theirs["pallets"]]
        assert {f"{p.name}.{k}": "0x" + v.hex() for p in ours.pallets for k, v in p.constants.items()} == theirs["constants"]
        assert list(ours.transaction_extensions) == theirs["extensions"]
        assert ours.consensus.slot_duration_ms == int.from_bytes(bytes.fromhex(theirs["slotDuration"][2:]), "little")


def test_diff_reports_exactly_the_constants_polkadot_js_sees_change(facts, polkadot_js):
    from fennel_gov.upgrade.diff import diff_runtimes

    for old, new in PAIRS:
        a, b = polkadot_js[old]["constants"], polkadot_js[new]["constants"]
        changed = {k for k in set(a) | set(b) if a.get(k) != b.get(k)} - {"System.Version"}
        reported = {f.subject for f in diff_runtimes(facts[old], facts[new]).findings if f.code == "constant_changed"}
        assert reported == changed, (old.name, new.name)


# -- --url: OLD is the runtime a live node runs ----------------------------------------------------


@pytest.mark.chain
def test_diff_against_the_live_runtime_of_a_chopsticks_chain(cli, tmp_path):
    """The chopsticks chain runs development-raw.json, whose :code is the plain form of v102's build."""
    import hashlib

    from tests.chopsticks import SPEC, Chopsticks

    code = bytes.fromhex(json.loads(SPEC.read_text())["genesis"]["raw"]["top"]["0x3a636f6465"][2:])
    node = Chopsticks(tmp_path / "chopsticks.log")
    try:
        same = cli("runtime", "diff", V102, "--url", node.url, "--json")
        assert same.exit_code == 1, same.stderr
        assert same.json["old"]["code_hash"] == "0x" + hashlib.blake2b(code, digest_size=32).hexdigest()
        assert [(f["severity"], f["code"]) for f in same.json["findings"] if f["severity"] != "info"] == [
            ("error", "spec_version_not_increasing")]
        down = cli("runtime", "diff", V101, "--url", node.url, "--json")
        assert {(f["code"], f["subject"]) for f in down.json["findings"] if f["severity"] != "info"} == {
            (code_, subject) for _, code_, subject in expected_findings(V102, V101)}
    finally:
        node.stop()


def test_diff_argument_counts_are_checked(cli):
    one = cli("runtime", "diff", V101)
    assert one.exit_code == 2 and "give two runtime files" in one.stderr
    three = cli("runtime", "diff", V101, V102, "--url", "ws://127.0.0.1:9")
    assert three.exit_code == 2 and "give only the NEW runtime file" in three.stderr
    unreachable = cli("runtime", "diff", V102, "--url", "ws://127.0.0.1:9")
    assert unreachable.exit_code == 2 and "no answer from ws://127.0.0.1:" in unreachable.stderr
