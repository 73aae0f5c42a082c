"""API load against baselines measured in the same run: ``python -m bench api``.

On a fresh PostgreSQL database with the demo roster (``--experts``, 20,000 by default; seeded in bulk by
bench/roster_load.py, 200,000 in a few minutes), wrk drives in turn, for several rounds, the bare FastAPI app
(bench/bare_app.py: ``/bare``, the framework's ceiling, and ``/bare-db``, the same after one ``SELECT 1``),
``GET /experts/{id}``, the filtered expert list with the same query each time (its answer kept), varied
searches with 5 % writes, and ``POST /offers``; each figure is the median over the rounds, so that a noisy
moment on a shared machine weighs on one round, not on the result. Then, once and for information: the bare
app on the event loop; then the two reads again while a large plan solves in a ``roster worker`` (once its
instance is built; the CPU that the worker and its solver used meanwhile is printed: both run at the lowest
priority, so they take what the API leaves). Both servers run with the same uvicorn settings (workers, log
level, no access log). Prints requests per second, p50 / p95 / p99 and the ratios to both bare endpoints.

Varied searches (issue 22): each request a different ``GET /experts?...`` drawn from the demo's distributions
(skills and languages with minimums, level, category, period, part of a name, state, a later page by offset or
by ``after``), one request in 20 a Member State's PATCH of one of its experts, which moves the roster's
version so that kept answers are dropped as in real use. Targets depend on the roster's size: up to 20,000
experts, >= 0.3 x ``/bare-db``'s req/s and p99 < 100 ms; above (the issue's 200,000), p99 < 250 ms alone;
no errors either way (wrk counts an answer >= 400 as an error).

``--checkout PATH`` serves another checkout of the repository (same virtualenv) on a database that checkout
migrated and seeded (its reference data, offers and requests; the experts in bulk, the same rows): run the
section once with ``--checkout`` on the code before a change and once without, or compare two worktrees.
"""

import argparse
import json
import os
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
from sqlalchemy import make_url, text

from bench import roster_load
from service.platform.db import make_engine, upgrade

DEFAULT_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
ROOT = Path(__file__).resolve().parent.parent
# Present in most of the demo roster: RECRUITMENT is the most common skill, English the most common
# language, and most availability windows run from early 2027 into 2028.
LIST_QUERY = "/experts?skill=RECRUITMENT:3&language=en:3&available_from=2027-03-01&available_to=2027-09-30"
READ_P99_MS, WRITE_P99_MS, READ_RATIO, SOLVE_SLOWDOWN = 50.0, 100.0, 0.5, 2.0
SEARCHES, WRITES, SAMPLE = 4000, 1000, 3000  # distinct search paths, distinct PATCHes, demo experts drawn from
# The checkout's own seeding, for all but the experts: reference data first (the experts' rows name it).
SEED_OTHERS = (
    "import os; from sqlmodel import Session; from service.platform.db import make_engine; "
    "from service.seeding import seed_demo, seed_reference; "
    "engine = make_engine(os.environ['ROSTER_DATABASE_URL']); session = Session(engine); "
    "seed_reference(session); seed_demo(session, experts=0, offers=300, requests=200)"
)

LUA_COMMON = r"""
local threads = {}
local count = 0
function setup(thread)
  count = count + 1
  thread:set("tid", count)
  table.insert(threads, thread)
end
-- Each wrk process and thread its own random run number: a warm-up and the measurement after it, started in
-- the same second, would otherwise draw the same requests and POST the same offer titles (409 conflicts).
function init(args)
  local urandom = io.open("/dev/urandom", "rb")
  local a, b, c = urandom:read(3):byte(1, 3)
  urandom:close()
  run = (a * 256 + b) * 256 + c
  math.randomseed(run * 64 + tid)
  serial = 0
  wrk.headers["Authorization"] = "Bearer __TOKEN__"
end
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRKJSON {"requests":%d,"duration_us":%d,"p50_us":%d,"p95_us":%d,"p99_us":%d,"max_us":%d,' ..
    '"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(95),
    latency:percentile(99), latency.max, e.connect, e.read, e.write, e.status, e.timeout))
end
"""

LUA_BY_ID = r"""
function request()
  return wrk.format("GET", "/experts/" .. math.random(__LO__, __HI__))
end
"""


