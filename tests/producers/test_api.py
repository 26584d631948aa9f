"""The producer-groups API: apply, verification, privacy of details, members-only changes."""

from sqlmodel import select

from marketplace.models import ProducerGroup, User
from tests.factories import add_member, create_group, create_user
from tests.helpers import delivered_mail
from tests.helpers.api import token_for

APPLY = {
    "name": "Kuoy Community Handicraft Association", "name_km": "សមាគមសិប្បកម្មសហគមន៍កួយ",
    "community": "kuy", "crafts": ["weaving", "basketry"],
    "province_code": "06", "district_code": "0601", "commune_code": "060101",
    "village_code": "06010101", "phone": "012 345 678",
    "members_count": 24, "women_count": 19, "story": "Kuy silk weavers",
}


def bearer(client, user) -> dict:
    return {"Authorization": f"Bearer {token_for(client, user.email)}"}


def fields(response) -> dict:
    assert response.headers["content-type"] == "application/problem+json", response.text
    return {e["field"]: e["message"] for e in response.json()["errors"]}


def test_apply_refuses_foreign_phone_and_village_outside_the_commune(client, session):
    applicant = bearer(client, create_user(session))
    foreign = client.post("/api/v1/producer-groups", headers=applicant,
                          json={**APPLY, "phone": "+33 6 12 34 56 78"})
    assert foreign.status_code == 422 and "phone" in fields(foreign)
    elsewhere = client.post("/api/v1/producer-groups", headers=applicant,
                            json={**APPLY, "village_code": "16010101"})
    assert elsewhere.status_code == 422
    assert list(fields(elsewhere)) == ["village_code"]
    missing = client.post("/api/v1/producer-groups", headers=applicant,
                          json={**APPLY, "crafts": [], "members_count": 0})
    assert missing.status_code == 422
    assert {"crafts", "members_count"} <= set(fields(missing))
    assert session.exec(select(ProducerGroup)).first() is None


def test_apply_needs_a_token(client):
    response = client.post("/api/v1/producer-groups", json=APPLY)
    assert response.status_code == 401 and response.headers["www-authenticate"] == "Bearer"


def test_apply_then_an_admin_verifies_and_the_group_becomes_public(client, session):
    applicant = bearer(client, create_user(session))
    admin = bearer(client, create_user(session, role=["admin"]))
    stranger = bearer(client, create_user(session))

    applied = client.post("/api/v1/producer-groups", headers=applicant, json=APPLY)
    assert applied.status_code == 201, applied.text
    group = applied.json()
    assert group["status"] == "applied" and group["phone"] == "+85512345678"
    url = f"/api/v1/producer-groups/{group['id']}"

    assert client.get(url).status_code == 404
    assert client.get(url, headers=stranger).status_code == 404
    assert client.get(url, headers=applicant).json()["phone"] == "+85512345678"
    assert client.get("/api/v1/producer-groups").json()["count"] == 0

    refused = client.post(f"{url}/verify", headers=applicant)
    assert refused.status_code == 403
    verified = client.post(f"{url}/verify", headers=admin)
    assert verified.status_code == 200 and verified.json()["status"] == "verified"
    assert verified.json()["verified_at"] is not None

    public = client.get(url)
    assert public.status_code == 200 and public.json()["name"] == APPLY["name"]
    assert "phone" not in public.json() and "payout_account_number" not in public.json()
    listed = client.get("/api/v1/producer-groups").json()
    assert [g["id"] for g in listed["data"]] == [group["id"]] and listed["next"] is None


