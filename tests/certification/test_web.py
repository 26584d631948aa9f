"""The Seal of Excellence pages, used the way people use them: through forms, links and QR codes."""

import re
from urllib.parse import urlsplit

from sqlmodel import select

from marketplace.certification.service import certificates, review
from marketplace.core.static import static_url
from marketplace.media import images
from marketplace.models import (
    ApplicationPhoto,
    Certificate,
    CertificationApplication,
    CriteriaSet,
    User,
)
from tests.factories import (
    add_member,
    create_application,
    create_group,
    create_product,
    create_user,
    issue_certificate,
    pass_everything,
    png_bytes,
)
from tests.helpers import csrf_from, form_post, login


def _post(client, url: str, data: dict | None = None, **kwargs):
    """POST a form with the browser's CSRF token (any page carries it)."""
    token = csrf_from(client.get("/seal").text)
    return client.post(url, data={"csrf_token": token, **(data or {})}, **kwargs)


def _text(html: str) -> str:
    """The page's words, without tags, entities turned back into characters."""
    import html as html_module

    return " ".join(html_module.unescape(re.sub(r"<[^>]+>", " ", html)).split())


APPLICATION_FORM = {
    "product_line": "",
    "materials": "Rattan harvested in O'Yadav",
    "steps": "splitting rattan | hand\nweaving | hand",
    "story": "A back-basket pattern of the Kreung",
    "innovation": "Leather straps",
    "intended_market": "Visitors in Banlung",
    "price": "35.50",
    "weight_grams": "900",
}


# -- producer side ----------------------------------------------------------------------------

def test_a_group_member_applies_adds_photos_and_submits(session, signed_in):
    group = create_group(session)
    product = create_product(session, group=group, title="Kreung back-basket")
    member = add_member(session, group)
    client = signed_in(member)

    page = client.get("/dashboard/seal/new")
    assert page.status_code == 200
    assert "Kreung back-basket" in page.text
    created = form_post(client, "/dashboard/seal/new", f"/dashboard/seal/new?group_id={group.id}",
                        {**APPLICATION_FORM, "product_ids": [str(product.id)]})
    assert created.status_code == 303, created.text
    url = urlsplit(created.headers["location"]).path
    application = session.exec(select(CertificationApplication)).one()
    assert url == f"/dashboard/seal/{application.id}"
    assert application.price_cents == 3550
    assert application.steps == [{"step": "splitting rattan", "method": "hand"},
                                 {"step": "weaving", "method": "hand"}]

    for i in range(2):
        added = _post(client, f"{url}/photos", {"alt_text": f"The basket, side {i}"},
                      files={"photo": (f"p{i}.png", png_bytes(color=(i * 50, 80, 20)),
                                       "image/png")})
        assert added.status_code == 303, added.text
    refused = _post(client, f"{url}/submit")
    assert refused.status_code == 422
    assert "Add at least 3 photos." in refused.text
    session.rollback()  # a fresh snapshot of what the app committed
    assert session.get(CertificationApplication, application.id).status == "draft"

    _post(client, f"{url}/photos", {"alt_text": "Weaving the basket"},
          files={"photo": ("p3.png", png_bytes(color=(1, 2, 3)), "image/png")})
    sent = _post(client, f"{url}/submit")
    assert sent.status_code == 303
    page = client.get(url)
    assert "A certification officer will review it." in page.text
    assert "Submitted, waiting for review" in page.text
    session.rollback()  # a fresh snapshot of what the app committed
    assert session.get(CertificationApplication, application.id).status == "submitted"
    listing = client.get("/dashboard/seal")
    assert f"/dashboard/seal/{application.id}" in listing.text


def test_a_bad_step_method_is_shown_with_what_was_typed(session, signed_in):
    group = create_group(session)
    product = create_product(session, group=group)
    client = signed_in(session.get(User, group.leader_id))
    response = form_post(client, "/dashboard/seal/new", f"/dashboard/seal/new?group_id={group.id}",
                         {**APPLICATION_FORM, "steps": "weaving | loom", "price": "12.345",
                          "product_ids": [str(product.id)]})
    assert response.status_code == 422
    assert "Line 1: write the step" in _text(response.text)
    assert "Enter a price in dollars" in response.text
    assert "weaving | loom" in response.text  # what the member typed is still there
    assert "Leather straps" in response.text
    session.rollback()
    assert session.exec(select(CertificationApplication)).first() is None


