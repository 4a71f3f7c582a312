"""Governance end to end on the real Fennel runtime (chopsticks on the development raw spec; sudo is //Alice).

One chain for the module, so the tests run in order and build on each other, as an operator's day does.
"""

from __future__ import annotations

import json

import pytest

from fennel_gov.keys import pair_from_suri, ss58
from tests.chopsticks import Chopsticks, session_keys
from tests.chopsticks import rpc as chopsticks_rpc

ALICE = "5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY"
BOB = "5FHneW46xGXgs5mUiveU4sbTyGBzmstUspZC92UhjJM694ty"
CHARLIE = "5FLSigC9HGRKVhB9FiEo4Y3koPsNmBmLJbpXg2mp1hXcS59Y"
DAVE = "5DAAnrj7VHTznn2AWBemMuyBwZWs6FNFjdyVXUeYum3PTXFy"

pytestmark = pytest.mark.chain


def fund(chain, who: str) -> None:
    """Test set-up only: //Alice transfers 100 FNL (the existential deposit is 10) to ``who`` (Charlie is not endowed in the dev genesis)."""
    from substrateinterface import Keypair, SubstrateInterface

    substrate = SubstrateInterface(url=chain.url)
    call = substrate.compose_call("Balances", "transfer_keep_alive", {"dest": who, "value": 100 * 10**12})
    receipt = substrate.submit_extrinsic(substrate.create_signed_extrinsic(call, Keypair.create_from_uri("//Alice")), wait_for_inclusion=True)
    assert receipt.is_success
    substrate.close()


def test_status_shows_the_development_chain(cli, chain):
    run = cli("status", "--url", chain.url, "--json")
    assert run.exit_code == 0, run.stderr
    info = run.json
    assert info["validators"] == [ALICE] and info["sudo"] == ALICE
    assert info["queued_additions"] == [] and info["queued_removals"] == []
    assert info["next_keys"][ALICE] == session_keys("//Alice")
    assert info["best_block"] == info["finalized_block"]
    assert info["min_authorities"] == 2
    assert any("MinAuthorities" in w for w in info["warnings"])


def test_unreachable_node_is_a_clear_exit_2(cli):
    from tests.chopsticks import free_port

    run = cli("status", "--url", f"ws://127.0.0.1:{free_port()}")
    assert run.exit_code == 2 and "cannot reach" in run.stderr and "Traceback" not in run.stderr


def test_a_configured_genesis_hash_on_chopsticks_is_refused_with_why_it_cannot_match(cli, chain, tmp_path, monkeypatch):
    config = tmp_path / "config.toml"
    config.write_text(f'default = "fennel"\n[networks.fennel]\nurl = "{chain.url}"\ngenesis_hash = "0x629e44454b757046582d3b23d223f38fcc07123f42d33f850effacb98d39ffdb"\n')
    monkeypatch.setenv("FENNEL_GOV_CONFIG", str(config))
    run = cli("status")
    # Chopsticks names itself in system_version; that is how the error knows the placeholder is no mistake of ours.
    assert chopsticks_rpc(chain.url, "system_version").startswith("chopsticks")
    assert run.exit_code == 2 and run.stderr == (
        f"error: {chain.url} is chopsticks, which reports block 0's hash as the placeholder 0x{'45' * 32}, never the real "
        "genesis: the genesis_hash configured for fennel cannot match it; rehearse on chopsticks with --url, or a network "
        "entry without genesis_hash\n")
    assert cli("status", "--url", chain.url).exit_code == 0  # what the error suggests works


def test_a_signer_that_is_not_sudo_is_refused_before_anything_is_signed(cli, chain):
    run = cli("add-validator", BOB, "--url", chain.url, "--signer", "stdin", "--yes", stdin="//Bob\n")
    assert run.exit_code == 1 and "not the sudo key" in run.stderr


def test_an_account_without_session_keys_is_refused_with_what_to_do(cli, chain):
    run = cli("add-validator", CHARLIE, "--url", chain.url, "--signer", "stdin", "--yes", stdin="//Alice\n")
    assert run.exit_code == 1 and "no session keys" in run.stderr and "rotate-keys" in run.stderr


