"""Every page, as every role, under the Content-Security-Policy, with hostile names in the data.

An app and a database of their own: a Norwegian expert whose name is markup (a link, bold, a line break, an
image with onerror) is deployed on a request whose title is markup too, and a plan has run. Chromium then
visits every page of the site as each role: no CSP violation, no link to the hostile site, no injected image,
and the names shown as typed, in the tables and in the plotly charts alike.
"""

import importlib
import pkgutil
import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi import APIRouter
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from service import web
from tests.service import factories
from tests.service.conftest import serve
from tests.web.conftest import TODAY, demo_app, issue, sign_in

HOSTILE = '<a href="https://evil.example/">x</a> <b>Bold</b><br><img src=x onerror="window.pwned=1"> Ane'
ROLES = [("admin", None), ("hq", None), ("planner", None), ("member_state", "NOR")]
# GET routes under /ui that are not pages: a redirect, an event stream, downloads.
NOT_PAGES = {
    "/ui",
    "/ui/plans/{plan_id}/events",
    "/ui/plans/{plan_id}/export",
    "/ui/deployments/export",
    "/ui/gaps/export",
}
# Recorded in the page before any of its own scripts run (Playwright's init scripts are not subject to CSP).
RECORD_VIOLATIONS = """
window.violations = [];
document.addEventListener("securitypolicyviolation",
  e => window.violations.push(e.violatedDirective + " blocked " + (e.blockedURI || "inline") + " " + e.sample));
"""
INJECTED = """() => ({
  links: Array.from(document.querySelectorAll("a")).map(a => a.getAttribute("href") ||
    a.getAttributeNS("http://www.w3.org/1999/xlink", "href") || "").filter(h => h.includes("evil.example")),
  images: document.querySelectorAll("img").length,
  bold: Array.from(document.querySelectorAll("b")).filter(b => b.textContent === "Bold").length,
  pwned: window.pwned === 1,
  violations: window.violations,
})"""

TOP_BAR = """() => {
  const boxes = Array.from(document.querySelectorAll("#gantt-person .bars path")).map(p => p.getBoundingClientRect());
  const top = boxes.sort((a, b) => a.top - b.top)[0];
  return {x: top.left + top.width / 2, y: top.top + top.height / 2};
}"""

FIRST_CELL = """() => {
  const gd = document.getElementById("heatmap"), z = gd.data[0].z, box = gd.getBoundingClientRect();
  const xa = gd._fullLayout.xaxis, ya = gd._fullLayout.yaxis;
  for (let i = 0; i < z.length; i++) for (let j = 0; j < z[i].length; j++) if (z[i][j] !== null)
    return {x: box.left + xa._offset + xa.d2p(gd.data[0].x[j]), y: box.top + ya._offset + ya.d2p(gd.data[0].y[i])};
}"""


def _wait_for_plan(client: TestClient, plan_id: int, headers: dict) -> None:
    with client.stream("GET", f"/plans/{plan_id}/events", headers=headers) as stream:
        for line in stream.iter_lines():
            if line.startswith("event: end"):
                return


@pytest.fixture(scope="module")
def hostile(databases, template_url):
    """The demo roster, a hostile name deployed on a hostile request, and a finished plan."""
    with demo_app(databases, template_url, experts=80, offers=10, requests=6) as app:
        yield from _hostile_world(app)


def _hostile_world(app) -> Iterator[dict]:
    tokens = {role: issue(app, role, state, "csp") for role, state in ROLES}
    hq, norway = ({"Authorization": f"Bearer {tokens[r]}"} for r in ("hq", "member_state"))
    planner = {"Authorization": f"Bearer {tokens['planner']}"}
    with TestClient(app) as client:
        body = factories.capacity_request(title=HOSTILE, positions=[factories.position(title=HOSTILE)])
        request = client.post("/requests", json=body, headers=hq).json()
        expert = client.post(
            "/experts", json=factories.expert(full_name=HOSTILE, nationality="NOR"), headers=norway
        ).json()
        position = request["positions"][0]["id"]
        opened = {"request_id": request["id"], "position_ids": [position], "deadline": "2100-12-31", "note": HOSTILE}
        call = client.post("/calls", json=opened, headers=hq).json()
        nominated = {"position_id": position, "expert_id": expert["id"], "note": HOSTILE[:1000]}
        assert client.post(f"/calls/{call['id']}/nominations", json=nominated, headers=norway).status_code == 201
        deployed = factories.deploy(app.state.engine, position, expert=expert["id"])
        offer = client.post("/offers", json=factories.offer(title=HOSTILE[:200]), headers=norway).json()
        visit = {"visited_on": "2026-11-02", "team": HOSTILE[:200], "result": "passed", "note": HOSTILE[:2000]}
        assert client.post(f"/offers/{offer['id']}/assessments", json=visit, headers=hq).status_code == 201
        plan = client.post("/plans", json={"today": TODAY, "time_limit": 5}, headers=planner).json()
        _wait_for_plan(client, plan["id"], planner)
        assignments = client.get(f"/plans/{plan['id']}/assignments", headers=planner).json()["data"]
    ids = {
        "request_id": request["id"],
        "plan_id": plan["id"],
        "position_id": assignments[0]["position_id"],
        "offer_id": offer["id"],
        "call_id": call["id"],
        "expert_id": expert["id"],
        "deployment_id": deployed,
    }
    with serve(app) as url:
        yield {"url": url, "app": app, "tokens": tokens, "ids": ids}


