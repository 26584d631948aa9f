"""Certificates: issue on approval, suspend / reinstate / revoke, expire, remind, complaints,
and the public registry with signed verification links."""

import re
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import case, func, or_, update
from sqlmodel import Session, select

from marketplace import audit
from marketplace.auth.service.roles import has_role
from marketplace.certification.schemas import ComplaintIn
from marketplace.certification.service import signing
from marketplace.config import Settings
from marketplace.core import cache_tags
from marketplace.core.status import Lifecycle
from marketplace.errors import (
    InvalidTransition,
    MarketplaceError,
    NotFound,
    TooManyRequests,
    ValidationFailed,
)
from marketplace.i18n import gettext as _
from marketplace.models import (
    ApplicationProduct,
    Certificate,
    CertificateProduct,
    CertificateStatus,
    CertificationApplication,
    Complaint,
    ComplaintStatus,
    ProducerGroup,
    Product,
    Role,
    User,
    utcnow,
)
from marketplace.notifications.service import queue_email

# An officer suspends, reinstates or revokes (``change_status``); the expiry job expires a
# valid or suspended seal past its date (``expire_due``). Revoked and expired are final.
CERTIFICATE_STATUS = Lifecycle(Certificate, "certificate", {
    CertificateStatus.VALID: {CertificateStatus.SUSPENDED, CertificateStatus.REVOKED,
                              CertificateStatus.EXPIRED},
    CertificateStatus.SUSPENDED: {CertificateStatus.VALID, CertificateStatus.REVOKED,
                                  CertificateStatus.EXPIRED},
})
# An officer closes an open complaint; its audit rows go in the certificate's history.
COMPLAINT_STATUS = Lifecycle(Complaint, "complaint", {
    ComplaintStatus.OPEN: {ComplaintStatus.DISMISSED, ComplaintStatus.UPHELD},
})
REMINDER_DAYS = (90, 30)


def _add_years(moment, years: int):
    try:
        return moment.replace(year=moment.year + years)
    except ValueError:  # 29 February
        return moment.replace(year=moment.year + years, day=28)


def issue(*, session: Session, settings: Settings, actor: User,
          application: CertificationApplication) -> Certificate:
    """The seal for an approved application: numbered, valid for four years."""
    now = utcnow()
    certificate = Certificate(
        number="pending", application_id=application.id, group_id=application.group_id,
        criteria_set_id=application.criteria_set_id, officer_id=actor.id, issued_at=now,
        expires_at=_add_years(now, settings.certificate_years), updated_at=now,
    )
    session.add(certificate)
    session.flush()
    certificate.number = f"SoE-{now.year}-{certificate.id:06d}"
    session.add(certificate)
    for product_id in session.exec(select(ApplicationProduct.product_id).where(
            ApplicationProduct.application_id == application.id)):
        session.add(CertificateProduct(certificate_id=certificate.id, product_id=product_id))
    session.flush()
    refresh_products(session, certificate.id)
    audit.record(session=session, actor=actor, entity_type="certificate",
                 entity_id=certificate.id, action="issued", to_state=CertificateStatus.VALID,
                 data={"number": certificate.number})
    return certificate


def product_ids(session: Session, certificate_id: int) -> list[int]:
    return list(session.exec(select(CertificateProduct.product_id).where(
        CertificateProduct.certificate_id == certificate_id).order_by(
        CertificateProduct.product_id)))


def refresh_products(session: Session, certificate_id: int) -> None:
    """Set each product's ``certified_until`` from its valid certificates (None if none)."""
    now = utcnow()
    changed = product_ids(session, certificate_id)
    for product_id in changed:
        until = session.exec(
            select(func.max(Certificate.expires_at))
            .join(CertificateProduct, CertificateProduct.certificate_id == Certificate.id)
            .where(CertificateProduct.product_id == product_id,
                   Certificate.status == CertificateStatus.VALID,
                   Certificate.expires_at > now)
        ).one()
        session.execute(update(Product).where(Product.id == product_id)
                        .values(certified_until=until, updated_at=now)
                        .execution_options(synchronize_session=False))
    cache_tags.touch(session, cache_tags.CATALOG, *map(cache_tags.product, changed))


