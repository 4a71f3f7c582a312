"""The nodes of a network as the cluster runs them: their keys opened from the ceremony, the Secrets
in the layouts Parity's ``node`` chart reads, and each node's HelmRelease values.

Layouts (paritytech/helm-charts ``charts/node``): ``node.existingSecrets.keys`` names Secrets with
the data keys ``type``, ``scheme`` and ``seed`` (the secret URI handed to ``key insert --suri``);
``node.existingSecrets.nodeKey`` names a Secret and the data key holding the 64-hex libp2p key.
One release per node (``replicas: 1``): the keys are a node's, not a StatefulSet's.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from fennel_gov.ceremony.manifest import ss58_format
from fennel_gov.errors import BadInput, InvalidKeyFile, VerificationFailed, WrongPassword
from fennel_gov.keys import SecretStr, SessionKeys, decrypt_account, node_key_from_secret, ss58

LABEL_NETWORK = "fennel.network/network"
LABEL_NODE = "fennel.network/node"
LABEL_KEY = "fennel.network/key"
NODE_KEY_FIELD = "node-key"
SESSION_KEYS = (("aura", "sr25519", "aura"), ("gran", "ed25519", "grandpa"))  # (type, scheme, ceremony file)
_DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")

Passphrases = Callable[[str], SecretStr]


def dns_label(text: str, what: str) -> str:
    if len(text) > 63 or not _DNS_LABEL.match(text):
        raise BadInput(f"{what} {text!r} is not a Kubernetes name (lower-case letters, digits and '-', at most 63)")
    return text


def k8s_name(text: str) -> str:
    """A network or chain id as a Kubernetes name part: lower case, '_' and '.' become '-'."""
    return re.sub(r"[^a-z0-9-]", "-", text.lower()).strip("-")


@dataclass(frozen=True)
class Node:
    name: str  # the manifest's name: validator-1, bootnode-1, rpc-1
    role: str  # validator | bootnode | rpc
    peer_id: str | None
    secrets: dict[str, SecretStr] = field(default_factory=dict, repr=False)  # aura / gran seeds, node-key hex

    def release(self, prefix: str) -> str:
        return dns_label(f"{prefix}-{self.name}", "the release name")

    def secret_name(self, prefix: str, key: str) -> str:
        return dns_label(f"{self.release(prefix)}-{key}", "the Secret name")


def _open(ceremony: Path, manifest: dict[str, Any], relative: str, passphrase: SecretStr):
    expected = manifest.get("secret_files", {}).get(relative)
    from fennel_gov._files import read_bytes

    data = read_bytes(ceremony / relative, "key file", error=InvalidKeyFile)
    if expected is None or hashlib.sha256(data).hexdigest() != expected:
        raise VerificationFailed(f"{relative} does not match its SHA-256 in the manifest; is this the manifest of that ceremony?")
    try:
        return decrypt_account(data, passphrase).pair
    except WrongPassword:
        raise WrongPassword(f"the passphrase given for {Path(relative).parent.name} does not open {relative}") from None


def open_nodes(ceremony: Path, manifest: dict[str, Any], passphrases: Passphrases, *, rpc_nodes: int = 0) -> list[Node]:
    """Every validator and bootnode of the manifest with its secrets, each checked against the manifest."""
    ceremony = Path(ceremony)
    prefix = ss58_format(manifest)
    nodes = []
    for validator in manifest["validators"]:
        custodian = validator["name"]
        phrase = passphrases(custodian)
        aura = _open(ceremony, manifest, f"secrets/{custodian}/aura.json", phrase)
        grandpa = _open(ceremony, manifest, f"secrets/{custodian}/grandpa.json", phrase)
        node = node_key_from_secret(_open(ceremony, manifest, f"secrets/{custodian}/node-key.json", phrase).seed)
        got = (ss58.encode(aura.public, prefix), ss58.encode(grandpa.public, prefix), SessionKeys.from_pairs(aura, grandpa).to_hex(), node.peer_id)
        want = (validator["session_keys"]["aura"], validator["session_keys"]["grandpa"], validator["session_keys"]["hex"], validator["peer_id"])
        if got != want:
            raise VerificationFailed(f"the secrets of {custodian} do not give the manifest's session keys and peer id; run 'fennel-gov ceremony verify'")
        nodes.append(Node(custodian, "validator", node.peer_id, {
            "aura": SecretStr("0x" + aura.seed.hex()), "gran": SecretStr("0x" + grandpa.seed.hex()), NODE_KEY_FIELD: SecretStr(node.secret_bytes().hex()),
        }))
    for bootnode in manifest.get("bootnodes", []):
        custodian = bootnode["name"]
        node = node_key_from_secret(_open(ceremony, manifest, f"secrets/{custodian}/node-key.json", passphrases(custodian)).seed)
        if node.peer_id != bootnode["peer_id"]:
            raise VerificationFailed(f"the node key of {custodian} gives {node.peer_id}, not the manifest's {bootnode['peer_id']}")
        nodes.append(Node(custodian, "bootnode", node.peer_id, {NODE_KEY_FIELD: SecretStr(node.secret_bytes().hex())}))
    nodes += [Node(f"rpc-{i}", "rpc", None) for i in range(1, rpc_nodes + 1)]
    return nodes


def custodians(manifest: dict[str, Any]) -> list[str]:
    """Whose passphrases ``render`` needs, in the order ``--passphrases-stdin`` reads them."""
    return [v["name"] for v in manifest["validators"]] + [b["name"] for b in manifest.get("bootnodes", [])]


def plain_secrets(node: Node, *, prefix: str, namespace: str, network: str) -> list[dict[str, Any]]:
    """The node's Secrets in clear, in memory only: they are sealed or SOPS-encrypted before any write."""
    out = []
    for key_type, scheme, _ in SESSION_KEYS:
        if key_type in node.secrets:
            out.append(_secret(node.secret_name(prefix, key_type), namespace, network, node.name, key_type,
                               {"type": key_type, "scheme": scheme, "seed": node.secrets[key_type].reveal()}))
    if NODE_KEY_FIELD in node.secrets:
        out.append(_secret(node.secret_name(prefix, NODE_KEY_FIELD), namespace, network, node.name, NODE_KEY_FIELD,
                           {NODE_KEY_FIELD: node.secrets[NODE_KEY_FIELD].reveal()}))
    return out


