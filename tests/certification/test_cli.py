"""The nightly ``marketplace certifications expire`` job and the Seal demo data."""

from datetime import timedelta

import pytest
from sqlmodel import func, select
from typer.testing import CliRunner

from marketplace.certification import demo
from marketplace.certification.service import applications, certificates, review
from marketplace.cli import app as cli
from marketplace.models import (
    ApplicationPhoto,
    AuditEvent,
    Certificate,
    CertificateProduct,
    CertificationApplication,
    Complaint,
    GroupMembership,
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

runner = CliRunner()


@pytest.fixture(autouse=True)
def _env(cli_env):
    """The command line reads its settings from the environment: point it at the test run's."""


def test_expire_job_expires_a_past_due_seal_once(session, storage, settings):
    officer = create_user(session, role=["officer"])
    application = create_application(session, storage)
    pass_everything(session, officer, application)
    certificate = review.decide(session=session, settings=settings, actor=officer,
                                application=application, decision="approve")
    certificate.expires_at = utcnow() - timedelta(hours=1)
    session.add(certificate)
    session.commit()
    product_id = certificates.product_ids(session, certificate.id)[0]
    assert session.get(Product, product_id).certified_until is not None
    session.commit()  # end the read, so the next reads see what the command wrote

    first = runner.invoke(cli, ["certifications", "expire"])
    assert first.exit_code == 0, first.output
    assert "Expired 1 certificate(s)" in first.output
    session.expire_all()
    assert session.get(Certificate, certificate.id).status == "expired"
    assert session.get(Product, product_id).certified_until is None  # the badge is gone
    session.commit()

    second = runner.invoke(cli, ["certifications", "expire"])
    assert second.exit_code == 0, second.output
    assert "Expired 0 certificate(s); queued 0 reminder(s)" in second.output
    expired_events = session.exec(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.entity_type == "certificate", AuditEvent.action == "expired")).one()
    assert expired_events == 1


def _counts(session) -> tuple[int, ...]:
    session.expire_all()
    return tuple(session.exec(select(func.count()).select_from(model)).one()
                 for model in (User, CertificationApplication, ApplicationPhoto, Certificate,
                               Complaint, AuditEvent))


def test_demo_load_on_an_empty_catalog_creates_nothing(session, settings, storage):
    assert demo.load(session=session, settings=settings, storage=storage) == 0
    assert session.exec(select(User)).first() is None


def test_demo_load_shows_every_seal_state_once(session, settings, storage):
    places = {"weaving": ("16", "1601", "160101", "16010101"),
              "pottery": ("16", "1601", "160101", "16010101"),
              "basketry": ("11", "1101", "110101", "11010101"),
              "resin": ("13", "1301", "130101", "13010101")}
    offered = []
    for craft, (province, district, commune, village) in places.items():
        group = create_group(session, crafts=(craft,), province_code=province,
                             district_code=district, commune_code=commune,
                             village_code=village)
        offered += [create_product(session, group=group, craft=craft, title=f"{craft} {i}")
                    for i in range(2)]
    draft = create_product(session, craft="weaving", status="draft")
    unverified = create_product(session, group=create_group(session, status="applied"))
    officer = create_user(session, email=demo.OFFICER_EMAIL, role=["officer"])
    officers_group = create_group(session)
    add_member(session, officers_group, officer)
    officers_own = create_product(session, group=officers_group)

    created = demo.load(session=session, settings=settings, storage=storage)
    session.commit()
    assert created > 0
    session.expire_all()

    def crafts_of(status: str) -> list[str]:
        return sorted(session.exec(
            select(Product.craft).join(CertificateProduct,
                                       CertificateProduct.product_id == Product.id)
            .join(Certificate, Certificate.id == CertificateProduct.certificate_id)
            .where(Certificate.status == status)).all())

    assert set(crafts_of("valid")) == {"weaving", "pottery", "basketry", "resin"}
    assert len(crafts_of("expired")) == 1 and len(crafts_of("revoked")) == 1
    revoked = session.exec(select(Certificate).where(Certificate.status == "revoked")).one()
    assert revoked.public_reason
    assert session.exec(select(Complaint)).one().status == "upheld"

    queue = review.queue(session=session, actor=officer)
    assert len(queue) == 1
    assert len(session.exec(select(ApplicationPhoto).where(
        ApplicationPhoto.application_id == queue[0].id)).all()) == 3

    for certificate in session.exec(select(Certificate)).all():
        product = session.get(Product, certificates.product_ids(session, certificate.id)[0])
        badge = product.certified_until is not None
        assert badge == (certificate.status == "valid"), certificate.status
        assert certificate.officer_id == officer.id
    covered = set(session.exec(select(CertificationApplication.group_id)).all())
    assert officers_group.id not in covered
    officer_groups = set(session.exec(select(GroupMembership.group_id).where(
        GroupMembership.user_id == officer.id)).all())
    assert not covered & officer_groups
    applied_products = {pid for a in session.exec(select(CertificationApplication.id)).all()
                        for pid in applications.product_ids(session=session, application_id=a)}
    assert not applied_products & {draft.id, unverified.id, officers_own.id}
    assert applied_products <= {p.id for p in offered}

    before = _counts(session)
    assert demo.load(session=session, settings=settings, storage=storage) == 0
    session.commit()
    assert _counts(session) == before

