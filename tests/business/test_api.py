"""Business accounts through the API: apply, verify with a reason, terms, team, documents."""

import threading

import httpx
from sqlmodel import Session, select

from marketplace.models import AuditEvent, Business, BusinessMember, User
from tests.factories import create_user, png_bytes
from tests.helpers import delivered_mail, link_in
from tests.helpers.api import bearer, fields

APPLY = {
    "legal_name": "Mekong Craft House Co., Ltd.", "legal_name_km": "ក្រុមហ៊ុន មេគង្គ ក្រាហ្វ",
    "trading_name": "Mekong Craft House", "kind": "shop",
    "tax_id": "k001 901234567", "moc_registration": "00012345",
    "province_code": "12", "district_code": "1201", "commune_code": "120101",
    "address_line": "No. 12, Street 178", "phone": "023 218 555",
}
PDF = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]"
       b"/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n")




def test_apply_normalises_tax_id_and_phone_and_refuses_bad_details(client, session):
    owner = bearer(client, create_user(session))
    bad = client.post("/api/v1/businesses", headers=owner, json={
        **APPLY, "tax_id": "12345", "phone": "+33 6 12 34 56 78", "moc_registration": "",
        "commune_code": "160101"})
    assert bad.status_code == 422
    assert {"tax_id", "phone", "moc_registration", "commune_code"} <= set(fields(bad))
    assert session.exec(select(Business)).first() is None

    applied = client.post("/api/v1/businesses", headers=owner, json=APPLY)
    assert applied.status_code == 201, applied.text
    body = applied.json()
    assert body["tax_id"] == "K001-901234567" and body["phone"] == "+85523218555"
    assert body["status"] == "applied" and body["payment_terms_days"] is None
    again = client.post("/api/v1/businesses", headers=owner, json=APPLY)
    assert again.status_code == 409


def test_an_importer_abroad_gives_its_country_and_full_address(client, session):
    owner = bearer(client, create_user(session))
    missing = client.post("/api/v1/businesses", headers=owner, json={
        **APPLY, "country_code": "FR", "phone": "+33 1 42 68 53 00", "address_line": "",
        "moc_registration": ""})
    assert missing.status_code == 422 and list(fields(missing)) == ["address_line"]
    applied = client.post("/api/v1/businesses", headers=owner, json={
        **APPLY, "country_code": "fr", "phone": "+33 1 42 68 53 00", "moc_registration": "",
        "address_line": "3 rue des Artisans, 75011 Paris"})
    assert applied.status_code == 201, applied.text
    assert applied.json()["country_code"] == "FR" and applied.json()["province_code"] == ""


def test_reject_with_reason_then_resubmit_then_verify_and_grant_terms(client, session, engine,
                                                                      settings):
    owner_user = create_user(session, email="owner@shop.example")
    owner, admin = bearer(client, owner_user), bearer(client, create_user(session, role=["admin"]))
    stranger = bearer(client, create_user(session))
    business = client.post("/api/v1/businesses", headers=owner, json=APPLY).json()
    url = f"/api/v1/businesses/{business['id']}"
    assert client.get(url, headers=stranger).status_code == 404
    assert client.post(f"{url}/decision", headers=owner,
                       json={"decision": "verify"}).status_code == 403
    no_reason = client.post(f"{url}/decision", headers=admin, json={"decision": "reject"})
    assert no_reason.status_code == 422 and "reason" in fields(no_reason)
    early_terms = client.put(f"{url}/terms", headers=admin,
                             json={"payment_terms_days": 30, "credit_limit_cents": 100000})
    assert early_terms.status_code == 409

    rejected = client.post(f"{url}/decision", headers=admin, json={
        "decision": "reject", "reason": "The tax certificate is for another company."})
    assert rejected.json()["status"] == "rejected"
    mail = delivered_mail(engine, settings)
    assert mail[-1]["To"] == "owner@shop.example"
    assert "another company" in mail[-1].get_content()

    fixed = client.put(url, headers=owner, json={**APPLY, "tax_id": "K001-901234568"})
    assert fixed.json()["status"] == "applied" and fixed.json()["rejection_reason"] is None
    verified = client.post(f"{url}/decision", headers=admin, json={"decision": "verify"})
    assert verified.json()["status"] == "verified"
    assert client.post(f"{url}/decision", headers=admin,
                       json={"decision": "verify"}).status_code == 409
    terms = client.put(f"{url}/terms", headers=admin,
                       json={"payment_terms_days": 30, "credit_limit_cents": 500000})
    assert terms.json()["payment_terms_days"] == 30
    assert client.put(f"{url}/terms", headers=admin, json={
        "payment_terms_days": 45}).status_code == 422
    actions = session.exec(select(AuditEvent.action).where(
        AuditEvent.entity_type == "business").order_by(AuditEvent.id)).all()
    assert actions == ["applied", "reject", "resubmitted", "verify", "terms_set"]


