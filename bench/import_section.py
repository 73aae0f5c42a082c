"""The import benchmark: a 10,000-row XLSX of demo experts into a fresh SQLite database, parse + validate + write.

``python -m bench.import_section [--rows N] [--repeat R]`` prints a table; the target is 10 s (wall) for 10,000 rows.
CPU seconds are shown beside: far below the wall time, the machine was busy with something else.
"""

import argparse
import io
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROWS = 10_000
REPEAT = 3
TARGET_SECONDS = 10.0


def _cells(expert) -> list:
    """One demo expert as a row of the import file, in the template's column order."""
    d = expert.model_dump(mode="json")
    pairs = lambda items, a, b: "; ".join(f"{i[a]}:{i[b]}" for i in items)  # noqa: E731
    windows = lambda items: "; ".join(f"{w['start']}..{w['end']}" for w in items)  # noqa: E731
    return [
        d["full_name"],
        d["email"],
        d["national_id"],
        d["category"],
        d["nationality"],
        d["gender"],
        d["grade"],
        d["source"],
        d["notice_days"],
        expert.screening_valid_until,
        d["active"],
        d["state"],
        pairs(d["skills"], "code", "proficiency"),
        pairs(d["languages"], "code", "level"),
        "; ".join(d["levels"]),
        windows(d["availability"]),
        windows(d["leave"]),
    ]


def experts_xlsx(rows: int) -> bytes:
    """A realistic import file: the demo roster's experts, written with the template's header."""
    import openpyxl

    from seed_data.demo import generate
    from service.spreadsheets.columns import EXPERT_COLUMNS

    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet("experts")
    sheet.append([c.name for c in EXPERT_COLUMNS])
    for expert in generate(experts=rows, offers=0, requests=0).experts:
        sheet.append(_cells(expert))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _template(folder: Path) -> Path:
    from sqlmodel import Session

    from service.platform.db import make_engine, upgrade
    from service.seeding import seed_reference

    path = folder / "template.db"
    upgrade(f"sqlite:///{path}")
    engine = make_engine(f"sqlite:///{path}")
    with Session(engine) as session:
        seed_reference(session)
    engine.dispose()
    return path


def _timed_import(database: Path, content: bytes, times: int = 1) -> tuple[list[tuple[float, float]], object]:
    """(wall, CPU) seconds of each of ``times`` imports of the same file into one database (the first creates)."""
    from sqlmodel import Session

    from schemas.enums import Role
    from service.platform.auth import Principal
    from service.platform.db import make_engine
    from service.platform.unit import Unit
    from service.spreadsheets.service import run_import

    engine = make_engine(f"sqlite:///{database}")
    principal = Principal(token_id=None, name="bench", role=Role.hq)
    seconds, report = [], None
    for _ in range(times):
        started, cpu = time.perf_counter(), time.process_time()
        with Session(engine, expire_on_commit=False) as session:
            report = run_import(Unit(session, principal), kind="experts", content=content)
        seconds.append((time.perf_counter() - started, time.process_time() - cpu))
    engine.dispose()
    return seconds, report


def parser() -> argparse.ArgumentParser:
    """The section's options (``python -m bench --help`` lists them too)."""
    parser = argparse.ArgumentParser(prog="python -m bench import", description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=ROWS, help="experts in the import file")
    parser.add_argument("--repeat", type=int, default=REPEAT, help="imports into a fresh database; median reported")
    return parser


def run(args: list[str]) -> list[dict]:
    """Rows of the table: new rows into a fresh database (median of R), then the same file again (updates)."""
    options, _ = parser().parse_known_args(args)
    content = experts_xlsx(options.rows)
    fresh, again = [], []
    with tempfile.TemporaryDirectory() as folder:
        template = _template(Path(folder))
        for i in range(options.repeat):
            database = Path(folder) / f"run{i}.db"
            shutil.copyfile(template, database)
            seconds, report = _timed_import(database, content, times=2 if i == 0 else 1)
            if report.errors or (report.created + report.unchanged) != options.rows:
                raise RuntimeError(f"the import did not take every row: {report.errors[:3]}")
            fresh.append(seconds[0])
            again += seconds[1:]
    size, wall = f"{len(content) / 1e6:.1f} MB", statistics.median(w for w, _ in fresh)
    return [
        {
            "case": f"XLSX ({size}), new experts, fresh database",
            "rows": options.rows,
            "seconds": round(wall, 2),
            "cpu_seconds": round(statistics.median(c for _, c in fresh), 2),
            "target": TARGET_SECONDS,
            "ok": wall <= TARGET_SECONDS,
        },
        {
            "case": "the same file again (all unchanged)",
            "rows": options.rows,
            "seconds": round(again[0][0], 2),
            "cpu_seconds": round(again[0][1], 2),
            "target": None,
            "ok": None,
        },
    ]


def _table(rows: list[dict]) -> str:
    lines = ["| case | rows | seconds | CPU seconds | target | ok |", "|---|---|---|---|---|---|"]
    for r in rows:
        target = f"≤ {r['target']:.0f} s" if r["target"] else "—"
        ok = "—" if r["ok"] is None else "MET" if r["ok"] else "MISSED"
        lines.append(f"| {r['case']} | {r['rows']:,} | {r['seconds']:.2f} | {r['cpu_seconds']:.2f} | {target} | {ok} |")
    return "\n".join(lines)


def main(args: list[str] | None = None) -> int:
    rows = run(sys.argv[1:] if args is None else args)
    print(_table(rows))
    return 0 if all(r["ok"] is not False for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
