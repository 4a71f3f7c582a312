"""The runbooks, followed literally (issue 13): every marked shell block of README.md, docs/key-ceremony.md,
docs/chain-specs.md, docs/gitops.md and docs/operator-guide.md is typed, command by command, into bash
on a pseudo-terminal with the worktree's ``fennel-gov`` on PATH, in a temporary directory, answering
hidden prompts as the custodians and operators would, against the real Fennel runtime under chopsticks.

What the test may change in a command is only the placeholder table ``SUBSTITUTE`` (URLs, paths,
addresses, values printed by an earlier step); what it does not run is ``NOT_RUN``, each with its
reason, and the test checks that exactly those were left out. The ceremony runs in a network
namespace with no interface up (``unshare``), as on the air-gapped machine, so it needs no
``--allow-network``; the OS keyring is a file-backed stand-in (tests/runbook_keyring.py).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import time
from pathlib import Path

import pytest

from fennel_gov.keys import pair_from_suri, ss58
from tests.runbook import blocks, commands, type_command

pytestmark = pytest.mark.chain

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures" / "fennel-solonet"
DEV_RAW = FIXTURES / "development-raw.json"
RUNTIME = FIXTURES / "runtimes" / "fennel-v102.compact.compressed.wasm"
PERIOD = 30

ALICE = "5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY"
BOB = "5FHneW46xGXgs5mUiveU4sbTyGBzmstUspZC92UhjJM694ty"
NEW_VALIDATOR_URI = "//RunbookValidator"  # not endowed by the development genesis: the runbook funds it
NEW_VALIDATOR = ss58.encode(pair_from_suri(NEW_VALIDATOR_URI, "sr25519").public, 42)


def session_keys(suri: str) -> str:
    from fennel_gov.keys import SessionKeys

    return SessionKeys.from_pairs(pair_from_suri(suri, "sr25519"), pair_from_suri(suri, "ed25519")).to_hex()

# Every marked block, per runbook, in the order the runbook gives them. A block renamed, added or
# unmarked in a runbook fails test_every_shell_block_of_the_runbooks_is_marked_and_known.
RUNBOOKS = {
    "README.md": ["readme-start", "readme-completion"],
    "docs/key-ceremony.md": [
        "ceremony-carry-download", "ceremony-carry-install", "ceremony-custodians", "ceremony-generate",
        "ceremony-verify", "ceremony-export-keystore", "ceremony-recover-sudo", "ceremony-fingerprint",
        "ceremony-ci", "ceremony-reshare", "ceremony-rotate-sudo", "ceremony-offline-signing",
    ],
    "docs/chain-specs.md": ["chainspec-ci"],
    "docs/gitops.md": ["gitops-render", "gitops-seal-cert", "gitops-flux-age", "gitops-verify"],
    "docs/operator-guide.md": [
        "operator-config", "operator-keyring", "operator-status", "operator-validator-key", "operator-fund",
        "operator-rotate-keys", "operator-offline-keys", "operator-add", "operator-watch", "operator-check-network",
        "operator-remove", "operator-recover-finality", "operator-set-sudo",
    ],
}

# (block, how the command starts) -> why it is not run here.
NOT_RUN = {
    ("readme-start", "bash scripts/setup.sh"): "CI runs it (.ci/run, scripts/check-wheel.sh); "
    "test_the_readme_opening_commands_are_what_setup_and_ci_do checks what it does",
    ("readme-start", "bash .ci/run"): "it is CI itself, which runs this test",
    ("ceremony-carry-download", "python3 -m pip download"): "downloads from the package index (network)",
    ("ceremony-carry-download", "python3 -m pip wheel"): "needs the build backend from the package index; "
    "scripts/check-wheel.sh builds and installs the wheel in CI",
    ("ceremony-carry-download", "cp requirements/runtime.txt"): "part of the carry/ directory the download makes",
    ("ceremony-carry-download", "echo \"fennel-gov=="): "hashes the wheel the skipped build makes",
    ("ceremony-carry-install", "python3 -m venv venv"): "installs from carry/, which only the download step makes; "
    "the test uses the worktree's venv as venv/",
    ("ceremony-carry-install", "venv/bin/pip install --no-index --find-links carry/wheels --require-hashes -r"): "as above",
    ("ceremony-carry-install", "venv/bin/pip install --no-index --find-links carry/wheels --require-hashes --no-deps"): "as above",
    ("gitops-seal-cert", "kubeseal --fetch-cert"): "needs a cluster running the Sealed Secrets controller; "
    "the test makes the certificate it would fetch",
    ("gitops-flux-age", "age-keygen -o age.agekey"): "Flux's side, on a trusted machine with the cluster",
    ("gitops-flux-age", "kubectl -n flux-system"): "needs the cluster",
    ("gitops-flux-age", "age-keygen -y age.agekey"): "Flux's side, with the key above",
    ("gitops-verify", "git add clusters/prod/fennel"): "commits to your GitOps repository",
}


def passphrase(custodian: str) -> str:
    return f"passphrase of {custodian}"


# Prompts and what the operator types. Hidden prompts (getpass) read the terminal, as at a desk.
CUSTODIANS = [
    (r"(?:Passphrase for custodian|Repeat the passphrase for) ([\w-]+): ", lambda m: passphrase(m[1])),
]
# reshare and rotate-sudo name the new custodians "new sudo-share-N" (old and new share the names)
NEW_CUSTODIANS = [
    (r"(?:Passphrase for custodian|Repeat the passphrase for) (new [\w-]+): ", lambda m: passphrase(m[1])),
]
YES = [(r"\? \[y/N\]: ", lambda m: "y")]
SUDO_FILE_PASSWORD = "sudo file password"


class Desk:
    """The operator's desk: a working directory (the repository clone), a home with its config and
    keyring, the ceremony media, and the record of what was run and what was left out."""

    def __init__(self, base: Path, cache: str) -> None:
        self.base = base
        self.work = base / "work"
        self.home = base / "home"
        for d in (self.work, self.home):
            d.mkdir(parents=True, exist_ok=True)
        (self.work / "venv").symlink_to(ROOT / ".venv")  # what carry-install's venv would be
        self.env = {
            "PATH": f"{ROOT / '.venv' / 'bin'}:/usr/local/bin:/usr/bin:/bin",
            "HOME": str(self.home),
            "LANG": os.environ.get("LANG", "C.UTF-8"),
            "TERM": "dumb",
            "PYTHONPATH": str(ROOT),  # for the keyring stand-in only
            "PYTHON_KEYRING_BACKEND": "tests.runbook_keyring.RunbookFileKeyring",
            "RUNBOOK_KEYRING_FILE": str(self.home / "keyring.json"),
            "FENNEL_GOV_CACHE_DIR": str(cache),
        }
        self.substitute: dict[str, dict[str, str]] = {"*": {"/media/": f"{base}/media/"}}
        self.used: set[tuple[str, str]] = set()
        self.ran: list[tuple[str, str]] = []
        self.left_out: list[tuple[str, str]] = []
        self.timings: list[tuple[float, str, str]] = []  # seconds per command, shown by the last test (-s)
        texts = {doc: (ROOT / doc).read_text() for doc in RUNBOOKS}
        self.blocks = {b.name: b for doc, text in texts.items() for b in blocks(text) if b.name}

    def follow(self, name: str, *, answers=(), expect: dict[int, int] | None = None, offline: bool = False,
               only: list[int] | None = None, timeout: float = 300) -> list:
        """Type the commands of block ``name`` (those at ``only``, when a later one needs an earlier one's
        output); ``expect`` maps a command's index to its exit code (else 0)."""
        done = []
        for index, typed in enumerate(commands(self.blocks[name].text)):
            if only is not None and index not in only:
                continue
            reason = next((why for (block, start), why in NOT_RUN.items() if block == name and typed.startswith(start)), None)
            if reason is not None:
                self.left_out.append((name, typed.split("\n")[0]))
                continue
            as_written = typed
            for scope in ("*", name):
                for placeholder, value in self.substitute.get(scope, {}).items():
                    if placeholder in typed:
                        typed = typed.replace(placeholder, value)
                        self.used.add((scope, placeholder))
            prefix = []
            if offline:  # no interface but a down loopback, and /sys showing this namespace's interfaces
                prefix = ["unshare", "-rnm", "sh", "-c", 'mount -t sysfs sysfs /sys && exec "$@"', "sh"]
            started = time.monotonic()
            result = type_command(typed, cwd=self.work, env=self.env, answers=list(answers), timeout=timeout, prefix=prefix)
            self.timings.append((time.monotonic() - started, name, as_written.split("\n")[0][:70]))
            wanted = (expect or {}).get(index, 0)
            assert result.exit_code == wanted, f"{name} #{index}: {typed}\nexit {result.exit_code}, wanted {wanted}:\n{result.output[-4000:]}"
            self.ran.append((name, as_written.split("\n")[0]))
            done.append(result)
        return done


