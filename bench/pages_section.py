"""Page speed as a browser feels it: ``python -m bench pages [--warm N]``.

The app is served as ``make run`` serves it (``roster serve``, SQLite, the demo data, one plan solved before the
server starts) on a free port, from a throw-away database. Chromium (Playwright) signs in once per role and keeps
the session cookie; then, for each page:

- cold: the page's first visit since the server started, in a fresh browser context (empty HTTP cache, only the
  session cookie): every static file is fetched, and the server's caches hold nothing for this page yet;
- warm: N more visits in one context (the browser's cache kept, as for a planner moving between pages); p50 and
  p90 of those.

The figure is the load event (``loadEventEnd`` of the navigation's timing entry: HTML, styles, scripts and the
charts they draw). Targets: cold ≤ 800 ms, p50 ≤ 300 ms. Prints a table; exit code 1 if a target is missed.
"""

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlmodel import Session, col, select

from bench.api_section import ROOT, _free_port, _process, _wait_http

CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]
TODAY = "2027-01-04"  # the demo data is anchored on this day
COLD_MS, P50_MS = 800.0, 300.0
WARM = 7
DEFINITION = (
    "cold: first visit of the page since the server started, fresh browser context (empty cache, session cookie "
    "only); p50/p90: of {n} further visits in one context (cache kept). Figure: the load event (loadEventEnd)."
)
ROSTER = [sys.executable, "-m", "service.cli"]  # this checkout's code, whichever the installed `roster` runs
LOAD_MS = "() => { const t = performance.getEntriesByType('navigation')[0]; return t.loadEventEnd - t.startTime; }"


@dataclass
class Timing:
    page: str
    cold: float
    warm: list[float]

    @property
    def p50(self) -> float:
        return statistics.median(self.warm)

    @property
    def p90(self) -> float:
        ordered = sorted(self.warm)
        return ordered[min(len(ordered) - 1, round(0.9 * (len(ordered) - 1)))]

    @property
    def met(self) -> bool:
        return self.cold <= COLD_MS and self.p50 <= P50_MS


