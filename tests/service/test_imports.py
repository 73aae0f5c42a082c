"""Spreadsheet import: good, bad and mixed files in CSV and XLSX, the row report, all or nothing, partial,
dry run, re-import, Member State isolation."""

import csv
import io
from datetime import date, datetime

import openpyxl
import pytest
from sqlmodel import Session, func, select

from service.platform.tables import AuditEntry, Expert, Offer
from service.roster import repository as roster

EXPERT_HEADER = [
    "full_name",
    "email",
    "national_id",
    "category",
    "nationality",
    "gender",
    "grade",
    "source",
    "notice_days",
    "screening_valid_until",
    "active",
    "state",
    "skills",
    "languages",
    "levels",
    "availability",
    "leave",
    "credentials",
]
OFFER_HEADER = [
    "title",
    "kind",
    "slots",
    "category",
    "available_from",
    "available_to",
    "max_duration_days",
    "readiness",
    "cost_bearer",
    "notice_days",
    "expires_on",
    "status",
    "state",
    "skills",
    "levels",
    "languages",
    "excluded_missions",
    "excluded_states",
    "credentials",
]


def expert_row(n: int, **overrides) -> dict:
    row = {
        "full_name": f"Awa Import {n}",
        "email": f"import{n}@example.org",
        "national_id": f"SN-{n:06d}",
        "category": "police",
        "nationality": "SEN",
        "gender": "female",
        "grade": "P-4",
        "source": "secondee",
        "notice_days": 30,
        "screening_valid_until": "2029-12-31",
        "active": "true",
        "state": "NOR",
        "skills": "SSR-STRATEGY:4",
        "languages": "en:3; fr:5",
        "levels": "strategic; operational",
        "availability": "2027-01-01..2028-12-31",
        "leave": "",
    }
    return row | overrides


def offer_row(n: int, **overrides) -> dict:
    row = {
        "title": f"Imported police team {n}",
        "kind": "team",
        "slots": 3,
        "category": "police",
        "available_from": "2027-01-01",
        "available_to": "2027-12-31",
        "max_duration_days": 365,
        "readiness": "pledged",
        "cost_bearer": "member_state",
        "notice_days": 45,
        "expires_on": "2030-06-30",
        "status": "submitted",
        "state": "NOR",
        "skills": "SSR-STRATEGY:3",
        "levels": "strategic",
        "languages": "en:4",
        "excluded_missions": "",
        "excluded_states": "",
    }
    return row | overrides


def as_csv(header: list[str], rows: list[dict]) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=header, extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode()


def as_xlsx(header: list[str], rows: list[dict]) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(header)
    for row in rows:
        sheet.append([row.get(name) for name in header])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


BUILDERS = {"csv": as_csv, "xlsx": as_xlsx}


def post(client, headers, kind: str, content: bytes, **params):
    return client.post(
        f"/{kind}/import",
        headers=headers,
        params=params,
        files={"file": ("upload", content, "application/octet-stream")},
    )


def count(engine, model) -> int:
    with Session(engine) as session:
        return session.exec(select(func.count()).select_from(model)).one()


@pytest.fixture(params=["csv", "xlsx"])
def fmt(request) -> str:
    return request.param


def experts_file(fmt: str, rows: list[dict], header=EXPERT_HEADER) -> bytes:
    return BUILDERS[fmt](header, rows)