def test_a_product_with_an_open_application_is_refused_on_the_form(session, storage, signed_in):
    group = create_group(session)
    product = create_product(session, group=group)
    open_one = create_application(session, storage, group=group, products=[product],
                                  submitted=False)
    client = signed_in(session.get(User, group.leader_id))
    page = client.get(f"/dashboard/seal/new?group_id={group.id}")
    assert f"/dashboard/seal/{open_one.id}" in page.text
    response = form_post(client, "/dashboard/seal/new", f"/dashboard/seal/new?group_id={group.id}",
                         {**APPLICATION_FORM, "product_ids": [str(product.id)]})
    assert response.status_code == 409
    assert "already has an open application" in response.text
    session.rollback()  # nothing of the refused application was kept
    assert len(session.exec(select(CertificationApplication)).all()) == 1


# -- officer side -----------------------------------------------------------------------------

def test_an_officer_reviews_through_the_forms_and_the_seal_is_valid(session, storage, signed_in):
    application = create_application(session, storage)
    officer = create_user(session, role=["officer"])
    client = signed_in(officer)

    queue = client.get("/officer/queue")
    assert f"/officer/applications/{application.id}" in queue.text
    page_url = f"/officer/applications/{application.id}"
    page = client.get(page_url)
    assert page.status_code == 200
    photo = session.exec(select(ApplicationPhoto)).first()
    assert storage.url(images.rendition_key(photo.content_hash, 640)) in page.text
    assert page.text.index("Respect for the environment") < page.text.index("Authenticity")

    items = session.get(CriteriaSet, application.criteria_set_id).items
    assert len(items) == 6
    form = {f"result-{item['key']}": "pass" for item in items}
    form |= {f"note-{item['key']}": "fine work" for item in items}
    decided = _post(client, f"{page_url}/review", {**form, "decision": "approve",
                                                   "decision_note": ""})  # one form, one POST
    assert decided.status_code == 303, decided.text
    session.rollback()
    certificate = session.exec(select(Certificate)).one()
    assert certificate.number in client.get(decided.headers["location"]).text

    public = client.get(f"/seal/{certificate.number}")
    assert "This seal is valid" in public.text
    assert "Valid" in public.text
    leader = signed_in(session.get(User, session.get(
        CertificationApplication, application.id).created_by_id))
    mine = leader.get(f"/dashboard/seal/{application.id}")
    assert certificate.number in mine.text
    assert f"/seal/{certificate.number}/tag" in mine.text
    assert "fine work" in mine.text  # the officers' assessments


def test_a_second_decision_says_another_officer_decided(session, storage, settings, signed_in):
    application = create_application(session, storage)
    first = create_user(session, role=["officer"])
    second = create_user(session, role=["officer"])
    client = signed_in(second)
    page_url = f"/officer/applications/{application.id}"
    token = csrf_from(client.get(page_url).text)  # the second officer has the page open
    review.decide(session=session, settings=settings, actor=first, application=application,
                  decision="reject", note="Trees were felled for the resin")
    session.commit()
    response = client.post(f"{page_url}/review", data={
        "csrf_token": token, "decision": "request_changes", "decision_note": "more photos"})
    assert response.status_code == 303
    assert "Another officer has already decided this application." in client.get(
        response.headers["location"]).text
    session.rollback()  # a fresh snapshot of what the app committed
    assert session.get(CertificationApplication, application.id).status == "rejected"


def test_an_officer_from_the_applying_group_gets_403(session, storage, signed_in):
    group = create_group(session)
    officer = add_member(session, group, create_user(session, role=["officer"]))
    application = create_application(session, storage, group=group)
    response = signed_in(officer).get(f"/officer/applications/{application.id}")
    assert response.status_code == 403
    assert "another officer must review" in response.text


def test_the_queue_is_for_officers_only(session, signed_in, client):
    producer = create_user(session, role=["producer"])
    assert signed_in(producer).get("/officer/queue").status_code == 403
    assert client.get("/officer/queue").status_code == 303  # anonymous: log in first
    officer = create_user(session, role=["officer"])
    page = signed_in(officer).get("/officer/queue")
    assert page.status_code == 200
    assert 'href="/officer/queue"' in page.text  # the header link for officers


