"""The ceremony manifest's two versions: version 1 (camelCase network block, tests/fixtures/ceremony-v1,
written by the code of that version) still loads, verifies and builds the spec it built; version 2,
the one written now, is snake_case only."""

from __future__ import annotations

import datetime as dt
import json
import random
import re
import shutil

import pytest

from fennel_gov.keys import ss58
from tests.conftest import FIXTURES

V1 = FIXTURES.parent / "ceremony-v1"
RUNTIME = FIXTURES / "runtimes" / "fennel-v102.compact.compressed.wasm"
CAMEL_TO_SNAKE = {"chainType": "chain_type", "protocolId": "protocol_id", "ss58Format": "ss58_format",
                  "tokenSymbol": "token_symbol", "tokenDecimals": "token_decimals"}


@pytest.fixture
def v1_ceremony(tmp_path):
    """The version-1 ceremony, its secret files 0600 again (git keeps them 0644)."""
    directory = tmp_path / "fennel-v1"
    shutil.copytree(V1, directory)
    for path in (directory / "secrets").rglob("*.json"):
        path.chmod(0o600)
    return directory


def as_version_2(manifest: dict) -> dict:
    return manifest | {"format": "fennel-gov-ceremony/2",
                       "network": {CAMEL_TO_SNAKE.get(k, k): v for k, v in manifest["network"].items()}}


def build(cli, manifest_path, tmp_path, name="spec.json") -> dict:
    out = tmp_path / name
    run = cli("chainspec", "build", "--manifest", manifest_path, "--runtime", RUNTIME, "-o", out)
    assert run.exit_code == 0, run.stderr
    spec = json.loads(out.read_text())
    assert spec["genesis"]["runtimeGenesis"].pop("code") == "0x" + RUNTIME.read_bytes().hex()
    return spec


def test_a_version_1_manifest_keeps_its_fingerprint_and_verifies(cli, v1_ceremony):
    assert cli("ceremony", "fingerprint", v1_ceremony, "--json").json["hex"] == "1940-af8f-63bd-6eaf"
    run = cli("ceremony", "verify", v1_ceremony, "--passphrases-stdin", "--allow-network", "--json",
              stdin="fixture passphrase\n" * 4)
    assert run.exit_code == 0, run.stderr
    assert run.json["ok"] is True and run.json["checked"] == 12


def test_a_version_1_manifest_builds_the_spec_it_built_before_and_its_snake_case_form_the_same(cli, v1_ceremony, tmp_path):
    expected = json.loads((V1 / "spec-v102-without-code.json").read_text())
    manifest_path = v1_ceremony / "keys" / "fennel-v1.json"
    assert build(cli, manifest_path, tmp_path) == expected
    assert expected["properties"]["ss58Format"] == 36 and expected["chainType"] == "Live"
    renamed = tmp_path / "v2.json"
    renamed.write_text(json.dumps(as_version_2(json.loads(manifest_path.read_text()))))
    assert build(cli, renamed, tmp_path, "spec-2.json") == expected


def test_gitops_opens_the_nodes_of_a_version_1_ceremony(v1_ceremony):
    from fennel_gov.ceremony.manifest import load_manifest
    from fennel_gov.gitops.nodes import open_nodes
    from fennel_gov.keys import SecretStr

    manifest = load_manifest(v1_ceremony / "keys" / "fennel-v1.json")
    # Each node's keys are re-derived and encoded with the manifest's prefix (36), then compared with it.
    nodes = open_nodes(v1_ceremony, manifest, lambda custodian: SecretStr("fixture passphrase"))
    assert [n.name for n in nodes] == ["validator-1", "validator-2", "bootnode-1"]


def test_new_manifests_are_snake_case_only(tmp_path):
    from fennel_gov.ceremony.generate import CeremonyPlan, run_ceremony
    from fennel_gov.ceremony.manifest import FORMAT
    from fennel_gov.keys import SecretStr

    plan = CeremonyPlan(network="fennel-v2", validators=2, bootnodes=1, ss58_format=36)
    manifest = run_ceremony(plan, tmp_path / "c", {c: SecretStr("long enough pass") for c in plan.custodians()},
                            randbytes=random.Random(2).randbytes, now=dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc))
    assert manifest["format"] == FORMAT == "fennel-gov-ceremony/2"
    assert set(manifest["network"]) == {"name", "id", "chain_type", "protocol_id", "ss58_format", "token_symbol", "token_decimals"}
    keys: list[str] = []
    stack: list = [manifest]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            keys += item
            stack += item.values()
        elif isinstance(item, list):
            stack += item
    assert all(re.fullmatch(r"[a-z0-9_]+", k) for k in keys if not k.startswith("secrets/")), sorted(keys)


@pytest.mark.parametrize("version, field, message", [
    ("fennel-gov-ceremony/2", "ss58Format", "network block is snake_case: 'ss58Format' is 'ss58_format'"),
    ("fennel-gov-ceremony/1", "chain_type", "network block is camelCase: 'chain_type' belongs to fennel-gov-ceremony/2"),
])
def test_a_network_block_in_the_other_versions_spelling_is_refused(cli, tmp_path, version, field, message):
    manifest = json.loads((V1 / "keys" / "fennel-v1.json").read_text())
    manifest = as_version_2(manifest) if version.endswith("/2") else manifest
    manifest["network"][field] = manifest["network"].get(CAMEL_TO_SNAKE.get(field, field), "Live")
    path = tmp_path / "m.json"
    path.write_text(json.dumps(manifest))
    run = cli("ceremony", "fingerprint", path)
    assert run.exit_code == 2 and message in run.stderr


@pytest.mark.parametrize("version", [1, 2])
def test_reshare_keeps_the_manifests_prefix_and_its_sudo_key_in_either_spelling(cli, v1_ceremony, tmp_path, version):
    # The prefix is 36: a reader that misses the field in either spelling falls back to 42 and derives another address.
    path = v1_ceremony / "keys" / "fennel-v1.json"
    if version == 2:
        path.write_text(json.dumps(as_version_2(json.loads(path.read_text())), indent=2))
    before = json.loads(path.read_text())
    out = tmp_path / "reshared"
    run = cli("ceremony", "reshare", v1_ceremony, "--share", "sudo", "--sudo-shares", "2-of-2", "-o", out,
              "--passphrases-stdin", "--allow-network",
              stdin="fixture passphrase\nnew custodian passphrase one\nnew custodian passphrase two\n")
    assert run.exit_code == 0, run.stderr
    after = json.loads((out / "keys" / "fennel-v1.json").read_text())
    assert after["sudo"]["address"] == before["sudo"]["address"]
    ss58.decode(after["sudo"]["address"], expect_prefix=36)
    assert after["network"] == before["network"] and after["format"] == before["format"]
