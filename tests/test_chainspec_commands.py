"""chainspec presets / build / verify / diff and every way a spec or runtime can be bad."""

from __future__ import annotations

import json

import pytest

from tests.conftest import FIXTURES, fixture_spec

DEV = FIXTURES / "development.json"
PROD = FIXTURES / "production.json"


@pytest.fixture
def dev_code(tmp_path):
    spec = fixture_spec("development.json")
    path = tmp_path / "fennel.wasm"
    path.write_bytes(bytes.fromhex(spec["genesis"]["runtimeGenesis"]["code"][2:]))
    return path


def test_presets_lists_what_the_runtime_offers(cli):
    run = cli("chainspec", "presets", "--json")
    assert run.json == {"presets": ["development", "local_testnet", "staging", "production"]}


ALICE = "5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY"
BOB = "5FHneW46xGXgs5mUiveU4sbTyGBzmstUspZC92UhjJM694ty"
ALICE_GRANDPA = "5FA9nQDVg267DEd8m1ZypXLBnvN7SFxYwV7ndqSYGiN9TTpu"  # //Alice as ed25519


def test_presets_show_prints_the_named_presets_genesis_config(cli):
    # Fennel's local_testnet preset, as its runtime v102 returns it: Alice and Bob validate
    # with their dev session keys, Alice is sudo, twelve dev accounts are endowed.
    local = cli("chainspec", "presets", "--show", "local_testnet")
    assert local.exit_code == 0, local.stderr
    preset = local.json
    assert preset["validatorManager"]["initialValidators"] == [ALICE, BOB]
    assert preset["sudo"] == {"key": ALICE}
    assert preset["session"]["keys"][0] == [ALICE, ALICE, {"aura": ALICE, "grandpa": ALICE_GRANDPA}]
    assert len(preset["balances"]["balances"]) == 12
    development = cli("chainspec", "presets", "--show", "development").json
    assert development != preset and development["sudo"] == {"key": ALICE}
    missing = cli("chainspec", "presets", "--show", "nope")
    assert missing.exit_code == 2 and "local_testnet" in missing.stderr


def test_a_preset_that_panics_reports_the_runtimes_own_message(cli):
    run = cli("chainspec", "presets", "--show", "production")
    assert run.exit_code == 1
    assert "Invalid hex in GRANDPA public key" in run.stderr
    assert "Traceback" not in run.stderr


def test_build_from_a_patch_then_raw_reproduces_the_production_genesis(cli, dev_code, tmp_path):
    # The production patch on top of the runtime defaults, built from the production runtime,
    # must give the production spec's genesis exactly.
    prod = fixture_spec("production.json")
    wasm = tmp_path / "prod.wasm"
    wasm.write_bytes(bytes.fromhex(prod["genesis"]["runtimeGenesis"]["code"][2:]))
    patch = tmp_path / "patch.json"
    patch.write_text(json.dumps(prod["genesis"]["runtimeGenesis"]["patch"]))
    plain = tmp_path / "plain.json"
    built = cli(
        "chainspec", "build", "--runtime", wasm, "--patch", patch, "-o", plain,
        "--name", prod["name"], "--id", prod["id"], "--chain-type", "Live",
        *sum((["--bootnode", b] for b in prod["bootNodes"]), []),
    )
    assert built.exit_code == 0, built.stderr
    document = json.loads(plain.read_text())
    assert document["genesis"]["runtimeGenesis"]["patch"] == prod["genesis"]["runtimeGenesis"]["patch"]
    raw = tmp_path / "raw.json"
    assert cli("chainspec", "raw", plain, "-o", raw).exit_code == 0
    golden = json.loads((FIXTURES / "production-raw.json").read_text())
    assert json.loads(raw.read_text())["genesis"]["raw"]["top"] == golden["genesis"]["raw"]["top"]


def test_build_from_a_preset_keeps_it_as_the_patch(cli, dev_code, tmp_path):
    out = tmp_path / "local.json"
    run = cli("chainspec", "build", "--runtime", dev_code, "--preset", "local_testnet", "--chain-type", "Local", "-o", out)
    assert run.exit_code == 0, run.stderr
    preset = cli("chainspec", "presets", "--runtime", dev_code, "--show", "local_testnet").json
    assert json.loads(out.read_text())["genesis"]["runtimeGenesis"]["patch"] == preset
    inspected = cli("chainspec", "inspect", out, "--json").json
    assert inspected["validators"] == [ALICE, BOB] and inspected["sudo"] == ALICE


