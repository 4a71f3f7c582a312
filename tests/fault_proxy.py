"""Loopback stand-ins for broken or hostile nodes, and a counting proxy in front of a real one.

* ``FaultServer(mode)``: ``hang`` accepts and reads but never answers; ``garbage`` answers HTTP 200
  with HTML; ``huge`` streams an endless JSON string (no Content-Length); ``ws-spam`` completes the
  WebSocket handshake, then streams unrelated notifications forever; ``ws-huge`` announces a 300 MB
  frame and streams it; ``delay`` forwards to ``upstream`` after ``delay`` seconds per request.
* ``ForwardingProxy(upstream)``: http JSON-RPC forwarded to chopsticks, counting requests by method;
  ``after_submit`` = "close" drops the connection right after forwarding ``author_submitExtrinsic``,
  "garbage" answers it with non-JSON (the node has it either way).
"""

from __future__ import annotations

import base64
import hashlib
import json
import socket
import threading
import time
import urllib.request
from collections import Counter

from tests.rpc_proxy import JsonRpcForwarder
from tests.tcp_proxy import TcpRelay


def _read_http_request(conn: socket.socket) -> tuple[bytes, bytes]:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            return data, b""
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":")[1])
    while len(body) < length:
        chunk = conn.recv(65536)
        if not chunk:
            break
        body += chunk
    return head, body


def _ws_frame(payload: bytes) -> bytes:
    length = len(payload)
    if length < 126:
        header = bytes([0x81, length])
    elif length < 2**16:
        header = bytes([0x81, 126]) + length.to_bytes(2, "big")
    else:
        header = bytes([0x81, 127]) + length.to_bytes(8, "big")
    return header + payload


