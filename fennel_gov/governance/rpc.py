"""A bounded JSON-RPC client (http or ws): every call has a connect timeout, a deadline for its whole
answer and a cap on the answer's size, so a hung, chatty, garbled or hostile endpoint ends a command
with a clear error instead of hanging it or exhausting memory.

``BoundedTransport`` is the same client in the shape substrate-interface expects of a transport, so
every read ``Chain`` makes through substrate-interface is bounded too.
"""

from __future__ import annotations

import json
import time
from typing import Any

from fennel_gov.errors import BadInput, Failure

MAX_RESPONSE_BYTES = 64 * 1024 * 1024  # one answer; Fennel's metadata (hex) is well under 1 MiB
DEFAULT_TIMEOUT = 10.0


def default_timeout() -> float:
    """Seconds to connect and to wait for one answer: ``FENNEL_GOV_RPC_TIMEOUT``, else 10."""
    import os

    configured = os.environ.get("FENNEL_GOV_RPC_TIMEOUT", "")
    try:
        value = float(configured) if configured else DEFAULT_TIMEOUT
    except ValueError:
        raise BadInput(f"FENNEL_GOV_RPC_TIMEOUT={configured!r} is not a number of seconds") from None
    if not 0 < value < float("inf"):
        raise BadInput(f"FENNEL_GOV_RPC_TIMEOUT={configured!r} is not a positive number of seconds")
    return value


class RpcUnreachable(BadInput):
    """The node did not answer (exit 2: fix the URL, the tunnel or the node)."""


class TransportError(Failure, ConnectionError):
    """The connection failed, timed out, or the answer was not a bounded JSON-RPC reply (exit 1).

    Also a ``ConnectionError``, so code that reconnects on a dropped connection handles it alike."""


class NotAnEndpoint(TransportError):
    """Something answered at the URL, but not as a Substrate JSON-RPC node: a web server, a proxy's
    error page, the wrong port (exit 1). Its message names the URL and the HTTP status, never the
    page the server sent. A ``TransportError`` too, so a garbled answer in the middle of a command
    is handled like a dropped connection."""


# HTTP statuses that say "not now" rather than "not a node": a rate limit, a gateway whose node is down.
_TRANSIENT = {429: "rate-limited; try again later", 502: "a gateway with no node answering behind it",
              503: "a gateway with no node answering behind it", 504: "a gateway whose node did not answer in time"}


def _status_error(url: str, status: int, what: str) -> TransportError:
    if status in _TRANSIENT:
        return TransportError(f"{url} answered HTTP {status} to {what} ({_TRANSIENT[status]})")
    if status in (401, 403):
        return NotAnEndpoint(f"{url} refused {what} (HTTP {status}); check the credentials in the URL, "
                             "or the node's --rpc-cors and the hosts it allows")
    return NotAnEndpoint(f"{url} is not a Substrate JSON-RPC endpoint (HTTP {status} to {what}); check the URL/port")


class NodeRefused(Failure):
    """The node answered the request with a JSON-RPC error (``.error`` holds it)."""

    def __init__(self, message: str, error: Any = None) -> None:
        super().__init__(message)
        self.error = error


