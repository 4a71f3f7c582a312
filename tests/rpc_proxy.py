"""Loopback JSON-RPC endpoints standing in for a node: each answers some calls itself and forwards
the rest to chopsticks over http.

* ``JsonRpcForwarder(upstream_ws)``: the base; a subclass overrides ``answer`` (a result for a
  request, or ``None`` to forward it) and may override ``forwarded`` (what reaches the client).
* ``RotateKeysProxy``: a validator's node; answers author_rotateKeys with keys it was given
  (chopsticks has no keystore).
* ``RealGenesisProxy``: answers block 0's hash with the spec's genesis hash, not chopsticks' placeholder.
"""

from __future__ import annotations

import json
import threading
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

_UNANSWERED = object()


class JsonRpcForwarder:
    timeout = 120.0

    def __init__(self, upstream_ws: str) -> None:
        self.upstream = upstream_ws.replace("ws://", "http://")

    def answer(self, request: dict) -> Any:
        """The result to give for ``request`` (a single JSON-RPC call), or ``_UNANSWERED`` to forward it."""
        return _UNANSWERED

    def rewrite(self, request: dict) -> dict:
        """The request to forward in place of ``request`` (the same one unless a subclass says otherwise)."""
        return request

    def forwarded(self, handler: BaseHTTPRequestHandler, requests: list[dict], answer: bytes) -> bytes | None:
        """What the client gets for a forwarded request; ``None`` when the handler already dealt with it."""
        return answer

    def _reply(self, handler: BaseHTTPRequestHandler, body: bytes) -> None:
        request = json.loads(body)
        result = self.answer(request) if isinstance(request, dict) else _UNANSWERED
        if result is not _UNANSWERED:
            answer: bytes | None = json.dumps({"jsonrpc": "2.0", "id": request["id"], "result": result}).encode()
        else:
            if isinstance(request, dict) and (rewritten := self.rewrite(request)) is not request:
                body = json.dumps(rewritten).encode()
            forward = urllib.request.Request(self.upstream, data=body, headers={"Content-Type": "application/json"})
            with urllib.request.urlopen(forward, timeout=self.timeout) as reply:
                answer = self.forwarded(handler, request if isinstance(request, list) else [request], reply.read())
        if answer is None:
            return
        handler.send_response(200)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(answer)))
        handler.end_headers()
        handler.wfile.write(answer)

    def __enter__(self) -> str:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):  # noqa: N802 - http.server's naming
                proxy._reply(self, self.rfile.read(int(self.headers["Content-Length"])))

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()


class RotateKeysProxy(JsonRpcForwarder):
    timeout = 60.0

    def __init__(self, upstream_ws: str, keys_hex: str, *, with_owner: bool = False, proof_hex: str = "0x") -> None:
        super().__init__(upstream_ws)
        self.keys_hex = keys_hex
        self.with_owner = with_owner  # a newer node: author_rotateKeysWithOwner answers {keys, proof}
        self.proof_hex = proof_hex
        self.rotations = 0
        self.owners: list[str] = []

    def answer(self, request: dict) -> Any:
        method = request["method"]
        if method == "author_rotateKeys":
            self.rotations += 1
            return self.keys_hex
        if method == "author_rotateKeysWithOwner" and self.with_owner:
            self.rotations += 1
            self.owners.append(request["params"][0])
            return {"keys": self.keys_hex, "proof": self.proof_hex}
        if method == "rpc_methods" and self.with_owner:
            return {"methods": ["author_rotateKeys", "author_rotateKeysWithOwner", "rpc_methods"]}
        return _UNANSWERED


class RealGenesisProxy(JsonRpcForwarder):
    """Chopsticks answers ``chain_getBlockHash(0)`` with a placeholder (0x4545…) where a node gives the
    genesis hash computed from the spec; this endpoint gives the real one and forwards the rest.
    (The chain must also hold it in ``System.BlockHash(0)``, which the runtime's CheckGenesis reads.)"""

    def __init__(self, upstream_ws: str, genesis_hash: str, answers: dict | None = None, *, submit_instead: str | None = None) -> None:
        super().__init__(upstream_ws)
        self.genesis_hash = genesis_hash
        self.answers = answers or {}  # method -> result, a node answering wrongly on purpose
        # author_submitExtrinsic forwards this extrinsic in place of the one sent: as the client sees it,
        # its transaction was taken, then replaced in the pool by another (the same nonce) that lands.
        self.submit_instead = submit_instead

    def rewrite(self, request: dict) -> dict:
        if request.get("method") == "author_submitExtrinsic" and self.submit_instead:
            return dict(request, params=[self.submit_instead])
        return request

    def answer(self, request: dict) -> Any:
        if request.get("method") == "chain_getBlockHash" and request.get("params") in ([0], ["0x0"], [[0]]):
            return self.genesis_hash if request["params"] != [[0]] else [self.genesis_hash]
        return self.answers.get(request.get("method"), _UNANSWERED)
