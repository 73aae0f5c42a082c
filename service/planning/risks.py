"""Deployments at risk: live deployments that a later change of their supplier, request or position broke.

A Member State's decision stands (an offer withdrawn, an expert on leave or deactivated, a screening
lapsed) and so does HQ's (a request stood down, a position moved): the deployments they break are flagged
``at_risk`` with the rules broken, in plain words, and one ``deployment.at_risk`` event goes to the
contributing state and the planners. The flag clears itself when the rows are right again. The rules are
``checks.seat_problems`` (the solver's own, plus what only the database knows); added here is only what a
deployment alone knows: the dates and slot it was booked with.
"""

from sqlalchemy import Engine
from sqlmodel import Session

from schemas import instance as si
from schemas.ids import SupplierId
from service.deployments.repository import suppliers
from service.notifications.outbox import emit
from service.planning import checks
from service.planning import repository as repo
from service.platform import hooks
from service.platform.tables import Deployment, utcnow
from service.platform.unit import Unit

# The gap a person needs between two deployments, as plans use it unless told otherwise.
REST_DAYS = si.Parameters().rest_days


def install() -> None:
    """Listen to the roster, offers and requests: each change they announce rechecks the deployments it touches."""
    hooks.listen(recheck)


def recheck(unit: Unit, changed: hooks.Changed) -> None:
    """Flag, update or clear the live deployments of the changed experts, offers, positions and requests."""
    touched = repo.live_deployments_touching(
        unit.session,
        experts=set(changed.experts),
        offers=set(changed.offers),
        positions=set(changed.positions),
        requests=set(changed.requests),
    )
    check(unit.session, touched)


def recheck_all(engine: Engine) -> int:
    """Every live deployment checked again, in a transaction of its own (the worker's daily pass: a safety net
    for rows changed without an announcement, such as by seeding or by hand); the number whose flag changed."""
    with Session(engine) as session:
        changed = check(session, repo.live_deployments(session))
        session.commit()
        return changed


def check(session: Session, deployments: list[Deployment]) -> int:
    """Mark each deployment at risk, or not, by the rows as they are now; the number whose flag changed."""
    return sum(_mark(session, d, reasons(session, d)) for d in deployments)


def reasons(session: Session, d: Deployment) -> list[dict]:
    """The rules the deployment breaks now, each {rule, detail} with the person or offer named."""
    supplier = SupplierId.of(d.expert_id, d.offer_id)
    position = repo.position(session, d.position_id)
    problems = checks.seat_problems(
        session,
        position=position,
        seat=d.seat,
        supplier=supplier,
        # Notice is counted from the day of approval: a deployment approved in time stays in time.
        today=d.created_at.date(),
        rest_days=REST_DAYS,
        approving=False,
        # Approved provisionally or not, a deployment is at risk once its supplier fails a stage of the seat,
        # not while one is still to be sat.
        provisional=True,
        deployment_id=d.id,
    )
    found = [(p.rule, p.words) for p in problems] + _booking(session, d, position)
    overridden = {r.get("rule") for r in d.overridden_rules or []}
    name = suppliers(session, [supplier])[supplier].name
    return [{"rule": rule, "detail": f"{name} {words}"} for rule, words in found if rule not in overridden]


def _booking(session: Session, d: Deployment, position) -> list[tuple[str, str]]:
    """What the deployment was booked with and the rows no longer give: its dates, its seat, its slot."""
    found = []
    if (d.start_date, d.end_date) != (position.start_date, position.end_date):
        found.append(
            (
                "position",
                f"is deployed from {d.start_date} to {d.end_date}, but the position now runs "
                f"from {position.start_date} to {position.end_date}",
            )
        )
    if d.seat > position.count:
        found.append(("position", f"holds seat {d.seat}, but the position now has {position.count} seat(s)"))
    offer = repo.offer(session, d.offer_id) if d.offer_id is not None else None
    if offer is not None and d.slot > offer.slots:
        found.append(("capacity", f"is deployed on slot {d.slot}, but the offer now has {offer.slots} slot(s)"))
    return found


def _mark(session: Session, d: Deployment, now: list[dict]) -> bool:
    """Set, update or clear the flag; announce it when it is raised or its rules change."""
    if now == (d.at_risk or []):
        return False
    rules_before = {r["rule"] for r in d.at_risk or []}
    d.at_risk = now or None
    d.at_risk_since = (d.at_risk_since or utcnow()) if now else None
    d.version += 1
    d.updated_at = utcnow()
    session.add(d)
    if now and {r["rule"] for r in now} != rules_before:
        emit(
            session,
            "deployment.at_risk",
            state=d.contributing_state,
            entity="deployment",
            entity_id=d.id,
            payload={
                "deployment_id": d.id,
                "mission": d.mission,
                "position_id": d.position_id,
                "seat": d.seat,
                "supplier": d.supplier_key,
                "reasons": now,
            },
        )
    return True
