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


def cross_check_tool(name: str) -> str | None:
    """Debian's age and busybox, the independent cross-checks: optional on a developer's machine,
    required in CI (.ci/run installs them), where a missing one must not pass unnoticed."""
    found = shutil.which(name)
    if found is None and os.environ.get("FENNEL_GOV_FORBID_SKIPS"):
        pytest.fail(f"{name} is not installed; .ci/run installs it (apt-get install age busybox)")
    return found


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


_BECH32 = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"


def bech32(hrp: str, data: bytes) -> str:
    """BIP-173 bech32, as age encodes its keys."""
    words, acc, bits = [], 0, 0
    for byte in data:
        acc, bits = (acc << 8) | byte, bits + 8
        while bits >= 5:
            bits -= 5
            words.append((acc >> bits) & 31)
    if bits:
        words.append((acc << (5 - bits)) & 31)

    def polymod(values):
        check = 1
        for value in values:
            top, check = check >> 25, (check & 0x1FFFFFF) << 5 ^ value
            for i, g in enumerate((0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3)):
                check ^= g if (top >> i) & 1 else 0
        return check

    expanded = [ord(c) >> 5 for c in hrp] + [0] + [ord(c) & 31 for c in hrp]
    mod = polymod(expanded + words + [0] * 6) ^ 1
    return hrp + "1" + "".join(_BECH32[d] for d in words + [(mod >> 5 * (5 - i)) & 31 for i in range(6)])


@pytest.fixture(scope="module")
def age_identity(tmp_path_factory):
    """An age X25519 identity (the key in Flux's sops-age Secret): its file, recipient and private scalar."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

    key = X25519PrivateKey.generate()
    private = key.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption())
    public = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    path = tmp_path_factory.mktemp("age") / "identity.txt"
    path.write_text(bech32("age-secret-key-", private).upper() + "\n")
    recipient = bech32("age", public)
    if cross_check_tool("age-keygen"):  # Debian's age agrees with our encoding of the identity
        assert subprocess.run(["age-keygen", "-y", str(path)], check=True, capture_output=True, text=True).stdout.strip() == recipient
    return path, recipient, private


def age_decrypt(armored: str, private: bytes) -> bytes:
    """age v1 (age-encryption.org/v1), X25519 recipients only, from the format: header, MAC, STREAM payload."""
    from cryptography.hazmat.primitives import hashes, hmac
    from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
    from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    def hkdf(ikm: bytes, salt: bytes, info: bytes) -> bytes:
        return HKDF(algorithm=hashes.SHA256(), length=32, salt=salt, info=info).derive(ikm)

    def b64(text: bytes) -> bytes:
        return base64.b64decode(text + b"=" * (-len(text) % 4))

    lines = armored.strip().splitlines()
    assert lines[0] == "-----BEGIN AGE ENCRYPTED FILE-----" and lines[-1] == "-----END AGE ENCRYPTED FILE-----"
    blob = base64.b64decode("".join(lines[1:-1]))
    header_end = blob.index(b"\n--- ") + 1
    mac_line_end = blob.index(b"\n", header_end)
    header, payload = blob[:header_end], blob[mac_line_end + 1 :]
    header_lines = header.split(b"\n")[:-1]
    assert header_lines[0] == b"age-encryption.org/v1"
    identity = X25519PrivateKey.from_private_bytes(private)
    ours = identity.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    file_key, i = None, 1
    while i < len(header_lines):
        args = header_lines[i].split(b" ")
        body, i = b"", i + 1
        while True:
            body += header_lines[i]
            i += 1
            if len(header_lines[i - 1]) < 64:
                break
        if args[:2] == [b"->", b"X25519"] and file_key is None:
            share = b64(args[2])
            shared = identity.exchange(X25519PublicKey.from_public_bytes(share))
            wrap = hkdf(shared, share + ours, b"age-encryption.org/v1/X25519")
            file_key = ChaCha20Poly1305(wrap).decrypt(bytes(12), b64(body), None)
    assert file_key is not None, "no X25519 stanza for this identity"
    mac = hmac.HMAC(hkdf(file_key, b"", b"header"), hashes.SHA256())
    mac.update(header + b"---")
    mac.verify(b64(blob[header_end + 4 : mac_line_end]))
    stream = ChaCha20Poly1305(hkdf(file_key, payload[:16], b"payload"))
    chunk = payload[16:]
    assert len(chunk) <= 64 * 1024 + 16  # one (last) chunk: counter 0, last flag 1
    return stream.decrypt(bytes(11) + b"\x01", chunk, None)


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


def sops_open(document: dict, identity) -> dict:
    """Decrypt a SOPS YAML document: the data key from its age stanza, the values, then the MAC check.

    The data key is opened by our age reader and, where Debian's ``age`` command is installed, by it too."""
    path, _, private = identity
    meta = document["sops"]
    keys = set()
    for stanza in meta["age"]:
        keys.add(age_decrypt(stanza["enc"], private))
        if cross_check_tool("age"):
            done = subprocess.run(["age", "-d", "-i", str(path)], input=stanza["enc"].encode(), capture_output=True, check=True)
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
        plain = sops_open(obj, age_identity)
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
        sops_open(relabelled, age_identity)
    moved = json.loads(json.dumps(obj))
    moved["stringData"]["type"], moved["stringData"]["seed"] = obj["stringData"]["seed"], obj["stringData"]["type"]
    with pytest.raises(ValueError):  # GCM tag: the additional data is the key path
        sops_open(moved, age_identity)


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