@pytest.fixture(scope="module")
def node(chain):
    """The URL an operator would configure: a node reports the genesis hash computed from the spec,
    chopsticks a placeholder. This proxy and System.BlockHash(0) give the real one, so the config's
    genesis_hash guard and the signed genesis are exercised as written."""
    from tests.rpc_proxy import RealGenesisProxy

    genesis = _genesis_hash(DEV_RAW)
    chain.hold_genesis_hash(bytes.fromhex(genesis[2:]))
    with RealGenesisProxy(chain.url, genesis) as url:
        yield url


@pytest.fixture(scope="module")
def desk(tmp_path_factory):
    base = tmp_path_factory.mktemp("runbooks")
    # The user's runtime cache (compiled wasm, keyed by code hash), which the other tests warm: a cold
    # one costs each fennel-gov process a compile. HOME moves to the desk, so name it explicitly.
    cache = os.environ.get("FENNEL_GOV_CACHE_DIR")
    if cache is None:
        cache = str(Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "fennel-gov")
    return Desk(base, cache)


def on_chain(chain, pallet: str, item: str, params: list | None = None):
    from substrateinterface import SubstrateInterface

    substrate = SubstrateInterface(url=chain.url)
    try:
        return substrate.query(pallet, item, params or []).value
    finally:
        substrate.close()


