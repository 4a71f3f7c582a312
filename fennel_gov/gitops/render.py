"""``gitops render``: the directory an operator commits to the GitOps repository.

::

    OUT/
      kustomization.yaml              every object below, for Flux (or ``kubectl apply -k --server-side``)
      flux-kustomization.yaml         the Flux Kustomization to add to the cluster's flux-system (not listed above)
      .sops.yaml                      with --sops-age: how sops re-encrypts an edited Secret
      chainspec/part-<i>.yaml         the raw spec, gzip, in immutable ConfigMaps
      secrets/<release>-<key>.yaml    SealedSecret, or SOPS-encrypted Secret: aura, gran, node-key
      releases/helmrepository.yaml    Parity's chart repository
      releases/<release>.yaml         one HelmRelease per node

Nothing is written until everything is ready; then the directory appears at once (a rename), so a
failure leaves nothing behind. No secret is ever in clear on disk.
"""

from __future__ import annotations

import datetime as _dt
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from fennel_gov.ceremony.manifest import fingerprint, load_manifest, network as manifest_network
from fennel_gov.errors import BadInput
from fennel_gov.gitops import _yaml, chainspec, nodes, sealed, sops

DEFAULT_INIT_IMAGE = "busybox:1.37.0"
DEFAULT_COMMAND = "fennel-node"
CHAINSPEC_PATH = "/chain-data/chainspec.json"


@dataclass(frozen=True)
class RenderOptions:
    manifest: Path
    ceremony: Path
    spec: Path
    namespace: str
    out: Path
    image: str  # REPOSITORY:TAG of the node
    seal_cert: Path | None = None
    sops_age: tuple[str, ...] = ()
    command: str = DEFAULT_COMMAND
    init_image: str = DEFAULT_INIT_IMAGE
    chart: nodes.Chart = field(default_factory=nodes.Chart)
    rpc_nodes: int = 0
    part_bytes: int = chainspec.DEFAULT_PART_BYTES
    flux_path: str | None = None  # path of OUT in the Git repository, for the Flux Kustomization

    def check(self) -> None:
        nodes.dns_label(self.namespace, "--namespace")
        if (self.seal_cert is None) == (not self.sops_age):
            raise BadInput("choose one encryption: --seal-cert CERT.pem (Sealed Secrets) or --sops-age RECIPIENT (SOPS)")
        for what, image in (("--image", self.image), ("--init-image", self.init_image)):
            repository, colon, tag = image.rpartition(":")
            if not colon or not repository or not tag or "/" in tag:
                raise BadInput(f"{what} is REPOSITORY:TAG (a pinned tag), not {image!r}")
        if not 0 <= self.rpc_nodes <= 20:
            raise BadInput("--rpc-nodes is 0 to 20")
        if self.out.exists() and (not self.out.is_dir() or any(self.out.iterdir())):
            raise BadInput(f"{self.out} exists and is not an empty directory; render into a new one")
        parent = self.out.parent if str(self.out.parent) else Path(".")
        if not parent.is_dir():  # before any passphrase is asked, not after
            raise BadInput(f"directory {parent} does not exist; create it first")


