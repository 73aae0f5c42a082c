"""Credential types as reference data (admins add, change and retire them) and the credentials positions require:
the category's defaults when HQ names none, the list HQ names otherwise."""

import pytest

from tests.service import factories

SEEDED = {"HR-SCREENING", "CPTM", "MEDICAL", "SSAFE", "LANGUAGE-TEST", "DRIVING-TEST", "FIREARMS-TEST"}


def _headers(auth, role: str) -> dict:
    return auth(role, "NOR") if role == "member_state" else auth(role)


def _type(**overrides) -> dict:
    return {"code": "DIVE-CERT", "name": "diving certificate", "validity_months": 12} | overrides


class TestTheList:
    @pytest.mark.parametrize("role", ["admin", "hq", "planner", "member_state"])
    def test_every_role_reads_the_seeded_types(self, client, auth, role):
        answer = client.get("/reference/credential-types", headers=_headers(auth, role))
        assert answer.status_code == 200, answer.text
        body = answer.json()
        assert {t["code"] for t in body["data"]} == SEEDED and body["count"] == len(SEEDED)
        medical = next(t for t in body["data"] if t["code"] == "MEDICAL")
        assert medical["name"] == "medical clearance" and medical["validity_months"] == 24
        assert set(medical["default_for"]) == {"civilian", "military", "police", "corrections", "justice"}

    def test_filtered_by_active(self, client, auth):
        admin = auth("admin")
        client.patch("/reference/credential-types/LANGUAGE-TEST", json={"active": False}, headers=admin)
        active = client.get("/reference/credential-types?active=true", headers=admin).json()
        retired = client.get("/reference/credential-types?active=false", headers=admin).json()
        assert "LANGUAGE-TEST" not in {t["code"] for t in active["data"]}
        assert [t["code"] for t in retired["data"]] == ["LANGUAGE-TEST"] and retired["count"] == 1

    def test_signed_out_is_401(self, client):
        assert client.get("/reference/credential-types").status_code == 401


class TestAdminChanges:
    def test_admin_adds_a_type_and_the_audit_says_so(self, client, auth):
        admin = auth("admin")
        made = client.post("/reference/credential-types", json=_type(default_for=["military"]), headers=admin)
        assert made.status_code == 201, made.text
        assert made.json() == {
            "code": "DIVE-CERT",
            "name": "diving certificate",
            "description": "",
            "validity_months": 12,
            "active": True,
            "default_for": ["military"],
        }
        trail = client.get("/audit?entity=credential_type&entity_id=DIVE-CERT", headers=admin).json()["data"]
        assert [e["action"] for e in trail] == ["create"]

    @pytest.mark.parametrize("role", ["hq", "planner", "member_state"])
    def test_only_admins_change_types(self, client, auth, role):
        headers = _headers(auth, role)
        assert client.post("/reference/credential-types", json=_type(), headers=headers).status_code == 403
        changed = client.patch("/reference/credential-types/MEDICAL", json={"name": "x"}, headers=headers)
        assert changed.status_code == 403

    def test_a_code_taken_is_409(self, client, auth):
        again = client.post("/reference/credential-types", json=_type(code="MEDICAL"), headers=auth("admin"))
        assert again.status_code == 409 and "MEDICAL already exists" in again.json()["detail"]

    @pytest.mark.parametrize(
        "body, field",
        [
            (_type(code="lower case"), "code"),
            (_type(name=""), "name"),
            (_type(validity_months=0), "validity_months"),
            (_type(default_for=["sailors"]), "default_for.0"),
            (_type(colour="red"), "colour"),
        ],
    )
    def test_bad_input_is_422_naming_the_field(self, client, auth, body, field):
        answer = client.post("/reference/credential-types", json=body, headers=auth("admin"))
        assert answer.status_code == 422, answer.text
        assert field in [d["field"] for d in answer.json()["detail"]], answer.json()

    def test_admin_changes_a_type_and_the_audit_keeps_before_and_after(self, client, auth):
        admin = auth("admin")
        changes = {"name": "medical fitness", "validity_months": None, "default_for": ["police"]}
        changed = client.patch("/reference/credential-types/MEDICAL", json=changes, headers=admin)
        assert changed.status_code == 200, changed.text
        assert changed.json()["name"] == "medical fitness" and changed.json()["validity_months"] is None
        assert changed.json()["default_for"] == ["police"] and changed.json()["active"] is True
        trail = client.get("/audit?entity=credential_type&entity_id=MEDICAL", headers=admin).json()["data"]
        assert trail[0]["action"] == "update"
        assert trail[0]["before"]["name"] == "medical clearance" and trail[0]["after"]["name"] == "medical fitness"

    def test_unknown_type_is_404(self, client, auth):
        answer = client.patch("/reference/credential-types/NOPE", json={"name": "x"}, headers=auth("admin"))
        assert answer.status_code == 404 and "credential type NOPE not found" in answer.json()["detail"]

    @pytest.mark.parametrize("field", ["name", "active", "default_for", "description"])
    def test_null_is_refused_where_a_value_is_always_set(self, client, auth, field):
        answer = client.patch("/reference/credential-types/MEDICAL", json={field: None}, headers=auth("admin"))
        assert answer.status_code == 422, answer.text
        assert answer.json()["detail"][0]["field"] == field