def _genesis_hash(spec: Path) -> str:
    from fennel_gov.chainspec.genesis import to_raw
    from fennel_gov.chainspec.spec import ChainSpec

    return "0x" + to_raw(ChainSpec.load(spec))[1].genesis_hash.hex()


def seal_cert() -> bytes:
    """What ``kubeseal --fetch-cert`` would fetch: a self-signed RSA certificate like the controller's."""
    import datetime as dt

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "sealed-secret")])
    now = dt.datetime.now(dt.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key()).serial_number(1)
            .not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=365))
            .sign(key, hashes.SHA256()))
    return cert.public_bytes(serialization.Encoding.PEM)


# -- the runbooks as written ---------------------------------------------------------------------


def test_every_shell_block_of_the_runbooks_is_marked_and_known():
    for doc, names in RUNBOOKS.items():
        found = blocks((ROOT / doc).read_text())
        unmarked = [b.line for b in found if b.name is None and b.info.split()[:1] in (["sh"], ["bash"], ["shell"], ["toml"])]
        assert unmarked == [], f"{doc}: shell blocks without a <!-- runbook: NAME --> mark at lines {unmarked}"
        assert [b.name for b in found if b.name] == names, doc


def test_the_readme_opening_commands_are_what_setup_and_ci_do(desk):
    assert desk.follow("readme-start") == []  # both are listed in NOT_RUN: CI runs them
    first, second = commands(desk.blocks["readme-start"].text)
    assert first.startswith("bash scripts/setup.sh && .venv/bin/fennel-gov chainspec inspect")
    assert second.startswith("bash .ci/run")
    setup = (ROOT / "scripts" / "setup.sh").read_text()
    # set up: a venv in .venv, the hashed lock, the project itself (so .venv/bin/fennel-gov exists); npm only with --chain
    assert "python3 -m venv .venv" in setup and "--require-hashes -r requirements/test.txt" in setup
    assert '--no-deps -e .' in setup and 'if [ "${1:-}" = "--chain" ]' in setup and "npm ci" in setup
    ci = (ROOT / ".ci" / "run").read_text()
    # "set up (venv, pip, npm) and run the whole test suite"
    assert "bash scripts/setup.sh --chain" in ci and "FENNEL_GOV_FORBID_SKIPS=1 .venv/bin/python -m pytest" in ci
    # the wheel check runs the README's first command's second half from the wheel
    assert '"$fennel_gov" chainspec inspect' in (ROOT / "scripts" / "check-wheel.sh").read_text()