def test_a_revoked_seal_shows_revoked_with_its_reason(session, storage, settings, signed_in):
    certificate = issue_certificate(session, storage, settings)
    officer = create_user(session, role=["officer"])
    client = signed_in(officer)
    url = f"/officer/certificates/{certificate.number}/status"
    missing = _post(client, url, {"action": "revoke", "reason": ""})
    assert missing.status_code == 422
    assert "Give the reason that will be shown publicly, in English or Khmer." in missing.text
    done = _post(client, url, {"action": "revoke", "reason": "Machine-woven copies were sold"})
    assert done.status_code == 303
    public = client.get(f"/seal/{certificate.number}")
    assert "This seal is revoked" in public.text
    assert "Machine-woven copies were sold" in public.text
    assert certificate.number not in client.get("/seal").text  # gone from the registry
    qr = client.get(f"/seal/{certificate.number}/qr.svg")  # no new tag for a revoked seal
    assert qr.status_code == 410


def test_complaints_reach_the_officers(session, storage, settings, signed_in, client):
    certificate = issue_certificate(session, storage, settings)
    url = f"/seal/{certificate.number}"
    short = form_post(client, url, f"{url}/complaint", {"reason": "bad", "contact": "x@y"})
    assert short.status_code == 422
    assert "Use at least 10 characters." in short.text
    sent = form_post(client, url, f"{url}/complaint",
                     {"reason": "Sold as handmade but it is printed", "contact": "ana@example.com"})
    assert sent.status_code == 303
    assert "Thank you" in client.get(url).text

    officer_client = signed_in(create_user(session, role=["officer"]))
    page = officer_client.get("/officer/complaints")
    assert "Sold as handmade but it is printed" in page.text
    complaint_id = re.search(r"/officer/complaints/(\d+)/close", page.text).group(1)
    closed = _post(officer_client, f"/officer/complaints/{complaint_id}/close",
                   {"outcome": "upheld"})
    assert closed.status_code == 303
    assert "Sold as handmade" not in officer_client.get("/officer/complaints").text
    assert "Sold as handmade" in officer_client.get("/officer/complaints?status=upheld").text


def test_a_flood_of_complaints_gets_the_429_page(session, storage, settings, client):
    certificate = issue_certificate(session, storage, settings)
    url = f"/seal/{certificate.number}"
    token = csrf_from(client.get(url).text)
    data = {"csrf_token": token, "reason": "This is not the certified basket",
            "contact": "ana@example.com"}
    for _ in range(settings.complaints_per_hour):
        assert client.post(f"{url}/complaint", data=data).status_code == 303
    flood = client.post(f"{url}/complaint", data=data)
    assert flood.status_code == 429
    assert "Please try again later" in flood.text
    assert "Retry-After" in flood.headers


# -- public pages, QR codes and hang-tags -----------------------------------------------------

def test_qr_codes_are_real_images_that_lead_to_a_genuine_verdict(session, storage, settings,
                                                                   client):
    certificate = issue_certificate(session, storage, settings)
    png = client.get(f"/seal/{certificate.number}/qr.png")
    assert png.status_code == 200
    assert png.headers["content-type"] == "image/png"
    assert png.content.startswith(b"\x89PNG\r\n\x1a\n")
    assert "no-cache" in png.headers["cache-control"] and png.headers["etag"]
    svg = client.get(f"/seal/{certificate.number}/qr.svg")
    assert svg.headers["content-type"].startswith("image/svg+xml")
    assert "<svg" in svg.text

    url = certificates.verification_url(settings, session, certificate)
    parts = urlsplit(url)
    genuine = client.get(f"{parts.path}?{parts.query}")
    assert genuine.status_code == 200
    assert "This hang-tag is genuine: signed by the marketplace for this certificate" in \
        genuine.text

    token = parts.query.removeprefix("t=")
    body, signature = token.split(".")
    altered = body[:-2] + ("AA" if body[-2:] != "AA" else "BB")
    forged = client.get(f"{parts.path}?t={altered}.{signature}")
    assert forged.status_code == 200
    assert "This hang-tag is NOT genuine" in forged.text
    for junk in ("", "x", "a.b.c", "%%%", "é.é", "." * 5000, f"{body}.{signature}!"):
        response = client.get(parts.path, params={"t": junk})
        assert response.status_code == 200, junk
        assert "NOT genuine" in response.text


