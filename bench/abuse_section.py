"""Reads while imports run (issue 17): ``python -m bench.abuse_section``.

On a fresh PostgreSQL database with the demo roster, ``roster serve`` answers ``GET /offers`` from a few clients
that ask again as soon as answered: first idle, then while 4 large dry-run XLSX imports (20,000 rows each, from 4
tokens, each sent again as soon as it answers) run. Before issue 17 one token's 4 imports made this read take
34.9 s. Prints p50 / p95 / p99 of both and the ratio of the p99s; the target is a ratio of at most 2.
"""

import argparse
import statistics
import sys
import tempfile
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from sqlalchemy import func, text
from sqlmodel import Session, select

from bench.api_section import DEFAULT_SERVER, _database, _free_port, _process, _service_env, _wait_http
from bench.import_section import experts_xlsx
from schemas.enums import Role
from service.platform.auth import issue_token
from service.platform.db import make_engine
from service.platform.tables import Expert
from service.seeding import seed_demo, seed_reference

TARGET_RATIO = 2.0
IMPORTERS = 4


def parser() -> argparse.ArgumentParser:
    """The section's options (``python -m bench --help`` lists them too)."""
    parser = argparse.ArgumentParser(prog="python -m bench abuse", description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=20_000, help="rows of each import file")
    parser.add_argument("--experts", type=int, default=5_000, help="demo experts in the database")
    parser.add_argument("--duration", type=float, default=20.0, help="seconds of reads measured, idle and busy")
    parser.add_argument("--clients", type=int, default=2, help="clients reading at once")
    parser.add_argument("--api-workers", type=int, default=2, help="uvicorn processes")
    parser.add_argument("--port", type=int, default=0, help="the server's port (default: any free one)")
    parser.add_argument("--server", default=DEFAULT_SERVER, help="PostgreSQL server URL for a throw-away database")
    parser.add_argument("--database", help="use this existing, migrated database URL instead (kept)")
    return parser


def _options(argv: list[str]) -> argparse.Namespace:
    return parser().parse_known_args(argv)[0]


def _prepare(url: str, experts: int) -> dict[str, list[str]]:
    """Demo data (unless there), a planner token to read and one HQ token per importer."""
    engine = make_engine(url)
    with Session(engine) as session:
        if session.exec(select(func.count()).select_from(Expert)).one() < experts:
            seed_reference(session)
            seed_demo(session, experts=experts, offers=300, requests=50)
        reader = issue_token(session, role=Role.planner, name="abuse reader")[1]
        importers = [issue_token(session, role=Role.hq, name=f"abuse importer {i}")[1] for i in range(IMPORTERS)]
        session.commit()
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("VACUUM ANALYZE"))
    engine.dispose()
    return {"reader": [reader], "importers": importers}