# Searches by the planner's token (wrk.headers); one request in __EVERY__ a Member State's PATCH by its own token.
LUA_VARIED = r"""
local reads = {__READS__}
local writes = {__WRITES__}
local writer = {["Authorization"] = "Bearer __WRITER__", ["Content-Type"] = "application/json"}
function request()
  serial = serial + 1
  if serial % __EVERY__ == 0 then
    local w = writes[math.random(#writes)]
    return wrk.format(w[1], w[2], writer, w[3])
  end
  return wrk.format("GET", reads[math.random(#reads)])
end
"""

LUA_POST_OFFER = r"""
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local template = '{"title":"Bench offer %s-%d-%d-%d","kind":"individual","slots":1,"category":"police",' ..
  '"available_from":"2027-03-01","available_to":"2027-12-31","max_duration_days":365,"readiness":"pledged",' ..
  '"cost_bearer":"member_state","notice_days":30,"expires_on":"2029-06-30",' ..
  '"skills":[{"code":"SSR-STRATEGY","proficiency":3}],"levels":["strategic"],' ..
  '"languages":[{"code":"en","level":4}],"excluded_missions":[],"excluded_states":[]}'
function request()
  serial = serial + 1
  return wrk.format(nil, "/offers", nil, string.format(template, "__NONCE__", run, tid, serial))
end
"""


@dataclass
class Load:
    """One wrk run's figures."""

    requests: int
    seconds: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    errors: int
    cpu_seconds: float = 0.0
    db_cpu_seconds: float = 0.0

    @classmethod
    def median(cls, loads: list["Load"]) -> "Load":
        """Each figure's median over several runs (errors: their total)."""
        middle = sorted(loads, key=lambda load: load.rps)[len(loads) // 2]

        def median(figure: str) -> float:
            return statistics.median(getattr(load, figure) for load in loads)

        return cls(
            requests=middle.requests,
            seconds=middle.seconds,
            p50_ms=median("p50_ms"),
            p95_ms=median("p95_ms"),
            p99_ms=median("p99_ms"),
            errors=sum(load.errors for load in loads),
            cpu_seconds=median("cpu_ms") * middle.requests / 1000,
            db_cpu_seconds=median("db_cpu_ms") * middle.requests / 1000,
        )

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def cpu_ms(self) -> float:
        """Server CPU per request: unlike req/s, it barely moves when other programs share the machine."""
        return 1000 * self.cpu_seconds / self.requests if self.requests else 0.0

    @property
    def db_cpu_ms(self) -> float:
        return 1000 * self.db_cpu_seconds / self.requests if self.requests else 0.0


def parser() -> argparse.ArgumentParser:
    """The section's options (``python -m bench --help`` lists them too)."""
    parser = argparse.ArgumentParser(prog="python -m bench api", description=__doc__.splitlines()[0])
    parser.add_argument("--experts", type=int, default=20_000, help="demo experts seeded; the targets depend on it")
    parser.add_argument("--duration", type=int, default=10, help="seconds measured per endpoint and round")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of bare, reads and writes; medians reported")
    parser.add_argument("--warmup", type=int, default=3, help="seconds of load before each measurement")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--api-workers", type=int, default=2, help="uvicorn processes for both servers")
    parser.add_argument("--solve-seconds", type=float, default=20.0, help="time limit of the plan in the mixed run")
    parser.add_argument(
        "--server",
        default=os.environ.get("ROSTER_BENCH_DATABASE_URL", DEFAULT_SERVER),
        help="PostgreSQL server URL on which a throw-away database is created",
    )
    parser.add_argument("--database", help="use this existing, seeded database URL instead (kept)")
    parser.add_argument(
        "--checkout",
        type=Path,
        default=ROOT,
        help="serve this checkout of the repository (migrated and seeded by its own code): a before/after run",
    )
    return parser


@dataclass(frozen=True)
class VariedTarget:
    """The varied searches' target at one roster size: a share of ``/bare-db``'s req/s (None: none) and a p99."""

    ratio: float | None
    p99_ms: float

    @classmethod
    def at(cls, experts: int) -> "VariedTarget":
        """Issue 22's targets: 20,000 experts or fewer, >= 0.3 x bare-db and p99 < 100 ms; more, p99 < 250 ms."""
        return cls(0.3, 100.0) if experts <= 20_000 else cls(None, 250.0)

    def text(self) -> str:
        share = f">= {self.ratio:g} x bare-db, " if self.ratio is not None else ""
        return f"{share}p99 < {self.p99_ms:g} ms, no errors, roster changed"

    def met(self, load: "Load", bare_db_rps: float) -> bool:
        fast = self.ratio is None or load.rps >= self.ratio * bare_db_rps
        return fast and load.p99_ms < self.p99_ms


def _options(argv: list[str]) -> argparse.Namespace:
    return parser().parse_known_args(argv)[0]


def _processes() -> dict[int, tuple[str, list[str]]]:
    """Each live process's name and the fields of its /proc stat after the name (Linux): state(0) ppid(1)
    pgrp(2) ... utime(11) stime(12)."""
    found = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            name, rest = stat.read_text().rsplit(")", 1)
        except OSError:
            continue
        found[int(stat.parent.name)] = (name, rest.split())
    return found


def _ticks(fields: list[str]) -> int:
    return int(fields[11]) + int(fields[12])


def _cpu_seconds(pgid: int | None = None) -> float:
    """User + system CPU seconds used so far by the live processes of a process group, or by
    PostgreSQL's processes if no group is given."""
    ticks = sum(
        _ticks(fields)
        for name, fields in _processes().values()
        if ((int(fields[2]) == pgid) if pgid is not None else name.endswith("(postgres"))
    )
    return ticks / os.sysconf("SC_CLK_TCK")


def _tree_cpu_seconds(root: int) -> float:
    """CPU seconds used so far by a process and its live descendants, whatever their group (the
    solver leads a session of its own)."""
    processes = _processes()
    children: dict[int, list[int]] = {}
    for pid, (_, fields) in processes.items():
        children.setdefault(int(fields[1]), []).append(pid)
    tree, ticks = [root], 0
    while tree:
        pid = tree.pop()
        if pid in processes:
            ticks += _ticks(processes[pid][1])
        tree.extend(children.get(pid, []))
    return ticks / os.sysconf("SC_CLK_TCK")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _checkout_env(checkout: Path, url: str) -> dict:
    return _service_env(url, PYTHONPATH=str(checkout))


def _in_checkout(checkout: Path, url: str, *args: str) -> str:
    """Run ``python ARGS`` in a checkout, on its own code; its stdout (RuntimeError with its output on failure)."""
    done = subprocess.run(
        [sys.executable, *args], cwd=checkout, env=_checkout_env(checkout, url), capture_output=True, text=True
    )
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(args[:4])} in {checkout} failed: {done.stdout[-1000:]} {done.stderr[-2000:]}")
    return done.stdout


