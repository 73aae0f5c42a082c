"""The API keeps its own contract: 405 names every method of a path, unusable bodies answer a documented 422,
query parameters are typed, and requests the schema allows are answered."""

import re

import pytest

from tests.service import factories

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


def test_available_from_alone_means_available_on_that_day(client, auth):
    hq = auth("hq")
    window = {"availability": [{"start": "2027-01-01", "end": "2027-06-30"}]}
    inside = client.post("/experts", json=factories.expert(**window), headers=hq).json()["id"]

    def found(query: str) -> set[int]:
        response = client.get(f"/experts?{query}", headers=hq)
        assert response.status_code == 200, response.text
        return {e["id"] for e in response.json()["data"]}

    assert found("available_from=2027-03-01") == {inside}
    assert found("available_to=2027-03-01") == {inside}
    assert found("available_from=2027-09-01") == set()
    assert found("available_from=2027-03-01&available_to=2027-09-01") == set()  # the whole period, as before


def test_one_end_of_the_deployment_period_leaves_it_open(client, auth, app):
    hq = auth("hq")
    made = client.post("/requests", json=factories.capacity_request(), headers=hq).json()
    expert = client.post("/experts", json=factories.expert(), headers=hq).json()["id"]
    deployment = factories.deploy(app.state.engine, made["positions"][0]["id"], expert=expert)  # 2027-03-01..12-31

    def found(query: str) -> set[int]:
        response = client.get(f"/deployments?{query}", headers=hq)
        assert response.status_code == 200, response.text
        return {d["id"] for d in response.json()["data"]}

    assert found("active_from=2027-12-31") == {deployment}
    assert found("active_from=2028-01-01") == set()
    assert found("active_to=2027-03-01") == {deployment}
    assert found("active_to=2027-02-28") == set()


def test_event_types_are_a_documented_list(client, auth):
    paths = client.get("/openapi.json").json()["paths"]
    (parameter,) = [p for p in paths["/events"]["get"]["parameters"] if p["name"] == "type"]
    assert "deployment.approved" in parameter["schema"]["items"]["enum"]
    assert "" not in parameter["schema"]["items"]["enum"]  # so an empty ?type= is refused by the schema too
    response = client.get("/events?type=", headers=auth("planner"))
    assert response.status_code == 422
    assert response.json()["detail"][0]["message"].startswith("unknown event type(s) '': use any of offer.accepted")
    assert client.get("/events?type=plan.finished", headers=auth("planner")).status_code == 200


def test_dates_document_their_range(client):
    schemas = client.get("/openapi.json").json()["components"]["schemas"]
    expires = schemas["OfferCreate"]["properties"]["expires_on"]
    assert expires["format"] == "date" and re.match(expires["pattern"], "2100-12-31")
    assert not re.match(expires["pattern"], "2101-01-01") and not re.match(expires["pattern"], "1899-12-31")


@pytest.mark.parametrize(
    "role, path, body, field",
    [
        ("planner", "/plans", {"rest_days": False}, "rest_days"),
        ("planner", "/plans", {"gender_targets": {"1": True}}, "gender_targets"),
        ("hq", "/requests", factories.capacity_request(priority=True), "priority"),
        ("hq", "/requests", factories.capacity_request(positions=[factories.position(count=True)]), "count"),
        ("hq", "/experts", factories.expert(active=1), "active"),
        ("hq", "/experts", factories.expert(active="yes"), "active"),
    ],
)
def test_a_value_of_another_json_type_is_refused_not_converted(client, auth, role, path, body, field):
    """Pydantic alone reads false as 0, true as 1 and 1 or "yes" as true."""
    response = client.post(path, json=body, headers=auth(role))
    assert response.status_code == 422, response.text
    assert f"{field}: " in response.text and (
        "is not a number" in response.text or "is not true or false" in response.text
    )


def test_partial_updates_document_which_fields_refuse_null(client, auth):
    schemas = client.get("/openapi.json").json()["components"]["schemas"]
    offer = schemas["OfferUpdate"]["properties"]
    assert offer["title"]["type"] == "string" and "anyOf" not in offer["title"]
    assert {"type": "null"} in offer["max_duration_days"]["anyOf"]
    expert = schemas["ExpertUpdate"]["properties"]
    assert "anyOf" not in expert["gender"] and {"type": "null"} in expert["email"]["anyOf"]
    assert schemas["PositionUpdate"]["properties"]["required_skills"]["type"] == "array"
    made = client.post("/offers", json=factories.offer(state="NOR"), headers=auth("hq"))
    refused = client.patch(
        f"/offers/{made.json()['id']}", json={"title": None}, headers=auth("hq") | {"If-Match": made.headers["ETag"]}
    )
    assert refused.status_code == 422 and "cannot be null" in refused.text


@pytest.mark.parametrize("query", ["skill=%00SSR", "mission=M%00X"])
def test_a_code_with_a_nul_character_is_unknown_on_every_engine(client, auth, query):
    """PostgreSQL's text cannot hold a NUL: looking one up failed as 'a value cannot be stored'."""
    response = client.get(f"/reports/gaps?{query}", headers=auth("planner"))
    assert response.status_code == 422 and "unknown" in response.json()["detail"][0]["message"], response.text


def test_every_operation_that_takes_if_match_documents_412(client):
    paths = client.get("/openapi.json").json()["paths"]
    taking = [
        (m, p, op)
        for p, ops in paths.items()
        for m, op in ops.items()
        if any(q["name"] == "if-match" for q in op.get("parameters", []))
    ]
    assert any(m == "post" for m, _, _ in taking), "POST /offers/{offer_id}/readiness takes If-Match"
    for method, path, op in taking:
        assert "412" in op["responses"], f"{method} {path}"