class TestGoodFiles:
    def test_experts_import_and_read_back_through_the_api(self, client, auth, engine, fmt):
        content = experts_file(
            fmt, [expert_row(1), expert_row(2, skills="SSR-STRATEGY:4; DDR-DESIGN:3", leave="2027-07-01..2027-07-31")]
        )
        response = post(client, auth("hq"), "experts", content)
        assert response.status_code == 200, response.text
        assert response.json() == {
            "rows": 2,
            "created": 2,
            "updated": 0,
            "unchanged": 0,
            "errors": [],
            "total_errors": 0,
            "bad_rows": 0,
            "truncated": False,
            "dry_run": False,
            "partial": False,
        }
        listed = client.get("/experts?q=Awa Import", headers=auth("hq")).json()
        second = next(e for e in listed["data"] if e["email"] == "import2@example.org")
        assert second["skills"] == [
            {"code": "DDR-DESIGN", "proficiency": 3},
            {"code": "SSR-STRATEGY", "proficiency": 4},
        ]
        assert second["languages"] == [{"code": "en", "level": 3}, {"code": "fr", "level": 5}]
        assert second["levels"] == ["strategic", "operational"]
        assert second["leave"] == [{"start": "2027-07-01", "end": "2027-07-31"}]
        assert second["state"] == "NOR" and second["active"] is True
        assert second["national_id"] is None  # HQ sees no national id (issue 23); the owning state does
        own = client.get(f"/experts/{second['id']}", headers=auth("member_state", "NOR")).json()
        assert own["national_id"] == "SN-000002"
        with Session(engine) as session:
            audits = session.exec(select(AuditEntry).where(AuditEntry.action == "import")).all()
        assert sorted(a.entity_id for a in audits) == sorted(str(e["id"]) for e in listed["data"])

    def test_imported_ids_do_not_collide_with_the_api(self, client, auth, engine):
        from tests.service import factories

        before = client.post("/experts", json=factories.expert(), headers=auth("hq")).json()["id"]
        assert (
            post(client, auth("hq"), "experts", as_csv(EXPERT_HEADER, [expert_row(1), expert_row(2)])).status_code
            == 200
        )
        after = client.post("/experts", json=factories.expert(), headers=auth("hq"))
        assert after.status_code == 201, after.text
        with Session(engine) as session:
            imported = session.exec(select(Expert.id).where(Expert.email.like("import%"))).all()
        assert len(set(imported) | {before, after.json()["id"]}) == 4 and after.json()["id"] > max(imported)

    def test_offers_import(self, client, auth, fmt):
        content = BUILDERS[fmt](OFFER_HEADER, [offer_row(1), offer_row(2, excluded_states="MLI; HTI")])
        response = post(client, auth("hq"), "offers", content)
        assert response.status_code == 200, response.text
        assert response.json()["created"] == 2
        offers = client.get("/offers?state=NOR", headers=auth("hq")).json()["data"]
        assert {o["title"] for o in offers} == {"Imported police team 1", "Imported police team 2"}
        assert next(o for o in offers if o["title"].endswith("2"))["excluded_states"] == ["MLI", "HTI"]

    def test_columns_in_any_order_and_optional_ones_left_out(self, client, auth, engine):
        header = ["nationality", "full_name", "gender", "category", "source", "email"]
        response = post(client, auth("hq"), "experts", as_csv(header, [expert_row(3)]))
        assert response.status_code == 200, response.text
        with Session(engine) as session:
            expert = session.exec(select(Expert)).one()
        assert (expert.full_name, expert.notice_days, expert.state, expert.grade) == ("Awa Import 3", 30, None, None)

    def test_xlsx_dates_and_numbers_as_excel_types(self, client, auth, engine):
        from datetime import datetime

        row = expert_row(
            4, screening_valid_until=datetime(2029, 6, 30), notice_days=14.0, national_id=12345, active=False
        )
        assert post(client, auth("hq"), "experts", as_xlsx(EXPERT_HEADER, [row])).status_code == 200
        with Session(engine) as session:
            expert = roster.to_public(session.exec(select(Expert)).one())
        assert (str(expert.screening_valid_until), expert.notice_days, expert.national_id, expert.active) == (
            "2029-06-30",
            14,
            "12345",
            False,
        )

    def test_template_round_trip(self, client, auth):
        template = client.get("/experts/import/template?format=xlsx", headers=auth("hq"))
        assert template.status_code == 200
        assert "attachment" in template.headers["content-disposition"]
        book = openpyxl.load_workbook(io.BytesIO(template.content))
        assert [c.value for c in book["experts"][1]] == EXPERT_HEADER
        assert [r[0] for r in book["help"].iter_rows(min_row=2, values_only=True)] == EXPERT_HEADER
        book["experts"].append([expert_row(5).get(name) for name in EXPERT_HEADER])
        out = io.BytesIO()
        book.save(out)
        assert post(client, auth("hq"), "experts", out.getvalue()).json()["created"] == 1
        csv_template = client.get("/offers/import/template?format=csv", headers=auth("member_state", "NOR"))
        assert csv_template.text.strip() == ",".join(OFFER_HEADER)