def test_a_token_of_another_certificate_does_not_match(session, storage, settings, client):
    first = issue_certificate(session, storage, settings)
    second = issue_certificate(session, storage, settings)
    token = urlsplit(certificates.verification_url(settings, session, second)).query
    page = client.get(f"/seal/{first.number}?{token}")
    assert "does not match the registry" in _text(page.text)


def test_the_hang_tag_page_carries_the_number_and_the_qr_code(session, storage, settings,
                                                              client):
    certificate = issue_certificate(session, storage, settings)
    page = client.get(f"/seal/{certificate.number}/tag")
    assert page.status_code == 200
    assert certificate.number in page.text
    assert f'src="/seal/{certificate.number}/qr.svg"' in page.text
    stylesheet = static_url("css/tag.css")
    assert stylesheet.startswith("/static/css/tag.") and stylesheet in page.text
    assert "Seal of Excellence" in page.text
    assert client.get(stylesheet).status_code == 200


def test_the_registry_lists_and_filters_valid_seals(session, storage, settings, client):
    group = create_group(session, name="Kreung Basket Makers", province_code="16")
    certificate = issue_certificate(session, storage, settings, group=group)
    listing = client.get("/seal")
    assert certificate.number in listing.text
    assert certificate.number in client.get("/seal", params={"q": "kreung basket"}).text
    assert certificate.number in client.get("/seal", params={"q": certificate.number}).text
    assert certificate.number not in client.get("/seal", params={"province": "11"}).text
    assert certificate.number not in client.get("/seal", params={"craft": "pottery"}).text
    page = client.get(f"/seal/{certificate.number}")
    assert "Ratanakiri" in page.text
    assert "Kreung Basket Makers" in page.text


def test_an_unknown_seal_number_is_a_friendly_404(client):
    response = client.get("/seal/SoE-2000-999999?t=abc")
    assert response.status_code == 404
    assert "No certificate has this number." in response.text
    assert client.get("/seal/SoE-2000-999999/qr.png").status_code == 404


def test_the_public_key_and_how_to_verify_offline(client, settings):
    from marketplace.certification.service import signing

    key = client.get("/seal/public-key")
    assert key.headers["content-type"].startswith("text/plain")
    assert key.text == signing.public_key_pem(settings)
    about = client.get("/seal/about")
    assert "BEGIN PUBLIC KEY" in about.text
    assert "base64url" in about.text


# -- administrators ---------------------------------------------------------------------------

def test_an_admin_publishes_a_new_criteria_version(session, signed_in):
    admin = create_user(session, role=["admin"])
    client = signed_in(admin)
    page = client.get("/admin/criteria")
    assert "Respect for the environment" in page.text
    broken = _post(client, "/admin/criteria", {"items": '[{"key": "environment",'})
    assert broken.status_code == 422
    assert "This is not valid JSON" in broken.text
    assert "[{&#34;key&#34;: &#34;environment&#34;," in broken.text  # kept as typed
    items = ('[{"key": "environment", "kind": "precondition", "title": "Environment", '
             '"title_km": "បរិស្ថាន"}, {"key": "craft", "kind": "criterion", '
             '"title": "Craft", "title_km": "សិប្បកម្ម"}]')
    published = _post(client, "/admin/criteria", {"items": items})
    assert published.status_code == 303
    assert "Criteria version 2 is published." in client.get("/admin/criteria").text
    officer = create_user(session, role=["officer"])
    assert signed_in(officer).get("/admin/criteria").status_code == 403