class RpcClient:
    """One connection to one node. ``timeout`` bounds connecting and each call's whole answer."""

    def __init__(self, url: str, timeout: float = DEFAULT_TIMEOUT, *, max_bytes: int = MAX_RESPONSE_BYTES) -> None:
        if not url.startswith(("http://", "https://", "ws://", "wss://")):
            raise BadInput(f"{url!r} is not an http(s):// or ws(s):// URL")
        self.url = url
        self.timeout = timeout
        self.max_bytes = max_bytes
        self.requests = 0  # JSON-RPC requests sent (benchmarks and tests read it)
        self._ws: Any = None  # websocket.WebSocket once connected (imported only when used)
        self._session: Any = None  # requests.Session once used
        self._id = 0
        self._notifications: dict[str, list[Any]] = {}  # subscription id -> results not yet taken
        self.known: dict[tuple, Any] = {}  # (method, params) -> an answer that cannot change (a block's hash)
        self._received = 0  # bytes of the ws message being read, and its deadline (see _connect_ws)
        self._deadline = 0.0

    # -- the transport --------------------------------------------------------------------------

    def request(self, method: str, params: list[Any] | None = None) -> dict[str, Any]:
        """Send one request; the node's whole JSON reply (it may hold ``error``). Raises TransportError."""
        try:
            known = self.known.get((method, tuple(params or ())))
        except TypeError:  # unhashable parameters: never a known answer
            known = None
        if known is not None:
            return {"jsonrpc": "2.0", "id": None, "result": known}
        self._id += 1
        self.requests += 1
        payload = {"jsonrpc": "2.0", "id": self._id, "method": method, "params": params or []}
        deadline = time.monotonic() + self.timeout
        try:
            if self.url.startswith("http"):
                reply = self._http(payload, deadline)
            else:
                reply = self._ws_call(payload, deadline)
        except TransportError:
            self.close()
            raise
        except Exception as exc:  # noqa: BLE001 - any other transport failure is the same: no answer
            self.close()
            reason = getattr(exc, "strerror", None) or type(exc).__name__
            raise TransportError(f"no answer from {self.url} to {method} ({reason}); check the URL, the node and any port forwarding") from None
        if not isinstance(reply, dict) or ("result" not in reply and "error" not in reply):
            self.close()
            raise NotAnEndpoint(f"{self.url} is not a Substrate JSON-RPC endpoint (it answered {method} with JSON that "
                                "is not a JSON-RPC reply); check the URL/port")
        return reply

    def _too_big(self) -> TransportError:
        return TransportError(f"{self.url} sent an answer larger than {self.max_bytes // 2**20} MiB; refused (is this a Substrate node?)")

    def _late(self, payload: dict[str, Any]) -> TransportError:
        return TransportError(f"{self.url} did not answer {payload['method']} within {self.timeout:g} s")

    def _http(self, payload: dict[str, Any], deadline: float) -> Any:
        import requests

        if self._session is None:
            self._session = requests.Session()
        connect = max(deadline - time.monotonic(), 0.01)
        with self._session.post(self.url, json=payload, timeout=(connect, connect), stream=True) as response:
            declared = response.headers.get("Content-Length")
            if declared and declared.isdigit() and int(declared) > self.max_bytes:
                raise self._too_big()
            body = bytearray()
            for chunk in response.iter_content(65536):
                body += chunk
                if len(body) > self.max_bytes:
                    raise self._too_big()
                if time.monotonic() > deadline:
                    raise self._late(payload)
        if response.status_code != 200 and not body.lstrip().startswith(b"{"):
            raise _status_error(self.url, response.status_code, payload["method"])
        try:
            return json.loads(bytes(body))
        except ValueError:
            # A web server's page (a node answers every POST in JSON): name the URL and status, not the page.
            raise NotAnEndpoint(f"{self.url} is not a Substrate JSON-RPC endpoint (HTTP {response.status_code} to "
                                f"{payload['method']}, with a body that is not JSON); check the URL/port") from None

    def _parse(self, body: bytes | str, payload: dict[str, Any]) -> Any:
        try:
            return json.loads(body)
        except ValueError:
            raise TransportError(f"{self.url} answered {payload['method']} with something that is not JSON") from None

    def _connect_ws(self, deadline: float):
        import websocket

        try:
            ws = websocket.create_connection(self.url, timeout=max(deadline - time.monotonic(), 0.01), enable_multithread=False)
        except websocket.WebSocketBadStatusException as exc:
            # The exception's text carries the whole page the server sent instead of the upgrade: keep only its status.
            raise _status_error(self.url, exc.status_code, "the websocket upgrade, where a node answers 101") from None
        # Count the bytes of each message as they arrive, so an endless frame is cut at the cap, not after.
        read = ws.frame_buffer.recv
        client = self

        def bounded_read(size: int) -> bytes:
            data = read(size)
            client._received += len(data)
            if client._received > client.max_bytes:
                raise client._too_big()
            if time.monotonic() > client._deadline:
                raise TransportError(f"{client.url} did not finish its answer in time")
            return data

        ws.frame_buffer.recv = bounded_read
        return ws

    def _ws_recv(self, deadline: float) -> Any:
        self._received = 0
        self._deadline = deadline
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TransportError(f"{self.url} did not answer within {self.timeout:g} s")
        self._ws.settimeout(remaining)
        message = self._ws.recv()
        if not message:
            raise TransportError(f"{self.url} closed the connection")
        return message

    def _ws_call(self, payload: dict[str, Any], deadline: float) -> Any:
        if self._ws is None:
            self._deadline = deadline
            self._received = 0
            self._ws = self._connect_ws(deadline)
        self._ws.send(json.dumps(payload))
        # Other messages (subscription notifications, or a node streaming junk) are set aside or
        # skipped; the deadline bounds how long we listen for ours.
        while True:
            reply = self._parse(self._ws_recv(deadline), payload)
            if isinstance(reply, dict) and reply.get("id") == payload["id"]:
                return reply
            self._keep_notification(reply)

    def _keep_notification(self, message: Any) -> None:
        if isinstance(message, dict) and isinstance(message.get("params"), dict) and "subscription" in message["params"]:
            # Bounded: a node streaming notifications nobody asked for cannot grow memory without end.
            key = str(message["params"]["subscription"])
            if key not in self._notifications and len(self._notifications) >= 64:
                return
            queue = self._notifications.setdefault(key, [])
            if len(queue) < 1024:
                queue.append(message["params"].get("result"))

    # -- calls ----------------------------------------------------------------------------------

    def call(self, method: str, params: list[Any] | None = None) -> Any:
        try:
            reply = self.request(method, params)
        except NotAnEndpoint:
            raise  # it answered: not "unreachable"
        except TransportError as exc:
            raise RpcUnreachable(str(exc)) from None
        if "error" in reply:
            error = reply["error"]
            message = error.get("message", error) if isinstance(error, dict) else error
            if "unsafe" in str(message).lower():
                raise NodeRefused(f"{self.url} refuses {method} ({message}); run the node with --rpc-methods unsafe on a local port", error)
            raise NodeRefused(f"{self.url} refused {method}: {message}", error)
        return reply.get("result")

    def subscribe(self, method: str, params: list[Any] | None = None) -> str:
        """Start a subscription (ws only); its notifications come from ``next_notification``."""
        if not self.url.startswith("ws"):
            raise TransportError("subscriptions need a ws:// connection")
        subscription = self.request(method, params)
        if "error" in subscription:
            raise NodeRefused(f"{self.url} refused {method}: {subscription['error']}", subscription["error"])
        return str(subscription["result"])

    def next_notification(self, subscription: str, timeout: float) -> Any | None:
        """The next notification of ``subscription``, or None when none came within ``timeout``."""
        import websocket

        queue = self._notifications.setdefault(subscription, [])
        deadline = time.monotonic() + timeout
        while not queue:
            if self._ws is None:
                raise TransportError(f"the connection to {self.url} was closed")
            try:
                message = self._parse(self._ws_recv(deadline), {"method": "a subscription"})
            except TransportError:
                if time.monotonic() >= deadline:
                    return None
                self.close()
                raise
            except websocket.WebSocketTimeoutException:
                return None
            except Exception as exc:  # noqa: BLE001 - the connection broke
                self.close()
                raise TransportError(f"lost the connection to {self.url} ({type(exc).__name__})") from None
            self._keep_notification(message)
        return queue.pop(0)

    def methods(self) -> list[str]:
        try:
            return list((self.call("rpc_methods") or {}).get("methods", []))
        except NodeRefused:
            return []

    def close(self) -> None:
        if self._ws is not None:
            try:
                self._ws.close(timeout=0.5)
            except Exception:  # noqa: BLE001
                pass
        self._ws = None
        if self._session is not None:
            self._session.close()
        self._session = None
        self._notifications.clear()


def bounded_transport(client: RpcClient):
    """``client`` as a substrate-interface transport: its ``rpc_request`` returns the reply or raises."""
    from substrateinterface.exceptions import SubstrateRequestException
    from substrateinterface.transport.base import TransportBase

    class BoundedTransport(TransportBase):
        def __init__(self) -> None:
            super().__init__()
            self.client = client

        def rpc_request(self, payload, result_handler=None):
            if result_handler is not None:
                raise TransportError("substrate-interface subscriptions are not used by fennel-gov")
            reply = client.request(payload["method"], payload.get("params"))
            if "error" in reply:
                raise SubstrateRequestException(reply["error"])
            return reply

        def close(self):
            client.close()

    return BoundedTransport()
