"""The chain's whole pending state, on the real runtime under chopsticks: queued and projected sets,
changes the chain accepts and then drops, ``--wait effective``, the Python API, one signer in two
commands at once.

One chain for the module; the tests run in order, as an operator's day does. Session changes take
two blocks (``Chopsticks.to_session_change``).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from fennel_gov.keys import pair_from_suri, ss58
from tests.chopsticks import session_keys, rpc

ROOT = Path(__file__).resolve().parent.parent
ALICE = "5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY"
BOB = "5FHneW46xGXgs5mUiveU4sbTyGBzmstUspZC92UhjJM694ty"
CHARLIE = "5FLSigC9HGRKVhB9FiEo4Y3koPsNmBmLJbpXg2mp1hXcS59Y"
DAVE = "5DAAnrj7VHTznn2AWBemMuyBwZWs6FNFjdyVXUeYum3PTXFy"
FERDIE = "5CiPPseXPECbkjWCa6MnjNokrgYjMqmKndv2rSnekmSK2DjL"
PERIOD = 30  # the runtime's SessionPeriod (fixtures README); the tool reads it from metadata

pytestmark = pytest.mark.chain


@pytest.fixture(autouse=True)
def private_cache(tmp_path_factory, monkeypatch):
    # The signer locks live in the cache directory: keep them out of the user's.
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.getbasetemp() / "cache"))
    monkeypatch.delenv("FENNEL_GOV_CACHE_DIR", raising=False)


def set_balance(chain, account: str, free: int) -> None:
    """Test set-up only: give an account a balance by writing System.Account."""
    rpc(chain.url, "dev_setStorage", [{"System": {"Account": [[[account], {"providers": 1, "data": {"free": free}}]]}}])


def next_session(chain, sessions: int = 1) -> None:
    chain.to_session_change(sessions, PERIOD)


def nonce(chain, account: str) -> int:
    return int(rpc(chain.url, "system_accountNextIndex", [account]))


class SessionDriver:
    """Builds the session changes a waiting command needs, once its extrinsic is in a block."""

    def __init__(self, chain, signer: str, sessions: int, settle: float = 1.5) -> None:
        self.chain, self.sessions, self.settle = chain, sessions, settle
        self.start_nonce = nonce(chain, signer)
        self.signer = signer
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.error: BaseException | None = None

    def _run(self) -> None:
        try:
            deadline = time.monotonic() + 120
            while nonce(self.chain, self.signer) == self.start_nonce and time.monotonic() < deadline:
                time.sleep(0.3)
            time.sleep(self.settle)  # let the command find its block before the heights jump
            next_session(self.chain, self.sessions)
            self.chain.new_blocks(1)
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            self.error = exc

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.thread.join(timeout=180)
        assert self.error is None, self.error


def status(cli, chain) -> dict:
    run = cli("status", "--url", chain.url, "--json")
    assert run.exit_code == 0, run.stderr
    return run.json


def alice(cli, *args, stdin="//Alice\n"):
    return cli(*args, "--signer", "stdin", "--yes", stdin=stdin)


# -- the Python API ------------------------------------------------------------------------------


def api_example() -> str:
    text = (ROOT / "docs" / "api.md").read_text()
    return text.split("```python\n", 1)[1].split("```", 1)[0]


def test_the_documented_api_example_adds_a_validator(cli, chain):
    run = cli("set-keys", session_keys("//Bob"), "--url", chain.url, "--signer", "stdin", "--yes", stdin="//Bob\n")
    assert run.exit_code == 0, run.stderr
    code = api_example()
    assert "ws://127.0.0.1:9944" in code and len([line for line in code.splitlines() if line.strip()]) <= 6
    scope: dict = {}
    exec(compile(code.replace("ws://127.0.0.1:9944", chain.url), "docs/api.md", "exec"), scope)  # noqa: S102
    import fennel_gov

    assert isinstance(scope["st"], fennel_gov.Status) and scope["st"].validators == [ALICE]
    receipt = scope["receipt"]
    assert isinstance(receipt, fennel_gov.Receipt) and receipt.success and receipt.finalized
    assert "ValidatorManager.ValidatorsRegistered" in [f"{e['pallet']}.{e['event']}" for e in receipt.events]
    after = scope["net"].status()
    assert after.queued_additions == [BOB] and after.projected_validators == [ALICE, BOB]


def test_the_api_refuses_with_problems_and_raises_the_module_error_of_a_failed_sudo_call(chain):
    import fennel_gov

    net = fennel_gov.connect(chain.url)
    sudo = fennel_gov.KeyPair.from_uri("//Alice")
    with pytest.raises(fennel_gov.PreflightRefused) as refused:
        net.add_validators([ALICE], signer=sudo)
    assert refused.value.problems == [f"{ALICE} is already an active validator"]
    with pytest.raises(fennel_gov.PreflightRefused) as refused:
        net.add_validators([FERDIE], signer=sudo)
    assert any("has no session keys" in p for p in refused.value.problems)
    with pytest.raises(fennel_gov.SubmissionFailed) as failed:
        net.add_validators([FERDIE], signer=sudo, force=True)
    assert failed.value.module_error == "ValidatorManager.NoKeysRegistered"
    assert failed.value.receipt.success is False and failed.value.receipt.block_number > 0
    with pytest.raises(fennel_gov.BadInput):
        net.add_validators([BOB], signer=sudo, wait="never")
    net.close()


def test_importing_fennel_gov_loads_no_network_code_and_keypair_comes_from_keys():
    code = (
        "import sys, fennel_gov; assert fennel_gov.KeyPair is __import__('fennel_gov.keys').keys.KeyPair; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('substrateinterface', 'websocket', 'requests') "
        "or m.startswith('fennel_gov.governance')))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


# -- one signer, two commands --------------------------------------------------------------------


def test_two_set_keys_from_one_signer_at_once_both_land(chain, tmp_path_factory):
    set_balance(chain, CHARLIE, 100 * 10**12)
    set_balance(chain, DAVE, 100 * 10**12)
    before = nonce(chain, ALICE)
    env = dict(os.environ, XDG_CACHE_HOME=str(tmp_path_factory.getbasetemp() / "cache"))
    processes = []
    for suri, who in (("//Charlie", CHARLIE), ("//Dave", DAVE)):
        process = subprocess.Popen(
            [sys.executable, "-m", "fennel_gov", "set-keys", session_keys(suri), "--for", who, "--url", chain.url,
             "--signer", "stdin", "--yes", "--json", "--timeout", "120"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT, env=env,
        )
        processes.append(process)
    for process in processes:
        process.stdin.write("//Alice\n")
        process.stdin.close()
        process.stdin = None
    results = [p.communicate(timeout=180) for p in processes]
    for process, (out, err) in zip(processes, results):
        assert process.returncode == 0, err
        assert json.loads(out)["success"] is True and json.loads(out)["next_keys_confirmed"] is True
    assert nonce(chain, ALICE) == before + 2


# -- the sets across rotations -------------------------------------------------------------------


def test_status_json_shows_the_current_queued_and_projected_sets_across_two_rotations(cli, chain):
    run = alice(cli, "add-validator", CHARLIE, "--url", chain.url, "--json")
    assert run.exit_code == 0, run.stderr
    info = status(cli, chain)
    assert info["session_index"] == 0 and info["next_session_block"] == PERIOD
    assert info["validators"] == [ALICE] and info["queued_validators"] == [ALICE]
    assert info["projected_validators"] == [ALICE, BOB, CHARLIE] and info["pending_change_dropped"] is False
    assert [q["account"] for q in info["queued_additions"]] == [BOB, CHARLIE]
    for field in ("genesis_hash", "blocks_to_next_session", "session_period", "next_keys", "aura_authorities",
                  "grandpa_authorities", "grandpa_threshold", "min_authorities", "sudo", "best_block", "finalized_block",
                  "finality_lag", "warnings", "queued_removals"):
        assert field in info
    next_session(chain)
    info = status(cli, chain)
    assert info["session_index"] == 1 and info["next_session_block"] == 2 * PERIOD
    assert info["validators"] == [ALICE] and info["queued_validators"] == [ALICE, BOB, CHARLIE]
    assert info["projected_validators"] == [ALICE, BOB, CHARLIE] and info["queued_additions"] == []
    next_session(chain)
    info = status(cli, chain)
    assert info["session_index"] == 2 and info["validators"] == [ALICE, BOB, CHARLIE]
    assert len(info["aura_authorities"]) == 3 and len(info["grandpa_authorities"]) == 3
    text = cli("status", "--url", chain.url)
    assert "Validators now, session 2 (3)" in text.stdout and f"Next session 3, from block #{3 * PERIOD} (3)" in text.stdout


def test_a_removal_moves_into_the_queued_set_one_session_before_it_is_live(cli, chain):
    run = alice(cli, "remove-validator", CHARLIE, "--url", chain.url)
    assert run.exit_code == 0, run.stderr
    assert status(cli, chain)["projected_validators"] == [ALICE, BOB]
    next_session(chain)
    info = status(cli, chain)
    assert info["validators"] == [ALICE, BOB, CHARLIE] and info["queued_validators"] == [ALICE, BOB]
    assert info["queued_removals"] == [] and info["projected_validators"] == [ALICE, BOB]


def test_the_issue_9_removal_the_chain_would_accept_and_drop_is_refused(cli, chain):
    run = alice(cli, "remove-validator", BOB, "--url", chain.url)
    assert run.exit_code == 1
    assert "would accept this removal but drop it at the session change at block #120" in run.stderr
    assert "the next session's set has 2, − 1 leaving + 0 joining = 1, below MinAuthorities = 2" in run.stderr


def test_status_warns_of_a_pending_change_that_will_be_dropped(cli, chain):
    forced = alice(cli, "remove-validator", BOB, "--url", chain.url, "--force")
    assert forced.exit_code == 0, forced.stderr  # the chain takes it: 3 + 0 − 0 − 1 = 2 on the current set
    info = status(cli, chain)
    assert info["pending_change_dropped"] is True and info["projected_validators"] is None
    assert info["queued_validators"] == [ALICE, BOB]
    dropped = [w for w in info["warnings"] if "DROPPED" in w]
    assert len(dropped) == 1 and f"removal of {BOB}" in dropped[0] and "block #120" in dropped[0]
    text = cli("status", "--url", chain.url).stdout
    assert "the pending change is DROPPED" in text


def test_a_removal_that_would_make_pending_additions_vanish_is_refused_and_forced_it_is_reported_dropped(cli, chain):
    added = alice(cli, "add-validator", DAVE, "--url", chain.url)  # [A, B] − B + D = [A, D]: rescues the removal
    assert added.exit_code == 0, added.stderr
    info = status(cli, chain)
    assert info["projected_validators"] == [ALICE, DAVE] and info["pending_change_dropped"] is False
    refused = alice(cli, "remove-validator", ALICE, "--url", chain.url)
    assert refused.exit_code == 1
    assert "the next session's set has 2, − 2 leaving + 1 joining = 1, below MinAuthorities = 2" in refused.stderr
    assert f"the pending additions of {DAVE} would vanish" in refused.stderr
    with SessionDriver(chain, ALICE, sessions=1):
        forced = alice(cli, "remove-validator", ALICE, "--url", chain.url, "--force", "--wait", "effective", "--timeout", "120", "--json")
    assert forced.exit_code == 1
    assert "DROPPED the change at the session change at block #120" in forced.stderr
    assert "− 2 leaving + 1 joining = 1, below MinAuthorities = 2" in forced.stderr
    assert forced.json["success"] is True  # the chain accepted it: that is the trap
    info = status(cli, chain)
    assert info["session_index"] == 4
    assert info["validators"] == [ALICE, BOB] and info["queued_validators"] == [ALICE, BOB]
    assert info["queued_additions"] == [] and info["queued_removals"] == []  # both queues lost, Dave's addition too


def test_wait_effective_follows_an_addition_until_it_is_live(cli, chain):
    with SessionDriver(chain, ALICE, sessions=2):
        run = alice(cli, "add-validator", DAVE, "--url", chain.url, "--wait", "effective", "--timeout", "120", "--json")
    assert run.exit_code == 0, run.stderr
    assert run.json["effective"]["validators"] == [ALICE, BOB, DAVE] and run.json["effective"]["session_index"] == 6
    assert "…" not in run.stderr  # no progress without a terminal
    info = status(cli, chain)
    dave = pair_from_suri("//Dave", "sr25519").public, pair_from_suri("//Dave", "ed25519").public
    assert info["validators"] == [ALICE, BOB, DAVE]
    assert ss58.encode(dave[0]) in info["aura_authorities"] and ss58.encode(dave[1]) in info["grandpa_authorities"]


def test_wait_effective_follows_a_removal_until_it_is_live_by_subscription_not_polling(cli, chain):
    from tests.fault_proxy import CountingRelay

    relay = CountingRelay(chain.url)
    try:
        # 6 s without a new block after inclusion: a 0.5 s poll would ask for the finalized head a dozen times
        with SessionDriver(chain, ALICE, sessions=2, settle=6.0):
            run = alice(cli, "remove-validator", DAVE, "--url", relay.url, "--wait", "effective", "--timeout", "120", "--json")
    finally:
        relay.close()
    assert run.exit_code == 0, run.stderr
    assert relay.counts["chain_subscribeFinalizedHeads"] == 1, relay.counts
    assert relay.counts["chain_getFinalizedHead"] <= 5, relay.counts  # 4: the first read and the snapshots
    assert run.json["effective"]["validators"] == [ALICE, BOB]
    info = status(cli, chain)
    assert info["validators"] == [ALICE, BOB] and len(info["aura_authorities"]) == 2 and len(info["grandpa_authorities"]) == 2


# -- options that were never exercised (issue 12) -------------------------------------------------


def test_wait_included_returns_before_finality_is_checked(cli, chain):
    run = cli("set-keys", session_keys("//Bob"), "--url", chain.url, "--signer", "stdin", "--yes", "--wait", "included",
              "--json", stdin="//Bob\n")
    assert run.exit_code == 0, run.stderr
    assert run.json["success"] is True and run.json["finalized"] is False


def test_a_timeout_that_expires_is_a_failure_that_says_to_check_status(cli, chain):
    rpc(chain.url, "dev_setBlockBuildMode", ["Manual"])
    try:
        run = cli("set-keys", session_keys("//Bob"), "--url", chain.url, "--signer", "stdin", "--yes", "--timeout", "2",
                  stdin="//Bob\n")
    finally:
        rpc(chain.url, "dev_setBlockBuildMode", ["Instant"])
        chain.new_blocks(1)  # the pending extrinsic lands now, so the next tests start from a clean pool
    assert run.exit_code == 1 and "was not included within 2 s" in run.stderr and "fennel-gov status" in run.stderr


@pytest.mark.parametrize("wait", ["never", "effective"])
def test_a_wait_that_is_not_offered_is_refused_before_anything_is_sent(cli, chain, wait):
    before = nonce(chain, BOB)
    run = cli("set-keys", session_keys("//Bob"), "--url", chain.url, "--signer", "stdin", "--yes", "--wait", wait, stdin="//Bob\n")
    assert run.exit_code == 2 and "--wait" in run.stderr
    assert nonce(chain, BOB) == before


@pytest.mark.parametrize("timeout", ["-5", "0", "nan"])
def test_a_timeout_that_is_not_positive_is_refused_before_anything_is_sent(cli, chain, timeout):
    run = cli("add-validator", CHARLIE, "--url", chain.url, "--signer", "stdin", "--yes", "--timeout", timeout, stdin="//Alice\n")
    assert run.exit_code == 2 and "--timeout takes a positive number" in run.stderr


def test_a_named_network_from_the_config_file_is_used(cli, chain, tmp_path, monkeypatch):
    config = tmp_path / "config.toml"
    config.write_text(f'[networks.local]\nurl = "{chain.url}"\n')
    monkeypatch.setenv("FENNEL_GOV_CONFIG", str(config))
    monkeypatch.delenv("FENNEL_GOV_URL", raising=False)
    run = cli("status", "--network", "local", "--json")
    assert run.exit_code == 0, run.stderr
    assert run.json["sudo"] == ALICE
    unknown = cli("status", "--network", "elsewhere")
    assert unknown.exit_code == 2 and "no network 'elsewhere'" in unknown.stderr and "known: local" in unknown.stderr


def test_fennel_gov_url_names_the_node_when_no_option_does(cli, chain, tmp_path, monkeypatch):
    monkeypatch.setenv("FENNEL_GOV_CONFIG", str(tmp_path / "absent.toml"))
    monkeypatch.setenv("FENNEL_GOV_URL", chain.url)
    run = cli("status", "--json")
    assert run.exit_code == 0, run.stderr
    assert run.json["sudo"] == ALICE


def test_a_signer_from_the_os_keyring_signs(cli, chain, memory_keyring):
    from fennel_gov.keys import keyring_store
    from fennel_gov.keys.secret import SecretStr

    keyring_store.store("bob-validator", SecretStr("//Bob"))
    run = cli("set-keys", session_keys("//Bob"), "--url", chain.url, "--signer", "keyring:bob-validator", "--yes", "--json")
    assert run.exit_code == 0, run.stderr
    assert run.json["signer"] == BOB and run.json["success"] is True


def test_a_signer_from_a_file_signs(cli, chain, tmp_path):
    secret = tmp_path / "bob.suri"
    secret.write_text("//Bob\n")
    secret.chmod(0o600)
    run = cli("set-keys", session_keys("//Bob"), "--url", chain.url, "--signer", f"file:{secret}", "--yes", "--json")
    assert run.exit_code == 0, run.stderr
    assert run.json["signer"] == BOB and run.json["success"] is True


# -- small behaviours ------------------------------------------------------------------------------


def test_dry_run_refuses_a_signer_who_cannot_pay_the_fee(cli, chain):
    set_balance(chain, FERDIE, 1)  # exists, cannot pay
    run = cli("set-keys", session_keys("//Ferdie"), "--url", chain.url, "--signer", "stdin", "--dry-run", stdin="//Ferdie\n")
    assert run.exit_code == 1 and f"the signer {FERDIE} cannot pay the fee" in run.stderr
    set_balance(chain, FERDIE, 100 * 10**12)
    run = cli("set-keys", session_keys("//Ferdie"), "--url", chain.url, "--signer", "stdin", "--dry-run", "--json", stdin="//Ferdie\n")
    assert run.exit_code == 0, run.stderr
    assert run.json["dry_run"] is True


def test_rotate_keys_asks_before_the_node_generates_anything(cli, chain):
    from tests.rpc_proxy import RotateKeysProxy

    proxy = RotateKeysProxy(chain.url, session_keys("//Ferdie"))
    with proxy as node_url:
        run = cli("rotate-keys", "--node-url", node_url, "--url", chain.url, "--signer", "stdin", stdin="//Ferdie\n")
    assert run.exit_code == 2 and "--yes" in run.stderr
    assert proxy.rotations == 0


def test_rotate_keys_puts_the_nodes_ownership_proof_in_the_extrinsic(cli, chain):
    from substrateinterface import SubstrateInterface

    from tests.rpc_proxy import RotateKeysProxy

    proof = "0x" + "cd" * 64
    proxy = RotateKeysProxy(chain.url, session_keys("//Ferdie"), with_owner=True, proof_hex=proof)
    with proxy as node_url:
        run = cli("rotate-keys", "--node-url", node_url, "--url", chain.url, "--signer", "stdin", "--yes", "--json",
                  stdin="//Ferdie\n")
    assert run.exit_code == 0, run.stderr
    substrate = SubstrateInterface(url=chain.url)
    try:
        block = substrate.get_block(block_hash=run.json["block_hash"])
        calls = [e.value["call"] for e in block["extrinsics"] if e.value.get("extrinsic_hash") == run.json["extrinsic_hash"]]
    finally:
        substrate.close()
    assert len(calls) == 1 and calls[0]["call_function"] == "set_keys"
    assert {a["name"]: a["value"] for a in calls[0]["call_args"]}["proof"] == proof


def test_an_extrinsic_displaced_from_the_pool_is_reported_at_once_not_as_may_still_land(chain, tmp_path_factory):
    from substrateinterface import SubstrateInterface

    env = dict(os.environ, XDG_CACHE_HOME=str(tmp_path_factory.getbasetemp() / "cache"))
    rpc(chain.url, "dev_setBlockBuildMode", ["Manual"])
    substrate = SubstrateInterface(url=chain.url)
    try:
        ours = nonce(chain, BOB)
        process = subprocess.Popen(
            [sys.executable, "-m", "fennel_gov", "set-keys", session_keys("//Bob"), "--url", chain.url, "--signer", "stdin",
             "--yes", "--timeout", "90"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT, env=env,
        )
        process.stdin.write("//Bob\n")
        process.stdin.close()
        process.stdin = None
        deadline = time.monotonic() + 60
        while not rpc(chain.url, "author_pendingExtrinsics") and time.monotonic() < deadline:
            time.sleep(0.2)
        assert rpc(chain.url, "author_pendingExtrinsics"), "the extrinsic never reached the pool"
        # Another wallet of Bob's used the same nonce and landed first (chopsticks' pool does not replace by
        # tip, so the effect is written directly): ours can never be included now.
        account = substrate.query("System", "Account", [BOB]).value
        account["nonce"] = ours + 1
        account["data"] = {key: str(value) for key, value in account["data"].items()}  # u128 beyond JSON's safe integers
        rpc(chain.url, "dev_setStorage", [{"System": {"Account": [[[BOB], account]]}}])
        chain.new_blocks(1)
        out, err = process.communicate(timeout=120)
    finally:
        rpc(chain.url, "dev_setBlockBuildMode", ["Instant"])
        substrate.close()
    assert process.returncode == 1
    assert "was displaced" in err and f"same nonce ({ours})" in err and "may still land" not in err