def test_removing_below_min_authorities_is_refused_with_the_arithmetic(cli, chain):
    run = cli("remove-validator", ALICE, "--url", chain.url, "--signer", "stdin", "--yes", stdin="//Alice\n")
    assert run.exit_code == 1
    assert "1 active + 0 queued to join − 0 queued to leave − 1 = 0" in run.stderr and "MinAuthorities = 2" in run.stderr


def test_a_failed_inner_sudo_call_is_a_failure_with_the_decoded_error(cli, chain):
    run = cli("add-validator", CHARLIE, "--url", chain.url, "--signer", "stdin", "--yes", "--force", "--json", stdin="//Alice\n")
    assert run.exit_code == 1
    assert "ValidatorManager.NoKeysRegistered" in run.stderr
    assert run.json["success"] is False and "Sudo.Sudid" in run.json["events"]


def test_set_keys_on_behalf_of_an_account_that_does_not_exist_names_that_account(cli, chain):
    from tests.chopsticks import rpc

    sudo_nonce = rpc(chain.url, "system_accountNextIndex", [ALICE])
    run = cli("set-keys", session_keys("//Charlie"), "--for", CHARLIE, "--url", chain.url, "--signer", "stdin", "--yes", stdin="//Alice\n")
    assert run.exit_code == 1 and f"{CHARLIE} does not exist on chain" in run.stderr and ALICE not in run.stderr
    assert rpc(chain.url, "system_accountNextIndex", [ALICE]) == sudo_nonce  # refused before anything was sent
    forced = cli("set-keys", session_keys("//Charlie"), "--for", CHARLIE, "--url", chain.url, "--signer", "stdin", "--yes",
                 "--force", stdin="//Alice\n")
    assert forced.exit_code == 1 and "Session.NoAccount" in forced.stderr
    assert f"{CHARLIE} does not exist on chain" in forced.stderr and "signing account" not in forced.stderr


def test_set_keys_for_another_account_needs_the_sudo_signer(cli, chain):
    run = cli("set-keys", session_keys("//Bob"), "--for", BOB, "--url", chain.url, "--signer", "stdin", "--yes", stdin="//Bob\n")
    assert run.exit_code == 1 and "is not the sudo key" in run.stderr


def test_call_only_prints_call_data_without_a_signer(cli, chain):
    run = cli("add-validator", BOB, "--url", chain.url, "--call-only", "--force")
    assert run.exit_code == 0, run.stderr
    call = run.stdout.strip()
    assert call.startswith("0x0600" + "0700")  # Sudo(6).sudo(0) of ValidatorManager(7).register_validators(0)
    assert call.endswith(ss58.decode(BOB).payload.hex())


def test_add_two_validators_and_see_them_in_the_set_two_sessions_later(cli, chain):
    fund(chain, CHARLIE)
    for suri in ("//Bob", "//Charlie"):
        run = cli("set-keys", session_keys(suri), "--url", chain.url, "--signer", "stdin", "--yes", "--json", stdin=suri + "\n")
        assert run.exit_code == 0, run.stderr
        assert run.json["success"] is True
    dry = cli("add-validator", BOB, CHARLIE, "--url", chain.url, "--signer", "stdin", "--dry-run", "--json", stdin="//Alice\n")
    assert dry.exit_code == 0, dry.stderr
    assert dry.json["plan"]["grandpa"] == {"validators_before": 1, "threshold_before": 1, "validators_after": 3,
                                           "threshold_after": 3, "slack_after": 0}
    assert int(dry.json["fee_estimate"]) > 0
    refused = cli("add-validator", BOB, CHARLIE, "--url", chain.url, "--signer", "stdin", stdin="//Alice\n")
    assert refused.exit_code == 2 and "--yes" in refused.stderr  # no slack: an explicit --yes is required
    added = cli("add-validator", BOB, CHARLIE, "--url", chain.url, "--signer", "stdin", "--yes", "--json", stdin="//Alice\n")
    assert added.exit_code == 0, added.stderr
    assert "ValidatorManager.ValidatorsRegistered" in added.json["events"]
    status = cli("status", "--url", chain.url, "--json").json
    session = status["session_index"]
    assert [q["account"] for q in status["queued_additions"]] == [BOB, CHARLIE]
    assert all(q["live_from_session"] == session + 2 for q in status["queued_additions"])
    chain.to_session_change(2)
    status = cli("status", "--url", chain.url, "--json").json
    assert status["session_index"] == session + 2
    assert sorted(status["validators"]) == sorted([ALICE, BOB, CHARLIE])
    auras = {ss58.encode(pair_from_suri(s, "sr25519").public) for s in ("//Alice", "//Bob", "//Charlie")}
    assert set(status["aura_authorities"]) == auras
    assert len(status["grandpa_authorities"]) == 3


