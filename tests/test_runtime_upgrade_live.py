"""Runtime upgrades end to end: a chain built from v101's development preset, under chopsticks, upgraded
to v102 (spec_name solochain-runtime → fennel). Sudo is //Alice.

One chain for the module; the tests run in order: refusals first (each proves nothing was sent: the
best block, Alice's nonce, the pool and System.AuthorizedUpgrade are as before), then what the chain
itself rejects, then the upgrade, then what works and what is refused on the upgraded chain.
Chopsticks switches runtimes by itself: every block is executed with the ``:code`` of its parent's
state, so the block after the upgrade is built by the new runtime (no option needed).
"""

from __future__ import annotations

import os
import threading
from contextlib import contextmanager

import pytest

from fennel_gov.chainspec.state import twox128
from tests.chopsticks import Chopsticks, rpc
from tests.test_runtime_upgrade import V100, V101, V102, V102_HASH

ALICE = "5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY"
BOB = "5FHneW46xGXgs5mUiveU4sbTyGBzmstUspZC92UhjJM694ty"
AUTHORIZED_UPGRADE = "0x" + (twox128(b"System") + twox128(b"AuthorizedUpgrade")).hex()

pytestmark = pytest.mark.chain


@pytest.fixture(scope="module")
def chain(tmp_path_factory):
    yield from v101_chain(tmp_path_factory)


def v101_chain(tmp_path_factory):
    """Chopsticks on a raw spec built from v101's development preset, with its own metadata cache."""
    from fennel_gov.cli import main

    base = tmp_path_factory.mktemp("upgrade")
    plain, raw = base / "plain.json", base / "raw.json"
    assert main(["chainspec", "build", "--runtime", str(V101), "--preset", "development", "--chain-type", "Development",
                 "-o", str(plain)]) == 0
    assert main(["chainspec", "raw", str(plain), "-o", str(raw)]) == 0
    previous = os.environ.get("FENNEL_GOV_CACHE_DIR")
    os.environ["FENNEL_GOV_CACHE_DIR"] = str(base / "cache")  # its own metadata cache, inspected below
    node = Chopsticks(base / "chopsticks.log", spec=raw)
    node.spec, node.cache = raw, base / "cache" / "metadata"
    yield node
    node.stop()
    if previous is None:
        os.environ.pop("FENNEL_GOV_CACHE_DIR", None)
    else:
        os.environ["FENNEL_GOV_CACHE_DIR"] = previous


def runtime(chain) -> str:
    version = rpc(chain.url, "state_getRuntimeVersion")
    return f"{version['specName']}/{version['specVersion']}"


def untouched(chain) -> tuple:
    """What any sent extrinsic would change: the best block (chopsticks builds one per transaction),
    Alice's next nonce, the pool, and the pending authorization."""
    return (chain.best(), rpc(chain.url, "system_accountNextIndex", [ALICE]), rpc(chain.url, "author_pendingExtrinsics"),
            rpc(chain.url, "state_getStorage", [AUTHORIZED_UPGRADE]))


@contextmanager
def real_genesis(chain):
    """For tx sign, which checks the genesis hash a node computes from the spec: chopsticks made to hold it
    (System.BlockHash(0), behind RealGenesisProxy) for the while, then its placeholder again, which the
    fennel-gov commands that sign online read from chopsticks itself."""
    from fennel_gov.chainspec.genesis import to_raw
    from fennel_gov.chainspec.spec import ChainSpec
    from tests.rpc_proxy import RealGenesisProxy

    genesis_hash = to_raw(ChainSpec.load(chain.spec))[1].genesis_hash
    chain.hold_genesis_hash(genesis_hash)
    try:
        with RealGenesisProxy(chain.url, "0x" + genesis_hash.hex()) as url:
            yield url
    finally:
        placeholder = rpc(chain.url, "chain_getBlockHash", [0])  # chopsticks' own answer, 0x4545…
        rpc(chain.url, "dev_setStorage", [[[_block_hash_key(0), placeholder]]])


def _block_hash_key(number: int) -> str:
    import xxhash

    encoded = number.to_bytes(4, "little")  # System.BlockHash: Twox64Concat of a u32
    return "0x" + (twox128(b"System") + twox128(b"BlockHash") + xxhash.xxh64(encoded, seed=0).digest()[::-1] + encoded).hex()


