"""Network I/O: every transport bounded (loopback fault stand-ins), a lost answer to a submission
survived without a second submission, check-network concurrent with a timeout, and the request counts
of the common commands against the real runtime under chopsticks (counts, not times)."""

from __future__ import annotations

import time

import pytest

from tests.chopsticks import session_keys as _session_keys
from tests.fault_proxy import FaultServer, ForwardingProxy

ALICE = "5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY"
TIMEOUT = 2.0


@pytest.fixture
def short_timeout(monkeypatch):
    monkeypatch.setenv("FENNEL_GOV_RPC_TIMEOUT", str(TIMEOUT))


def _bounded(cli, url: str) -> tuple:
    started = time.monotonic()
    run = cli("status", "--url", url, "--json")
    return run, time.monotonic() - started


def _clear_error(run) -> None:
    assert run.exit_code in (1, 2), run
    assert "internal error" not in run.stderr and "Traceback" not in run.stderr
    assert len(run.stderr.strip().splitlines()) == 1, run.stderr


# Generous bounds: they catch a hang (the faults below used to take forever or 56 s), not a slow machine.
def test_a_hung_http_endpoint_is_an_error_after_the_timeout(cli, short_timeout):
    with FaultServer("hang") as server:
        run, elapsed = _bounded(cli, server.url)
    _clear_error(run)
    assert "did not answer" in run.stderr or "no answer" in run.stderr
    assert elapsed < TIMEOUT * 4 + 5


def test_a_websocket_endpoint_streaming_unrelated_messages_is_an_error_after_the_timeout(cli, short_timeout):
    with FaultServer("ws-spam") as server:
        run, elapsed = _bounded(cli, server.url)
        assert server.sent > 0  # it did spam
    _clear_error(run)
    assert elapsed < TIMEOUT * 4 + 5


@pytest.mark.parametrize("mode", ["garbage"])
def test_a_reply_that_is_not_json_is_a_clear_error(cli, short_timeout, mode):
    with FaultServer(mode) as server:
        run, elapsed = _bounded(cli, server.url)
    _clear_error(run)
    assert "not JSON" in run.stderr
    assert elapsed < TIMEOUT * 4 + 5


@pytest.fixture
def web_server(tmp_path):
    """A plain web server (python's http.server serving files): what a wrong port often reaches."""
    import functools
    import threading
    from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

    (tmp_path / "index.html").write_text("<html><body>" + "WELCOME-PAGE " * 200 + "</body></html>")

    class Quiet(SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(tmp_path)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize("command, method", [(("status",), "chain_getBlockHash"), (("runtime", "diff", "new.wasm"), "state_getStorage")])
def test_a_plain_web_server_over_http_is_named_as_not_a_json_rpc_endpoint(cli, web_server, command, method):
    run = cli(*command, "--url", f"http://{web_server}")
    assert run.exit_code == 1, run
    assert run.stderr == f"error: http://{web_server} is not a Substrate JSON-RPC endpoint (HTTP 501 to {method}); check the URL/port\n"


def test_a_web_page_answering_a_websocket_url_gives_its_status_not_its_body(cli, web_server):
    run = cli("status", "--url", f"ws://{web_server}")
    assert run.exit_code == 1, run
    assert run.stderr == (f"error: ws://{web_server} is not a Substrate JSON-RPC endpoint "
                          "(HTTP 200 to the websocket upgrade, where a node answers 101); check the URL/port\n")
    checked = cli("check-network", f"ws://{web_server}", "--json")
    assert checked.exit_code == 1 and "WELCOME-PAGE" not in checked.stdout + checked.stderr
    assert "HTTP 200" in checked.json["nodes"][0]["error"]


def test_a_json_api_that_is_not_json_rpc_is_named_as_not_a_json_rpc_endpoint(cli):
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class OtherApi(BaseHTTPRequestHandler):  # some REST service on the port the node was expected on
        def do_POST(self):  # noqa: N802 - http.server's naming
            self.rfile.read(int(self.headers["Content-Length"]))
            body = b'{"status": "ok", "service": "metrics"}'
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), OtherApi)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        run = cli("status", "--url", url)
    finally:
        server.shutdown()
        server.server_close()
    assert run.exit_code == 1 and run.stderr == (
        f"error: {url} is not a Substrate JSON-RPC endpoint (it answered chain_getBlockHash with JSON that is not a "
        "JSON-RPC reply); check the URL/port\n")


@pytest.mark.parametrize("mode", ["huge", "ws-huge"])
def test_an_oversized_reply_is_cut_at_the_cap(cli, monkeypatch, mode):
    monkeypatch.setenv("FENNEL_GOV_RPC_TIMEOUT", "30")  # the cap, not the clock, must stop it
    with FaultServer(mode) as server:
        run, elapsed = _bounded(cli, server.url)
        sent = server.sent
    _clear_error(run)
    assert "larger than 64 MiB" in run.stderr
    assert sent < 200 * 2**20  # stopped reading long before the 300 MB the server had to send
    assert elapsed < 30