def test_build_with_a_field_the_runtime_rejects_writes_nothing(cli, dev_code, tmp_path):
    patch = tmp_path / "patch.json"
    patch.write_text(json.dumps({"balances": {"balances": [["not-an-address", 1]]}}))
    out = tmp_path / "spec.json"
    run = cli("chainspec", "build", "--runtime", dev_code, "--patch", patch, "-o", out)
    assert run.exit_code == 2
    assert "the runtime rejected the genesis config" in run.stderr
    assert not out.exists() and sorted(p.name for p in tmp_path.iterdir()) == ["fennel.wasm", "patch.json"]


def test_build_refuses_a_bootnode_without_peer_id(cli, dev_code, tmp_path):
    run = cli("chainspec", "build", "--runtime", dev_code, "--bootnode", "/dns4/x/tcp/30333", "-o", tmp_path / "s.json")
    assert run.exit_code == 2 and "/p2p/" in run.stderr


def test_verify_production_flags_account_keys_reused_as_aura_keys(cli):
    code_hash = cli("chainspec", "inspect", PROD, "--json").json["code_hash"]
    run = cli("chainspec", "verify", PROD, "--profile", "production", "--expect-code-hash", code_hash, "--json")
    assert run.exit_code == 1
    codes = [f["code"] for f in run.json["findings"] if f["severity"] == "error"]
    assert codes == ["key-reuse", "key-reuse"]


def test_verify_development_spec_under_production_profile_finds_dev_keys(cli):
    run = cli("chainspec", "verify", DEV, "--profile", "production", "--json")
    errors = {f["code"] for f in run.json["findings"] if f["severity"] == "error"}
    assert {"sudo-dev-key", "dev-validator", "dev-session-key", "dev-account-funded", "too-few-validators"} <= errors
    assert cli("chainspec", "verify", DEV, "--profile", "development").exit_code == 0


def test_verify_catches_a_test_node_key_bootnode_and_a_code_hash_mismatch(cli, tmp_path):
    spec = fixture_spec("development.json")
    spec["bootNodes"].append("/ip4/127.0.0.1/tcp/30333/p2p/12D3KooWEyoppNCUx8Yx66oV9fJnriXwCcXwDDUA2kj6vnc6iDEp")
    spec["bootNodes"].append(spec["bootNodes"][0])
    spec["properties"]["ss58Format"] = 0
    path = tmp_path / "spec.json"
    path.write_text(json.dumps(spec))
    run = cli("chainspec", "verify", path, "--profile", "development", "--expect-code-hash", "0x" + "00" * 32, "--json")
    codes = {f["code"] for f in run.json["findings"] if f["severity"] == "error"}
    assert {"duplicate-bootnode", "ss58-format", "code-hash"} <= codes
    assert any(f["code"] == "test-node-key" for f in run.json["findings"])
    assert run.exit_code == 1


def _spec_with_session_keys(tmp_path, keys):
    spec = fixture_spec("development.json")
    patch = spec["genesis"]["runtimeGenesis"]["patch"]
    patch["session"]["keys"] = [[account, account, {"aura": aura, "grandpa": grandpa}] for account, aura, grandpa in keys]
    patch["validatorManager"]["initialValidators"] = [k[0] for k in keys]
    path = tmp_path / "spec.json"
    path.write_text(json.dumps(spec))
    return path


def _addr(suri, scheme):
    from fennel_gov.keys import pair_from_suri, ss58

    return ss58.encode(pair_from_suri(suri, scheme).public)


def test_verify_finds_an_ed25519_key_given_as_the_aura_key(cli, tmp_path):
    keys = [(_addr(f"//v{i}", "sr25519"), _addr(f"//a{i}", "sr25519"), _addr(f"//g{i}", "ed25519")) for i in range(3)]
    keys[2] = (keys[2][0], _addr("//wrong", "ed25519"), keys[2][2])
    run = cli("chainspec", "verify", _spec_with_session_keys(tmp_path, keys), "--profile", "development", "--json")
    assert [f["code"] for f in run.json["findings"] if f["severity"] == "error"] == ["aura-not-sr25519"]
    assert run.exit_code == 1


def test_verify_reports_a_genesis_the_runtime_refuses_with_its_message(cli, tmp_path):
    grandpa = _addr("//g0", "ed25519")
    keys = [(_addr(f"//v{i}", "sr25519"), _addr(f"//a{i}", "sr25519"), grandpa) for i in range(2)]
    run = cli("chainspec", "verify", _spec_with_session_keys(tmp_path, keys), "--profile", "development", "--json")
    assert run.exit_code == 1
    [finding] = run.json["findings"]
    assert finding["code"] == "genesis-does-not-build" and "DuplicatedKey" in finding["message"]


