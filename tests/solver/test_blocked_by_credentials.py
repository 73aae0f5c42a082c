"""Seats that only credentials keep empty: the suppliers every other rule lets through, and the types they lack."""

from solver.candidates import blocked_by_credentials
from tests.solver.factory import day, expert, instance, position

SCREENED = {"HR-SCREENING": day(2000)}
BOTH = ["HR-SCREENING", "MEDICAL"]


def test_candidates_lacking_only_a_medical_clearance_block_the_seat():
    people = [
        expert("E1", credentials=SCREENED | {"MEDICAL": day(100)}),  # expires before the end (day 280)
        expert("E2", credentials=SCREENED),
        expert("E3", credentials={}),  # lacks both
        expert("E4", credentials={}, languages={}),  # not a candidate anyway: speaks no French
    ]
    blocked = blocked_by_credentials(instance(people, [position(credentials=BOTH)]), ["P1"])
    assert blocked == {"P1": {"HR-SCREENING": 1, "MEDICAL": 3}}


def test_a_seat_someone_holds_every_credential_for_is_not_blocked():
    """Empty for another reason (a competing position took the holder): not a credential gap."""
    people = [expert("E1", credentials=SCREENED | {"MEDICAL": day(400)}), expert("E2", credentials=SCREENED)]
    assert blocked_by_credentials(instance(people, [position(credentials=BOTH)]), ["P1"]) == {}


def test_a_seat_nobody_would_take_anyway_is_not_blocked():
    people = [expert("E1", credentials={}, skills={})]
    assert blocked_by_credentials(instance(people, [position(credentials=BOTH)]), ["P1"]) == {}


def test_only_the_positions_asked_for():
    people = [expert("E1", credentials=SCREENED)]
    inst = instance(people, [position("P1", credentials=BOTH), position("P2", credentials=BOTH)])
    assert set(blocked_by_credentials(inst, ["P2"])) == {"P2"}