def test_owner_invites_a_buyer_who_joins_with_the_same_email(client, session, engine, settings):
    owner = bearer(client, create_user(session))
    buyer_user = create_user(session, email="buyer@shop.example")
    business = client.post("/api/v1/businesses", headers=owner, json=APPLY).json()
    url = f"/api/v1/businesses/{business['id']}"
    buyer = bearer(client, buyer_user)
    assert client.post(f"{url}/invitations", headers=buyer,
                       json={"email": "x@example.com"}).status_code == 404
    invited = client.post(f"{url}/invitations", headers=owner,
                          json={"email": "Buyer@Shop.example", "role": "buyer"})
    assert invited.status_code == 201
    token = link_in(delivered_mail(engine, settings)[-1], "/business/invitations/")
    token = token.rsplit("/", 1)[-1]
    wrong = bearer(client, create_user(session))
    assert client.post(f"/api/v1/business-invitations/{token}/accept",
                       headers=wrong).status_code == 403
    joined = client.post(f"/api/v1/business-invitations/{token}/accept", headers=buyer)
    assert joined.status_code == 200 and joined.json()["id"] == business["id"]
    assert client.post(f"/api/v1/business-invitations/{token}/accept",
                       headers=buyer).status_code == 410
    people = client.get(f"{url}/members", headers=buyer).json()
    assert sorted(p["role"] for p in people) == ["buyer", "owner"]


def test_documents_are_checked_by_content_and_private(client, session):
    owner = bearer(client, create_user(session))
    business = client.post("/api/v1/businesses", headers=owner, json=APPLY).json()
    url = f"/api/v1/businesses/{business['id']}/documents"
    fake = client.post(url, headers=owner, files={"file": ("cert.pdf", b"MZ\x90 not a pdf",
                                                           "application/pdf")})
    assert fake.status_code == 422 and "document" in fields(fake)
    cut = client.post(url, headers=owner, files={"file": ("cert.pdf", PDF[:60],
                                                          "application/pdf")})
    assert cut.status_code == 422
    pdf = client.post(url, headers=owner, data={"kind": "registration"},
                      files={"file": ("cert.pdf", PDF, "image/png")})
    assert pdf.status_code == 201, pdf.text
    assert pdf.json()["content_type"] == "application/pdf"
    photo = client.post(url, headers=owner, data={"kind": "tax"},
                        files={"file": ("scan.pdf", png_bytes(), "application/pdf")})
    assert photo.json()["content_type"] == "image/png"

    got = client.get(f"{url}/{pdf.json()['id']}", headers=owner)
    assert got.content == PDF and got.headers["content-disposition"].startswith("attachment")
    admin = bearer(client, create_user(session, role=["admin"]))
    assert client.get(f"{url}/{pdf.json()['id']}", headers=admin).status_code == 200
    stranger = bearer(client, create_user(session))
    assert client.get(f"{url}/{pdf.json()['id']}", headers=stranger).status_code == 404
    assert client.get(f"/media/{pdf.json()['id']}").status_code == 404


