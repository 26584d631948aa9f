"""Seal texts in the reader's language (issue 14, item 2): a revocation or suspension
reason and an application's texts may be written in English, in Khmer or both; each reader
sees their language's, or the other one when only it is written."""

from marketplace.certification.schemas import ApplicationIn
from marketplace.certification.service import applications
from marketplace.models import Certificate, CertificationApplication, User
from tests.factories import (
    add_member,
    create_application,
    create_group,
    create_product,
    create_user,
    issue_certificate,
    png_bytes,
)
from tests.helpers import csrf_from
from tests.helpers.api import token_for

KM = {"Accept-Language": "km"}
REASON = "The pattern was copied from another community."
REASON_KM = "លំនាំនេះត្រូវបានចម្លងពីសហគមន៍ផ្សេង។"


def _post(client, url: str, data: dict):
    token = csrf_from(client.get("/seal").text)
    return client.post(url, data={"csrf_token": token, **data})


def test_a_revocation_reason_is_shown_in_the_readers_language(session, storage, settings,
                                                               signed_in):
    certificate = issue_certificate(session, storage, settings)
    officer = signed_in(create_user(session, role=["officer"]))
    url = f"/officer/certificates/{certificate.number}/status"
    form = officer.get(f"/officer/certificates/{certificate.number}")
    assert 'name="reason_km"' in form.text
    done = _post(officer, url, {"action": "revoke", "reason": REASON, "reason_km": REASON_KM})
    assert done.status_code == 303
    session.expire_all()
    stored = session.get(Certificate, certificate.id)
    assert (stored.public_reason, stored.public_reason_km) == (REASON, REASON_KM)

    visitor = signed_in()
    english = visitor.get(f"/seal/{certificate.number}").text
    assert REASON in english and REASON_KM not in english
    khmer = visitor.get(f"/seal/{certificate.number}", headers=KM).text
    assert REASON_KM in khmer and REASON not in khmer
    officer.cookies.set("lang", "km")
    officer_page = officer.get(f"/officer/certificates/{certificate.number}").text
    assert REASON_KM in officer_page and REASON not in officer_page


def test_a_reason_in_one_language_is_shown_to_every_reader(session, storage, settings,
                                                           client, signed_in):
    certificate = issue_certificate(session, storage, settings)
    officer = create_user(session, role=["officer"])
    auth = {"Authorization": f"Bearer {token_for(client, officer.email)}"}
    url = f"/api/v1/certifications/{certificate.number}/status"
    none = client.post(url, headers=auth, json={"action": "suspend"})
    assert none.status_code == 422 and none.json()["errors"][0]["field"] == "reason"
    answer = client.post(url, headers=auth, json={"action": "suspend", "reason_km": REASON_KM})
    assert answer.status_code == 200, answer.text
    assert answer.json()["public_reason"] is None
    assert answer.json()["public_reason_km"] == REASON_KM
    english = signed_in().get(f"/seal/{certificate.number}").text
    assert f'<span lang="km">{REASON_KM}</span>' in english  # the only one written


STORY = "The diamond rows recall the rice fields after harvest."
STORY_KM = "ជួរពេជ្ររំលឹកដល់វាលស្រែក្រោយពេលច្រូតកាត់។"


def test_officers_read_the_application_in_their_language(session, storage, signed_in):
    group = create_group(session)
    product = create_product(session, group=group)
    leader = session.get(User, group.leader_id)
    application = applications.create(session=session, actor=leader, data=ApplicationIn(
        product_ids=[product.id], materials="Silk from Kampong Thom",
        materials_km="សូត្រពីកំពង់ធំ", steps=[{"step": "weaving", "method": "hand"}],
        story=STORY, story_km=STORY_KM, intended_market="Visitors",
        intended_market_km="ភ្ញៀវទេសចរ", product_line_km="ក្រមាកួយ", price_cents=3500))
    for i in range(3):
        applications.add_photo(session=session, storage=storage, actor=leader,
                               application=application, data=png_bytes(color=(40 * i, 9, 9)),
                               alt_text=f"View {i}")
    applications.submit(session=session, actor=leader, application=application)
    session.commit()

    officer = signed_in(create_user(session, role=["officer"]))
    url = f"/officer/applications/{application.id}"
    english = officer.get(url).text
    assert STORY in english and STORY_KM not in english
    assert "Silk from Kampong Thom" in english and "សូត្រពីកំពង់ធំ" not in english
    assert '<span lang="km">ក្រមាកួយ</span>' in english  # only written in Khmer
    officer.cookies.set("lang", "km")
    khmer = officer.get(url).text
    assert STORY_KM in khmer and STORY not in khmer
    assert "ភ្ញៀវទេសចរ" in khmer and "Visitors" not in khmer
    assert "ក្រមាកួយ" in officer.get("/officer/queue").text


def test_a_group_may_write_its_application_only_in_khmer(session, storage, client,
                                                         signed_in):
    group = create_group(session)
    product = create_product(session, group=group)
    member = add_member(session, group)
    auth = {"Authorization": f"Bearer {token_for(client, member.email)}"}
    created = client.post("/api/v1/certifications", headers=auth, json={
        "product_ids": [product.id], "materials_km": "សូត្រពីកំពង់ធំ",
        "steps": [{"step": "ត្បាញ", "method": "hand"}], "story_km": STORY_KM,
        "intended_market_km": "ភ្ញៀវទេសចរ", "price_cents": 3500})
    assert created.status_code == 201, created.text
    assert created.json()["story_km"] == STORY_KM and created.json()["story"] == ""
    application = session.get(CertificationApplication, created.json()["id"])
    for i in range(3):
        applications.add_photo(session=session, storage=storage, actor=member,
                               application=application, data=png_bytes(color=(9, 40 * i, 9)),
                               alt_text=f"View {i}")
    session.commit()
    submitted = client.post(f"/api/v1/certifications/applications/{application.id}/submit",
                            headers=auth)
    assert submitted.status_code == 200, submitted.text

    empty = create_application(session, storage, group=create_group(session),
                               submitted=False)
    empty.story = empty.story_km = ""
    session.commit()
    leader = session.get(User, session.get(CertificationApplication, empty.id).created_by_id)
    refused = client.post(f"/api/v1/certifications/applications/{empty.id}/submit",
                          headers={"Authorization": f"Bearer {token_for(client, leader.email)}"})
    assert refused.status_code == 422
    assert refused.json()["errors"] == [{"field": "story",
                                         "message": "Write this in English or Khmer."}]
