"""Nobody is double-booked and nothing is written twice, whatever the concurrency (SQLite and PostgreSQL)."""

import threading

import httpx
from sqlmodel import Session, select

from schemas.enums import DeploymentStatus
from service.platform.tables import AuditEntry, Deployment, Offer
from tests.service import factories

RACERS = 20


def _plan_booking_one_person_twenty_times(client, auth, engine) -> tuple[int, list[int], int]:
    """A (deliberately bad) plan that puts one expert in 20 overlapping positions."""
    hq = auth("hq")
    expert = client.post("/experts", json=factories.expert(), headers=hq).json()
    request = client.post(
        "/requests",
        headers=hq,
        json=factories.capacity_request(positions=[factories.position(title=f"Adviser {i}") for i in range(RACERS)]),
    ).json()
    plan_id, rows = factories.stored_plan(engine, [(p, expert["id"]) for p in request["positions"]])
    return plan_id, [r.id for r in rows], expert["id"]


def test_twenty_simultaneous_approvals_make_one_deployment(client, auth, engine, live_server):
    plan_id, assignment_ids, expert_id = _plan_booking_one_person_twenty_times(client, auth, engine)
    headers = auth("planner")
    start = threading.Barrier(RACERS)
    answers: list[httpx.Response] = []

    def approve(assignment_id: int) -> None:
        with httpx.Client(base_url=live_server, headers=headers, timeout=60) as http:
            start.wait()
            answers.append(http.post(f"/plans/{plan_id}/assignments/{assignment_id}/approve"))

    threads = [threading.Thread(target=approve, args=(a,)) for a in assignment_ids]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    statuses = sorted(r.status_code for r in answers)
    assert statuses == [200] + [409] * (RACERS - 1), [r.text for r in answers if r.status_code not in (200, 409)]
    with Session(engine) as session:
        live = session.exec(
            select(Deployment).where(Deployment.expert_id == expert_id, Deployment.status != DeploymentStatus.cancelled)
        ).all()
    assert len(live) == 1
    losers = [r for r in answers if r.status_code == 409]
    assert all(f"deployment {live[0].id}" in r.json()["detail"] for r in losers)
    assert all(r.headers["x-conflicting-deployment"] == str(live[0].id) for r in losers)


def test_simultaneous_offers_each_written_once_with_their_audit_entries_and_one_per_title(auth, engine, live_server):
    """On PostgreSQL these are single statements on the event loop's pool; on SQLite, transactions on threads."""
    headers = auth("member_state", "NOR")
    titles = ["Racing title"] * (RACERS // 2) + [f"Own title {i}" for i in range(RACERS // 2)]
    start = threading.Barrier(RACERS)
    answers: dict[str, list[httpx.Response]] = {title: [] for title in titles}

    def offer(title: str) -> None:
        with httpx.Client(base_url=live_server, headers=headers, timeout=60) as http:
            start.wait()
            answers[title].append(http.post("/offers", json=factories.offer(title=title)))

    threads = [threading.Thread(target=offer, args=(title,)) for title in titles]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    raced = sorted(r.status_code for r in answers.pop("Racing title"))
    assert raced == [201] + [409] * (RACERS // 2 - 1)
    assert all(r.status_code == 201 for (r,) in answers.values()), [r.text for (r,) in answers.values()]
    with Session(engine) as session:
        offers = session.exec(select(Offer.title, Offer.id).where(Offer.state == "NOR")).all()
        noted = session.exec(select(AuditEntry.entity_id).where(AuditEntry.entity == "offer")).all()
    assert sorted(title for title, _ in offers) == sorted(["Racing title", *answers])
    assert sorted(noted) == sorted(str(offer_id) for _, offer_id in offers)  # one entry each, no other
