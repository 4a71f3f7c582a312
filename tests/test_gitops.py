"""``gitops render`` / ``gitops verify`` from a real ceremony (3 validators, 1 bootnode) and Fennel's raw spec.

Every secret is opened here the way its consumer would open it, by code written from the formats and
independent of ``fennel_gov.gitops``: SealedSecrets with pycryptodome (RSA-OAEP SHA-256 with the
scope label, AES-256-GCM with a zero nonce), as the controller's ``HybridDecrypt`` does; SOPS files
with Debian's ``age`` command for the data key, pycryptodome for the values, and the MAC recomputed
from the parsed YAML. Every opened seed must give the manifest's public key, every node key its peer id.
"""

from __future__ import annotations

import base64
import datetime as dt
import gzip
import hashlib
import io
import json
import os
import random
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from fennel_gov.ceremony.generate import CeremonyPlan, run_ceremony
from fennel_gov.keys import SecretStr, node_key_from_secret, pair_from_seed, ss58
from fennel_gov.keys.schemes import Scheme
from tests.conftest import FIXTURES, ROOT

SPEC = FIXTURES / "development-raw.json"
GENESIS = "0x629e44454b757046582d3b23d223f38fcc07123f42d33f850effacb98d39ffdb"  # fennel_gov.chainspec's, = chainspec inspect
NAMESPACE = "fennel"
IMAGE = "ghcr.io/corruptedaesthetic/fennel-solonet:fennel-node-0.6.2"
CUSTODIANS = ["validator-1", "validator-2", "validator-3", "bootnode-1"]


def passphrase(custodian: str) -> str:
    return f"{custodian} passphrase"


def stdin_for(order=CUSTODIANS) -> str:
    return "".join(passphrase(c) + "\n" for c in order)


def run_main(argv: list[str], stdin: str = "") -> int:
    from fennel_gov.cli import main

    old = sys.stdin
    sys.stdin = io.TextIOWrapper(io.BytesIO(stdin.encode()))
    try:
        return main([str(a) for a in argv])
    finally:
        sys.stdin = old


def objects_in(directory: Path) -> dict[str, dict]:
    return {path.relative_to(directory).as_posix(): yaml.safe_load(path.read_text())
            for path in sorted(directory.rglob("*.yaml"))}


@pytest.fixture(scope="module")
def ceremony(tmp_path_factory) -> Path:
    plan = CeremonyPlan(network="fennel-test", validators=3, bootnodes=1, bootnode_addresses=("/dns4/boot1.fennel.example/tcp/30333",))
    out = tmp_path_factory.mktemp("gitops-ceremony") / "c"
    run_ceremony(plan, out, {c: SecretStr(passphrase(c)) for c in plan.custodians()}, randbytes=random.Random(14).randbytes,
                 now=dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc))
    return out


@pytest.fixture(scope="module")
def manifest(ceremony) -> dict:
    return json.loads((ceremony / "keys" / "fennel-test.json").read_text())


@pytest.fixture(scope="module")
def controller(tmp_path_factory):
    """A Sealed Secrets controller's key pair: the certificate kubeseal would fetch, and the private key."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "sealed-secret"), x509.NameAttribute(NameOID.ORGANIZATION_NAME, "sealed-secret")])
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key()).serial_number(1)
            .not_valid_before(dt.datetime(2026, 1, 1)).not_valid_after(dt.datetime(2036, 1, 1)).sign(key, hashes.SHA256()))
    directory = tmp_path_factory.mktemp("controller")
    (directory / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    private = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    return directory / "cert.pem", private


@pytest.fixture(scope="module")
def age_identity(tmp_path_factory):
    """An age identity made by Debian's age-keygen (the Flux side), and its recipient."""
    if shutil.which("age-keygen") is None or shutil.which("age") is None:
        pytest.fail("the age command is needed to check SOPS files independently: apt-get install -y age")
    path = tmp_path_factory.mktemp("age") / "identity.txt"
    subprocess.run(["age-keygen", "-o", str(path)], check=True, capture_output=True)
    recipient = subprocess.run(["age-keygen", "-y", str(path)], check=True, capture_output=True, text=True).stdout.strip()
    return path, recipient


