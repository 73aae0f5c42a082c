"""The credential rule: a supplier holds each credential type the position requires, valid through its last day."""

import solver
from tests.solver.factory import day, expert, filled, instance, offer, position

NAMES = {"MEDICAL": "medical clearance", "HR-SCREENING": "human-rights screening"}
SCREENED = {"HR-SCREENING": day(2000)}


def _solve(inst):
    plan = solver.solve(inst, workers=1, seed=0, time_limit=10)
    assert solver.check(inst, plan) == []
    return plan


def test_credential_expiring_before_the_end_removes_the_candidate_and_says_so():
    people = [
        expert("E1", credentials=SCREENED | {"MEDICAL": day(279)}),  # one day short of the end (day 280)
        expert("E2", credentials=SCREENED),  # never had one
        expert("E3", credentials=SCREENED | {"MEDICAL": day(10)}),  # long expired by the end
    ]
    seat = position(credentials=["HR-SCREENING", "MEDICAL"])
    plan = _solve(instance(people, [seat], credential_names=NAMES))
    assert filled(plan) == {}
    step = next(e for e in plan.unfilled[0].eliminations if e.rule == "credential:MEDICAL")
    assert (step.eliminated, step.remaining) == (3, 0)
    assert step.detail == f"lack a valid medical clearance through {day(280)}"


def test_credential_valid_through_the_last_day_is_enough():
    people = [expert("E1", credentials=SCREENED | {"MEDICAL": day(280)})]
    plan = _solve(instance(people, [position(credentials=["HR-SCREENING", "MEDICAL"])], credential_names=NAMES))
    assert filled(plan) == {"P1": "E1"}


def test_a_credential_not_required_is_not_asked_for():
    """No over-reach: a position that requires only the screening takes an expert without a medical clearance,
    and one that requires nothing takes an expert without any credential."""
    assert filled(_solve(instance([expert(credentials=SCREENED)], [position()]))) == {"P1": "E1"}
    assert filled(_solve(instance([expert(credentials={})], [position(credentials=[])]))) == {"P1": "E1"}


def test_an_offer_attests_credentials_for_its_team():
    seat = position(credentials=["HR-SCREENING", "MEDICAL"], same_offer=False)
    without = _solve(instance([], [seat], offers=[offer(credentials=SCREENED)], credential_names=NAMES))
    assert filled(without) == {}
    assert "credential:MEDICAL" in [e.rule for e in without.unfilled[0].eliminations]
    attested = _solve(instance([], [seat], offers=[offer(credentials=SCREENED | {"MEDICAL": day(400)})]))
    assert filled(attested) == {"P1": "O1"}


def test_each_seat_asks_only_for_its_own_types():
    """The seat that requires a medical clearance goes to the one who has it; the other seat, which requires the
    screening only, to one without a medical clearance; the unscreened expert takes neither."""
    people = [
        expert("E1", credentials={"MEDICAL": day(400)}),  # no screening
        expert("E2", credentials=SCREENED),  # no medical clearance
        expert("E3", credentials=SCREENED | {"MEDICAL": day(400)}),  # both: takes the seat
    ]
    plan = _solve(instance(people, [position(credentials=["HR-SCREENING", "MEDICAL"]), position("P2")]))
    assert filled(plan) == {"P1": "E3", "P2": "E2"}


def test_eligibility_names_every_missing_credential_of_one_supplier():
    inst = instance(
        [expert(credentials={})], [position(credentials=["HR-SCREENING", "MEDICAL"])], credential_names=NAMES
    )
    broken = {b.rule: b.detail for b in solver.eligibility(inst, "P1", "E1")}
    assert broken == {
        "credential:HR-SCREENING": f"lack a valid human-rights screening through {day(280)}",
        "credential:MEDICAL": f"lack a valid medical clearance through {day(280)}",
    }


def test_an_instance_stored_before_credentials_reads_the_screening_as_it_was():
    """Plans stored by the previous release hold `screening_valid_until`: read as the HR-SCREENING credential,
    required of every seat, offers counting as screened."""
    old = instance([expert()], [position()], offers=[offer()]).model_dump(mode="json")
    old["experts"][0].pop("credentials")
    old["experts"][0]["screening_valid_until"] = day(279).isoformat()
    for o in old["offers"]:
        o.pop("credentials")
    for p in old["positions"]:
        p.pop("credentials")
    inst = type(instance()).model_validate(old)
    assert inst.positions[0].credentials == ["HR-SCREENING"]
    assert inst.experts[0].credentials == {"HR-SCREENING": day(279)}
    assert "HR-SCREENING" in inst.offers[0].credentials
    assert [b.rule for b in solver.eligibility(inst, "P1", "E1")] == ["credential:HR-SCREENING"]