def test_illegal_transitions_are_409_and_suspension_needs_a_reason(client, session):
    admin = bearer(client, create_user(session, role=["admin"]))
    group = create_group(session)
    url = f"/api/v1/producer-groups/{group.id}"

    again = client.post(f"{url}/verify", headers=admin)
    assert again.status_code == 409
    assert again.json()["type"].endswith("/invalid-transition")
    assert client.post(f"{url}/reinstate", headers=admin).status_code == 409

    no_reason = client.post(f"{url}/suspend", headers=admin, json={"reason": "  "})
    assert no_reason.status_code == 422 and "reason" in fields(no_reason)
    suspended = client.post(f"{url}/suspend", headers=admin,
                            json={"reason": "Complaint from a buyer upheld"})
    assert suspended.status_code == 200 and suspended.json()["status"] == "suspended"
    assert client.get(url).status_code == 404
    assert client.get(url, headers=admin).json()["status"] == "suspended"

    reinstated = client.post(f"{url}/reinstate", headers=admin, json={})
    assert reinstated.status_code == 200 and reinstated.json()["status"] == "verified"
    assert client.get(url).status_code == 200


def test_list_filters_by_province_and_admins_see_other_statuses(client, session):
    admin = bearer(client, create_user(session, role=["admin"]))
    member = bearer(client, create_user(session))
    mondulkiri = create_group(session, name="Bunong Weavers", province_code="11",
                              district_code="1101", commune_code="110101",
                              village_code="11010101")
    ratanakiri = create_group(session, name="Tampuan Baskets")
    waiting = create_group(session, name="Awaiting Verification", status="applied")

    everyone = client.get("/api/v1/producer-groups").json()
    assert [g["id"] for g in everyone["data"]] == [mondulkiri.id, ratanakiri.id]
    in_11 = client.get("/api/v1/producer-groups", params={"province": "11"}).json()
    assert [g["name"] for g in in_11["data"]] == ["Bunong Weavers"] and in_11["count"] == 1

    applied = client.get("/api/v1/producer-groups", params={"status": "applied"}, headers=admin)
    assert [g["id"] for g in applied.json()["data"]] == [waiting.id]
    ignored = client.get("/api/v1/producer-groups", params={"status": "applied"},
                         headers=member)
    assert waiting.id not in [g["id"] for g in ignored.json()["data"]]

    bad = client.get("/api/v1/producer-groups", params={"status": "deleted", "limit": 0})
    assert bad.status_code == 422 and {"status", "limit"} <= set(fields(bad))


def test_cursor_and_page_walk_every_group_once(client, session):
    ids = {create_group(session, name=f"Group {n % 3}").id for n in range(7)}
    seen, cursor, pages = [], None, 0
    while True:
        params = {"limit": 3} | ({"cursor": cursor} if cursor else {})
        body = client.get("/api/v1/producer-groups", params=params).json()
        assert body["count"] == 7
        seen += [g["id"] for g in body["data"]]
        cursor, pages = body["next"], pages + 1
        if cursor is None:
            break
    assert pages == 3 and len(seen) == 7 and set(seen) == ids
    second = client.get("/api/v1/producer-groups", params={"limit": 3, "page": 2}).json()
    assert [g["id"] for g in second["data"]] == seen[3:6]


def test_only_members_may_change_the_profile(client, session):
    group = create_group(session, name="Jarai Potters")
    member = add_member(session, group)
    outsider = bearer(client, create_user(session))
    url = f"/api/v1/producer-groups/{group.id}"

    refused = client.patch(url, headers=outsider, json={"name": "Taken Over"})
    assert refused.status_code == 403
    assert client.get(url).json()["name"] == "Jarai Potters"

    own = bearer(client, member)
    changed = client.patch(url, headers=own, json={"name": "Jarai Potters of Ou Ya Dav",
                                                   "phone": "097 765 4321"})
    assert changed.status_code == 200, changed.text
    assert changed.json()["phone"] == "+855977654321"
    assert client.get(url).json()["name"] == "Jarai Potters of Ou Ya Dav"

    bad = client.patch(url, headers=own, json={"phone": "+1 202 555 0100",
                                               "women_count": 500})
    assert bad.status_code == 422 and "phone" in fields(bad)
    assert client.patch("/api/v1/producer-groups/999999", headers=own,
                        json={"name": "Nobody"}).status_code == 404


