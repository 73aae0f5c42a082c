"""Personal data by role (issue 23, parts 1 and 5): every surface that shows an expert shows each personal field
to exactly the roles ``service.platform.personal.MATRIX`` names, and every national id shown is audited.

The cases are generated from MATRIX: a change to the matrix changes what these tests expect. One world (an
expert with a distinctive value in every field, its duplicate elsewhere, a nomination, a deployment, their
events) is built once per module and read by every role through every surface.
"""

import csv
import io
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import openpyxl
import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from schemas.enums import Role
from schemas.roster import ExpertPublic
from service.app import create_app
from service.notifications.webhooks import event_body
from service.platform.auth import Principal, issue_token
from service.platform.personal import (
    EXPORT,
    LIST_HIDDEN,
    MATRIX,
    VIEW,
    Viewer,
    record_view,
    record_views,
    redact_expert,
    sees,
)
from service.platform.settings import Settings
from service.platform.tables import AuditEntry, OutboxEvent
from tests.service import factories

OWNER, OTHER = "SEN", "GHA"
NAME = "Zora Quillfeather"
EMAIL = "zora.private@example.org"
NATIONAL_ID = "NID-ZQ-4242"
VERIFIER = "Ulla Quist, verifier"
AVAILABLE, LEAVE, HELD_UNTIL = "2031-03-17", "2031-05-09", "2032-02-29"
# Values that appear in a surface's text only where the field is shown (a page, an event: no record to read).
MARKERS = {
    "full_name": NAME,
    "email": EMAIL,
    "national_id": NATIONAL_ID,
    "availability": AVAILABLE,
    "leave": LEAVE,
    "credentials": HELD_UNTIL,
    "credentials.verified_by": VERIFIER,
}
EVERY_FIELD = frozenset(MATRIX)


def person(**overrides: Any) -> dict:
    held = [{"code": c, "expires_on": HELD_UNTIL, "verified_by": VERIFIER} for c in factories.HELD]
    mine = {
        "full_name": NAME,
        "email": EMAIL,
        "national_id": NATIONAL_ID,
        "nationality": OWNER,
        "availability": [{"start": AVAILABLE, "end": "2031-09-21"}],
        "leave": [{"start": LEAVE, "end": "2031-05-20"}],
        "screening_valid_until": "2033-01-13",
        "credentials": held,
    }
    return factories.expert(**mine | overrides)


@dataclass
class World:
    client: TestClient
    engine: Any
    headers: dict[Viewer, dict[str, str]]
    expert_id: int
    created: dict[Viewer, dict]
    updated: dict[Viewer, dict]
    nomination_id: int
    deployment_id: int


def _token(app, role: Role, state: str | None) -> dict[str, str]:
    with Session(app.state.engine) as session:
        _, secret = issue_token(session, role=role, name=f"personal {role.value} {state or ''}", state=state)
        session.commit()
    return {"Authorization": f"Bearer {secret}"}