def test_remove_a_validator_and_then_refuse_the_next_one(cli, chain):
    run = cli("remove-validator", CHARLIE, "--url", chain.url, "--signer", "stdin", "--yes", "--json", stdin="//Alice\n")
    assert run.exit_code == 0, run.stderr
    assert "ValidatorManager.ValidatorRemoved" in run.json["events"]
    again = cli("remove-validator", BOB, "--url", chain.url, "--signer", "stdin", "--yes", stdin="//Alice\n")
    assert again.exit_code == 1 and "3 active + 0 queued to join − 1 queued to leave − 1 = 1" in again.stderr
    chain.to_session_change(2)
    status = cli("status", "--url", chain.url, "--json").json
    assert sorted(status["validators"]) == sorted([ALICE, BOB])


def test_check_network_flags_the_placeholder_genesis_and_an_unreachable_node(cli, chain):
    from tests.chopsticks import free_port

    run = cli("check-network", chain.url, chain.url.replace("ws://", "http://"), f"ws://127.0.0.1:{free_port()}", "--json")
    assert run.exit_code == 1
    nodes = run.json["nodes"]
    assert nodes[0]["reachable"] and nodes[1]["reachable"] and not nodes[2]["reachable"]
    assert nodes[0]["genesis_hash"] == nodes[1]["genesis_hash"]
    assert f"{chain.url} is chopsticks: it reports a placeholder genesis hash: not a real network node" in run.json["problems"]
    assert any("unreachable" in p for p in run.json["problems"])


def test_rotate_keys_through_a_validator_node_that_answers_author_rotate_keys(cli, chain, tmp_path):
    from fennel_gov.keys import SessionKeys, pair_from_seed
    from fennel_gov.keys.schemes import Scheme
    from tests.rpc_proxy import RotateKeysProxy

    # Keys "the node generated": made by fennel-gov from fresh seeds, as a node's keystore would.
    import os

    fresh = SessionKeys.from_pairs(pair_from_seed(Scheme.SR25519, os.urandom(32)), pair_from_seed(Scheme.ED25519, os.urandom(32)))
    with RotateKeysProxy(chain.url, fresh.to_hex()) as node_url:
        run = cli("rotate-keys", "--node-url", node_url, "--url", chain.url, "--signer", "stdin", "--yes", "--json", stdin="//Bob\n")
    assert run.exit_code == 0, run.stderr
    assert run.json["session_keys"] == fresh.to_hex() and run.json["next_keys_confirmed"] is True
    from substrateinterface import SubstrateInterface

    substrate = SubstrateInterface(url=chain.url)
    stored = substrate.query("Session", "NextKeys", [BOB]).value
    substrate.close()
    assert stored == {"aura": "0x" + fresh.aura.hex(), "grandpa": "0x" + fresh.grandpa.hex()}


