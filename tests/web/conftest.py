"""A real server on a free port with the demo data, and Debian's Chromium driven by Playwright."""

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from fastapi import FastAPI
from sqlmodel import Session

from schemas.enums import Role
from service.app import create_app
from service.platform.auth import issue_token
from service.platform.settings import Settings
from service.seeding import seed_demo
from tests.service.conftest import serve

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
TIMEOUT_MS = 20_000
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
TODAY = "2027-01-04"  # the demo data is anchored on this day
DOCUMENTED = {
    "plan-progress",
    "plan-review",
    "alternatives",
    "deployments-gantt",
    "gaps-heatmap",
    "offers-member-state",
    "requests",
    "request-form-errors",
    "signin-refused",
    "plan-review-in-place",
    "gaps-drill-down",
    "request-form-pickers",
    "deployments-lines",
}


@contextmanager
def demo_app(databases, template_url: str, **seed) -> Iterator[FastAPI]:
    """An app on its own copy of the database with the demo roster (``seed``: seed_demo's sizes), plans run by an
    in-process worker; its engine closed afterwards."""
    url = databases.clone(template_url)
    app = create_app(Settings(database_url=url, environment="test", worker="inprocess", worker_poll_seconds=0.1))
    with Session(app.state.engine) as session:
        seed_demo(session, **seed)
    try:
        yield app
    finally:
        app.state.engine.dispose()


def issue(app: FastAPI, role: str, state: str | None = None, name: str = "web") -> str:
    """A fresh API token's secret for that role (and Member State)."""
    with Session(app.state.engine) as session:
        _, secret = issue_token(session, role=Role(role), name=f"{name} {role} {state or ''}".strip(), state=state)
        session.commit()
    return secret


@pytest.fixture(scope="session")
def web_app(databases, template_url):
    """One app for the whole web suite: a database with the demo roster, plans run by an in-process worker."""
    with demo_app(databases, template_url) as app:
        yield app


@pytest.fixture(scope="session")
def base_url(web_app) -> Iterator[str]:
    with serve(web_app) as url:
        yield url


@pytest.fixture(scope="session")
def token(web_app):
    """``token("planner")`` or ``token("member_state", "NOR")``: a fresh secret for that role."""
    return secrets_of(web_app)


def secrets_of(app: FastAPI):
    """``secret(role, state=None)``: a token's secret for that role on ``app``, issued once and kept."""
    cache: dict = {}

    def secret(role: str, state: str | None = None) -> str:
        if (role, state) not in cache:
            cache[role, state] = issue(app, role, state)
        return cache[role, state]

    return secret


@pytest.fixture(scope="session")
def browser():
    if not os.path.exists(CHROMIUM):
        print(f"SKIPPED browser tests: {CHROMIUM} is missing (apt-get install chromium)")
        pytest.skip(f"{CHROMIUM} is missing: apt-get install chromium")
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=TIMEOUT_MS)  # a loaded CI machine is slower than the 5 s default
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS, headless=True)
        yield browser
        browser.close()


@contextmanager
def page_at(browser, base_url: str, height: int = 800) -> Iterator:
    """A page in a fresh browser context (its own cookies) on an app of its own, closed afterwards."""
    context = browser.new_context(viewport={"width": 1280, "height": height}, base_url=base_url)
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    try:
        yield page
    finally:
        context.close()


@pytest.fixture
def page(browser, base_url):
    with page_at(browser, base_url) as page:
        yield page


@pytest.fixture(scope="session")
def shots(tmp_path_factory):
    """``shots(page, "name")``: a screenshot in the run's folder; with ROSTER_KEEP_SCREENSHOTS=1 the main pages'
    also go to docs/screenshots for the README."""
    folder = tmp_path_factory.mktemp("screenshots")
    keep = os.environ.get("ROSTER_KEEP_SCREENSHOTS") == "1"

    def take(page, name: str, full_page: bool = False) -> Path:
        path = folder / f"{name}.png"
        page.screenshot(path=path, full_page=full_page)
        if keep and name in DOCUMENTED:
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, SCREENSHOTS / path.name)
        return path

    return take


def sign_in(page, secret: str):
    page.goto("/ui/signin")
    page.get_by_label("API token").fill(secret)
    page.get_by_role("button", name="Sign in").click()
