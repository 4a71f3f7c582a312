"""Attack review of issue 15 (runtime upgrade, set-sudo, reshare, rotate-sudo): hostile input is one
clear line with exit 2, never an internal error, and nothing is written."""

from __future__ import annotations

import json
import shutil

import pytest

from tests.test_ceremony_sudo import OLD, ceremony  # noqa: F401 - its 2-of-3 ceremony fixture, built here too

NEW = [f"new share number {i}" for i in range(1, 4)]


def _edited(ceremony, tmp_path, edit):
    copy = tmp_path / "net"
    shutil.copytree(ceremony, copy)
    path = copy / "keys" / "net.json"
    manifest = json.loads(path.read_text())
    edit(manifest)
    path.write_text(json.dumps(manifest))
    return copy


def _drop(key):
    def edit(manifest):
        del manifest[key]
    return edit


def _set_sudo_shares(value):
    def edit(manifest):
        manifest["sudo"]["shares"] = value
    return edit


def _set_share_field(key, value):
    def edit(manifest):
        manifest["sudo"]["shares"][key] = value
    return edit


def _set_secret_files(value):
    def edit(manifest):
        manifest["secret_files"] = value
    return edit


@pytest.mark.parametrize("edit", [
    _drop("secret_files"),
    _set_secret_files(["secrets/validator-1/aura.json"]),
    _set_sudo_shares(None),
    _set_share_field("custodians", [{"name": "sudo-share-1"}]),
    _set_share_field("threshold", "2"),
], ids=["no-secret-files", "secret-files-list", "shares-null", "custodian-object", "threshold-text"])
def test_reshare_of_a_malformed_manifest_is_one_line_exit_2_and_writes_nothing(cli, ceremony, tmp_path, edit):
    source = _edited(ceremony, tmp_path, edit)
    out = tmp_path / "out"
    run = cli("ceremony", "reshare", source, "--share", "sudo-share-1", "--share", "sudo-share-2",
              "--sudo-shares", "2-of-3", "-o", out, "--passphrases-stdin", "--allow-network",
              stdin="".join(p + "\n" for p in [OLD["sudo-share-1"], OLD["sudo-share-2"], *NEW]))
    assert run.exit_code == 2, run.stderr
    assert "internal error" not in run.stderr
    assert run.stderr.strip().splitlines()[-1].startswith("error: ")
    assert not out.exists() and not any(p.name.startswith(".out.partial") for p in tmp_path.iterdir())


def test_a_compressed_runtime_cut_short_is_named_truncated_not_said_to_lack_the_zstd_prefix(cli, tmp_path):
    from tests.conftest import FIXTURES

    code = (FIXTURES / "runtimes" / "fennel-v102.compact.compressed.wasm").read_bytes()
    cut = tmp_path / "cut.wasm"
    cut.write_bytes(code[:1000])  # the prefix and the start of the zstd frame
    run = cli("runtime", "inspect", cut)
    assert run.exit_code == 2
    assert "truncated" in run.stderr and "no zstd prefix" not in run.stderr


def test_an_srtool_digest_with_sizes_and_versions_but_no_hash_is_refused_not_a_match(cli, tmp_path):
    from tests.conftest import FIXTURES

    v102 = FIXTURES / "runtimes" / "fennel-v102.compact.compressed.wasm"
    digest = tmp_path / "digest.json"
    # Every figure true of v102, and none that names its bytes: any file of that size would pass.
    digest.write_text(json.dumps({"runtimes": {"compressed": {
        "size": str(v102.stat().st_size),
        "subwasm": {"core_version": {"specName": "fennel", "specVersion": 102}}}}}))
    run = cli("runtime", "inspect", v102, "--srtool-json", digest)
    assert run.exit_code == 2
    assert "no hash" in run.stderr


@pytest.mark.chain
def test_tx_submit_refuses_a_nonce_ahead_of_the_signers_next_one_before_sending_it(cli, tmp_path):
    """A nonce edited upward in the unsigned file (tx sign cannot know the chain's nonce) would sit in the
    pool as a future transaction and could land much later; refused at once, the pool left empty."""
    from fennel_gov.txfile.trusted import from_spec
    from tests.chopsticks import Chopsticks, rpc
    from tests.conftest import FIXTURES
    from tests.rpc_proxy import RealGenesisProxy
    from tests.test_offline_signing import sign, unsigned_document, write

    spec = FIXTURES / "development-raw.json"
    trusted = from_spec(spec)
    node = Chopsticks(tmp_path / "chopsticks.log", spec=spec)
    try:
        node.hold_genesis_hash(trusted.genesis_hash)
        remark = bytes([0, 0, 8]) + b"hi"  # System.remark(b"hi")
        document = unsigned_document(trusted, remark, nonce=3, period=0)
        signed = sign(cli, write(tmp_path, document), "--json")
        assert signed.exit_code == 0, signed.stderr
        with RealGenesisProxy(node.url, "0x" + trusted.genesis_hash.hex()) as url:
            run = cli("tx", "submit", signed.json["output"], "--url", url, "--wait", "included", "--timeout", "30")
        assert run.exit_code == 1
        assert "nonce 3 is ahead of" in run.stderr and "next nonce 0" in run.stderr, run.stderr
        assert rpc(node.url, "author_pendingExtrinsics") == []
    finally:
        node.stop()