class FaultServer:
    def __init__(self, mode: str, *, upstream: str | None = None, delay: float = 0.0) -> None:
        self.mode = mode
        self.upstream = upstream.replace("ws://", "http://") if upstream else None
        self.delay = delay
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(32)
        self.port = self.listener.getsockname()[1]
        self.running = True
        self.connections: list[socket.socket] = []
        self.sent = 0  # bytes pushed at the client (huge, ws-spam)
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def url(self) -> str:
        return f"{'ws' if self.mode.startswith('ws') else 'http'}://127.0.0.1:{self.port}"

    def _accept(self) -> None:
        while self.running:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            self.connections.append(conn)
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        try:
            getattr(self, "_" + self.mode.replace("-", "_"))(conn)
        except OSError:
            pass

    def _hang(self, conn: socket.socket) -> None:
        while self.running and conn.recv(65536):
            pass

    def _garbage(self, conn: socket.socket) -> None:
        while self.running:
            head, _ = _read_http_request(conn)
            if not head:
                return
            body = b"<html><body>502 Bad Gateway</body></html>"
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body))

    def _huge(self, conn: socket.socket) -> None:
        _read_http_request(conn)
        conn.sendall(b'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n{"jsonrpc":"2.0","id":1,"result":"0x')
        block = b"00" * 2**19
        while self.running and self.sent < 300 * 2**20:
            conn.sendall(block)
            self.sent += len(block)

    def _delay(self, conn: socket.socket) -> None:
        while self.running:
            head, body = _read_http_request(conn)
            if not head:
                return
            time.sleep(self.delay)
            forward = urllib.request.Request(self.upstream, data=body, headers={"Content-Type": "application/json"})
            with urllib.request.urlopen(forward, timeout=60) as reply:
                answer = reply.read()
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s" % (len(answer), answer))

    def _ws_handshake(self, conn: socket.socket) -> None:
        head, _ = _read_http_request(conn)
        key = next(line.split(b":", 1)[1].strip() for line in head.split(b"\r\n") if line.lower().startswith(b"sec-websocket-key"))
        accept = base64.b64encode(hashlib.sha1(key + b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11").digest())
        conn.sendall(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: " + accept + b"\r\n\r\n")

    def _ws_spam(self, conn: socket.socket) -> None:
        self._ws_handshake(conn)
        message = _ws_frame(json.dumps({"jsonrpc": "2.0", "method": "chain_newHead", "params": {"subscription": "spam", "result": {}}}).encode())
        while self.running:
            conn.sendall(message)
            self.sent += len(message)
            time.sleep(0.001)

    def _ws_huge(self, conn: socket.socket) -> None:
        self._ws_handshake(conn)
        conn.sendall(bytes([0x81, 127]) + (300 * 2**20).to_bytes(8, "big") + b'{"jsonrpc":"2.0","id":1,"result":"0x')
        block = b"00" * 2**19
        while self.running and self.sent < 300 * 2**20:
            conn.sendall(block)
            self.sent += len(block)

    def close(self) -> None:
        self.running = False
        for conn in self.connections:
            try:
                conn.shutdown(socket.SHUT_RDWR)
                conn.close()
            except OSError:
                pass
        self.listener.close()

    def __enter__(self) -> "FaultServer":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class RequestCounts:
    """The JSON-RPC requests a stand-in saw, by method: ``counts``, ``total``, ``reset()``."""

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()
        self.counts_lock = threading.Lock()

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def reset(self) -> None:
        with self.counts_lock:
            self.counts.clear()

    def count(self, methods) -> None:
        with self.counts_lock:
            self.counts.update(methods)


class ForwardingProxy(RequestCounts, JsonRpcForwarder):
    """http JSON-RPC to chopsticks, counting requests (``.counts``), optionally breaking after a submission."""

    def __init__(self, upstream_ws: str, *, after_submit: str | None = None) -> None:
        RequestCounts.__init__(self)
        JsonRpcForwarder.__init__(self, upstream_ws)
        self.after_submit = after_submit

    def forwarded(self, handler, requests: list[dict], answer: bytes) -> bytes | None:
        self.count(r["method"] for r in requests)
        if self.after_submit and any(r["method"] == "author_submitExtrinsic" for r in requests):
            if self.after_submit == "close":
                handler.close_connection = True
                handler.connection.shutdown(socket.SHUT_RDWR)
                return None
            return b"<html>upstream reset</html>"
        return answer


class CountingRelay(RequestCounts, TcpRelay):
    """A relay in front of a ws:// node that counts the JSON-RPC requests the client sends (it reads
    the client's WebSocket frames; the bytes pass through unchanged)."""

    def __init__(self, upstream_ws: str) -> None:
        RequestCounts.__init__(self)  # before the relay's thread can see a client
        TcpRelay.__init__(self, int(upstream_ws.rsplit(":", 1)[1].strip("/")))
        self.url = f"ws://127.0.0.1:{self.port}"

    def from_client(self, stream, chunk: bytes) -> None:
        stream.buffer += chunk
        if not stream.handshaken:
            if b"\r\n\r\n" not in stream.buffer:
                return
            stream.buffer, stream.handshaken = stream.buffer.split(b"\r\n\r\n", 1)[1], True
        stream.buffer = self._frames(stream.buffer)

    def _frames(self, buffer: bytes) -> bytes:
        while len(buffer) >= 2:
            opcode, length, offset = buffer[0] & 0x0F, buffer[1] & 0x7F, 2
            if length == 126:
                length, offset = int.from_bytes(buffer[2:4], "big"), 4
            elif length == 127:
                length, offset = int.from_bytes(buffer[2:10], "big"), 10
            masked = buffer[1] & 0x80
            end = offset + (4 if masked else 0) + length
            if len(buffer) < end:
                break
            payload = buffer[end - length : end]
            if masked:
                mask = buffer[offset : offset + 4]
                payload = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
            if opcode == 1:
                try:
                    message = json.loads(payload)
                except ValueError:
                    message = None
                messages = message if isinstance(message, list) else [message]
                self.count(m["method"] for m in messages if isinstance(m, dict) and "method" in m)
            buffer = buffer[end:]
        return buffer
