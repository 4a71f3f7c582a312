"""``gitops verify``: check a rendered directory — perhaps edited by hand since — before it is committed.

Every object valid (``schemas``); every file listed in ``kustomization.yaml`` and every listed file
present; the chain spec parts complete, in order, and decompressing to exactly the given spec
(sha256 and computed genesis hash as annotated); every validator of the manifest with its aura and
gran keys and a node key, every bootnode with a node key; every HelmRelease pointing at Secrets and
spec parts that exist, pinning the spec's sha256 in its init container; and no Secret in clear.
"""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path, PurePosixPath
from typing import Any

from fennel_gov.ceremony.manifest import load_manifest
from fennel_gov.errors import BadInput
from fennel_gov.gitops import _yaml, chainspec, nodes, schemas, sops

_NOT_RESOURCES = {"kustomization.yaml", "flux-kustomization.yaml", ".sops.yaml"}
_SECRET_FIELDS = {"aura": {"type", "scheme", "seed"}, "gran": {"type", "scheme", "seed"}, nodes.NODE_KEY_FIELD: {nodes.NODE_KEY_FIELD}}


def _load_resources(directory: Path, problems: list[str]) -> list[tuple[str, dict[str, Any]]]:
    kustomization = _yaml.load_all(_read(directory / "kustomization.yaml"), "kustomization.yaml")
    if len(kustomization) != 1 or not isinstance(kustomization[0], dict) or not isinstance(kustomization[0].get("resources"), list):
        raise BadInput(f"{directory}/kustomization.yaml has no resources list; is this a rendered directory?")
    listed = kustomization[0]["resources"]
    objects = []
    for entry in listed:
        relative = PurePosixPath(str(entry))
        if relative.is_absolute() or ".." in relative.parts:
            problems.append(f"kustomization.yaml lists {entry}, outside the directory")
            continue
        path = directory / relative
        if not path.is_file():
            problems.append(f"kustomization.yaml lists {entry}, which does not exist")
            continue
        for document in _yaml.load_all(_read(path), str(entry)):
            objects.append((str(entry), document))
    on_disk = {p.relative_to(directory).as_posix() for p in directory.rglob("*.yaml") if p.is_file()}
    for stray in sorted(on_disk - set(map(str, listed)) - _NOT_RESOURCES):
        problems.append(f"{stray} is not listed in kustomization.yaml; Flux would not apply it")
    return objects


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise BadInput(f"cannot read {path}: {getattr(exc, 'strerror', None) or exc}") from None


def _secret_problems(obj: dict[str, Any]) -> list[str]:
    """A Secret must be SOPS-encrypted; a SealedSecret must carry only ciphertext."""
    where = schemas.describe(obj)
    if obj["kind"] == "Secret":
        meta = obj.get("sops")
        if not isinstance(meta, dict) or not meta.get("mac") or not meta.get("lastmodified"):
            return [f"{where}: a Secret in clear; seal it (--seal-cert) or encrypt it with sops (--sops-age)"]
        if not sops.is_encrypted_value(meta["mac"]) or not (meta.get("age") or meta.get("pgp") or meta.get("key_groups")):
            return [f"{where}: the sops block has no encrypted MAC or no recipients"]
        plain = [f"{field}.{k}" for field in ("data", "stringData") for k, v in _d(obj.get(field)).items() if not sops.is_encrypted_value(v)]
        return [f"{where}: {', '.join(plain)} in clear inside a sops file"] if plain else []
    spec = _d(obj.get("spec"))
    problems = []
    if spec.get("data"):
        problems.append(f"{where}: uses the deprecated spec.data")
    if _d(spec.get("template")).get("data"):
        problems.append(f"{where}: spec.template.data holds clear-text templates; keep secrets in encryptedData")
    for key, value in _d(spec.get("encryptedData")).items():
        try:
            raw = base64.b64decode(value, validate=True)
        except (TypeError, ValueError):
            problems.append(f"{where}: encryptedData.{key} is not base64")
            continue
        if len(raw) < 2 or len(raw) < 2 + int.from_bytes(raw[:2], "big") + 16 or int.from_bytes(raw[:2], "big") < 256:
            problems.append(f"{where}: encryptedData.{key} is not a sealed value (RSA length, ciphertext, GCM tag)")
    template_meta = _d(_d(spec.get("template")).get("metadata"))
    for field in ("name", "namespace"):
        if field in template_meta and template_meta[field] != obj["metadata"].get(field):
            problems.append(f"{where}: spec.template.metadata.{field} differs from the SealedSecret's; the strict scope will not unseal it")
    return problems


