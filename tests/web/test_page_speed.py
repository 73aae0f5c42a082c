"""Static files: gzipped once, revalidated by ETag, kept for a year behind a versioned URL; charts only where drawn."""

import re

import httpx
import pytest

from tests.web.conftest import sign_in

CHART_PAGES = ("/ui/gaps", "/ui/deployments")
PLAIN_PAGES = ("/ui/requests", "/ui/plans", "/ui/offers", "/ui/calls")


@pytest.fixture
def http(base_url):
    with httpx.Client(base_url=base_url, follow_redirects=False, timeout=30) as client:
        yield client


def _signed_in(http: httpx.Client, secret: str) -> httpx.Client:
    csrf = re.search(r'name="csrf" value="([^"]+)"', http.get("/ui/signin").text).group(1)
    assert http.post("/ui/signin", data={"token": secret, "csrf": csrf}).status_code == 303
    return http


def _assets(html: str) -> list[str]:
    return re.findall(r'(?:src|href)="(/ui/static/[^"]+)"', html)


def test_pages_link_static_files_by_version_and_only_chart_pages_load_plotly(http, token):
    _signed_in(http, token("planner"))
    for path in CHART_PAGES + PLAIN_PAGES:
        linked = _assets(http.get(path).text)
        assert linked and all(re.search(r"\?v=[0-9a-f]{16}$", url) for url in linked), (path, linked)
        assert any("plotly" in url for url in linked) == (path in CHART_PAGES), (path, linked)


def test_a_versioned_file_is_gzipped_and_kept_for_a_year(http, token):
    _signed_in(http, token("planner"))
    plotly = next(url for url in _assets(http.get("/ui/gaps").text) if "plotly" in url)
    answer = http.get(plotly, headers={"Accept-Encoding": "gzip"})
    assert answer.status_code == 200
    assert answer.headers["content-encoding"] == "gzip"
    assert answer.headers["vary"] == "Accept-Encoding"
    assert answer.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert answer.headers["last-modified"] and answer.headers["etag"]
    assert len(answer.content) > 1_000_000  # httpx decoded it: the whole bundle
    assert int(answer.headers["content-length"]) < len(answer.content) / 2  # and what travelled was gzipped

    plain = http.get(plotly, headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers and plain.content == answer.content
    assert plain.headers["etag"] != answer.headers["etag"]  # one tag per encoding


def test_an_unversioned_or_stale_url_is_revalidated_and_answers_304_when_unchanged(http):
    fresh = http.get("/ui/static/app.css", headers={"Accept-Encoding": "gzip"})
    assert fresh.status_code == 200 and fresh.headers["cache-control"] == "no-cache"
    assert fresh.headers["content-type"].startswith("text/css")
    stale = http.get("/ui/static/app.css?v=0000000000000000")
    assert stale.headers["cache-control"] == "no-cache"
    again = http.get("/ui/static/app.css", headers={"Accept-Encoding": "gzip", "If-None-Match": fresh.headers["etag"]})
    assert again.status_code == 304 and again.content == b""
    since = http.get("/ui/static/app.css", headers={"If-Modified-Since": fresh.headers["last-modified"]})
    assert since.status_code == 304


def test_nothing_outside_the_static_folder_is_served(http):
    for path in ("/ui/static/../__init__.py", "/ui/static/%2e%2e/render.py", "/ui/static/nothing.js"):
        assert http.get(path).status_code == 404, path


def test_charts_draw_with_the_bundle_served_and_nothing_asked_for_is_missing(page, token):
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("response", lambda r: errors.append(f"{r.status} {r.url}") if r.status >= 400 else None)
    sign_in(page, token("planner"))
    page.goto("/ui/gaps")
    page.locator("#heatmap .main-svg").first.wait_for()
    assert page.evaluate("() => typeof Plotly.newPlot") == "function"
    assert not errors


def test_pages_are_gzipped_and_the_api_is_left_alone(http, token):
    _signed_in(http, token("planner"))
    page = http.get("/ui/offers", headers={"Accept-Encoding": "gzip"})
    assert page.status_code == 200 and page.headers["content-encoding"] == "gzip"
    assert "Accept-Encoding" in page.headers["vary"] and "<html" in page.text
    assert "content-encoding" not in http.get("/ui/offers", headers={"Accept-Encoding": "identity"}).headers
    api = http.get("/offers", headers={"Accept-Encoding": "gzip", "Authorization": f"Bearer {token('planner')}"})
    assert api.status_code == 200 and "content-encoding" not in api.headers
