"""The Seal of Excellence API: apply, review, the public registry, hang-tag checks, complaints."""

import threading
from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi.testclient import TestClient
from sqlmodel import select

from marketplace.certification.service import review, signing
from marketplace.models import Certificate, CertificationApplication, Complaint, User
from tests.factories import (
    add_member,
    create_application,
    create_group,
    create_product,
    create_user,
    pass_everything,
    png_bytes,
)
from tests.helpers.api import token_for

APPLY = {
    "materials": "Rattan cut by hand in O'Yadav; natural black dye from ebony fruit",
    "steps": [{"step": "splitting rattan", "method": "hand"},
              {"step": "weaving the back-basket", "method": "hand"}],
    "story": "The Kreung back-basket pattern my grandmother taught me",
    "innovation": "Padded leather straps for visitors carrying it in town",
    "intended_market": "Visitors in Banlung and shops in Phnom Penh",
    "price_cents": 3500, "weight_grams": 900,
}
CRITERIA = ("craftsmanship", "authenticity", "innovation", "marketability")


def bearer(client, user) -> dict:
    return {"Authorization": f"Bearer {token_for(client, user.email)}"}


def bearer_of(client, session, user_id: int) -> dict:
    """Headers for a user read from the test session, ending its read transaction first
    (on SQLite a stale reader could not write after the app has)."""
    user = session.get(User, user_id)
    session.commit()
    return bearer(client, user)


def problem(response, status: int) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json", response.text
    return response.json()


def fields(response) -> dict:
    return {e["field"]: e["message"] for e in response.json()["errors"]}


def upload(client, headers, application_id, color=(120, 80, 40), alt="The basket, front"):
    return client.post(f"/api/v1/certifications/applications/{application_id}/photos",
                       headers=headers, data={"alt_text": alt},
                       files={"file": ("basket.png", png_bytes(color=color), "image/png")})


@pytest.fixture
def group(session):
    return create_group(session, name="Kreung Basket Makers", province_code="16",
                        crafts=("basketry",), community="kreung")


def _approved(session, storage, settings):
    """An approved application and its certificate, through the services."""
    officer = create_user(session, role=["officer"])
    application = create_application(session, storage)
    pass_everything(session, officer, application)
    certificate = review.decide(session=session, settings=settings, actor=officer,
                                application=application, decision="approve")
    session.commit()
    return officer, application, certificate


def test_apply_review_approve_then_anyone_checks_the_seal(client, session, group):
    product = create_product(session, group=group, title="Kreung back-basket",
                             title_km="កញ្ជើ", craft="basketry")
    leader = bearer_of(client, session, group.leader_id)
    officer = bearer(client, create_user(session, role=["officer"]))

    created = client.post("/api/v1/certifications", headers=leader,
                          json={**APPLY, "product_ids": [product.id]})
    assert created.status_code == 201, created.text
    application = created.json()
    assert application["status"] == "draft" and application["product_ids"] == [product.id]
    assert application["criteria_version"] == 1
    base = f"/api/v1/certifications/applications/{application['id']}"
    for i in range(3):
        assert upload(client, leader, application["id"], color=(60 * i, 90, 30)).status_code == 201
    submitted = client.post(f"{base}/submit", headers=leader)
    assert submitted.status_code == 200, submitted.text
    assert submitted.json()["status"] == "submitted" and submitted.json()["photo_count"] == 3

    queue = client.get("/api/v1/certifications/queue?craft=basketry", headers=officer).json()
    assert [a["id"] for a in queue["data"]] == [application["id"]]
    too_early = client.post(f"{base}/assessments", headers=officer,
                            json={"criterion_key": "craftsmanship", "passed": True})
    assert "precondition" in problem(too_early, 409)["detail"]
    for key in ("environment", "social", *CRITERIA):
        assessed = client.post(f"{base}/assessments", headers=officer,
                               json={"criterion_key": key, "passed": True, "note": "Seen"})
        assert assessed.status_code == 201, assessed.text
    approved = client.post(f"{base}/decision", headers=officer, json={"decision": "approve"})
    assert approved.status_code == 200, approved.text
    number = approved.json()["certificate_number"]
    assert approved.json()["status"] == "approved" and number.startswith("SoE-")

    mine = client.get(base, headers=leader).json()
    assert mine["certificate_number"] == number and len(mine["assessments"]) == 6
    assert client.get(f"/api/v1/products/{product.id}").json()["certified"] is True

    public = client.get(f"/api/v1/certifications/{number}")  # no token: anyone may check
    assert public.status_code == 200, public.text
    seal = public.json()
    assert seal["status"] == "valid" and seal["province"] == "Ratanak Kiri"
    assert seal["products"] == [{"id": product.id, "title": "Kreung back-basket",
                                 "title_km": "កញ្ជើ"}]
    assert seal["group"]["name"] == "Kreung Basket Makers"
    assert seal["verification_url"].startswith(f"http://testserver/seal/{number}?t=")

    token = parse_qs(urlsplit(seal["verification_url"]).query)["t"][0]
    verified = client.get("/api/v1/seal/verify", params={"token": token})
    assert verified.status_code == 200, verified.text
    assert verified.json() == {"genuine": True, "number": number, "product_ids": [product.id],
                               "expires_on": seal["expires_at"][:10], "status": "valid",
                               "matches_registry": True}


