"""Enumerations of the domain, in the words of the source documents."""

from enum import StrEnum


class Level(StrEnum):
    """Level of engagement."""

    strategic = "strategic"
    operational = "operational"
    tactical = "tactical"


class Category(StrEnum):
    """Category of person: civilian or one of the uniformed services."""

    civilian = "civilian"
    military = "military"
    police = "police"
    corrections = "corrections"
    justice = "justice"


class Gender(StrEnum):
    female = "female"
    male = "male"
    other = "other"


class Source(StrEnum):
    """Where an expert comes from (the SPC model's modes of support)."""

    standing_capacity = "standing_capacity"
    roster = "roster"
    secondee = "secondee"


class OfferKind(StrEnum):
    individual = "individual"
    team = "team"


class Readiness(StrEnum):
    """Offer readiness, after the UN's capability readiness system."""

    pledged = "pledged"
    assessed = "assessed"
    ready = "ready"
    rapid_deployment = "rapid_deployment"


class AssessmentResult(StrEnum):
    """The outcome of the UN's assessment and advisory visit to an offered unit or team."""

    passed = "passed"
    failed = "failed"


class AssessmentStage(StrEnum):
    """A stage of the UN's assessment of a candidate (for police, the assessment for mission service)."""

    document_check = "document_check"
    interview = "interview"
    language_test = "language_test"
    driving_test = "driving_test"
    firearms_test = "firearms_test"


class CallStatus(StrEnum):
    """A call for nominations: open until its deadline or until HQ closes it."""

    open = "open"
    closed = "closed"
    cancelled = "cancelled"


class NominationStatus(StrEnum):
    """A Member State's nomination of one of its experts or offers to a position of a call."""

    nominated = "nominated"
    withdrawn = "withdrawn"
    selected = "selected"
    not_selected = "not_selected"


class CandidatePool(StrEnum):
    """Where a plan takes its candidates from."""

    roster = "roster"
    nominations = "nominations"
    both = "both"


READINESS_RANK: dict[Readiness, int] = {r: i for i, r in enumerate(Readiness)}  # lowest first


class OfferStatus(StrEnum):
    draft = "draft"
    submitted = "submitted"
    accepted = "accepted"
    withdrawn = "withdrawn"
    expired = "expired"


class CostBearer(StrEnum):
    member_state = "member_state"
    united_nations = "united_nations"
    shared = "shared"


class Benchmark(StrEnum):
    """Term of the benchmark a request is tied to."""

    short_term = "short_term"
    medium_term = "medium_term"
    long_term = "long_term"


class RequestStatus(StrEnum):
    """Where a capacity request stands; a Member State's own request is `proposed` until HQ accepts it
    (`submitted`) or declines it (`declined`, final)."""

    proposed = "proposed"
    declined = "declined"
    draft = "draft"
    submitted = "submitted"
    planning = "planning"
    partly_filled = "partly_filled"
    filled = "filled"
    closed = "closed"
    stood_down = "stood_down"


class RequestDecision(StrEnum):
    """HQ's answer to a Member State's proposed request."""

    accept = "accept"
    decline = "decline"


class Role(StrEnum):
    admin = "admin"
    hq = "hq"
    planner = "planner"
    member_state = "member_state"


# Civilian grades and uniformed ranks on one ladder of equivalence, lowest first,
# so that a position's grade range can be met by either (P-4 ~ OF-4, ...).
# fmt: off
GRADE_RANK: dict[str, int] = {
    "P-2": 1, "OF-2": 1,
    "P-3": 2, "OF-3": 2,
    "P-4": 3, "OF-4": 3,
    "P-5": 4, "OF-5": 4,
    "D-1": 5, "OF-6": 5,
    "D-2": 6, "OF-7": 6,
}
# fmt: on


class PlanStatus(StrEnum):
    queued = "queued"
    running = "running"
    succeeded = "succeeded"
    failed = "failed"
    cancelled = "cancelled"


class ReviewStatus(StrEnum):
    """A planner's decision on one proposed assignment."""

    proposed = "proposed"
    approved = "approved"
    rejected = "rejected"
    pinned = "pinned"


class DeploymentStatus(StrEnum):
    """awaiting_consent: approved, the Member State has yet to agree; declined: it did not (or let the deadline
    pass)."""

    awaiting_consent = "awaiting_consent"
    planned = "planned"
    deployed = "deployed"
    completed = "completed"
    cancelled = "cancelled"
    declined = "declined"


# The deployment's state machine: the code (deployments/repository.py) and the database's trigger (migration
# 0011) are both made from this table, so they cannot disagree. An empty set: final.
DEPLOYMENT_TRANSITIONS: dict[DeploymentStatus, frozenset[DeploymentStatus]] = {
    DeploymentStatus.awaiting_consent: frozenset(
        {DeploymentStatus.planned, DeploymentStatus.declined, DeploymentStatus.cancelled}
    ),
    DeploymentStatus.planned: frozenset({DeploymentStatus.deployed, DeploymentStatus.cancelled}),
    DeploymentStatus.deployed: frozenset({DeploymentStatus.completed, DeploymentStatus.cancelled}),
    DeploymentStatus.completed: frozenset(),
    DeploymentStatus.cancelled: frozenset(),
    DeploymentStatus.declined: frozenset(),
}
DEPLOYMENT_FIRST = (DeploymentStatus.awaiting_consent, DeploymentStatus.planned)  # what a new deployment may be
# Holding the seat and booking the supplier's time (the seat is taken while the state decides)
LIVE_DEPLOYMENT = (DeploymentStatus.awaiting_consent, DeploymentStatus.planned, DeploymentStatus.deployed)
FREED_DEPLOYMENT = (DeploymentStatus.cancelled, DeploymentStatus.declined)  # the seat and the time are free again


class DeliveryStatus(StrEnum):
    pending = "pending"
    delivered = "delivered"
    failed = "failed"


# The human-rights screening's credential type: every position required it before credentials had types.
SCREENING = "HR-SCREENING"