class TestBadFiles:
    def test_every_bad_cell_is_reported_with_line_and_column_and_nothing_is_written(self, client, auth, engine, fmt):
        rows = [
            expert_row(1),
            expert_row(2, category="pilot", skills="SSR-STRATEGY:9"),
            expert_row(3),
            expert_row(4, nationality="XXX", languages="en", availability="2027-12-31..2027-01-01"),
        ]
        response = post(client, auth("hq"), "experts", experts_file(fmt, rows))
        assert response.status_code == 422
        body = response.json()
        assert body["error"] == "import_rejected" and body["created"] == 0
        found = {(e["line"], e["column"]): e for e in body["errors"]}
        assert set(found) == {(3, "category"), (3, "skills"), (5, "nationality"), (5, "languages"), (5, "availability")}
        assert found[3, "category"]["value"] == "pilot" and "civilian" in found[3, "category"]["message"]
        assert "less than or equal to 5" in found[3, "skills"]["message"]
        assert "SSR-STRATEGY:4" in found[3, "skills"]["message"]  # the fix
        assert "unknown Member State" in found[5, "nationality"]["message"]
        assert "swap" in found[5, "availability"]["message"]
        assert count(engine, Expert) == 0 and count(engine, AuditEntry) == 0

    def test_unknown_and_missing_columns_are_file_errors(self, client, auth):
        header = [h for h in EXPERT_HEADER if h != "gender"] + ["shoe_size"]
        body = post(client, auth("hq"), "experts", as_csv(header, [expert_row(1)]), partial="true").json()
        assert {(e["line"], e["column"]) for e in body["errors"]} == {(1, "shoe_size"), (1, "gender")}
        assert body["rows"] == 0

    def test_a_value_without_a_header_and_a_bad_cell_on_one_row(self, client, auth):
        content = as_csv(EXPERT_HEADER, [expert_row(1, gender="x")]).replace(b"\r\n", b",stray\r\n", 2)
        content = content.replace(b"credentials,stray", b"credentials,", 1)
        errors = post(client, auth("hq"), "experts", content).json()["errors"]
        assert {(e["line"], e["column"], e["value"]) for e in errors} == {(2, "#19", "stray"), (2, "gender", "x")}

    def test_not_a_spreadsheet(self, client, auth):
        response = post(client, auth("hq"), "experts", b"PK\x03\x04 not really a zip")
        assert response.status_code == 422
        assert "XLSX" in response.json()["errors"][0]["message"]
        assert post(client, auth("hq"), "experts", b"").json()["errors"][0]["message"].startswith("the file is empty")

    def test_an_xlsx_that_unpacks_too_big_is_refused(self, client, auth, monkeypatch):
        from service.spreadsheets import reading as imports

        monkeypatch.setattr(imports, "MAX_UNPACKED_BYTES", 1000)
        response = post(client, auth("hq"), "experts", as_xlsx(EXPERT_HEADER, [expert_row(1)]))
        assert response.status_code == 422 and "unpacks to" in response.json()["errors"][0]["message"]

    def test_too_many_rows(self, client, auth, engine, monkeypatch, fmt):
        from service.spreadsheets import reading as imports

        monkeypatch.setattr(imports, "MAX_ROWS", 2)
        rows = [expert_row(n) for n in range(1, 150)]
        response = post(client, auth("hq"), "experts", experts_file(fmt, rows), partial="true")
        assert response.status_code == 422 and "split the file" in response.json()["errors"][0]["message"]
        assert count(engine, Expert) == 0

    def test_duplicates_within_the_file(self, client, auth, engine):
        rows = [expert_row(1), expert_row(2, email="import1@example.org")]
        errors = post(client, auth("hq"), "experts", as_csv(EXPERT_HEADER, rows)).json()["errors"]
        assert errors == [
            {
                "line": 3,
                "column": "email",
                "value": "import1@example.org",
                "message": "email also on line 2: list each expert once per file",
            }
        ]
        assert count(engine, Expert) == 0

    def test_offer_in_the_past_and_unknown_mission(self, client, auth, engine, fmt):
        rows = [offer_row(1, expires_on="2001-01-01"), offer_row(2, excluded_missions="NOWHERE")]
        body = post(client, auth("hq"), "offers", BUILDERS[fmt](OFFER_HEADER, rows)).json()
        assert [(e["line"], e["column"]) for e in body["errors"]] == [(2, "expires_on"), (3, "excluded_missions")]
        assert count(engine, Offer) == 0