def test_the_readme_shell_completion_installs_where_bash_completion_loads_it(desk):
    # As first written (without the mkdir), it failed in a fresh home: the directory did not exist.
    desk.follow("readme-completion")
    script = desk.home / ".local" / "share" / "bash-completion" / "completions" / "fennel-gov"
    loaded = type_command(f"source {script} && complete -p fennel-gov", cwd=desk.work, env=desk.env)
    assert loaded.exit_code == 0 and "fennel-gov" in loaded.output and "-F" in loaded.output


def test_the_key_ceremony_runbook_from_carrying_in_to_the_published_manifest(desk):
    # Carrying in: the download and install need the index; the check at the end runs.
    desk.follow("ceremony-carry-download")
    (inspect,) = desk.follow("ceremony-carry-install")
    head, tail = re.search(r"# genesis (0x[0-9a-f]+)…([0-9a-f]+)", desk.blocks["ceremony-carry-install"].text).groups()
    shown = re.search(r"Genesis hash:\s+(0x[0-9a-f]{64})", inspect.output)[1]
    assert shown.startswith(head) and shown.endswith(tail) and shown == _genesis_hash(ROOT / "chainspecs" / "development.json")

    (order,) = desk.follow("ceremony-custodians", offline=True)
    custodians = order.output.split()
    (made,) = desk.follow("ceremony-generate", answers=CUSTODIANS, offline=True)
    # each custodian was asked twice, in the order custodians printed
    asked = [re.search(r"for (?:custodian )?([\w-]+): ", a)[1] for a in made.answered]
    assert asked == [c for c in custodians for _ in (0, 1)]
    ceremony = desk.base / "media" / "ceremony" / "fennel-mainnet"
    manifest = json.loads((ceremony / "keys" / "fennel-mainnet.json").read_text())
    assert "rehearsal" not in json.dumps(manifest) or manifest.get("rehearsal") is False
    fingerprint = re.search(r"Fingerprint: ([0-9a-f-]+)", made.output)[1]

    (verified,) = desk.follow("ceremony-verify", answers=CUSTODIANS, offline=True)
    assert sorted({re.search(r"custodian ([\w-]+)", a)[1] for a in verified.answered}) == sorted(custodians)

    desk.follow("ceremony-export-keystore", answers=CUSTODIANS, offline=True)
    keystore = desk.base / "media" / "validator-1" / "chains" / "fennel-mainnet" / "keystore"
    validator_1 = next(v for v in manifest["validators"] if v["name"] == "validator-1")
    keys_hex = validator_1["session_keys"]["hex"][2:]  # aura public then grandpa public, 32 bytes each
    written = sorted(p.name for p in keystore.iterdir())
    assert written == sorted(["61757261" + keys_hex[:64], "6772616e" + keys_hex[64:]])
    assert len((desk.base / "media" / "validator-1" / "node-key").read_text().strip()) == 64

    recover_answers = [*CUSTODIANS, (r"(?:New password|Repeat the new password): ", lambda m: SUDO_FILE_PASSWORD)]
    desk.follow("ceremony-recover-sudo", answers=recover_answers, offline=True)
    sudo_file = json.loads((desk.work / "sudo.json").read_text())
    assert sudo_file["address"] == manifest["sudo"]["address"]

    # "Copy only keys/fennel-mainnet.json off the machine, into the repository's keys/"
    (desk.work / "keys").mkdir()
    shutil.copy(ceremony / "keys" / "fennel-mainnet.json", desk.work / "keys" / "fennel-mainnet.json")
    (read_aloud,) = desk.follow("ceremony-fingerprint")
    assert fingerprint in read_aloud.output

    # CI: the srtool runtime and its digest are the placeholders
    desk.substitute["ceremony-ci"] = {
        "fennel_runtime.compact.compressed.wasm": str(RUNTIME),
        "0x<srtool blake2-256>": "0x" + hashlib.blake2b(RUNTIME.read_bytes(), digest_size=32).hexdigest(),
    }
    built, verified_spec, raw = desk.follow("ceremony-ci")
    spec = json.loads((desk.work / "fennel-mainnet.json").read_text())
    assert spec["id"] == "fennel-mainnet"  # the keystore's chains/<id>/ above
    # production verify exits 0 (the runbook gate): no dev keys, enough validators, bootnodes, srtool digest
    assert verified_spec.exit_code == 0 and "rehearsal" not in verified_spec.output
    genesis = re.search(r"(0x[0-9a-f]{64})", raw.output)[1]
    assert genesis == _genesis_hash(desk.work / "fennel-mainnet-raw.json")

    # Later, on the offline machine: new custodians for the same key, then a new key
    media = desk.base / "media" / "ceremony"
    (reshared_run,) = desk.follow("ceremony-reshare", answers=[*NEW_CUSTODIANS, *CUSTODIANS], offline=True)
    reshared = json.loads((media / "fennel-mainnet-2" / "keys" / "fennel-mainnet.json").read_text())
    assert reshared["sudo"]["address"] == manifest["sudo"]["address"]
    assert (reshared["sudo"]["shares"]["threshold"], reshared["sudo"]["shares"]["count"]) == (3, 5)
    assert "the OLD shares still recover this same key" in reshared_run.output
    (rotated_run,) = desk.follow("ceremony-rotate-sudo", answers=[*NEW_CUSTODIANS, *CUSTODIANS], offline=True)
    rotated = json.loads((media / "fennel-mainnet-3" / "keys" / "fennel-mainnet.json").read_text())
    assert rotated["sudo"]["address"] != manifest["sudo"]["address"]
    assert rotated["genesis_sudo"] == manifest["sudo"]["address"]  # the genesis stays what it was
    # Sudo (pallet 6) set_key (call 2) of MultiAddress::Id(the new key), per the fixtures README
    new_sudo = ss58.decode(rotated["sudo"]["address"]).payload
    assert (media / "fennel-mainnet-3" / "set-sudo-call.txt").read_text().strip() == "0x060200" + new_sudo.hex()


