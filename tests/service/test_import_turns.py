"""Imports that cannot hurt the server (issue 17): one import at a time per token, a report of bounded size, and
a reader in a child process whose memory and time are capped."""

import threading

import pytest

from service.platform.errors import TooManyRequests
from service.platform.settings import get_settings
from service.platform.turns import one_at_a_time
from service.spreadsheets import routes
from service.spreadsheets.parsing import Budget, parse_in_child
from service.spreadsheets.report import FileError
from tests.service.test_imports import EXPERT_HEADER, as_csv, expert_row, post

GOOD = as_csv(EXPERT_HEADER, [expert_row(1)])


class Held:
    """Makes the first import wait inside its turn until released, so that a second one meets it running."""

    def __init__(self, monkeypatch) -> None:
        self.inside, self.release, self.calls = threading.Event(), threading.Event(), 0
        real = routes.service.run_import

        def run_import(*args, **kwargs):
            self.calls += 1
            if self.calls == 1:
                self.inside.set()
                assert self.release.wait(30), "the test never released the first import"
            return real(*args, **kwargs)

        monkeypatch.setattr(routes.service, "run_import", run_import)


def test_a_second_import_from_the_same_token_gets_429_until_the_first_ends(client, auth, monkeypatch):
    held, norway, hq = Held(monkeypatch), auth("member_state", state="NOR"), auth("hq")
    answers: dict = {}

    def send(name: str, headers: dict) -> threading.Thread:
        thread = threading.Thread(
            target=lambda: answers.update({name: post(client, headers, "experts", GOOD, dry_run="true")})
        )
        thread.start()
        return thread

    first = send("first", norway)
    assert held.inside.wait(30)
    try:
        second = post(client, norway, "offers", b"title\n", dry_run="true")  # told at once, while the first runs
        other = send("other token", hq)  # another token's import waits for a free import thread, not refused
    finally:
        held.release.set()
        first.join(30)
    other.join(30)
    assert second.status_code == 429, second.text
    assert second.headers["Retry-After"] == "10"
    assert "an import of yours" in second.json()["detail"]
    assert answers["other token"].status_code == 200, answers["other token"].text
    assert answers["first"].status_code == 200, answers["first"].text
    assert post(client, norway, "experts", GOOD, dry_run="true").status_code == 200  # the turn was let go