def render_argv(ceremony, out, *extra):
    return ["gitops", "render", "--manifest", ceremony / "keys" / "fennel-test.json", "--ceremony", ceremony, "--spec", SPEC,
            "--namespace", NAMESPACE, "--image", IMAGE, "-o", out, "--passphrases-stdin", "--allow-network", "--json", *extra]


@pytest.fixture(scope="module")
def sealed_dir(ceremony, controller, tmp_path_factory) -> Path:
    import pytest_socket

    out = tmp_path_factory.mktemp("sealed") / "fennel-test"
    pytest_socket.disable_socket()  # rendering is offline: it may not even create a socket
    try:
        assert run_main(render_argv(ceremony, out, "--seal-cert", controller[0], "--rpc-nodes", "1"), stdin_for()) == 0
    finally:
        pytest_socket.enable_socket()
    return out


@pytest.fixture(scope="module")
def sops_dir(ceremony, age_identity, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("sops") / "fennel-test"
    assert run_main(render_argv(ceremony, out, "--sops-age", age_identity[1]), stdin_for()) == 0
    return out


# --- independent openers ---------------------------------------------------------------------------

def unseal_value(private_pem: bytes, value_b64: str, label: bytes) -> bytes:
    """The controller's HybridDecrypt: u16 length, RSA-OAEP(SHA-256, label) session key, AES-256-GCM zero nonce."""
    from Crypto.Cipher import AES, PKCS1_OAEP
    from Crypto.Hash import SHA256
    from Crypto.PublicKey import RSA

    blob = base64.b64decode(value_b64)
    rsa_len = int.from_bytes(blob[:2], "big")
    session_key = PKCS1_OAEP.new(RSA.import_key(private_pem), hashAlgo=SHA256, label=label).decrypt(blob[2 : 2 + rsa_len])
    body = blob[2 + rsa_len :]
    return AES.new(session_key, AES.MODE_GCM, nonce=bytes(12)).decrypt_and_verify(body[:-16], body[-16:])


def unseal(private_pem: bytes, sealed: dict) -> dict[str, str]:
    """As the controller unseals a strict-scope SealedSecret: the label is its own namespace/name."""
    label = f"{sealed['metadata']['namespace']}/{sealed['metadata']['name']}".encode()
    return {k: unseal_value(private_pem, v, label).decode() for k, v in sealed["spec"]["encryptedData"].items()}


_ENC = re.compile(r"^ENC\[AES256_GCM,data:(.*),iv:(.+),tag:(.+),type:(.+)\]$")


def sops_value(key: bytes, text: str, additional: str) -> str:
    from Crypto.Cipher import AES

    data, iv, tag, kind = _ENC.match(text).groups()
    assert kind == "str"
    cipher = AES.new(key, AES.MODE_GCM, nonce=base64.b64decode(iv))
    cipher.update(additional.encode())
    return cipher.decrypt_and_verify(base64.b64decode(data), base64.b64decode(tag)).decode()


def sops_open(document: dict, identity: Path) -> dict:
    """Decrypt a SOPS YAML document: data key from age (the command), values, then the MAC check."""
    meta = document["sops"]
    keys = set()
    for stanza in meta["age"]:
        done = subprocess.run(["age", "-d", "-i", str(identity)], input=stanza["enc"].encode(), capture_output=True, check=True)
        keys.add(done.stdout)
    (key,) = keys
    assert len(key) == 32
    digest = hashlib.sha512()

    def walk(node, path):
        if isinstance(node, dict):
            return {k: walk(v, path + [k]) for k, v in node.items()}
        if isinstance(node, list):
            return [walk(v, path) for v in node]
        if any(re.search(meta["encrypted_regex"], p) for p in path):
            node = sops_value(key, node, ":".join(path) + ":")
        digest.update(("True" if node is True else "False" if node is False else str(node)).encode())
        return node

    plain = walk({k: v for k, v in document.items() if k != "sops"}, [])
    mac = sops_value(key, meta["mac"], meta["lastmodified"])
    if mac != digest.hexdigest().upper():
        raise ValueError("MAC mismatch")
    return plain


def check_key(manifest: dict, node: str, key: str, data: dict[str, str]) -> None:
    """The opened Secret data gives the manifest's public key (aura, gran) or peer id (node-key)."""
    entry = next(n for n in manifest["validators"] + manifest["bootnodes"] if n["name"] == node)
    if key == "node-key":
        assert set(data) == {"node-key"} and re.fullmatch(r"[0-9a-f]{64}", data["node-key"])
        assert node_key_from_secret(bytes.fromhex(data["node-key"])).peer_id == entry["peer_id"]
        return
    scheme, field = {"aura": (Scheme.SR25519, "aura"), "gran": (Scheme.ED25519, "grandpa")}[key]
    assert data["type"] == key and data["scheme"] == scheme.value
    assert re.fullmatch(r"0x[0-9a-f]{64}", data["seed"])
    assert ss58.encode(pair_from_seed(scheme, bytes.fromhex(data["seed"][2:])).public) == entry["session_keys"][field]


def secret_files(directory: Path) -> dict[str, dict]:
    return {p: o for p, o in objects_in(directory).items() if p.startswith("secrets/")}


# --- tests -------------------------------------------------------------------------------------------

def test_sealed_secrets_unseal_as_the_controller_would_and_give_the_manifests_keys(sealed_dir, controller, manifest):
    sealed = secret_files(sealed_dir)
    assert len(sealed) == 3 * 3 + 1
    seen = set()
    for obj in sealed.values():
        assert obj["apiVersion"] == "bitnami.com/v1alpha1" and obj["kind"] == "SealedSecret"
        assert obj["spec"]["template"]["metadata"]["name"] == obj["metadata"]["name"]
        labels = obj["metadata"]["labels"]
        assert labels["fennel.network/network"] == "fennel-test"
        check_key(manifest, labels["fennel.network/node"], labels["fennel.network/key"], unseal(controller[1], obj))
        seen.add((labels["fennel.network/node"], labels["fennel.network/key"]))
    assert seen == {(v, k) for v in ("validator-1", "validator-2", "validator-3") for k in ("aura", "gran", "node-key")} | {("bootnode-1", "node-key")}


def test_a_sealed_value_does_not_open_under_another_name_or_namespace(sealed_dir, controller):
    obj = secret_files(sealed_dir)["secrets/fennel-test-validator-1-aura.yaml"]
    value = obj["spec"]["encryptedData"]["seed"]
    assert unseal_value(controller[1], value, b"fennel/fennel-test-validator-1-aura").startswith(b"0x")
    for label in (b"fennel/fennel-test-validator-2-aura", b"other/fennel-test-validator-1-aura", b""):
        with pytest.raises(ValueError):
            unseal_value(controller[1], value, label)


def test_sops_secrets_open_with_age_and_their_mac_holds(sops_dir, age_identity, manifest):
    files = secret_files(sops_dir)
    assert len(files) == 10
    for obj in files.values():
        assert obj["kind"] == "Secret" and obj["sops"]["age"][0]["recipient"] == age_identity[1]
        assert all(v.startswith("ENC[AES256_GCM,") for v in obj["stringData"].values())
        plain = sops_open(obj, age_identity[0])
        labels = plain["metadata"]["labels"]
        check_key(manifest, labels["fennel.network/node"], labels["fennel.network/key"], plain["stringData"])
    rules = yaml.safe_load((sops_dir / ".sops.yaml").read_text())
    assert rules["creation_rules"][0]["age"] == age_identity[1]
    flux = yaml.safe_load((sops_dir / "flux-kustomization.yaml").read_text())
    assert flux["spec"]["decryption"] == {"provider": "sops", "secretRef": {"name": "sops-age"}}


def test_the_sops_mac_covers_clear_values_and_the_key_path(sops_dir, age_identity):
    obj = secret_files(sops_dir)["secrets/fennel-test-validator-2-gran.yaml"]
    relabelled = json.loads(json.dumps(obj))
    relabelled["metadata"]["labels"]["fennel.network/node"] = "validator-1"  # a clear label, moved to another node
    with pytest.raises(ValueError, match="MAC mismatch"):
        sops_open(relabelled, age_identity[0])
    moved = json.loads(json.dumps(obj))
    moved["stringData"]["type"], moved["stringData"]["seed"] = obj["stringData"]["seed"], obj["stringData"]["type"]
    with pytest.raises(ValueError):  # GCM tag: the additional data is the key path
        sops_open(moved, age_identity[0])


def test_chainspec_configmaps_reassemble_to_the_spec_bytes(sealed_dir):
    from fennel_gov.chainspec.genesis import to_raw
    from fennel_gov.chainspec.spec import ChainSpec

    spec = SPEC.read_bytes()
    parts = [o for p, o in objects_in(sealed_dir).items() if p.startswith("chainspec/")]
    assert len(parts) == 2  # 3.7 MB raw, ~650 KB gzip: more than one ConfigMap's worth
    parts.sort(key=lambda o: int(o["metadata"]["annotations"]["fennel.network/chainspec-part"].split("/")[0]))
    assert [o["metadata"]["annotations"]["fennel.network/chainspec-part"] for o in parts] == ["1/2", "2/2"]
    genesis = "0x" + to_raw(ChainSpec.load(SPEC))[1].genesis_hash.hex()
    assert genesis == GENESIS
    for part in parts:
        assert part["immutable"] is True
        assert part["metadata"]["annotations"]["fennel.network/chainspec-sha256"] == hashlib.sha256(spec).hexdigest()
        assert part["metadata"]["annotations"]["fennel.network/genesis-hash"] == genesis
        assert len(json.dumps(part)) < 768 * 1024  # well under the 1 MiB a ConfigMap may hold
    packed = b"".join(base64.b64decode(o["binaryData"]["chainspec.json.gz.part"]) for o in parts)
    assert gzip.decompress(packed) == spec


def test_every_object_is_valid_against_the_kubernetes_schemas(sealed_dir, sops_dir):
    import kubernetes_validate
    from kubernetes_validate.utils import latest_version

    from fennel_gov.gitops.schemas import validate_object

    kinds = set()
    for directory in (sealed_dir, sops_dir):
        listed = yaml.safe_load((directory / "kustomization.yaml").read_text())["resources"]
        assert sorted(listed) == sorted(p for p in objects_in(directory) if p not in ("kustomization.yaml", "flux-kustomization.yaml", ".sops.yaml"))
        for relative in listed:
            obj = yaml.safe_load((directory / relative).read_text())
            obj.pop("sops", None)  # the kustomize-controller strips it when it decrypts
            kinds.add((obj["apiVersion"], obj["kind"]))
            if "." not in obj["apiVersion"]:
                kubernetes_validate.validate(obj, latest_version(), strict=True)  # raises on any error
            assert validate_object(obj) == [], relative
    assert kinds == {("v1", "ConfigMap"), ("v1", "Secret"), ("bitnami.com/v1alpha1", "SealedSecret"),
                     ("source.toolkit.fluxcd.io/v1", "HelmRepository"), ("helm.toolkit.fluxcd.io/v2", "HelmRelease")}


def test_schema_validation_rejects_what_the_api_server_would(sealed_dir):
    from fennel_gov.gitops.schemas import validate_object

    part = yaml.safe_load((sealed_dir / "chainspec" / "part-2.yaml").read_text())
    assert validate_object(part) == []
    assert any("binaryDatum" in p or "Additional properties" in p for p in validate_object(dict(part, binaryDatum={})))
    assert any("immutable" in p for p in validate_object(dict(part, immutable="yes")))
    assert any("DNS subdomain" in p for p in validate_object(dict(part, metadata=dict(part["metadata"], name="Fennel_Spec"))))
    release = yaml.safe_load((sealed_dir / "releases" / "fennel-test-validator-1.yaml").read_text())
    assert validate_object(release) == []
    broken = json.loads(json.dumps(release))
    del broken["spec"]["chart"]["spec"]["sourceRef"]
    assert any("sourceRef" in p for p in validate_object(broken))
    sealed = yaml.safe_load((sealed_dir / "secrets" / "fennel-test-validator-1-aura.yaml").read_text())
    assert any("encryptedData" in p for p in validate_object(dict(sealed, spec={"template": {}})))


def init_container_of(directory: Path, release: str) -> dict:
    values = yaml.safe_load((directory / "releases" / f"{release}.yaml").read_text())["spec"]["values"]
    (init,) = values["extraInitContainers"]
    return init


def run_init(init: dict, parts_dir: Path, out: Path, **override) -> subprocess.CompletedProcess:
    """The init container's own command, under the local POSIX sh, with its volumes mapped to temp dirs."""
    env = {e["name"]: e["value"] for e in init["env"]}
    env.update(FENNEL_CHAINSPEC_DIR=str(parts_dir), FENNEL_CHAINSPEC_OUT=str(out), **override)
    assert init["command"] == ["/bin/sh", "-c"]
    return subprocess.run(["sh", "-c", init["args"][0]], env=dict(os.environ, **env), capture_output=True, text=True, timeout=60)


def mount_parts(directory: Path, target: Path) -> None:
    """What the kubelet does with the ConfigMap volumes: each part's binaryData as a file under its mountPath."""
    for relative, obj in objects_in(directory).items():
        if relative.startswith("chainspec/"):
            index = obj["metadata"]["annotations"]["fennel.network/chainspec-part"].split("/")[0]
            (target / index).mkdir(parents=True)
            for key, value in obj["binaryData"].items():
                (target / index / key).write_bytes(base64.b64decode(value))


def test_init_container_rebuilds_the_spec_and_refuses_a_corrupted_or_missing_part(sealed_dir, tmp_path):
    init = init_container_of(sealed_dir, "fennel-test-validator-2")
    assert init["volumeMounts"][0] == {"name": "chain-data", "mountPath": "/chain-data"}
    parts, out = tmp_path / "parts", tmp_path / "chain-data" / "chainspec.json"
    out.parent.mkdir()
    mount_parts(sealed_dir, parts)
    good = run_init(init, parts, out)
    assert good.returncode == 0, good.stderr
    assert out.read_bytes() == SPEC.read_bytes() and GENESIS in good.stdout
    assert sorted(p.name for p in out.parent.iterdir()) == ["chainspec.json"]  # no leftovers

    out.unlink()
    blob = bytearray((parts / "2" / "chainspec.json.gz.part").read_bytes())
    blob[len(blob) // 2] ^= 0x01
    (parts / "2" / "chainspec.json.gz.part").write_bytes(bytes(blob))
    corrupted = run_init(init, parts, out)
    assert corrupted.returncode != 0 and "refusing to start" in corrupted.stderr
    assert not out.exists() and list(out.parent.iterdir()) == []

    (parts / "2" / "chainspec.json.gz.part").unlink()
    missing = run_init(init, parts, out)
    assert missing.returncode != 0 and "part 2 of 2 is missing" in missing.stderr and not out.exists()


def test_init_container_refuses_a_spec_other_than_the_pinned_one(sealed_dir, tmp_path):
    """Parts that decompress fine but are another spec (another ConfigMap set mounted): refused on sha256."""
    init = init_container_of(sealed_dir, "fennel-test-bootnode-1")
    parts, out = tmp_path / "parts", tmp_path / "chainspec.json"
    other = gzip.compress((FIXTURES / "production-raw.json").read_bytes())
    for index, chunk in enumerate((other[: len(other) // 2], other[len(other) // 2 :]), start=1):
        (parts / str(index)).mkdir(parents=True)
        (parts / str(index) / "chainspec.json.gz.part").write_bytes(chunk)
    refused = run_init(init, parts, out)
    assert refused.returncode != 0 and "expected " + hashlib.sha256(SPEC.read_bytes()).hexdigest() in refused.stderr
    assert not out.exists()


def test_helm_release_values_follow_the_parity_chart(sealed_dir, manifest):
    docs = objects_in(sealed_dir)
    spec_sha = hashlib.sha256(SPEC.read_bytes()).hexdigest()
    secret_names = {o["metadata"]["name"] for p, o in docs.items() if p.startswith("secrets/")}
    parts = [docs[f"chainspec/part-{i}.yaml"]["metadata"]["name"] for i in (1, 2)]
    boot = manifest["bootnodes"][0]["multiaddr"]
    for node, role in (("validator-1", "validator"), ("validator-3", "validator"), ("bootnode-1", "full"), ("rpc-1", "full")):
        release = docs[f"releases/fennel-test-{node}.yaml"]
        assert release["spec"]["chart"]["spec"]["chart"] == "node"
        values = release["spec"]["values"]
        assert values["fullnameOverride"] == f"fennel-test-{node}" and values["image"]["tag"] == "fennel-node-0.6.2"
        n = values["node"]
        assert n["role"] == role and n["replicas"] == 1 and n["command"] == "fennel-node"
        assert n["customChainspec"] is True and n["customChainspecPath"] == "/chain-data/chainspec.json"
        assert [m["configMap"] for m in n["extraConfigmapMounts"]] == parts
        init = {e["name"]: e["value"] for e in values["extraInitContainers"][0]["env"]}
        assert init["FENNEL_CHAINSPEC_SHA256"] == spec_sha and init["FENNEL_CHAINSPEC_OUT"] == n["customChainspecPath"]
        assert n["flags"] == ([] if node == "bootnode-1" else [f"--bootnodes={boot}"])
        existing = n.get("existingSecrets", {})
        if role == "validator":
            assert existing["keys"] == [f"fennel-test-{node}-aura", f"fennel-test-{node}-gran"]
        if node != "rpc-1":
            assert existing["nodeKey"] == {"secretName": f"fennel-test-{node}-node-key", "secretKey": "node-key"}
            assert set(existing.get("keys", [])) | {existing["nodeKey"]["secretName"]} <= secret_names
        else:
            assert existing == {} and n["persistGeneratedNodeKey"] is True


def test_no_secret_is_written_in_clear(sealed_dir, sops_dir, ceremony):
    from fennel_gov.keys import decrypt_account

    secrets = []
    for custodian in CUSTODIANS:
        for path in sorted((ceremony / "secrets" / custodian).glob("*.json")):
            pair = decrypt_account(path.read_bytes(), SecretStr(passphrase(custodian))).pair
            secrets += [pair.seed.hex(), base64.b64encode(pair.seed).decode()]
    for directory in (sealed_dir, sops_dir):
        text = "".join(p.read_text() for p in directory.rglob("*") if p.is_file())
        assert len(secrets) == 2 * 13 and not any(s in text for s in secrets)


def test_verify_accepts_both_renders(cli, sealed_dir, sops_dir, ceremony):
    for directory in (sealed_dir, sops_dir):
        run = cli("gitops", "verify", directory, "--spec", SPEC, "--manifest", ceremony / "keys" / "fennel-test.json", "--json")
        assert run.exit_code == 0, run.stdout + run.stderr
        assert run.json["ok"] and run.json["chainspec_parts"] == 2 and run.json["genesis_hash"] == GENESIS


def edited(sealed_dir: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "edited"
    shutil.copytree(sealed_dir, copy)
    return copy


def verify_problems(cli, directory: Path, ceremony: Path, spec: Path = SPEC) -> list[str]:
    run = cli("gitops", "verify", directory, "--spec", spec, "--manifest", ceremony / "keys" / "fennel-test.json", "--json")
    assert run.exit_code == 1, run.stdout + run.stderr
    return run.json["problems"]


def test_verify_finds_a_missing_key_and_a_secret_in_clear(cli, sealed_dir, ceremony, tmp_path):
    copy = edited(sealed_dir, tmp_path)
    (copy / "secrets" / "fennel-test-validator-3-gran.yaml").unlink()
    plain = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "fennel-test-bootnode-1-node-key", "namespace": NAMESPACE,
             "labels": {"fennel.network/network": "fennel-test", "fennel.network/node": "bootnode-1", "fennel.network/key": "node-key"}},
             "type": "Opaque", "stringData": {"node-key": "00" * 32}}
    (copy / "secrets" / "fennel-test-bootnode-1-node-key.yaml").write_text(yaml.safe_dump(plain))
    problems = verify_problems(cli, copy, ceremony)
    assert any("validator-3 has no gran Secret" in p for p in problems)
    assert any("fennel-test-validator-3-gran.yaml, which does not exist" in p for p in problems)
    assert any("Secret/fennel-test-bootnode-1-node-key: a Secret in clear" in p for p in problems)
    assert any("refers to Secret fennel-test-validator-3-gran, which is not rendered" in p for p in problems)


def test_verify_finds_a_damaged_part_and_another_spec(cli, sealed_dir, ceremony, tmp_path):
    copy = edited(sealed_dir, tmp_path)
    path = copy / "chainspec" / "part-1.yaml"
    part = yaml.safe_load(path.read_text())
    packed = bytearray(base64.b64decode(part["binaryData"]["chainspec.json.gz.part"]))
    packed[1000] ^= 0xFF
    part["binaryData"]["chainspec.json.gz.part"] = base64.b64encode(bytes(packed)).decode()
    path.write_text(yaml.safe_dump(part))
    assert any("do not decompress" in p for p in verify_problems(cli, copy, ceremony))
    other = verify_problems(cli, sealed_dir, ceremony, spec=FIXTURES / "production-raw.json")
    assert any("no chain spec parts for the given spec" in p for p in other)
    assert any("the init container expects sha256" in p for p in other)


def test_verify_finds_an_invalid_object_and_an_unlisted_file(cli, sealed_dir, ceremony, tmp_path):
    copy = edited(sealed_dir, tmp_path)
    path = copy / "releases" / "helmrepository.yaml"
    repo = yaml.safe_load(path.read_text())
    repo["spec"]["url"] = "ftp://example.invalid/charts"
    path.write_text(yaml.safe_dump(repo))
    (copy / "extra.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: extra\n")
    release = copy / "releases" / "fennel-test-validator-1.yaml"
    release.write_text(release.read_text().replace("role: validator", "role: full"))
    problems = verify_problems(cli, copy, ceremony)
    assert any("HelmRepository/parity: spec.url" in p for p in problems)
    assert any("extra.yaml is not listed" in p for p in problems)
    assert any("HelmRelease/fennel-test-validator-1: a validator's release must have node.role validator" in p for p in problems)


def test_render_refuses_bad_input_and_writes_nothing(cli, ceremony, controller, tmp_path):
    out = tmp_path / "out"
    both = cli(*render_argv(ceremony, out, "--seal-cert", controller[0], "--sops-age", "age1" + "q" * 58), stdin=stdin_for())
    assert both.exit_code == 2 and "choose one encryption" in both.stderr
    wrong = cli(*render_argv(ceremony, out, "--seal-cert", controller[0]),
                stdin=stdin_for()[: -len("bootnode-1 passphrase\n")] + "not the passphrase\n")
    assert wrong.exit_code == 2 and "bootnode-1" in wrong.stderr and "not the passphrase" not in wrong.stderr
    out.mkdir()
    (out / "README.md").write_text("someone else's\n")
    again = cli(*render_argv(ceremony, out, "--seal-cert", controller[0]), stdin=stdin_for())
    assert again.exit_code == 2 and "not an empty directory" in again.stderr
    spec_plain = cli(*[a if a != SPEC else FIXTURES / "development.json" for a in render_argv(ceremony, tmp_path / "p", "--seal-cert", controller[0])],
                     stdin=stdin_for())
    assert spec_plain.exit_code == 2 and "plain spec" in spec_plain.stderr
    bad_age = cli(*render_argv(ceremony, tmp_path / "a", "--sops-age", "age1notarecipient"), stdin=stdin_for())
    assert bad_age.exit_code == 2 and "age X25519 recipient" in bad_age.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]  # the refusals left nothing, not even temp dirs


def test_the_gitops_package_imports_no_network_code():
    code = (
        "import sys, fennel_gov.gitops, fennel_gov.gitops.verify, fennel_gov.gitops.sops, fennel_gov.gitops.sealed, fennel_gov.cli.gitops\n"
        "import pyrage, fennel_gov.gitops.schemas as s\n"
        "s.validate_object({'apiVersion': 'v1', 'kind': 'ConfigMap', 'metadata': {'name': 'x'}})  # loads kubernetes_validate\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('substrateinterface', 'websocket', 'requests', 'urllib3', 'http', 'socket', 'ssl') "
        "or m.startswith('fennel_gov.governance'))\nprint(','.join(bad))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == ""
