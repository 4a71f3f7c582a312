"""Is this a Kubernetes object the API server would accept?

Built-in kinds (``v1`` ConfigMap, Secret, …) are validated against the OpenAPI-derived JSON schemas
that the ``kubernetes-validate`` package ships (offline, strict: unknown fields are errors). The
custom resources we write — ``SealedSecret``, Flux's ``HelmRelease`` and ``HelmRepository`` — have no
bundled schema there, so their required fields and types are checked here, after the CRDs
(bitnami-labs/sealed-secrets ``types.go``; Flux's helm-controller and source-controller APIs).
"""

from __future__ import annotations

import base64
import json
import re
from typing import Any

MAX_OBJECT_BYTES = 1024 * 1024  # a ConfigMap's or Secret's data may total 1 MiB; etcd refuses ~1.5 MiB objects
_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")
_LABEL_NAME = re.compile(r"^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$")
_DURATION = re.compile(r"^([0-9]+(\.[0-9]+)?(ms|s|m|h))+$")
_BUILTIN_GROUPS = ("v1", "apps/v1", "batch/v1", "networking.k8s.io/v1", "policy/v1", "rbac.authorization.k8s.io/v1")


def describe(obj: Any) -> str:
    if not isinstance(obj, dict):
        return "a non-object document"
    name = obj.get("metadata", {}).get("name") if isinstance(obj.get("metadata"), dict) else None
    return f"{obj.get('kind', '?')}/{name or '?'}"


def validate_object(obj: Any) -> list[str]:
    """Problems with one object (an empty list when the API server would take it)."""
    if not isinstance(obj, dict) or not isinstance(obj.get("apiVersion"), str) or not isinstance(obj.get("kind"), str):
        return [f"{describe(obj)}: not a Kubernetes object (apiVersion and kind are required)"]
    problems = _metadata(obj)
    if len(json.dumps(obj).encode()) > MAX_OBJECT_BYTES:
        problems.append(f"{describe(obj)}: larger than 1 MiB serialized; the API server refuses it")
    check = _CUSTOM.get((obj["apiVersion"], obj["kind"]))
    if check is not None:
        return problems + [f"{describe(obj)}: {p}" for p in check(obj.get("spec"))]
    if obj["apiVersion"] in _BUILTIN_GROUPS:
        return problems + _builtin(obj)
    return problems + [f"{describe(obj)}: no schema known for {obj['apiVersion']} {obj['kind']}"]


def _metadata(obj: dict[str, Any]) -> list[str]:
    meta = obj.get("metadata")
    where = describe(obj)
    if not isinstance(meta, dict) or not isinstance(meta.get("name"), str):
        return [f"{where}: metadata.name is required"]
    problems = []
    if len(meta["name"]) > 253 or not _SUBDOMAIN.match(meta["name"]):
        problems.append(f"{where}: metadata.name is not a DNS subdomain name")
    for field in ("labels", "annotations"):
        entries = meta.get(field, {})
        if not isinstance(entries, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in entries.items()):
            problems.append(f"{where}: metadata.{field} must map strings to strings")
            continue
        for key, value in entries.items():
            prefix, _, name = key.rpartition("/")
            if not _LABEL_NAME.match(name) or len(name) > 63 or (prefix and not _SUBDOMAIN.match(prefix)):
                problems.append(f"{where}: {field[:-1]} key {key!r} is not a qualified name")
            if field == "labels" and (len(value) > 63 or not _LABEL_VALUE.match(value)):
                problems.append(f"{where}: label {key} has an invalid value {value!r}")
    return problems


def _builtin(obj: dict[str, Any]) -> list[str]:
    import kubernetes_validate
    from kubernetes_validate.utils import SchemaNotFoundError, ValidationError, latest_version

    try:
        kubernetes_validate.validate(obj, latest_version(), strict=True)
    except ValidationError as exc:
        path = ".".join(str(p) for p in exc.path) or "(object)"
        return [f"{describe(obj)}: {path}: {exc.message}"]
    except SchemaNotFoundError:
        return [f"{describe(obj)}: no schema for {obj['apiVersion']} {obj['kind']}"]
    if obj["kind"] == "ConfigMap":
        size = sum(len(v) for v in (obj.get("data") or {}).values()) + sum(
            len(_b64(v) or b"") for v in (obj.get("binaryData") or {}).values())
        if size > MAX_OBJECT_BYTES:
            return [f"{describe(obj)}: data and binaryData total {size} bytes; a ConfigMap holds at most 1 MiB"]
        bad = [k for k, v in (obj.get("binaryData") or {}).items() if _b64(v) is None]
        if bad:
            return [f"{describe(obj)}: binaryData {', '.join(bad)} is not base64"]
    return []


def _b64(value: Any) -> bytes | None:
    try:
        return base64.b64decode(value, validate=True)
    except (TypeError, ValueError):
        return None


def _sealed_secret(spec: Any) -> list[str]:
    if not isinstance(spec, dict):
        return ["spec is required"]
    data = spec.get("encryptedData")
    problems = []
    if not isinstance(data, dict) or not data or not all(isinstance(k, str) and isinstance(v, str) for k, v in data.items()):
        problems.append("spec.encryptedData must map data keys to base64 strings")
    template = spec.get("template", {})
    if not isinstance(template, dict) or not isinstance(template.get("metadata", {}), dict):
        problems.append("spec.template must be an object with optional metadata, type, immutable, data")
    elif set(template) - {"metadata", "type", "immutable", "data"}:
        problems.append(f"spec.template has unknown fields {sorted(set(template) - {'metadata', 'type', 'immutable', 'data'})}")
    return problems


def _helm_release(spec: Any) -> list[str]:
    if not isinstance(spec, dict):
        return ["spec is required"]
    problems = []
    if not isinstance(spec.get("interval"), str) or not _DURATION.match(spec["interval"]):
        problems.append("spec.interval is a required duration such as 10m")
    chart = spec.get("chart", {}).get("spec") if isinstance(spec.get("chart"), dict) else None
    if not isinstance(chart, dict) or not isinstance(chart.get("chart"), str) or not chart["chart"]:
        problems.append("spec.chart.spec.chart is required")
    else:
        source = chart.get("sourceRef")
        if not isinstance(source, dict) or source.get("kind") not in ("HelmRepository", "GitRepository", "Bucket") or not isinstance(source.get("name"), str):
            problems.append("spec.chart.spec.sourceRef needs kind (HelmRepository, GitRepository or Bucket) and name")
        if "version" in chart and not isinstance(chart["version"], str):
            problems.append("spec.chart.spec.version must be a string")
    if "values" in spec and not isinstance(spec["values"], dict):
        problems.append("spec.values must be an object")
    return problems


def _helm_repository(spec: Any) -> list[str]:
    if not isinstance(spec, dict):
        return ["spec is required"]
    problems = []
    if not isinstance(spec.get("url"), str) or not re.match(r"^(http|https|oci)://", spec["url"]):
        problems.append("spec.url is a required http(s):// or oci:// URL")
    if not isinstance(spec.get("interval"), str) or not _DURATION.match(spec["interval"]):
        problems.append("spec.interval is a required duration such as 1h")
    return problems


_CUSTOM = {
    ("bitnami.com/v1alpha1", "SealedSecret"): _sealed_secret,
    ("helm.toolkit.fluxcd.io/v2", "HelmRelease"): _helm_release,
    ("source.toolkit.fluxcd.io/v1", "HelmRepository"): _helm_repository,
}
