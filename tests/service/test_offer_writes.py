"""POST /offers on PostgreSQL: the offer and its audit entry in one statement on the event loop, and a
thread (with the checks that name what is wrong) only when that cannot do."""

import pytest
from sqlalchemy import event, func
from sqlmodel import Session, select

from service.offers import routes as offer_routes
from service.platform.tables import AuditEntry, Offer
from tests.service import factories


def _counts(engine) -> tuple[int, int]:
    with Session(engine) as session:
        offers = session.exec(select(func.count()).select_from(Offer)).one()
        entries = session.exec(select(func.count()).select_from(AuditEntry).where(AuditEntry.entity == "offer")).one()
    return offers, entries


@pytest.fixture
def threads(monkeypatch) -> list[str]:
    """The titles of the offers that went to a thread, in order."""
    made = []
    create = offer_routes._create

    def counted(principal, body, request):
        made.append(body.title)
        return create(principal, body, request)

    monkeypatch.setattr(offer_routes, "_create", counted)
    return made


def test_an_offer_and_its_audit_entry_are_one_statement_on_the_event_loop(app, client, auth, threads, db_url):
    nor = auth("member_state", "NOR")
    statements = []
    event.listen(app.state.engine, "before_cursor_execute", lambda *args: statements.append(args[2]))
    # without attestations: an offer that attests credentials writes their rows too, on a thread
    body = factories.offer(excluded_missions=["MINUSCA"], excluded_states=["CAF"], credentials=[])
    made = client.post("/offers", json=body, headers=nor)
    assert made.status_code == 201, made.text
    if not db_url.startswith("postgresql"):
        assert len(threads) == 1  # SQLite: on a thread, in one transaction
        return
    assert threads == [] and statements == []  # no thread, no SQLAlchemy session
    offer = made.json()
    assert made.headers["location"] == f"/offers/{offer['id']}"
    kept = client.get(f"/offers/{offer['id']}", headers=nor)
    assert kept.json() == offer and kept.headers["etag"] == made.headers["etag"]
    with Session(app.state.engine) as session:
        entry = session.exec(
            select(AuditEntry).where(AuditEntry.entity == "offer", AuditEntry.entity_id == str(offer["id"]))
        ).one()
    assert (entry.action, entry.actor_role, entry.actor_state, entry.before) == ("create", "member_state", "NOR", None)
    assert entry.after == offer
    assert entry.at == Offer.model_validate(offer).created_at


@pytest.mark.parametrize(
    "case, override, headers, status, field",
    [
        ("unknown skill", {"skills": [{"code": "NO-SUCH-SKILL", "proficiency": 3}]}, {}, 422, "skills"),
        ("unknown mission", {"excluded_missions": ["NOWHERE"]}, {}, 422, "excluded_missions"),
        ("unknown host state", {"excluded_states": ["XXX"]}, {}, 422, "excluded_states"),
        ("named experts", {"expert_ids": "own"}, {}, 201, None),
        ("an Idempotency-Key", {}, {"Idempotency-Key": "offer-once"}, 201, None),
    ],
)
def test_an_offer_goes_to_a_thread_only_when_it_must(
    app, client, auth, threads, case, override, headers, status, field
):
    nor = auth("member_state", "NOR")
    if override.get("expert_ids") == "own":
        expert = client.post("/experts", json=factories.expert(state="NOR"), headers=nor)
        override = {"expert_ids": [expert.json()["id"]]}
    before = _counts(app.state.engine)
    body = factories.offer(**override)
    answer = client.post("/offers", json=body, headers=nor | headers)
    assert answer.status_code == status, answer.text
    assert threads == [body["title"]]  # the thread's checks name the wrong field, or keep the answer
    if field:
        assert [d["field"] for d in answer.json()["detail"]] == [field]
        assert _counts(app.state.engine) == before  # nothing written by the statement that found it
        return
    assert _counts(app.state.engine) == (before[0] + 1, before[1] + 1)
    if headers:
        again = client.post("/offers", json=body, headers=nor | headers)
        assert again.status_code == 201 and again.json() == answer.json()  # replayed, not made twice
        assert _counts(app.state.engine) == (before[0] + 1, before[1] + 1)


def test_an_offer_that_attests_credentials_is_written_on_a_thread_with_them(client, auth, threads, db_url):
    """The one-statement write holds the offer's own row only: its credentials' rows need the thread."""
    body = factories.offer(credentials=factories.credentials("MEDICAL"))
    made = client.post("/offers", json=body, headers=auth("member_state", "NOR"))
    assert made.status_code == 201, made.text
    assert threads == [body["title"]]
    assert [c["code"] for c in made.json()["credentials"]] == ["MEDICAL"]
