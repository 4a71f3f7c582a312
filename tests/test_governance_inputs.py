"""Governance pieces that need no chain: check-network against loopback stand-in nodes, the signer
lock, and the pool's refusals in words."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

GENESIS = "0x" + "12" * 32


class StandInNode:
    """A loopback JSON-RPC node answering what check-network asks, with the figures it is given."""

    def __init__(self, *, spec_version=100, best=100, finalized=99, peers=3) -> None:
        self.answers = {
            "chain_getBlockHash": GENESIS,
            "state_getRuntimeVersion": {"specName": "fennel", "specVersion": spec_version},
            "chain_getFinalizedHead": "0xf1",
            "system_health": {"peers": peers, "isSyncing": False, "shouldHavePeers": True},
        }
        self.best, self.finalized = best, finalized

    def __enter__(self) -> str:
        node = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's naming
                request = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                method, params = request["method"], request.get("params") or []
                if method == "chain_getHeader":
                    result = {"number": hex(node.finalized if params == ["0xf1"] else node.best)}
                else:
                    result = node.answers[method]
                body = json.dumps({"jsonrpc": "2.0", "id": request["id"], "result": result}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):  # quiet
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()


def test_check_network_finds_a_spec_version_a_finality_lag_and_a_node_without_peers(cli):
    with StandInNode() as healthy, StandInNode(finalized=40, peers=0) as lagging, StandInNode(spec_version=101) as upgraded:
        run = cli("check-network", healthy, lagging, upgraded, "--json")
    assert run.exit_code == 1
    problems = run.json["problems"]
    assert problems == [
        f"{lagging}: finality is 60 blocks behind its best block",
        f"{lagging} has no peers: it is isolated (check bootnodes and firewall)",
        f"{upgraded} runs spec version 101, the others 100",
    ]


def test_check_network_passes_nodes_that_agree(cli):
    with StandInNode() as one, StandInNode(peers=5) as two:
        run = cli("check-network", one, two, "--json")
    assert run.exit_code == 0, run.stdout
    assert run.json["ok"] is True and run.json["problems"] == []


def test_check_network_flags_a_node_behind_the_others(cli):
    with StandInNode() as ahead, StandInNode(best=50, finalized=49) as behind:
        run = cli("check-network", ahead, behind, "--json")
    assert run.exit_code == 1 and run.json["problems"] == [f"{behind} is 50 blocks behind the best node"]


def _config(tmp_path, monkeypatch, url, genesis_hash=GENESIS):
    config = tmp_path / "config.toml"
    config.write_text(f'default = "fennel"\n[networks.fennel]\nurl = "{url}"\ngenesis_hash = "{genesis_hash}"\n')
    monkeypatch.setenv("FENNEL_GOV_CONFIG", str(config))
    monkeypatch.delenv("FENNEL_GOV_URL", raising=False)


def test_check_network_takes_a_configured_network_and_holds_every_node_to_its_genesis_hash(cli, tmp_path, monkeypatch):
    with StandInNode() as configured, StandInNode(peers=5) as other:
        _config(tmp_path, monkeypatch, configured)
        named = cli("check-network", "--network", "fennel", other, "--json")
        assert named.exit_code == 0, named.stderr
        assert [n["url"] for n in named.json["nodes"]] == [configured, other]
        assert named.json["expected_genesis_hash"] == GENESIS
        by_default = cli("check-network", "--json")  # no URL: the config's default network
        assert by_default.exit_code == 0 and [n["url"] for n in by_default.json["nodes"]] == [configured]
        _config(tmp_path, monkeypatch, configured, genesis_hash="0x" + "34" * 32)
        wrong = cli("check-network", "--network", "fennel", other, "--json")
        assert wrong.exit_code == 1
        assert wrong.json["problems"] == [
            f"{url} serves genesis {GENESIS}, not fennel network's genesis_hash 0x{'34' * 32}" for url in (configured, other)]
    unknown = cli("check-network", "--network", "nosuch")
    assert unknown.exit_code == 2 and "no network 'nosuch'" in unknown.stderr


def test_check_network_without_nodes_or_a_network_says_what_to_give(cli, tmp_path, monkeypatch):
    monkeypatch.setenv("FENNEL_GOV_CONFIG", str(tmp_path / "none.toml"))
    monkeypatch.delenv("FENNEL_GOV_URL", raising=False)
    run = cli("check-network")
    assert run.exit_code == 2 and run.stderr.startswith("error: which nodes? give their URLs, --network NAME")


def test_a_second_holder_of_the_signer_lock_waits_then_gives_up_with_a_failure(tmp_path, monkeypatch):
    from fennel_gov.errors import Failure
    from fennel_gov.governance.signer_lock import SignerLock

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.delenv("FENNEL_GOV_CACHE_DIR", raising=False)
    first = SignerLock(GENESIS, "5Grw")
    first.acquire(1)
    told = []
    with pytest.raises(Failure, match="nothing was sent"):
        SignerLock(GENESIS, "5Grw").acquire(0.5, told.append)
    assert told and "waiting for another command" in told[0]
    other_signer = SignerLock(GENESIS, "5FHn")
    other_signer.acquire(0.5)  # another signer on the same chain does not wait
    other_signer.release()
    first.release()
    again = SignerLock(GENESIS, "5Grw")
    again.acquire(0.5)
    again.release()
    assert (tmp_path / "fennel-gov" / "locks").stat().st_mode & 0o077 == 0


@pytest.mark.parametrize(("error", "expected"), [
    ({"code": 1014, "message": "Priority is too low: (1 vs 1)", "data": "The transaction has too low priority to replace another transaction already in the pool."},
     "another transaction from 5Grw with the same nonce is already in the pool"),
    ({"code": 1010, "message": "Invalid Transaction", "data": "Transaction is outdated"},
     "the nonce was already used: another transaction from 5Grw landed first"),
    ({"code": 1010, "message": "Invalid Transaction", "data": "Inability to pay some fees (e.g. account balance too low)"},
     "the signer 5Grw cannot pay the fee"),
])
def test_pool_refusals_are_failures_in_words(error, expected):
    from fennel_gov.governance.chain import _explain_pool_error

    message = _explain_pool_error(error, "5Grw")
    assert message.startswith("the node refused the transaction: ") and expected in message


def test_progress_is_written_on_a_terminal_only_and_never_with_json(monkeypatch, capsys):
    import sys

    from fennel_gov.cli.governance import _progress

    monkeypatch.setattr(sys.stderr, "isatty", lambda: False)
    assert _progress(False) is None
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    assert _progress(True) is None
    _progress(False)("waiting for block #60")
    assert capsys.readouterr().err == "… waiting for block #60\n"
