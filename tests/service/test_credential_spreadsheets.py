"""Credentials in spreadsheets (issue 19, point 5): the `credentials` column of the expert and offer import files
and of their exports (export → import gives the same credentials), a bad credential cell named by row and column
with the API's words, and the screening column beside it."""

import csv
import io
from datetime import date, datetime

import openpyxl
import pytest

from tests.service import factories
from tests.service.test_imports import EXPERT_HEADER, OFFER_HEADER, as_csv, as_xlsx, expert_row, offer_row, post

HELD = [
    {"code": "CPTM", "expires_on": "2029-12-31"},
    {"code": "MEDICAL", "issued_on": "2026-01-10", "expires_on": "2027-11-30"},
]
CELL = "CPTM:2029-12-31; HR-SCREENING:2029-06-30; MEDICAL:2026-01-10/2027-11-30"


@pytest.fixture(params=["csv", "xlsx"])
def fmt(request) -> str:
    return request.param


def _read(content: bytes, fmt: str) -> list[dict]:
    """An exported file's rows as {column: text}."""
    if fmt == "csv":
        return list(csv.DictReader(io.StringIO(content.decode())))
    sheet = openpyxl.load_workbook(io.BytesIO(content)).active
    header, *rows = sheet.iter_rows(values_only=True)
    day = lambda v: v.date().isoformat() if isinstance(v, datetime) else v  # noqa: E731
    return [{h: day(v) for h, v in zip(header, row)} for row in rows]


def _write(rows: list[dict], fmt: str) -> bytes:
    header = list(rows[0])
    return as_csv(header, rows) if fmt == "csv" else as_xlsx(header, rows)


def _said(credentials: list[dict]) -> list[tuple]:
    return [(c["code"], c["issued_on"], c["expires_on"]) for c in credentials]


def _export(client, headers, kind: str, fmt: str) -> list[dict]:
    answer = client.get(f"/{kind}/export", params={"format": fmt}, headers=headers)
    assert answer.status_code == 200, answer.text
    assert f'filename="{kind}.{fmt}"' in answer.headers["content-disposition"]
    return _read(answer.content, fmt)


def test_experts_export_and_import_again_with_the_same_credentials(client, auth, fmt):
    norway = auth("member_state", "NOR")
    made = [
        client.post(
            "/experts",
            json=factories.expert(screening_valid_until="2029-06-30", credentials=HELD, national_id=f"N-{n}"),
            headers=norway,
        ).json()
        for n in range(2)
    ]
    client.post("/experts", json=factories.expert(), headers=auth("member_state", "GHA"))
    rows = _export(client, norway, "experts", fmt)
    assert list(rows[0]) == EXPERT_HEADER
    assert [r["credentials"] for r in rows] == [CELL, CELL]  # Norway's two, not Ghana's
    assert [r["screening_valid_until"] for r in rows] == ["2029-06-30"] * 2

    again = post(client, norway, "experts", _write(rows, fmt)).json()
    assert (again["unchanged"], again["updated"], again["errors"]) == (2, 0, [])

    copies = [r | {"email": f"copy{n}@example.org", "national_id": f"C-{n}"} for n, r in enumerate(rows)]
    created = post(client, norway, "experts", _write(copies, fmt)).json()
    assert (created["created"], created["errors"]) == (2, [])
    listed = client.get("/experts", params={"q": "Amina Test"}, headers=norway).json()["data"]
    by_email = {e["email"]: e for e in listed}
    for n, original in enumerate(made):
        copy = by_email[f"copy{n}@example.org"]
        assert _said(copy["credentials"]) == _said(original["credentials"])
        assert {(c["verified_by"], c["verified_on"]) for c in copy["credentials"]} == {
            ("test member_state NOR", date.today().isoformat())
        }


def test_offers_export_and_import_again_with_the_same_credentials(client, auth, fmt):
    norway = auth("member_state", "NOR")
    attested = [{"code": "HR-SCREENING", "expires_on": "2029-06-30"}, *HELD]
    made = client.post("/offers", json=factories.offer(credentials=attested), headers=norway).json()
    (row,) = _export(client, norway, "offers", fmt)
    assert list(row) == OFFER_HEADER and row["credentials"] == CELL

    again = post(client, norway, "offers", _write([row], fmt)).json()
    assert (again["unchanged"], again["errors"]) == (1, [])
    created = post(client, norway, "offers", _write([row | {"title": "A copy"}], fmt)).json()
    assert (created["created"], created["errors"]) == (1, [])
    copy = next(o for o in client.get("/offers", headers=norway).json()["data"] if o["title"] == "A copy")
    assert _said(copy["credentials"]) == _said(made["credentials"])
    assert _export(client, auth("member_state", "GHA"), "offers", fmt) == []