def test_the_chain_specs_runbook_builds_the_same_genesis_from_the_manifest(desk):
    desk.substitute["chainspec-ci"] = dict(desk.substitute["ceremony-ci"])
    *_, raw = desk.follow("chainspec-ci")
    answer = json.loads(raw.output[raw.output.index("{"):])
    assert answer["genesis_hash"] == _genesis_hash(desk.work / "fennel-mainnet-raw.json")
    assert (desk.work / "out" / "raw.json").read_bytes() == (desk.work / "fennel-mainnet-raw.json").read_bytes()


def test_the_gitops_runbook_renders_and_verifies_the_ceremony(desk):
    (desk.work / "sealed-secrets-cert.pem").write_bytes(seal_cert())
    *_, rendered = desk.follow("gitops-render", answers=CUSTODIANS, offline=True)  # it opens the secrets: air-gapped
    asked = [re.search(r"custodian ([\w-]+)", a)[1] for a in rendered.answered]
    assert asked == ["validator-1", "validator-2", "validator-3", "bootnode-1", "bootnode-2"]
    (checked,) = desk.follow("gitops-seal-cert")
    # the fingerprint openssl shows is the certificate render sealed for
    shown = re.search(r"(?i)sha256 fingerprint=([0-9A-F:]+)", checked.output)[1].replace(":", "").lower()
    assert f"sealed for certificate {shown[:16]}" in rendered.output and "notAfter=" in checked.output
    desk.follow("gitops-flux-age")
    (verified,) = desk.follow("gitops-verify")
    assert (desk.work / "clusters" / "prod" / "fennel" / "kustomization.yaml").exists()