def read_latencies(url: str, token: str, seconds: float, clients: int) -> list[float]:
    """Milliseconds of each GET, from ``clients`` threads asking again as soon as answered, for ``seconds``."""
    times: list[float] = []
    failures: list[int] = []
    deadline = time.monotonic() + seconds

    def read() -> None:
        with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=60) as client:
            while time.monotonic() < deadline:
                started = time.perf_counter()
                status = client.get("/offers").status_code
                times.append((time.perf_counter() - started) * 1000)
                if status != 200:
                    failures.append(status)

    threads = [threading.Thread(target=read) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failures:
        raise RuntimeError(f"GET /offers failed {len(failures)} time(s): {sorted(set(failures))}")
    return times


@dataclass
class Imports:
    """What the importers got: each answer's status and seconds; started tells when all are under way."""

    answers: list[tuple[int, float]] = field(default_factory=list)
    started: threading.Barrier = field(default_factory=lambda: threading.Barrier(IMPORTERS + 1))


@contextmanager
def importing(url: str, tokens: list[str], content: bytes):
    """One thread per token sending the file as a dry run, again and again, until the block ends."""
    imports, stop = Imports(), threading.Event()

    def send(token: str) -> None:
        headers = {"Authorization": f"Bearer {token}"}
        imports.started.wait()
        while not stop.is_set():
            started = time.perf_counter()
            answer = httpx.post(
                url + "/experts/import",
                params={"dry_run": "true"},
                headers=headers,
                files={"file": ("experts.xlsx", content, "application/octet-stream")},
                timeout=300,
            )
            imports.answers.append((answer.status_code, time.perf_counter() - started))

    threads = [threading.Thread(target=send, args=(token,)) for token in tokens]
    for thread in threads:
        thread.start()
    imports.started.wait()
    time.sleep(1.0)  # the uploads are in and their readers started before reads are measured
    try:
        yield imports
    finally:
        stop.set()
        for thread in threads:
            thread.join()


def _percentiles(times: list[float]) -> dict:
    cuts = statistics.quantiles(times, n=100, method="inclusive")
    return {"requests": len(times), "p50_ms": cuts[49], "p95_ms": cuts[94], "p99_ms": cuts[98]}


def measure(url: str, tokens: dict[str, list[str]], content: bytes, seconds: float, clients: int) -> list[dict]:
    """The table's rows: GET /offers idle, then while the imports run, with the ratio of the p99s."""
    reader = tokens["reader"][0]
    read_latencies(url, reader, min(2.0, seconds), clients)  # warm up: connections, caches
    idle = _percentiles(read_latencies(url, reader, seconds, clients))
    with importing(url, tokens["importers"], content) as imports:
        busy = _percentiles(read_latencies(url, reader, seconds, clients))
    statuses = sorted({status for status, _ in imports.answers})
    ratio = busy["p99_ms"] / idle["p99_ms"]
    done = [took for _, took in imports.answers]
    return [
        idle | {"case": "GET /offers, idle", "ratio": None, "target": "baseline", "ok": True},
        busy
        | {
            "case": f"GET /offers, {len(tokens['importers'])} dry-run imports running",
            "ratio": ratio,
            "target": f"p99 <= {TARGET_RATIO:g} x idle",
            "ok": ratio <= TARGET_RATIO,
        },
        {
            "case": f"the imports ({len(done)} answered, statuses {statuses}, "
            f"median {statistics.median(done) if done else float('nan'):.1f} s each)",
            "requests": len(done),
            "p50_ms": None,
            "p95_ms": None,
            "p99_ms": None,
            "ratio": None,
            "target": "every answer 200 (no 429: one import per token at a time; no 5xx)",
            "ok": bool(done) and statuses == [200],
        },
    ]


def run(argv: list[str] | None = None) -> list[dict]:
    opts = _options(argv or [])
    content = experts_xlsx(opts.rows)
    with _database(opts) as url, tempfile.TemporaryDirectory(prefix="roster-abuse-") as folder:
        tokens = _prepare(url, opts.experts)
        port = opts.port or _free_port()
        api, log = f"http://127.0.0.1:{port}", Path(folder) / "api.log"
        serve = [sys.executable, "-m", "service.cli", "serve", "--host", "127.0.0.1", "--port", str(port)]
        environment = "production" if url.startswith("postgresql") else "test"
        env = _service_env(url, ROSTER_ENVIRONMENT=environment)
        with _process([*serve, "--workers", str(opts.api_workers)], env, log) as server:
            _wait_http(api, "/health", server, log)
            rows = measure(api, tokens, content, opts.duration, opts.clients)
    rows[-1]["case"] += f"; files of {opts.rows:,} rows, {len(content) / 1e6:.1f} MB"
    return rows


def table(rows: list[dict]) -> str:
    lines = [
        "| case | requests | p50 ms | p95 ms | p99 ms | p99 / idle | target | ok |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        ms = ["—" if r[k] is None else f"{r[k]:.1f}" for k in ("p50_ms", "p95_ms", "p99_ms")]
        ratio = "—" if r["ratio"] is None else f"{r['ratio']:.2f}"
        ok = "MET" if r["ok"] else "MISSED"
        lines.append(f"| {r['case']} | {r['requests']:,} | {' | '.join(ms)} | {ratio} | {r['target']} | {ok} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Print the table; exit code 1 if a target is missed."""
    try:
        rows = run(sys.argv[1:] if argv is None else argv)
    except RuntimeError as exc:
        print(f"abuse section failed: {exc}", file=sys.stderr)
        return 1
    print(table(rows))
    return 0 if all(r["ok"] for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
