"""Seal of Excellence rules against the real database, including the officers' race."""

import threading
from datetime import timedelta

import pytest
from sqlmodel import select

from marketplace.certification.schemas import ApplicationIn, ComplaintIn
from marketplace.certification.service import applications, certificates, criteria, review, signing
from marketplace.db import transaction
from marketplace.errors import (
    Conflict,
    Forbidden,
    InvalidTransition,
    TooManyRequests,
    ValidationFailed,
)
from marketplace.models import (
    Certificate,
    CertificationApplication,
    OutboxMessage,
    Product,
    User,
    utcnow,
)
from tests.factories import (
    add_member,
    create_application,
    create_group,
    create_product,
    create_user,
    pass_everything,
)


def test_fewer_than_three_photos_cannot_be_submitted(session, storage):
    application = create_application(session, storage, submitted=False, photos=2)
    leader = session.get(User, session.get(type(application), application.id).created_by_id)
    with pytest.raises(ValidationFailed) as info:
        applications.submit(session=session, actor=leader, application=application)
    assert "photos" in info.value.errors


def test_one_open_application_per_product(session, storage):
    group = create_group(session)
    product = create_product(session, group=group)
    create_application(session, storage, group=group, products=[product], submitted=False)
    leader = session.get(User, group.leader_id)
    with pytest.raises(Conflict):
        applications.create(session=session, actor=leader,
                            data=ApplicationIn(product_ids=[product.id]))


def test_approval_issues_a_four_year_seal_and_shows_the_badge(session, storage, settings):
    officer = create_user(session, role=["officer"])
    application = create_application(session, storage)
    pass_everything(session, officer, application)
    certificate = review.decide(session=session, settings=settings, actor=officer,
                                application=application, decision="approve")
    session.commit()
    assert certificate.number == f"SoE-{utcnow().year}-{certificate.id:06d}"
    assert certificate.expires_at.year == certificate.issued_at.year + 4
    product_id = certificates.product_ids(session, certificate.id)[0]
    session.expire_all()
    assert session.get(Product, product_id).certified_until == certificate.expires_at
    mail = session.exec(select(OutboxMessage)).all()[-1]
    assert certificate.number in mail.payload["body"]


def test_preconditions_come_first_and_a_failure_stops_the_review(session, storage, settings):
    officer = create_user(session, role=["officer"])
    application = create_application(session, storage)
    with pytest.raises(Conflict):
        review.assess(session=session, actor=officer, application=application,
                      criterion_key="craftsmanship", passed=True)
    review.assess(session=session, actor=officer, application=application,
                  criterion_key="environment", passed=False, note="trees felled")
    with pytest.raises(Conflict):
        review.assess(session=session, actor=officer, application=application,
                      criterion_key="craftsmanship", passed=True)
    with pytest.raises(Conflict):
        review.decide(session=session, settings=settings, actor=officer,
                      application=application, decision="request_changes", note="fix it")
    with pytest.raises(ValidationFailed):  # a rejection needs reasons the group can read
        review.decide(session=session, settings=settings, actor=officer,
                      application=application, decision="reject")
    review.decide(session=session, settings=settings, actor=officer, application=application,
                  decision="reject", note="The resin trees were felled, not tapped.")
    assert application.status == "rejected"


def test_officer_from_the_same_group_is_refused(session, storage):
    group = create_group(session)
    officer = create_user(session, role=["officer"])
    add_member(session, group, officer)
    application = create_application(session, storage, group=group)
    with pytest.raises(Forbidden):
        review.assess(session=session, actor=officer, application=application,
                      criterion_key="environment", passed=True)


def test_changes_requested_then_resubmitted_keeps_history(session, storage, settings):
    officer = create_user(session, role=["officer"])
    application = create_application(session, storage)
    review.assess(session=session, actor=officer, application=application,
                  criterion_key="environment", passed=True)
    review.decide(session=session, settings=settings, actor=officer, application=application,
                  decision="request_changes", note="Add the dye recipe")
    session.commit()
    leader = session.get(User, application.created_by_id)
    applications.submit(session=session, actor=leader, application=application)
    assert application.round == 2 and application.status == "submitted"
    assert review.latest_assessments(session=session, application=application) == {}


def test_withdraw_before_review_only(session, storage):
    application = create_application(session, storage)
    leader = session.get(User, application.created_by_id)
    applications.withdraw(session=session, actor=leader, application=application)
    assert application.status == "withdrawn"
    with pytest.raises(InvalidTransition):
        applications.withdraw(session=session, actor=leader, application=application)


def test_decision_on_a_decided_application_is_409(session, storage, settings):
    officer = create_user(session, role=["officer"])
    application = create_application(session, storage)
    review.decide(session=session, settings=settings, actor=officer, application=application,
                  decision="reject", note="Not handmade")
    with pytest.raises(Conflict):
        review.decide(session=session, settings=settings, actor=officer,
                      application=application, decision="reject", note="again")