def _secret_keys(obj: dict[str, Any]) -> set[str]:
    if obj["kind"] == "SealedSecret":
        return set(_d(_d(obj.get("spec")).get("encryptedData")))
    return set(_d(obj.get("stringData"))) | set(_d(obj.get("data")))


def verify_directory(directory: Path, spec_path: Path, manifest_path: Path) -> dict[str, Any]:
    directory = Path(directory)
    if not directory.is_dir():
        raise BadInput(f"{directory} is not a directory")
    manifest = load_manifest(manifest_path)
    spec_bytes, facts = chainspec.load_spec(spec_path)
    problems: list[str] = []
    objects = _load_resources(directory, problems)

    for source, obj in objects:
        body = {k: v for k, v in obj.items() if k != "sops"} if isinstance(obj, dict) else obj
        problems += [f"{source}: {p}" for p in schemas.validate_object(body)]
    # Only well-shaped objects go further; the schema check above has reported the others.
    objects = [(s, o) for s, o in objects if isinstance(o, dict) and isinstance(o.get("kind"), str) and isinstance(o.get("metadata"), dict)
               and isinstance(o["metadata"].get("name"), str) and all(isinstance(o["metadata"].get(f, {}), dict) for f in ("labels", "annotations"))]
    namespaces = sorted({str(o["metadata"].get("namespace") or "(none)") for _, o in objects})
    if len(namespaces) != 1:
        problems.append(f"objects are spread over namespaces {', '.join(namespaces)}; a render uses one")

    # The chain spec
    parts = [o for _, o in objects if o["kind"] == "ConfigMap" and chainspec.ANNOTATION_PART in (o["metadata"].get("annotations") or {})]
    ours = [p for p in parts if p["metadata"]["annotations"].get(chainspec.ANNOTATION_SHA256) == facts.sha256]
    for stale in sorted({p["metadata"]["annotations"].get(chainspec.ANNOTATION_SHA256) for p in parts} - {facts.sha256}, key=str):
        problems.append(f"chain spec parts annotated with sha256 {stale} are not of the given spec ({facts.sha256})")
    part_names: list[str] = []
    if not ours:
        problems.append(f"no chain spec parts for the given spec (sha256 {facts.sha256})")
    else:
        for part in ours:
            if part["metadata"]["annotations"].get(chainspec.ANNOTATION_GENESIS) != facts.genesis_hash:
                problems.append(f"ConfigMap/{part['metadata']['name']}: genesis-hash annotation is not the spec's computed {facts.genesis_hash}")
        try:
            rebuilt = chainspec.reassemble(ours)
        except BadInput as exc:
            problems.append(str(exc))
        else:
            if rebuilt != spec_bytes:
                problems.append(f"the chain spec parts decompress to {len(rebuilt)} bytes with sha256 {hashlib.sha256(rebuilt).hexdigest()}, not the given spec")
        part_names = [p["metadata"]["name"] for p in sorted(ours, key=_part_index)]

    # Secrets: none in clear, and every node's keys present
    secrets = {o["metadata"]["name"]: o for _, o in objects if o["kind"] in ("Secret", "SealedSecret")}
    for obj in secrets.values():
        problems += _secret_problems(obj)
    found: dict[tuple[str, str], dict[str, Any]] = {}
    for obj in secrets.values():
        labels = _d(obj["metadata"].get("labels"))
        found[(str(labels.get(nodes.LABEL_NODE, "")), str(labels.get(nodes.LABEL_KEY, "")))] = obj
    wanted = [(v["name"], k) for v in manifest["validators"] for k in ("aura", "gran", nodes.NODE_KEY_FIELD)]
    wanted += [(b["name"], nodes.NODE_KEY_FIELD) for b in manifest.get("bootnodes", [])]
    for node, key in wanted:
        secret = found.get((node, key))
        if secret is None:
            problems.append(f"{node} has no {key} Secret (labels {nodes.LABEL_NODE}={node}, {nodes.LABEL_KEY}={key})")
        elif _secret_keys(secret) != _SECRET_FIELDS[key]:
            problems.append(f"{schemas.describe(secret)}: holds {sorted(_secret_keys(secret))}, the chart needs {sorted(_SECRET_FIELDS[key])}")

    # HelmReleases
    releases = [o for _, o in objects if o["kind"] == "HelmRelease"]
    by_node = {str(_d(r["metadata"].get("labels")).get(nodes.LABEL_NODE)): r for r in releases}
    peers = {b["peer_id"] for b in manifest.get("bootnodes", [])}
    for node in [v["name"] for v in manifest["validators"]] + [b["name"] for b in manifest.get("bootnodes", [])]:
        if node not in by_node:
            problems.append(f"{node} has no HelmRelease (label {nodes.LABEL_NODE}={node})")
    validators = {v["name"] for v in manifest["validators"]}
    for release in releases:
        problems += _release_problems(release, secrets, part_names, facts, validators, peers)

    return {
        "ok": not problems,
        "problems": problems,
        "objects": len(objects),
        "chainspec_parts": len(ours),
        "genesis_hash": facts.genesis_hash,
        "chainspec_sha256": facts.sha256,
    }


