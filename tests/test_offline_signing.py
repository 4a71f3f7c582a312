"""Offline signing that a compromised online machine cannot fool: the file is held against the
signer's own runtime (Fennel's real spec and runtimes), forged files are refused, every signed
field is shown, and a malformed file is refused naming its field."""

from __future__ import annotations

import copy
import json

import pytest

from fennel_gov._codec import blake2_256
from fennel_gov.keys import pair_from_suri, ss58
from tests.conftest import FIXTURES

SPEC = FIXTURES / "development-raw.json"
PRODUCTION_SPEC = FIXTURES / "production-raw.json"
RUNTIME = FIXTURES / "runtimes" / "fennel-v102.compact.compressed.wasm"
OTHER_RUNTIME = FIXTURES / "runtimes" / "solochain-runtime-v101.compact.compressed.wasm"
ALICE = pair_from_suri("//Alice", "sr25519")
BOB = pair_from_suri("//Bob", "sr25519")
ATTACKER = pair_from_suri("//Mallory", "sr25519")
FNL = 10**12


def register_bob() -> bytes:
    """Sudo.sudo(ValidatorManager.register_validators([Bob])): pallet 6 call 0, pallet 7 call 0."""
    return bytes([6, 0, 7, 0, 4]) + BOB.account_id


def set_key(account: bytes) -> bytes:
    """Sudo.set_key(MultiAddress::Id(account)): pallet 6 call 2."""
    return bytes([6, 2, 0]) + account


@pytest.fixture(scope="module")
def trusted():
    from fennel_gov.txfile.trusted import from_spec

    if not SPEC.exists():
        pytest.skip("the golden spec is not present")
    return from_spec(SPEC)


def unsigned_document(trusted, call: bytes, *, signer=ALICE, nonce=0, tip=0, period=64, current=1000) -> dict:
    """A legitimate unsigned file, as 'tx build' writes it for the development chain."""
    from fennel_gov.txfile.payload import encode_era

    era = {"immortal": True}
    if period:
        era = {"period": period, "current": current, "birth_block": encode_era(period, current)[1], "birth_hash": "0x" + "ab" * 32}
    return {
        "format": "fennel-gov-unsigned-tx/1",
        "chain": {"genesis_hash": "0x" + trusted.genesis_hash.hex(), "spec_name": "fennel", "spec_version": 102,
                  "transaction_version": 1, "ss58_format": 42},
        "signer": ss58.encode(signer.account_id, 42), "nonce": nonce, "tip": str(tip), "era": era,
        "extensions": list(trusted.extensions), "call_data": "0x" + call.hex(), "description": "Sudo.sudo",
        "metadata": "0x" + trusted.metadata.hex(), "metadata_hash": "0x" + blake2_256(trusted.metadata).hex(),
    }


def forged_metadata(raw: bytes) -> bytes:
    """The metadata rewritten so that ``Sudo.set_key(x)`` decodes as ``ValidatorManager.register_validators``:
    pallet 6 renamed ValidatorManager, its set_key variant renamed register_validators, the field renamed."""
    from fennel_gov.runtime.metadata import RuntimeMetadata

    metadata = RuntimeMetadata(raw)
    value = copy.deepcopy(metadata.scale.value)
    v14 = value[1]["V14"]
    for pallet in v14["pallets"]:
        if pallet["name"] == "Sudo":
            pallet["name"], calls = "ValidatorManager", pallet["calls"]["ty"]
        elif pallet["name"] == "ValidatorManager":
            pallet["name"] = "Sudo"
    for entry in v14["types"]["types"]:
        if entry["id"] == calls:
            for variant in entry["type"]["def"]["variant"]["variants"]:
                if variant["name"] == "set_key":
                    variant["name"] = "register_validators"
                    variant["fields"][0]["name"] = "validators"
                    variant["fields"][0]["typeName"] = "Vec<T::AccountId>"
    return bytes(metadata._config.create_scale_object("MetadataVersioned").encode(value).data)


def write(tmp_path, document, name="tx.json"):
    path = tmp_path / name
    path.write_text(json.dumps(document))
    return path


def sign(cli, path, *extra, trust=("--spec", SPEC), signer="//Alice"):
    return cli("tx", "sign", path, *trust, "--signer", "stdin", "--yes", *extra, stdin=signer + "\n")


def test_the_forged_metadata_really_fools_a_signer_that_decodes_with_the_files_metadata(trusted):
    from fennel_gov.runtime.metadata import RuntimeMetadata
    from fennel_gov.txfile.review import decode_call

    forged = decode_call(set_key(ATTACKER.account_id), RuntimeMetadata(forged_metadata(trusted.metadata), 42, bytes_as_hex=True))
    assert (forged["call_module"], forged["call_function"]) == ("ValidatorManager", "register_validators")
    honest = decode_call(set_key(ATTACKER.account_id), trusted.decoded_metadata)
    assert (honest["call_module"], honest["call_function"]) == ("Sudo", "set_key")