def test_the_operator_guide_brings_a_validator_in_on_the_real_runtime(desk, chain, node):
    from tests.rpc_proxy import RotateKeysProxy

    genesis = _genesis_hash(DEV_RAW)
    desk.substitute["operator-config"] = {"wss://rpc.fennel.example:443": node, '"0x…"': f'"{genesis}"'}
    config = desk.home / ".config" / "fennel-gov" / "config.toml"
    config.parent.mkdir(parents=True)
    toml = desk.blocks["operator-config"].text
    for placeholder, value in desk.substitute["operator-config"].items():
        assert placeholder in toml
        toml = toml.replace(placeholder, value)
        desk.used.add(("operator-config", placeholder))
    config.write_text(toml)  # the block is the file the comment on its first line names

    desk.follow("operator-keyring", answers=[(r"Secret URI[^:]*: ", lambda m: "//Alice")])
    (status,) = desk.follow("operator-status")
    assert ALICE in status.output

    desk.follow("operator-validator-key", answers=[(r"Secret URI[^:]*: ", lambda m: NEW_VALIDATOR_URI)])
    desk.substitute["operator-fund"] = {"5NewValidator…": NEW_VALIDATOR, "5Treasury…": ALICE, "fennel-raw.json": str(DEV_RAW)}
    built, signed, submitted = desk.follow("operator-fund", answers=[(r"Secret URI[^:]*: ", lambda m: "//Alice"), *YES])
    assert "Balances.transfer_keep_alive" in built.output and "Balances.transfer_keep_alive" in signed.output
    assert NEW_VALIDATOR in signed.output  # the review shows the destination before it asks
    assert on_chain(chain, "System", "Account", [NEW_VALIDATOR])["data"]["free"] == 20 * 10**12  # 20 FNL arrived

    from fennel_gov.keys import SessionKeys, pair_from_seed
    from fennel_gov.keys.schemes import Scheme

    made_on_node = SessionKeys.from_pairs(pair_from_seed(Scheme.SR25519, os.urandom(32)), pair_from_seed(Scheme.ED25519, os.urandom(32)))
    with RotateKeysProxy(chain.url, made_on_node.to_hex()) as validator_node:
        desk.substitute["operator-rotate-keys"] = {"http://127.0.0.1:9944": validator_node}
        (rotated,) = desk.follow("operator-rotate-keys", answers=YES)
    assert made_on_node.to_hex() in rotated.output

    (generated,) = desk.follow("operator-offline-keys", only=[0])
    keys_hex = re.search(r"0x[0-9a-f]{128}\b", generated.output)[0]  # printed for the next command
    desk.substitute["operator-offline-keys"] = {"0x<SessionKeys>": keys_hex}
    desk.follow("operator-offline-keys", only=[1], answers=YES)
    assert len(list((desk.work / "keystore").iterdir())) == 2
    assert on_chain(chain, "Session", "NextKeys", [NEW_VALIDATOR]) == {"aura": "0x" + keys_hex[2:66], "grandpa": "0x" + keys_hex[66:]}

    desk.substitute["operator-add"] = {"5NewValidator…": NEW_VALIDATOR}
    dry, added = desk.follow("operator-add", answers=YES)
    assert "Dry run: nothing submitted." in dry.output and "ValidatorsRegistered" in added.output
    (watch,) = desk.follow("operator-watch")
    assert NEW_VALIDATOR in watch.output

    chain.to_session_change(2, PERIOD)  # "two session changes later"
    assert on_chain(chain, "Session", "Validators") == [ALICE, NEW_VALIDATOR]
    desk.substitute["operator-check-network"] = {"URL1 URL2 …": node}  # the one node there is
    (network,) = desk.follow("operator-check-network")  # chopsticks says it should have no peers (shouldHavePeers false)
    assert f"{node}: genesis {genesis[:18]}" in network.output and "peers 0" in network.output and "all nodes agree" in network.output

    desk.substitute["operator-remove"] = {"5Old…": NEW_VALIDATOR}
    (removed,) = desk.follow("operator-remove", expect={0: 1})  # two validators: the pallet refuses, with the arithmetic
    assert "ValidatorManager.TooFewValidators" in removed.output and "2 active + 0 queued to join − 0 queued to leave − 1 = 1" in removed.output

    (recover,) = desk.follow("operator-recover-finality", expect={0: 1})  # finality is healthy: refused
    assert "finality is healthy" in recover.output