def test_officers_racing_to_decide_exactly_one_wins(engine, session, storage, settings):
    officers = [create_user(session, role=["officer"]) for _ in range(6)]
    application = create_application(session, storage)
    pass_everything(session, officers[0], application)
    barrier = threading.Barrier(len(officers))
    outcomes = []

    def decide(officer_id, decision):
        barrier.wait()
        try:
            with transaction(engine) as db:
                officer = db.get(User, officer_id)
                target = db.get(CertificationApplication, application.id)
                note = "" if decision == "approve" else "Not convincing"
                review.decide(session=db, settings=settings, actor=officer, application=target,
                              decision=decision, note=note)
            outcomes.append("won")
        except Conflict:
            outcomes.append("409")

    threads = [threading.Thread(target=decide, args=(o.id, "approve" if i % 2 else "reject"))
               for i, o in enumerate(officers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["409"] * 5 + ["won"]
    session.expire_all()
    final = session.get(CertificationApplication, application.id)
    issued = session.exec(select(Certificate)).all()
    assert len(issued) == (1 if final.status == "approved" else 0)


def _issued(session, storage, settings):
    officer = create_user(session, role=["officer"])
    application = create_application(session, storage)
    pass_everything(session, officer, application)
    certificate = review.decide(session=session, settings=settings, actor=officer,
                                application=application, decision="approve")
    session.commit()
    return officer, certificate


def test_revocation_hides_the_badge_and_needs_a_public_reason(session, storage, settings):
    officer, certificate = _issued(session, storage, settings)
    with pytest.raises(ValidationFailed):
        certificates.change_status(session=session, actor=officer, certificate=certificate,
                                   action="revoke")
    certificates.change_status(session=session, actor=officer, certificate=certificate,
                               action="revoke", reason="Design copied from another community")
    session.commit()
    product_id = certificates.product_ids(session, certificate.id)[0]
    session.expire_all()
    assert session.get(Product, product_id).certified_until is None
    assert certificates.status_of(session.get(Certificate, certificate.id)) == "revoked"


def test_qr_token_verifies_and_a_forged_one_does_not(session, storage, settings):
    _officer, certificate = _issued(session, storage, settings)
    url = certificates.verification_url(settings, session, certificate)
    token = url.split("?t=")[1]
    result = certificates.verify_token(session=session, settings=settings, token=token)
    assert result.matches_registry and result.claims.number == certificate.number
    body, sig = token.split(".")
    forged = signing.Claims(certificate.number, (999,), "2099-01-01")
    other_key_token = signing.sign(settings.model_copy(update={"secret_key": "x" * 40}), forged)
    for bad in (body[:-2] + "xx." + sig, other_key_token, "garbage", body + "." + sig[::-1]):
        with pytest.raises(signing.TokenError):
            certificates.verify_token(session=session, settings=settings, token=bad)


def test_expiry_job_is_idempotent_and_reminds_once(engine, session, storage, settings):
    _officer, certificate = _issued(session, storage, settings)
    certificate.expires_at = utcnow() + timedelta(days=20)
    session.add(certificate)
    session.commit()
    with transaction(engine) as db:
        assert certificates.expire_due(session=db, settings=settings) == (0, 2)
    with transaction(engine) as db:
        assert certificates.expire_due(session=db, settings=settings) == (0, 0)
    certificate = session.get(Certificate, certificate.id)
    certificate.expires_at = utcnow() - timedelta(minutes=1)
    session.add(certificate)
    session.commit()
    with transaction(engine) as db:
        assert certificates.expire_due(session=db, settings=settings)[0] == 1
    with transaction(engine) as db:
        assert certificates.expire_due(session=db, settings=settings)[0] == 0
    session.expire_all()
    assert session.get(Certificate, certificate.id).status == "expired"


def test_complaint_flood_from_one_address_is_refused(session, storage, settings):
    _officer, certificate = _issued(session, storage, settings)
    data = ComplaintIn(reason="This scarf is machine made", contact="tourist@example.com")
    for _ in range(settings.complaints_per_hour):
        certificates.file_complaint(session=session, settings=settings,
                                    certificate=certificate, data=data, ip="198.51.100.4")
    session.commit()
    with pytest.raises(TooManyRequests):
        certificates.file_complaint(session=session, settings=settings,
                                    certificate=certificate, data=data, ip="198.51.100.4")
    certificates.file_complaint(session=session, settings=settings, certificate=certificate,
                                data=data, ip="198.51.100.5")


def test_a_new_criteria_version_does_not_rewrite_past_decisions(session, storage, settings):
    admin = create_user(session, role=["admin"])
    _officer, certificate = _issued(session, storage, settings)
    first = criteria.current(session=session)
    items = [dict(i) for i in first.items] + [{
        "key": "traceability", "kind": "criterion", "title": "Traceability",
        "title_km": "ការតាមដាន", "description": "", "description_km": ""}]
    second = criteria.publish(session=session, actor=admin, items=items)
    session.commit()
    assert second.version == first.version + 1
    assert session.get(Certificate, certificate.id).criteria_set_id == first.id
    assert criteria.current(session=session).id == second.id


def test_queue_leaves_out_the_officers_own_group(session, storage):
    group = create_group(session)
    insider = create_user(session, role=["officer"])
    add_member(session, group, insider)
    outsider = create_user(session, role=["officer"])
    application = create_application(session, storage, group=group)
    assert [a.id for a in review.queue(session=session, actor=outsider)] == [application.id]
    assert review.queue(session=session, actor=insider) == []