def _pages(ids: dict) -> list[str]:
    """Every page of the site (the GET routes of every module of service/web), ids filled in: a new page is
    visited without being listed here."""
    routes = [
        route
        for module in pkgutil.iter_modules(web.__path__)
        for route in getattr(importlib.import_module(f"service.web.{module.name}"), "router", APIRouter()).routes
    ]
    paths = sorted(r.path for r in routes if isinstance(r, APIRoute) and "GET" in r.methods)
    return [re.sub(r"\{(\w+)\}", lambda m: str(ids[m.group(1)]), p) for p in paths if p not in NOT_PAGES]


def _visit(page, path: str) -> dict:
    policy = page.goto(path).headers.get("content-security-policy", "")
    page.wait_for_load_state("load")
    charts = page.locator("#gantt-person, #gantt-mission, #heatmap")
    for i in range(charts.count()):  # drawn, or told there is nothing to draw
        chart = charts.nth(i)
        chart.locator(".main-svg").first.or_(chart.get_by_text("Nothing to show yet.")).or_(
            chart.get_by_text("No open demand in this range.")
        ).wait_for()
    return page.evaluate(INJECTED) | {"no_policy": "script-src 'self';" not in policy}


@pytest.fixture
def hostile_page(browser, hostile):
    context = browser.new_context(base_url=hostile["url"], viewport={"width": 1280, "height": 800})
    context.add_init_script(RECORD_VIOLATIONS)
    yield context.new_page()
    context.close()


@pytest.mark.parametrize(("role", "state"), ROLES)
def test_every_page_keeps_the_policy_and_shows_hostile_names_as_text(hostile_page, hostile, role, state):
    page, console = hostile_page, []
    page.on("console", lambda m: console.append(f"{page.url}: {m.text}") if "Security Policy" in m.text else None)
    seen = {"/ui/signin": _visit(page, "/ui/signin")}
    sign_in(page, hostile["tokens"][role])
    for path in [*_pages(hostile["ids"]), "/ui/requests/999999"]:
        seen[path] = _visit(page, path)
    found = {path: {k: v for k, v in s.items() if v} for path, s in seen.items()}
    assert {path: s for path, s in found.items() if s} == {}
    assert console == [], "\n".join(console)
    ids = hostile["ids"]
    assert {"/ui/deployments", "/ui/gaps", f"/ui/plans/{ids['plan_id']}", f"/ui/requests/{ids['request_id']}"} <= set(
        seen
    ), sorted(seen)


def test_the_gantt_and_the_tables_show_a_hostile_name_as_typed(hostile_page, hostile):
    page = hostile_page
    sign_in(page, hostile["tokens"]["planner"])
    page.goto("/ui/deployments")
    page.locator("#gantt-mission .main-svg").first.wait_for()
    bars = page.locator("#gantt-mission svg text").all_text_contents()
    assert any(t.startswith(f"{HOSTILE}, seat 1") for t in bars), bars  # the bar's label (its seat), whole, as typed
    ticks = page.locator("#gantt-person .ytick text").all_text_contents()
    assert any(t.startswith('<a href="https://evil.example/">x</a> <b>Bold</b>') for t in ticks), ticks
    top = page.evaluate(TOP_BAR)  # "<" sorts first: the hostile name is the person chart's top row
    page.mouse.move(top["x"], top["y"])
    page.locator("#gantt-person .hoverlayer .hovertext").first.wait_for()
    assert HOSTILE in page.locator("#gantt-person .hoverlayer").text_content()
    assert HOSTILE in page.locator("main table").first.inner_text()
    assert page.evaluate(INJECTED)["links"] == [] and page.locator("img").count() == 0


def test_every_answer_carries_the_policy_and_hsts_only_over_https(hostile):
    with httpx.Client(base_url=hostile["url"]) as http:
        for path in ("/ui/signin", "/health", "/nowhere"):
            answer = http.get(path)
            policy = answer.headers["content-security-policy"]
            assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy
            assert "unsafe-inline" not in policy.split("script-src")[1].split(";")[0]
            assert "strict-transport-security" not in answer.headers
    secure = TestClient(hostile["app"], base_url="https://roster.example")
    assert secure.get("/health").headers["strict-transport-security"] == "max-age=31536000"


def test_the_heatmap_hover_keeps_its_line_breaks(hostile_page, hostile):
    page = hostile_page
    sign_in(page, hostile["tokens"]["planner"])
    page.goto("/ui/gaps?start=2027-01-01&end=2027-12-31")
    page.locator("#heatmap .main-svg").first.wait_for()
    cell = page.evaluate(FIRST_CELL)
    page.mouse.move(cell["x"], cell["y"])
    hover = page.locator("#heatmap .hoverlayer .hovertext")
    hover.first.wait_for()
    lines = hover.first.locator("tspan.line").all_text_contents()
    assert len(lines) >= 2 and lines[1].startswith("demand "), lines


STATIC = Path(web.__file__).parent / "static"
TEMPLATES = Path(web.__file__).parent / "templates"


def test_charts_are_drawn_only_through_the_escaping_wrapper():
    """One place escapes text for plotly: no other script calls Plotly itself."""
    callers = {p.name for p in STATIC.glob("*.js") if "Plotly." in p.read_text() and p.name != "charts.js"}
    assert callers == set()


@pytest.mark.parametrize("template", sorted(TEMPLATES.glob("*.html")), ids=lambda p: p.name)
def test_templates_hold_no_inline_script_handler_or_style(template):
    html = template.read_text()
    scripts = re.findall(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>", html)
    assert scripts == [] and re.findall(r"\s(on[a-z]+|style)=", html) == [] and "javascript:" not in html