# The local POSIX sh (dash on Debian), and busybox's ash with its own applets where busybox is installed:
# the init image is busybox, so its gunzip, sha256sum and cut must do as well as coreutils'.
SHELLS = [["sh"]] + ([["busybox", "sh"]] if shutil.which("busybox") or os.environ.get("FENNEL_GOV_FORBID_SKIPS") else [])


def run_init(init: dict, parts_dir: Path, out: Path, shell: list[str], **override) -> subprocess.CompletedProcess:
    """The init container's own command, under a local sh, with its volumes mapped to temp dirs."""
    env = {e["name"]: e["value"] for e in init["env"]}
    env.update(FENNEL_CHAINSPEC_DIR=str(parts_dir), FENNEL_CHAINSPEC_OUT=str(out), **override)
    if shell[0] == "busybox":  # applets first, as in the busybox image
        bin_dir = parts_dir.parent / "busybox-bin"
        if not bin_dir.exists():
            bin_dir.mkdir()
            for applet in ("cat", "rm", "mv", "gunzip", "sha256sum", "cut", "echo", "["):
                (bin_dir / applet).symlink_to(shutil.which("busybox"))
        env["PATH"] = f"{bin_dir}{os.pathsep}{os.environ['PATH']}"
    assert init["command"] == ["/bin/sh", "-c"]
    return subprocess.run([*shell, "-c", init["args"][0]], env=dict(os.environ, **env), capture_output=True, text=True, timeout=60)


def mount_parts(directory: Path, target: Path) -> None:
    """What the kubelet does with the ConfigMap volumes: each part's binaryData as a file under its mountPath."""
    for relative, obj in objects_in(directory).items():
        if relative.startswith("chainspec/"):
            index = obj["metadata"]["annotations"]["fennel.network/chainspec-part"].split("/")[0]
            (target / index).mkdir(parents=True)
            for key, value in obj["binaryData"].items():
                (target / index / key).write_bytes(base64.b64decode(value))