class TestMixedFiles:
    def test_partial_writes_the_good_rows(self, client, auth, engine, fmt):
        rows = [expert_row(1), expert_row(2, gender=""), expert_row(3)]
        response = post(client, auth("hq"), "experts", experts_file(fmt, rows), partial="true")
        assert response.status_code == 207
        body = response.json()
        assert (body["created"], body["partial"]) == (2, True)
        assert body["errors"] == [
            {"line": 3, "column": "gender", "value": None, "message": "required: fill in this column"}
        ]
        with Session(engine) as session:
            assert sorted(session.exec(select(Expert.email)).all()) == ["import1@example.org", "import3@example.org"]

    def test_partial_with_every_row_bad_is_rejected(self, client, auth, engine):
        response = post(
            client, auth("hq"), "experts", as_csv(EXPERT_HEADER, [expert_row(1, gender="x")]), partial="true"
        )
        assert response.status_code == 422 and count(engine, Expert) == 0

    def test_dry_run_reports_and_writes_nothing(self, client, auth, engine, fmt):
        good = post(client, auth("hq"), "experts", experts_file(fmt, [expert_row(1), expert_row(2)]), dry_run="true")
        assert good.status_code == 200 and good.json()["created"] == 2 and good.json()["dry_run"] is True
        mixed = experts_file(fmt, [expert_row(1), expert_row(2, email="not-an-email")])
        bad = post(client, auth("hq"), "experts", mixed, dry_run="true")
        assert bad.status_code == 422 and bad.json()["errors"][0]["column"] == "email"
        partial = post(client, auth("hq"), "experts", mixed, dry_run="true", partial="true")
        assert partial.status_code == 207 and partial.json()["created"] == 1
        assert count(engine, Expert) == 0 and count(engine, AuditEntry) == 0

    def test_a_bad_update_rolls_back_the_good_creates(self, client, auth, engine):
        assert (
            post(client, auth("hq"), "experts", as_csv(EXPERT_HEADER, [expert_row(1), expert_row(2)])).status_code
            == 200
        )
        # row 3 moves expert 1's national id onto expert 2's: refused only when written
        rows = [expert_row(3), expert_row(1, national_id="SN-000002", nationality="SEN")]
        response = post(client, auth("hq"), "experts", as_csv(EXPERT_HEADER, rows))
        assert response.status_code == 422
        assert count(engine, Expert) == 2