def _migrate(url: str, checkout: Path) -> None:
    if checkout == ROOT:
        upgrade(url)
    else:
        _in_checkout(checkout, url, "-m", "service.cli", "db", "upgrade")


@contextmanager
def _database(opts: argparse.Namespace, checkout: Path = ROOT):
    """A fresh database URL on the server, migrated by ``checkout``, dropped at the end (or the one given, kept)."""
    if opts.database:
        yield opts.database
        return
    name = f"roster_bench_{uuid.uuid4().hex[:10]}"
    admin = make_engine(opts.server).execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        url = make_url(opts.server).set(database=name).render_as_string(hide_password=False)
        _migrate(url, checkout)
        yield url
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _scalar(url: str, sql: str) -> int:
    engine = make_engine(url)
    with engine.connect() as connection:
        value = int(connection.execute(text(sql)).scalar_one())
    engine.dispose()
    return value


def _seed(url: str, experts: int, checkout: Path) -> None:
    """The checkout's reference data, offers and requests, then the demo's experts in bulk; both timed."""
    started = time.perf_counter()
    _in_checkout(checkout, url, "-c", SEED_OTHERS)
    others = time.perf_counter() - started
    engine = make_engine(url)
    done = roster_load.seed_experts(engine, experts=experts)
    engine.dispose()
    print(
        f"seeded {done.added:,} experts in bulk in {time.perf_counter() - started - others:.0f} s (generated in "
        f"{done.generated_s:.0f} s, written in {done.written_s:.0f} s); reference "
        f"data, 300 offers, 200 requests by the checkout's seeding in {others:.0f} s",
        flush=True,
    )
    if done.defaulted_columns:
        print(f"warning: expert columns left to their defaults: {', '.join(done.defaulted_columns)}", flush=True)


def _token(url: str, checkout: Path, role: str, state: str | None = None) -> str:
    named = ["--role", role, "--name", "bench", *(["--state", state] if state else [])]
    made = _in_checkout(checkout, url, "-m", "service.cli", "token", "create", *named)
    return made.strip().splitlines()[-1]


