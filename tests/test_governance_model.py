"""The validator-set model and the preflight arithmetic, as pure functions (no chain).

The model follows validator-manager's ``new_session`` and pallet-session's ``rotate_session``; the
live tests (test_governance_pending.py) check the same cases against the real runtime.
"""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fennel_gov.governance.preflight import grandpa_threshold, plan_add, plan_remove, session_timing, status_warnings
from fennel_gov.governance.validator_set import SessionClock, SetSnapshot, rotate

KEYS = object()  # any non-None value stands for "has Session.NextKeys"


def snap(current, queued=None, add=(), remove=(), *, minimum=2, block=40, session=1, keyless=(), sudo="SUDO", grandpa=None):
    accounts = set(current) | set(queued or current) | set(add) | set(remove) | {"A", "B", "C", "D", "E"}
    return SetSnapshot(
        block_number=block, block_hash="0x00", finalized_number=block, session_index=session,
        session_period=30, session_offset=0, validators=list(current),
        queued_validators=list(queued) if queued is not None else list(current),
        queued_additions=list(add), queued_removals=list(remove), min_authorities=minimum, sudo=sudo,
        next_keys={a: (None if a in keyless else KEYS) for a in accounts},
        grandpa_authorities=list(grandpa if grandpa is not None else current),
    )


# -- new_session, exactly ------------------------------------------------------------------------


def test_removal_is_a_swap_remove_so_the_last_validator_takes_its_place():
    assert rotate(["A", "B", "C", "D"], ["A"], [], 2).result == ("D", "B", "C")


def test_additions_are_appended_in_order_and_present_ones_skipped():
    assert rotate(["A", "B"], [], ["C", "A", "D", "C"], 2).result == ("A", "B", "C", "D")


def test_a_removal_then_a_readdition_keeps_the_account_at_the_end():
    assert rotate(["A", "B", "C"], ["A"], ["A"], 2).result == ("C", "B", "A")


def test_removing_an_absent_account_changes_nothing():
    rotation = rotate(["A", "B"], ["Z"], [], 2)
    assert rotation.result == ("A", "B") and rotation.leaving == 0 and not rotation.dropped


def test_below_min_authorities_the_change_is_dropped_and_the_base_set_stays():
    rotation = rotate(["A", "B"], ["B"], [], 2)
    assert rotation.dropped and rotation.result == ("A",) and rotation.next_set == ("A", "B")


def test_the_arithmetic_in_words_is_the_counts():
    assert rotate(["A", "B"], ["B"], ["C", "D"], 2).arithmetic() == "the next session's set has 2, − 1 leaving + 2 joining = 3"


@settings(max_examples=400, deadline=None)
@given(
    base=st.lists(st.sampled_from("ABCDEF"), unique=True, max_size=6),
    removals=st.lists(st.sampled_from("ABCDEFG"), max_size=4),
    additions=st.lists(st.sampled_from("ABCDEFG"), max_size=4),
    minimum=st.integers(0, 5),
)
def test_the_words_always_add_up_and_the_result_is_the_set_algebra(base, removals, additions, minimum):
    rotation = rotate(base, removals, additions, minimum)
    numbers = [int(n) for n in re.findall(r"\d+", rotation.arithmetic())]
    assert numbers[0] - numbers[1] + numbers[2] == numbers[3] == len(rotation.result)
    remaining = [a for a in base if a not in removals]
    assert set(rotation.result) == set(remaining) | set(additions)
    assert len(set(rotation.result)) == len(rotation.result)
    assert rotation.dropped == (len(rotation.result) < minimum)


# -- when sets go live --------------------------------------------------------------------------


@pytest.mark.parametrize(("period", "offset", "block", "expected"), [
    (30, 0, 0, 30), (30, 0, 29, 30), (30, 0, 30, 60), (30, 0, 31, 60),
    (30, 5, 3, 5), (30, 5, 5, 35), (30, 5, 34, 35), (10, 0, 99, 100),
])
def test_the_next_session_block_follows_periodic_sessions(period, offset, block, expected):
    assert SessionClock(period, offset).next_change(block) == expected


def test_timing_names_the_block_where_each_set_goes_live():
    timing = session_timing(snap(["A", "B"], block=40, session=1))
    assert timing == {"current_session": 1, "next_session_block": 60, "blocks_to_next_session": 20,
                      "live_from_session": 3, "live_from_block": 90, "blocks_until_live": 50}


# -- the projection ------------------------------------------------------------------------------


def test_projected_set_is_the_queued_set_with_the_queues_applied():
    state = snap(["A", "B", "C"], queued=["A", "B", "C"], add=["D"], remove=["A"])
    assert state.projected_validators == ["C", "B", "D"] and not state.pending_change_dropped


def test_projected_is_none_when_the_pending_change_will_be_dropped():
    # The case: C's removal already moved into the queued set; B's removal was accepted on the current set.
    state = snap(["A", "B", "C"], queued=["A", "B"], remove=["B"])
    assert state.pending_change_dropped and state.projected_validators is None


