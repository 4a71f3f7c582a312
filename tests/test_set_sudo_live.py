"""set-sudo end to end on the real Fennel runtime (chopsticks on the development raw spec; sudo is //Alice).

One chain for the module, in order: the refusals first (nothing sent), then sudo moves to a new key,
the old key is refused, and the new key hands sudo back.
"""

from __future__ import annotations

import pytest

from fennel_gov.keys import pair_from_suri, ss58
from fennel_gov.governance.chain import CHOPSTICKS_PLACEHOLDER
from tests.chopsticks import rpc
from tests.test_governance_live import ALICE, BOB, fund

pytestmark = pytest.mark.chain

# A sudo key no development phrase gives: a fixed seed (a test key, so its secret is here).
NEW_SEED = "0x" + "5a" * 32
NEW = ss58.encode(pair_from_suri(NEW_SEED, "sr25519").public)
UNFUNDED = ss58.encode(pair_from_suri("0x" + "6b" * 32, "sr25519").public)
# Sudo is pallet 6 in every Fennel runtime (tests/fixtures/fennel-solonet/README.md); pallet-sudo's
# calls are sudo 0, sudo_unchecked_weight 1, set_key 2; `new` is a MultiAddress, Id = variant 0.
SET_KEY = "0x0602" + "00"


def nonce(chain, who: str) -> int:
    return rpc(chain.url, "system_accountNextIndex", [who])


def sudo_key(chain) -> str:
    from fennel_gov.governance.api import connect

    with connect(chain.url) as net:
        return net.status().sudo


def test_call_only_prints_sudo_set_key_for_offline_signing_without_a_signer(cli, chain):
    run = cli("set-sudo", NEW, "--url", chain.url, "--call-only")
    assert run.exit_code == 0, run.stderr
    assert run.stdout.strip() == SET_KEY + ss58.decode(NEW).payload.hex()


def test_a_signer_that_is_not_sudo_is_refused_even_with_force_and_nothing_is_sent(cli, chain):
    before = nonce(chain, BOB)
    run = cli("set-sudo", NEW, "--url", chain.url, "--signer", "stdin", "--yes", "--force", stdin="//Bob\n")
    assert run.exit_code == 1 and f"the signer {BOB} is not the sudo key {ALICE}" in run.stderr
    assert nonce(chain, BOB) == before and sudo_key(chain) == ALICE


def test_a_bad_address_is_bad_input(cli, chain):
    broken = NEW[:-1] + ("A" if NEW[-1] != "A" else "B")  # checksum no longer matches
    run = cli("set-sudo", broken, "--url", chain.url, "--call-only")
    assert run.exit_code == 2 and "Traceback" not in run.stderr
    polkadot = ss58.encode(ss58.decode(NEW).payload, 0)
    other = cli("set-sudo", polkadot, "--url", chain.url, "--call-only")
    assert other.exit_code == 2 and "prefix 0" in other.stderr


def test_the_current_sudo_is_refused_as_the_new_one(cli, chain):
    run = cli("set-sudo", ALICE, "--url", chain.url, "--signer", "stdin", "--yes", stdin="//Alice\n")
    assert run.exit_code == 1 and "already the sudo key" in run.stderr


def test_a_new_sudo_that_cannot_pay_fees_is_a_warning(cli, chain):
    run = cli("set-sudo", UNFUNDED, "--url", chain.url, "--signer", "stdin", "--dry-run", "--json", stdin="//Alice\n")
    assert run.exit_code == 0, run.stderr
    assert run.json["dry_run"] is True and run.json["new_sudo"] == UNFUNDED
    assert any(f"the new sudo {UNFUNDED} holds 0.000000 FNL" in w for w in run.json["warnings"])
    funded = cli("set-sudo", BOB, "--url", chain.url, "--signer", "stdin", "--dry-run", "--json", stdin="//Alice\n")
    assert funded.exit_code == 0 and funded.json["warnings"] == []


