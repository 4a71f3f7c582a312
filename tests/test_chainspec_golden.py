"""Plain → raw against the node's own output, and genesis hashes checked by an independent implementation."""

from __future__ import annotations

import json

import pytest

from fennel_gov.chainspec.genesis import to_raw
from fennel_gov.chainspec.spec import ChainSpec, dumps_raw
from tests.conftest import FIXTURES, run_node_script

# Stated here, cross-checked below with chopsticks' Rust trie and @polkadot/types' header hashing.
GENESIS_HASHES = {
    "development": "0x629e44454b757046582d3b23d223f38fcc07123f42d33f850effacb98d39ffdb",
    "production": "0x8401aa449aa8a5e025f442180ceef1318791fc26aa329b21947662630ae8fd05",
}


def _fixture(name: str):
    path = FIXTURES / name
    assert path.exists(), f"{path} is missing: the golden specs live in the repository"
    return path


@pytest.mark.parametrize("name", ["development", "production"])
def test_plain_spec_converts_to_the_nodes_raw_spec_byte_for_byte(name):
    document, genesis = to_raw(ChainSpec.load(_fixture(f"{name}.json")))
    golden = _fixture(f"{name}-raw.json").read_bytes()
    assert document["genesis"]["raw"]["top"] == json.loads(golden)["genesis"]["raw"]["top"]
    assert dumps_raw(document).encode() == golden
    assert "0x" + genesis.genesis_hash.hex() == GENESIS_HASHES[name]


@pytest.mark.parametrize("name", ["development", "production"])
def test_genesis_hash_agrees_with_chopsticks_and_polkadot_js(name):
    independent = json.loads(run_node_script("state_root.mjs", str(_fixture(f"{name}-raw.json"))))
    document, genesis = to_raw(ChainSpec.load(_fixture(f"{name}-raw.json")))
    assert independent["stateRoot"] == "0x" + genesis.state_root.hex()
    assert independent["genesisHash"] == "0x" + genesis.genesis_hash.hex() == GENESIS_HASHES[name]
    assert independent["stateVersion"] == genesis.state_version == 1


def test_embedded_default_is_fennels_development_spec():
    import importlib.resources

    from fennel_gov.chainspec.spec import embedded_development_spec

    shipped = importlib.resources.files("fennel_gov.chainspecs").joinpath("development.json").read_bytes()
    assert shipped == _fixture("development.json").read_bytes()
    assert embedded_development_spec().document == json.loads(shipped)


def test_raw_command_writes_the_file_and_states_the_genesis_hash(cli, tmp_path):
    out = tmp_path / "production-raw.json"
    run = cli("chainspec", "raw", _fixture("production.json"), "-o", out, "--json")
    assert run.exit_code == 0, run.stderr
    assert run.json["genesis_hash"] == GENESIS_HASHES["production"]
    assert out.read_bytes() == _fixture("production-raw.json").read_bytes()


def test_inspect_reports_the_development_chain(cli):
    run = cli("chainspec", "inspect", "--json")
    assert run.exit_code == 0, run.stderr
    info = run.json
    assert info["genesis_hash"] == GENESIS_HASHES["development"]
    assert info["runtime"]["spec_name"] == "fennel" and info["runtime"]["spec_version"] == 102
    assert info["runtime"]["state_version"] == 1
    assert info["sudo"] == "5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY"
    assert info["validators"] == ["5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY"]
    assert info["session_keys"][info["validators"][0]]["grandpa"] == "5FA9nQDVg267DEd8m1ZypXLBnvN7SFxYwV7ndqSYGiN9TTpu"
    assert info["balances"]["total_issuance"] == str(1_003_000 * 10**15)
    assert [b["error"] for b in info["bootnodes"]] == [None, None]
    assert info["code_hash"].startswith("0x") and len(info["code_hash"]) == 66


def test_inspect_of_plain_and_raw_agree(cli):
    plain = cli("chainspec", "inspect", _fixture("production.json"), "--json").json
    raw = cli("chainspec", "inspect", _fixture("production-raw.json"), "--json").json
    for key in ("genesis_hash", "state_root", "sudo", "validators", "session_keys", "balances", "runtime"):
        assert plain[key] == raw[key]