def test_a_legitimate_file_signs_and_the_json_carries_the_review_next_to_the_signature(cli, tmp_path, trusted):
    from fennel_gov.keys import verify
    from fennel_gov.txfile.fields import UnsignedTx
    from fennel_gov.txfile.payload import signing_payload

    document = unsigned_document(trusted, register_bob(), nonce=7, tip=FNL // 2)
    path = write(tmp_path, document)
    done = sign(cli, path, "--max-tip", "1", "--json")
    assert done.exit_code == 0, done.stderr
    review = done.json["review"]
    assert review["network"] == {"name": "Custom", "chain_type": "Live", "spec_name": "fennel"}
    assert review["genesis_hash"] == "0x629e44454b757046582d3b23d223f38fcc07123f42d33f850effacb98d39ffdb"
    assert review["genesis_hash_checked"] is True
    assert (review["spec_version"], review["transaction_version"], review["nonce"]) == (102, 1, 7)
    assert review["signer"] == "5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY"
    assert review["tip"]["units"] == str(FNL // 2) and review["tip"]["amount"] == "0.5 FNL"
    assert review["era"] == {"kind": "mortal", "period": 64, "phase": 40, "birth_block": 1000, "valid_before_block": 1064,
                             "birth_hash": "0x" + "ab" * 32, "birth_hash_checked": False}
    assert review["call"] == {"pallet": "Sudo", "call": "sudo", "args": {"call": {
        "pallet": "ValidatorManager", "call": "register_validators",
        "args": {"validators": ["5FHneW46xGXgs5mUiveU4sbTyGBzmstUspZC92UhjJM694ty"]}}}}
    # The signature is Alice's over exactly the payload of the file's fields.
    payload = signing_payload(UnsignedTx.from_json(document))
    assert verify(ALICE.scheme, ALICE.public, payload, bytes.fromhex(done.json["signature"][2:]))
    signed = json.loads((tmp_path / "tx.signed.json").read_text())
    assert signed["review"] == review and signed["description"] == "Sudo.sudo"


def test_the_review_shows_the_tip_in_fnl_and_balances_in_fnl(cli, tmp_path, trusted):
    # Sudo.sudo(Balances.force_set_balance(Bob, 1234.5 FNL)): pallet 4 call 8, compact balance.
    from fennel_gov._codec import encode_compact

    call = bytes([6, 0, 4, 8, 0]) + BOB.account_id + encode_compact(1234 * FNL + FNL // 2)
    path = write(tmp_path, unsigned_document(trusted, call, tip=100_000 * FNL))
    done = sign(cli, path, "--max-tip", "100000")
    assert done.exit_code == 0, done.stderr
    assert "Tip:" in done.stdout and "100,000 FNL (100000000000000000 units" in done.stdout
    assert "new_free: 1,234.5 FNL (1234500000000000 units)" in done.stdout
    assert "Custom (Live)" in done.stdout and "computed from the chain spec" in done.stdout


FORGERIES = {
    "metadata rewritten, hash recomputed": lambda d, t: d.update(
        call_data="0x" + set_key(ATTACKER.account_id).hex(), metadata="0x" + forged_metadata(t.metadata).hex(),
        metadata_hash="0x" + blake2_256(forged_metadata(t.metadata)).hex()),
    "metadata rewritten, hash removed": lambda d, t: (d.update(
        call_data="0x" + set_key(ATTACKER.account_id).hex(), metadata="0x" + forged_metadata(t.metadata).hex()), d.pop("metadata_hash")),
    "metadata rewritten, hash left": lambda d, t: d.update(metadata="0x" + forged_metadata(t.metadata).hex()),
    "spec_version": lambda d, t: d["chain"].update(spec_version=103),
    "transaction_version": lambda d, t: d["chain"].update(transaction_version=2),
    "spec_name": lambda d, t: d["chain"].update(spec_name="solochain-runtime"),
    "genesis hash": lambda d, t: d["chain"].update(genesis_hash="0x" + "11" * 32),
    "era phase": lambda d, t: d["era"].update(current=d["era"]["current"] + 5),
    "extensions": lambda d, t: d.update(extensions=[e for e in d["extensions"] if e != "ChargeTransactionPayment"]),
    "tip above the limit": lambda d, t: d.update(tip=str(100_000 * FNL)),
}


@pytest.mark.parametrize("forgery", sorted(FORGERIES))
def test_a_forged_file_is_refused_and_nothing_is_written(cli, tmp_path, trusted, forgery):
    document = unsigned_document(trusted, register_bob())
    FORGERIES[forgery](document, trusted)
    path = write(tmp_path, document)
    done = sign(cli, path)
    assert done.exit_code == 1, (forgery, done.stdout, done.stderr)
    assert "do not sign" in done.stderr.lower() or "not sign" in done.stderr.lower()
    assert "Sign" not in done.stdout and "You are signing" not in done.stdout
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tx.json"]


def test_a_file_for_another_network_is_refused_by_the_computed_genesis_hash(cli, tmp_path, trusted):
    # The production spec runs a different genesis (and runtime build): the development file is not for it.
    path = write(tmp_path, unsigned_document(trusted, register_bob()))
    done = sign(cli, path, trust=("--spec", PRODUCTION_SPEC))
    assert done.exit_code == 1 and "genesis hash differs from the one computed here" in done.stderr


def test_a_runtime_alone_is_trusted_for_metadata_and_versions_but_says_the_genesis_is_unchecked(cli, tmp_path, trusted):
    path = write(tmp_path, unsigned_document(trusted, register_bob()))
    done = sign(cli, path, "--json", trust=("--runtime", RUNTIME))
    assert done.exit_code == 0, done.stderr
    review = done.json["review"]
    assert review["genesis_hash_checked"] is False and review["network"]["name"] is None
    assert "no chain spec was given" in review["tip"]["decimals_from"]
    assert review["runtime"]["code_hash"] == "0xbdb39fb4898cea70ea775026d36cd90187bd981a58378c6fea6b034b9f7736c7"
    human = sign(cli, path, "-o", tmp_path / "again.json", trust=("--runtime", RUNTIME))
    assert "NOT checked" in human.stdout
    other = sign(cli, path, "-o", tmp_path / "other.json", trust=("--runtime", OTHER_RUNTIME))
    assert other.exit_code == 1 and not (tmp_path / "other.json").exists()


def test_without_a_trusted_runtime_signing_is_refused_unless_explicitly_named(cli, tmp_path, trusted):
    path = write(tmp_path, unsigned_document(trusted, register_bob()))
    refused = sign(cli, path, trust=())
    assert refused.exit_code == 2 and "--spec" in refused.stderr and "--runtime" in refused.stderr
    assert not (tmp_path / "tx.signed.json").exists()
    forged = unsigned_document(trusted, set_key(ATTACKER.account_id))
    forged["metadata"] = "0x" + forged_metadata(trusted.metadata).hex()
    forged.pop("metadata_hash")
    risky = sign(cli, write(tmp_path, forged, "forged.json"), "--json", trust=("--trust-file-metadata",))
    # This is the hole the flag opens, and why it warns: the forged call shows as the expected one.
    assert risky.exit_code == 0 and "WARNING: --trust-file-metadata" in risky.stderr
    assert risky.json["review"]["trusted"] is False and risky.json["review"]["call"]["pallet"] == "ValidatorManager"


def test_both_trusted_sources_at_once_are_refused(cli, tmp_path, trusted):
    path = write(tmp_path, unsigned_document(trusted, register_bob()))
    assert sign(cli, path, trust=("--spec", SPEC, "--runtime", RUNTIME)).exit_code == 2


def _set(path: str, value):
    def change(document):
        *parents, last = path.split(".")
        target = document
        for part in parents:
            target = target[part]
        if value is _DELETE:
            del target[last]
        else:
            target[last] = value
    return change


_DELETE = object()
STRICT = [
    ("nonce", -1), ("nonce", 2**32), ("nonce", "1"), ("nonce", True), ("nonce", 1.0), ("nonce", _DELETE),
    ("tip", "-1"), ("tip", -1), ("tip", str(2**128)), ("tip", 2**128), ("tip", "1e3"), ("tip", " 1"), ("tip", None),
    ("chain.genesis_hash", "0x" + "11" * 31), ("chain.genesis_hash", "11" * 32), ("chain.genesis_hash", "0x" + "zz" * 32),
    ("chain.spec_version", -1), ("chain.spec_version", "102"), ("chain.ss58_format", 2**16), ("chain.extra", 1),
    ("era.period", 3), ("era.period", 100), ("era.period", 131072), ("era.period", 2), ("era.current", -5),
    ("era.birth_hash", "0x00"), ("era.extra", 1), ("era", []),
    ("signer", "5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQZ"), ("signer", 42),
    ("call_data", "0x" + (register_bob() + b"\x00").hex()), ("call_data", "0x"), ("call_data", "0xff00"),
    ("metadata", "meta"), ("metadata_hash", "0x1234"), ("extensions", "CheckNonce"), ("extensions", [1]),
    ("fee", "0"), ("format", "fennel-gov-unsigned-tx/2"), ("chain", None),
]


@pytest.mark.parametrize(("field", "value"), STRICT, ids=[f"{f}={v!r}"[:40] for f, v in STRICT])
def test_a_malformed_field_is_refused_with_exit_2_naming_it(cli, tmp_path, trusted, field, value):
    document = unsigned_document(trusted, register_bob())
    _set(field, value)(document)
    done = sign(cli, write(tmp_path, document))
    assert done.exit_code == 2, (done.stdout, done.stderr)
    assert f"field '{field}" in done.stderr and "internal error" not in done.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tx.json"]


def test_a_file_from_before_snake_case_signs_and_one_naming_the_prefix_twice_is_refused(cli, tmp_path, trusted):
    document = unsigned_document(trusted, register_bob())
    document["chain"]["ss58Format"] = document["chain"].pop("ss58_format")  # as fennel-gov wrote it before
    done = sign(cli, write(tmp_path, document), "-o", tmp_path / "old.signed.json")
    assert done.exit_code == 0, done.stderr
    document["chain"]["ss58_format"] = 42
    twice = sign(cli, write(tmp_path, document), "-o", tmp_path / "twice.signed.json")
    assert twice.exit_code == 2 and "chain.ss58Format' and chain.ss58_format are one field" in twice.stderr
    del document["chain"]["ss58Format"], document["chain"]["ss58_format"]
    missing = sign(cli, write(tmp_path, document), "-o", tmp_path / "none.signed.json")
    assert missing.exit_code == 2 and "chain.ss58_format' is missing" in missing.stderr


def test_a_document_that_is_not_an_object_is_refused(cli, tmp_path):
    for document in ([], "x", 1, None):
        done = sign(cli, write(tmp_path, document))
        assert done.exit_code == 2 and "internal error" not in done.stderr


def test_submit_checks_the_signed_file_before_it_connects(cli, tmp_path, trusted):
    path = write(tmp_path, unsigned_document(trusted, register_bob()))
    assert sign(cli, path).exit_code == 0
    signed = json.loads((tmp_path / "tx.signed.json").read_text())
    altered = dict(signed, extrinsic=signed["extrinsic"][:-2] + "00")
    # Port 9 (discard) on loopback: never reached, the file is refused first.
    done = cli("tx", "submit", write(tmp_path, altered, "altered.json"), "--url", "ws://127.0.0.1:9")
    assert done.exit_code == 1 and "extrinsic_hash" in done.stderr
    unknown = cli("tx", "submit", write(tmp_path, dict(signed, extra=1), "unknown.json"), "--url", "ws://127.0.0.1:9")
    assert unknown.exit_code == 2 and "'extra'" in unknown.stderr
    short = dict(signed, chain=dict(signed["chain"], genesis_hash="0x11"))
    bad = cli("tx", "submit", write(tmp_path, short, "short.json"), "--url", "ws://127.0.0.1:9")
    assert bad.exit_code == 2 and "'chain.genesis_hash'" in bad.stderr


def test_submit_takes_the_nonce_and_signer_from_the_extrinsic_and_refuses_a_file_that_says_otherwise(cli, tmp_path, trusted):
    from fennel_gov._codec import encode_compact
    from fennel_gov.txfile.fields import SignedTx

    document = unsigned_document(trusted, register_bob())
    document["nonce"] = 300  # a two-byte compact: the decoder must find it after the era
    path = write(tmp_path, document)
    assert sign(cli, path).exit_code == 0
    signed = json.loads((tmp_path / "tx.signed.json").read_text())
    assert SignedTx.from_json(signed).nonce == 300
    assert SignedTx.from_json({k: v for k, v in signed.items() if k != "nonce"}).nonce == 300

    def rehashed(extrinsic: bytes) -> dict:
        return dict(signed, extrinsic="0x" + extrinsic.hex(), extrinsic_hash="0x" + blake2_256(extrinsic).hex())

    cases = {
        "says": (dict(signed, nonce=299), 1, "says nonce 299, its extrinsic carries 300"),
        "signer": (dict(signed, signer=ss58.encode(BOB.account_id, 42)), 1, "signed by another account"),
    }
    body = bytes.fromhex(signed["extrinsic"][2:])[2:]  # without its two-byte compact length
    cases["unsigned"] = (rehashed(encode_compact(len(body)) + b"\x04" + body[1:]), 2, "is not a signed v4 extrinsic")
    cases["length"] = (rehashed(encode_compact(len(body) + 1) + body), 2, "is not as long as its length prefix says")
    for name, (document, code, message) in cases.items():
        done = cli("tx", "submit", write(tmp_path, document, f"{name}.json"), "--url", "ws://127.0.0.1:9")
        assert done.exit_code == code and message in done.stderr, (name, done.stderr)


def test_the_extension_encoding_takes_a_metadata_hash_for_enabled_mode(trusted):
    from fennel_gov.txfile.fields import UnsignedTx
    from fennel_gov.txfile.payload import extension_data

    tx = UnsignedTx.from_json(unsigned_document(trusted, register_bob()))
    disabled_extra, disabled_additional = extension_data(tx)
    enabled_extra, enabled_additional = extension_data(tx, b"\x42" * 32)
    # CheckMetadataHash is the last extension with data: mode byte in the extra, Option<hash> in the additional.
    assert disabled_extra[-1:] == b"\x00" and enabled_extra[-1:] == b"\x01" and disabled_extra[:-1] == enabled_extra[:-1]
    assert disabled_additional[-1:] == b"\x00" and enabled_additional[-33:] == b"\x01" + b"\x42" * 32


def _free_balance(url: str, account: bytes) -> int:
    from fennel_gov._codec import blake2_128
    from fennel_gov.chainspec.state import twox128
    from tests.chopsticks import rpc

    key = twox128(b"System") + twox128(b"Account") + blake2_128(account) + account
    value = rpc(url, "state_getStorage", ["0x" + key.hex()])
    # AccountInfo: nonce, consumers, providers, sufficients (u32 each), then AccountData.free (u128).
    return int.from_bytes(bytes.fromhex(value[2:])[16:32], "little") if value else 0


@pytest.mark.chain
def test_a_file_built_online_signs_offline_and_takes_effect_while_its_forgeries_are_refused(cli, tmp_path, trusted):
    import pytest_socket

    from fennel_gov._codec import encode_compact
    from tests.chopsticks import Chopsticks
    from tests.rpc_proxy import RealGenesisProxy

    charlie = pair_from_suri("//Charlie", "sr25519")
    amount = 1234 * FNL + FNL // 2
    # Sudo.sudo(Balances.force_set_balance(Charlie, 1234.5 FNL)): its effect is plain in storage.
    call = bytes([6, 0, 4, 8, 0]) + charlie.account_id + encode_compact(amount)
    node = Chopsticks(tmp_path / "chopsticks.log", spec=SPEC)
    try:
        node.hold_genesis_hash(trusted.genesis_hash)
        with RealGenesisProxy(node.url, "0x" + trusted.genesis_hash.hex()) as url:
            unsigned = tmp_path / "tx.json"
            built = cli("tx", "build", "--call", "0x" + call.hex(), "--signer", ss58.encode(ALICE.account_id, 42), "--url", url,
                        "--era-period", "64", "-o", unsigned)
            assert built.exit_code == 0, built.stderr
            document = json.loads(unsigned.read_text())
            assert document["chain"]["genesis_hash"] == "0x" + trusted.genesis_hash.hex()
            forgeries = tmp_path / "forged"
            forgeries.mkdir()
            pytest_socket.disable_socket()
            try:
                for name, forge in FORGERIES.items():
                    forged = copy.deepcopy(document)
                    forge(forged, trusted)
                    refused = sign(cli, write(forgeries, forged))
                    assert refused.exit_code == 1, (name, refused.stderr)
                assert sorted(p.name for p in forgeries.iterdir()) == ["tx.json"]
                signed = sign(cli, unsigned, "--json")
            finally:
                pytest_socket.enable_socket()
            assert signed.exit_code == 0, signed.stderr
            review = signed.json["review"]
            assert review["call"]["args"]["call"]["args"]["new_free"] == {"units": str(amount), "amount": "1,234.5 FNL"}
            assert review["tip"]["amount"] == "0 FNL" and review["era"]["period"] == 64
            assert _free_balance(node.url, charlie.account_id) == 0
            submitted = cli("tx", "submit", signed.json["output"], "--url", url, "--json")
            assert submitted.exit_code == 0, submitted.stderr
        assert "Sudo.Sudid" in submitted.json["events"] and submitted.json["success"] is True
        assert _free_balance(node.url, charlie.account_id) == amount
        # tx build checks the node's answers as strictly as the signer does: no file from a bad nonce.
        for nonce in (2**32, -1, "7"):
            with RealGenesisProxy(node.url, "0x" + trusted.genesis_hash.hex(), {"system_accountNextIndex": nonce}) as url:
                bad = cli("tx", "build", "--call", "0x" + call.hex(), "--signer", ss58.encode(ALICE.account_id, 42), "--url", url,
                          "-o", tmp_path / "bad.json")
            assert bad.exit_code == 2 and "'nonce'" in bad.stderr, bad.stderr
            assert not (tmp_path / "bad.json").exists()
        # --metadata-hash: the node's metadata gives Fennel v102's RFC-78 digest, the signer recomputes the
        # same one; Fennel's runtime, built without the metadata-hash feature, refuses Enabled mode.
        with RealGenesisProxy(node.url, "0x" + trusted.genesis_hash.hex()) as url:
            enabled = tmp_path / "enabled.json"
            built = cli("tx", "build", "--call", "0x" + call.hex(), "--signer", ss58.encode(ALICE.account_id, 42), "--url", url,
                        "--metadata-hash", "-o", enabled)
            assert built.exit_code == 0, built.stderr
            assert json.loads(enabled.read_text())["check_metadata_hash"] == "0x" + FENNEL_V102_DIGEST.hex()
            signed = sign(cli, enabled, "--json")
            assert signed.exit_code == 0, signed.stderr
            assert signed.json["review"]["check_metadata_hash"]["mode"] == "enabled"
            refused = cli("tx", "submit", signed.json["output"], "--url", url, "--json")
            assert refused.exit_code == 1, refused.stdout + refused.stderr
    finally:
        node.stop()


@pytest.mark.chain
def test_tx_submit_reports_a_nonce_another_transaction_used_at_once(cli, tmp_path, trusted):
    """Two files signed with the same nonce: the second is refused before it is sent once the first
    has landed; and one replaced in the pool by another with its nonce is reported as displaced at
    once, not after the timeout."""
    from fennel_gov._codec import encode_bytes
    from tests.chopsticks import Chopsticks
    from tests.rpc_proxy import RealGenesisProxy

    alice = ss58.encode(ALICE.account_id, 42)
    node = Chopsticks(tmp_path / "chopsticks.log", spec=SPEC)
    try:
        node.hold_genesis_hash(trusted.genesis_hash)
        genesis = "0x" + trusted.genesis_hash.hex()

        def signed_remark(text: str) -> dict:
            # System.remark(text), signed offline with the nonce the node gives now.
            unsigned = tmp_path / f"{text}.json"
            with RealGenesisProxy(node.url, genesis) as url:
                built = cli("tx", "build", "--call", "0x0000" + encode_bytes(text.encode()).hex(), "--signer", alice,
                            "--url", url, "--era-period", "64", "-o", unsigned)
            assert built.exit_code == 0, built.stderr
            signed = sign(cli, unsigned, "--json")
            assert signed.exit_code == 0, signed.stderr
            return json.loads((tmp_path / signed.json["output"]).read_text()) | {"path": signed.json["output"]}

        first, second = signed_remark("first"), signed_remark("second")
        nonce = first["nonce"]
        assert second["nonce"] == nonce
        with RealGenesisProxy(node.url, genesis) as url:
            landed = cli("tx", "submit", first["path"], "--url", url, "--wait", "included", "--json")
            assert landed.exit_code == 0, landed.stderr
            late = cli("tx", "submit", second["path"], "--url", url, "--wait", "included")
        assert late.exit_code == 1 and late.stderr == (
            f"error: the transaction's nonce {nonce} was already used by another transaction from {alice} (its next nonce "
            f"is {nonce + 1}): it can never be included; build, sign and submit a new one\n")

        third, fourth = signed_remark("third"), signed_remark("fourth")
        assert third["nonce"] == fourth["nonce"] == nonce + 1
        with RealGenesisProxy(node.url, genesis, submit_instead=fourth["extrinsic"]) as url:
            # Without the nonce the command could only wait out its --timeout (then say "not included").
            displaced = cli("tx", "submit", third["path"], "--url", url, "--wait", "included", "--timeout", "60")
        assert displaced.exit_code == 1 and displaced.stderr == (
            f"error: extrinsic {third['extrinsic_hash']} was displaced: another transaction from {alice} with the same nonce "
            f"({nonce + 1}) landed instead; nothing from this command is on chain — run it again\n")
    finally:
        node.stop()


def test_call_bytes_that_would_redraw_the_terminal_are_shown_as_hex(trusted):
    from fennel_gov._codec import encode_bytes
    from fennel_gov.txfile.review import decode_call, review
    from fennel_gov.txfile.fields import UnsignedTx

    # Sudo.sudo(System.remark(b"\x1b[2J...")): an escape that clears the screen must not reach it.
    tx = UnsignedTx.from_json(unsigned_document(trusted, bytes([6, 0, 0, 0]) + encode_bytes(b"\x1b[2Jall is well")))
    shown = review(tx, trusted)
    assert shown.call["args"]["call"]["args"]["remark"] == "0x" + b"\x1b[2Jall is well".hex()
    plain = decode_call(bytes([0, 0]) + encode_bytes(b"all is well"), trusted.decoded_metadata)
    assert plain["call_args"][0]["value"] == "0x" + b"all is well".hex()  # bytes are hex, text or not


def test_hex_bytes_are_an_option_of_one_metadata_not_of_the_process(trusted):
    from scalecodec.base import ScaleBytes

    from fennel_gov._codec import encode_bytes
    from fennel_gov.runtime.metadata import RuntimeMetadata
    from fennel_gov.txfile.review import decode_call

    remark = bytes([0, 0]) + encode_bytes(b"all is well")
    assert decode_call(remark, trusted.decoded_metadata)["call_args"][0]["value"] == "0x" + b"all is well".hex()
    other = RuntimeMetadata(trusted.metadata, 42)  # made after, and used for anything but a review
    call = other._config.create_scale_object("Call", data=ScaleBytes(remark), metadata=other.scale)
    assert call.decode()["call_args"][0]["value"] == "all is well"
    with pytest.raises(ValueError, match="bytes_as_hex"):
        decode_call(remark, other)


def test_with_the_files_own_metadata_an_altered_metadata_hash_is_still_refused(cli, tmp_path, trusted):
    document = unsigned_document(trusted, register_bob())
    document["metadata_hash"] = "0x" + "00" * 32
    done = sign(cli, write(tmp_path, document), trust=("--trust-file-metadata",))
    assert done.exit_code == 1 and "metadata_hash" in done.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tx.json"]


def test_a_plain_spec_and_a_plain_wasm_are_trusted_too(cli, tmp_path, trusted):
    from fennel_gov.chainspec.spec import ChainSpec

    path = write(tmp_path, unsigned_document(trusted, register_bob()))
    plain = sign(cli, path, "--json", "-o", tmp_path / "a.json", trust=("--spec", FIXTURES / "development.json"))
    assert plain.exit_code == 0, plain.stderr
    assert plain.json["review"]["genesis_hash_checked"] is True
    wasm = tmp_path / "runtime.wasm"
    wasm.write_bytes(ChainSpec.load(SPEC).code)
    bare = sign(cli, path, "--json", "-o", tmp_path / "b.json", trust=("--runtime", wasm))
    assert bare.exit_code == 0, bare.stderr
    assert bare.json["review"]["runtime"]["code_hash"] == "0x" + trusted.code_hash.hex()


def test_each_metadata_decodes_with_its_own_registry_and_prefix(trusted):
    # scalecodec's RuntimeConfiguration is a process-wide singleton: a second metadata would share (and
    # overwrite) the first one's types and keep its SS58 prefix. Each RuntimeMetadata must stand alone.
    from fennel_gov.runtime.metadata import RuntimeMetadata
    from fennel_gov.txfile.review import decode_call

    forged = RuntimeMetadata(forged_metadata(trusted.metadata), 42, bytes_as_hex=True)
    polkadot = RuntimeMetadata(trusted.metadata, 0, bytes_as_hex=True)
    assert decode_call(set_key(BOB.account_id), forged)["call_function"] == "register_validators"
    assert decode_call(set_key(BOB.account_id), polkadot)["call_args"][0]["value"] == ss58.encode(BOB.account_id, 0)
    assert decode_call(set_key(BOB.account_id), trusted.decoded_metadata)["call_function"] == "set_key"
    assert decode_call(set_key(BOB.account_id), forged)["call_function"] == "register_validators"


@pytest.mark.parametrize("limit", ["-1", "sNaN", "Infinity", "0.0000000000001", "ten"])
def test_a_max_tip_that_is_not_an_amount_is_refused(cli, tmp_path, trusted, limit):
    done = sign(cli, write(tmp_path, unsigned_document(trusted, register_bob())), "--max-tip", limit)
    assert done.exit_code == 2 and "--max-tip" in done.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tx.json"]


# --- CheckMetadataHash in Enabled mode (RFC-78): the signer recomputes the digest itself ---------------

# Fennel v102's RFC-78 digest with FNL and 12 decimals: tests/test_metadata_hash.py pins it against
# @polkadot-api/merkleize-metadata.
FENNEL_V102_DIGEST = bytes.fromhex("4f89e1c26f05f6c070faa460b893e761f61f4370226e752a556e5f0ffebfa09b")


def test_enabled_metadata_hash_is_recomputed_from_the_trusted_runtime_and_signed(cli, tmp_path, trusted):
    from fennel_gov.keys import verify
    from fennel_gov.txfile.fields import UnsignedTx
    from fennel_gov.txfile.payload import signing_payload

    document = unsigned_document(trusted, register_bob()) | {"check_metadata_hash": "0x" + FENNEL_V102_DIGEST.hex()}
    run = sign(cli, write(tmp_path, document), "--json")
    assert run.exit_code == 0, run.stderr
    assert run.json["review"]["check_metadata_hash"] == {"mode": "enabled", "hash": "0x" + FENNEL_V102_DIGEST.hex()}
    tx = UnsignedTx.from_json(document)
    signature = bytes.fromhex(run.json["signature"][2:])
    # signed over the payload with Some(digest) in the additional data; not over the Disabled one
    assert verify(ALICE.scheme, ALICE.public, signing_payload(tx, FENNEL_V102_DIGEST), signature)
    assert not verify(ALICE.scheme, ALICE.public, signing_payload(tx, None), signature)
    enabled = bytes.fromhex(json.loads((tmp_path / "tx.signed.json").read_text())["extrinsic"][2:])
    assert sign(cli, write(tmp_path, unsigned_document(trusted, register_bob()), "d.json")).exit_code == 0
    disabled = bytes.fromhex(json.loads((tmp_path / "d.signed.json").read_text())["extrinsic"][2:])
    # the same extrinsic but for the signature and CheckMetadataHash's mode byte (0 → 1) in the extras
    assert len(enabled) == len(disabled)
    differing = [i for i in range(len(enabled)) if enabled[i] != disabled[i] and not 37 <= i < 37 + 65]
    assert [(disabled[i], enabled[i]) for i in differing] == [(0, 1)]


def test_a_metadata_hash_other_than_the_trusted_runtimes_is_refused(cli, tmp_path, trusted):
    wrong = bytes(32)
    document = unsigned_document(trusted, register_bob()) | {"check_metadata_hash": "0x" + wrong.hex()}
    run = sign(cli, write(tmp_path, document))
    assert run.exit_code == 1
    assert "metadata hash (RFC-78" in run.stderr and FENNEL_V102_DIGEST.hex() in run.stderr
    assert not (tmp_path / "tx.signed.json").exists()


def test_enabled_mode_cannot_be_signed_on_the_files_word(cli, tmp_path, trusted):
    document = unsigned_document(trusted, register_bob()) | {"check_metadata_hash": "0x" + FENNEL_V102_DIGEST.hex()}
    run = sign(cli, write(tmp_path, document), trust=("--trust-file-metadata",))
    assert run.exit_code == 2 and "--spec or --runtime" in run.stderr
    assert not (tmp_path / "tx.signed.json").exists()


def test_byte_arguments_are_shown_as_hex_so_text_cannot_pose_as_bytes(trusted):
    from fennel_gov._codec import encode_bytes
    from fennel_gov.txfile.fields import UnsignedTx
    from fennel_gov.txfile.review import review

    # Sudo.sudo(System.remark(...)): the text "0xdeadbeef" and the bytes de ad be ef must not look alike
    as_text = review(UnsignedTx.from_json(unsigned_document(trusted, bytes([6, 0, 0, 0]) + encode_bytes(b"0xdeadbeef"))), trusted)
    as_bytes = review(UnsignedTx.from_json(unsigned_document(trusted, bytes([6, 0, 0, 0]) + encode_bytes(bytes.fromhex("deadbeef")))), trusted)
    assert as_bytes.call["args"]["call"]["args"]["remark"] == "0xdeadbeef"
    assert as_text.call["args"]["call"]["args"]["remark"] == "0x" + b"0xdeadbeef".hex()
    # and scalecodec decodes text as text again afterwards (other commands share it)
    from fennel_gov.runtime.metadata import RuntimeMetadata  # noqa: F401 - loaded above
    from scalecodec.types import Vec

    assert Vec.process.__qualname__ == "Vec.process"


@pytest.mark.parametrize("max_tip", ["1e999999999", "1e-999999999", "0x10", "1.2.3", ""])
def test_max_tip_takes_plain_decimals_only(cli, tmp_path, trusted, max_tip):
    run = sign(cli, write(tmp_path, unsigned_document(trusted, register_bob())), "--max-tip", max_tip)
    assert run.exit_code == 2 and "--max-tip" in run.stderr and "internal error" not in run.stderr
    assert not (tmp_path / "tx.signed.json").exists()


def test_era_block_numbers_beyond_u32_are_refused_and_the_review_names_the_signed_phase(cli, tmp_path, trusted):
    from fennel_gov.txfile.payload import encode_era

    document = unsigned_document(trusted, register_bob())
    document["era"]["current"] = 2**40
    document["era"]["birth_block"] = encode_era(64, 2**40)[1]
    run = sign(cli, write(tmp_path, document))
    assert run.exit_code == 2 and "era.current" in run.stderr
    shown = sign(cli, write(tmp_path, unsigned_document(trusted, register_bob()), "ok.json"))
    assert shown.exit_code == 0 and "phase 40 (what is signed)" in shown.stdout  # 1000 % 64