def test_diff_names_storage_items_from_metadata(cli):
    run = cli("chainspec", "diff", DEV, FIXTURES / "production-raw.json", "--json")
    assert run.exit_code == 0
    items = {c["item"] for c in run.json["changes"]}
    assert {"Sudo.Key", "Aura.Authorities", "Grandpa.Authorities", "Balances.TotalIssuance", ":code"} <= items
    sudo = next(c for c in run.json["changes"] if c["item"] == "Sudo.Key")
    assert sudo["before"] == "5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY"
    assert sudo["after"] == fixture_spec("production.json")["genesis"]["runtimeGenesis"]["patch"]["sudo"]["key"]


def test_diff_of_plain_and_its_raw_is_empty(cli):
    run = cli("chainspec", "diff", DEV, FIXTURES / "development-raw.json", "--json")
    assert run.json["identical"] is True


@pytest.mark.parametrize(
    ("mutate", "exit_code", "message"),
    [
        (lambda s: "{not json", 2, "not valid JSON"),
        (lambda s: json.dumps({"name": "x"}), 2, "no 'genesis'"),
        (lambda s: json.dumps({**s, "genesis": {"runtimeGenesis": {**s["genesis"]["runtimeGenesis"], "code": "0x1234"}}}), 2, "not WebAssembly"),
        (lambda s: json.dumps({**s, "genesis": {"runtimeGenesis": {**s["genesis"]["runtimeGenesis"], "code": s["genesis"]["runtimeGenesis"]["code"][:200000]}}}), 2, "does not compile"),
        (lambda s: json.dumps({**s, "genesis": {"runtimeGenesis": {**s["genesis"]["runtimeGenesis"], "patch": {"sudo": {"key": 5}}}}}), 2, "rejected the genesis config"),
        (lambda s: json.dumps({**s, "genesis": {"runtime": {}}}), 2, "runtimeGenesis"),
    ],
)
def test_bad_specs_fail_cleanly_and_leave_no_output(cli, tmp_path, mutate, exit_code, message):
    source = tmp_path / "bad.json"
    source.write_text(mutate(fixture_spec("development.json")))
    out = tmp_path / "out.json"
    run = cli("chainspec", "raw", source, "-o", out)
    assert run.exit_code == exit_code, run.stderr
    assert message in run.stderr
    assert "Traceback" not in run.stderr and len(run.stderr.strip().splitlines()) == 1
    assert not out.exists()


def test_zstd_compressed_code_is_accepted(tmp_path, cli):
    import zstandard

    from fennel_gov.runtime.code import ZSTD_PREFIX

    spec = fixture_spec("development.json")
    code = bytes.fromhex(spec["genesis"]["runtimeGenesis"]["code"][2:])
    spec["genesis"]["runtimeGenesis"]["code"] = "0x" + (ZSTD_PREFIX + zstandard.ZstdCompressor().compress(code)).hex()
    path = tmp_path / "compressed.json"
    path.write_text(json.dumps(spec))
    run = cli("chainspec", "inspect", path, "--json")
    assert run.exit_code == 0, run.stderr
    assert run.json["runtime"]["spec_version"] == 102


def test_compiled_module_cache_is_used_and_keyed(tmp_path, monkeypatch):
    from fennel_gov.runtime import Runtime, core_version

    monkeypatch.setenv("FENNEL_GOV_CACHE_DIR", str(tmp_path / "cache"))
    code = bytes.fromhex(fixture_spec("development.json")["genesis"]["runtimeGenesis"]["code"][2:])
    Runtime.from_code(code)
    entries = list((tmp_path / "cache").iterdir())
    assert len(entries) == 1 and entries[0].suffix == ".cwasm"
    assert core_version(Runtime.from_code(code)).spec_name == "fennel"
    entries[0].write_bytes(b"garbage")  # a damaged cache entry is recompiled, not fatal
    assert core_version(Runtime.from_code(code)).spec_version == 102