def test_a_node_that_drops_during_the_wait_is_reconnected_and_nothing_is_sent_twice(chain, tmp_path):
    import os
    import subprocess
    import sys
    import time

    from tests.chopsticks import rpc
    from tests.tcp_proxy import CuttableRelay

    relay = CuttableRelay(chain.port)
    nonce_before = rpc(chain.url, "system_accountNextIndex", [BOB])
    rpc(chain.url, "dev_setBlockBuildMode", ["Manual"])
    try:
        process = subprocess.Popen(
            [sys.executable, "-m", "fennel_gov", "set-keys", session_keys("//Bob"), "--url", f"ws://127.0.0.1:{relay.port}",
             "--signer", "stdin", "--yes", "--json", "--timeout", "120"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            cwd=os.path.dirname(os.path.dirname(__file__)),
        )
        process.stdin.write("//Bob\n")
        process.stdin.close()
        process.stdin = None  # communicate() must not touch it again
        deadline = time.monotonic() + 60
        while not rpc(chain.url, "author_pendingExtrinsics") and time.monotonic() < deadline:
            time.sleep(0.2)
        assert rpc(chain.url, "author_pendingExtrinsics"), "the extrinsic never reached the pool"
        accepted = relay.accepted
        relay.cut()  # the node "drops" while the command waits for inclusion
        time.sleep(1)
        chain.new_blocks(1)
        out, err = process.communicate(timeout=120)
    finally:
        rpc(chain.url, "dev_setBlockBuildMode", ["Instant"])
        relay.close()
    assert process.returncode == 0, err
    assert json.loads(out)["success"] is True
    assert relay.accepted > accepted  # it reconnected
    assert rpc(chain.url, "system_accountNextIndex", [BOB]) == nonce_before + 1  # submitted exactly once


def test_recover_finality_refuses_while_finality_is_healthy_and_needs_sudo(cli, chain):
    run = cli("recover-finality", "--delay", "5", "--url", chain.url, "--signer", "stdin", "--yes", stdin="//Alice\n")
    assert run.exit_code == 1 and "finality is healthy" in run.stderr
    bob = cli("recover-finality", "--delay", "5", "--url", chain.url, "--signer", "stdin", "--yes", "--force", stdin="//Bob\n")
    assert bob.exit_code == 1 and "is not the sudo key" in bob.stderr


def test_recover_finality_submits_grandpa_note_stalled(cli, chain):
    run = cli("recover-finality", "--delay", "5", "--url", chain.url, "--signer", "stdin", "--yes", "--force", "--json",
              stdin="//Alice\n")
    assert run.exit_code == 0, run.stderr
    assert run.json["success"] is True and "Sudo.Sudid" in run.json["events"]
    from substrateinterface import SubstrateInterface

    substrate = SubstrateInterface(url=chain.url)
    stalled = substrate.query("Grandpa", "Stalled").value
    substrate.close()
    assert stalled is not None and stalled[0] == 5  # (delay, best finalized block)


def test_rotate_keys_uses_author_rotate_keys_with_owner_where_the_node_offers_it(cli, chain):
    import os

    from fennel_gov.keys import SessionKeys, pair_from_seed
    from fennel_gov.keys.schemes import Scheme
    from tests.rpc_proxy import RotateKeysProxy

    fresh = SessionKeys.from_pairs(pair_from_seed(Scheme.SR25519, os.urandom(32)), pair_from_seed(Scheme.ED25519, os.urandom(32)))
    proxy = RotateKeysProxy(chain.url, fresh.to_hex(), with_owner=True, proof_hex="0x" + "ab" * 128)
    with proxy as node_url:
        run = cli("rotate-keys", "--node-url", node_url, "--url", chain.url, "--signer", "stdin", "--yes", "--json", stdin="//Bob\n")
    assert run.exit_code == 0, run.stderr
    assert proxy.owners == ["0x" + ss58.decode(BOB).payload.hex()]  # the owner is the signer's account
    assert run.json["next_keys_confirmed"] is True


def test_an_address_of_another_network_is_refused(cli, chain):
    polkadot_bob = ss58.encode(ss58.decode(BOB).payload, 0)
    run = cli("add-validator", polkadot_bob, "--url", chain.url, "--call-only")
    assert run.exit_code == 2 and "prefix 0" in run.stderr and "re-encode" in run.stderr
