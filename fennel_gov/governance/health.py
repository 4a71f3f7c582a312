"""``check-network``: the chain-mismatch, stalled-finality and isolated-node failures of a real rollout."""

from __future__ import annotations

from collections import Counter
from typing import Any

from fennel_gov.errors import FennelGovError
from fennel_gov.governance.chain import CHOPSTICKS_PLACEHOLDER
from fennel_gov.governance.rpc import RpcClient


def probe(url: str, timeout: float = 5.0) -> dict[str, Any]:
    node: dict[str, Any] = {"url": url, "reachable": False, "error": None}
    try:
        client = RpcClient(url, timeout)
    except FennelGovError as exc:
        node["error"] = str(exc)
        return node
    try:
        node["genesis_hash"] = client.call("chain_getBlockHash", [0])
        version = client.call("state_getRuntimeVersion")
        node["spec_name"], node["spec_version"] = version.get("specName"), version.get("specVersion")
        node["best_block"] = int(client.call("chain_getHeader")["number"], 16)
        finalized_hash = client.call("chain_getFinalizedHead")
        node["finalized_block"] = int(client.call("chain_getHeader", [finalized_hash])["number"], 16)
        health = client.call("system_health")
        node["peers"] = health.get("peers")
        node["should_have_peers"] = health.get("shouldHavePeers", True)
        if node["genesis_hash"] == CHOPSTICKS_PLACEHOLDER:
            # Only then: chopsticks names itself in system_version, so the report can say what the node is.
            version = client.call("system_version")
            node["chopsticks"] = isinstance(version, str) and version.lower().startswith("chopsticks")
        node["reachable"] = True
    except FennelGovError as exc:
        node["error"] = str(exc)
    finally:
        client.close()
    return node


def probe_all(urls: list[str], timeout: float) -> list[dict[str, Any]]:
    """Probe every node at once; a node still silent after ``timeout`` seconds in all is unreachable."""
    import threading
    import time

    results: list[dict[str, Any] | None] = [None] * len(urls)

    def run(index: int, url: str) -> None:
        try:
            results[index] = probe(url, timeout)
        except Exception as exc:  # noqa: BLE001 - an answer of the wrong shape: report it, never crash
            results[index] = {"url": url, "reachable": False, "error": f"answered unexpectedly ({type(exc).__name__})"}

    # Daemon threads: a node that never answers must not keep the command alive after the report.
    threads = [threading.Thread(target=run, args=(i, url), daemon=True) for i, url in enumerate(urls)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + timeout
    for thread in threads:
        thread.join(max(deadline - time.monotonic(), 0))
    return [
        result if result is not None else
        {"url": url, "reachable": False, "error": f"no complete answer within {timeout:g} s"}
        for url, result in zip(urls, results)
    ]


def check_nodes(
    urls: list[str], *, finality_lag: int = 20, timeout: float = 5.0, expected_genesis: str | None = None, network: str | None = None,
) -> dict[str, Any]:
    """Probe ``urls`` and list what disagrees; with ``expected_genesis`` (a configured network's
    ``genesis_hash``), a node on any other chain is a problem even when all the nodes agree."""
    nodes = probe_all(urls, timeout)
    problems: list[str] = []
    live = [n for n in nodes if n["reachable"]]
    for node in nodes:
        if not node["reachable"]:
            problems.append(f"{node['url']} is unreachable: {node['error']}")
    if live:
        genesis, _ = Counter(n["genesis_hash"] for n in live).most_common(1)[0]
        version, _ = Counter(n["spec_version"] for n in live).most_common(1)[0]
        best = max(n["best_block"] for n in live)
        for node in live:
            if node["genesis_hash"] != genesis:
                problems.append(f"{node['url']} is on another chain (genesis {node['genesis_hash']}, the others {genesis})")
            if node["genesis_hash"] == CHOPSTICKS_PLACEHOLDER:
                what = "is chopsticks: it reports" if node.get("chopsticks") else "reports"
                problems.append(f"{node['url']} {what} a placeholder genesis hash{'' if node.get('chopsticks') else ' (chopsticks?)'}: "
                                "not a real network node")
            elif expected_genesis and str(node["genesis_hash"]).lower() != expected_genesis.lower():
                problems.append(f"{node['url']} serves genesis {node['genesis_hash']}, not {network or 'the configured'} "
                                f"network's genesis_hash {expected_genesis}")
            if node["spec_version"] != version:
                problems.append(f"{node['url']} runs spec version {node['spec_version']}, the others {version}")
            lag = node["best_block"] - node["finalized_block"]
            if lag > finality_lag:
                problems.append(f"{node['url']}: finality is {lag} blocks behind its best block")
            if best - node["best_block"] > finality_lag:
                problems.append(f"{node['url']} is {best - node['best_block']} blocks behind the best node")
            if node["peers"] == 0 and node.get("should_have_peers", True):
                problems.append(f"{node['url']} has no peers: it is isolated (check bootnodes and firewall)")
    report: dict[str, Any] = {"ok": not problems, "nodes": nodes, "problems": problems}
    if expected_genesis:
        report["expected_genesis_hash"] = expected_genesis
    return report