class TestRetiring:
    def test_a_retired_type_stays_where_it_is_held_and_required_but_cannot_be_named_anew(self, client, auth):
        admin, hq = auth("admin"), auth("hq")
        position = factories.position(required_credentials=["LANGUAGE-TEST"])
        request = client.post("/requests", json=factories.capacity_request(positions=[position]), headers=hq).json()
        expert = client.post(
            "/experts", json=factories.expert(credentials=factories.credentials("LANGUAGE-TEST")), headers=hq
        ).json()
        assert client.patch(
            "/reference/credential-types/LANGUAGE-TEST", json={"active": False}, headers=admin
        ).is_success

        held = client.get(f"/experts/{expert['id']}", headers=hq).json()
        assert "LANGUAGE-TEST" in [c["code"] for c in held["credentials"]]
        kept = client.get(f"/requests/{request['id']}", headers=hq).json()
        assert kept["positions"][0]["required_credentials"] == ["LANGUAGE-TEST"]

        again = factories.capacity_request(positions=[position])
        refused = client.post("/requests", json=again, headers=hq)
        assert refused.status_code == 422
        assert refused.json()["detail"][0]["field"] == "positions.0.required_credentials"
        assert "no longer in use" in refused.json()["detail"][0]["message"]
        recorded = client.post(
            "/experts", json=factories.expert(credentials=factories.credentials("LANGUAGE-TEST")), headers=hq
        )
        assert recorded.status_code == 422 and recorded.json()["detail"][0]["field"] == "credentials"

    def test_a_retired_type_is_no_longer_a_default(self, client, auth):
        assert client.patch(
            "/reference/credential-types/MEDICAL", json={"active": False}, headers=auth("admin")
        ).is_success
        made = client.post("/requests", json=factories.capacity_request(), headers=auth("hq")).json()
        assert "MEDICAL" not in made["positions"][0]["required_credentials"]


def _required(client, auth, **position) -> list[str]:
    body = factories.capacity_request(positions=[factories.position(**position)])
    made = client.post("/requests", json=body, headers=auth("hq"))
    assert made.status_code == 201, made.text
    return made.json()["positions"][0]["required_credentials"]


class TestPositionsRequire:
    @pytest.mark.parametrize(
        "category, expected",
        [
            ("police", ["CPTM", "DRIVING-TEST", "FIREARMS-TEST", "HR-SCREENING", "MEDICAL"]),
            ("civilian", ["CPTM", "HR-SCREENING", "MEDICAL", "SSAFE"]),
            ("military", ["CPTM", "HR-SCREENING", "MEDICAL"]),
            (None, ["CPTM", "HR-SCREENING", "MEDICAL"]),
        ],
    )
    def test_the_category_defaults_when_none_are_named(self, client, auth, category, expected):
        assert sorted(_required(client, auth, category=category)) == expected

    def test_a_type_an_admin_makes_a_default_of_every_category_is_required_of_any(self, client, auth):
        every = ["civilian", "military", "police", "corrections", "justice"]
        made = client.post("/reference/credential-types", json=_type(default_for=every), headers=auth("admin"))
        assert made.status_code == 201
        assert "DIVE-CERT" in _required(client, auth, category=None)

    def test_the_list_named_is_kept_and_none_at_all_is_allowed(self, client, auth):
        assert _required(client, auth, category="police", required_credentials=["MEDICAL"]) == ["MEDICAL"]
        assert _required(client, auth, category="police", required_credentials=[]) == []

    @pytest.mark.parametrize(
        "codes, field, words",
        [
            (["NO-SUCH-TYPE"], "positions.0.required_credentials", "unknown credential type(s) NO-SUCH-TYPE"),
            (["lower"], "positions.0.required_credentials.0", "pattern"),
            (["MEDICAL", "MEDICAL"], "positions.0", "required_credentials lists a type twice"),
        ],
    )
    def test_bad_codes_are_422_naming_the_position_field(self, client, auth, codes, field, words):
        body = factories.capacity_request(positions=[factories.position(required_credentials=codes)])
        answer = client.post("/requests", json=body, headers=auth("hq"))
        assert answer.status_code == 422, answer.text
        problem = answer.json()["detail"][0]
        assert problem["field"] == field and words in problem["message"], problem

    def test_hq_changes_a_positions_list(self, client, auth):
        hq = auth("hq")
        request = client.post("/requests", json=factories.capacity_request(), headers=hq).json()
        position = request["positions"][0]
        path = f"/requests/{request['id']}/positions/{position['id']}"
        changed = client.patch(path, json={"required_credentials": ["SSAFE"]}, headers=hq)
        assert changed.status_code == 200, changed.text
        assert changed.json()["required_credentials"] == ["SSAFE"]
        unknown = client.patch(path, json={"required_credentials": ["NOPE"]}, headers=hq)
        assert unknown.status_code == 422 and unknown.json()["detail"][0]["field"] == "body.required_credentials"
        refused = client.patch(path, json={"required_credentials": None}, headers=hq)
        assert refused.status_code == 422
        added = client.post(
            f"/requests/{request['id']}/positions",
            json=factories.position(category="civilian"),
            headers=hq,
        )
        assert sorted(added.json()["required_credentials"]) == ["CPTM", "HR-SCREENING", "MEDICAL", "SSAFE"]