def _prepare(url: str, experts: int, checkout: Path = ROOT) -> dict:
    """Seed the demo (unless already there); tokens; the range of expert ids; the varied workload's writer."""
    if _scalar(url, "SELECT count(*) FROM expert") < experts:
        _seed(url, experts, checkout)
    engine = make_engine(url)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("VACUUM ANALYZE"))  # planner statistics, as a live database has them
        lo, hi = (int(x) for x in connection.execute(text("SELECT min(id), max(id) FROM expert")).one())
    sample = roster_load.Sample.of(min(SAMPLE, experts), lo, hi)
    writer = roster_load.busiest_state(sample)
    with engine.connect() as connection:
        owned = roster_load.owned_skills(connection, writer)
    engine.dispose()
    return {
        "planner": _token(url, checkout, "planner"),
        "member": _token(url, checkout, "member_state", "NOR"),
        "writer": _token(url, checkout, "member_state", writer),
        "lo": lo,
        "hi": hi,
        "sample": sample,
        "owned": owned,
    }


def _count_offers(url: str) -> int:
    return _scalar(url, "SELECT count(*) FROM offer")


def _roster_version(url: str) -> int:
    return _scalar(url, "SELECT version FROM data_version WHERE name = 'experts'")


@contextmanager
def _process(command: list[str], env: dict, log: Path, cwd: Path = ROOT):
    """A child process in its own group, logging to ``log``, ended with SIGTERM (SIGKILL after 10 s)."""
    with open(log, "ab") as out:
        child = subprocess.Popen(
            command, env=env, cwd=cwd, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        yield child
    finally:
        if child.poll() is None:
            os.killpg(child.pid, signal.SIGTERM)
            try:
                child.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(child.pid, signal.SIGKILL)
                child.wait(timeout=10)


def _wait_http(base: str, path: str, child: subprocess.Popen, log: Path, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if child.poll() is not None:
            raise RuntimeError(f"{base} exited with {child.returncode}:\n{log.read_text()[-2000:]}")
        try:
            if httpx.get(base + path, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{base}{path} did not answer 200 within {seconds:.0f} s:\n{log.read_text()[-2000:]}")


def _service_env(url: str, **extra: str) -> dict:
    return (
        os.environ
        | {
            "ROSTER_DATABASE_URL": url,
            "ROSTER_ENVIRONMENT": "production",
            "ROSTER_WORKER": "external",
            "ROSTER_LOG_LEVEL": "WARNING",
            "PYTHONUNBUFFERED": "1",
        }
        | extra
    )


def _script(folder: Path, name: str, token: str, body: str = "", **values: object) -> Path:
    source = LUA_COMMON.replace("__TOKEN__", token) + body
    for key, value in values.items():
        source = source.replace(f"__{key.upper()}__", str(value))
    path = folder / f"{name}.lua"
    path.write_text(source)
    return path


def _lua(text: str) -> str:
    """A Lua long string: no escaping needed (URL-encoded paths and JSON never hold ``]==]``)."""
    return f"[==[{text}]==]"


def varied_body(paths: list[str], writes: list[roster_load.Write], writer: str) -> str:
    """The varied workload's ``request()``: a random search, and every ``WRITE_EVERY``-th request a write."""
    reads = ",\n".join(_lua(path) for path in paths)
    changes = ",\n".join(f"{{{_lua(w.method)}, {_lua(w.path)}, {_lua(w.body)}}}" for w in writes)
    body = LUA_VARIED.replace("__EVERY__", str(roster_load.WRITE_EVERY)).replace("__WRITER__", writer)
    return body.replace("__READS__", reads).replace("__WRITES__", changes)


def _varied_script(folder: Path, tokens: dict) -> Path:
    rng = random.Random(22)  # the same workload on every run: before and after see the same questions
    paths = roster_load.search_paths(rng, tokens["sample"], SEARCHES)
    writes = roster_load.write_requests(rng, tokens["owned"], WRITES)
    return _script(folder, "varied", tokens["planner"], varied_body(paths, writes, tokens["writer"]))


def _wrk(opts: argparse.Namespace, url: str, script: Path, seconds: int) -> Load:
    command = [
        "wrk",
        f"-t{opts.threads}",
        f"-c{opts.connections}",
        f"-d{seconds}s",
        "--timeout",
        "10s",
        "-s",
        str(script),
        url,
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60, check=False)
    line = next((x for x in done.stdout.splitlines() if x.startswith("WRKJSON ")), None)
    if done.returncode != 0 or line is None:
        raise RuntimeError(f"wrk failed ({done.returncode}): {done.stdout[-1000:]} {done.stderr[-1000:]}")
    r = json.loads(line.removeprefix("WRKJSON "))
    errors = r["connect"] + r["read"] + r["write"] + r["status"] + r["timeout"]
    return Load(
        requests=r["requests"],
        seconds=r["duration_us"] / 1e6,
        p50_ms=r["p50_us"] / 1000,
        p95_ms=r["p95_us"] / 1000,
        p99_ms=r["p99_us"] / 1000,
        errors=errors,
    )


def _measure(opts: argparse.Namespace, url: str, script: Path, server: subprocess.Popen) -> Load:
    if opts.warmup:
        _wrk(opts, url, script, opts.warmup)
    before, db_before = _cpu_seconds(server.pid), _cpu_seconds()
    load = _wrk(opts, url, script, opts.duration)
    load.cpu_seconds, load.db_cpu_seconds = _cpu_seconds(server.pid) - before, _cpu_seconds() - db_before
    return load


def _row(endpoint: str, load: Load, bare_rps: float | None, target: str, ok: bool) -> dict:
    return {
        "endpoint": endpoint,
        "rps": round(load.rps, 1),
        "p50_ms": round(load.p50_ms, 1),
        "p95_ms": round(load.p95_ms, 1),
        "p99_ms": round(load.p99_ms, 1),
        "ratio_to_bare": round(load.rps / bare_rps, 2) if bare_rps else None,
        "errors": load.errors,
        "cpu_ms_per_request": round(load.cpu_ms, 2),
        "db_cpu_ms_per_request": round(load.db_cpu_ms, 2),
        "target": target,
        "ok": ok and load.errors == 0,
    }


def _read_row(endpoint: str, load: Load, bare_rps: float) -> dict:
    ok = load.rps >= READ_RATIO * bare_rps and load.p99_ms < READ_P99_MS
    return _row(endpoint, load, bare_rps, f">= {READ_RATIO:g} x bare, p99 < {READ_P99_MS:g} ms, no errors", ok)


def _plan(api: str, token: str, plan_id: int) -> dict:
    answer = httpx.get(f"{api}/plans/{plan_id}", headers={"Authorization": f"Bearer {token}"}, timeout=10)
    return answer.json()


def _plan_status(api: str, token: str, plan_id: int) -> str:
    return _plan(api, token, plan_id)["status"]


def _building(plan: dict) -> bool:
    return plan["status"] == "queued" or (
        plan["status"] == "running" and (plan["progress"] or {}).get("phase") == "building"
    )


def _start_plan(api: str, token: str, solve_seconds: float) -> int:
    """Queue a plan over every open request and wait until a worker has built its instance and solves it."""
    answer = httpx.post(
        f"{api}/plans",
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
        json={"time_limit": solve_seconds, "workers": 2},
    )
    answer.raise_for_status()
    plan_id = answer.json()["id"]
    deadline = time.monotonic() + 180
    while _building(plan := _plan(api, token, plan_id)):
        if time.monotonic() > deadline:
            raise RuntimeError(f"plan {plan_id} was not solving within 180 s: {plan['status']}, {plan['progress']}")
        time.sleep(0.2)
    if plan["status"] != "running":
        raise RuntimeError(f"plan {plan_id} is {plan['status']} before the load started")
    return plan_id


def _mixed(opts, api: str, url: str, tokens: dict, reads: dict, log: Path) -> list[dict]:
    """The two reads again while a large plan solves; p99 must stay within twice its idle value."""
    rows = []
    worker_command = [sys.executable, "-m", "service.cli", "worker"]
    with _process(worker_command, _checkout_env(opts.checkout, url), log, cwd=opts.checkout) as worker:
        for endpoint, (target, script, idle) in reads.items():
            plan_id = _start_plan(api, tokens["planner"], opts.solve_seconds)
            solver_before = _tree_cpu_seconds(worker.pid)
            load = _wrk(opts, target, script, opts.duration)
            load.cpu_seconds = load.db_cpu_seconds = float("nan")  # the worker's share cannot be told apart
            solver_cpu = _tree_cpu_seconds(worker.pid) - solver_before
            status = _plan_status(api, tokens["planner"], plan_id)
            limit = SOLVE_SLOWDOWN * idle.p99_ms
            row = _row(
                f"{endpoint} while solving",
                load,
                None,
                f"p99 <= {SOLVE_SLOWDOWN:g} x idle ({limit:.1f} ms), plan still running (its worker and "
                f"solver, at the lowest priority, used {solver_cpu:.1f} CPU-s in {load.seconds:.0f} s)",
                load.p99_ms <= limit and status == "running",
            )
            row["solver_cpu_s"] = round(solver_cpu, 1)
            row["ratio_to_bare"] = None
            row["p99_vs_idle"] = round(load.p99_ms / idle.p99_ms, 2)
            rows.append(row)
            _wait_plan_end(api, tokens["planner"], plan_id, opts.solve_seconds + 120)
    return rows


def _wait_plan_end(api: str, token: str, plan_id: int, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while _plan_status(api, token, plan_id) in ("queued", "running"):
        if time.monotonic() > deadline:
            httpx.delete(f"{api}/plans/{plan_id}", headers={"Authorization": f"Bearer {token}"}, timeout=10)
            return
        time.sleep(0.5)


def _servers(opts: argparse.Namespace, stack: ExitStack, url: str, folder: Path):
    """The checkout's API and the bare app, started and answering; their base URLs and processes."""
    api, bare = f"http://127.0.0.1:{_free_port()}", f"http://127.0.0.1:{_free_port()}"
    uvicorn = ["--host", "127.0.0.1", "--workers", str(opts.api_workers)]
    serve = [sys.executable, "-m", "service.cli", "serve", *uvicorn, "--port", api.rsplit(":", 1)[1]]
    plain = [sys.executable, "-m", "uvicorn", "bench.bare_app:app", *uvicorn, "--port", bare.rsplit(":", 1)[1]]
    plain += ["--log-level", "warning", "--no-access-log"]
    api_log, bare_log = folder / "api.log", folder / "bare.log"
    api_child = stack.enter_context(_process(serve, _checkout_env(opts.checkout, url), api_log, cwd=opts.checkout))
    bare_env = os.environ | {"PYTHONUNBUFFERED": "1", "BENCH_DATABASE_URL": url}
    bare_child = stack.enter_context(_process(plain, bare_env, bare_log))
    _wait_http(api, "/health", api_child, api_log)
    _wait_http(bare, "/bare", bare_child, bare_log)
    return api, api_child, bare, bare_child


def _rows(opts: argparse.Namespace, loads: dict[str, Load], offers_made: int, versions: int) -> list[dict]:
    """The measured rows, each with its target; the ratios to /bare and to /bare-db."""
    bare, bare_db, varied, posted = loads["bare"], loads["bare-db"], loads["varied"], loads["post"]
    target = VariedTarget.at(opts.experts)
    writes = f"{100 / roster_load.WRITE_EVERY:g} %"
    return [
        _row(f"bare GET /bare (median of {opts.rounds})", bare, bare.rps, "baseline, no errors", True),
        _row("bare GET /bare-db (async, one SELECT 1)", bare_db, bare.rps, "baseline, no errors", True),
        _read_row("GET /experts/{id}", loads["by id"], bare.rps),
        _read_row("GET /experts?skill&language&available", loads["list"], bare.rps),
        _row(
            f"GET /experts?... varied + {writes} writes",
            varied,
            bare.rps,
            f"{target.text()} (roster version +{versions} in {opts.rounds} round(s))",
            target.met(varied, bare_db.rps) and versions > 0,
        ),
        _row(
            "POST /offers",
            posted,
            bare.rps,
            f"p99 < {WRITE_P99_MS:g} ms, no errors, each a new offer",
            posted.p99_ms < WRITE_P99_MS and offers_made >= posted.requests,
        )
        | {"offers_created": offers_made},
    ]


def _with_bare_db(rows: list[dict], bare_db_rps: float) -> list[dict]:
    for r in rows:
        r["ratio_to_bare_db"] = round(r["rps"] / bare_db_rps, 2) if r["ratio_to_bare"] is not None else None
    return rows


def run(argv: list[str] | None = None) -> list[dict]:
    """Measure every endpoint in turn; one row each, with its target and whether it was met."""
    opts = _options(argv or [])
    opts.checkout = opts.checkout.resolve()
    if shutil.which("wrk") is None:
        raise RuntimeError("wrk is not installed: `apt-get install -y wrk` (Debian's package) and run again")
    with ExitStack() as stack, _database(opts, opts.checkout) as url:
        folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="roster-bench-")))
        tokens = _prepare(url, opts.experts, opts.checkout)
        api, api_child, bare, bare_child = _servers(opts, stack, url, folder)
        static = _script(folder, "static", tokens["planner"])
        by_id = _script(folder, "by_id", tokens["planner"], LUA_BY_ID, lo=tokens["lo"], hi=tokens["hi"])
        post = _script(folder, "post", tokens["member"], LUA_POST_OFFER, nonce=uuid.uuid4().hex[:8])
        varied = _varied_script(folder, tokens)
        offers_before, versions = _count_offers(url), 0

        rounds: dict[str, list[Load]] = {name: [] for name in ("bare", "bare-db", "by id", "list", "varied", "post")}
        for _ in range(opts.rounds):
            rounds["bare"].append(_measure(opts, bare + "/bare", static, bare_child))
            rounds["bare-db"].append(_measure(opts, bare + "/bare-db", static, bare_child))
            rounds["by id"].append(_measure(opts, api, by_id, api_child))
            rounds["list"].append(_measure(opts, api + LIST_QUERY, static, api_child))
            version = _roster_version(url)
            rounds["varied"].append(_measure(opts, api, varied, api_child))
            versions += _roster_version(url) - version  # the writes' commits (the warm-up's included)
            rounds["post"].append(_measure(opts, api, post, api_child))
        offers_made = _count_offers(url) - offers_before
        loads = {name: Load.median(each) for name, each in rounds.items()}
        rows = _rows(opts, loads, offers_made, versions)
        bare_async = _measure(opts, bare + "/bare-async", static, bare_child)
        rows.append(
            _row(
                "bare GET /bare-async (async def)",
                bare_async,
                loads["bare"].rps,
                "information: the framework's ceiling on the event loop",
                True,
            )
        )
        reads = {
            "GET /experts/{id}": (api, by_id, loads["by id"]),
            "GET /experts?skill&language&available": (api + LIST_QUERY, static, loads["list"]),
        }
        rows += _mixed(opts, api, url, tokens, reads, folder / "worker.log")
    return _with_bare_db(rows, loads["bare-db"].rps)


def _ms(value: float) -> str:
    return "-" if value != value else f"{value:.2f}"  # NaN: not measured


def table(rows: list[dict]) -> str:
    header = (
        f"{'endpoint':46} {'req/s':>7} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} {'x bare':>6} {'x db':>5} "
        f"{'errors':>6} "
        f"{'cpu ms/req':>10} {'pg ms/req':>9}  ok  target"
    )
    lines = [header, "-" * len(header)]
    for r in rows:
        ratio = (
            f"{r['ratio_to_bare']:.2f}"
            if r["ratio_to_bare"] is not None
            else (f"{r['p99_vs_idle']:.2f}*" if "p99_vs_idle" in r else "-")
        )
        cpu, db = (_ms(r[name]) for name in ("cpu_ms_per_request", "db_cpu_ms_per_request"))
        to_db = f"{r['ratio_to_bare_db']:.2f}" if r.get("ratio_to_bare_db") is not None else "-"
        lines.append(
            f"{r['endpoint']:46} {r['rps']:7.0f} {r['p50_ms']:7.1f} {r['p95_ms']:7.1f} {r['p99_ms']:7.1f} "
            f"{ratio:>6} {to_db:>5} {r['errors']:6d} {cpu:>10} {db:>9}  {'yes' if r['ok'] else 'NO ':3} "
            f"{r['target']}"
        )
    lines.append(
        "all but bare-async and 'while solving': medians over the rounds; x bare, x db: req/s over /bare's and "
        "/bare-db's; * under solve: p99 divided by the idle p99 of the same endpoint"
    )
    lines.append(
        "cpu ms/req: CPU of the server's processes per request; pg ms/req: of PostgreSQL's processes "
        "(whatever else they serve); both measured whatever else runs here"
    )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Print the table; exit code 1 if a target is missed."""
    argv = sys.argv[1:] if argv is None else argv
    try:
        rows = run(argv)
    except RuntimeError as exc:
        print(f"api section failed: {exc}", file=sys.stderr)
        return 1
    print(table(rows))
    return 0 if all(r["ok"] for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