def upgrade(cli, chain, wasm, *args, signer: str | None = "//Alice"):
    extra = ["--signer", "stdin"] if signer else []
    return cli("runtime", "upgrade", wasm, "--url", chain.url, *extra, "--yes", *args, stdin=f"{signer}\n" if signer else "")


def test_the_chain_runs_v101_from_its_development_preset(chain):
    assert runtime(chain) == "solochain-runtime/101"


def test_a_spec_name_change_is_refused_without_the_flag_and_nothing_is_sent(cli, chain):
    before = untouched(chain)
    run = upgrade(cli, chain, V102)
    assert run.exit_code == 1, run.stderr
    assert "spec_name (solochain-runtime → fennel)" in run.stderr and "--allow-spec-name-change" in run.stderr
    assert untouched(chain) == before
    assert runtime(chain) == "solochain-runtime/101"


@pytest.mark.parametrize("wasm, args, says", [
    (V102, ["--allow-spec-name-change", "--force", "--expect-code-hash", "0x" + "11" * 32],
     f"the file's code hash is {V102_HASH}, not the one given with --expect-code-hash"),
    (V100, [], "spec_version (101 → 100)"),
    (V101, [], "spec_version (101 → 101)"),
])
def test_a_wrong_code_hash_a_downgrade_and_the_same_version_are_refused_before_sending(cli, chain, wasm, args, says):
    before = untouched(chain)
    run = upgrade(cli, chain, wasm, *args)
    assert run.exit_code == 1, run.stderr
    assert says in run.stderr
    assert untouched(chain) == before


def test_a_signer_that_is_not_sudo_is_refused_even_with_force(cli, chain):
    before = untouched(chain)
    run = upgrade(cli, chain, V102, "--allow-spec-name-change", "--force", signer="//Bob")
    assert run.exit_code == 1, run.stderr
    assert f"the signer {BOB} is not the sudo key {ALICE}" in run.stderr
    assert untouched(chain) == before


def test_call_only_gives_the_authorize_call_for_offline_signing_and_sends_nothing(cli, chain):
    before = untouched(chain)
    checked = upgrade(cli, chain, V102, "--call-only", "--force", signer=None)
    unchecked = upgrade(cli, chain, V102, "--call-only", "--allow-spec-name-change", signer=None)
    assert checked.exit_code == 0 and unchecked.exit_code == 0, checked.stderr + unchecked.stderr
    # Sudo (6).sudo (0) ( System (0).authorize_upgrade (9) | authorize_upgrade_without_checks (10) (code_hash) )
    assert checked.stdout.strip() == "0x06000009" + V102_HASH[2:]
    assert unchecked.stdout.strip() == "0x0600000a" + V102_HASH[2:]
    assert untouched(chain) == before


def test_forced_past_the_name_check_the_chain_rejects_the_code_and_that_is_exit_1(cli, chain, tmp_path):
    """The checked authorization goes through tx build/sign/submit (the offline path); the apply then
    needs no signer, and the chain answers RejectedInvalidAuthorizedUpgrade(InvalidSpecName)."""
    call = upgrade(cli, chain, V102, "--call-only", "--force", signer=None).stdout.strip()
    with real_genesis(chain) as url:
        built = cli("tx", "build", "--call", call, "--signer", ALICE, "--url", url, "-o", tmp_path / "authorize.json")
        assert built.exit_code == 0, built.stderr
        signed = cli("tx", "sign", tmp_path / "authorize.json", "--spec", chain.spec, "--signer", "stdin", "--yes", "--json",
                     stdin="//Alice\n")
        assert signed.exit_code == 0, signed.stderr
        assert signed.json["review"]["call"]["args"]["call"]["call"] == "authorize_upgrade"
        submitted = cli("tx", "submit", signed.json["output"], "--url", url)
    assert submitted.exit_code == 0, submitted.stderr
    assert rpc(chain.url, "state_getStorage", [AUTHORIZED_UPGRADE]) is not None

    refused = upgrade(cli, chain, V102, signer=None)  # applying it unforced: refused, nothing sent
    assert refused.exit_code == 1 and "spec_name" in refused.stderr, refused.stderr
    best = chain.best()
    run = upgrade(cli, chain, V102, "--force", signer=None)
    assert run.exit_code == 1, run.stderr
    assert "System.RejectedInvalidAuthorizedUpgrade (System.InvalidSpecName" in run.stderr
    assert chain.best() == best + 1  # one extrinsic: the unsigned apply
    assert rpc(chain.url, "system_accountNextIndex", [ALICE]) == 1  # the tx submit above, nothing more
    assert rpc(chain.url, "state_getStorage", [AUTHORIZED_UPGRADE]) is None  # the chain used it up
    assert runtime(chain) == "solochain-runtime/101"