def test_the_key_ceremonys_offline_signing_removes_a_validator(desk, chain, node):
    import fennel_gov

    # The scene: a third validator, so that one can go (MinAuthorities is 2). The chain under test is
    # the development chain, whose sudo is //Alice: her key stands in for the ceremony's sudo.json.
    net = fennel_gov.connect(node)  # the real genesis hash, which the chain now holds
    net.set_keys(session_keys("//Bob"), signer=fennel_gov.KeyPair.from_uri("//Bob"), wait="included")
    net.close()
    with fennel_gov.connect(node) as net:  # a Network reads at the block it pinned when it connected
        net.add_validators([BOB], signer=fennel_gov.KeyPair.from_uri("//Alice"), wait="included")
    chain.to_session_change(2, PERIOD)
    assert on_chain(chain, "Session", "Validators") == [ALICE, NEW_VALIDATOR, BOB]
    type_command("fennel-gov keys export-json -o alice.json", cwd=desk.work, env=desk.env, answers=[
        (r"Secret URI[^:]*: ", "//Alice"), (r"(?:New password|Repeat the new password): ", SUDO_FILE_PASSWORD)])

    desk.substitute["ceremony-offline-signing"] = {"5Old…": BOB}
    (call,) = desk.follow("ceremony-offline-signing", only=[0])
    desk.substitute["ceremony-offline-signing"].update({
        "0x…": call.output.strip(), "5Sudo…": ALICE, "fennel-mainnet-raw.json": str(DEV_RAW), "json:sudo.json": "json:alice.json",
    })
    built, signed, submitted = desk.follow("ceremony-offline-signing", only=[1, 2, 3], answers=[
        (r"Password: ", SUDO_FILE_PASSWORD), *YES])
    assert "ValidatorManager.remove_validator" in signed.output and "computed from the chain spec" in signed.output
    assert on_chain(chain, "ValidatorManager", "ValidatorsToRemove") == [BOB]


def test_the_operator_guide_hands_sudo_to_a_new_key(desk, chain, node):
    # Last on this chain: after it, //Alice is no longer sudo.
    from fennel_gov.keys import pair_from_seed
    from fennel_gov.keys.schemes import Scheme

    if not (desk.work / "alice.json").exists():
        type_command("fennel-gov keys export-json -o alice.json", cwd=desk.work, env=desk.env, answers=[
            (r"Secret URI[^:]*: ", "//Alice"), (r"(?:New password|Repeat the new password): ", SUDO_FILE_PASSWORD)])
    new_sudo = ss58.encode(pair_from_seed(Scheme.SR25519, os.urandom(32)).public, 42)
    desk.substitute["operator-set-sudo"] = {"5NewSudo…": new_sudo, "json:sudo.json": "json:alice.json"}
    dry, call, moved = desk.follow("operator-set-sudo", answers=[(r"Password: ", SUDO_FILE_PASSWORD), *YES])
    assert "Dry run: nothing submitted." in dry.output
    assert call.output.strip().splitlines()[-1] == "0x060200" + ss58.decode(new_sudo).payload.hex()
    assert on_chain(chain, "Sudo", "Key") == new_sudo and new_sudo in moved.output


