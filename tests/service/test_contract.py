"""The API keeps its own contract: 405 names every method of a path, unusable bodies answer a documented 422,
query parameters are typed, and requests the schema allows are answered."""

import re

import pytest

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


def _concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "1", path)


def test_every_path_answers_a_method_it_lacks_with_405_and_its_own_methods(client):
    paths = client.get("/openapi.json").json()["paths"]
    checked = 0
    for path, operations in paths.items():
        documented = {method.upper() for method in operations}
        for method in sorted(set(METHODS) - documented):
            response = client.request(method, _concrete(path))
            assert response.status_code == 405, f"{method} {path}: {response.status_code} {response.text[:200]}"
            allowed = {m.strip() for m in response.headers["allow"].split(",")}
            assert allowed == documented, f"{method} {path}: Allow {allowed}, documented {documented}"
            assert response.json()["error"] == "method_not_allowed"
            checked += 1
    assert checked > 150, checked


def test_a_405_says_what_to_use(client):
    response = client.patch("/experts/import")
    assert response.status_code == 405 and response.headers["allow"] == "POST"
    assert response.json()["detail"] == "PATCH is not allowed on /experts/import: use POST"


@pytest.mark.parametrize("path", ["/experts/abc", "/offers/-5", "/plans/1/assignments/2/approve/extra"])
def test_a_path_that_names_no_resource_is_404(client, auth, path):
    response = client.get(path, headers=auth("hq"))
    assert response.status_code == 404 and response.json()["error"] == "not_found"
    assert "no such path" in response.json()["detail"]


BODIES = [
    ("bytes that are not UTF-8", b"\xc2\xa5\xff\xf4", "application/json", "is not JSON"),
    ("not JSON at all", b"approve everything", "application/json", "malformed JSON"),
    ("JSON sent as text", b'{"approve": []}', "text/plain", "Content-Type: application/json"),
    ("a form", b"approve=1", "application/x-www-form-urlencoded", "Content-Type: application/json"),
    ("a JSON array", b"[1, 2]", "application/json", "must be a JSON object"),
]


@pytest.mark.parametrize(
    "role, method, path",
    [("planner", "POST", "/plans/1/review"), ("hq", "PATCH", "/requests/1"), ("hq", "POST", "/experts")],
)
@pytest.mark.parametrize("case", BODIES, ids=lambda c: c[0])
def test_a_body_that_is_not_json_is_a_documented_422_on_the_body(client, auth, role, method, path, case):
    _, content, content_type, words = case
    headers = auth(role) | {"Content-Type": content_type, "If-Match": '"1"'}
    response = client.request(method, path, content=content, headers=headers)
    assert response.status_code == 422, response.text
    assert response.json()["error"] == "validation_error"
    assert [d["field"] for d in response.json()["detail"]] == ["body"]
    assert words in response.json()["detail"][0]["message"]


def test_every_operation_with_a_body_documents_the_422_for_a_body_that_is_not_json(client):
    paths = client.get("/openapi.json").json()["paths"]
    with_body = [(m, p, op) for p, ops in paths.items() for m, op in ops.items() if "requestBody" in op]
    assert len(with_body) > 15
    for method, path, op in with_body:
        assert "not JSON" in op["responses"]["422"]["description"], f"{method} {path}"
        assert op["responses"]["422"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Error"}


NOT_DATES = ["0", "1700000000", "2027-1-1", "tomorrow", "true"]
DATE_PARAMETERS = [
    ("planner", "/deployments/ending", "today"),
    ("planner", "/deployments", "active_from"),
    ("planner", "/experts", "available_from"),
    ("planner", "/reports/gaps", "from"),
    ("admin", "/audit", "since"),
]


@pytest.mark.parametrize("role, path, name", DATE_PARAMETERS)
@pytest.mark.parametrize("value", NOT_DATES)
def test_a_date_parameter_takes_an_iso_date_only(client, auth, role, path, name, value):
    """Pydantic alone reads a number as seconds since 1970: ``today=0`` was 1970-01-01."""
    response = client.get(path, params={name: value}, headers=auth(role))
    assert response.status_code == 422, response.text
    problem = response.json()["detail"][0]
    assert problem["field"].endswith(name) and "YYYY-MM-DD" in problem["message"], problem


def test_since_takes_a_moment(client, auth):
    for value in ("2027-01-31", "2027-01-31T08:00:00Z", "2027-01-31T08:00:00+02:00"):
        assert client.get("/audit", params={"since": value}, headers=auth("admin")).status_code == 200, value


def test_every_query_parameter_has_a_type(client):
    """No parameter is left a bare string where it means a number, a date or a choice."""
    paths = client.get("/openapi.json").json()["paths"]
    typed = {"since": "date-time", "today": "date", "active_from": "date", "active_to": "date", "from": "date"}
    for path, operations in paths.items():
        for method, op in operations.items():
            for parameter in op.get("parameters", []):
                schema = parameter["schema"]
                kinds = [schema, *schema.get("anyOf", [])]
                if parameter["name"] in typed:
                    formats = {k.get("format") for k in kinds}
                    assert typed[parameter["name"]] in formats, f"{method} {path} {parameter['name']}: {schema}"
                numeric = parameter["name"].endswith("_id") and parameter["name"] != "entity_id"  # "M-UNMISS" too
                if numeric or parameter["name"] in ("limit", "offset", "after"):
                    assert "integer" in {k.get("type") for k in kinds}, f"{method} {path} {parameter['name']}"