def test_a_tampered_or_garbled_token_says_why(client, session, storage, settings):
    _officer, _application, certificate = _approved(session, storage, settings)
    claims = signing.Claims(certificate.number, (999,), "2099-01-01")
    forged = signing.sign(settings.model_copy(update={"secret_key": "y" * 48}), claims)
    body = problem(client.get("/api/v1/seal/verify", params={"token": forged}), 422)
    assert body["type"].endswith("/token-bad-signature")
    assert "not signed by the certification office" in body["detail"]
    assert list(fields(client.get("/api/v1/seal/verify", params={"token": forged}))) == ["token"]

    genuine = signing.sign(settings, signing.Claims(certificate.number, (1,), "2030-01-01"))
    _body, signature = genuine.split(".")
    altered = signing.sign(settings, claims).split(".")[0] + "." + signature
    body = problem(client.get("/api/v1/seal/verify", params={"token": altered}), 422)
    assert body["type"].endswith("/token-bad-signature")

    body = problem(client.get("/api/v1/seal/verify", params={"token": "not-a-seal"}), 422)
    assert body["type"].endswith("/token-malformed")
    assert "incomplete or garbled" in body["detail"]


def test_unknown_numbers_are_404_problems(client, session, settings):
    body = problem(client.get("/api/v1/certifications/SoE-2026-999999"), 404)
    assert body["detail"] == "No certificate has this number."
    token = signing.sign(settings, signing.Claims("SoE-2026-999999", (1,), "2030-01-01"))
    problem(client.get("/api/v1/seal/verify", params={"token": token}), 404)


def test_a_decided_application_cannot_be_decided_again(client, session, storage, settings):
    officer, application, _certificate = _approved(session, storage, settings)
    again = client.post(f"/api/v1/certifications/applications/{application.id}/decision",
                        headers=bearer(client, officer),
                        json={"decision": "reject", "note": "Changed my mind"})
    problem(again, 409)
    session.expire_all()
    assert session.get(CertificationApplication, application.id).status == "approved"


