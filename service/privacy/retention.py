"""Retention (issue 23): personal data is kept no longer than its purpose needs, then purged by the worker, daily.

Each data class has its period in settings (``ROSTER_RETAIN_*``, in days; 0 keeps that class for ever, which is
never the default) and one rule below, which counts what is past its period (a dry run) or purges it:

- **stored idempotent answers** (``IDEMPOTENCY_KEEP_HOURS``, 24 h): deleted by ``idempotency.purge`` (which the
  worker also runs hourly). Nothing stays.
- **inactive experts** (``RETAIN_INACTIVE_EXPERTS_DAYS``, 730): inactive, unchanged that long, no live deployment
  (awaiting consent, planned, deployed), not erased nor waiting for HQ to approve an erasure: erased by
  ``erasure.erase`` (pseudonymised everywhere) and marked by an erasure row, done, by "retention". The row stays,
  so plans and deployments still count them.
- **closed requests** (no period): kept. A request and its positions describe a need, not a person; a name typed
  into one of their texts goes with that person's erasure.
- **completed deployments** (``RETAIN_DEPLOYMENT_NOTES_DAYS``, 365): completed, cancelled or declined and unchanged
  that long: the note emptied, the override reason and the consent note null. The row stays (who, where, when,
  approved by whom, against which rules).
- **plans** (``RETAIN_PLAN_DATA_DAYS``, 180): failed, cancelled or superseded and finished that long ago: the stored
  solver instance and result null (the instance holds every candidate's nationality, gender, grade, availability,
  leave and credentials). The row, its summary, assignments and empty seats stay.
- **audit personal fields** (``RETAIN_AUDIT_PERSONAL_DAYS``, 365): entries about an expert that old lose the
  personal fields (``personal.MATRIX``, ``IDENTIFYING``) of their before and after, at any depth. Who did what to
  which expert and when stays, and which other fields changed.
- **webhook deliveries** (``RETAIN_WEBHOOK_BODIES_DAYS``, 30): delivered or given up that long ago: deleted (their
  last error may echo the body; nothing refers to them).
- **event bodies** (``RETAIN_WEBHOOK_BODIES_DAYS``, 30): events that old with no delivery pending: the payload, of
  which each webhook body is made, emptied. Type, entity, id and time stay.

Every purge writes one audit entry (action ``purge``, entity ``retention``) holding the counts and nothing
personal; ``/metrics`` reads them back. An erasure is slow (it looks for the person in every table), so a run
erases at most ``EXPERTS_PER_RUN`` experts: the rest go in the next days' runs.
"""

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, Text, and_, cast, delete, exists, func, or_, update
from sqlmodel import Session, col, select

from schemas.enums import DeliveryStatus, DeploymentStatus, PlanStatus, Role
from schemas.ids import SupplierId
from service.planning import worker
from service.platform import audit, idempotency, locks, personal, turns
from service.platform.auth import Principal
from service.platform.errors import TooManyRequests
from service.platform.settings import Settings, get_settings
from service.platform.tables import (
    AuditEntry,
    Delivery,
    Deployment,
    Erasure,
    Expert,
    IdempotencyRecord,
    OutboxEvent,
    Plan,
    utcnow,
)
from service.privacy.erasure import audit_rewrite, erase, pseudonym_of

logger = logging.getLogger("roster.retention")
ACTION, ENTITY = "purge", "retention"  # the run's audit entry; service/health/retention.py reads them back
SYSTEM = Principal(token_id=None, name="retention", role=Role.admin)
EXPERTS_PER_RUN = 100  # each erasure scans every table that may hold a copy (no index helps): a short transaction
CHECK_EVERY_SECONDS = 3600  # each worker asks hourly whether a day has gone since any worker's last run
RUN_EVERY = timedelta(hours=23)  # daily, with an hour's slack for the hourly check
NO_AUDIT_REWRITE = 0  # erasure_in_progress's key while a purge rewrites: no expert has id 0
LIVE = (DeploymentStatus.awaiting_consent, DeploymentStatus.planned, DeploymentStatus.deployed)
FINAL = (DeploymentStatus.completed, DeploymentStatus.cancelled, DeploymentStatus.declined)
DONE_DELIVERY = (DeliveryStatus.delivered, DeliveryStatus.failed)
# Audit entries that name personal fields without holding their values: nothing of theirs to purge.
FIELD_NAMES_ONLY = (personal.VIEW, personal.EXPORT)
PERSONAL_KEYS = frozenset({name.split(".", 1)[0] for name in personal.MATRIX} | set(personal.IDENTIFYING))