def test_the_seal_pages_render_in_khmer(session, storage, settings, signed_in):
    certificate = issue_certificate(session, storage, settings)
    application = create_application(session, storage)
    officer = signed_in(create_user(session, role=["officer", "admin"]))
    leader = signed_in(session.get(User, session.get(
        CertificationApplication, application.id).created_by_id))
    for client, url in ((officer, "/seal"), (officer, f"/seal/{certificate.number}"),
                        (officer, f"/seal/{certificate.number}/tag"), (officer, "/seal/about"),
                        (officer, "/officer/queue"), (officer, "/officer/complaints"),
                        (officer, f"/officer/applications/{application.id}"),
                        (officer, f"/officer/certificates/{certificate.number}"),
                        (officer, "/admin/criteria"), (leader, "/dashboard/seal"),
                        (leader, "/dashboard/seal/new"),
                        (leader, f"/dashboard/seal/{application.id}")):
        client.cookies.set("lang", "km")
        response = client.get(url)
        assert response.status_code == 200, url
        assert 'lang="km"' in response.text, url
    assert "ការគោរពបរិស្ថាន" in officer.get(f"/officer/applications/{application.id}").text


def test_a_group_reads_the_requested_changes_edits_and_sends_again(session, storage, settings,
                                                                   signed_in):
    application = create_application(session, storage)
    officer = create_user(session, role=["officer"])
    review.assess(session=session, actor=officer, application=application,
                  criterion_key="environment", passed=True, note="Rattan is tapped, not felled")
    review.decide(session=session, settings=settings, actor=officer, application=application,
                  decision="request_changes", note="Show the makers at work")
    session.commit()
    leader = signed_in(session.get(User, application.created_by_id))
    url = f"/dashboard/seal/{application.id}"
    page = leader.get(url)
    assert "Show the makers at work" in page.text
    assert "Rattan is tapped, not felled" in page.text
    edited = _post(leader, f"{url}/edit", {**APPLICATION_FORM, "story": "Made by five families",
                                           "steps": "splitting | hand\nsewing straps | machine"})
    assert edited.status_code == 303
    assert _post(leader, f"{url}/submit").status_code == 303
    session.rollback()
    again = session.get(CertificationApplication, application.id)
    assert (again.status, again.round, again.story) == ("submitted", 2, "Made by five families")
    assert again.steps[1] == {"step": "sewing straps", "method": "machine"}
    review_page = signed_in(officer).get(f"/officer/applications/{application.id}")
    assert "Earlier review rounds" in review_page.text


def test_two_officers_decide_at_once_through_the_pages(session, storage, live_server):
    from tests.helpers.concurrency import ANSWER_WITHIN, HealthProbe, browsers, race, report

    application = create_application(session, storage)
    officers = [create_user(session, role=["officer"]) for _ in range(2)]
    pass_everything(session, officers[0], application)
    clients = browsers(live_server, 2)
    page_url = f"/officer/applications/{application.id}"
    tokens = []
    for client, officer in zip(clients, officers, strict=True):
        login(client, officer.email)
        tokens.append(csrf_from(client.get(page_url).text))
    decisions = [{"decision": "approve", "decision_note": ""},
                 {"decision": "reject", "decision_note": "Trees were felled for the resin"}]

    keys = [item["key"] for item in session.get(CriteriaSet, application.criteria_set_id).items]
    as_shown = {f"result-{key}": "pass" for key in keys} | {f"note-{key}": "good" for key in keys}

    def decide(client, token, decision):  # the one form, as the page fills it
        return client.post(f"{page_url}/review",
                           data={"csrf_token": token, **as_shown, **decision})

    with HealthProbe(live_server) as probe:
        results = race([lambda c=c, t=t, d=d: decide(c, t, d)
                        for c, t, d in zip(clients, tokens, decisions, strict=True)])
    report("2 officers deciding one application", results, probe)
    probe.assert_healthy()
    assert max(r.seconds for r in results) < ANSWER_WITHIN
    assert [r.value.status_code for r in results] == [303, 303]
    pages = [c.get(r.value.headers["location"]).text for c, r in zip(clients, results,
                                                                     strict=True)]
    for client in clients:
        client.close()
    assert sum("Another officer has already decided this application." in p
               for p in pages) == 1
    session.rollback()
    decided = session.get(CertificationApplication, application.id)
    session.refresh(decided)
    certificates = session.exec(select(Certificate)).all()
    assert decided.status in ("approved", "rejected")
    assert len(certificates) == (1 if decided.status == "approved" else 0)