def _ok(response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


@pytest.fixture(scope="module")
def world(databases, template_url) -> Iterator[World]:
    app = create_app(Settings(database_url=databases.clone(template_url), environment="test", worker="external"))
    with TestClient(app, raise_server_exceptions=False) as client:
        headers = {
            Viewer.admin: _token(app, Role.admin, None),
            Viewer.hq: _token(app, Role.hq, None),
            Viewer.planner: _token(app, Role.planner, None),
            Viewer.owner: _token(app, Role.member_state, OWNER),
        }
        hq, owner = headers[Viewer.hq], headers[Viewer.owner]
        mine = _ok(client.post("/experts", json=person(), headers=owner), 201)
        # The same person put forward by another state (a duplicate), and by HQ as a third: HQ's own answer.
        _ok(client.post("/experts", json=person(), headers=_token(app, Role.member_state, OTHER)), 201)
        by_hq = _ok(client.post("/experts", json=person(state="NOR"), headers=hq), 201)
        updated = {
            who: _ok(client.patch(f"/experts/{mine['id']}", json={"notice_days": days}, headers=headers[who]))
            for who, days in ((Viewer.hq, 20), (Viewer.owner, 25))
        }
        request = _ok(client.post("/requests", json=factories.capacity_request(), headers=hq), 201)
        position = request["positions"][0]["id"]
        call = _ok(
            client.post(
                "/calls",
                json={"request_id": request["id"], "position_ids": [position], "deadline": "2027-01-31"},
                headers=hq,
            ),
            201,
        )
        nomination = _ok(
            client.post(
                f"/calls/{call['id']}/nominations",
                json={"position_id": position, "expert_id": mine["id"]},
                headers=owner,
            ),
            201,
        )
        deployment_id = factories.deploy(app.state.engine, position, expert=mine["id"])
        yield World(
            client=client,
            engine=app.state.engine,
            headers=headers,
            expert_id=mine["id"],
            created={Viewer.owner: mine, Viewer.hq: by_hq},
            updated=updated,
            nomination_id=nomination["id"],
            deployment_id=deployment_id,
        )
    app.state.engine.dispose()
    app.state.read_engine.dispose()


# --- What each surface shows --------------------------------------------------------------------------------------


@dataclass
class Seen:
    """A surface's answer: its whole text, and the expert's record in it where it has one (a dict by field)."""

    text: str
    record: dict | None = None


def _expert_json(world: World, who: Viewer, answer: dict) -> Seen:
    return Seen(json.dumps(answer), answer)


def _one(world: World, who: Viewer) -> Seen:
    return _expert_json(world, who, _ok(world.client.get(f"/experts/{world.expert_id}", headers=world.headers[who])))


def _listed(world: World, who: Viewer) -> Seen:
    page = _ok(world.client.get("/experts", params={"q": NAME, "limit": 100}, headers=world.headers[who]))
    return _expert_json(world, who, next(e for e in page["data"] if e["id"] == world.expert_id))


def _export(fmt: str) -> Callable[[World, Viewer], Seen]:
    def read(world: World, who: Viewer) -> Seen:
        answer = world.client.get("/experts/export", params={"format": fmt}, headers=world.headers[who])
        assert answer.status_code == 200, answer.text
        if fmt == "csv":
            rows = list(csv.DictReader(io.StringIO(answer.content.decode())))
        else:
            header, *cells = openpyxl.load_workbook(io.BytesIO(answer.content)).active.iter_rows(values_only=True)
            day = lambda v: v.date().isoformat() if isinstance(v, datetime) else v  # noqa: E731
            rows = [{h: day(v) for h, v in zip(header, row, strict=True)} for row in cells]
        text = "\n".join(" ".join(str(v) for v in row.values()) for row in rows)
        return Seen(text, next(r for r in rows if r["full_name"] == NAME))

    return read


def _duplicates(world: World, who: Viewer) -> Seen:
    groups = _ok(world.client.get("/experts/duplicates", headers=world.headers[who]))["data"]
    found = [e for g in groups for e in g["experts"] if e["id"] == world.expert_id]
    assert {g["shared"] for g in groups} == {"e-mail", "national id"}  # HQ learns what is shared either way
    return Seen(json.dumps(groups), found[0])


def _form(world: World, who: Viewer) -> Seen:
    secret = world.headers[who]["Authorization"].removeprefix("Bearer ")
    with TestClient(world.client.app, raise_server_exceptions=False) as browser:
        form = browser.get("/ui/signin").text
        csrf = form.split('name="csrf" value="', 1)[1].split('"', 1)[0]
        assert (
            browser.post("/ui/signin", data={"token": secret, "csrf": csrf}, follow_redirects=False).status_code == 303
        )
        page = browser.get(f"/ui/experts/{world.expert_id}/edit")
    assert page.status_code == 200, page.text
    return Seen(page.text)


def _events(world: World, who: Viewer) -> list[dict]:
    events = _ok(world.client.get("/events", params={"limit": 500}, headers=world.headers[who]))["data"]
    assert any(e["type"] == "nomination.submitted" for e in events)
    return events


def _feed(world: World, who: Viewer) -> Seen:
    return Seen(json.dumps(_events(world, who)))


def _webhook(world: World, who: Viewer) -> Seen:
    """The bodies a subscription of this role receives: the exact bytes signed and sent, one per event it sees."""
    ids = [e["id"] for e in _events(world, who)]
    with Session(world.engine) as session:
        rows = session.exec(select(OutboxEvent).where(col(OutboxEvent.id).in_(ids))).all()
        return Seen("\n".join(event_body(r).decode() for r in rows))


def _nomination(world: World, who: Viewer) -> Seen:
    return Seen(json.dumps(_ok(world.client.get(f"/nominations/{world.nomination_id}", headers=world.headers[who]))))


def _deployment(world: World, who: Viewer) -> Seen:
    return Seen(json.dumps(_ok(world.client.get(f"/deployments/{world.deployment_id}", headers=world.headers[who]))))


@dataclass(frozen=True)
class Surface:
    name: str
    read: Callable[[World, Viewer], Seen]
    roles: frozenset[Viewer]
    carries: frozenset[str]  # the personal fields it shows to a role that may see them


ALL = frozenset(Viewer)
CONTRIBUTORS = frozenset({Viewer.hq, Viewer.owner})
SUPPLIER_NAME = frozenset({"full_name"})
SURFACES = [
    Surface("POST /experts", lambda w, who: _expert_json(w, who, w.created[who]), CONTRIBUTORS, EVERY_FIELD),
    Surface("PATCH /experts/{id}", lambda w, who: _expert_json(w, who, w.updated[who]), CONTRIBUTORS, EVERY_FIELD),
    # A search answers no national ids to anyone: an expert's own record, audited, does.
    Surface("GET /experts", _listed, ALL, EVERY_FIELD - LIST_HIDDEN),
    Surface("GET /experts/{id}", _one, ALL, EVERY_FIELD),
    # The import file's columns: who verified a credential is not one of them.
    Surface("GET /experts/export csv", _export("csv"), ALL, EVERY_FIELD - {"credentials.verified_by"}),
    Surface("GET /experts/export xlsx", _export("xlsx"), ALL, EVERY_FIELD - {"credentials.verified_by"}),
    Surface(
        "GET /experts/duplicates",
        _duplicates,
        frozenset({Viewer.admin, Viewer.hq}),
        frozenset({"full_name", "nationality", "email", "national_id"}),
    ),
    Surface("/ui/experts/{id}/edit", _form, CONTRIBUTORS, frozenset(MARKERS)),
    Surface("GET /events", _feed, ALL, SUPPLIER_NAME),
    Surface("webhook delivery body", _webhook, ALL, SUPPLIER_NAME),
    Surface("GET /nominations/{id}", _nomination, ALL, SUPPLIER_NAME),
    Surface("GET /deployments/{id}", _deployment, ALL, SUPPLIER_NAME),
]


def _shown(seen: Seen, field: str) -> bool:
    """Whether the field's value is in the answer: read from the record where it has the field, else its marker."""
    top, _, nested = field.partition(".")
    value = (seen.record or {}).get(top, "missing")
    if nested and isinstance(value, list):
        return any(item.get(nested) for item in value)
    if not nested and value != "missing":
        return value not in (None, "", [])
    return field in MARKERS and MARKERS[field] in seen.text


def _cases() -> Iterator[Any]:
    for surface in SURFACES:
        for who in sorted(surface.roles):
            for field in sorted(MATRIX):
                if field not in surface.carries and field not in MARKERS:
                    continue  # nothing to look for: neither in its records nor a value to find in its text
                yield pytest.param(surface, who, field, id=f"{surface.name}-{who.value}-{field}")


@pytest.fixture(scope="module")
def seen(world) -> Callable[[Surface, Viewer], Seen]:
    """Each surface read once per role."""
    cache: dict[tuple[str, Viewer], Seen] = {}

    def read(surface: Surface, who: Viewer) -> Seen:
        if (surface.name, who) not in cache:
            cache[surface.name, who] = surface.read(world, who)
        return cache[surface.name, who]

    return read


@pytest.mark.parametrize(("surface", "who", "field"), list(_cases()))
def test_a_field_is_shown_to_exactly_the_roles_the_matrix_names(seen, surface: Surface, who: Viewer, field: str):
    expected = field in surface.carries and sees(who, field)
    assert _shown(seen(surface, who), field) is expected, (
        f"{surface.name} as {who.value}: {field} should be {'shown' if expected else 'hidden'}"
    )


def test_an_answer_keeps_its_shape_for_every_role(seen):
    """A hidden field is null, not missing: clients read one schema whoever calls."""
    answers = {who: seen(SURFACES[0], who).record for who in CONTRIBUTORS}
    assert {frozenset(a) for a in answers.values() if a} == {frozenset(answers[Viewer.owner] or {})}
    assert answers[Viewer.hq] and answers[Viewer.hq]["national_id"] is None


# --- Audited access -------------------------------------------------------------------------------------------------


def _entries(engine, action: str) -> list[AuditEntry]:
    with Session(engine) as session:
        return list(session.exec(select(AuditEntry).where(AuditEntry.action == action).order_by(col(AuditEntry.id))))


def _no_personal_data(entries: list[AuditEntry]) -> None:
    for entry in entries:
        text = json.dumps([entry.before, entry.after])
        assert NATIONAL_ID not in text and EMAIL not in text, text


def test_a_national_id_shown_in_a_write_answer_is_audited_and_a_hidden_one_is_not(client, auth, engine):
    owner, hq = auth("member_state", OWNER), auth("hq")
    made = _ok(client.post("/experts", json=person(), headers=owner), 201)
    _ok(client.patch(f"/experts/{made['id']}", json={"notice_days": 21}, headers=hq))
    _ok(client.patch(f"/experts/{made['id']}", json={"notice_days": 22}, headers=owner))
    views = _entries(engine, VIEW)
    assert [(e.actor_role, e.actor_state, e.entity, e.entity_id, e.after) for e in views] == [
        ("member_state", OWNER, "expert", str(made["id"]), {"fields": ["national_id"]})
    ] * 2  # the creation's answer and the owner's change; HQ's answer shows no national id
    _no_personal_data(views)


def test_an_experts_record_read_with_its_national_id_is_audited(client, auth, engine):
    owner = auth("member_state", OWNER)
    made = _ok(client.post("/experts", json=person(), headers=owner), 201)
    before = len(_entries(engine, VIEW))
    _ok(client.get(f"/experts/{made['id']}", headers=auth("hq")))  # no national id shown: nothing to record
    _ok(client.get(f"/experts/{made['id']}", headers=owner))
    _ok(client.get(f"/experts/{made['id']}", headers=owner))  # a kept answer is shown, and recorded, all the same
    views = _entries(engine, VIEW)[before:]
    assert [(e.actor_role, e.entity_id, e.after) for e in views] == 2 * [
        ("member_state", str(made["id"]), {"fields": ["national_id"]})
    ]


def test_the_duplicates_show_hq_what_is_shared_and_audit_what_admin_sees(client, auth, engine):
    first = _ok(client.post("/experts", json=person(), headers=auth("member_state", OWNER)), 201)
    second = _ok(client.post("/experts", json=person(), headers=auth("member_state", OTHER)), 201)
    before = len(_entries(engine, VIEW))
    for_hq = _ok(client.get("/experts/duplicates", headers=auth("hq")))["data"]
    assert {g["shared"] for g in for_hq} == {"e-mail", "national id"}
    assert {e["national_id"] for g in for_hq for e in g["experts"]} == {None}
    assert len(_entries(engine, VIEW)) == before
    for_admin = _ok(client.get("/experts/duplicates", headers=auth("admin")))["data"]
    assert {e["national_id"] for g in for_admin for e in g["experts"]} == {NATIONAL_ID}
    views = _entries(engine, VIEW)[before:]
    assert sorted((e.actor_role, e.entity_id) for e in views) == [
        ("admin", str(first["id"])),
        ("admin", str(second["id"])),
    ]
    _no_personal_data(views)


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_an_export_with_national_ids_is_audited_once_with_its_count(client, auth, engine, fmt):
    owner = auth("member_state", OWNER)
    for n in range(3):
        _ok(
            client.post(
                "/experts", json=person(email=f"z{n}@example.org", national_id=f"{NATIONAL_ID}-{n}"), headers=owner
            ),
            201,
        )
    for role in ("planner", "hq"):
        assert client.get("/experts/export", params={"format": fmt}, headers=auth(role)).status_code == 200
    assert _entries(engine, EXPORT) == []  # neither sees a national id
    for headers in (owner, auth("admin")):
        assert client.get("/experts/export", params={"format": fmt}, headers=headers).status_code == 200
    exports = _entries(engine, EXPORT)
    assert [(e.actor_role, e.entity, e.entity_id, e.after) for e in exports] == [
        (role, "expert", "*", {"fields": ["national_id"], "count": 3, "filters": {"format": fmt}})
        for role in ("member_state", "admin")
    ]
    _no_personal_data(exports)


def test_an_export_for_hq_leaves_the_national_id_column_out_so_a_reimport_keeps_it(client, auth, engine):
    """A blank cell would erase the stored value on import; a column left out keeps it."""
    made = _ok(client.post("/experts", json=person(), headers=auth("member_state", OWNER)), 201)
    hq = auth("hq")
    exported = client.get("/experts/export", params={"format": "csv"}, headers=hq)
    assert "national_id" not in next(csv.reader(io.StringIO(exported.text)))
    files = {"file": ("experts.csv", exported.content, "text/csv")}
    report = _ok(client.post("/experts/import", files=files, headers=hq))
    assert (report["unchanged"], report["errors"]) == (1, [])
    stored = _ok(client.get(f"/experts/{made['id']}", headers=auth("member_state", OWNER)))
    assert stored["national_id"] == NATIONAL_ID


def test_the_form_hides_the_national_id_from_hq_and_saving_it_keeps_the_stored_one(client, auth, engine):
    made = _ok(client.post("/experts", json=person(), headers=auth("member_state", OWNER)), 201)
    secret = auth("hq")["Authorization"].removeprefix("Bearer ")
    csrf = client.get("/ui/signin").text.split('name="csrf" value="', 1)[1].split('"', 1)[0]
    assert client.post("/ui/signin", data={"token": secret, "csrf": csrf}, follow_redirects=False).status_code == 303
    page = client.get(f"/ui/experts/{made['id']}/edit")
    assert NATIONAL_ID not in page.text and 'name="national_id"' not in page.text
    csrf = page.text.split('name="csrf" value="', 1)[1].split('"', 1)[0]
    form = {"csrf": csrf, "version": str(made["version"]), "full_name": NAME, "email": EMAIL, "category": "police"}
    form |= {"nationality": OWNER, "gender": "female", "grade": "P-4", "source": "secondee", "notice_days": "40"}
    saved = client.post(f"/ui/experts/{made['id']}/edit", data=form, follow_redirects=False)
    assert saved.status_code == 303, saved.text
    stored = _ok(client.get(f"/experts/{made['id']}", headers=auth("member_state", OWNER)))
    assert (stored["notice_days"], stored["national_id"]) == (40, NATIONAL_ID)


def _principal(engine, role: Role, name: str) -> Principal:
    with Session(engine) as session:
        token, _ = issue_token(session, role=role, name=name, state=None)
        session.commit()
        assert token.id is not None
        return Principal(token_id=token.id, name=name, role=role, state=None)


def test_record_view_writes_one_entry_per_expert_for_audited_fields_only(engine):
    admin = _principal(engine, Role.admin, "auditor")
    with Session(engine) as session:
        assert record_view(session, admin, [3, 1, 3], ["national_id", "email"]) == 2
        assert record_view(session, admin, [2], ["email", "full_name"]) == 0  # nothing audited shown
        assert record_view(session, admin, [], ["national_id"]) == 0
        session.commit()
    with engine.connect() as connection:  # a bare connection too (the lean read path has no session)
        assert record_view(connection, admin, [4], ["national_id"]) == 1
        connection.commit()
    views = _entries(engine, VIEW)
    assert [(e.entity_id, e.after, e.actor_name) for e in views] == [
        (str(i), {"fields": ["national_id"]}, "auditor") for i in (1, 3, 4)
    ]


def test_record_views_audits_what_the_redacted_records_still_show(client, auth, engine):
    made = _ok(client.post("/experts", json=person(), headers=auth("member_state", OWNER)), 201)
    public = ExpertPublic.model_validate(made)
    hq, admin = _principal(engine, Role.hq, "hq"), _principal(engine, Role.admin, "admin")
    before = len(_entries(engine, VIEW))
    with Session(engine) as session:
        assert record_views(session, hq, [redact_expert(public, hq)]) == 0
        assert record_views(session, admin, [redact_expert(public, admin)]) == 1
        session.commit()
    assert [e.actor_name for e in _entries(engine, VIEW)[before:]] == ["admin"]