NUMBER = re.compile(r"soe-(\d{4}-\d+)", re.IGNORECASE)


def canonical_number(number: str) -> str:
    """A seal number as issued (``SoE-2026-000123``), whatever the letter case it was typed
    in; anything else is returned stripped, to be looked up as it is."""
    number = (number or "").strip()
    match = NUMBER.fullmatch(number)
    return f"SoE-{match.group(1)}" if match else number


def get_by_number(*, session: Session, number: str) -> Certificate:
    """The certificate with this number (any letter case); NotFound otherwise."""
    certificate = session.exec(select(Certificate).where(
        Certificate.number == canonical_number(number))).first()
    if certificate is None:
        raise NotFound(_("No certificate has this number."))
    return certificate


def numbers_for_products(*, session: Session, product_ids) -> dict[int, str]:
    """The number of the valid certificate each product carries now (the one lasting
    longest, as ``certified_until`` says), in one query; products without one are absent."""
    ids = list(product_ids)
    if not ids:
        return {}
    rows = session.exec(
        select(CertificateProduct.product_id, Certificate.number)
        .join(Certificate, Certificate.id == CertificateProduct.certificate_id)
        .where(CertificateProduct.product_id.in_(ids),
               Certificate.status == CertificateStatus.VALID, Certificate.expires_at > utcnow())
        .order_by(Certificate.expires_at, Certificate.id))
    return dict(rows.all())  # the last row of each product wins: the longest lasting


def status_of(certificate: Certificate) -> str:
    """The status a visitor should see (a valid one past its date is expired)."""
    if certificate.status == CertificateStatus.VALID and certificate.expires_at <= utcnow():
        return CertificateStatus.EXPIRED
    return certificate.status


class SealNotValid(MarketplaceError):
    """A seal that is not valid has no hang-tag or QR code: 410 when it was revoked or has
    expired, 409 while it is suspended (it may be reinstated)."""

    def __init__(self, status: str) -> None:
        self.status = status
        self.status_code = 409 if status == CertificateStatus.SUSPENDED else 410
        self.slug = f"seal-{status}"
        super().__init__({
            CertificateStatus.REVOKED: _(
                "This seal was revoked, so its hang-tag and QR code can no longer be printed "
                "or used."),
            CertificateStatus.EXPIRED: _(
                "This seal has expired, so its hang-tag and QR code can no longer be printed "
                "or used. The group can apply for the seal again."),
            CertificateStatus.SUSPENDED: _(
                "This seal is suspended while the certification officers look into it: its "
                "hang-tag and QR code cannot be printed or used unless it is reinstated."),
        }[status])


def ensure_printable(certificate: Certificate) -> None:
    """Only a valid seal's hang-tag and QR code are offered; SealNotValid otherwise."""
    status = status_of(certificate)
    if status != CertificateStatus.VALID:
        raise SealNotValid(status)


def change_status(*, session: Session, actor: User, certificate: Certificate, action: str,
                  reason: str = "", reason_km: str = "") -> Certificate:
    """Suspend, reinstate or revoke (officers), audited; suspension and revocation need a
    public reason, in English, in Khmer or both (each reader sees their language's)."""
    if not has_role(session=session, user=actor, role=Role.OFFICER):
        from marketplace.errors import Forbidden

        raise Forbidden()
    to = {"suspend": CertificateStatus.SUSPENDED, "reinstate": CertificateStatus.VALID,
          "revoke": CertificateStatus.REVOKED}.get(action)
    if to is None:
        raise ValidationFailed({"action": _("Choose one of the options.")})
    CERTIFICATE_STATUS.check(certificate.status, to)
    reason, reason_km = reason.strip(), reason_km.strip()
    if to in (CertificateStatus.REVOKED, CertificateStatus.SUSPENDED) and not (
            reason or reason_km):
        raise ValidationFailed({"reason": _("Give the reason that will be shown publicly, "
                                            "in English or Khmer.")})
    if not CERTIFICATE_STATUS.change(session, certificate, to, actor=actor, action=action,
                                     reason=reason or reason_km or None,
                                     data={"reason_km": reason_km} if reason_km else None,
                                     values={"public_reason": reason or None,
                                             "public_reason_km": reason_km or None}):
        raise InvalidTransition(_("The certificate changed meanwhile; reload and try again."))
    refresh_products(session, certificate.id)
    return certificate


