"""Unsigned tx files that the trusted runtime would not accept as they are: Enabled-mode metadata
hashes the runtime was not built with, and files made for another SS58 prefix."""

from __future__ import annotations

from fennel_gov.keys import ss58
from tests.test_offline_signing import (  # noqa: F401 - trusted is a fixture
    ALICE, FENNEL_V102_DIGEST, RUNTIME, register_bob, sign, trusted, unsigned_document, write,
)

NOT_EMBEDDED = "does not contain this metadata hash"


def test_enabled_mode_on_a_runtime_built_without_the_hash_warns_before_signing(cli, tmp_path, trusted):
    # Fennel v102 refuses Enabled mode (CannotLookup): tests/test_offline_signing.py submits one to chopsticks.
    document = unsigned_document(trusted, register_bob()) | {"check_metadata_hash": "0x" + FENNEL_V102_DIGEST.hex()}
    run = sign(cli, write(tmp_path, document), "--json")
    assert run.exit_code == 0, run.stderr
    warnings = run.json["review"]["warnings"]
    assert len(warnings) == 1 and NOT_EMBEDDED in warnings[0] and "without --metadata-hash" in warnings[0]
    assert NOT_EMBEDDED in run.stderr
    disabled = sign(cli, write(tmp_path, unsigned_document(trusted, register_bob()), "d.json"), "--json")
    assert disabled.json["review"]["warnings"] == []


def _custom_section(name: bytes, payload: bytes) -> bytes:
    def leb(n: int) -> bytes:
        out = bytearray()
        while True:
            byte, n = n & 0x7F, n >> 7
            out.append(byte | (0x80 if n else 0))
            if not n:
                return bytes(out)

    body = leb(len(name)) + name + payload
    return b"\x00" + leb(len(body)) + body


def test_enabled_mode_on_a_runtime_that_holds_the_hash_signs_without_a_warning(cli, tmp_path, trusted):
    from fennel_gov.runtime.code import decompress_code

    # v102 with the digest compiled in, as a build with the metadata-hash feature holds it.
    wasm = decompress_code(RUNTIME.read_bytes()) + _custom_section(b"metadata-hash", FENNEL_V102_DIGEST)
    runtime = tmp_path / "with-hash.wasm"
    runtime.write_bytes(wasm)
    document = unsigned_document(trusted, register_bob()) | {"check_metadata_hash": "0x" + FENNEL_V102_DIGEST.hex()}
    run = sign(cli, write(tmp_path, document), "--json", trust=("--runtime", runtime))
    assert run.exit_code == 0, run.stderr
    assert not any(NOT_EMBEDDED in w for w in run.json["review"]["warnings"])


def test_a_file_for_another_ss58_prefix_is_refused(cli, tmp_path, trusted):
    document = unsigned_document(trusted, register_bob())
    document["chain"]["ss58_format"] = 0  # Polkadot's; the trusted runtime's System.SS58Prefix is 42
    run = sign(cli, write(tmp_path, document))
    assert run.exit_code == 1
    assert "SS58 prefix (chain.ss58_format)" in run.stderr and "file 0, computed 42" in run.stderr
    assert not (tmp_path / "tx.signed.json").exists()


def test_a_signer_address_of_another_ss58_prefix_is_refused(cli, tmp_path, trusted):
    document = unsigned_document(trusted, register_bob()) | {"signer": ss58.encode(ALICE.account_id, 0)}
    run = sign(cli, write(tmp_path, document))
    assert run.exit_code == 1 and "signer address's SS58 prefix" in run.stderr
    assert not (tmp_path / "tx.signed.json").exists()
