"""Loopback TCP relays in front of a node.

* ``TcpRelay(upstream_port)``: passes bytes both ways; ``cut()`` drops every open connection (a node
  that drops mid-wait), new ones are still accepted. A subclass may read what the client sends
  (``from_client``) without changing it.
* ``CuttableRelay``: the same, under the name the tests use for it.
"""

from __future__ import annotations

import socket
import threading


class TcpRelay:
    def __init__(self, upstream_port: int) -> None:
        self.upstream_port = upstream_port
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(32)
        self.port = self.listener.getsockname()[1]
        self.connections: list[socket.socket] = []
        self.accepted = 0
        self.lock = threading.Lock()
        self.running = True
        threading.Thread(target=self._accept, daemon=True).start()

    def from_client(self, reader: "ClientStream", chunk: bytes) -> None:
        """Called with each chunk the client sends (after it was passed on)."""

    def _accept(self) -> None:
        while self.running:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(("127.0.0.1", self.upstream_port))
            with self.lock:
                self.connections += [client, upstream]
                self.accepted += 1
            threading.Thread(target=self._pump, args=(client, upstream, ClientStream()), daemon=True).start()
            threading.Thread(target=self._pump, args=(upstream, client, None), daemon=True).start()

    def _pump(self, source: socket.socket, target: socket.socket, stream: "ClientStream | None") -> None:
        try:
            while chunk := source.recv(65536):
                target.sendall(chunk)
                if stream is not None:
                    self.from_client(stream, chunk)
        except OSError:
            pass
        for sock in (source, target):
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def cut(self) -> None:
        """Drop every open connection (new ones are still accepted)."""
        with self.lock:
            doomed, self.connections = self.connections, []
        for sock in doomed:
            try:
                sock.shutdown(socket.SHUT_RDWR)
                sock.close()
            except OSError:
                pass

    def close(self) -> None:
        self.running = False
        self.cut()
        self.listener.close()


class ClientStream:
    """What one client connection has sent so far and not yet been read as a whole message."""

    def __init__(self) -> None:
        self.buffer = b""
        self.handshaken = False


CuttableRelay = TcpRelay