def test_set_code_forced_past_the_name_check_fails_inside_sudo_and_that_is_exit_1(cli, chain):
    # The pool takes it (the declared weight fits an extrinsic); Sudid { Err(InvalidSpecName) } is the failure.
    run = upgrade(cli, chain, V102, "--method", "set-code", "--force")
    assert run.exit_code == 1, run.stderr
    assert "System.InvalidSpecName" in run.stderr
    assert runtime(chain) == "solochain-runtime/101"


def test_with_the_flag_the_chain_upgrades_and_the_next_block_is_built_by_fennel_102(cli, chain):
    build = build_a_block_once_upgraded(chain)
    run = upgrade(cli, chain, V102, "--allow-spec-name-change", "--expect-code-hash", V102_HASH, "--wait", "effective", "--json")
    build.join(60)
    assert run.exit_code == 0, run.stderr
    result = run.json
    assert (result["spec_name"], result["spec_version"]) == ("fennel", 102)
    assert result["system_call"] == "authorize_upgrade_without_checks"
    assert "System.UpgradeAuthorized" in result["authorize"]["events"]
    assert "System.CodeUpdated" in result["upgrade"]["events"]
    assert result["effective_block"] == result["upgrade"]["block_number"] + 1
    assert runtime(chain) == "fennel/102"
    assert chain.best() == result["effective_block"]


def test_governance_commands_reload_the_new_runtime_right_after(cli, chain):
    status = cli("status", "--url", chain.url, "--json")
    assert status.exit_code == 0, status.stderr
    assert status.json["session_period"] == 30  # v102's constant (v101 says 50): the new metadata was loaded
    assert status.json["sudo"] == ALICE
    dry = cli("add-validator", BOB, "--url", chain.url, "--signer", "stdin", "--dry-run", "--force", "--json", stdin="//Alice\n")
    assert dry.exit_code == 0, dry.stderr
    assert dry.json["dry_run"] is True and dry.json["call_data"].startswith("0x06000700")  # Sudo.sudo(ValidatorManager.register_validators)
    genesis = rpc(chain.url, "chain_getBlockHash", [0])[2:]
    cached = sorted(p.name for p in chain.cache.glob(f"{genesis}-*.json"))
    assert cached == [f"{genesis}-101.json", f"{genesis}-102.json"]  # one metadata per runtime, keyed by spec_version


@pytest.mark.parametrize("wasm, says", [(V101, "spec_version (102 → 101)"), (V102, "spec_version (102 → 102)")])
def test_on_the_upgraded_chain_a_downgrade_and_the_same_version_are_refused(cli, chain, wasm, says):
    before = untouched(chain)
    run = upgrade(cli, chain, wasm, "--allow-spec-name-change")
    assert run.exit_code == 1, run.stderr
    assert says in run.stderr
    assert untouched(chain) == before


def test_the_api_refuses_a_downgrade_with_preflight_refused(chain):
    from fennel_gov.errors import PreflightRefused
    from fennel_gov.governance.api import connect
    from fennel_gov.keys import pair_from_suri

    before = untouched(chain)
    with connect(chain.url) as net, pytest.raises(PreflightRefused) as refused:
        net.upgrade_runtime(V100.read_bytes(), signer=pair_from_suri("//Alice", "sr25519"), allow_spec_name_change=True)
    assert any("SpecVersionNeedsToIncrease" in p for p in refused.value.problems)
    assert untouched(chain) == before


def build_a_block_once_upgraded(chain) -> threading.Thread:
    """Chopsticks builds blocks only for transactions: once the chain reports v102, build one more."""
    import time

    def watch() -> None:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if rpc(chain.url, "state_getRuntimeVersion")["specVersion"] == 102:
                chain.new_blocks(1)
                return
            time.sleep(0.3)

    thread = threading.Thread(target=watch, daemon=True)
    thread.start()
    return thread