def test_a_bad_credential_cell_is_named_by_row_and_column_and_nothing_is_written(client, auth, fmt):
    rows = [
        expert_row(1, credentials="MEDICAL:2027-11-30; CPTM:2025-01-10/2030-01-09"),  # good
        expert_row(2, credentials="XRAY:2027-11-30"),
        expert_row(3, credentials="CPTM:2029-12-31; MEDICAL:2027-13-01"),
        expert_row(4, credentials="MEDICAL:2027-01-01/2026-01-01"),
        expert_row(5, credentials="CPTM:2029-12-31; MEDICAL:2025-01-10/2030-01-10"),
        expert_row(6, credentials="MEDICAL"),
        expert_row(7, credentials="XRAY:2027-11-30", category="pilot"),
    ]
    header = EXPERT_HEADER
    response = post(client, auth("hq"), "experts", as_csv(header, rows) if fmt == "csv" else as_xlsx(header, rows))
    assert response.status_code == 422, response.text
    found = {(e["line"], e["column"]): e["message"] for e in response.json()["errors"]}
    assert set(found) == {(3, "credentials"), (4, "credentials"), (5, "credentials"), (6, "credentials"),
                          (7, "credentials"), (8, "credentials"), (8, "category")}  # fmt: skip
    assert (
        found[3, "credentials"]
        == found[8, "credentials"]
        == ("unknown credential type(s) XRAY: see GET /reference/credential-types for valid codes")
    )
    assert found[4, "credentials"].startswith("item 2 ('MEDICAL:2027-13-01'): ")
    assert "CODE:ISSUED/EXPIRES" in found[4, "credentials"]  # the fix
    assert found[5, "credentials"] == (
        "item 1 ('MEDICAL:2027-01-01/2026-01-01'): MEDICAL: expires_on 2026-01-01 is before issued_on 2027-01-01: "
        "swap them or fix the dates"
    )
    assert found[6, "credentials"] == (
        "item 2 ('MEDICAL:2025-01-10/2030-01-10'): a medical clearance issued on 2025-01-10 is valid for at most "
        "24 months: expires_on can be 2027-01-10 at the latest"
    )
    assert found[7, "credentials"].startswith("item 1 ('MEDICAL'): expires_on missing")
    assert client.get("/experts", headers=auth("hq")).json()["count"] == 0


def test_offers_bad_credential_cells(client, auth):
    rows = [
        offer_row(1, credentials="HR-SCREENING:2029-06-30"),
        offer_row(2, credentials="XRAY:2027-11-30"),
        offer_row(3, credentials="MEDICAL:2025-01-10/2030-01-10"),
    ]
    response = post(client, auth("hq"), "offers", as_csv(OFFER_HEADER, rows))
    assert response.status_code == 422, response.text
    found = {(e["line"], e["column"]): e["message"] for e in response.json()["errors"]}
    assert found == {
        (3, "credentials"): "unknown credential type(s) XRAY: see GET /reference/credential-types for valid codes",
        (4, "credentials"): "item 1 ('MEDICAL:2025-01-10/2030-01-10'): a medical clearance issued on 2025-01-10 "
        "is valid for at most 24 months: expires_on can be 2027-01-10 at the latest",
    }
    assert client.get("/offers", headers=auth("hq")).json()["count"] == 0


def test_the_screening_column_beside_the_credentials_cell(client, auth):
    """A list without HR-SCREENING keeps the screening that the row gives beside it; re-imported, nothing changes;
    the list's HR-SCREENING counts when the screening column is empty."""
    hq = auth("hq")
    first = expert_row(1, screening_valid_until="2029-12-31", credentials="MEDICAL:2027-11-30")
    assert post(client, hq, "experts", as_csv(EXPERT_HEADER, [first])).json()["created"] == 1
    assert post(client, hq, "experts", as_csv(EXPERT_HEADER, [first])).json()["unchanged"] == 1
    renewed = first | {"credentials": "MEDICAL:2028-01-31"}
    assert post(client, hq, "experts", as_csv(EXPERT_HEADER, [renewed])).json()["updated"] == 1
    listed = client.get("/experts", headers=hq).json()["data"]
    assert [(c["code"], c["expires_on"]) for c in listed[0]["credentials"]] == [
        ("HR-SCREENING", "2029-12-31"),
        ("MEDICAL", "2028-01-31"),
    ]
    in_the_list = first | {"screening_valid_until": "", "credentials": "HR-SCREENING:2030-03-31; MEDICAL:2028-01-31"}
    assert post(client, hq, "experts", as_csv(EXPERT_HEADER, [in_the_list])).json()["updated"] == 1
    expert = client.get("/experts", headers=hq).json()["data"][0]
    assert expert["screening_valid_until"] == "2030-03-31" and len(expert["credentials"]) == 2
    too_long = first | {"credentials": "MEDICAL:2025-01-10/2030-01-10"}  # an update: the API's check, on the cell
    (error,) = post(client, hq, "experts", as_csv(EXPERT_HEADER, [too_long])).json()["errors"]
    assert (error["line"], error["column"]) == (2, "credentials")
    assert error["message"].startswith("item 1 ('MEDICAL:2025-01-10/2030-01-10'): a medical clearance issued on")


def test_the_api_takes_the_screening_field_beside_a_list_without_it(client, auth):
    """PATCH with screening_valid_until and a credentials list without HR-SCREENING: both kept (the held screening
    changed in place, not deleted and inserted again, which the database's one-per-type rule refused with a 409)."""
    norway = auth("member_state", "NOR")
    expert = client.post("/experts", json=factories.expert(), headers=norway).json()
    for until in ("2029-12-31", "2029-11-30"):
        body = {"screening_valid_until": until, "credentials": [{"code": "MEDICAL", "expires_on": "2027-11-30"}]}
        changed = client.patch(f"/experts/{expert['id']}", json=body, headers=norway)
        assert changed.status_code == 200, changed.text
        assert [(c["code"], c["expires_on"]) for c in changed.json()["credentials"]] == [
            ("HR-SCREENING", until),
            ("MEDICAL", "2027-11-30"),
        ]


def test_exports_need_a_token(client):
    assert client.get("/experts/export").status_code == 401
    assert client.get("/offers/export").status_code == 401