# -- against the real runtime ---------------------------------------------------------------------

@pytest.fixture(autouse=True)
def private_cache(tmp_path_factory, monkeypatch):
    # A cache of our own: the signer locks and the metadata cache of other tests stay apart.
    monkeypatch.setenv("FENNEL_GOV_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))


@pytest.mark.chain
@pytest.mark.parametrize("fault", ["close", "garbage"])
def test_a_lost_answer_to_the_submission_is_found_by_hash_and_never_sent_twice(cli, chain, fault):
    proxy = ForwardingProxy(chain.url, after_submit=fault)
    with proxy as url:
        run = cli("set-keys", _session_keys("//Alice"), "--url", url, "--signer", "stdin", "--yes", "--wait", "included",
                  "--json", stdin="//Alice\n")
    assert run.exit_code == 0, run.stderr
    assert proxy.counts["author_submitExtrinsic"] == 1
    assert run.json["block_number"] > 0


@pytest.mark.chain
def test_check_network_asks_every_node_at_once_and_reports_a_hung_one_after_the_timeout(cli, chain):
    # Four nodes that take 0.4 s per request (6 requests: 2.4 s each, 9.6 s one after another) and one
    # that never answers: asked at once, the whole check takes about the --timeout.
    slow = [FaultServer("delay", upstream=chain.url, delay=0.4) for _ in range(4)]
    hung = FaultServer("hang")
    try:
        started = time.monotonic()
        run = cli("check-network", *[s.url for s in slow], hung.url, "--timeout", "4", "--json")
        elapsed = time.monotonic() - started
    finally:
        for server in [*slow, hung]:
            server.close()
    assert run.exit_code == 1
    nodes = {n["url"]: n for n in run.json["nodes"]}
    assert all(nodes[s.url]["reachable"] for s in slow)
    assert not nodes[hung.url]["reachable"] and "within 4 s" in nodes[hung.url]["error"]
    assert any(hung.url in p and "unreachable" in p for p in run.json["problems"])
    assert elapsed < 8  # one after another it would be over 13 s


def test_check_network_refuses_a_timeout_that_is_not_positive(cli):
    run = cli("check-network", "ws://127.0.0.1:1", "--timeout", "0")
    assert run.exit_code == 2 and "--timeout" in run.stderr


# -- request counts (counts, not times) -----------------------------------------------------------


@pytest.fixture
def counted(chain):
    from tests.fault_proxy import CountingRelay

    relay = CountingRelay(chain.url)
    yield relay
    relay.close()


@pytest.mark.chain
def test_status_reads_at_one_block_in_batches_and_a_second_command_fetches_no_metadata(cli, counted):
    first = cli("status", "--url", counted.url, "--json")
    assert first.exit_code == 0, first.stderr
    assert counted.counts["state_getMetadata"] == 1
    counted.reset()
    second = cli("status", "--url", counted.url, "--json")
    assert second.exit_code == 0 and second.json["validators"] == first.json["validators"]
    assert counted.counts["state_getMetadata"] == 0
    assert counted.counts["state_queryStorageAt"] == 2 and "state_getStorage" not in counted.counts
    assert counted.total <= 8, dict(counted.counts)


@pytest.mark.chain
def test_add_validator_dry_run_needs_at_most_12_requests(cli, counted):
    cli("status", "--url", counted.url)  # the metadata cache
    counted.reset()
    run = cli("add-validator", ALICE, "--url", counted.url, "--signer", "stdin", "--dry-run", "--force", "--json", stdin="//Alice\n")
    assert run.exit_code == 0, run.stderr
    assert int(run.json["fee_estimate"]) > 0
    # Every read at the block pinned from the first header: no block hash is asked for but genesis's.
    assert counted.counts["chain_getBlockHash"] == 1 and counted.counts["chain_getHeader"] == 2
    assert counted.total <= 12, dict(counted.counts)


@pytest.mark.chain
@pytest.mark.parametrize("wait", ["included", "finalized"])
def test_set_keys_is_followed_by_a_subscription_in_at_most_10_requests(cli, counted, wait):
    cli("status", "--url", counted.url)
    counted.reset()
    run = cli("set-keys", _session_keys("//Alice"), "--url", counted.url, "--signer", "stdin", "--yes", "--wait", wait,
              "--json", stdin="//Alice\n")
    assert run.exit_code == 0, run.stderr
    assert run.json["success"] is True and run.json["next_keys_confirmed"] is True
    assert counted.counts["author_submitAndWatchExtrinsic"] == 1 and "author_submitExtrinsic" not in counted.counts
    # No polling: no head is asked for after the submission.
    assert "chain_getFinalizedHead" not in counted.counts and counted.counts["chain_getHeader"] == 1
    assert counted.total <= 10, dict(counted.counts)


@pytest.mark.chain
def test_status_requests_do_not_grow_with_the_validator_set(cli, chain, counted):
    from fennel_gov._codec import blake2_256
    from fennel_gov.keys import ss58
    from tests.chopsticks import rpc

    cli("status", "--url", counted.url)
    counted.reset()
    small = cli("status", "--url", counted.url, "--json")
    assert small.exit_code == 0, small.stderr
    before = counted.total
    validators = small.json["validators"]
    many = validators + [ss58.encode(blake2_256(b"validator %d" % i), 42) for i in range(100)]
    rpc(chain.url, "dev_setStorage", [{"Session": {"Validators": many}}])
    try:
        counted.reset()
        large = cli("status", "--url", counted.url, "--json")
        assert large.exit_code == 0, large.stderr
        assert large.json["validators"] == many and len(large.json["next_keys"]) >= 101
        assert counted.total == before, dict(counted.counts)
    finally:
        rpc(chain.url, "dev_setStorage", [{"Session": {"Validators": validators}}])


# -- the pieces ---------------------------------------------------------------------------------


@pytest.mark.chain
def test_a_block_hash_computed_from_its_header_is_the_nodes(chain):
    from fennel_gov.governance.chain import header_hash
    from tests.chopsticks import rpc

    chain.new_blocks(1)
    best = rpc(chain.url, "chain_getBlockHash")
    assert header_hash(rpc(chain.url, "chain_getHeader", [best])) == best


def test_the_metadata_cache_round_trips_and_ignores_what_does_not_match(tmp_path, monkeypatch):
    from fennel_gov.governance import runtime_cache

    monkeypatch.setenv("FENNEL_GOV_CACHE_DIR", str(tmp_path))
    genesis = "0x" + "ab" * 32
    version = {"specName": "fennel", "specVersion": 102, "transactionVersion": 1}
    assert runtime_cache.load(genesis, 102) is None
    runtime_cache.store(genesis, version, "0x6d657461")
    assert runtime_cache.load(genesis, 102) == (version, "0x6d657461")
    assert runtime_cache.load(genesis, 103) is None  # another runtime: fetched, not guessed
    assert runtime_cache.load("0x" + "cd" * 32, 102) is None  # another chain
    [path] = (tmp_path / "metadata").iterdir()
    assert not [p for p in path.parent.iterdir() if p.name.startswith(".")]  # no temporary left behind
    path.write_text("{not json")
    assert runtime_cache.load(genesis, 102) is None
    path.write_text('{"genesis_hash": "%s", "version": {"specVersion": 101}, "metadata": "0x00"}' % genesis)
    assert runtime_cache.load(genesis, 102) is None  # a file that names another version than its name
    monkeypatch.setenv("FENNEL_GOV_CACHE_DIR", "")
    runtime_cache.store(genesis, version, "0x00")  # caching off: nothing written, no error
    assert runtime_cache.load(genesis, 102) is None


@pytest.mark.chain
def test_a_connection_cut_while_waiting_is_survived_by_finding_the_extrinsic_by_hash(cli, chain):
    import threading

    from tests.chopsticks import rpc
    from tests.tcp_proxy import CuttableRelay

    alice_nonce = lambda: int(rpc(chain.url, "system_accountNextIndex", [ALICE]))  # noqa: E731
    before = alice_nonce()
    relay = CuttableRelay(chain.port)
    rpc(chain.url, "dev_setBlockBuildMode", ["Manual"])
    result = {}
    try:
        worker = threading.Thread(target=lambda: result.update(run=cli(
            "set-keys", _session_keys("//Alice"), "--url", f"ws://127.0.0.1:{relay.port}", "--signer", "stdin", "--yes",
            "--wait", "included", "--timeout", "60", "--json", stdin="//Alice\n")))
        worker.start()
        deadline = time.monotonic() + 60
        while not rpc(chain.url, "author_pendingExtrinsics") and time.monotonic() < deadline:
            time.sleep(0.1)
        assert rpc(chain.url, "author_pendingExtrinsics"), "the extrinsic never reached the pool"
        relay.cut()  # the subscription dies before the extrinsic is in a block
        chain.new_blocks(1)
        worker.join(90)
    finally:
        rpc(chain.url, "dev_setBlockBuildMode", ["Instant"])
        relay.close()
    run = result["run"]
    assert run.exit_code == 0, run.stderr
    assert run.json["success"] is True and run.json["block_number"] > 0
    assert alice_nonce() == before + 1  # sent once
