"""Only the current truth becomes a deployment: each approval is checked again, by the solver's own rules,
against the rows as they are when it is made (issue 16). A refusal writes nothing; a reason overrides the
breakable rules and is recorded; an offer's status never moves on approval."""

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import httpx
import pytest
from sqlmodel import Session, select

from schemas.enums import DeploymentStatus
from schemas.ids import SupplierId
from service.deployments import repository as deployments
from service.platform.tables import AuditEntry, Deployment, Expert, ExpertWindow, Offer
from tests.service import factories
from tests.service.test_planning_flow import _run

TODAY = datetime.now(UTC).date()  # what approvals check against: the day they are made
START, END = TODAY + timedelta(days=120), TODAY + timedelta(days=420)
SCREENING_RULE = "credential:HR-SCREENING"
REASON = "HQ accepts this: the screening renewal is booked for next week"


def _day(d: date) -> str:
    return d.isoformat()


@dataclass
class World:
    """One seat of one request, the one supplier the plan proposes for it, and that proposal."""

    request: dict
    position: dict
    supplier: dict
    kind: str
    plan: dict
    assignment: dict


def _world(client, auth, engine, kind: str = "expert", *, start: date = START, plan_today: date = TODAY) -> World:
    hq = auth("hq")
    end = start + (END - START)
    request = client.post(
        "/requests",
        headers=hq,
        json=factories.capacity_request(
            deploy_by=_day(start),
            positions=[
                factories.position(
                    title="Police adviser",
                    category="police",
                    **({"grade_min": "P-3", "grade_max": "P-5"} if kind == "expert" else {}),  # offers have no grade
                    start_date=_day(start),
                    end_date=_day(end),
                )
            ],
        ),
    ).json()
    if kind == "expert":
        body = factories.expert(
            full_name="Amina Diallo",
            nationality="NOR",
            screening_valid_until=_day(TODAY + timedelta(days=1000)),
            availability=[{"start": _day(TODAY), "end": _day(TODAY + timedelta(days=1000))}],
        )
        supplier = client.post("/experts", json=body, headers=auth("member_state", "NOR")).json()
    else:
        body = factories.offer(
            title="Ghana police advisers",
            kind="individual",
            slots=1,
            languages=[{"code": "fr", "level": 5}],
            available_from=_day(TODAY),
            available_to=_day(TODAY + timedelta(days=1000)),
            max_duration_days=400,
            notice_days=10,
            expires_on=_day(TODAY + timedelta(days=900)),
        )
        supplier = client.post("/offers", json=body, headers=auth("member_state", "GHA")).json()
        supplier = factories.assessed(client, hq, supplier, "ready")
    planner = auth("planner")
    body = {
        "workers": 1,
        "time_limit": 5,
        "today": _day(plan_today),
        "request_ids": [request["id"]],
        "min_readiness": "ready",  # the offer is ready: proposed, until its readiness drops
    }
    plan = _run(client, engine, planner, body=body)
    (assignment,) = client.get(f"/plans/{plan['id']}/assignments", headers=planner).json()["data"]
    assert assignment["supplier"]["id"] == ("E" if kind == "expert" else "O") + str(supplier["id"])
    return World(request, request["positions"][0], supplier, kind, plan, assignment)


def _patch_expert(**change) -> Callable:
    def patch(client, auth, engine, w: World) -> None:
        answer = client.patch(f"/experts/{w.supplier['id']}", json=change, headers=auth("hq"))
        assert answer.status_code == 200, answer.text

    return patch


def _patch_offer(**change) -> Callable:
    def patch(client, auth, engine, w: World) -> None:
        answer = client.patch(f"/offers/{w.supplier['id']}", json=change, headers=auth("member_state", "GHA"))
        assert answer.status_code == 200, answer.text

    return patch


def _readiness_lowered(client, auth, engine, w: World) -> None:
    change = {"readiness": "pledged", "reason": "the unit's equipment was sent elsewhere"}
    answer = client.post(f"/offers/{w.supplier['id']}/readiness", json=change, headers=auth("hq"))
    assert answer.status_code == 200, answer.text


def _move_position(client, auth, engine, w: World) -> None:
    moved = {"start_date": "2031-03-01", "end_date": "2031-12-31"}
    path = f"/requests/{w.request['id']}/positions/{w.position['id']}"
    assert client.patch(path, json=moved, headers=auth("hq")).status_code == 200


def _stand_down(client, auth, engine, w: World) -> None:
    answer = client.patch(f"/requests/{w.request['id']}", json={"status": "stood_down"}, headers=auth("hq"))
    assert answer.status_code == 200, answer.text


def _expire(client, auth, engine, w: World) -> None:
    with Session(engine) as session:  # no API sets a past expiry: the calendar does
        offer = session.get(Offer, w.supplier["id"])
        offer.expires_on = TODAY - timedelta(days=1)
        session.add(offer)
        session.commit()


