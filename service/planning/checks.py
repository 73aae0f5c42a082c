"""Can this supplier take this seat, by the rows as they are now?

Asked when a planner approves an assignment and when a roster, offer or request change may have broken a
live deployment. The eligibility rules are the solver's own (``solver.eligibility`` on a one-seat
instance that the bridge builds from the current rows): there is no second copy of them here. Added
here is only what the database alone knows: the request still open, the expert still on the roster or
the offer still on offer, and the position still as the plan saw it.
"""

from dataclasses import dataclass
from datetime import date

import solver
from schemas import instance as si
from schemas.enums import CandidatePool, OfferStatus, Readiness, RequestStatus
from schemas.ids import SeatId, SupplierId
from service.planning import repository as repo
from service.planning.bridge import candidacy, expert_of, offer_of, seat_of
from service.platform.tables import Position
from service.reference import credentials

# What no reason can override: two engagements at once (the solver's "deployed"), a team seat given
# to one person, a request no longer wanted, a supplier no longer there; and on the seats of a call, a supplier
# its state did not nominate, a failed assessment stage, or one not yet passed on a plan that is not provisional.
UNBREAKABLE = frozenset(
    {"deployed", "same_offer", "request", "supplier", "nomination", "assessment_failed", "assessment_pending"}
)
CLOSED = (RequestStatus.closed, RequestStatus.stood_down)
# The fields of a seat that decide who may take it; a plan made before one of them changed is stale there.
DECIDING = (
    "start",
    "end",
    "level",
    "category",
    "grade_min",
    "grade_max",
    "required_skills",
    "languages",
    "host_states",
    "same_offer",
    "stages",
    "credentials",
)
# The candidate filter speaks of the many it removed ("3 are not screened ..."); here one supplier is meant.
SINGULAR = (
    ("are nationals of", "is a national of"),
    ("are offers whose", "is an offer whose"),
    ("are not Member State offers", "is not a Member State offer"),
    ("are ", "is "),
    ("were ", "was "),
    ("have not ", "has not "),
    ("do not ", "does not "),
    ("lack ", "lacks "),
)


@dataclass(frozen=True)
class Problem:
    """A rule the pair breaks: its name, plain words with the supplier as subject, and whether a planner
    may approve against it with a written reason."""

    rule: str
    words: str
    breakable: bool

    def as_json(self) -> dict[str, str | bool]:
        return {"rule": self.rule, "detail": self.words, "breakable": self.breakable}


def singular(detail: str) -> str:
    for many, one in SINGULAR:
        if detail.startswith(many):
            return one + detail.removeprefix(many)
    return detail


def seat_problems(
    session,
    *,
    position: Position,
    seat: int,
    supplier: SupplierId,
    today: date,
    rest_days: int,
    approving: bool,
    min_readiness: Readiness = Readiness.pledged,
    pool: CandidatePool = CandidatePool.roster,
    provisional: bool = False,
    planned: si.Position | None = None,
    deployment_id: int | None = None,
) -> list[Problem]:
    """Every rule the supplier breaks for the seat today; ``min_readiness``, ``pool``, ``provisional``: the plan's
    choices; ``planned``: the seat as the plan saw it; ``deployment_id``: the supplier's own deployment there,
    which does not count against it."""
    request = repo.capacity_request(session, position.request_id)
    problems = []
    if request is None or request.status in CLOSED:
        status = request.status.replace("_", " ") if request else "gone"
        problems.append(Problem("request", f"the request is {status}", False))
    supplier_row, absent = _supplier(session, supplier, today, approving)
    if absent:
        problems.append(Problem("supplier", absent, False))
    if supplier_row is None or request is None:
        return problems
    seat_id = str(SeatId(position.id, seat))
    candidates = candidacy(session, {position.id}, pool)
    current = seat_of(position, request, seat_id, repo.request_hosts(session, request), candidates)
    instance = si.Instance(
        today=today,
        experts=[expert_of(supplier_row)] if supplier.kind == "expert" else [],
        offers=[offer_of(supplier_row)] if supplier.kind == "offer" else [],
        positions=[current],
        deployments=[
            si.Deployment(supplier_id=str(supplier), start=d.start_date, end=d.end_date)
            for d in repo.live_deployments_of(session, supplier, other_than=deployment_id)
            if supplier.kind == "expert"  # an offer's slots are counted when it is booked
        ],
        parameters=si.Parameters(rest_days=rest_days, min_readiness=min_readiness, provisional=provisional),
        credential_names=credentials.names(session),
    )
    for broken in solver.eligibility(instance, seat_id, str(supplier)):
        problems.append(Problem(broken.rule, singular(broken.detail), broken.rule not in UNBREAKABLE))
    if planned is not None and (changed := _changed(planned, current)):
        words = f"the position's {', '.join(changed)} changed since the plan was made"
        problems.append(Problem("position", words, True))
    return problems


def _supplier(session, supplier: SupplierId, today: date, approving: bool):
    """The supplier's row, and why it can no longer be deployed ("" if it can)."""
    if supplier.kind == "expert":
        expert = repo.expert(session, supplier.number)
        if expert is None or not expert.active:
            return expert, "is no longer active on the roster"
        return expert, ""
    offer = repo.offer(session, supplier.number)
    if offer is None or offer.status == OfferStatus.withdrawn:
        return offer, "is an offer its Member State withdrew"
    if approving and offer.status not in (OfferStatus.submitted, OfferStatus.accepted):
        return offer, f"is an offer still {offer.status.value}, not submitted"
    if approving and offer.expires_on < today:
        return offer, f"is an offer that expired on {offer.expires_on}"
    return offer, ""


def _changed(planned: si.Position, current: si.Position) -> list[str]:
    return [name.replace("_", " ") for name in DECIDING if getattr(planned, name) != getattr(current, name)]