@dataclass(frozen=True)
class Periods:
    """Each data class's retention period, in days (0: kept for ever); answers in hours."""

    inactive_experts: int = 730
    deployment_notes: int = 365
    plan_data: int = 180
    audit_personal: int = 365
    webhook_bodies: int = 30
    answers_hours: float = 24.0

    @classmethod
    def of(cls, settings: Settings) -> "Periods":
        return cls(
            settings.retain_inactive_experts_days,
            settings.retain_deployment_notes_days,
            settings.retain_plan_data_days,
            settings.retain_audit_personal_days,
            settings.retain_webhook_bodies_days,
            settings.idempotency_keep_hours,
        )

    def span(self, period: str | None) -> timedelta | None:
        """How long the data class of ``period`` is kept; None: for ever."""
        if period == "answers_hours":
            return timedelta(hours=self.answers_hours)
        days = getattr(self, period) if period else 0
        return timedelta(days=days) if days else None

    def words(self, period: str | None) -> str:
        if period is None:
            return "kept: holds no personal data"
        if period == "answers_hours":
            return f"{self.answers_hours:g} hours"
        days = getattr(self, period)
        return f"{days} days" if days else "kept for ever"


@dataclass(frozen=True)
class Found:
    """Rows of one data class past their period (or purged), and the oldest of them."""

    count: int = 0
    oldest: datetime | None = None


@dataclass(frozen=True)
class Line:
    """One row of the report: a data class, its period in words, the rows past it, the oldest one's time."""

    data_class: str
    period: str
    count: int
    oldest: datetime | None


# --- The rules: one per data class -------------------------------------------------------------------------------


def stored_answers(session: Session, cutoff: datetime, *, apply: bool) -> Found:
    """Kept Idempotency-Key answers stored before ``cutoff``: deleted by ``idempotency.purge`` (which commits)."""
    found = _found(session, IdempotencyRecord.created_at, col(IdempotencyRecord.created_at) < cutoff)
    if apply and found.count:
        hours = (utcnow() - cutoff) / timedelta(hours=1)
        return Found(idempotency.purge(session, hours), found.oldest)
    return found


def closed_requests(session: Session, cutoff: datetime, *, apply: bool) -> Found:
    """Closed, stood down or declined requests: kept, they describe a need, not a person (never called)."""
    return Found()


def inactive_experts(session: Session, cutoff: datetime, *, apply: bool) -> Found:
    """Inactive experts unchanged since ``cutoff``, with no live deployment and no open erasure: erased."""
    conditions = (
        col(Expert.active).is_(False),
        col(Expert.updated_at) < cutoff,
        ~exists().where(Deployment.expert_id == Expert.id, col(Deployment.status).in_(LIVE)),
        ~exists().where(Erasure.expert_id == Expert.id, Erasure.status != "declined"),
    )
    found = _found(session, Expert.updated_at, *conditions)
    if not apply or not found.count:
        return found
    ids = session.exec(select(Expert.id).where(*conditions).order_by(col(Expert.id)).limit(EXPERTS_PER_RUN)).all()
    locks.lock_suppliers(session, [str(SupplierId(expert=i)) for i in ids])
    for expert_id in ids:
        _erase_inactive(session, expert_id, cutoff)
    return Found(len(ids), found.oldest)


def deployment_notes(session: Session, cutoff: datetime, *, apply: bool) -> Found:
    """Final deployments unchanged since ``cutoff`` that still hold a free text: the texts emptied."""
    conditions = (
        col(Deployment.status).in_(FINAL),
        col(Deployment.updated_at) < cutoff,
        or_(
            Deployment.note != "",
            col(Deployment.override_reason).is_not(None),
            col(Deployment.consent_note).is_not(None),
        ),
    )
    found = _found(session, Deployment.updated_at, *conditions)
    if apply and found.count:
        # updated_at stays: it is the deployment's last change, and the version moves for If-Match.
        cleared = {"note": "", "override_reason": None, "consent_note": None, "version": Deployment.version + 1}
        return Found(_changed(session, update(Deployment).where(*conditions).values(**cleared)), found.oldest)
    return found