class TestReimport:
    def test_same_file_twice_updates_rather_than_duplicates(self, client, auth, engine, fmt):
        rows = [expert_row(1), expert_row(2)]
        assert post(client, auth("hq"), "experts", experts_file(fmt, rows)).json()["created"] == 2
        again = post(client, auth("hq"), "experts", experts_file(fmt, rows)).json()
        assert (again["created"], again["updated"], again["unchanged"]) == (0, 0, 2)
        rows[1] = expert_row(2, full_name="Awa Renamed", skills="SSR-STRATEGY:5")
        changed = post(client, auth("hq"), "experts", experts_file(fmt, rows)).json()
        assert (changed["created"], changed["updated"], changed["unchanged"]) == (0, 1, 1)
        assert count(engine, Expert) == 2
        with Session(engine) as session:
            expert = session.exec(select(Expert).where(Expert.email == "import2@example.org")).one()
            assert (expert.full_name, expert.version, expert.skills[0].proficiency) == ("Awa Renamed", 2, 5)
            audit = session.exec(
                select(AuditEntry).where(AuditEntry.entity_id == str(expert.id)).order_by(AuditEntry.id.desc())
            ).first()
            assert audit.before["full_name"] == "Awa Import 2" and audit.after["full_name"] == "Awa Renamed"

    def test_matched_on_national_id_without_email(self, client, auth, engine):
        post(client, auth("hq"), "experts", as_csv(EXPERT_HEADER, [expert_row(1, email="")]))
        body = post(client, auth("hq"), "experts", as_csv(EXPERT_HEADER, [expert_row(1, email="", grade="P-5")])).json()
        assert body["updated"] == 1 and count(engine, Expert) == 1

    def test_offers_update_on_state_and_title(self, client, auth, engine):
        post(client, auth("hq"), "offers", as_csv(OFFER_HEADER, [offer_row(1)]))
        body = post(client, auth("hq"), "offers", as_csv(OFFER_HEADER, [offer_row(1, slots=5), offer_row(2)])).json()
        assert (body["created"], body["updated"]) == (1, 1)
        with Session(engine) as session:
            assert session.exec(select(Offer.slots).where(Offer.title == "Imported police team 1")).one() == 5


class TestMemberStates:
    def test_rows_are_for_the_own_state(self, client, auth, engine):
        rows = [expert_row(1, state=""), expert_row(2, state="NOR"), expert_row(3, state="SWE")]
        body = post(client, auth("member_state", "NOR"), "experts", as_csv(EXPERT_HEADER, rows), partial="true").json()
        assert body["created"] == 2
        assert [(e["line"], e["column"]) for e in body["errors"]] == [(4, "state")]
        with Session(engine) as session:
            assert set(session.exec(select(Expert.state)).all()) == {"NOR"}

    def test_another_states_expert_is_neither_updated_nor_revealed(self, client, auth, engine):
        """Keys are unique within a state: Norway's row with Sweden's e-mail is Norway's own expert; Sweden's
        stays as it was and nothing of it shows; HQ finds the pair among the duplicates."""
        post(
            client, auth("hq"), "experts", as_csv(EXPERT_HEADER, [expert_row(1, state="SWE", full_name="Secret Name")])
        )
        rows = [expert_row(1, state="NOR", full_name="Hijack")]
        response = post(client, auth("member_state", "NOR"), "experts", as_csv(EXPERT_HEADER, rows))
        assert response.status_code == 200 and response.json()["created"] == 1
        assert "SWE" not in response.text and "Secret" not in response.text
        with Session(engine) as session:
            assert sorted(session.exec(select(Expert.full_name)).all()) == ["Hijack", "Secret Name"]
        answer = client.get("/experts/duplicates", headers=auth("hq"))
        assert answer.status_code == 200, answer.text
        groups = answer.json()["data"]
        assert {g["shared"] for g in groups} == {"e-mail", "national id"}  # the same person, twice
        assert all(sorted(e["state"] for e in g["experts"]) == ["NOR", "SWE"] for g in groups)

    def test_member_state_offer_status_rule(self, client, auth):
        rows = [offer_row(1, state="", status="accepted")]
        error = post(client, auth("member_state", "NOR"), "offers", as_csv(OFFER_HEADER, rows)).json()["errors"][0]
        assert error["column"] == "status" and "planners accept offers" in error["message"]

    def test_hq_naming_another_state_makes_that_states_expert(self, client, auth, engine):
        """A row is matched within its own state: the same e-mail under SWE is SWE's expert, not NOR's moved."""
        post(client, auth("hq"), "experts", as_csv(EXPERT_HEADER, [expert_row(1, state="NOR")]))
        again = post(client, auth("hq"), "experts", as_csv(EXPERT_HEADER, [expert_row(1, state="SWE")])).json()
        assert again["created"] == 1 and again["updated"] == 0
        with Session(engine) as session:
            assert sorted(session.exec(select(Expert.state)).all()) == ["NOR", "SWE"]


