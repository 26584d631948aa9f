"""Business pages without JavaScript: apply with the address step by step, the form again
with what was typed, documents, the admin's decision and terms, an invitation, the team."""

from sqlmodel import select

from marketplace.models import AuditEvent, Business, BusinessDocument, BusinessMember
from tests.factories import create_user, png_bytes
from tests.helpers import csrf_from, delivered_mail, form_post, link_in, login

TYPED = {
    "legal_name": "Mekong Craft House Co., Ltd.", "legal_name_km": "ក្រុមហ៊ុន មេគង្គ",
    "trading_name": "Mekong Craft House", "kind": "hotel", "tax_id": "K001-901234567",
    "moc_registration": "00012345", "country_code": "KH", "address_line": "No. 12, St 178",
    "phone": "023 218 555",
}
ADDRESS = {"province_code": "12", "district_code": "1201", "commune_code": "120101"}


def _fresh(session):
    session.rollback()
    session.expire_all()


def test_apply_step_by_step_keeps_what_was_typed_and_shows_errors(client, session):
    create_user(session, email="owner@shop.example")
    login(client, "owner@shop.example")
    step = form_post(client, "/business/apply", "/business/apply",
                     {**TYPED, "province_code": "12", "step": "district"})
    assert step.status_code == 200 and 'value="1201"' in step.text
    assert "Mekong Craft House Co., Ltd." in step.text  # kept
    bad = client.post("/business/apply", data={
        **TYPED, **ADDRESS, "tax_id": "not a tin", "csrf_token": csrf_from(step.text)})
    assert bad.status_code == 422
    assert "K001-901234567" in bad.text and "not a tin" in bad.text
    assert 'value="Mekong Craft House"' in bad.text
    _fresh(session)
    assert session.exec(select(Business)).first() is None
    done = client.post("/business/apply", data={**TYPED, **ADDRESS,
                                                "csrf_token": csrf_from(step.text)})
    assert done.status_code == 303 and done.headers["location"] == "/business"
    page = client.get("/business")
    assert "Waiting for verification" in page.text and "K001-901234567" in page.text


def test_owner_uploads_documents_checked_by_content(client, session):
    create_user(session, email="owner@shop.example")
    login(client, "owner@shop.example")
    form_post(client, "/business/apply", "/business/apply", {**TYPED, **ADDRESS})
    token = csrf_from(client.get("/business").text)
    fake = client.post("/business/documents", data={"csrf_token": token, "kind": "tax"},
                       files={"document": ("tax.pdf", b"just text", "application/pdf")})
    assert fake.status_code == 422 and "Upload a PDF, or a photo" in fake.text
    ok = client.post("/business/documents", data={"csrf_token": token, "kind": "tax"},
                     files={"document": ("tax.png", png_bytes(), "image/png")})
    assert ok.status_code == 303
    _fresh(session)
    document = session.exec(select(BusinessDocument)).one()
    got = client.get(f"/business/{document.business_id}/documents/{document.id}")
    assert got.status_code == 200 and got.headers["content-type"] == "image/png"
    no_token = client.post("/business/documents", data={"kind": "tax"},
                           files={"document": ("tax.png", png_bytes(), "image/png")})
    assert no_token.status_code == 403


def test_admin_rejects_without_reason_refused_then_verifies_and_grants_terms(
        client, session, engine, settings):
    create_user(session, email="owner@shop.example")
    create_user(session, email="admin@crafts.example", role=["admin"])
    login(client, "owner@shop.example")
    form_post(client, "/business/apply", "/business/apply", {**TYPED, **ADDRESS})
    _fresh(session)
    business = session.exec(select(Business)).one()
    client.cookies.clear()
    login(client, "admin@crafts.example")
    queue = client.get("/admin/businesses")
    assert "Mekong Craft House Co., Ltd." in queue.text
    url = f"/admin/businesses/{business.id}"
    refused = form_post(client, url, f"{url}/decision", {"decision": "reject", "reason": " "})
    assert refused.status_code == 422 and "Give the business a reason." in refused.text
    verified = form_post(client, url, f"{url}/decision", {"decision": "verify"})
    assert verified.status_code == 303
    bad_limit = form_post(client, url, f"{url}/terms", {"payment_terms_days": "30",
                                                        "credit_limit": "lots"})
    assert bad_limit.status_code == 422 and 'value="lots"' in bad_limit.text
    terms = form_post(client, url, f"{url}/terms", {"payment_terms_days": "30",
                                                    "credit_limit": "5,000.00"})
    assert terms.status_code == 303
    _fresh(session)
    business = session.get(Business, business.id)
    assert (business.status, business.payment_terms_days, business.credit_limit_cents) == (
        "verified", 30, 500000)
    mail = delivered_mail(engine, settings)
    assert any(m["To"] == "owner@shop.example" and "wholesale" in m["Subject"] for m in mail)
    actions = set(session.exec(select(AuditEvent.action).where(
        AuditEvent.entity_type == "business")))
    assert {"applied", "verify", "terms_set"} <= actions
    client.cookies.clear()
    login(client, "owner@shop.example")
    page = client.get("/business")
    assert "invoice at 30 days" in page.text and "$5,000.00" in page.text
    assert 'href="/business"' in page.text  # the header link of a verified business buyer


def test_invitation_by_email_joins_the_team(client, session, engine, settings):
    create_user(session, email="owner@shop.example")
    create_user(session, email="buyer@shop.example")
    login(client, "owner@shop.example")
    form_post(client, "/business/apply", "/business/apply", {**TYPED, **ADDRESS})
    sent = form_post(client, "/business", "/business/invite",
                     {"email": "buyer@shop.example", "role": "buyer"})
    assert sent.status_code == 303
    path = link_in(delivered_mail(engine, settings)[-1], "/business/invitations/")
    client.cookies.clear()
    login(client, "buyer@shop.example")
    page = client.get(path)
    assert "Accept and join the business" in page.text
    joined = client.post(path, data={"csrf_token": csrf_from(page.text)})
    assert joined.status_code == 303
    _fresh(session)
    assert sorted(m.role for m in session.exec(select(BusinessMember))) == ["buyer", "owner"]
    again = client.post(path, data={"csrf_token": csrf_from(page.text)})
    assert again.status_code == 410
    # the owner makes the buyer an owner too, then cannot take the last owner away
    client.cookies.clear()
    login(client, "owner@shop.example")
    team = {m.role: m.user_id for m in session.exec(select(BusinessMember))}
    assert "Make owner" in client.get("/business").text
    promoted = form_post(client, "/business", f"/business/members/{team['buyer']}/role",
                         {"role": "owner"})
    assert promoted.status_code == 303
    left = form_post(client, "/business", f"/business/members/{team['owner']}/remove", {})
    assert left.status_code == 303  # the first owner leaves; out of the team, no more say:
    form_post(client, "/business", f"/business/members/{team['buyer']}/role", {"role": "buyer"})
    _fresh(session)
    assert [(m.user_id, m.role) for m in session.exec(select(BusinessMember))] == [
        (team["buyer"], "owner")]
    client.cookies.clear()
    login(client, "buyer@shop.example")
    refused = form_post(client, "/business", f"/business/members/{team['buyer']}/remove", {})
    assert refused.status_code == 409 and "needs an owner" in refused.text