def test_two_officers_deciding_at_once_exactly_one_wins(app, client, session, storage):
    officers = [create_user(session, role=["officer"]) for _ in range(2)]
    application = create_application(session, storage)
    pass_everything(session, officers[0], application)
    headers = [bearer(client, officer) for officer in officers]
    clients = [client, TestClient(app, base_url="http://testserver")]
    bodies = [{"decision": "approve"}, {"decision": "reject", "note": "Not convincing"}]
    barrier = threading.Barrier(2)
    statuses = []

    def decide(i):
        barrier.wait()
        response = clients[i].post(
            f"/api/v1/certifications/applications/{application.id}/decision",
            headers=headers[i], json=bodies[i])
        statuses.append(response.status_code)

    threads = [threading.Thread(target=decide, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [200, 409]
    session.expire_all()
    final = session.get(CertificationApplication, application.id)
    issued = session.exec(select(Certificate)).all()
    assert len(issued) == (1 if final.status == "approved" else 0)


def test_submit_with_fewer_than_three_photos_names_photos(client, session, group):
    product = create_product(session, group=group)
    leader = bearer_of(client, session, group.leader_id)
    application = client.post("/api/v1/certifications", headers=leader,
                              json={**APPLY, "product_ids": [product.id]}).json()
    upload(client, leader, application["id"])
    upload(client, leader, application["id"], color=(10, 20, 30), alt="The weave, close")
    refused = client.post(f"/api/v1/certifications/applications/{application['id']}/submit",
                          headers=leader)
    problem(refused, 422)
    assert list(fields(refused)) == ["photos"]
    no_alt = upload(client, leader, application["id"], alt="")
    assert "alt_text" in fields(no_alt)
    not_a_photo = client.post(
        f"/api/v1/certifications/applications/{application['id']}/photos", headers=leader,
        data={"alt_text": "A photo"}, files={"file": ("x.png", b"not an image", "image/png")})
    assert problem(not_a_photo, 422) and "file" in fields(not_a_photo)


def test_one_open_application_per_product_and_only_for_own_products(client, session, group):
    product = create_product(session, group=group)
    leader = bearer_of(client, session, group.leader_id)
    outsider = bearer_of(client, session, create_group(session).leader_id)
    first = client.post("/api/v1/certifications", headers=leader,
                        json={**APPLY, "product_ids": [product.id]})
    assert first.status_code == 201
    problem(client.post("/api/v1/certifications", headers=leader,
                        json={**APPLY, "product_ids": [product.id]}), 409)
    problem(client.post("/api/v1/certifications", headers=outsider,
                        json={**APPLY, "product_ids": [product.id]}), 403)
    base = f"/api/v1/certifications/applications/{first.json()['id']}"
    problem(client.get(base, headers=outsider), 403)
    problem(client.patch(base, headers=outsider, json={"story": "Mine now"}), 403)
    edited = client.patch(base, headers=leader, json={"story": "A new story"})
    assert edited.json()["story"] == "A new story" and edited.json()["materials"]

    own = client.get("/api/v1/certifications", headers=leader).json()
    assert own["count"] == 1 and own["data"][0]["id"] == first.json()["id"]
    assert client.get("/api/v1/certifications", headers=outsider).json()["count"] == 0
    withdrawn = client.post(f"{base}/withdraw", headers=leader)
    assert withdrawn.json()["status"] == "withdrawn"
    again = client.post("/api/v1/certifications", headers=leader,
                        json={**APPLY, "product_ids": [product.id]})
    assert again.status_code == 201  # the product is free for a new application


def test_complaint_flood_from_one_address_is_429(client, session, storage, settings):
    _officer, _application, certificate = _approved(session, storage, settings)
    url = f"/api/v1/certifications/{certificate.number}/complaints"
    body = {"reason": "The scarf I bought is machine-woven", "contact": "visitor@example.com"}
    for _ in range(settings.complaints_per_hour):
        sent = client.post(url, json=body)
        assert sent.status_code == 201, sent.text
        assert sent.json()["status"] == "open"
    flood = client.post(url, json=body)
    problem(flood, 429)
    assert int(flood.headers["retry-after"]) > 0
    assert len(session.exec(select(Complaint)).all()) == settings.complaints_per_hour
    problem(client.post(url, json={**body, "reason": "short"}), 422)


def test_officer_of_the_applying_group_is_refused(client, session, storage, group):
    officer = create_user(session, role=["officer"])
    add_member(session, group, officer)
    application = create_application(session, storage, group=group)
    refused = client.post(f"/api/v1/certifications/applications/{application.id}/assessments",
                          headers=bearer(client, officer),
                          json={"criterion_key": "environment", "passed": True})
    assert "another officer" in problem(refused, 403)["detail"]


def test_only_officers_see_the_queue_and_review(client, session, storage):
    application = create_application(session, storage)
    producer = bearer_of(client, session, application.created_by_id)
    buyer = bearer(client, create_user(session))
    problem(client.get("/api/v1/certifications/queue", headers=producer), 403)
    problem(client.get("/api/v1/certifications/queue", headers=buyer), 403)
    problem(client.get("/api/v1/certifications/queue"), 401)
    problem(client.post(f"/api/v1/certifications/applications/{application.id}/decision",
                        headers=producer, json={"decision": "approve"}), 403)
    officer = bearer(client, create_user(session, role=["officer"]))
    assert client.get(f"/api/v1/certifications/applications/{application.id}",
                      headers=officer).status_code == 200
    problem(client.get(f"/api/v1/certifications/applications/{application.id}",
                       headers=buyer), 403)


def test_queue_is_oldest_first_and_filters_by_province_and_craft(client, session, storage):
    ratanakiri = create_application(session, storage)
    preah_vihear_group = create_group(session, province_code="13", district_code="1301",
                                      commune_code="130101", village_code="13010101")
    resin = create_application(session, storage, group=preah_vihear_group, products=[
        create_product(session, group=preah_vihear_group, craft="resin")])
    officer = bearer(client, create_user(session, role=["officer"]))

    def ids(query=""):
        response = client.get(f"/api/v1/certifications/queue{query}", headers=officer)
        assert response.status_code == 200, response.text
        return [a["id"] for a in response.json()["data"]]

    assert ids() == [ratanakiri.id, resin.id]
    assert ids("?province=13") == [resin.id]
    assert ids("?craft=weaving") == [ratanakiri.id]
    first = client.get("/api/v1/certifications/queue?limit=1", headers=officer).json()
    following = client.get(f"/api/v1/certifications/queue?limit=1&cursor={first['next']}",
                           headers=officer).json()
    assert [a["id"] for a in first["data"] + following["data"]] == [ratanakiri.id, resin.id]
    assert following["next"] is None


def test_revoking_needs_a_public_reason_then_the_registry_shows_it(client, session, storage,
                                                                   settings):
    officer, _application, certificate = _approved(session, storage, settings)
    url = f"/api/v1/certifications/{certificate.number}/status"
    auth = bearer(client, officer)
    problem(client.post(url, headers=bearer(client, create_user(session)),
                        json={"action": "revoke", "reason": "No"}), 403)
    missing = client.post(url, headers=auth, json={"action": "revoke"})
    problem(missing, 422)
    assert list(fields(missing)) == ["reason"]
    revoked = client.post(url, headers=auth, json={
        "action": "revoke", "reason": "The pattern was copied from another community."})
    assert revoked.status_code == 200, revoked.text
    problem(client.post(url, headers=auth, json={"action": "reinstate"}), 409)
    public = client.get(f"/api/v1/certifications/{certificate.number}").json()
    assert public["status"] == "revoked"
    assert public["public_reason"] == "The pattern was copied from another community."
    token = parse_qs(urlsplit(public["verification_url"]).query)["t"][0]
    checked = client.get("/api/v1/seal/verify", params={"token": token}).json()
    assert checked["genuine"] is True and checked["status"] == "revoked"
