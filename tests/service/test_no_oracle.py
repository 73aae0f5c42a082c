"""No Member State learns of, or blocks, another state's people through e-mail or national id (issue 17).

Norway creating an expert with Ghana's e-mail got 409 "an expert with e-mail ... already exists"; Norway
could register a national id first, after which Ghana's own expert was refused. Keys are now unique within
the owning state; HQ sees the duplicates across states."""

from tests.service import factories


def _create(client, headers, **fields):
    return client.post("/experts", json=factories.expert(**fields), headers=headers)


def test_another_states_email_and_national_id_neither_clash_nor_show(client, auth):
    ghana, norway = auth("member_state", state="GHA"), auth("member_state", state="NOR")
    keys = {"email": "kwame@example.gh", "nationality": "GHA", "national_id": "GH-123"}
    assert _create(client, ghana, **keys).status_code == 201
    copied = _create(client, norway, **keys)
    assert copied.status_code == 201
    assert "GHA" not in copied.text.replace('"nationality":"GHA"', "")  # nothing of Ghana's record
    assert client.get("/experts", headers=norway).json()["count"] == 1


def test_a_national_id_registered_first_elsewhere_does_not_block_the_owner(client, auth):
    ghana, norway = auth("member_state", state="GHA"), auth("member_state", state="NOR")
    squatted = {"nationality": "GHA", "national_id": "GH-777"}
    assert _create(client, norway, **squatted).status_code == 201
    own = _create(client, ghana, **squatted)
    assert own.status_code == 201
    assert client.get(f"/experts/{own.json()['id']}", headers=ghana).status_code == 200


def test_keys_stay_unique_within_a_state(client, auth):
    ghana = auth("member_state", state="GHA")
    assert _create(client, ghana, email="ama@example.gh").status_code == 201
    again = _create(client, ghana, email="ama@example.gh")
    assert again.status_code == 409 and "ama@example.gh" in again.json()["detail"]


def test_changing_an_email_to_another_states_is_not_refused(client, auth):
    ghana, norway = auth("member_state", state="GHA"), auth("member_state", state="NOR")
    _create(client, ghana, email="yaw@example.gh")
    mine = _create(client, norway).json()
    etag = client.get(f"/experts/{mine['id']}", headers=norway).headers["etag"]
    changed = client.patch(
        f"/experts/{mine['id']}", json={"email": "yaw@example.gh"}, headers=norway | {"If-Match": etag}
    )
    assert changed.status_code == 200


def test_hq_sees_the_same_person_put_forward_twice_and_states_do_not(client, auth):
    keys = {"email": "efua@example.org", "nationality": "GHA", "national_id": "GH-9"}
    first = _create(client, auth("member_state", state="GHA"), **keys).json()
    second = _create(client, auth("member_state", state="NOR"), **keys).json()
    groups = client.get("/experts/duplicates", headers=auth("hq")).json()["data"]
    assert {g["shared"] for g in groups} == {"e-mail", "national id"}
    assert all([e["id"] for e in g["experts"]] == [first["id"], second["id"]] for g in groups)
    assert client.get("/experts/duplicates", headers=auth("member_state", state="NOR")).status_code == 403
    assert client.get("/experts/duplicates", headers=auth("planner")).status_code == 403