def test_a_development_key_is_refused_on_a_live_chain_even_with_force(cli, chain):
    """Chopsticks answers system_chainType with 'Development' whatever the spec says; a node of a Live
    spec answers 'Live'. The proxy gives that answer and forwards everything else to the real runtime."""
    from tests.rpc_proxy import RealGenesisProxy

    before = nonce(chain, ALICE)
    with RealGenesisProxy(chain.url, CHOPSTICKS_PLACEHOLDER, answers={"system_chainType": "Live"}) as url:
        for dev in (BOB, ss58.encode(pair_from_suri("//Ferdie//stash", "sr25519").public),
                    ss58.encode(pair_from_suri("//Charlie", "ed25519").public)):
            run = cli("set-sudo", dev, "--url", url, "--signer", "stdin", "--yes", "--force", stdin="//Alice\n")
            assert run.exit_code == 1 and "is the development key //" in run.stderr and "Live chain" in run.stderr, run.stderr
        # the development phrase's own account, with no junction
        root = ss58.encode(pair_from_suri("bottom drive obey lake curtain smoke basket hold race lonely fit walk", "sr25519").public)
        run = cli("set-sudo", root, "--url", url, "--signer", "stdin", "--dry-run", stdin="//Alice\n")
        assert run.exit_code == 1 and "the development phrase (sr25519)" in run.stderr
        ceremony_key = cli("set-sudo", NEW, "--url", url, "--signer", "stdin", "--dry-run", "--json", stdin="//Alice\n")
        assert ceremony_key.exit_code == 0, ceremony_key.stderr
        assert ceremony_key.json["chain_type"] == "Live"
    # only Development and Local chains may hand sudo to a development key
    for answer, allowed in (({"Custom": "fennel-staging"}, False), ("Local", True)):
        with RealGenesisProxy(chain.url, CHOPSTICKS_PLACEHOLDER, answers={"system_chainType": answer}) as url:
            run = cli("set-sudo", BOB, "--url", url, "--signer", "stdin", "--dry-run", stdin="//Alice\n")
        assert (run.exit_code == 0) is allowed, (answer, run.stderr)
    assert nonce(chain, ALICE) == before  # nothing was sent


def test_set_sudo_moves_sudo_and_the_old_key_is_refused_and_the_new_key_acts(cli, chain):
    fund(chain, NEW)  # the new key pays the fee of the call that hands sudo back
    run = cli("set-sudo", NEW, "--url", chain.url, "--signer", "stdin", "--yes", "--wait", "effective", "--json", stdin="//Alice\n")
    assert run.exit_code == 0, run.stderr
    assert run.json["sudo_on_chain"] == NEW and run.json["sudo_confirmed"] is True
    assert run.json["key_changed"] == {"old": ALICE, "new": NEW}
    assert "Sudo.KeyChanged" in run.json["events"]
    status = cli("status", "--url", chain.url, "--json")
    assert status.json["sudo"] == NEW
    assert rpc(chain.url, "state_getStorage", ["0x5c0d1176a568c1f92944340dbfed9e9c530ebca703c85910e7164cb7d1c9e47b"]) == \
        "0x" + ss58.decode(NEW).payload.hex()  # Sudo.Key = twox128("Sudo") ++ twox128("Key"), read raw

    # the old key: refused by preflight, nothing sent
    before = nonce(chain, ALICE)
    old = cli("add-validator", BOB, "--url", chain.url, "--signer", "stdin", "--dry-run", "--force", stdin="//Alice\n")
    assert old.exit_code == 1 and f"is not the sudo key {NEW}" in old.stderr
    again = cli("set-sudo", BOB, "--url", chain.url, "--signer", "stdin", "--yes", stdin="//Alice\n")
    assert again.exit_code == 1 and f"is not the sudo key {NEW}" in again.stderr
    assert nonce(chain, ALICE) == before

    # the new key acts: its preflight passes, and it hands sudo back for real
    dry = cli("add-validator", BOB, "--url", chain.url, "--signer", "stdin", "--dry-run", "--force", "--json", stdin=NEW_SEED + "\n")
    assert dry.exit_code == 0, dry.stderr
    back = cli("set-sudo", ALICE, "--url", chain.url, "--signer", "stdin", "--yes", "--wait", "included", stdin=NEW_SEED + "\n")
    assert back.exit_code == 0, back.stderr
    assert f"Sudo.Key is now {ALICE}" in back.stdout and "Sudo.KeyChanged" in back.stdout
    assert sudo_key(chain) == ALICE


