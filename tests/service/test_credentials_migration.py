"""Migration 0013 moves the screening into a credential and back again, on either engine, losing no date."""

from datetime import date

from alembic import command
from sqlalchemy import text

from service.platform.db import alembic_config, make_engine, upgrade

EXPERT = (
    "INSERT INTO expert (id, full_name, category, nationality, gender, source, notice_days, active, state, "
    "screening_valid_until, version, created_at, updated_at) VALUES (:id, :name, 'police', 'NOR', 'female', "
    "'secondee', 30, true, 'NOR', :until, 1, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
)
OFFER = (
    "INSERT INTO offer (id, title, kind, slots, category, available_from, available_to, readiness, cost_bearer, "
    "notice_days, expires_on, state, status, slots_used, skills, levels, languages, excluded_missions, "
    "excluded_states, expert_ids, version, created_at, updated_at) VALUES (1, 'Team', 'team', 2, 'police', "
    "'2027-01-01', '2027-12-31', 'pledged', 'member_state', 60, '2028-01-01', 'NOR', 'submitted', 0, '[]', '[]', "
    "'[]', '[]', '[]', '[]', 1, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
)


def test_0013_up_and_down_keeps_every_screening(databases):
    url = databases.empty()
    upgrade(url, "0012")
    engine = make_engine(url)
    with engine.begin() as connection:
        connection.execute(text("INSERT INTO member_state (iso3, name) VALUES ('NOR', 'Norway')"))
        connection.execute(text(EXPERT), {"id": 1, "name": "Kari", "until": date(2029, 6, 30)})
        connection.execute(text(EXPERT), {"id": 2, "name": "Ola", "until": None})
        connection.execute(text(OFFER))
    upgrade(url, "0013")
    with engine.connect() as connection:
        held = connection.execute(
            text("SELECT expert_id, offer_id, code, expires_on FROM credential ORDER BY id")
        ).all()
        types = connection.execute(text("SELECT count(*) FROM credential_type")).scalar()
    assert [(e, o, c, str(d)) for e, o, c, d in held] == [
        (1, None, "HR-SCREENING", "2029-06-30"),
        (None, 1, "HR-SCREENING", "2027-12-31"),  # the offer counted as screened: attested through its end
    ]
    assert types == 7
    command.downgrade(alembic_config(url), "0012")
    with engine.connect() as connection:
        back = connection.execute(text("SELECT id, screening_valid_until FROM expert ORDER BY id")).all()
    assert [(i, None if d is None else str(d)) for i, d in back] == [(1, "2029-06-30"), (2, None)]
    upgrade(url)
    engine.dispose()
