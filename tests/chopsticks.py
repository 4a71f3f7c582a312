"""Start the real Fennel runtime under chopsticks (pinned in package.json) on a free loopback port."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SPEC = ROOT / "tests" / "fixtures" / "fennel-solonet" / "development-raw.json"
BINARY = ROOT / "node_modules" / ".bin" / "chopsticks"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def rpc(url: str, method: str, params: list | None = None, timeout: float = 120.0):
    request = urllib.request.Request(
        url.replace("ws://", "http://"),
        data=json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": params or []}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=timeout) as reply:
        answer = json.loads(reply.read())
    if "error" in answer:
        raise RuntimeError(answer["error"])
    return answer.get("result")


class Chopsticks:
    def __init__(self, log: Path, spec: Path = SPEC) -> None:
        if shutil.which("node") is None or not BINARY.exists():
            pytest.skip("chopsticks is not installed (npm ci)")
        assert spec.exists(), f"{spec} is missing"
        self.port = free_port()
        self.url = f"ws://127.0.0.1:{self.port}"
        self.log = log
        self._out = open(log, "w")
        self.process = subprocess.Popen(
            [str(BINARY), f"--chain-spec={spec}", "--host", "127.0.0.1", "--port", str(self.port), "--build-block-mode", "Instant"],
            stdout=self._out, stderr=subprocess.STDOUT, cwd=ROOT, start_new_session=True,
            env=dict(os.environ, LOG_LEVEL="warn"),
        )
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"chopsticks exited: {log.read_text()[-2000:]}")
            try:
                rpc(self.url, "chain_getHeader", timeout=2)
                return
            except OSError:
                time.sleep(0.5)
        self.stop()
        raise RuntimeError("chopsticks did not start within 120 s")

    def new_blocks(self, count: int) -> None:
        rpc(self.url, "dev_newBlock", [{"count": count}], timeout=600)

    def hold_genesis_hash(self, genesis_hash: bytes) -> None:
        """Hold the genesis hash a node computes from the spec where the runtime's CheckGenesis reads it,
        ``System.BlockHash(0)`` (chopsticks writes its placeholder 0x4545… there at block 1); pair with
        tests.rpc_proxy.RealGenesisProxy, which answers ``chain_getBlockHash(0)`` with it."""
        import xxhash

        from fennel_gov.chainspec.state import twox128

        if self.best() == 0:
            self.new_blocks(1)
        zero = (0).to_bytes(4, "little")  # Fennel's block number is u32; the map is Twox64Concat
        key = twox128(b"System") + twox128(b"BlockHash") + xxhash.xxh64(zero, seed=0).digest()[::-1] + zero
        rpc(self.url, "dev_setStorage", [[["0x" + key.hex(), "0x" + genesis_hash.hex()]]])
        assert rpc(self.url, "state_getStorage", ["0x" + key.hex()]) == "0x" + genesis_hash.hex()

    def best(self) -> int:
        return int(rpc(self.url, "chain_getHeader")["number"], 16)

    def to_session_change(self, sessions: int = 1, period: int = 30) -> None:
        """Make ``sessions`` more session changes happen.

        pallet-session rotates by block number, so one block built at the height just before the
        boundary (chopsticks' ``unsafeBlockHeight``) and one more make a real rotation in two blocks.
        """
        for _ in range(sessions):
            best = self.best()
            boundary = (best // period + 1) * period
            if boundary - 1 > best:
                rpc(self.url, "dev_newBlock", [{"count": 1, "unsafeBlockHeight": boundary - 1}], timeout=600)
            self.new_blocks(1)

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
        self._out.close()


def session_keys(suri: str) -> str:
    """The session keys (aura sr25519 + grandpa ed25519) of ``suri``, hex, as author_rotateKeys gives them."""
    from fennel_gov.keys import SessionKeys, pair_from_suri

    return SessionKeys.from_pairs(pair_from_suri(suri, "sr25519"), pair_from_suri(suri, "ed25519")).to_hex()
