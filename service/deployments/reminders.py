"""End-of-mission reminders: one ``deployment.ending_soon`` event per deployment."""

from datetime import date, timedelta

from sqlalchemy import Engine, String, cast
from sqlmodel import Session, select

from service.deployments.repository import LIVE
from service.notifications.outbox import emit
from service.platform.tables import Deployment, OutboxEvent


def emit_ending_soon(engine: Engine, *, within_days: int, today: date | None = None) -> int:
    """Announce live deployments that end within ``within_days`` and were not announced yet."""
    today = today or date.today()
    announced = select(OutboxEvent.entity_id).where(OutboxEvent.type == "deployment.ending_soon")
    with Session(engine) as session:
        due = session.exec(select(Deployment).where(
            Deployment.status.in_(LIVE), Deployment.end_date >= today,
            Deployment.end_date <= today + timedelta(days=within_days),
            cast(Deployment.id, String).not_in(announced),
        )).all()
        for d in due:
            emit(session, "deployment.ending_soon", state=d.contributing_state, entity="deployment",
                 entity_id=d.id, payload={"deployment_id": d.id, "mission": d.mission, "end_date": d.end_date})
        session.commit()
        return len(due)
