"""Hostile import files: each answers 4xx at once, and the service keeps answering (issue 17).

The first one is the 1.5 KB sheet that killed the process: two cells, A1 and XFD1048576, made the reader
allocate the whole area between them (549 GB)."""

import io
import time
import zipfile

import openpyxl
import pytest

from tests.service.test_imports import post

WITHIN_SECONDS = 2.0


def _xlsx(*cells: tuple[str, str]) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "experts"
    for place, value in cells:
        sheet[place] = value
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _zip(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return out.getvalue()


HOSTILE = {
    "two cells far apart (A1, XFD1048576)": lambda: _xlsx(("A1", "full_name"), ("XFD1048576", "x")),
    "a sheet down to ZZ200000": lambda: _xlsx(("A1", "full_name"), ("ZZ200000", "x")),
    "60,000 rows": lambda: _xlsx(("A1", "full_name"), ("A60002", "x")),
    "300 columns": lambda: _xlsx(("A1", "full_name"), ("KN1", "x")),
    "a CSV header of 100,000 unknown columns": lambda: (",".join(f"c{i}" for i in range(100_000)) + "\n").encode(),
    "a cell of 100,000 characters": lambda: b"full_name,email\n" + b"x" * 100_000 + b",a@b.org\n",
    "not a zip behind a zip's first bytes": lambda: b"PK\x03\x04" + b"\x00" * 2000,
    "a zip of a zip": lambda: _zip({"inner.zip": _zip({"xl/worksheets/sheet1.xml": b"<worksheet/>"})}),
    "a zip that is no workbook": lambda: _zip({"hello.txt": b"hello"}),
    "an old .xls workbook": lambda: b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 2000,
    "bytes in no encoding": lambda: b"full_name,email\n\xff\xfe\x00\x81\x8d,\x90\x9d\n",
    "a UTF-16 CSV (Excel's 'Unicode text')": lambda: "full_name\temail\nAwa\ta@b.org\n".encode("utf-16"),
    "60,000 CSV rows": lambda: b"full_name,email\n" + b"".join(b"Awa %d,a%d@b.org\n" % (n, n) for n in range(60_000)),
}


@pytest.mark.parametrize("name", HOSTILE)
def test_a_hostile_file_is_refused_at_once_and_the_service_goes_on(client, auth, name):
    content = HOSTILE[name]()
    state = auth("member_state", state="NOR")
    started = time.perf_counter()
    answer = post(client, state, "experts", content, dry_run="true")
    took = time.perf_counter() - started
    assert 400 <= answer.status_code < 500, answer.text[:300]
    assert took < WITHIN_SECONDS, f"{name}: {took:.1f} s"
    assert len(answer.content) < 100_000  # the report stays small whatever the file
    assert client.get("/health").status_code == 200


def test_the_far_cell_is_named_with_the_fix(client, auth):
    answer = post(client, auth("hq"), "experts", HOSTILE["two cells far apart (A1, XFD1048576)"](), dry_run="true")
    message = answer.json()["errors"][0]["message"]
    assert "row 1,048,576 and column 16,384" in message and "send CSV" in message