def plan_data(session: Session, cutoff: datetime, *, apply: bool) -> Found:
    """Failed, cancelled or superseded plans finished before ``cutoff``: their stored instance and result dropped."""
    finished = func.coalesce(Plan.finished_at, Plan.created_at)
    over = or_(
        col(Plan.status).in_((PlanStatus.failed, PlanStatus.cancelled)),
        and_(Plan.status == PlanStatus.succeeded, col(Plan.superseded_by).is_not(None)),
    )
    conditions = (over, finished < cutoff, or_(col(Plan.instance).is_not(None), col(Plan.result).is_not(None)))
    found = _found(session, finished, *conditions)
    if apply and found.count:
        return Found(
            _changed(session, update(Plan).where(*conditions).values(instance=None, result=None)), found.oldest
        )
    return found


def audit_personal(session: Session, cutoff: datetime, *, apply: bool) -> Found:
    """Audit entries about experts written before ``cutoff``: the personal fields out of before and after."""
    rows = session.exec(
        select(AuditEntry.id, AuditEntry.at, AuditEntry.before, AuditEntry.after).where(
            AuditEntry.entity == "expert",
            col(AuditEntry.at) < cutoff,
            col(AuditEntry.action).not_in(FIELD_NAMES_ONLY),
            or_(_names_a_field(AuditEntry.before), _names_a_field(AuditEntry.after)),
        )
    ).all()
    rewritten = [
        (entry_id, at, new_before, new_after)
        for entry_id, at, before, after in rows
        if (new_before := without_personal(before), new_after := without_personal(after)) != (before, after)
    ]
    if apply and rewritten:
        _rewrite_audit(session, [(entry_id, before, after) for entry_id, _, before, after in rewritten])
    return Found(len(rewritten), min((_aware(at) for _, at, _, _ in rewritten), default=None))


def webhook_deliveries(session: Session, cutoff: datetime, *, apply: bool) -> Found:
    """Deliveries delivered or given up before ``cutoff``: deleted (nothing refers to them)."""
    ended = func.coalesce(Delivery.delivered_at, Delivery.next_attempt_at)
    conditions = (col(Delivery.status).in_(DONE_DELIVERY), ended < cutoff)
    found = _found(session, ended, *conditions)
    if apply and found.count:
        return Found(_changed(session, delete(Delivery).where(*conditions)), found.oldest)
    return found


def event_bodies(session: Session, cutoff: datetime, *, apply: bool) -> Found:
    """Events written before ``cutoff`` with no delivery pending: their payload (a webhook's body) emptied."""
    conditions = (
        col(OutboxEvent.at) < cutoff,
        cast(OutboxEvent.payload, Text) != "{}",
        ~exists().where(Delivery.event_id == OutboxEvent.id, Delivery.status == DeliveryStatus.pending),
    )
    found = _found(session, OutboxEvent.at, *conditions)
    if apply and found.count:
        return Found(_changed(session, update(OutboxEvent).where(*conditions).values(payload={})), found.oldest)
    return found


Rule = Callable[..., Found]
# (data class, its period's name in Periods: None keeps it, its rule), in the order the report lists them. The
# answers go first: ``idempotency.purge`` commits, and so commits nothing else of the run with them.
RULES: tuple[tuple[str, str | None, Rule], ...] = (
    ("stored idempotent answers", "answers_hours", stored_answers),
    ("inactive experts", "inactive_experts", inactive_experts),
    ("closed requests", None, closed_requests),
    ("completed deployments", "deployment_notes", deployment_notes),
    ("plans", "plan_data", plan_data),
    ("audit personal fields", "audit_personal", audit_personal),
    ("webhook deliveries", "webhook_bodies", webhook_deliveries),
    ("event bodies", "webhook_bodies", event_bodies),
)


# --- Runs ----------------------------------------------------------------------------------------------------------


def report(session: Session, *, periods: Periods, now: datetime | None = None) -> list[Line]:
    """What a purge would do now, per data class (a dry run: nothing changes)."""
    lines = _run(session, periods, now or utcnow(), apply=False)
    session.rollback()
    return lines


def purge(session: Session, *, periods: Periods, by: Principal = SYSTEM, now: datetime | None = None) -> list[Line]:
    """Purge every data class past its period, record one audit entry with the counts, commit; the lines."""
    lines = _run(session, periods, now or utcnow(), apply=True)
    after = {"purged": {x.data_class: x.count for x in lines}, "periods": {x.data_class: x.period for x in lines}}
    audit.record(session, by, ACTION, ENTITY, (now or utcnow()).date().isoformat(), after=after)
    session.commit()
    return lines


