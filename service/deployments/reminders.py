"""End-of-mission reminders: one ``deployment.ending_soon`` event per deployment."""

from datetime import date, timedelta

from sqlalchemy import Engine
from sqlmodel import Session

from service.deployments import repository as repo
from service.notifications.outbox import emit


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