def test_accounts_without_keys_are_left_out_of_the_projection():
    state = snap(["A", "B"], add=["C"], keyless=["C"])
    assert state.projected_validators == ["A", "B"]


# -- remove-validator: every message -------------------------------------------------------------


def only_problem(plan) -> str:
    assert len(plan.problems) == 1, plan.problems
    return plan.problems[0]


def test_removing_a_non_validator_says_so_without_arithmetic():
    problem = only_problem(plan_remove(snap(["A", "B", "C"]), "E", "SUDO"))
    assert problem == "E is not a validator (Session.Validators)"


def test_removing_an_account_that_joins_next_session_is_refused_until_then():
    problem = only_problem(plan_remove(snap(["A", "B"], queued=["A", "B", "D"]), "D", "SUDO"))
    assert "joins the set only at session 2 (block #60)" in problem and "NotValidator" in problem and "=" not in problem


def test_removing_an_account_queued_to_join_is_refused():
    problem = only_problem(plan_remove(snap(["A", "B"], add=["D"]), "D", "SUDO"))
    assert "queued to join" in problem and "NotValidator" in problem and "=" not in problem


def test_a_removal_already_queued_is_refused_without_arithmetic():
    problem = only_problem(plan_remove(snap(["A", "B", "C"], remove=["C"]), "C", "SUDO"))
    assert problem == "C is already queued for removal (ValidatorManager.ValidatorsToRemove)"


def test_a_validator_that_already_leaves_next_session_is_refused():
    problem = only_problem(plan_remove(snap(["A", "B", "C"], queued=["A", "B"]), "C", "SUDO"))
    assert "already leaves the set at session 2 (block #60" in problem and "=" not in problem


def test_the_pallets_own_count_is_quoted_when_it_refuses():
    problem = only_problem(plan_remove(snap(["A"]), "A", "SUDO"))
    assert "TooFewValidators" in problem
    assert "1 active + 0 queued to join − 0 queued to leave − 1 = 0, below MinAuthorities = 2" in problem


def test_the_pallets_count_includes_queued_additions_and_removals():
    problem = only_problem(plan_remove(snap(["A", "B", "C"], add=[], remove=["A"]), "B", "SUDO"))
    assert "3 active + 0 queued to join − 1 queued to leave − 1 = 1, below MinAuthorities = 2" in problem


def test_a_removal_the_chain_accepts_but_drops_is_refused_with_the_projection():
    # Issue 9: three validators, one removal already in the queued set; the pallet counts 3 + 0 − 0 − 1 = 2.
    plan = plan_remove(snap(["A", "B", "C"], queued=["A", "B"]), "B", "SUDO")
    problem = only_problem(plan)
    assert problem.startswith("the chain would accept this removal but drop it at the session change at block #60")
    assert "the next session's set has 2, − 1 leaving + 0 joining = 1, below MinAuthorities = 2" in problem
    assert "empties both queues" in problem
    assert plan.info["grandpa"]["validators_after"] == 2  # the set stays as queued


def test_a_removal_that_would_make_pending_additions_vanish_names_them():
    plan = plan_remove(snap(["A", "B", "C"], queued=["A", "B"], add=["D"], remove=["B"]), "A", "SUDO")
    problem = only_problem(plan)
    assert "− 2 leaving + 1 joining = 1" in problem and "the pending additions of D would vanish" in problem


def test_a_removal_with_room_to_spare_passes_and_reports_the_grandpa_figures():
    plan = plan_remove(snap(["A", "B", "C", "D"]), "D", "SUDO")
    assert plan.ok
    assert plan.info["grandpa"] == {"validators_before": 4, "threshold_before": 3, "validators_after": 3,
                                    "threshold_after": 3, "slack_after": 0}


# -- add-validator: every message ----------------------------------------------------------------


def test_adding_an_active_validator_is_refused():
    assert only_problem(plan_add(snap(["A", "B"]), ["B"], "SUDO")) == "B is already an active validator"


def test_adding_an_account_that_joins_next_session_is_refused():
    problem = only_problem(plan_add(snap(["A", "B"], queued=["A", "B", "D"]), ["D"], "SUDO"))
    assert problem == "D already joins the set at session 2 (block #60; Session.QueuedKeys)"


def test_adding_an_account_already_queued_is_refused():
    assert only_problem(plan_add(snap(["A", "B"], add=["D"]), ["D"], "SUDO")).startswith("D is already queued to join")


def test_readding_a_validator_queued_for_removal_is_allowed():
    assert plan_add(snap(["A", "B", "C"], remove=["C"]), ["C"], "SUDO").ok


