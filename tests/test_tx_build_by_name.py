"""tx build --call Pallet.call NAME=VALUE…: a call composed by name, checked against the live runtime's metadata."""

from __future__ import annotations

import json

import pytest

from fennel_gov._codec import encode_compact
from fennel_gov.keys import pair_from_suri, ss58
from tests.conftest import FIXTURES

FNL = 10**12
ALICE = ss58.encode(pair_from_suri("//Alice", "sr25519").account_id, 42)
BOB = pair_from_suri("//Bob", "sr25519").account_id


@pytest.mark.chain
def test_a_transfer_and_a_sudo_call_are_built_by_name_and_shown_decoded(cli, tmp_path):
    from tests.chopsticks import Chopsticks

    node = Chopsticks(tmp_path / "chopsticks.log", spec=FIXTURES / "development-raw.json")
    try:
        common = ("--signer", ALICE, "--url", node.url)
        out = tmp_path / "transfer.json"
        run = cli("tx", "build", "--call", "Balances.transfer_keep_alive", f"dest={ss58.encode(BOB, 42)}", "value=10.5FNL",
                  *common, "-o", out, "--json")
        assert run.exit_code == 0, run.stderr
        # Balances is pallet 4, transfer_keep_alive call 3 (tests/fixtures/fennel-solonet/README.md); dest a MultiAddress::Id
        expected = bytes([4, 3, 0]) + BOB + encode_compact(10 * FNL + FNL // 2)
        assert json.loads(out.read_text())["call_data"] == "0x" + expected.hex()
        assert run.json["call"] == {"pallet": "Balances", "call": "transfer_keep_alive",
                                    "args": {"dest": ss58.encode(BOB, 42), "value": 10 * FNL + FNL // 2}}

        # an inner call by hex inside a call by name; the text output shows it nested
        sudo = cli("tx", "build", "--call", "Sudo.sudo", "call=0x" + expected.hex(), *common, "-o", tmp_path / "sudo.json")
        assert sudo.exit_code == 0, sudo.stderr
        assert "Sudo.sudo" in sudo.stdout and "  call: Balances.transfer_keep_alive" in sudo.stdout
        assert json.loads((tmp_path / "sudo.json").read_text())["call_data"] == "0x" + (bytes([6, 0]) + expected).hex()

        # plain units equal the same amount in FNL
        units = cli("tx", "build", "--call", "Balances.transfer_keep_alive", f"dest={ss58.encode(BOB, 42)}",
                    f"value={10 * FNL + FNL // 2}", *common, "-o", tmp_path / "units.json", "--json")
        assert units.json["call_data"] == "0x" + expected.hex()

        bad = {
            "unknown argument": ("Balances.transfer_keep_alive", f"to={ss58.encode(BOB, 42)}", "value=1FNL"),
            "missing argument": ("Balances.transfer_keep_alive", "value=1FNL"),
            "bad checksum": ("Balances.transfer_keep_alive", "dest=" + ss58.encode(BOB, 42)[:-1] + "x", "value=1FNL"),
            "other network": ("Balances.transfer_keep_alive", f"dest={ss58.encode(BOB, 0)}", "value=1FNL"),
            "bad amount": ("Balances.transfer_keep_alive", f"dest={ss58.encode(BOB, 42)}", "value=ten"),
            "too many decimals": ("Balances.transfer_keep_alive", f"dest={ss58.encode(BOB, 42)}", "value=0.0000000000001FNL"),
            "unknown call": ("Balances.transfer_everything",),
            "unknown pallet": ("Bank.transfer",),
        }
        for name, argv in bad.items():
            refused = cli("tx", "build", "--call", *argv, *common, "-o", tmp_path / "bad.json")
            assert refused.exit_code == 2, (name, refused.stderr)
            assert len(refused.stderr.strip().splitlines()) == 1, (name, refused.stderr)
        assert not (tmp_path / "bad.json").exists()
        assert "transfer_keep_alive" in cli("tx", "build", "--call", "Balances.transfer_everything", *common,
                                            "-o", tmp_path / "bad.json").stderr
    finally:
        node.stop()


@pytest.mark.chain
def test_tx_build_carries_the_metadata_it_read_once_and_asks_for_no_other(cli, chain, tmp_path, monkeypatch):
    from fennel_gov.txfile.trusted import from_spec
    from tests.fault_proxy import ForwardingProxy

    monkeypatch.setenv("FENNEL_GOV_CACHE_DIR", str(tmp_path / "cache"))
    proxy = ForwardingProxy(chain.url)
    with proxy as url:
        run = cli("tx", "build", "--call", "System.remark", "remark=0x00", "--signer", ALICE, "--url", url,
                  "-o", tmp_path / "tx.json")
    assert run.exit_code == 0, run.stderr
    assert proxy.counts["state_getMetadata"] == 1 and proxy.counts["state_call"] == 0, proxy.counts
    assert proxy.counts["state_getRuntimeVersion"] == 1, proxy.counts
    # ... and it is the V14 metadata of the runtime itself, byte for byte (what 'tx sign' compares)
    trusted = from_spec(FIXTURES / "development-raw.json")
    assert json.loads((tmp_path / "tx.json").read_text())["metadata"] == "0x" + trusted.metadata.hex()