def render(
    options: RenderOptions,
    passphrases: nodes.Passphrases,
    *,
    randbytes: Callable[[int], bytes] = os.urandom,
    now: _dt.datetime | None = None,
) -> dict[str, Any]:
    options.check()
    manifest = load_manifest(options.manifest)
    network = nodes.k8s_name(manifest_network(manifest)["id"])
    nodes.dns_label(network, "the network id")
    key = sealed.load_sealing_key(options.seal_cert, now=now) if options.seal_cert else None
    recipients = sops.check_recipients(list(options.sops_age)) if options.sops_age else []
    data, facts = chainspec.load_spec(options.spec)
    labels = {nodes.LABEL_NETWORK: network}
    parts = chainspec.configmaps(data, facts, prefix=network, namespace=options.namespace, labels=labels, part_bytes=options.part_bytes)
    mounts = chainspec.configmap_mounts(parts)
    init = chainspec.init_container(parts, facts, image=options.init_image, chainspec_path=CHAINSPEC_PATH)

    network_nodes = nodes.open_nodes(options.ceremony, manifest, passphrases, rpc_nodes=options.rpc_nodes)
    files: dict[str, Any] = {}
    for index, part in enumerate(parts, start=1):
        files[f"chainspec/part-{index}.yaml"] = part
    for node in network_nodes:
        for secret in nodes.plain_secrets(node, prefix=network, namespace=options.namespace, network=network):
            name = secret["metadata"]["name"]
            if key is not None:
                files[f"secrets/{name}.yaml"] = sealed.seal_secret(secret, key, randbytes=randbytes)
            else:
                files[f"secrets/{name}.yaml"] = sops.encrypt_document(secret, recipients, randbytes=randbytes, now=now)
    files["releases/helmrepository.yaml"] = nodes.helm_repository(options.chart, options.namespace)
    bootnodes = nodes.bootnode_addresses(manifest, prefix=network, namespace=options.namespace)
    chain = nodes.k8s_name(facts.chain_id or network) or network
    for node in network_nodes:
        node_values = nodes.values(node, prefix=network, chain=chain, image=options.image, command=options.command,
                                   chainspec_path=CHAINSPEC_PATH, bootnodes=bootnodes, mounts=mounts, init=init)
        files[f"releases/{node.release(network)}.yaml"] = nodes.helm_release(
            node, node_values, prefix=network, namespace=options.namespace, network=network, chart=options.chart)
    files["kustomization.yaml"] = {
        "apiVersion": "kustomize.config.k8s.io/v1beta1",
        "kind": "Kustomization",
        "resources": list(files),
    }
    flux: dict[str, Any] = {
        "apiVersion": "kustomize.toolkit.fluxcd.io/v1",
        "kind": "Kustomization",
        "metadata": {"name": f"{network}-nodes", "namespace": "flux-system"},
        "spec": {
            "interval": "10m",
            "path": options.flux_path or f"./{options.out.name}",
            "prune": True,
            "wait": True,
            "sourceRef": {"kind": "GitRepository", "name": "flux-system"},
        },
    }
    if recipients:
        flux["spec"]["decryption"] = {"provider": "sops", "secretRef": {"name": "sops-age"}}
        files[".sops.yaml"] = sops.creation_rules(recipients)
    files["flux-kustomization.yaml"] = flux
    _write_directory(options.out, {path: _yaml.dump(document) for path, document in files.items()})
    return {
        "out": str(options.out),
        "encryption": "sealed-secrets" if key is not None else "sops-age",
        "sealing_cert_sha256": key.fingerprint if key is not None else None,
        "sops_age_recipients": recipients,
        "namespace": options.namespace,
        "network": network,
        "manifest_fingerprint": fingerprint(manifest)["hex"],
        "genesis_hash": facts.genesis_hash,
        "chainspec_sha256": facts.sha256,
        "chainspec_parts": len(parts),
        "nodes": [{"name": n.name, "role": n.role, "release": n.release(network), "peer_id": n.peer_id} for n in network_nodes],
        "files": sorted(files),
    }


def _write_directory(out: Path, texts: dict[str, str]) -> None:
    out = Path(out)
    parent = out.parent if str(out.parent) else Path(".")
    if not parent.is_dir():
        raise BadInput(f"directory {parent} does not exist; create it first")
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=parent))
    try:
        for relative, text in texts.items():
            path = staging / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            with open(path, "w", encoding="utf-8") as handle:
                handle.write(text)
                handle.flush()
                os.fsync(handle.fileno())
        os.chmod(staging, 0o755)
        if out.exists():
            out.rmdir()  # empty (checked): replace it with the finished directory
        os.rename(staging, out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
