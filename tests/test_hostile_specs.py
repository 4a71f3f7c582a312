"""Chain specs as an attacker would write them (CI runs `chainspec` on specs from pull requests):
terminal escapes in the fields `inspect` shows, child tries, and more storage entries than any real
genesis has."""

from __future__ import annotations

import json
import unicodedata

from tests.conftest import FIXTURES
from tests.hostile import one_line

DEV_RAW = FIXTURES / "development-raw.json"
PEER = "12D3KooWFRgPPfukBwCKcw5BXdKwLwj15tHgEYpHyNdqownMTJ3d"

# What a terminal acts on instead of printing: clear screen (CSI), set title (OSC, BEL-ended),
# C1 CSI, a bidi override that reverses what follows, a line separator.
ESCAPES = ["\x1b[2J", "\x1b]0;owned\x07", "\x9b31m", "\u202e", "\u2028", "\x00", "\x7f"]


def _dangerous(text: str) -> list[str]:
    """Characters in ``text`` that act on a terminal (newlines between lines excepted)."""
    return [c for c in text if c != "\n" and (unicodedata.category(c)[0] in "CZ" and c != " ")]


def _spec(tmp_path, **fields) -> str:
    document = json.loads(DEV_RAW.read_text())
    document.update(fields)
    path = tmp_path / "hostile.json"
    path.write_text(json.dumps(document))
    return str(path)


def test_inspect_shows_escapes_in_a_hostile_specs_text_fields_instead_of_sending_them_to_the_terminal(cli, tmp_path):
    evil = "".join(ESCAPES)
    path = _spec(
        tmp_path,
        name="Fennel" + evil, id="fennel\u202elive", chainType="Live\x1b[8m",
        properties={"ss58Format": 42, "tokenDecimals": 12, "tokenSymbol": "FNL\x1b[2K"},
        bootNodes=[f"/dns4/a.example\x1b[1A/tcp/30333/p2p/{PEER}"],
    )
    run = cli("chainspec", "inspect", path)
    assert run.exit_code == 0, run.stderr
    assert _dangerous(run.stdout) == []
    # Escaped, not dropped: the operator sees that something is off, and where.
    assert "Fennel\\x1b[2J\\x1b]0;owned\\x07\\x9b31m\\u202e\\u2028\\x00\\x7f (fennel\\u202elive, Live\\x1b[8m" in run.stdout
    assert "FNL\\x1b[2K" in run.stdout  # the token symbol, in the amounts
    assert "a.example\\x1b[1A" in run.stdout
    # JSON keeps the exact value (json.dumps escapes it), so scripts see what the file says.
    as_json = cli("chainspec", "inspect", path, "--json")
    assert _dangerous(as_json.stdout) == [] and as_json.json["name"] == "Fennel" + evil


def test_an_error_quoting_a_hostile_path_is_escaped(cli, tmp_path):
    run = cli("chainspec", "inspect", str(tmp_path / "spec\x1b]0;owned\x07\u202e.json"))
    assert run.exit_code == 2
    line = one_line(run.stderr)
    assert _dangerous(line) == [] and "spec\\x1b]0;owned\\x07\\u202e.json does not exist" in line


def test_verify_flags_a_bootnode_with_control_characters_and_a_shared_peer_id_once(cli, tmp_path):
    path = _spec(tmp_path, bootNodes=[
        f"/dns4/a.fennel.example/tcp/30333/p2p/{PEER}",
        f"/dns4/b.fennel.example/tcp/30333/p2p/{PEER}",
        f"/dns4/c.fennel.example/tcp/30333/p2p/{PEER}",
        f"/dns4/\u202eelpmaxe.fennel.d/tcp/30333/p2p/{PEER}",  # reads as d.fennel.example
    ])
    run = cli("chainspec", "verify", path, "--profile", "development", "--json")
    findings = run.json["findings"]
    bad = [f for f in findings if f["code"] == "bad-bootnode"]
    assert len(bad) == 1 and bad[0]["severity"] == "error" and "control or invisible characters" in bad[0]["message"]
    shared = [f for f in findings if f["code"] == "duplicate-peer-id"]
    assert [f["message"] for f in shared] == [f"peer id {PEER} appears in 3 bootnode addresses"]
    assert run.exit_code == 1
    human = cli("chainspec", "verify", path, "--profile", "development")
    assert _dangerous(human.stdout) == [] and "\\u202eelpmaxe" in human.stdout


# -- child tries (genesis.raw.childrenDefault) ---------------------------------------------------

CHILD = {  # a child trie with a value long enough to be hashed in state version 1
    "0x" + b"alpha".hex(): "0x01",
    "0x" + b"beta".hex(): "0x" + "ab" * 40,
    "0x" + b"al".hex(): "0x",
}


def _with_children(tmp_path, children, name="children.json") -> str:
    document = json.loads(DEV_RAW.read_text())
    document["genesis"]["raw"]["childrenDefault"] = children
    path = tmp_path / name
    path.write_text(json.dumps(document))
    return str(path)


