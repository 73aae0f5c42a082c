"""The offers page's credential badges come from one query: the visible active experts' credentials that lapse."""

from datetime import date

from sqlmodel import Session

from schemas.enums import Role
from service.platform.auth import Principal
from service.roster.repository import lapsing_credentials
from tests.service import factories

SOON = "2027-02-01"
LATER = "2031-01-01"


def _expert(client, auth, name: str, state: str, expires_on: str, active: bool = True) -> int:
    held = factories.credentials("MEDICAL", expires_on=expires_on) + factories.credentials("CPTM", expires_on=LATER)
    body = factories.expert(full_name=name, nationality=state, active=active, credentials=held)
    answer = client.post("/experts", json=body, headers=auth("member_state", state))
    assert answer.status_code == 201, answer.text
    return answer.json()["id"]


def test_only_the_visible_active_experts_lapsing_credentials(client, auth, app):
    norway = _expert(client, auth, "Ane Lapsing", "NOR", SOON)
    _expert(client, auth, "Bjorn Inactive", "NOR", SOON, active=False)
    ghana = _expert(client, auth, "Kofi Lapsing", "GHA", SOON)
    until = date(2027, 3, 1)
    with Session(app.state.engine) as session:
        hq = lapsing_credentials(session, Principal(token_id=None, name="hq", role=Role.hq), until)
        nor = lapsing_credentials(
            session, Principal(token_id=None, name="nor", role=Role.member_state, state="NOR"), until
        )
    assert [(i, code) for i, _, code, _ in hq] == [(norway, "MEDICAL"), (ghana, "MEDICAL")]  # by expiry, then name
    assert nor == [(norway, "Ane Lapsing", "MEDICAL", date(2027, 2, 1))]