def _roster(*args: str, env: dict, checkout: Path) -> str:
    done = subprocess.run([*ROSTER, *args], env=env, cwd=checkout, capture_output=True, text=True, check=False)
    if done.returncode:
        raise RuntimeError(f"roster {' '.join(args)} failed:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
    return done.stdout


def _prepare(url: str, env: dict, checkout: Path) -> dict:
    """Migrate, seed the demo, solve one plan; tokens per role; the ids the pages need."""
    from schemas.enums import Role
    from service.platform.auth import issue_token
    from service.platform.db import make_engine
    from service.platform.tables import CapacityRequest, Expert, NominationCall, Offer, Plan, PlanUnfilled

    _roster("db", "upgrade", env=env, checkout=checkout)
    _roster("seed", "--demo", env=env, checkout=checkout)
    _roster("solve", "--today", TODAY, "--time-limit", "5", env=env, checkout=checkout)
    engine = make_engine(url)
    with Session(engine) as session:
        plan = session.exec(select(Plan).order_by(col(Plan.id).desc())).first()
        empty = session.exec(select(PlanUnfilled).where(PlanUnfilled.plan_id == plan.id)).first()
        offer = session.exec(select(Offer).order_by(col(Offer.id))).first()
        expert = session.exec(select(Expert).where(Expert.state == offer.state)).first()
        ids = {
            "plan": plan.id,
            "request": session.exec(select(CapacityRequest.id).order_by(col(CapacityRequest.id))).first(),
            "offer": offer.id,
            "state": offer.state,
            "expert": expert.id if expert else None,
            "call": session.exec(select(NominationCall.id)).first(),
            "alternatives": f"positions/{empty.position_id}/alternatives?seat={empty.seat}" if empty else None,
        }
        _, ids["planner"] = issue_token(session, role=Role.planner, name="bench pages planner")
        _, ids["hq"] = issue_token(session, role=Role.hq, name="bench pages hq")
        _, ids["member"] = issue_token(session, role=Role.member_state, name="bench pages", state=offer.state)
        session.commit()
    engine.dispose()
    return ids


def _pages(ids: dict) -> list[tuple[str, str, str]]:
    """(label, role, path) of every page measured."""
    plan = f"/ui/plans/{ids['plan']}"
    pages = [
        ("requests", "planner", "/ui/requests"),
        ("a request", "planner", f"/ui/requests/{ids['request']}"),
        ("new request form", "hq", "/ui/requests/new"),
        ("plans", "planner", "/ui/plans"),
        ("a plan's review", "planner", plan),
        ("alternatives", "planner", f"{plan}/{ids['alternatives']}" if ids["alternatives"] else None),
        ("deployments", "planner", "/ui/deployments"),
        ("gaps", "planner", "/ui/gaps"),
        ("offers (planner)", "planner", "/ui/offers"),
        ("calls", "planner", "/ui/calls"),
        ("a call", "planner", f"/ui/calls/{ids['call']}" if ids["call"] else None),
        ("offers (Member State)", "member", "/ui/offers"),
        ("an offer's form", "member", f"/ui/offers/{ids['offer']}/edit"),
        ("experts form", "member", "/ui/experts/new"),
    ]
    return [(label, role, path) for label, role, path in pages if path]


def _signed_in_state(browser, base: str, secret: str) -> dict:
    context = browser.new_context(base_url=base)
    page = context.new_page()
    page.goto("/ui/signin")
    page.get_by_label("API token").fill(secret)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(lambda u: "/signin" not in u)
    state = context.storage_state()
    context.close()
    return state


def _load_ms(page, path: str) -> float:
    answer = page.goto(path, wait_until="load")
    if answer is None or answer.status != 200:
        raise RuntimeError(f"{path} answered {answer.status if answer else 'nothing'}")
    return float(page.evaluate(LOAD_MS))


def measure(base: str, ids: dict, warm: int) -> list[Timing]:
    from playwright.sync_api import sync_playwright

    timings = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
        states = {role: _signed_in_state(browser, base, ids[role]) for role in ("planner", "hq", "member")}
        for label, role, path in _pages(ids):
            context = browser.new_context(base_url=base, storage_state=states[role])
            page = context.new_page()
            cold = _load_ms(page, path)
            timings.append(Timing(label, cold, [_load_ms(page, path) for _ in range(warm)]))
            context.close()
        browser.close()
    return timings


@contextmanager
def served(checkout: Path = ROOT) -> Iterator[tuple[str, dict]]:
    """The demo app of ``checkout`` on SQLite, served on a free port; its base URL and the ids of the pages."""
    with tempfile.TemporaryDirectory(prefix="roster-pages-") as folder:
        url = f"sqlite:///{folder}/pages.db"
        env = os.environ | {"ROSTER_DATABASE_URL": url, "ROSTER_LOG_LEVEL": "WARNING", "PYTHONUNBUFFERED": "1"}
        ids = _prepare(url, env, checkout)
        port = _free_port()
        base, log = f"http://127.0.0.1:{port}", Path(folder) / "serve.log"
        serve = [*ROSTER, "serve", "--port", str(port)]
        with _process(serve, env, log, cwd=checkout) as child:
            _wait_http(base, "/health", child, log)
            yield base, ids


def table(timings: list[Timing], warm: int) -> str:
    lines = [
        DEFINITION.format(n=warm),
        f"Targets: cold ≤ {COLD_MS:.0f} ms, p50 ≤ {P50_MS:.0f} ms.",
        "",
        "| page | cold ms | p50 ms | p90 ms | target met |",
        "|---|---|---|---|---|",
    ]
    for t in timings:
        lines.append(f"| {t.page} | {t.cold:,.0f} | {t.p50:,.0f} | {t.p90:,.0f} | {'yes' if t.met else 'NO'} |")
    return "\n".join(lines)


def parser() -> argparse.ArgumentParser:
    """The section's options (``python -m bench --help`` lists them too)."""
    parser = argparse.ArgumentParser(prog="python -m bench pages", description=__doc__.splitlines()[0])
    parser.add_argument("--warm", type=int, default=WARM, help="warm visits per page")
    parser.add_argument("--checkout", type=Path, default=ROOT, help="serve another checkout (a before/after run)")
    return parser


def main(args: list[str] | None = None) -> int:
    options, _ = parser().parse_known_args(sys.argv[1:] if args is None else args)
    if not os.path.exists(CHROMIUM):
        print(f"bench pages: {CHROMIUM} is missing (apt-get install chromium)")
        return 1
    started, load = time.perf_counter(), os.getloadavg()[0]
    with served(options.checkout.resolve()) as (base, ids):
        timings = measure(base, ids, options.warm)
    print(table(timings, options.warm))
    seconds, cores = time.perf_counter() - started, os.cpu_count()
    print(f"({options.checkout.resolve()}; {seconds:.0f} s in all; load average {load:.1f} on {cores} cores)")
    return 0 if all(t.met for t in timings) else 1


if __name__ == "__main__":
    sys.exit(main())