def _deployed_just_before(client, auth, engine, w: World) -> None:
    """Another deployment of the expert ends five days before the seat starts: inside the 14-day rest gap."""
    other = client.post(
        "/requests",
        headers=auth("hq"),
        json=factories.capacity_request(
            positions=[
                factories.position(
                    start_date=_day(START - timedelta(days=90)), end_date=_day(START - timedelta(days=5))
                )
            ]
        ),
    ).json()
    position = other["positions"][0]
    with Session(engine) as session:
        session.add(
            Deployment(
                position_id=position["id"],
                request_id=other["id"],
                seat=1,
                expert_id=w.supplier["id"],
                supplier_key=f"E{w.supplier['id']}",
                contributing_state="NOR",
                mission="MINUSCA",
                start_date=date.fromisoformat(position["start_date"]),
                end_date=date.fromisoformat(position["end_date"]),
                approved_by="earlier planner",
            )
        )
        session.commit()


WHOLE_PERIOD = [{"start": _day(START - timedelta(days=10)), "end": _day(END + timedelta(days=10))}]
SHORT_WINDOW = [{"start": _day(TODAY), "end": _day(START + timedelta(days=30))}]
OTHER_SKILL = [{"code": "IHL-TRAINING", "proficiency": 5}]
ENDS_EARLY = _day(START - timedelta(days=10))

# (case, supplier kind, the change made after the plan, the rule the approval then names, breakable)
CHANGES = [
    # the eight scenarios of the issue
    ("expert deactivated", "expert", _patch_expert(active=False), "supplier", False),
    ("expert on leave for the whole period", "expert", _patch_expert(leave=WHOLE_PERIOD), "availability", True),
    ("expert lost the required skill", "expert", _patch_expert(skills=OTHER_SKILL), "skill:SSR-STRATEGY>=3", True),
    ("screening set to 2020", "expert", _patch_expert(screening_valid_until="2020-12-31"), SCREENING_RULE, True),
    ("offer withdrawn", "offer", _patch_offer(status="withdrawn"), "supplier", False),
    ("offer ends before the position starts", "offer", _patch_offer(available_to=ENDS_EARLY), "availability", True),
    ("position moved", "expert", _move_position, "position", True),
    ("request stood down", "expert", _stand_down, "request", False),
    # one per eligibility rule
    ("category", "expert", _patch_expert(category="military"), "category", True),
    ("level", "expert", _patch_expert(levels=["tactical"]), "level", True),
    ("language", "expert", _patch_expert(languages=[{"code": "en", "level": 5}]), "language:fr>=4", True),
    ("grade", "expert", _patch_expert(grade="P-2"), "grade", True),
    ("nationality of the host state", "expert", _patch_expert(nationality="CAF"), "nationality", True),
    ("availability window", "expert", _patch_expert(availability=SHORT_WINDOW), "availability", True),
    ("deployed elsewhere within the rest gap", "expert", _deployed_just_before, "deployed", False),
    ("offer maximum duration", "offer", _patch_offer(max_duration_days=30), "offer_caveats", True),
    ("offer caveat excludes the mission", "offer", _patch_offer(excluded_missions=["MINUSCA"]), "offer_caveats", True),
    ("offer expired", "offer", _expire, "supplier", False),
    ("offer readiness below the plan's lowest", "offer", _readiness_lowered, "readiness", True),
]  # fmt: skip


def _nothing_written(client, auth, engine, w: World, offer_before: dict | None) -> None:
    planner = auth("planner")
    with Session(engine) as session:
        assert not session.exec(select(Deployment).where(Deployment.plan_id == w.plan["id"])).all()
        assert not session.exec(select(AuditEntry).where(AuditEntry.entity == "plan_assignment")).all()
    (assignment,) = client.get(f"/plans/{w.plan['id']}/assignments", headers=planner).json()["data"]
    assert assignment["review"] == "proposed" and assignment["deployment_id"] is None
    if offer_before is not None:
        offer = client.get(f"/offers/{w.supplier['id']}", headers=planner).json()
        assert (offer["status"], offer["slots_used"]) == (offer_before["status"], offer_before["slots_used"])