def _sign_in(client, auth, role: str) -> None:
    secret = auth(role)["Authorization"].removeprefix("Bearer ")
    form = client.get("/ui/signin")
    csrf = form.text.split('name="csrf" value="', 1)[1].split('"', 1)[0]
    assert client.post("/ui/signin", data={"token": secret, "csrf": csrf}, follow_redirects=False).status_code == 303


def _boxes(html: str, index: int) -> dict[str, bool]:
    """code -> ticked, of position row ``index``'s credential boxes."""
    name = f'name="positions.{index}.required_credentials" value="'
    out = {}
    for part in html.split(name)[1:]:
        code, rest = part.split('"', 1)
        out[code] = " checked" in rest.split(">", 1)[0]
    return out


class TestTheRequestForm:
    def test_a_new_position_starts_with_the_defaults_of_any_category_and_keeps_what_is_ticked(self, client, auth):
        _sign_in(client, auth, "hq")
        form = client.get("/ui/requests/new")
        boxes = _boxes(form.text, 0)
        assert set(boxes) == SEEDED
        assert {c for c, ticked in boxes.items() if ticked} == {"CPTM", "HR-SCREENING", "MEDICAL"}
        assert 'data-default-for="police"' in form.text  # the script ticks the police tests for a police seat
        csrf = form.text.split('name="csrf" value="', 1)[1].split('"', 1)[0]
        posted = client.post(
            "/ui/requests/new",
            data={
                "csrf": csrf,
                "mission": "MINUSCA",
                "title": "Police reform",
                "level": "operational",
                "positions.0.title": "Police adviser",
                "positions.0.category": "police",
                "positions.0.start_date": "2027-03-01",
                "positions.0.end_date": "2027-12-31",
                "positions.0.required_credentials": ["HR-SCREENING", "DRIVING-TEST"],
            },
            follow_redirects=False,
        )
        assert posted.status_code == 303, posted.text
        request_id = int(posted.headers["location"].split("?")[0].rsplit("/", 1)[1])
        stored = client.get(f"/requests/{request_id}", headers=auth("hq")).json()["positions"][0]
        assert stored["required_credentials"] == ["HR-SCREENING", "DRIVING-TEST"]
        page = client.get(f"/ui/requests/{request_id}").text
        assert "must hold through 2027-12-31: human-rights screening, UN driving test" in page
        edit = client.get(f"/ui/requests/{request_id}/edit").text
        assert {c for c, ticked in _boxes(edit, 0).items() if ticked} == {"HR-SCREENING", "DRIVING-TEST"}

    def test_unticking_every_box_requires_none_and_a_retired_type_stays_shown(self, client, auth):
        hq = auth("hq")
        made = _request_with(client, hq, ["LANGUAGE-TEST", "MEDICAL"])
        client.patch("/reference/credential-types/LANGUAGE-TEST", json={"active": False}, headers=auth("admin"))
        _sign_in(client, auth, "hq")
        edit = client.get(f"/ui/requests/{made['id']}/edit").text
        assert _boxes(edit, 0)["LANGUAGE-TEST"] is True and "(retired)" in edit
        assert "LANGUAGE-TEST" not in _boxes(edit, 1)  # the blank row offers only the types in use
        csrf = edit.split('name="csrf" value="', 1)[1].split('"', 1)[0]
        position = made["positions"][0]
        saved = client.post(
            f"/ui/requests/{made['id']}/edit",
            data={
                "csrf": csrf,
                "version": str(made["version"]),
                "mission": "MINUSCA",
                "title": made["title"],
                "level": made["level"],
                "priority": str(made["priority"]),
                "deploy_by": made["deploy_by"],
                "benchmark": made["benchmark"],
                "status": made["status"],
                "positions.0.id": str(position["id"]),
                "positions.0.title": position["title"],
                "positions.0.start_date": position["start_date"],
                "positions.0.end_date": position["end_date"],
                "positions.0.count": "1",
                "positions.0.required_skills.0.code": "SSR-STRATEGY",
                "positions.0.required_skills.0.min_proficiency": "3",
                "positions.0.languages.0.code": "fr",
                "positions.0.languages.0.min_level": "4",
            },
            follow_redirects=False,
        )
        assert saved.status_code == 303, saved.text
        stored = client.get(f"/requests/{made['id']}", headers=hq).json()["positions"][0]
        assert stored["required_credentials"] == []
        assert "no credentials required" in client.get(f"/ui/requests/{made['id']}").text


def _request_with(client, hq, codes: list[str]) -> dict:
    body = factories.capacity_request(positions=[factories.position(required_credentials=codes)])
    made = client.post("/requests", json=body, headers=hq)
    assert made.status_code == 201, made.text
    return made.json()
