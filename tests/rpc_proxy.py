"""A loopback JSON-RPC endpoint standing in for a validator's node: it answers author_rotateKeys with
keys it was given and forwards every other call to chopsticks (which has no keystore)."""

from __future__ import annotations

import json
import threading
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class RotateKeysProxy:
    def __init__(self, upstream_ws: str, keys_hex: str, *, with_owner: bool = False, proof_hex: str = "0x") -> None:
        self.upstream = upstream_ws.replace("ws://", "http://")
        self.keys_hex = keys_hex
        self.with_owner = with_owner  # a newer node: author_rotateKeysWithOwner answers {keys, proof}
        self.proof_hex = proof_hex
        self.rotations = 0
        self.owners: list[str] = []

    def __enter__(self) -> str:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's naming
                body = self.rfile.read(int(self.headers["Content-Length"]))
                request = json.loads(body)
                method = request["method"]
                result = None
                if method == "author_rotateKeys":
                    proxy.rotations += 1
                    result = proxy.keys_hex
                elif method == "author_rotateKeysWithOwner" and proxy.with_owner:
                    proxy.rotations += 1
                    proxy.owners.append(request["params"][0])
                    result = {"keys": proxy.keys_hex, "proof": proxy.proof_hex}
                elif method == "rpc_methods" and proxy.with_owner:
                    result = {"methods": ["author_rotateKeys", "author_rotateKeysWithOwner", "rpc_methods"]}
                if result is not None:
                    answer = json.dumps({"jsonrpc": "2.0", "id": request["id"], "result": result}).encode()
                else:
                    forward = urllib.request.Request(proxy.upstream, data=body, headers={"Content-Type": "application/json"})
                    with urllib.request.urlopen(forward, timeout=60) as reply:
                        answer = reply.read()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()


class RealGenesisProxy:
    """Chopsticks answers ``chain_getBlockHash(0)`` with a placeholder (0x4545…) where a node gives the
    genesis hash computed from the spec; this loopback endpoint gives the real one and forwards the rest.
    (The chain must also hold it in ``System.BlockHash(0)``, which the runtime's CheckGenesis reads.)"""

    def __init__(self, upstream_ws: str, genesis_hash: str, answers: dict | None = None, *, submit_instead: str | None = None) -> None:
        self.upstream = upstream_ws.replace("ws://", "http://")
        self.genesis_hash = genesis_hash
        self.answers = answers or {}  # method -> result, a node answering wrongly on purpose
        # author_submitExtrinsic forwards this extrinsic in place of the one sent: as the client sees it,
        # its transaction was taken, then replaced in the pool by another (the same nonce) that lands.
        self.submit_instead = submit_instead

    def __enter__(self) -> str:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's naming
                body = self.rfile.read(int(self.headers["Content-Length"]))
                request = json.loads(body)
                if request.get("method") == "chain_getBlockHash" and request.get("params") in ([0], ["0x0"], [[0]]):
                    result = proxy.genesis_hash if request["params"] != [[0]] else [proxy.genesis_hash]
                    answer = json.dumps({"jsonrpc": "2.0", "id": request["id"], "result": result}).encode()
                elif request.get("method") in proxy.answers:
                    result = proxy.answers[request["method"]]
                    answer = json.dumps({"jsonrpc": "2.0", "id": request["id"], "result": result}).encode()
                else:
                    if request.get("method") == "author_submitExtrinsic" and proxy.submit_instead:
                        body = json.dumps(dict(request, params=[proxy.submit_instead])).encode()
                    forward = urllib.request.Request(proxy.upstream, data=body, headers={"Content-Type": "application/json"})
                    with urllib.request.urlopen(forward, timeout=120) as reply:
                        answer = reply.read()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
