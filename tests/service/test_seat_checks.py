"""The one-seat check of approvals and live deployments: the solver's rules on the rows as they are now."""

from datetime import date

from sqlmodel import Session

from schemas.ids import SupplierId
from service.planning import checks
from service.platform.tables import Position
from tests.service import factories


def _problems(engine, position_id: int, expert_id: int, **options) -> list[checks.Problem]:
    with Session(engine) as session:
        position = session.get(Position, position_id)
        return checks.seat_problems(
            session,
            position=position,
            seat=1,
            supplier=SupplierId(expert=expert_id),
            today=date(2027, 1, 4),
            rest_days=0,
            approving=True,
            **options,
        )


def _seat_and_expert(client, auth, **expert):
    hq = auth("hq")
    made = client.post("/requests", json=factories.capacity_request(), headers=hq).json()
    person = client.post("/experts", json=factories.expert(**expert), headers=hq).json()
    return made["positions"][0]["id"], person["id"]


def test_an_eligible_pair_has_no_problem(client, auth, engine):
    position_id, expert_id = _seat_and_expert(client, auth)
    assert _problems(engine, position_id, expert_id) == []


def test_every_broken_rule_is_named_in_plain_words(client, auth, engine):
    position_id, expert_id = _seat_and_expert(
        client,
        auth,
        screening_valid_until="2027-06-30",
        languages=[],
        leave=[{"start": "2027-05-01", "end": "2027-05-10"}],
    )
    found = {p.rule: p for p in _problems(engine, position_id, expert_id)}
    assert set(found) == {"language:fr>=4", "credential:HR-SCREENING", "availability"}
    screening = found["credential:HR-SCREENING"]
    assert screening.words == "lacks a valid human-rights screening through 2027-12-31" and screening.breakable
    assert found["language:fr>=4"].words == "does not speak French at level ≥ 4"


def test_a_deactivated_expert_cannot_be_deployed_whatever_the_reason(client, auth, engine):
    position_id, expert_id = _seat_and_expert(client, auth)
    hq = auth("hq")
    etag = client.get(f"/experts/{expert_id}", headers=hq).headers["etag"]
    client.patch(f"/experts/{expert_id}", json={"active": False}, headers=hq | {"If-Match": etag})
    assert _problems(engine, position_id, expert_id) == [
        checks.Problem("supplier", "is no longer active on the roster", False)
    ]