def test_the_turn_is_let_go_when_the_import_fails(client, auth, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("the import broke")

    monkeypatch.setattr(routes.service, "run_import", broken)
    hq = auth("hq")
    assert post(client, hq, "experts", GOOD).status_code == 500
    monkeypatch.undo()
    assert post(client, hq, "experts", GOOD, dry_run="true").status_code == 200


def test_the_turn_holds_between_connections_as_between_processes(db_url):
    """Two engines share no connection, as two API processes: the second cannot take a turn the first holds."""
    from service.platform.db import make_engine

    first, second = make_engine(db_url), make_engine(db_url)
    try:
        with one_at_a_time(first, "import by token 7", "busy"):
            with pytest.raises(TooManyRequests), one_at_a_time(second, "import by token 7", "busy"):
                pass
            with one_at_a_time(second, "import by token 8", "busy"):
                pass  # another caller's turn is free
        with one_at_a_time(second, "import by token 7", "busy"):
            pass  # let go when the block ended
    finally:
        first.dispose()
        second.dispose()


def test_both_import_routes_document_the_429(client):
    paths = client.get("/openapi.json").json()["paths"]
    for path in ("/experts/import", "/offers/import"):
        answer = paths[path]["post"]["responses"]["429"]
        assert "an import from the same token is still running" in answer["description"]
        assert "Retry-After" in answer["headers"]


def test_the_report_lists_the_first_problems_and_counts_them_all(client, auth, monkeypatch):
    monkeypatch.setattr(get_settings(), "import_max_errors", 5)
    rows = [expert_row(n, gender="x", category="y") for n in range(1, 5)]
    body = post(client, auth("hq"), "experts", as_csv(EXPERT_HEADER, rows), dry_run="true").json()
    assert (len(body["errors"]), body["total_errors"], body["bad_rows"], body["truncated"]) == (5, 8, 4, True)
    assert body["detail"].startswith("8 error(s) in 4 row(s)")


def test_a_header_of_100_000_unknown_columns_gives_a_small_report(client, auth):
    header = (",".join(f"unknown_column_{i}" for i in range(100_000)) + "\n").encode()
    answer = post(client, auth("hq"), "experts", header, dry_run="true")
    assert answer.status_code == 422
    assert len(answer.content) < 20_000, len(answer.content)


def test_a_long_bad_cell_is_shown_cut(client, auth):
    rows = [expert_row(1, gender="x" * 30_000)]
    error = post(client, auth("hq"), "experts", as_csv(EXPERT_HEADER, rows), dry_run="true").json()["errors"][0]
    assert error["column"] == "gender" and len(error["value"]) < 300 and "30,000 characters" in error["value"]


def test_a_reader_out_of_memory_answers_a_file_error():
    """64 MB is less than the reader needs: the child fails, the caller gets the words to fix it."""
    with pytest.raises(FileError) as refused:
        parse_in_child(GOOD, "experts", Budget(memory_bytes=64 << 20, seconds=30))
    assert "more than 64 MB of memory: split it" in str(refused.value)


def test_a_reader_out_of_time_answers_a_file_error():
    big = as_csv(EXPERT_HEADER, [expert_row(n) for n in range(1, 5000)])
    with pytest.raises(FileError) as refused:
        parse_in_child(big, "experts", Budget(memory_bytes=1 << 30, seconds=0.01))
    assert "took more than 0.01 s: split it" in str(refused.value)


def test_the_reader_in_a_child_gives_the_rows(client, auth, monkeypatch):
    parsed = parse_in_child(
        as_csv(EXPERT_HEADER, [expert_row(1), expert_row(2, gender="x")]), "experts", Budget(1 << 30, 30)
    )
    assert [(r.line, bool(r.errors)) for r in parsed.rows] == [(2, False), (3, True)]
    assert parsed.rows[0].payload.email == "import1@example.org"


def test_the_api_answers_422_when_the_reader_runs_out_of_memory(client, auth, monkeypatch):
    monkeypatch.setattr(get_settings(), "import_memory_mb", 64)
    answer = post(client, auth("hq"), "experts", GOOD, dry_run="true")
    assert answer.status_code == 422
    assert "split it into smaller files, or send CSV" in answer.json()["errors"][0]["message"]
    assert client.get("/health").status_code == 200


def test_rows_come_back_from_the_child_equal_to_rows_read_in_process():
    from service.spreadsheets.parsing import parse

    content = as_csv(
        EXPERT_HEADER,
        [
            expert_row(1, skills="SSR-STRATEGY:4; DDR-DESIGN:3", leave="2027-07-01..2027-07-31"),
            expert_row(2, gender="x"),
        ],
    )
    here, there = parse(content, "experts"), parse_in_child(content, "experts", Budget(1 << 30, 30))
    assert [r.payload for r in there.rows] == [r.payload for r in here.rows]
    assert there.rows[0].payload.skills[0].code == here.rows[0].payload.skills[0].code
    assert there.rows[0].payload.model_fields_set == here.rows[0].payload.model_fields_set
    assert [r.errors for r in there.rows] == [r.errors for r in here.rows] and there.rows[1].errors
    assert (there.header_line, there.names) == (here.header_line, here.names)


def test_imports_can_read_in_the_calling_process(client, auth, monkeypatch):
    """ROSTER_IMPORT_IN_CHILD=false: the same answers, read without a child (and without its limits)."""
    monkeypatch.setattr(get_settings(), "import_in_child", False)
    monkeypatch.setattr(get_settings(), "import_memory_mb", 64)  # would fail in a child: unused here
    answer = post(client, auth("hq"), "experts", as_csv(EXPERT_HEADER, [expert_row(1), expert_row(2, gender="x")]))
    assert answer.status_code == 422 and [e["column"] for e in answer.json()["errors"]] == ["gender"]


def test_no_full_collection_stalls_the_process_while_an_import_runs(client, auth, monkeypatch):
    """A full collection during a 20k-row import took up to 860 ms, every request waiting: paused meanwhile."""
    import gc
    import sys

    from service.platform import heavy

    seen = []
    real = routes.service._run_import

    def spy(*args, **kwargs):
        seen.append((gc.isenabled(), round(sys.getswitchinterval(), 6)))
        return real(*args, **kwargs)

    monkeypatch.setattr(routes.service, "_run_import", spy)
    assert post(client, auth("hq"), "experts", GOOD, dry_run="true").status_code == 200
    assert seen == [(False, 0.001)] and gc.isenabled() and sys.getswitchinterval() == 0.005
    with heavy.paused():
        with heavy.paused():
            assert not gc.isenabled()
        assert not gc.isenabled()  # on again only when the last paused block ends
    assert gc.isenabled()