def purge_when_due(engine: Engine, *, periods: Periods | None = None) -> list[Line] | None:
    """The worker's purge: when no worker ran one in the last day (its audit entry says), one worker at a time."""
    try:
        with (
            turns.one_at_a_time(engine, "privacy-retention-purge", "a retention purge runs"),
            Session(engine) as session,
        ):
            last = session.exec(
                select(func.max(AuditEntry.at)).where(AuditEntry.entity == ENTITY, AuditEntry.action == ACTION)
            ).one()
            if last is not None and _aware(last) > utcnow() - RUN_EVERY:
                return None
            return purge(session, periods=periods or Periods.of(get_settings()))
    except TooManyRequests:  # another worker purges right now
        return None


def install() -> None:
    """Have the worker run the purge when due (the app and the CLI install it, as planning's risks)."""
    worker.schedule("retention purge", CHECK_EVERY_SECONDS, _worker_purge)


def table(lines: Iterable[Line], *, dry_run: bool) -> str:
    """The report as an aligned text table: data class | period | rows | oldest affected."""
    rows = [("data class", "period", "would be purged" if dry_run else "purged", "oldest affected")]
    rows += [(x.data_class, x.period, str(x.count), x.oldest.date().isoformat() if x.oldest else "-") for x in lines]
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    return "\n".join(" | ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() for row in rows)


def without_personal(data: Any) -> Any:
    """JSON data with every personal field (at any depth) taken out."""
    if isinstance(data, dict):
        return {k: without_personal(v) for k, v in data.items() if k not in PERSONAL_KEYS}
    if isinstance(data, list):
        return [without_personal(item) for item in data]
    return data


# --- Helpers -------------------------------------------------------------------------------------------------------


def _run(session: Session, periods: Periods, now: datetime, *, apply: bool) -> list[Line]:
    lines = []
    for name, period, rule in RULES:
        span = periods.span(period)
        found = rule(session, now - span, apply=apply) if span else Found()
        lines.append(Line(name, periods.words(period), found.count, found.oldest))
    return lines


def _found(session: Session, age: Any, *conditions: Any) -> Found:
    count, oldest = session.exec(select(func.count(), func.min(age)).where(*conditions)).one()
    return Found(count, _aware(oldest) if oldest is not None else None)


def _changed(session: Session, statement: Any) -> int:
    return session.connection().execute(statement).rowcount


def _aware(at: datetime) -> datetime:
    """SQLite gives back naive datetimes (stored as UTC); PostgreSQL aware ones."""
    return at if at.tzinfo is not None else at.replace(tzinfo=utcnow().tzinfo)


def _names_a_field(column: Any) -> Any:
    """The entry's JSON text holds one of the personal fields as a key (JSON keys are written ``"name": ``)."""
    return or_(*(cast(column, Text).contains(f'"{key}": ', autoescape=True) for key in sorted(PERSONAL_KEYS)))


def _rewrite_audit(session: Session, rows: list[tuple[int | None, Any, Any]]) -> None:
    """Rewrite before and after of these entries, as the audit log's guard lets only an erasure's transaction."""
    table = AuditEntry.__table__
    audit_rewrite(session, NO_AUDIT_REWRITE, allowed=True)
    connection = session.connection()
    for entry_id, before, after in rows:
        connection.execute(update(table).where(table.c.id == entry_id).values(before=before, after=after))
    audit_rewrite(session, NO_AUDIT_REWRITE, allowed=False)


def _erase_inactive(session: Session, expert_id: int, cutoff: datetime) -> None:
    """Erase one inactive expert, marked as an erasure done by the retention rule (no personal data in it)."""
    expert = session.get(Expert, expert_id)
    assert expert is not None
    pseudonym, now = pseudonym_of(expert_id), utcnow()
    reason = f"retention: inactive and unchanged since before {cutoff.date().isoformat()}"
    session.add(
        Erasure(
            expert_id=expert_id,
            state=expert.state,
            reason=reason,
            status="done",
            requested_by=SYSTEM.name,
            decided_by=SYSTEM.name,
            decided_at=now,
            pseudonym=pseudonym,
        )
    )
    erase(session, expert_id, pseudonym=pseudonym)


def _worker_purge(engine: Engine) -> None:
    lines = purge_when_due(engine)
    if lines is not None:
        logger.info("retention purge: %s", {x.data_class: x.count for x in lines if x.count})