def expire_due(*, session: Session, settings: Settings) -> tuple[int, int]:
    """Expire certificates past their date and send 90- and 30-day reminders.

    Each step is a conditional UPDATE, so running it twice, or on two machines at once,
    expires and reminds exactly once. Returns (expired, reminders).
    """
    now = utcnow()
    expired = 0
    due = list(session.exec(select(Certificate).where(
        Certificate.status.in_([CertificateStatus.VALID, CertificateStatus.SUSPENDED]),
        Certificate.expires_at <= now).execution_options(populate_existing=True)))
    for certificate in due:
        if CERTIFICATE_STATUS.change(session, certificate, CertificateStatus.EXPIRED,
                                     actor=None, action="expired", values={"updated_at": now}):
            expired += 1
            refresh_products(session, certificate.id)
    reminders = 0
    for days in REMINDER_DAYS:
        column = getattr(Certificate, f"reminder_{days}_sent_at")
        candidates = list(session.exec(select(Certificate).where(
            Certificate.status == CertificateStatus.VALID,
            Certificate.expires_at > now, Certificate.expires_at <= now + timedelta(days=days),
            column.is_(None))))
        for certificate in candidates:
            result = session.execute(
                update(Certificate).where(Certificate.id == certificate.id, column.is_(None))
                .values({column.key: now}).execution_options(synchronize_session=False))
            if result.rowcount == 1:
                reminders += 1
                _remind(session, settings, certificate, days)
    return expired, reminders


def _leader(session: Session, group_id: int) -> tuple[ProducerGroup, User | None]:
    group = session.get(ProducerGroup, group_id)
    return group, session.get(User, group.leader_id) if group.leader_id else None


def _remind(session: Session, settings: Settings, certificate: Certificate, days: int) -> None:
    group, leader = _leader(session, certificate.group_id)
    if leader:
        queue_email(session=session, to=leader.email, template="seal_renewal",
                    context={"user": leader, "group": group, "certificate": certificate,
                             "days": days, "url": f"{settings.base_url}/dashboard/seal"},
                    locale=leader.locale)


def notify_group(*, session: Session, settings: Settings,
                 application: CertificationApplication,
                 certificate: Certificate | None) -> None:
    """Tell the group leader the decision (approved with the number, or the reasons)."""
    group, leader = _leader(session, application.group_id)
    if leader:
        queue_email(session=session, to=leader.email, template="seal_decision",
                    context={"user": leader, "group": group, "application": application,
                             "certificate": certificate,
                             "url": f"{settings.base_url}/dashboard/seal/{application.id}"},
                    locale=leader.locale)


def verification_url(settings: Settings, session: Session, certificate: Certificate) -> str:
    """The URL the hang-tag QR code encodes, with its Ed25519 signature."""
    claims = signing.Claims(certificate.number, tuple(product_ids(session, certificate.id)),
                            certificate.expires_at.date().isoformat())
    return f"{settings.base_url}/seal/{certificate.number}?t={signing.sign(settings, claims)}"


@dataclass
class Verification:
    claims: signing.Claims
    certificate: Certificate
    matches_registry: bool