def _raw_spec_with(tmp_path, *, validators, session_keys, boot_nodes=None, chain_type=None, sudo=True):
    """Fennel's development raw spec with its validators (Session.Validators), their session keys
    (Session.NextKeys, account -> (aura bytes, grandpa bytes)), bootnodes, chain type and sudo replaced."""
    import xxhash

    from fennel_gov.keys import ss58

    def twox64(data):
        return xxhash.xxh64(data, seed=0).digest()[::-1]

    def prefix(pallet, item):
        return b"".join(xxhash.xxh64(n.encode(), seed=s).digest()[::-1] for n in (pallet, item) for s in (0, 1))

    spec = fixture_spec("development-raw.json")
    top = spec["genesis"]["raw"]["top"]
    next_keys = prefix("Session", "NextKeys")
    for key in [k for k in top if k.startswith("0x" + next_keys.hex())]:
        del top[key]
    accounts = [ss58.decode(v).payload for v in validators]
    top["0x" + prefix("Session", "Validators").hex()] = "0x" + (bytes([len(accounts) << 2]) + b"".join(accounts)).hex()
    for address, (aura, grandpa) in session_keys.items():
        account = ss58.decode(address).payload
        top["0x" + (next_keys + twox64(account) + account).hex()] = "0x" + (aura + grandpa).hex()
    if not sudo:
        del top["0x" + prefix("Sudo", "Key").hex()]
    if boot_nodes is not None:
        spec["bootNodes"] = boot_nodes
    if chain_type is not None:
        spec["chainType"] = chain_type
    path = tmp_path / "crafted-raw.json"
    path.write_text(json.dumps(spec))
    return path


def _pair(suri, scheme):
    from fennel_gov.keys import pair_from_suri, ss58

    pair = pair_from_suri(suri, scheme)
    return ss58.encode(pair.public), pair.public


NOT_ED25519 = bytes([2]) + bytes(31)  # y = 2 is on no ed25519 point (x² would be a non-square)
PEER = "12D3KooWFRgPPfukBwCKcw5BXdKwLwj15tHgEYpHyNdqownMTJ3d"


def test_verify_finds_each_validator_set_and_bootnode_mistake(cli, tmp_path):
    (v1, _), (v2, _), (v3, _), (v4, _), (v5, _) = (_pair(f"//fennel-v{i}", "sr25519") for i in range(1, 6))
    aura = {i: _pair(f"//fennel-aura{i}", "sr25519")[1] for i in range(1, 6)}
    grandpa = {i: _pair(f"//fennel-gran{i}", "ed25519")[1] for i in range(1, 6)}
    path = _raw_spec_with(
        tmp_path,
        validators=[v1, v2, v2, v3, v4, v5],
        session_keys={
            v1: (aura[1], grandpa[1]),
            v2: (aura[2], aura[2]),  # the same bytes for both keys
            v3: (aura[3], NOT_ED25519),
            v4: (aura[1], grandpa[4]),  # v1's aura key again
            # v5: no session keys at all
        },
        boot_nodes=[
            "/dns4/a.fennel.example/tcp/30333/p2p/" + PEER,
            "/dns4/b.fennel.example/tcp/30333/p2p/" + PEER,  # the same node under a second name
            "/dns4/c.fennel.example/tcp/30333",  # no /p2p/<peer id>
        ],
    )
    run = cli("chainspec", "verify", path, "--profile", "development", "--json")
    assert run.exit_code == 1
    from fennel_gov.keys import ss58

    found = {(f["severity"], f["code"], f["message"]) for f in run.json["findings"]}

    def has(severity, code, *words):
        return any(s == severity and c == code and all(w in m for w in words) for s, c, m in found)

    assert has("error", "duplicate-validator", v2, "2 times")
    assert has("error", "same-aura-grandpa", v2)
    assert has("error", "grandpa-not-ed25519", v3)
    assert has("error", "duplicate-session-key", "aura key " + ss58.encode(aura[1]))
    assert has("error", "missing-session-keys", v5)
    assert has("warning", "duplicate-peer-id", PEER)
    assert has("error", "bad-bootnode", "c.fennel.example")
    assert not any(c in ("chain-type", "sudo-none", "no-bootnodes") for _, c, _ in found)
    assert not any(v1 in m or v4 in m for s, c, m in found if c in ("missing-session-keys", "grandpa-not-ed25519"))


def test_verify_production_wants_a_live_chain_bootnodes_and_says_when_there_is_no_sudo(cli, tmp_path):
    validators = {address: (_pair(f"//fennel-aura{i}", "sr25519")[1], _pair(f"//fennel-gran{i}", "ed25519")[1])
                  for i, address in enumerate(_pair(f"//fennel-v{i}", "sr25519")[0] for i in range(1, 4))}
    path = _raw_spec_with(tmp_path, validators=list(validators), session_keys=validators, boot_nodes=[], chain_type="Local", sudo=False)
    run = cli("chainspec", "verify", path, "--profile", "production", "--json")
    codes = {(f["severity"], f["code"]) for f in run.json["findings"]}
    assert {("error", "chain-type"), ("warning", "sudo-none"), ("error", "no-bootnodes")} <= codes
    assert run.exit_code == 1
    development = cli("chainspec", "verify", path, "--profile", "development", "--json")
    assert not {"chain-type", "no-bootnodes"} & {f["code"] for f in development.json["findings"]}