@pytest.mark.parametrize("role, status", [("admin", 403), ("planner", 403), ("hq", 200)])
def test_who_may_import(client, auth, role, status):
    assert post(client, auth(role), "experts", as_csv(EXPERT_HEADER, [expert_row(1)])).status_code == status
    assert client.get("/experts/import/template", headers=auth(role)).status_code == status


def test_import_without_a_token_is_401(client):
    assert post(client, {}, "offers", as_csv(OFFER_HEADER, [offer_row(1)])).status_code == 401


class TestXlsxReader:
    @staticmethod
    def _workbook(write_only: bool, epoch=None) -> bytes:
        from datetime import datetime

        book = openpyxl.Workbook(write_only=write_only)
        sheet = book.create_sheet("experts") if write_only else book.active
        if epoch is not None:
            book.epoch = epoch
        sheet.append(["full_name", "notice_days", "active", "screening_valid_until", "grade"])
        sheet.append(["Zoé Ünïcode", 14, True, datetime(2029, 6, 30), None])
        sheet.append([])
        sheet.append(["Two", 2.5, False, None, "P-4"])
        out = io.BytesIO()
        book.save(out)
        return out.getvalue()

    @pytest.mark.parametrize("write_only", [False, True])
    def test_the_reader_reads_what_openpyxl_reads(self, write_only):
        from service.spreadsheets.reading import Limits, _xlsx_rows

        content = self._workbook(write_only)

        def trimmed(rows) -> dict:
            out = {}
            for line, cells in rows:
                cells = [c.date() if isinstance(c, datetime) else (None if c == "" else c) for c in cells]
                while cells and cells[-1] is None:
                    cells.pop()
                if cells:
                    out[line] = cells
            return out

        book = openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=True)
        sheet = book["experts"] if "experts" in book.sheetnames else book.worksheets[0]
        expected = trimmed(enumerate(sheet.iter_rows(values_only=True), start=1))
        book.close()
        got = trimmed(_xlsx_rows(content, "experts", Limits.current()))
        assert got == expected
        assert got[2] == ["Zoé Ünïcode", 14, True, date(2029, 6, 30)] and got[4] == ["Two", 2.5, False, None, "P-4"]
        assert set(got) == {1, 2, 4}

    def test_a_1904_workbook_has_its_dates_right(self, client, auth, engine):
        from openpyxl.utils.datetime import CALENDAR_MAC_1904

        header = ["full_name", "category", "nationality", "gender", "source", "screening_valid_until"]
        book = openpyxl.Workbook()
        book.epoch = CALENDAR_MAC_1904
        from datetime import datetime

        book.active.append(header)
        book.active.append(["Mac User", "police", "SEN", "female", "roster", datetime(2029, 6, 30)])
        out = io.BytesIO()
        book.save(out)
        assert post(client, auth("hq"), "experts", out.getvalue()).status_code == 200
        with Session(engine) as session:
            assert str(roster.to_public(session.exec(select(Expert)).one()).screening_valid_until) == "2029-06-30"