def verify_token(*, session: Session, settings: Settings, token: str) -> Verification:
    """Check a hang-tag token; raises signing.TokenError or NotFound."""
    claims = signing.verify(settings, token)
    certificate = get_by_number(session=session, number=claims.number)
    matches = (tuple(product_ids(session, certificate.id)) == claims.product_ids
               and certificate.expires_at.date().isoformat() == claims.expires_on)
    return Verification(claims, certificate, matches)


def registry(*, session: Session, q: str = "", craft: str | None = None,
             province: str | None = None, limit: int = 50,
             offset: int = 0) -> tuple[list[Certificate], int]:
    """The registry: valid certificates, filtered by craft and province. A search by number
    or group name (``q``) also finds suspended, revoked and expired ones (valid ones first),
    so a number seen on a tag can always be looked up."""
    now = utcnow()
    valid = (Certificate.status == CertificateStatus.VALID) & (Certificate.expires_at > now)
    statement = select(Certificate).join(ProducerGroup,
                                          ProducerGroup.id == Certificate.group_id)
    if q.strip():
        pattern = f"%{q.strip().lower()}%"
        statement = statement.where(or_(func.lower(Certificate.number).like(pattern),
                                        func.lower(ProducerGroup.name).like(pattern),
                                        ProducerGroup.name_km.like(f"%{q.strip()}%")))
    else:
        statement = statement.where(valid)
    if province:
        statement = statement.where(ProducerGroup.province_code == province)
    if craft:
        statement = statement.where(Certificate.id.in_(
            select(CertificateProduct.certificate_id).join(
                Product, Product.id == CertificateProduct.product_id).where(
                Product.craft == craft)))
    total = session.exec(select(func.count()).select_from(statement.subquery())).one()
    rows = session.exec(statement.order_by(case((valid, 0), else_=1),
                                           Certificate.issued_at.desc(), Certificate.id.desc())
                        .limit(limit).offset(offset))
    return list(rows), total


def file_complaint(*, session: Session, settings: Settings, certificate: Certificate,
                   data: ComplaintIn, ip: str) -> Complaint:
    """Anyone may complain about a certificate; one address is limited per hour."""
    since = utcnow() - timedelta(hours=1)
    recent = session.exec(select(func.count()).where(Complaint.ip == ip,
                                                     Complaint.created_at >= since)).one()
    if recent >= settings.complaints_per_hour:
        raise TooManyRequests(3600, _("You have sent several complaints already. Please try "
                                      "again later."))
    complaint = Complaint(certificate_id=certificate.id, reason=data.reason,
                          contact=str(data.contact), ip=ip[:45])
    session.add(complaint)
    session.flush()
    audit.record(session=session, actor=None, entity_type="certificate",
                 entity_id=certificate.id, action="complaint_filed",
                 data={"complaint_id": complaint.id})
    return complaint


def complaints(*, session: Session, actor: User, status: str = "open") -> list[Complaint]:
    if not has_role(session=session, user=actor, role=Role.OFFICER):
        from marketplace.errors import Forbidden

        raise Forbidden()
    return list(session.exec(select(Complaint).where(Complaint.status == status)
                             .order_by(Complaint.created_at)))


def close_complaint(*, session: Session, actor: User, complaint_id: int,
                    outcome: str) -> Complaint:
    """Mark a complaint dismissed or upheld (the certificate action is taken separately)."""
    if not has_role(session=session, user=actor, role=Role.OFFICER):
        from marketplace.errors import Forbidden

        raise Forbidden()
    complaint = session.get(Complaint, complaint_id)
    if complaint is None:
        raise NotFound()
    if not COMPLAINT_STATUS.change(session, complaint, outcome, actor=actor,
                                   action=f"complaint_{outcome}",
                                   values={"handled_by_id": actor.id},
                                   data={"complaint_id": complaint.id},
                                   audit_as=("certificate", complaint.certificate_id)):
        raise InvalidTransition()  # another officer closed it meanwhile
    return complaint