def _secret(name: str, namespace: str, network: str, node: str, key: str, data: dict[str, str]) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": name, "namespace": namespace, "labels": {LABEL_NETWORK: network, LABEL_NODE: node, LABEL_KEY: key}},
        "type": "Opaque",
        "stringData": data,
    }


def bootnode_addresses(manifest: dict[str, Any], *, prefix: str, namespace: str) -> dict[str, str]:
    """Bootnode name → multiaddr: the manifest's, else the pod's DNS name behind the chart's headless Service."""
    out = {}
    for bootnode in manifest.get("bootnodes", []):
        release = f"{prefix}-{bootnode['name']}"
        out[bootnode["name"]] = bootnode.get("multiaddr") or (
            f"/dns4/{release}-0.{release}.{namespace}.svc.cluster.local/tcp/30333/p2p/{bootnode['peer_id']}"
        )
    return out


@dataclass(frozen=True)
class Chart:
    repository: str = "https://paritytech.github.io/helm-charts/"
    version: str = "5.17.0"
    source_name: str = "parity"


def helm_repository(chart: Chart, namespace: str) -> dict[str, Any]:
    return {
        "apiVersion": "source.toolkit.fluxcd.io/v1",
        "kind": "HelmRepository",
        "metadata": {"name": chart.source_name, "namespace": namespace},
        "spec": {"interval": "1h", "url": chart.repository},
    }


def values(node: Node, *, prefix: str, chain: str, image: str, command: str, chainspec_path: str,
           bootnodes: dict[str, str], mounts: list[dict[str, Any]], init: dict[str, Any]) -> dict[str, Any]:
    repository, _, tag = image.rpartition(":")
    node_values: dict[str, Any] = {
        "chain": chain,
        "command": command,
        "replicas": 1,
        "role": "validator" if node.role == "validator" else "full",
        "customChainspec": True,
        "customChainspecPath": chainspec_path,
        "flags": [f"--bootnodes={address}" for name, address in bootnodes.items() if name != node.name],
        "extraConfigmapMounts": mounts,
    }
    if node.role == "validator":
        node_values["existingSecrets"] = {
            "keys": [node.secret_name(prefix, t) for t, _, _ in SESSION_KEYS],
            "nodeKey": {"secretName": node.secret_name(prefix, NODE_KEY_FIELD), "secretKey": NODE_KEY_FIELD},
        }
    elif node.role == "bootnode":
        node_values["existingSecrets"] = {"nodeKey": {"secretName": node.secret_name(prefix, NODE_KEY_FIELD), "secretKey": NODE_KEY_FIELD}}
    else:
        node_values["persistGeneratedNodeKey"] = True  # an RPC node's identity matters to nobody but must survive restarts
    return {
        "fullnameOverride": node.release(prefix),
        "image": {"repository": repository, "tag": tag},
        "node": node_values,
        "extraInitContainers": [init],
    }


def helm_release(node: Node, node_values: dict[str, Any], *, prefix: str, namespace: str, network: str, chart: Chart) -> dict[str, Any]:
    return {
        "apiVersion": "helm.toolkit.fluxcd.io/v2",
        "kind": "HelmRelease",
        "metadata": {"name": node.release(prefix), "namespace": namespace, "labels": {LABEL_NETWORK: network, LABEL_NODE: node.name}},
        "spec": {
            "interval": "10m",
            "chart": {"spec": {"chart": "node", "version": chart.version, "sourceRef": {"kind": "HelmRepository", "name": chart.source_name}}},
            "values": node_values,
        },
    }
