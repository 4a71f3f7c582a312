"""A minimal JSON-RPC client (http or ws) for single calls to a node, without loading metadata."""

from __future__ import annotations

import json
from typing import Any

from fennel_gov.errors import BadInput, Failure


class RpcUnreachable(BadInput):
    """The node did not answer (exit 2: fix the URL, the tunnel or the node)."""


class RpcClient:
    def __init__(self, url: str, timeout: float = 10.0) -> None:
        if not url.startswith(("http://", "https://", "ws://", "wss://")):
            raise BadInput(f"{url!r} is not an http(s):// or ws(s):// URL")
        self.url = url
        self.timeout = timeout
        self._ws = None
        self._id = 0

    def call(self, method: str, params: list[Any] | None = None) -> Any:
        self._id += 1
        payload = {"jsonrpc": "2.0", "id": self._id, "method": method, "params": params or []}
        try:
            if self.url.startswith("http"):
                import requests

                reply = requests.post(self.url, json=payload, timeout=self.timeout).json()
            else:
                import websocket

                if self._ws is None:
                    self._ws = websocket.create_connection(self.url, timeout=self.timeout)
                self._ws.send(json.dumps(payload))
                reply = json.loads(self._ws.recv())
        except Exception as exc:  # noqa: BLE001 - any transport failure means "not reachable"
            self.close()
            reason = getattr(exc, "strerror", None) or type(exc).__name__
            raise RpcUnreachable(f"cannot reach {self.url} ({reason}); check the URL, the node and any port forwarding") from None
        if "error" in reply:
            message = reply["error"].get("message", reply["error"]) if isinstance(reply["error"], dict) else reply["error"]
            if "unsafe" in str(message).lower():
                raise Failure(f"{self.url} refuses {method} ({message}); run the node with --rpc-methods unsafe on a local port")
            raise Failure(f"{self.url} refused {method}: {message}")
        return reply.get("result")

    def methods(self) -> list[str]:
        try:
            return list((self.call("rpc_methods") or {}).get("methods", []))
        except Failure:
            return []

    def close(self) -> None:
        if self._ws is not None:
            try:
                self._ws.close()
            except Exception:  # noqa: BLE001
                pass
        self._ws = None
