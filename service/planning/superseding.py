"""Superseded plans: a plan that a newer one covers is read-only, so only the current truth becomes a deployment.

A newer plan *covers* an older one when it plans every seat the older one could: its requests include the
older plan's (``request_ids`` None means every open request, so it covers any plan; an explicit list never
covers a plan over every open request, since requests opened since are not in it) and its horizon contains
the older one's (an open end contains any). "Newer" means it succeeded later: the plan that finished last
was built from the newest rows. A re-solve, a swap-in or a new plan over the same requests all qualify.

``superseded_by`` always names the newest plan (the chain stays flat): when plan 3 replaces plan 2, which had
replaced plan 1, plan 1 points at plan 3 too. Decisions (approve, reject, pin) and re-solves (swap-ins
included) on a superseded plan answer 409 naming the newest plan. Undo stays allowed: a deployment is live
whatever plan approved it, and the old plan holds the only record of that approval.
"""

from datetime import date
from typing import Protocol

from sqlmodel import Session

from service.planning import repository as repo
from service.platform.errors import Conflict
from service.platform.tables import Plan


class Scoped(Protocol):
    request_ids: list[int] | None
    horizon_start: date | None
    horizon_end: date | None


def covers(newer: Scoped, older: Scoped) -> bool:
    """Whether every seat the older plan could plan is in the newer plan's scope too."""
    requests = newer.request_ids is None or (
        older.request_ids is not None and set(older.request_ids) <= set(newer.request_ids)
    )
    return (
        requests
        and _contains(newer.horizon_start, older.horizon_start, first=True)
        and _contains(newer.horizon_end, older.horizon_end, first=False)
    )


def _contains(newer: date | None, older: date | None, *, first: bool) -> bool:
    """Whether the newer horizon's end (its ``first`` day, or its last) lies beyond the older one's."""
    if newer is None:
        return True
    return older is not None and (newer <= older if first else newer >= older)


def supersede_covered(session: Session, plan: Plan) -> list[int]:
    """Mark the current plans that ``plan`` (succeeding now) covers as replaced by it; their ids."""
    repo.take_turns_superseding(session)
    covered = [older.id for older in repo.current_plans(session, other_than=plan.id) if covers(plan, older)]
    if covered:
        repo.supersede(session, covered, newest=plan.id)
    return covered


def refuse_if_replaced(session: Session, plan: Plan, instead: str) -> None:
    """409 if a newer plan replaced this one, naming the newest and what to do there (``instead``: "review")."""
    newest = repo.superseded_by(session, plan.id)
    if newest is not None:
        raise Conflict(
            f"plan {plan.id} was replaced by plan {newest} (newer, over the same requests): {instead} plan {newest}",
            headers={"X-Superseded-By": str(newest)},
        )
