"""Subject access (issue 23): everything held about one person, as JSON and as XLSX, with the audit of who changed
their record; the two formats hold the same values, and the record is the one ``GET /experts/{id}`` answers."""

import io
import json
from datetime import UTC, date, datetime, timedelta
from typing import Any

import openpyxl
import pytest
from sqlmodel import Session, col, select

from service.platform.tables import AuditEntry
from tests.service import factories

NAME, EMAIL, NATIONAL_ID = "Ingrid Solvang-Haugen", "ingrid.solvang@example.org", "NOR-5520-IH"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def person(client, auth, engine) -> dict:
    """Norway's expert, changed once, proposed by a plan and approved into a deployment, nominated with a stage
    result, asked to be erased (waits for HQ: deployed), and read by an admin (a view of the national id)."""
    norway, hq, planner, admin = auth("member_state", "NOR"), auth("hq"), auth("planner"), auth("admin")
    body = factories.expert_in(2027, full_name=NAME, email=EMAIL, national_id=NATIONAL_ID, nationality="NOR")
    body["leave"] = [{"start": "2027-01-04", "end": "2027-01-15"}]  # before the position starts
    made = client.post("/experts", json=body, headers=norway)
    assert made.status_code == 201, made.text
    expert = made.json()
    assert client.patch(f"/experts/{expert['id']}", json={"grade": "P-5"}, headers=norway).status_code == 200

    request = client.post("/requests", json=factories.capacity_request(), headers=hq).json()
    position = request["positions"][0]
    plan, _ = factories.stored_plan(engine, [(position, expert["id"])])
    (proposed,) = client.get(f"/plans/{plan}/assignments", headers=planner).json()["data"]
    approved = client.post(f"/plans/{plan}/review", json={"approve": [proposed["id"]]}, headers=planner)
    assert approved.status_code == 200, approved.text

    call = factories.call(engine, request["id"], [position["id"]])
    factories.nominate(engine, call, position["id"], expert=expert["id"], results={"interview": "passed"})
    asked = client.post("/privacy/erasures", json={"expert_id": expert["id"], "reason": "asked"}, headers=norway)
    assert asked.status_code == 202, asked.text
    assert client.get(f"/experts/{expert['id']}", headers=admin).status_code == 200
    return expert


def _export(client, headers, expert_id: int, format: str = "json"):
    answer = client.get(f"/privacy/subjects/{expert_id}", params={"format": format}, headers=headers)
    assert answer.status_code == 200, answer.text
    return answer


def _sheets(content: bytes) -> dict[str, list[dict[str, Any]]]:
    """Each sheet of a workbook as rows keyed by its header row."""
    book = openpyxl.load_workbook(io.BytesIO(content))
    sheets = {}
    for sheet in book.worksheets:
        header, *rows = sheet.iter_rows(values_only=True)
        sheets[sheet.title] = [dict(zip(header, row, strict=True)) for row in rows]
    return sheets


def _cell(value: Any) -> Any:
    """A JSON value as the workbook holds it: dates and times as naive UTC, lists joined, empty text as no cell."""
    if isinstance(value, list):
        return "; ".join(map(str, value))
    if isinstance(value, str) and len(value) == 10 and value[4] == "-":
        return datetime.combine(date.fromisoformat(value), datetime.min.time())
    if isinstance(value, str) and "T" in value and value[:4].isdigit():
        moment = datetime.fromisoformat(value)
        return moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo else moment
    return None if value == "" else value


def _same_rows(sheet: list[dict[str, Any]], section: list[dict[str, Any]], name: str) -> None:
    assert len(sheet) == len(section), name
    for row, expected in zip(sheet, section, strict=True):
        assert set(row) == set(expected), name
        for column, value in expected.items():
            held, want = (None if row[column] == "" else row[column]), _cell(value)
            if isinstance(want, datetime) and isinstance(held, datetime):  # a spreadsheet keeps milliseconds
                assert abs(held - want) < timedelta(milliseconds=1), (name, column)
            else:
                assert held == want, (name, column)


def test_the_export_round_trips(client, auth, person):
    admin = auth("admin")
    shown = client.get(f"/experts/{person['id']}", headers=admin).json()

    exported = _export(client, admin, person["id"]).json()
    workbook = _export(client, admin, person["id"], "xlsx")

    record = exported["record"]
    assert record == shown and record["national_id"] == NATIONAL_ID
    assert [len(exported[s]) for s in ("deployments", "nominations", "stage_results", "assignments", "erasures")] == [
        1,
        1,
        1,
        1,
        1,
    ]
    assert exported["assignments"][0]["deployment_id"] == exported["deployments"][0]["id"]
    assert exported["deployments"][0]["mission"] == "MINUSCA"
    assert workbook.headers["content-type"] == XLSX
    assert f'filename="subject-access-E{person["id"]}.xlsx"' in workbook.headers["content-disposition"]

    sheets = _sheets(workbook.content)
    lists = ("credentials", "skills", "languages", "levels", "availability", "leave")
    _same_rows(sheets["record"], [{k: v for k, v in record.items() if k not in lists}], "record")
    for name in ("credentials", "skills", "languages"):
        _same_rows(sheets[name], record[name], name)
    _same_rows(sheets["levels"], [{"level": level} for level in record["levels"]], "levels")
    windows = [{"kind": "available"} | w for w in record["availability"]] + [
        {"kind": "leave"} | w for w in record["leave"]
    ]
    _same_rows(sheets["windows"], windows, "windows")
    for name in ("deployments", "nominations", "stage_results", "assignments", "erasures"):
        _same_rows(sheets[name], exported[name], name)
    # the workbook's trail holds one entry more: the JSON export, made between the two
    _same_rows(sheets["audit"][:-1], exported["audit"], "audit")
    assert sheets["audit"][-1]["action"] == "export_subject"