@pytest.mark.parametrize("shell", SHELLS, ids=lambda s: " ".join(s))
def test_init_container_rebuilds_the_spec_and_refuses_a_corrupted_or_missing_part(sealed_dir, tmp_path, shell):
    init = init_container_of(sealed_dir, "fennel-test-validator-2")
    assert init["volumeMounts"][0] == {"name": "chain-data", "mountPath": "/chain-data"}
    parts, out = tmp_path / "parts", tmp_path / "chain-data" / "chainspec.json"
    out.parent.mkdir()
    mount_parts(sealed_dir, parts)
    good = run_init(init, parts, out, shell)
    assert good.returncode == 0, good.stderr
    assert out.read_bytes() == SPEC.read_bytes() and GENESIS in good.stdout
    assert sorted(p.name for p in out.parent.iterdir()) == ["chainspec.json"]  # no leftovers

    out.unlink()
    blob = bytearray((parts / "2" / "chainspec.json.gz.part").read_bytes())
    blob[len(blob) // 2] ^= 0x01
    (parts / "2" / "chainspec.json.gz.part").write_bytes(bytes(blob))
    corrupted = run_init(init, parts, out, shell)
    assert corrupted.returncode != 0 and "the parts do not decompress; refusing to start" in corrupted.stderr
    assert not out.exists() and list(out.parent.iterdir()) == []

    (parts / "2" / "chainspec.json.gz.part").unlink()
    missing = run_init(init, parts, out, shell)
    assert missing.returncode != 0 and "part 2 of 2 is missing" in missing.stderr and not out.exists()


@pytest.mark.parametrize("shell", SHELLS, ids=lambda s: " ".join(s))
def test_init_container_refuses_a_spec_other_than_the_pinned_one(sealed_dir, tmp_path, shell):
    """Parts that decompress fine but are another spec (another ConfigMap set mounted): refused on sha256."""
    init = init_container_of(sealed_dir, "fennel-test-bootnode-1")
    parts, out = tmp_path / "parts", tmp_path / "chainspec.json"
    other = gzip.compress((FIXTURES / "production-raw.json").read_bytes())
    for index, chunk in enumerate((other[: len(other) // 2], other[len(other) // 2 :]), start=1):
        (parts / str(index)).mkdir(parents=True)
        (parts / str(index) / "chainspec.json.gz.part").write_bytes(chunk)
    refused = run_init(init, parts, out, shell)
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
    human = cli("gitops", "verify", sealed_dir, "--spec", SPEC, "--manifest", ceremony / "keys" / "fennel-test.json")
    assert human.exit_code == 0 and human.stdout == f"18 objects checked; chain spec 2 part(s), genesis {GENESIS}\n"


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


def test_render_refuses_secrets_that_do_not_match_the_manifest(cli, ceremony, controller, tmp_path):
    copy = tmp_path / "c"
    shutil.copytree(ceremony, copy)
    path = copy / "keys" / "fennel-test.json"
    changed = json.loads(path.read_text())
    first, second = changed["validators"][0]["session_keys"], changed["validators"][1]["session_keys"]
    first["aura"] = second["aura"]  # a manifest that names another validator's aura key
    path.write_text(json.dumps(changed))
    argv = render_argv(copy, tmp_path / "out", "--seal-cert", controller[0])
    swapped = cli(*argv, stdin=stdin_for())
    assert swapped.exit_code == 1 and "validator-1 do not give the manifest's session keys" in swapped.stderr
    first["aura"] = json.loads((ceremony / "keys" / "fennel-test.json").read_text())["validators"][0]["session_keys"]["aura"]
    path.write_text(json.dumps(changed))
    target = copy / "secrets" / "validator-2" / "grandpa.json"
    target.write_bytes(target.read_bytes().replace(b'"meta"', b'"meta" ', 1))
    tampered = cli(*argv, stdin=stdin_for())
    assert tampered.exit_code == 1 and "secrets/validator-2/grandpa.json does not match its SHA-256" in tampered.stderr
    assert not (tmp_path / "out").exists()


def test_the_sealing_certificate_must_be_a_current_rsa_key_of_2048_bits_or_more(controller, tmp_path):
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec, rsa

    from fennel_gov.errors import BadInput
    from fennel_gov.gitops.sealed import load_sealing_key

    key = load_sealing_key(controller[0], now=dt.datetime(2030, 1, 1, tzinfo=dt.timezone.utc))
    assert key.public_key.key_size == 2048 and len(key.fingerprint) == 64 and "sha256" in repr(key)
    with pytest.raises(BadInput, match="expired on 2036-01-01"):
        load_sealing_key(controller[0], now=dt.datetime(2037, 1, 1, tzinfo=dt.timezone.utc))
    for name, private in (("small", rsa.generate_private_key(public_exponent=65537, key_size=1024)), ("ec", ec.generate_private_key(ec.SECP256R1()))):
        path = tmp_path / f"{name}.pem"
        path.write_bytes(private.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
        with pytest.raises(BadInput, match="1024-bit|uses RSA"):
            load_sealing_key(path)
    (tmp_path / "junk.pem").write_text("not a certificate")
    with pytest.raises(BadInput, match="kubeseal --fetch-cert"):
        load_sealing_key(tmp_path / "junk.pem")


def test_a_bootnode_without_a_public_address_is_reached_through_the_charts_headless_service():
    from fennel_gov.gitops.nodes import bootnode_addresses

    manifest = {"bootnodes": [{"name": "bootnode-1", "peer_id": "12D3KooWX", "multiaddr": None},
                              {"name": "bootnode-2", "peer_id": "12D3KooWY", "multiaddr": "/dns4/b2.example/tcp/30333/p2p/12D3KooWY"}]}
    assert bootnode_addresses(manifest, prefix="fennel", namespace="nodes") == {
        "bootnode-1": "/dns4/fennel-bootnode-1-0.fennel-bootnode-1.nodes.svc.cluster.local/tcp/30333/p2p/12D3KooWX",
        "bootnode-2": "/dns4/b2.example/tcp/30333/p2p/12D3KooWY",
    }


def test_a_failed_write_leaves_no_directory_behind(tmp_path):
    from fennel_gov.gitops.render import _write_directory

    with pytest.raises(OSError):
        _write_directory(tmp_path / "out", {"a.yaml": "kind: A\n", "a.yaml/b.yaml": "kind: B\n"})  # a file where a directory must go
    assert list(tmp_path.iterdir()) == []


def test_verify_reports_malformed_objects_instead_of_crashing(cli, sealed_dir, ceremony, tmp_path):
    copy = edited(sealed_dir, tmp_path)
    release = yaml.safe_load((copy / "releases" / "fennel-test-validator-1.yaml").read_text())
    release["spec"]["values"]["node"] = {"flags": "--bootnodes=x", "existingSecrets": {"keys": "aura", "nodeKey": []}, "extraConfigmapMounts": {}}
    (copy / "releases" / "fennel-test-validator-1.yaml").write_text(yaml.safe_dump(release))
    (copy / "releases" / "fennel-test-validator-2.yaml").write_text(yaml.safe_dump({"apiVersion": "helm.toolkit.fluxcd.io/v2", "kind": "HelmRelease",
                                                                                      "metadata": {"name": "v2", "labels": ["x"]}, "spec": [1, 2]}))
    sealed = yaml.safe_load((copy / "secrets" / "fennel-test-validator-2-aura.yaml").read_text())
    sealed["metadata"]["labels"]["fennel.network/node"] = ["validator-2"]
    sealed["spec"]["template"] = "x"
    (copy / "secrets" / "fennel-test-validator-2-aura.yaml").write_text(yaml.safe_dump(sealed))
    (copy / "chainspec" / "part-2.yaml").write_text("- just\n- a list\n")
    (copy / "releases" / "helmrepository.yaml").write_text("a: &anchor [1]\nb: *anchor\n")
    run = cli("gitops", "verify", copy, "--spec", SPEC, "--manifest", ceremony / "keys" / "fennel-test.json", "--json")
    assert run.exit_code == 2 and "aliases are not accepted" in run.stderr  # refused before anything else
    (copy / "releases" / "helmrepository.yaml").write_text(yaml.safe_dump(yaml.safe_load((sealed_dir / "releases" / "helmrepository.yaml").read_text())))
    problems = verify_problems(cli, copy, ceremony)
    assert any("chainspec/part-2.yaml: a non-object document" in p for p in problems)
    assert any("HelmRelease/v2: metadata.labels must map strings to strings" in p for p in problems)
    assert any("validator-2 has no aura Secret" in p for p in problems)
    assert any("HelmRelease/fennel-test-validator-1: mounts chain spec parts []" in p for p in problems)
    assert any("spec.template must be an object" in p for p in problems)
    assert any("HelmRelease/fennel-test-validator-1: a validator needs existingSecrets.keys" in p for p in problems)