def _release_problems(release: dict[str, Any], secrets: dict[str, Any], part_names: list[str], facts: chainspec.SpecFacts,
                      validators: set[str], peers: set[str]) -> list[str]:
    where = schemas.describe(release)
    values = _d(_d(release.get("spec")).get("values"))
    node = _d(values.get("node"))
    node_name = _d(release["metadata"].get("labels")).get(nodes.LABEL_NODE)
    problems = []
    existing = _d(node.get("existingSecrets"))
    names = [str(k) for k in _l(existing.get("keys"))] + ([existing["nodeKey"].get("secretName")] if isinstance(existing.get("nodeKey"), dict) else [])
    for name in names:
        if name not in secrets:
            problems.append(f"{where}: refers to Secret {name}, which is not rendered")
    if node_name in validators:
        if node.get("role") not in ("validator", "authority"):
            problems.append(f"{where}: a validator's release must have node.role validator")
        if len(_l(existing.get("keys"))) != 2 or not isinstance(existing.get("nodeKey"), dict):
            problems.append(f"{where}: a validator needs existingSecrets.keys (aura, gran) and existingSecrets.nodeKey")
    mounts = [m.get("configMap") for m in _l(node.get("extraConfigmapMounts")) if isinstance(m, dict) and str(m.get("name", "")).startswith("fennel-chainspec-")]
    if mounts != part_names:
        problems.append(f"{where}: mounts chain spec parts {mounts}, not the spec's {part_names}")
    inits = [c for c in _l(values.get("extraInitContainers")) if isinstance(c, dict) and c.get("name") == "fennel-chainspec"]
    if len(inits) != 1:
        problems.append(f"{where}: no fennel-chainspec init container; nothing would check the spec before the node starts")
    else:
        env = {e.get("name"): e.get("value") for e in _l(inits[0].get("env")) if isinstance(e, dict)}
        if env.get("FENNEL_CHAINSPEC_SHA256") != facts.sha256:
            problems.append(f"{where}: the init container expects sha256 {env.get('FENNEL_CHAINSPEC_SHA256')}, not the spec's {facts.sha256}")
        if env.get("FENNEL_CHAINSPEC_PARTS") != str(len(part_names)):
            problems.append(f"{where}: the init container expects {env.get('FENNEL_CHAINSPEC_PARTS')} parts, the spec has {len(part_names)}")
        if not node.get("customChainspec") or env.get("FENNEL_CHAINSPEC_OUT") != node.get("customChainspecPath"):
            problems.append(f"{where}: node.customChainspec must be on, at the path the init container writes")
        if inits[0].get("args") != [chainspec.INIT_SCRIPT]:
            problems.append(f"{where}: the init container's script is not the one fennel-gov renders")
    for flag in _l(node.get("flags")):
        if str(flag).startswith("--bootnodes") and str(flag).rpartition("/p2p/")[2] not in peers:
            problems.append(f"{where}: {flag} is not a bootnode of the manifest")
    return problems



def _d(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _l(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _part_index(part: dict[str, Any]) -> int:
    try:
        return int(str(part["metadata"]["annotations"][chainspec.ANNOTATION_PART]).split("/")[0])
    except ValueError:
        return 0