def test_two_admins_deciding_at_once_one_wins(client, session, engine):
    owner = bearer(client, create_user(session))
    admins = [bearer(client, create_user(session, role=["admin"])) for _ in range(2)]
    business = client.post("/api/v1/businesses", headers=owner, json=APPLY).json()
    url = f"/api/v1/businesses/{business['id']}/decision"
    barrier, codes = threading.Barrier(2), []

    def decide(headers, body):
        barrier.wait()
        codes.append(client.post(url, headers=headers, json=body).status_code)

    threads = [threading.Thread(target=decide, args=(admins[0], {"decision": "verify"})),
               threading.Thread(target=decide, args=(admins[1], {
                   "decision": "reject", "reason": "Duplicate application."}))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(codes) == [200, 409]
    with Session(engine) as fresh:
        decisions = fresh.exec(select(AuditEvent).where(
            AuditEvent.entity_type == "business", AuditEvent.action.in_(["verify", "reject"])))
        assert len(list(decisions)) == 1
        assert fresh.exec(select(BusinessMember)).one().role == "owner"


def test_the_owner_changes_roles_and_removes_people_but_keeps_an_owner(client, session,
                                                                       live_server):
    from tests.factories import create_business
    from tests.helpers.concurrency import race

    shop = create_business(session)
    owner = session.get(User, shop.created_by_id)
    buyer = create_user(session)
    session.add(BusinessMember(business_id=shop.id, user_id=buyer.id, role="buyer"))
    session.commit()
    url = f"/api/v1/businesses/{shop.id}/members"
    as_owner, as_buyer = bearer(client, owner), bearer(client, buyer)
    assert client.patch(f"{url}/{owner.id}", headers=as_buyer,
                        json={"role": "buyer"}).status_code == 403
    last = client.patch(f"{url}/{owner.id}", headers=as_owner, json={"role": "buyer"})
    assert last.status_code == 409 and "needs an owner" in last.json()["detail"]
    assert client.delete(f"{url}/{owner.id}", headers=as_owner).status_code == 409
    assert client.patch(f"{url}/999999", headers=as_owner,
                        json={"role": "owner"}).status_code == 404
    promoted = client.patch(f"{url}/{buyer.id}", headers=as_owner, json={"role": "owner"})
    assert promoted.json()["role"] == "owner"

    # Two owners demoting each other at the same moment: one wins, an owner is left.
    answers = race([lambda: httpx.patch(f"{live_server}{url}/{buyer.id}", headers=as_owner,
                                        json={"role": "buyer"}, timeout=30),
                    lambda: httpx.patch(f"{live_server}{url}/{owner.id}", headers=as_buyer,
                                        json={"role": "buyer"}, timeout=30)])
    # the other is refused: no longer an owner (403), or it would leave none (409)
    assert sorted(a.value.status_code for a in answers)[0] == 200
    assert sorted(a.value.status_code for a in answers)[1] in (403, 409)
    session.rollback()
    roles = session.exec(select(BusinessMember.role).where(
        BusinessMember.business_id == shop.id)).all()
    assert sorted(roles) == ["buyer", "owner"]

    # The remaining owner takes the buyer out: no more wholesale for them.
    remaining = session.exec(select(BusinessMember).where(
        BusinessMember.business_id == shop.id, BusinessMember.role == "owner")).one()
    leaving = buyer if remaining.user_id == owner.id else owner
    boss = as_owner if remaining.user_id == owner.id else as_buyer
    assert client.delete(f"{url}/{leaving.id}", headers=boss).status_code == 204
    left = bearer(client, leaving)
    assert client.get("/api/v1/purchase-orders/draft", headers=left).status_code == 403
    session.rollback()
    assert session.exec(select(AuditEvent).where(
        AuditEvent.action == "member_removed")).one().actor_id == remaining.user_id