def test_child_tries_enter_the_genesis_hash_as_substrate_computes_it(cli, tmp_path):
    from tests.conftest import run_node_script

    path = _with_children(tmp_path, {"0x" + b"crowdloan".hex(): CHILD, "0x" + b"unused".hex(): {}})
    ours = cli("chainspec", "inspect", path, "--json").json
    # Independent: chopsticks' Rust trie for both levels, the composition written from polkadot-sdk.
    theirs = json.loads(run_node_script("state_root.mjs", path))
    assert (ours["state_root"], ours["genesis_hash"]) == (theirs["stateRoot"], theirs["genesisHash"])
    golden = cli("chainspec", "inspect", str(DEV_RAW), "--json").json
    assert ours["genesis_hash"] != golden["genesis_hash"]
    assert ours["child_tries"] == {"0x" + b"crowdloan".hex(): 3, "0x" + b"unused".hex(): 0}
    assert cli("chainspec", "raw", path).stderr.strip() == f"genesis hash {ours['genesis_hash']}"


def test_an_empty_child_trie_changes_nothing(cli, tmp_path):
    path = _with_children(tmp_path, {"0x" + b"unused".hex(): {}})
    golden = cli("chainspec", "inspect", str(DEV_RAW), "--json").json
    assert cli("chainspec", "inspect", path, "--json").json["genesis_hash"] == golden["genesis_hash"]


def test_diff_shows_child_trie_entries(cli, tmp_path):
    path = _with_children(tmp_path, {"0x" + b"crowdloan".hex(): CHILD})
    changes = cli("chainspec", "diff", str(DEV_RAW), path, "--json").json["changes"]
    assert {(c["change"], c["item"], c["key"]) for c in changes} == {
        ("added", "child trie 0x" + b"crowdloan".hex(), key) for key in CHILD}


def test_a_child_root_written_into_the_top_trie_is_refused(cli, tmp_path):
    document = json.loads(DEV_RAW.read_text())
    document["genesis"]["raw"]["top"]["0x" + b":child_storage:default:crowdloan".hex()] = "0x" + "11" * 32
    path = tmp_path / "forged.json"
    path.write_text(json.dumps(document))
    run = cli("chainspec", "inspect", path)
    assert run.exit_code == 2 and "childrenDefault" in one_line(run.stderr)


def test_a_malformed_child_trie_is_one_line(cli, tmp_path):
    for children in ({"0xzz": {}}, {"0x01": ["0x01"]}, {"0x01": {"0x01": 5}}, {"0x0a": {}, "0x0A": {}}):
        run = cli("chainspec", "inspect", _with_children(tmp_path, children))
        assert run.exit_code == 2, children
        assert "childrenDefault" in one_line(run.stderr)


# -- more storage entries than any real genesis ---------------------------------------------------


def _with_entries(tmp_path, extra: int, *, child: bool = False) -> str:
    document = json.loads(DEV_RAW.read_text())
    raw = document["genesis"]["raw"]
    target = raw["childrenDefault"].setdefault("0x01", {}) if child else raw["top"]
    for index in range(extra):
        target[f"0xfe{index:08x}"] = "0x00"
    path = tmp_path / f"entries-{extra}.json"
    path.write_text(json.dumps(document))
    return str(path)


def test_a_spec_past_the_entry_cap_is_refused_before_it_is_parsed_naming_count_and_cap(cli, tmp_path, monkeypatch):
    monkeypatch.setenv("FENNEL_GOV_MAX_SPEC_ENTRIES", "500")
    run = cli("chainspec", "inspect", _with_entries(tmp_path, 5000))
    assert run.exit_code == 2
    line = one_line(run.stderr)
    assert "5,054 JSON members" in line and "the 500 storage entries" in line and "FENNEL_GOV_MAX_SPEC_ENTRIES" in line


def test_the_entry_cap_counts_top_and_child_entries_exactly(cli, tmp_path, monkeypatch):
    # Within the separator slack, so the exact count decides: 39 top entries + 1,200 in a child trie.
    monkeypatch.setenv("FENNEL_GOV_MAX_SPEC_ENTRIES", "1000")
    run = cli("chainspec", "inspect", _with_entries(tmp_path, 1200, child=True))
    assert run.exit_code == 2
    assert "has 1,239 storage entries; fennel-gov reads at most 1,000" in one_line(run.stderr)


def test_raising_the_entry_cap_reads_the_larger_spec(cli, tmp_path, monkeypatch):
    path = _with_entries(tmp_path, 5000)
    monkeypatch.setenv("FENNEL_GOV_MAX_SPEC_ENTRIES", "6000")
    run = cli("chainspec", "inspect", path, "--json")
    assert run.exit_code == 0 and run.json["storage_entries"] == 5039
    monkeypatch.setenv("FENNEL_GOV_MAX_SPEC_ENTRIES", "many")
    assert cli("chainspec", "inspect", path).exit_code == 2


def test_the_default_entry_cap_refuses_a_huge_spec_within_ci_limits(tmp_path):
    from fennel_gov.chainspec.spec import DEFAULT_MAX_ENTRIES
    from tests.hostile import run_limited

    result = run_limited("chainspec", "inspect", _with_entries(tmp_path, DEFAULT_MAX_ENTRIES + 5000), memory=512 * 1024**2)
    assert result.exit_code == 2
    assert f"more than the {DEFAULT_MAX_ENTRIES:,} storage entries" in one_line(result.stderr)
