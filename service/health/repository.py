"""The queries of the health checks: one round trip, the length of the plan queue, empty reference tables."""

from sqlalchemy import Engine, func, text
from sqlmodel import Session, select

from service.planning import jobs
from service.platform.tables import MemberState, Mission, Skill


def ping(engine: Engine) -> None:
    """One round trip to the database; raises SQLAlchemyError when it does not answer."""
    with engine.connect() as connection:
        connection.execute(text("SELECT 1"))


def queued_plans(engine: Engine) -> int:
    with Session(engine) as session:
        return jobs.queue_length(session)


def empty_reference_tables(engine: Engine) -> list[str]:
    """The reference tables (member states, skills, missions) that hold no row."""
    with Session(engine) as session:
        return [
            name
            for name, model in (("member states", MemberState), ("skills", Skill), ("missions", Mission))
            if not session.exec(select(func.count()).select_from(model)).one()
        ]