@pytest.mark.parametrize(("case", "kind", "change", "rule", "breakable"), CHANGES, ids=[c[0] for c in CHANGES])
def test_a_change_after_the_plan_refuses_the_approval_and_only_a_breakable_rule_yields_to_a_reason(
    client, auth, engine, case, kind, change, rule, breakable
):
    w = _world(client, auth, engine, kind)
    change(client, auth, engine, w)
    planner = auth("planner")
    offer_before = client.get(f"/offers/{w.supplier['id']}", headers=planner).json() if kind == "offer" else None

    refused = client.post(f"/plans/{w.plan['id']}/review", json={"approve": [w.assignment["id"]]}, headers=planner)
    assert refused.status_code == 409, refused.text
    body = refused.json()
    (refusal,) = body["refused"]
    assert refusal["assignment_id"] == w.assignment["id"]
    named = {p["rule"]: p for p in refusal["problems"]}
    assert rule in named and named[rule]["breakable"] is breakable
    name = w.supplier["full_name"] if kind == "expert" else w.supplier["title"]
    seat = f"seat 1 of position {w.position['id']} (Police adviser)"
    assert body["detail"].startswith(f"{name} cannot take {seat}: ")
    assert all(p["detail"] in body["detail"] for p in refusal["problems"])
    _nothing_written(client, auth, engine, w, offer_before)

    path = f"/plans/{w.plan['id']}/assignments/{w.assignment['id']}/approve"
    overridden = client.post(path, json={"override_reason": REASON}, headers=planner)
    if not breakable:
        assert overridden.status_code == 409 and "no reason overrides this" in overridden.json()["detail"]
        _nothing_written(client, auth, engine, w, offer_before)
        return
    assert overridden.status_code == 200, overridden.text
    (deployment_id,) = overridden.json()["deployments"]
    deployment = client.get(f"/deployments/{deployment_id}", headers=planner).json()
    assert deployment["override_reason"] == REASON
    assert {r["rule"]: r["detail"] for r in deployment["overridden_rules"]} == {
        r: p["detail"] for r, p in named.items()
    }
    with Session(engine) as session:
        (entry,) = session.exec(select(AuditEntry).where(AuditEntry.entity == "plan_assignment")).all()
    assert entry.action == "approved" and entry.after["override"] == {
        "reason": REASON,
        "rules": deployment["overridden_rules"],
    }
    if offer_before is not None:
        offer = client.get(f"/offers/{w.supplier['id']}", headers=planner).json()
        assert offer["status"] == offer_before["status"]  # an approval never moves an offer's status


def test_notice_is_counted_from_the_day_of_approval(client, auth, engine):
    """The plan was made 200 days ago, when 30 days' notice reached a seat starting in 20 days' time."""
    w = _world(client, auth, engine, start=TODAY + timedelta(days=20), plan_today=TODAY - timedelta(days=200))
    planner = auth("planner")
    refused = client.post(f"/plans/{w.plan['id']}/assignments/{w.assignment['id']}/approve", headers=planner)
    assert refused.status_code == 409
    assert [p["rule"] for p in refused.json()["refused"][0]["problems"]] == ["notice"]
    assert "cannot arrive in time (notice days)" in refused.json()["detail"]
    _nothing_written(client, auth, engine, w, None)


def test_an_eligible_approval_goes_through_unflagged_and_leaves_the_offer_status_alone(client, auth, engine):
    w = _world(client, auth, engine, "offer")
    planner = auth("planner")
    approved = client.post(f"/plans/{w.plan['id']}/assignments/{w.assignment['id']}/approve", headers=planner)
    assert approved.status_code == 200, approved.text
    deployment = client.get(f"/deployments/{approved.json()['deployments'][0]}", headers=planner).json()
    assert deployment["override_reason"] is None and deployment["overridden_rules"] is None
    assert deployment["at_risk"] is None and deployment["at_risk_since"] is None
    offer = client.get(f"/offers/{w.supplier['id']}", headers=planner).json()
    assert offer["status"] == "submitted" and offer["slots_used"] == 1
    with Session(engine) as session:
        kinds = session.exec(
            select(AuditEntry.entity).where(AuditEntry.action.not_in(("create", "readiness")))  # type: ignore[attr-defined]
        ).all()
    assert "offer" not in kinds  # the approval did not touch it
    assert client.get("/events?type=offer.accepted", headers=planner).json()["data"] == []


