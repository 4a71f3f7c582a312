"""polkadot-sdk's json_patch::merge rules, including the change of PR #6382 for nulls."""

from fennel_gov.chainspec.json_patch import merge


def test_objects_merge_recursively_and_arrays_replace():
    target = {"a": {"name": "xxx", "value": 123, "keys": ["d"]}, "b": {"c": {"inner": "yyy"}}}
    patch = {"a": {"keys": ["a", "b", "c"]}}
    assert merge(target, patch) == {"a": {"name": "xxx", "value": 123, "keys": ["a", "b", "c"]}, "b": {"c": {"inner": "yyy"}}}
    assert target["a"]["keys"] == ["d"]  # inputs are not modified


def test_null_sets_null_since_pr_6382_and_removes_in_legacy_mode():
    target = {"a": {"name": "xxx", "variant_1": {"name": "yyy"}}}
    patch = {"a": {"variant_1": None, "variant_2": 32}}
    assert merge(target, patch) == {"a": {"name": "xxx", "variant_1": None, "variant_2": 32}}
    assert merge(target, patch, legacy_null_removes=True) == {"a": {"name": "xxx", "variant_2": 32}}


def test_defaults_keep_their_own_nulls_and_big_balances_stay_exact():
    default = {"sudo": {"key": None}, "balances": {"balances": [], "devAccounts": None}}
    merged = merge(default, {"balances": {"balances": [["5Grw…", 10**24]]}})
    assert merged == {"sudo": {"key": None}, "balances": {"balances": [["5Grw…", 10**24]], "devAccounts": None}}
    assert merged["balances"]["balances"][0][1] == 1_000_000_000_000_000_000_000_000