def test_exactly_the_listed_steps_were_left_out_and_every_placeholder_was_used(desk):
    every = [(name, c.split("\n")[0]) for names in RUNBOOKS.values() for name in names for c in commands(desk.blocks[name].text)
             if desk.blocks[name].info == "sh"]  # the toml block is a file, written as it stands (its placeholders substituted)
    assert sorted(desk.left_out) == sorted((b, c) for b, c in every if any(b == nb and c.startswith(s) for nb, s in NOT_RUN))
    assert len(desk.left_out) == len(NOT_RUN)  # each reason matched one command
    followed = set(desk.ran) | set(desk.left_out)
    assert [step for step in every if step not in followed] == []
    assert {(scope, p) for scope, table in desk.substitute.items() for p in table} == desk.used
    for seconds, name, command in sorted(desk.timings, reverse=True)[:12]:
        print(f"{seconds:6.1f} s  {name}: {command}")


# -- defects found by following the runbooks -----------------------------------------------------


def test_gitops_render_refuses_a_missing_output_parent_before_asking_any_passphrase(cli, desk, tmp_path):
    # Following docs/gitops.md literally, `-o clusters/prod/fennel` in a fresh repository asked all five
    # custodians for their passphrases and only then said clusters/prod did not exist. (The ceremony
    # is the one the key-ceremony runbook made above; no passphrase is given at all.)
    (tmp_path / "cert.pem").write_bytes(seal_cert())
    run = cli("gitops", "render", "--manifest", desk.work / "keys" / "fennel-mainnet.json",
              "--ceremony", desk.base / "media" / "ceremony" / "fennel-mainnet", "--spec", desk.work / "fennel-mainnet-raw.json",
              "--namespace", "fennel", "--image", "repo/node:1", "--seal-cert", tmp_path / "cert.pem",
              "-o", tmp_path / "clusters" / "prod" / "fennel", "--passphrases-stdin", "--allow-network", stdin="")
    assert run.exit_code == 2 and run.stderr == f"error: directory {tmp_path / 'clusters' / 'prod'} does not exist; create it first\n"


# -- README's sections: every command its tables name exists, with every flag they give it ---------

TOP_LEVEL = ["add-validator", "remove-validator", "set-keys", "rotate-keys", "status", "check-network", "recover-finality",
             "keys", "chainspec", "ceremony", "tx", "gitops", "runtime", "completion"]


def readme_synopses() -> list[tuple[list[str], list[str], str]]:
    """(command path, flags, the synopsis) for every code span in the first cell of README's command tables."""
    found = []
    for line in (ROOT / "README.md").read_text().splitlines():
        if not line.startswith("| `"):
            continue
        first_cell = re.split(r"(?<!\\)\|", line)[1]
        if re.match(r"\s*`(?:fennel-gov )?([a-z-]+)", first_cell)[1] not in TOP_LEVEL:
            continue  # another table (the libraries)
        parent: list[str] = []
        for span in re.findall(r"`([^`]+)`", first_cell):
            words = span.replace("fennel-gov ", "").split()
            path = []
            for word in words:
                word = word.split("\\|")[0]  # `keys keyring add\|list\|show\|remove`: each is a command
                if not re.fullmatch(r"[a-z][a-z-]*", word):
                    break
                path.append(word)
            if path and path[0] not in TOP_LEVEL:  # `keys session-keys derive` / `decode HEX`: a sibling
                path = parent[:-1] + path
            parent = path
            found.append((path, sorted(set(re.findall(r"(?<![\w-])--[a-z][a-z-]*", span))), span))
    return found


def test_every_command_and_flag_in_the_readme_tables_exists(cli):
    synopses = readme_synopses()
    assert len(synopses) >= 35  # the tables are still there, and still read
    missing = []
    for path, flags, span in synopses:
        shown = cli(*path, "--help")
        assert shown.exit_code == 0, f"README names `{span}`: {shown.stderr}"
        missing += [f"`{span}`: {flag}" for flag in flags if not re.search(rf"(?<![\w-]){flag}(?![\w-])", shown.stdout)]
    assert missing == []