def test_payout_destination_set_by_the_leader_and_verified_by_an_admin(
        client, session, engine, settings):
    leader_user = create_user(session, email="leader@example.com")
    group = create_group(session, leader=leader_user)
    member = bearer(client, add_member(session, group))
    leader = bearer(client, leader_user)
    admin = bearer(client, create_user(session, role=["admin"]))
    url = f"/api/v1/producer-groups/{group.id}/payout-destination"
    body = {"method": "aba", "account_name": "Tampuan Weavers", "account_number": "000 123 456"}

    assert client.put(url, headers=member, json=body).status_code == 403
    no_bank = client.put(url, headers=leader, json={**body, "method": "bank"})
    assert no_bank.status_code == 422 and "bank_name" in fields(no_bank)
    saved = client.put(url, headers=leader, json=body)
    assert saved.status_code == 200, saved.text
    assert saved.json()["payout_account_number"] == "000123456"
    assert saved.json()["payout_verified_at"] is None
    mails = delivered_mail(engine, settings)
    assert [m["To"] for m in mails] == ["leader@example.com"]
    assert "3456" in mails[0].get_body(preferencelist=("plain",)).get_content()

    assert client.post(f"{url}/verify", headers=leader).status_code == 403
    verified = client.post(f"{url}/verify", headers=admin)
    assert verified.status_code == 200 and verified.json()["payout_verified_at"] is not None
    public = client.get(f"/api/v1/producer-groups/{group.id}").json()
    assert "payout_account_number" not in public


def test_leader_invites_by_email(client, session, engine, settings):
    leader_user = create_user(session)
    group = create_group(session, leader=leader_user)
    member = bearer(client, add_member(session, group))
    url = f"/api/v1/producer-groups/{group.id}/invitations"

    assert client.post(url, headers=member,
                       json={"email": "new@example.com"}).status_code == 403
    bad = client.post(url, headers=bearer(client, leader_user), json={"email": "not-an-email"})
    assert bad.status_code == 422 and "email" in fields(bad)
    sent = client.post(url, headers=bearer(client, leader_user),
                       json={"email": "Sreymom@Example.com", "role": "member"})
    assert sent.status_code == 201, sent.text
    assert sent.json()["email"] == "sreymom@example.com" and "token" not in sent.text
    mails = delivered_mail(engine, settings)
    assert [m["To"] for m in mails] == ["sreymom@example.com"]


def test_payout_destinations_are_checked_per_rail(client, session):
    group = create_group(session)
    leader = bearer(client, session.get(User, group.leader_id))
    url = f"/api/v1/producer-groups/{group.id}/payout-destination"
    base = {"account_name": "Kuoy Weavers"}
    short = client.put(url, headers=leader, json={**base, "method": "aba",
                                                  "account_number": "12 345 678"})
    assert short.status_code == 422 and "9 digits" in fields(short)["account_number"]
    wrong_id = client.put(url, headers=leader, json={**base, "method": "bakong",
                                                     "account_number": "0123 456"})
    assert "name@bank" in fields(wrong_id)["account_number"]
    no_partner = client.put(url, headers=leader, json={**base, "method": "cash",
                                                       "account_number": "012 345 678"})
    assert "partner organisation" in fields(no_partner)["bank_name"]
    saved = client.put(url, headers=leader, json={**base, "method": "bakong",
                                                  "account_number": "Kuoy_Weavers@ACLB",
                                                  "currency": "KHR"})
    assert saved.status_code == 200, saved.text
    session.rollback()
    stored = session.get(ProducerGroup, group.id)
    assert (stored.payout_account_number, stored.payout_currency) == ("kuoy_weavers@aclb", "KHR")
    assert stored.payout_changed_at is not None  # payouts wait payout_hold_days


def test_groups_come_with_their_province_and_district_names(client, session):
    group = create_group(session, province_code="16", district_code="1601")
    body = client.get(f"/api/v1/producer-groups/{group.id}").json()
    assert (body["province_code"], body["province_name"], body["province_name_km"]) == \
        ("16", "Ratanak Kiri", "រតនគិរី")
    assert (body["district_name"], body["district_name_km"]) == ("Andoung Meas", "អណ្ដូងមាស")
    listed = client.get("/api/v1/producer-groups").json()["data"]
    assert {g["province_name"] for g in listed} == {"Ratanak Kiri"}
