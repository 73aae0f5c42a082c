"""End-of-mission reminders (one ``deployment.ending_soon`` event per deployment), and the consent deadline."""

from datetime import date, timedelta

from sqlalchemy import Engine
from sqlmodel import Session

from schemas.enums import DeploymentStatus, Role
from service.deployments import consent
from service.deployments import repository as repo
from service.notifications.outbox import emit
from service.platform import audit
from service.platform.auth import Principal
from service.platform.tables import Deployment

SYSTEM = Principal(token_id=None, name=consent.SYSTEM, role=Role.admin)


def emit_ending_soon(engine: Engine, *, within_days: int, today: date | None = None) -> int:
    """Announce live deployments that end within ``within_days`` and were not announced yet."""
    today = today or date.today()
    with Session(engine) as session:
        due = repo.due_for_reminder(session, today, today + timedelta(days=within_days))
        for d in due:
            emit(
                session,
                "deployment.ending_soon",
                state=d.contributing_state,
                entity="deployment",
                entity_id=d.id,
                payload={"deployment_id": d.id, "mission": d.mission, "end_date": d.end_date},
            )
        session.commit()
        return len(due)


def decline_overdue(engine: Engine, *, today: date | None = None) -> int:
    """Decline, as the state would, every selection still awaiting consent after its due day; each in its own
    transaction, under the same locks as an answer, so a second worker or a late answer finds it decided."""
    today = today or date.today()
    with Session(engine) as session:
        ids = consent.overdue(session, today)
    declined = 0
    for deployment_id in ids:
        with Session(engine) as session:
            found = session.get(Deployment, deployment_id)
            deployment = consent.lock(session, found) if found else None
            if deployment is None or deployment.status != DeploymentStatus.awaiting_consent:
                continue  # decided meanwhile
            before = repo.to_public(session, deployment)
            consent.decide(session, deployment, confirm=False, note=consent.DEADLINE_NOTE, by=consent.SYSTEM)
            after = repo.to_public(session, deployment)
            audit.record(session, SYSTEM, "decline", "deployment", deployment.id, before=before, after=after)
            session.commit()
            declined += 1
    return declined