def test_the_python_api_returns_the_read_back_key(chain):
    from fennel_gov.governance.api import SudoChange, connect

    alice = pair_from_suri("//Alice", "sr25519")
    with connect(chain.url) as net:
        change = net.set_sudo(NEW, signer=alice, wait="finalized")
    assert isinstance(change, SudoChange) and change.confirmed and change.sudo_on_chain == NEW
    assert change.receipt.success and change.old_sudo == ALICE
    with connect(chain.url) as net:
        back = net.set_sudo(ALICE, signer=pair_from_suri(NEW_SEED, "sr25519"))
    assert back.sudo_on_chain == ALICE


def test_a_rotate_sudo_call_signed_offline_hands_sudo_to_the_ceremonys_new_key(cli, chain, tmp_path):
    """ceremony rotate-sudo → tx build --call (online) → tx sign --spec (offline) → tx submit: Sudo.Key is the new key.
    Last in the module: holding the real genesis hash changes what every later signature must name."""
    from fennel_gov.ceremony.generate import CeremonyPlan, run_ceremony
    from fennel_gov.keys import SecretStr
    from fennel_gov.txfile.trusted import from_spec
    from tests.rpc_proxy import RealGenesisProxy
    from tests.test_offline_signing import SPEC

    plan = CeremonyPlan(network="net", validators=1, bootnodes=0)
    run_ceremony(plan, tmp_path / "old", {c: SecretStr("a long passphrase") for c in plan.custodians()})
    rotated = cli("ceremony", "rotate-sudo", tmp_path / "old", "--spec", SPEC, "--sudo-shares", "2-of-2", "-o", tmp_path / "new",
                  "--passphrases-stdin", "--allow-network", "--json", stdin="share one pass\nshare two pass\n")
    assert rotated.exit_code == 0, rotated.stderr
    new = rotated.json["new_sudo"]
    call = (tmp_path / "new" / "set-sudo-call.txt").read_text().strip()
    assert call == cli("set-sudo", new, "--url", chain.url, "--call-only").stdout.strip()  # what set-sudo would send

    genesis = from_spec(SPEC).genesis_hash
    chain.hold_genesis_hash(genesis)
    with RealGenesisProxy(chain.url, "0x" + genesis.hex()) as url:
        built = cli("tx", "build", "--call", call, "--signer", ALICE, "--url", url, "-o", tmp_path / "tx.json")
        assert built.exit_code == 0, built.stderr
        signed = cli("tx", "sign", tmp_path / "tx.json", "--spec", SPEC, "--signer", "stdin", "--yes", "--json",
                     stdin="//Alice\n")
        assert signed.exit_code == 0, signed.stderr
        assert signed.json["review"]["call"]["pallet"] == "Sudo" and signed.json["review"]["call"]["call"] == "set_key"
        submitted = cli("tx", "submit", signed.json["output"], "--url", url, "--json")
        assert submitted.exit_code == 0, submitted.stderr
        assert "Sudo.KeyChanged" in submitted.json["events"]
        assert cli("status", "--url", url, "--json").json["sudo"] == new
    recovered = cli("ceremony", "recover-sudo", tmp_path / "new", "--share", "sudo-share-1", "--share", "sudo-share-2",
                    "--passphrases-stdin", "--allow-network", "--json", stdin="share one pass\nshare two pass\n")
    assert recovered.json["sudo"] == new  # the custodians hold the key that is now sudo