def test_an_account_listed_twice_is_one_problem_and_counted_once():
    plan = plan_add(snap(["A", "B"]), ["D", "D"], "SUDO")
    assert only_problem(plan).startswith("D is listed twice") and "ValidatorAlreadyAdded" in plan.problems[0]
    assert plan.info["grandpa"]["validators_after"] == 3


def test_an_account_without_keys_is_refused():
    assert "has no session keys" in only_problem(plan_add(snap(["A", "B"], keyless=["D"]), ["D"], "SUDO"))


def test_grandpa_now_counts_the_authorities_not_queued_additions():
    plan = plan_add(snap(["A"], add=["B"], minimum=1), ["C"], "SUDO")
    assert plan.ok
    grandpa = plan.info["grandpa"]
    assert (grandpa["validators_before"], grandpa["threshold_before"]) == (1, 1)
    assert (grandpa["validators_after"], grandpa["threshold_after"]) == (3, 3)


def test_an_addition_that_still_leaves_too_few_is_refused_as_dropped():
    problem = only_problem(plan_add(snap(["A"], minimum=3), ["B"], "SUDO"))
    assert "would accept this addition but drop it" in problem
    assert "the next session's set has 1, − 0 leaving + 1 joining = 2, below MinAuthorities = 3" in problem
    assert "add at least 1 more in the same call" in problem


def test_a_signer_that_is_not_sudo_is_a_problem():
    assert "is not the sudo key SUDO" in only_problem(plan_add(snap(["A", "B"]), ["D"], "BOB"))


@settings(max_examples=300, deadline=None)
@given(
    current=st.lists(st.sampled_from("ABCDE"), unique=True, min_size=1, max_size=5),
    extra=st.lists(st.sampled_from("ABCDE"), unique=True, max_size=2),
    leaving=st.lists(st.sampled_from("ABCDE"), unique=True, max_size=2),
    add=st.lists(st.sampled_from("ABCDE"), unique=True, max_size=2),
    remove=st.lists(st.sampled_from("ABCDE"), unique=True, max_size=2),
    target=st.sampled_from("ABCDE"),
    minimum=st.integers(1, 4),
)
def test_every_removal_message_has_true_arithmetic_and_a_passed_plan_really_takes_effect(
    current, extra, leaving, add, remove, target, minimum
):
    queued = [a for a in current if a not in leaving] + [a for a in extra if a not in current]
    state = snap(current, queued=queued, add=add, remove=[r for r in remove if r in current], minimum=minimum)
    plan = plan_remove(state, target, "SUDO")
    for problem in plan.problems:
        for a, b, c, d in re.findall(r"has (\d+), − (\d+) leaving \+ (\d+) joining = (\d+)", problem):
            assert int(a) - int(b) + int(c) == int(d)
        for a, b, c, d in re.findall(r"(\d+) active \+ (\d+) queued to join − (\d+) queued to leave − 1 = (-?\d+)", problem):
            assert int(a) + int(b) - int(c) - 1 == int(d)
    if plan.ok:
        # Accepted by the pallet, applied at the next rotation, and the account is gone from the result.
        assert target in state.validators
        assert len(state.validators) + len(state.queued_additions) - len(state.queued_removals) - 1 >= minimum
        rotation = state.rotation(remove=[target])
        assert not rotation.dropped and target not in rotation.result and target in rotation.base


# -- status warnings -----------------------------------------------------------------------------


def test_one_validator_is_fewer_than_min_authorities_not_at_it():
    warnings = status_warnings(snap(["A"]), 20)
    assert any("will have 1 validator, fewer than MinAuthorities (2)" in w for w in warnings)
    assert not any("at MinAuthorities" in w for w in warnings)


def test_two_validators_are_at_min_authorities():
    assert any("the set is at MinAuthorities (2)" in w for w in status_warnings(snap(["A", "B"]), 20))


def test_a_pending_change_that_will_be_dropped_is_a_warning_naming_it():
    warnings = status_warnings(snap(["A", "B", "C"], queued=["A", "B"], remove=["B"], add=["D"], minimum=3), 20)
    dropped = [w for w in warnings if "DROPPED" in w]
    assert len(dropped) == 1
    assert "removal of B and addition of D" in dropped[0] and "block #60" in dropped[0]
    assert "has 2, − 1 leaving + 1 joining = 2, below MinAuthorities = 3" in dropped[0]


def test_a_pending_change_that_takes_effect_is_no_warning():
    warnings = status_warnings(snap(["A", "B", "C"], queued=["A", "B"], remove=["B"], add=["D"]), 20)
    assert not any("DROPPED" in w for w in warnings)


def test_grandpa_threshold():
    assert [grandpa_threshold(n) for n in range(0, 8)] == [0, 1, 2, 3, 3, 4, 5, 5]


def test_removing_a_validator_whose_readdition_is_queued_changes_nothing():
    problem = only_problem(plan_remove(snap(["A", "B", "C"], add=["C"]), "C", "SUDO"))
    assert "also queued to join" in problem and "changes nothing" in problem