def test_the_audit_section_says_who_changed_which_fields_never_the_values(client, auth, person):
    trail = _export(client, auth("hq"), person["id"]).json()["audit"]

    seen = [(e["action"], e["actor_name"], e["actor_role"], e["fields"]) for e in trail]
    norway, admin = ("test member_state NOR", "member_state"), ("test admin ", "admin")
    (_, *who, created), *rest = seen
    assert who == list(norway)
    assert {"full_name", "email", "national_id", "grade", "skills", "credentials", "leave"} <= set(created)
    assert not {"id", "version", "created_at", "updated_at"} & set(created)
    # each answer that showed the owner the national id is a view; so is the admin's read
    assert rest == [
        ("view_personal", *norway, ["national_id"]),
        ("update", *norway, ["grade"]),
        ("view_personal", *norway, ["national_id"]),
        ("view_personal", *admin, ["national_id"]),
    ]
    assert not [value for value in (NAME, EMAIL, NATIONAL_ID, "P-5") if value in json.dumps(trail)]


def test_who_may_ask_and_every_export_is_audited(client, auth, engine, person):
    path = f"/privacy/subjects/{person['id']}"
    for role, state in (("admin", None), ("hq", None), ("member_state", "NOR")):
        assert client.get(path, headers=auth(role, state)).status_code == 200, role
    assert client.get(path, params={"format": "xlsx"}, headers=auth("hq")).status_code == 200
    assert client.get(path, headers=auth("planner")).status_code == 403
    ghana = auth("member_state", "GHA")
    other, missing = client.get(path, headers=ghana), client.get("/privacy/subjects/999999", headers=ghana)
    assert other.status_code == missing.status_code == 404
    assert other.json()["detail"].replace(str(person["id"]), "N") == missing.json()["detail"].replace("999999", "N")
    assert client.get(path, params={"format": "csv"}, headers=auth("hq")).status_code == 422

    with Session(engine) as session:
        statement = select(AuditEntry).where(AuditEntry.action == "export_subject").order_by(col(AuditEntry.id))
        entries = session.exec(statement).all()
    assert [(e.actor_role, e.entity, e.entity_id, (e.after or {})["format"]) for e in entries] == [
        ("admin", "expert", str(person["id"]), "json"),
        ("hq", "expert", str(person["id"]), "json"),
        ("member_state", "expert", str(person["id"]), "json"),
        ("hq", "expert", str(person["id"]), "xlsx"),
    ]
    # HQ never sees a national id, here as everywhere (docs/privacy.md): its exports show none
    assert [(e.actor_role, (e.after or {})["fields"]) for e in entries] == [
        ("admin", ["national_id"]),
        ("hq", []),
        ("member_state", ["national_id"]),
        ("hq", []),
    ]
    assert all(e.before is None for e in entries)
    assert client.get(path, headers=auth("hq")).json()["record"]["national_id"] is None


def test_an_erased_persons_export_holds_the_pseudonym_and_the_erasure(client, auth, person):
    hq = auth("hq")
    (pending,) = client.get("/privacy/erasures", params={"status": "pending"}, headers=hq).json()["data"]
    assert client.post(f"/privacy/erasures/{pending['id']}/approve", headers=hq).status_code == 200

    exported = _export(client, auth("member_state", "NOR"), person["id"]).json()

    record = exported["record"]
    assert (record["full_name"], record["email"], record["national_id"]) == (
        f"Erased person E{person['id']}",
        None,
        None,
    )
    assert [e["status"] for e in exported["erasures"]] == ["done"]
    assert exported["audit"][-1]["action"] == "erase"
    assert exported["audit"][-1]["fields"] == ["active", "email", "full_name", "national_id"]
    assert [e["fields"] for e in exported["audit"] if e["action"] == "update"] == [["grade"]]
    assert not [value for value in (NAME, EMAIL, NATIONAL_ID) if value in json.dumps(exported)]


def test_control_characters_in_a_text_do_not_break_the_workbook(client, auth, person):
    hq = auth("hq")
    (pending,) = client.get("/privacy/erasures", params={"status": "pending"}, headers=hq).json()["data"]
    declined = client.post(
        f"/privacy/erasures/{pending['id']}/decline", json={"note": "bell \x07 and \x19 in a reason"}, headers=hq
    )
    assert declined.status_code == 200, declined.text
    answer = client.get(f"/privacy/subjects/{person['id']}", params={"format": "xlsx"}, headers=auth("admin"))
    assert answer.status_code == 200, answer.text
    book = openpyxl.load_workbook(io.BytesIO(answer.content))
    texts = [str(cell) for sheet in book for row in sheet.iter_rows(values_only=True) for cell in row]
    assert any("bell \ufffd and \ufffd in a reason" in text for text in texts)