def test_every_refused_assignment_is_named_and_the_review_stays_all_or_nothing(client, auth, engine):
    hq, planner = auth("hq"), auth("planner")
    made = client.post(
        "/requests",
        headers=hq,
        json=factories.capacity_request(
            positions=[factories.position(count=3, start_date=_day(START), end_date=_day(END))]
        ),
    ).json()
    window = [{"start": _day(TODAY), "end": _day(TODAY + timedelta(days=1000))}]
    names = ("Amina Diallo", "Bjorn Berg", "Cato Holm")
    experts = [
        client.post(
            "/experts",
            json=factories.expert(
                full_name=n, nationality="NOR", availability=window, screening_valid_until="2030-12-31"
            ),
            headers=hq,
        ).json()
        for n in names
    ]
    plan = _run(client, engine, planner, body={"workers": 1, "today": _day(TODAY), "request_ids": [made["id"]]})
    proposals = client.get(f"/plans/{plan['id']}/assignments", headers=planner).json()["data"]
    assert len(proposals) == 3
    client.patch(f"/experts/{experts[0]['id']}", json={"screening_valid_until": "2020-12-31"}, headers=hq)
    client.patch(f"/experts/{experts[1]['id']}", json={"active": False, "languages": []}, headers=hq)

    refused = client.post(
        f"/plans/{plan['id']}/review", json={"approve": [a["id"] for a in proposals]}, headers=planner
    )
    assert refused.status_code == 409
    detail = refused.json()["detail"]
    assert "Amina Diallo cannot take seat" in detail and "lacks a valid human-rights screening through" in detail
    assert "Bjorn Berg cannot take seat" in detail and "is no longer active on the roster" in detail
    assert "Cato Holm" not in detail
    assert sorted(r["supplier"]["name"] for r in refused.json()["refused"]) == ["Amina Diallo", "Bjorn Berg"]
    assert client.get("/deployments", headers=planner).json()["count"] == 0  # Cato's passed, and was undone too


def test_a_reason_must_say_something(client, auth, engine):
    w = _world(client, auth, engine)
    path = f"/plans/{w.plan['id']}/assignments/{w.assignment['id']}/approve"
    short = client.post(path, json={"override_reason": "   ok     "}, headers=auth("planner"))
    assert short.status_code == 422 and short.json()["detail"][0]["field"] == "override_reason"


# --- A roster change that commits while approvals wait on the booking lock --------------------------------------

RACERS = 20


def _racing_plan(client, auth, engine) -> tuple[int, dict[int, int], int]:
    """A plan of 20 proposals: the victim in ten seats a month apart, ten other experts in one seat each."""
    hq = auth("hq")
    window = [{"start": _day(TODAY), "end": _day(TODAY + timedelta(days=1200))}]
    expert = lambda: client.post(  # noqa: E731
        "/experts", json=factories.expert(availability=window, screening_valid_until="2031-12-31"), headers=hq
    ).json()["id"]
    victim, others = expert(), [expert() for _ in range(RACERS // 2)]
    starts = [START + timedelta(days=40 * i) for i in range(RACERS // 2)]
    positions = [
        factories.position(title=f"Adviser {i}", start_date=_day(s), end_date=_day(s + timedelta(days=20)))
        for i, s in enumerate(starts)
    ]
    positions += [
        factories.position(title=f"Adviser {i}", start_date=_day(START), end_date=_day(END)) for i in range(10, 20)
    ]
    made = client.post("/requests", headers=hq, json=factories.capacity_request(positions=positions)).json()
    experts = [victim] * (RACERS // 2) + others
    plan_id, rows = factories.stored_plan(engine, list(zip(made["positions"], experts, strict=True)))
    return plan_id, {r.id: r.expert_id for r in rows}, victim


@pytest.mark.parametrize("change", ["deactivated", "on leave"])
def test_a_roster_change_committed_during_twenty_approvals_lets_no_broken_deployment_through(
    client, auth, engine, live_server, change
):
    plan_id, expert_of, victim = _racing_plan(client, auth, engine)
    headers = auth("planner")
    holding = threading.Event()
    answers: dict[int, httpx.Response] = {}

    def roster_change() -> None:
        """As a roster change under the booking lock will: hold the victim's lock, change, wait, commit."""
        with Session(engine) as session:
            try:
                deployments.lock_supplier(session, SupplierId(expert=victim))
                expert = session.get(Expert, victim)
                if change == "deactivated":
                    expert.active = False
                    session.add(expert)
                else:
                    session.add(
                        ExpertWindow(expert_id=victim, kind="leave", start=START, end=END + timedelta(days=900))
                    )
                session.flush()
            finally:
                holding.set()
            time.sleep(1.0)  # the approvals queue behind the lock meanwhile
            session.commit()

    def approve(assignment_id: int) -> None:
        holding.wait(timeout=60)
        with httpx.Client(base_url=live_server, headers=headers, timeout=60) as http:
            answers[assignment_id] = http.post(f"/plans/{plan_id}/assignments/{assignment_id}/approve")

    threads = [threading.Thread(target=roster_change)]
    threads += [threading.Thread(target=approve, args=(a,)) for a in expert_of]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    victims = [r for a, r in answers.items() if expert_of[a] == victim]
    others = [r for a, r in answers.items() if expert_of[a] != victim]
    assert len(victims) == len(others) == RACERS // 2
    assert all(r.status_code == 200 for r in others), [r.text for r in others if r.status_code != 200]
    assert all(r.status_code == 409 for r in victims), [r.text for r in victims if r.status_code != 409]
    with Session(engine) as session:
        live = session.exec(
            select(Deployment).where(Deployment.expert_id == victim, Deployment.status != DeploymentStatus.cancelled)
        ).all()
    assert live == []
