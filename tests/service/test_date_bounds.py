"""Every date that enters is between 1900-01-01 and 2100-12-31, so no arithmetic on it can overflow (issue 17).

An offer that expired on 9999-12-31 was accepted (201), after which /ui/offers answered 500 for every role."""

from datetime import date

import pytest
from sqlmodel import Session

from service.platform.tables import Offer
from service.web.offers import renewed_until
from tests.service import factories

EXTREMES = ("0001-01-01", "1899-12-31", "2101-01-01", "9999-12-31")


def test_an_offer_expiring_in_year_9999_is_refused_with_the_range(client, auth):
    answer = client.post(
        "/offers", json=factories.offer(expires_on="9999-12-31"), headers=auth("member_state", state="NOR")
    )
    assert answer.status_code == 422
    assert answer.json()["detail"][0]["field"].endswith("expires_on") and "2100-12-31" in answer.text


@pytest.mark.parametrize("field", ["screening_valid_until"])
def test_an_expert_date_out_of_range_is_refused(client, auth, field):
    answer = client.post("/experts", json=factories.expert(**{field: "9999-12-31"}), headers=auth("hq"))
    assert answer.status_code == 422 and field in answer.text


def test_a_stored_far_date_no_longer_breaks_the_offers_page(client, auth, engine):
    """Rows an older release let in render: the renewal stops at the last day the service takes."""
    made = client.post("/offers", json=factories.offer(), headers=auth("member_state", state="NOR")).json()
    with Session(engine) as session:
        offer = session.get(Offer, made["id"])
        offer.expires_on = date(9999, 12, 31)
        session.add(offer)
        session.commit()
    assert renewed_until(date(9999, 12, 31), date(2027, 1, 4)) == date(2101, 12, 31)
    client.cookies.set("roster_session", auth("hq")["Authorization"].removeprefix("Bearer "))
    assert client.get("/ui/offers").status_code == 200


def _date_query_parameters(client) -> list[tuple[str, str]]:
    spec = client.get("/openapi.json").json()
    found = []
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            for parameter in operation.get("parameters", []):
                schema = parameter.get("schema", {})
                formats = [schema.get("format")] + [s.get("format") for s in schema.get("anyOf", [])]
                if method == "get" and parameter["in"] == "query" and "date" in formats:
                    found.append((path, parameter["name"]))
    return found


def test_every_date_query_parameter_takes_extremes_without_a_server_error(client, auth):
    parameters = _date_query_parameters(client)
    assert len(parameters) >= 6  # the sweep sees the API's date filters
    for role, state in (("hq", None), ("planner", None), ("member_state", "NOR")):
        headers = auth(role, state=state)
        for path, name in parameters:
            url = path.replace("{plan_id}", "1")
            for value in EXTREMES:
                answer = client.get(url, params={name: value}, headers=headers)
                assert answer.status_code < 500, f"{role} GET {url}?{name}={value}: {answer.status_code}"


@pytest.mark.parametrize("page,name", [("/ui/gaps", "start"), ("/ui/gaps", "end"), ("/ui/deployments", "today")])
def test_every_date_of_the_pages_takes_extremes(client, auth, page, name):
    client.cookies.set("roster_session", auth("hq")["Authorization"].removeprefix("Bearer "))
    for value in EXTREMES:
        assert client.get(page, params={name: value}).status_code < 500, f"{page}?{name}={value}"