def test_set_sudo_help_states_the_timeout_it_uses_with_wait_effective(cli):
    from fennel_gov.governance.api import DEFAULT_TIMEOUT

    run = cli("set-sudo", "--help")
    # send_set_sudo waits DEFAULT_TIMEOUT for every --wait (effective is finality there, not two sessions).
    assert DEFAULT_TIMEOUT == 300.0
    assert "1200" not in run.stdout and "default 300" in run.stdout


@pytest.mark.chain
def test_upgrading_to_the_runtime_the_chain_already_runs_says_so_and_force_sends_nothing(cli, chain):
    """The development chain runs v102 in its plain form; the release file is the compressed form of the
    same wasm. A rerun after an interrupted upgrade that landed looks like this: it must say the chain
    already runs it, not only that the version must increase, and --force must not send it."""
    from tests.chopsticks import rpc
    from tests.conftest import FIXTURES

    v102 = FIXTURES / "runtimes" / "fennel-v102.compact.compressed.wasm"
    best = rpc(chain.url, "chain_getHeader")["number"]
    run = cli("runtime", "upgrade", v102, "--url", chain.url, "--signer", "stdin", "--yes", "--force", "--wait", "included",
              stdin="//Alice\n")
    assert run.exit_code == 1, run.stderr
    assert "the chain already runs this runtime (fennel/102, the same wasm in the other form" in run.stderr
    assert rpc(chain.url, "chain_getHeader")["number"] == best and rpc(chain.url, "author_pendingExtrinsics") == []


def test_reshare_refuses_one_passphrase_line_too_many_rather_than_seal_shares_under_shifted_passphrases(cli, ceremony, tmp_path):
    # The operator lists all three old custodians though only two --share are given: every new share
    # would be sealed with the passphrase of the custodian before it, and the last line dropped.
    out = tmp_path / "out"
    run = cli("ceremony", "reshare", ceremony, "--share", "sudo-share-1", "--share", "sudo-share-2",
              "--sudo-shares", "2-of-3", "-o", out, "--passphrases-stdin", "--allow-network",
              stdin="".join(p + "\n" for p in [OLD["sudo-share-1"], OLD["sudo-share-2"], OLD["sudo-share-3"], *NEW]))
    assert run.exit_code == 2, run.stderr
    assert "6 passphrase lines; 5 custodians need exactly one each" in run.stderr
    assert not out.exists()


def test_rotate_sudo_refuses_one_passphrase_line_too_many(cli, ceremony, tmp_path):
    from tests.conftest import FIXTURES

    out = tmp_path / "out"
    run = cli("ceremony", "rotate-sudo", ceremony, "--sudo-shares", "2-of-3", "--runtime",
              FIXTURES / "runtimes" / "fennel-v102.compact.compressed.wasm", "-o", out, "--passphrases-stdin",
              "--allow-network", stdin="".join(p + "\n" for p in [OLD["sudo-share-1"], *NEW]))
    assert run.exit_code == 2, run.stderr
    assert "4 passphrase lines; 3 custodians need exactly one each" in run.stderr
    assert not out.exists()


def test_an_srtool_digest_value_megabytes_long_is_refused_not_printed(cli, tmp_path):
    from tests.conftest import FIXTURES

    digest = tmp_path / "digest.json"
    digest.write_text(json.dumps({"runtimes": {"compressed": {"blake2_256": "0x" + "ab" * 500_000}}}))
    run = cli("runtime", "inspect", FIXTURES / "runtimes" / "fennel-v102.compact.compressed.wasm", "--srtool-json", digest)
    assert run.exit_code == 2
    assert len(run.stdout) + len(run.stderr) < 10_000


def test_share_custodians_sharing_a_passphrase_are_warned_at_init_and_reshare(cli, ceremony, tmp_path):
    def init(*passphrases):
        return cli("ceremony", "init", "--network", "w", "--validators", "1", "--sudo-shares", "2-of-3", "-o",
                   tmp_path / f"w{len(list(tmp_path.iterdir()))}", "--passphrases-stdin", "--allow-network",
                   stdin="".join(p + "\n" for p in passphrases))

    same = init("one passphrase", "one passphrase", "share three pass", "validator pass")
    assert same.exit_code == 0, same.stderr
    assert "sudo-share-1 and sudo-share-2 have the same passphrase" in same.stderr
    distinct = init("share one pass", "share two pass", "share three pass", "share three pass")  # validator = share 3: not two shares
    assert distinct.exit_code == 0 and "same passphrase" not in distinct.stderr
    reshared = cli("ceremony", "reshare", ceremony, "--share", "sudo-share-1", "--share", "sudo-share-2", "--sudo-shares", "2-of-2",
                   "-o", tmp_path / "r", "--passphrases-stdin", "--allow-network",
                   stdin=f"{OLD['sudo-share-1']}\n{OLD['sudo-share-2']}\nnew shared one\nnew shared one\n")
    assert reshared.exit_code == 0, reshared.stderr
    assert "sudo-share-1 and sudo-share-2 have the same passphrase" in reshared.stderr


def test_runtime_upgrade_says_a_file_is_no_runtime_before_it_asks_the_node_or_reads_a_key(cli, tmp_path):
    garbage = tmp_path / "runtime.wasm"
    garbage.write_bytes(b"<html>not a runtime</html>")
    run = cli("runtime", "upgrade", garbage, "--url", "ws://127.0.0.1:9", "--signer", "stdin", stdin="//Alice\n")
    assert run.exit_code == 2 and "not WebAssembly" in run.stderr and "reach" not in run.stderr, run.stderr
