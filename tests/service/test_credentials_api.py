"""Credentials through the API: held by experts, attested by offers, required by positions, refused in words."""

from tests.service import factories

MEDICAL = {"code": "MEDICAL", "issued_on": "2026-01-10", "expires_on": "2027-11-30"}


def _codes(record: dict) -> dict[str, str]:
    return {c["code"]: c["expires_on"] for c in record["credentials"]}


def test_an_expert_keeps_its_credentials_and_says_who_verified_them(client, auth):
    norway = auth("member_state", "NOR")
    made = client.post(
        "/experts",
        json=factories.expert(nationality="NOR", credentials=[MEDICAL | {"verified_by": "Oslo University Hospital"}]),
        headers=norway,
    )
    assert made.status_code == 201, made.text
    body = made.json()
    assert _codes(body) == {"HR-SCREENING": "2029-12-31", "MEDICAL": "2027-11-30"}
    medical = next(c for c in body["credentials"] if c["code"] == "MEDICAL")
    assert medical["verified_by"] == "Oslo University Hospital" and medical["issued_on"] == "2026-01-10"
    screening = next(c for c in body["credentials"] if c["code"] == "HR-SCREENING")
    assert screening["verified_by"] == "test member_state NOR"  # the caller, by default
    assert body["screening_valid_until"] == "2029-12-31"
    again = client.get(f"/experts/{body['id']}", headers=norway).json()  # the lean read path
    assert again["credentials"] == body["credentials"]
    listed = client.get("/experts", headers=norway).json()["data"]
    assert next(e for e in listed if e["id"] == body["id"])["credentials"] == body["credentials"]


def test_a_patch_replaces_the_list_and_the_screening_field_is_a_view_of_its_credential(client, auth):
    hq = auth("hq")
    expert = client.post("/experts", json=factories.expert(credentials=[MEDICAL]), headers=hq).json()
    url = f"/experts/{expert['id']}"

    def patch(body: dict) -> dict:
        etag = client.get(url, headers=hq).headers["etag"]
        done = client.patch(url, json=body, headers=hq | {"If-Match": etag})
        assert done.status_code == 200, done.text
        return done.json()

    renewed = patch({"credentials": [MEDICAL | {"expires_on": "2027-12-31"}]})
    assert _codes(renewed) == {"MEDICAL": "2027-12-31"}  # the screening, not listed, is gone
    assert renewed["screening_valid_until"] is None
    screened = patch({"screening_valid_until": "2030-01-31"})
    assert _codes(screened) == {"HR-SCREENING": "2030-01-31", "MEDICAL": "2027-12-31"}
    assert patch({"screening_valid_until": "2031-01-31"})["screening_valid_until"] == "2031-01-31"
    assert _codes(patch({"screening_valid_until": None})) == {"MEDICAL": "2027-12-31"}


def _refused(response, field: str) -> str:
    assert response.status_code == 422, response.text
    found = {d["field"]: d["message"] for d in response.json()["detail"]}
    assert field in found, found
    return found[field]


def test_bad_credentials_are_refused_naming_the_field_and_how_to_fix_it(client, auth):
    hq = auth("hq")
    unknown = client.post("/experts", json=factories.expert(credentials=[MEDICAL | {"code": "YOGA"}]), headers=hq)
    assert "GET /reference/credential-types" in _refused(unknown, "credentials")
    too_long = client.post(
        "/experts", json=factories.expert(credentials=[MEDICAL | {"expires_on": "2028-02-01"}]), headers=hq
    )
    assert "at most 24 months" in _refused(too_long, "credentials.0.expires_on")
    backwards = client.post(
        "/experts", json=factories.expert(credentials=[MEDICAL | {"expires_on": "2025-01-01"}]), headers=hq
    )
    assert backwards.status_code == 422 and "before issued_on" in backwards.text
    twice = client.post("/experts", json=factories.expert(credentials=[MEDICAL, MEDICAL]), headers=hq)
    assert twice.status_code == 422 and "more than once" in twice.text
    disagree = client.post(
        "/experts",
        json=factories.expert(credentials=[{"code": "HR-SCREENING", "expires_on": "2028-01-01"}]),
        headers=hq,
    )
    assert disagree.status_code == 422 and "disagree" in disagree.text
    assert client.get("/experts", headers=hq).json()["count"] == 0  # nothing stored


def test_an_offer_attests_credentials_for_its_team(client, auth):
    norway = auth("member_state", "NOR")
    made = client.post("/offers", json=factories.offer(credentials=[MEDICAL]), headers=norway)
    assert made.status_code == 201, made.text
    assert _codes(made.json()) == {"MEDICAL": "2027-11-30"}
    url = f"/offers/{made.json()['id']}"
    etag = client.get(url, headers=norway).headers["etag"]
    changed = client.patch(url, json={"credentials": []}, headers=norway | {"If-Match": etag})
    assert changed.status_code == 200 and changed.json()["credentials"] == []
    bad = client.post("/offers", json=factories.offer(credentials=[MEDICAL | {"code": "YOGA"}]), headers=norway)
    assert "unknown credential type" in _refused(bad, "credentials")


def test_positions_take_their_categorys_defaults_unless_told(client, auth):
    hq = auth("hq")
    positions = [
        factories.position(title="Any category"),
        factories.position(title="Police", category="police"),
        factories.position(title="Civilian", category="civilian"),
        factories.position(title="Named", category="police", required_credentials=["LANGUAGE-TEST"]),
        factories.position(title="None at all", required_credentials=[]),
    ]
    made = client.post("/requests", json=factories.capacity_request(positions=positions), headers=hq)
    assert made.status_code == 201, made.text
    required = {p["title"]: p["required_credentials"] for p in made.json()["positions"]}
    assert required == {
        "Any category": ["CPTM", "HR-SCREENING", "MEDICAL"],
        "Police": ["CPTM", "DRIVING-TEST", "FIREARMS-TEST", "HR-SCREENING", "MEDICAL"],
        "Civilian": ["CPTM", "HR-SCREENING", "MEDICAL", "SSAFE"],
        "Named": ["LANGUAGE-TEST"],
        "None at all": [],
    }
    bad = client.post(
        "/requests",
        json=factories.capacity_request(positions=[factories.position(required_credentials=["YOGA"])]),
        headers=hq,
    )
    assert "unknown credential type" in _refused(bad, "positions.0.required_credentials")
