"""Business accounts: apply, documents, an admin's decision and terms, the team.

Authorization lives here: every function that reads or changes a business takes the actor
and checks membership (or the admin role) itself, so a route that forgets a check still
leaks nothing. Every change is audited; the owner is emailed about decisions.
"""

import re

from babel import Locale
from sqlalchemy import func
from sqlmodel import Session, col, select

from marketplace import audit, geo
from marketplace.access import business_membership, require_business_member
from marketplace.auth.service.roles import grant_role, has_role
from marketplace.business.schemas import BusinessApply, TermsIn
from marketplace.config import Settings
from marketplace.core import cache_tags, invitations, phones
from marketplace.core.status import Lifecycle
from marketplace.core.text import unique_slug
from marketplace.errors import Conflict, Forbidden, NotFound, ValidationFailed
from marketplace.i18n import gettext as _
from marketplace.media import documents
from marketplace.models import (
    Business,
    BusinessDocument,
    BusinessInvitation,
    BusinessMember,
    BusinessRole,
    BusinessStatus,
    DocumentKind,
    Role,
    User,
    utcnow,
)
from marketplace.notifications.service import queue_email

# Admins verify or reject an application; a rejected business may correct it and apply
# again; a verified one may be suspended (overdue invoices, fraud) and reinstated.
BUSINESS_STATUS = Lifecycle(Business, "business", {
    BusinessStatus.APPLIED: {BusinessStatus.VERIFIED, BusinessStatus.REJECTED},
    BusinessStatus.REJECTED: {BusinessStatus.APPLIED},
    BusinessStatus.VERIFIED: {BusinessStatus.SUSPENDED},
    BusinessStatus.SUSPENDED: {BusinessStatus.VERIFIED},
})
DECISIONS = {"verify": BusinessStatus.VERIFIED, "reject": BusinessStatus.REJECTED,
             "suspend": BusinessStatus.SUSPENDED, "reinstate": BusinessStatus.VERIFIED}
INVITATION_DAYS = invitations.DAYS  # the pages say it
COUNTRIES = frozenset(code for code in Locale("en").territories
                      if len(code) == 2 and code not in {"ZZ", "EU", "EZ", "UN", "QO"})
MAX_DOCUMENTS = 10
# The General Department of Taxation's TIN: a letter, three digits, a dash, nine digits
# (K001-901234567); people type it with spaces or without the dash.
TAX_ID = re.compile(r"([A-Z])(\d{3})-?(\d{9})")


def normalize_tax_id(raw: str) -> str:
    """A Cambodian tax identification number as ``K001-901234567``, or ValidationFailed."""
    found = TAX_ID.fullmatch(re.sub(r"[\s.]", "", raw).upper())
    if found is None:
        raise ValidationFailed({"tax_id": _(
            "Enter the tax identification number as on the certificate, e.g. K001-901234567.")})
    return f"{found[1]}{found[2]}-{found[3]}"


def _require_admin(session: Session, actor: User | None) -> None:
    if not has_role(session=session, user=actor, role=Role.ADMIN):
        raise Forbidden()


def _checked_fields(data: BusinessApply) -> dict:
    """The application's fields, normalised, or ValidationFailed with every problem."""
    errors: dict[str, str] = {}
    fields = data.model_dump()
    try:
        fields["tax_id"] = normalize_tax_id(data.tax_id)
    except ValidationFailed as exc:
        errors.update(exc.errors)
    try:
        fields["phone"] = phones.normalize(data.phone, data.country_code)
    except ValidationFailed as exc:
        errors.update(exc.errors)
    if data.country_code not in COUNTRIES:
        errors["country_code"] = _("Choose a country.")
    elif data.country_code == "KH":
        if not data.moc_registration:
            errors["moc_registration"] = _("Enter the Ministry of Commerce registration number.")
        errors.update(geo.address_errors(data.province_code, data.district_code,
                                         data.commune_code, data.village_code,
                                         require_village=False))
    else:
        if not data.address_line:
            errors["address_line"] = _("Enter the full address.")
        fields.update(province_code="", district_code="", commune_code="", village_code="")
    if errors:
        raise ValidationFailed(errors)
    return fields


def _unique_slug(session: Session, name: str) -> str:
    return unique_slug(name, "business", lambda slug: session.exec(
        select(Business.id).where(Business.slug == slug)).first() is not None)


def apply(*, session: Session, actor: User, data: BusinessApply) -> Business:
    """Register a business; the applicant becomes its owner. A person buys for one
    business, so a member of another may not apply."""
    fields = _checked_fields(data)
    if business_membership(session=session, user=actor) is not None:
        raise Conflict(_("You already belong to a business."))
    business = Business(**fields, slug=_unique_slug(session, data.legal_name),
                        status=BusinessStatus.APPLIED, created_by_id=actor.id)
    session.add(business)
    session.flush()
    session.add(BusinessMember(business_id=business.id, user_id=actor.id,
                               role=BusinessRole.OWNER))
    audit.record(session=session, actor=actor, entity_type="business", entity_id=business.id,
                 action="applied", to_state=BusinessStatus.APPLIED)
    return business


def resubmit(*, session: Session, actor: User, business: Business,
             data: BusinessApply) -> Business:
    """The owner corrects an application (while it waits, or after a rejection, which
    sends it back to the admins)."""
    require_business_member(session=session, user=actor, business_id=business.id, owner=True)
    if business.status not in (BusinessStatus.APPLIED, BusinessStatus.REJECTED):
        raise Conflict(_("A verified business changes its details through an admin."))
    for key, value in _checked_fields(data).items():
        setattr(business, key, value)
    business.updated_at = utcnow()
    session.add(business)
    if business.status == BusinessStatus.REJECTED:
        BUSINESS_STATUS.change(session, business, BusinessStatus.APPLIED, actor=actor,
                               action="resubmitted", values={"rejection_reason": None})
    return business


def viewable(*, session: Session, actor: User | None, business_id: int) -> Business:
    """The business, for its members and admins; NotFound for everybody else."""
    business = session.get(Business, business_id)
    member = business_membership(session=session, user=actor)
    if business is None or not (
            (member is not None and member.business_id == business_id)
            or has_role(session=session, user=actor, role=Role.ADMIN)):
        raise NotFound(_("No such business."))
    return business


def decide(*, session: Session, settings: Settings, actor: User, business: Business,
           decision: str, reason: str = "") -> Business:
    """An admin verifies, rejects, suspends or reinstates; rejecting and suspending need a
    reason, which the owner reads in the email and on the business page."""
    _require_admin(session, actor)
    to = DECISIONS[decision]
    BUSINESS_STATUS.check(business.status, to)
    if to in (BusinessStatus.REJECTED, BusinessStatus.SUSPENDED) and not reason.strip():
        raise ValidationFailed({"reason": _("Give the business a reason.")})
    values = {"rejection_reason": reason.strip() if to == BusinessStatus.REJECTED else None}
    if to == BusinessStatus.VERIFIED:
        values["verified_at"] = business.verified_at or utcnow()
    BUSINESS_STATUS.must_change(
        session, business, to, actor=actor, action=decision, reason=reason.strip() or None,
        values=values, lost=_("Another admin decided on this business meanwhile. Reload the "
                              "page."))
    team = list(session.exec(select(User, BusinessMember.role).join(
        BusinessMember, BusinessMember.user_id == User.id).where(
        BusinessMember.business_id == business.id)))
    for user, role in team:
        if to == BusinessStatus.VERIFIED and not has_role(
                session=session, user=user, role=Role.BUSINESS_BUYER):
            grant_role(session=session, actor=None, user=user, role=Role.BUSINESS_BUYER)
        if role == BusinessRole.OWNER:
            queue_email(session=session, to=user.email, template="business_decision",
                        context={"business": business, "user": user, "decision": decision,
                                 "reason": reason.strip(),
                                 "url": f"{settings.base_url}/business"},
                        locale=user.locale)
    return business


def set_terms(*, session: Session, actor: User, business: Business, data: TermsIn) -> Business:
    """An admin grants (or withdraws) invoice terms and sets the credit limit."""
    _require_admin(session, actor)
    if data.payment_terms_days is not None and business.status != BusinessStatus.VERIFIED:
        raise Conflict(_("Verify the business before granting terms."))
    before = {"payment_terms_days": business.payment_terms_days,
              "credit_limit_cents": business.credit_limit_cents}
    business.payment_terms_days = data.payment_terms_days
    business.credit_limit_cents = data.credit_limit_cents if data.payment_terms_days else 0
    business.updated_at = utcnow()
    session.add(business)
    audit.record(session=session, actor=actor, entity_type="business", entity_id=business.id,
                 action="terms_set", data={"before": before, "after": {
                     "payment_terms_days": business.payment_terms_days,
                     "credit_limit_cents": business.credit_limit_cents}})
    return business


def add_document(*, session: Session, files: documents.PrivateFiles, actor: User,
                 business: Business, kind: DocumentKind, data: bytes,
                 filename: str = "") -> BusinessDocument:
    """Keep a supporting document, checked by its content (PDF or photo)."""
    require_business_member(session=session, user=actor, business_id=business.id, owner=True)
    checked = documents.check(data)
    count = session.exec(select(func.count()).select_from(BusinessDocument).where(
        BusinessDocument.business_id == business.id)).one()
    if count >= MAX_DOCUMENTS:
        raise ValidationFailed({"document": _("A business keeps at most %(n)s documents.",
                                              n=MAX_DOCUMENTS)})
    files.save(checked.key, data)
    document = BusinessDocument(
        business_id=business.id, kind=kind, storage_key=checked.key,
        content_type=checked.content_type, size_bytes=len(data),
        filename=re.sub(r"[^\w.\- ]", "_", filename)[-120:], uploaded_by_id=actor.id)
    session.add(document)
    session.flush()
    audit.record(session=session, actor=actor, entity_type="business", entity_id=business.id,
                 action="document_added", data={"document_id": document.id, "kind": kind})
    return document


def document(*, session: Session, actor: User | None, business: Business,
             document_id: int) -> BusinessDocument:
    """One of the business's documents, for its members and admins."""
    viewable(session=session, actor=actor, business_id=business.id)
    found = session.get(BusinessDocument, document_id)
    if found is None or found.business_id != business.id:
        raise NotFound(_("No such document."))
    return found


def documents_of(*, session: Session, actor: User | None,
                 business: Business) -> list[BusinessDocument]:
    viewable(session=session, actor=actor, business_id=business.id)
    return list(session.exec(select(BusinessDocument).where(
        BusinessDocument.business_id == business.id).order_by(BusinessDocument.id)))


def invite(*, session: Session, settings: Settings, actor: User, business: Business,
           email: str, role: BusinessRole = BusinessRole.BUYER) -> BusinessInvitation:
    """The owner emails an invitation to buy for the business."""
    require_business_member(session=session, user=actor, business_id=business.id, owner=True)
    invitation, raw = invitations.new(BusinessInvitation, email=email,
                                      business_id=business.id, role=role,
                                      invited_by_id=actor.id)
    session.add(invitation)
    audit.record(session=session, actor=actor, entity_type="business", entity_id=business.id,
                 action="member_invited", data={"email": invitation.email, "role": role})
    queue_email(session=session, to=invitation.email, template="business_invitation",
                context={"business": business, "inviter": actor, "days": invitations.DAYS,
                         "url": f"{settings.base_url}/business/invitations/{raw}"},
                locale=actor.locale)
    return invitation


def invitation_for(*, session: Session, token: str) -> BusinessInvitation:
    invitation = invitations.find(session, BusinessInvitation, token)
    if invitation is None:  # a mistyped link: nothing to say it ever existed
        raise NotFound(_("No such invitation. Check the link in the email."))
    return invitations.usable(invitation)


def accept_invitation(*, session: Session, actor: User, token: str) -> Business:
    """Join the business the invitation is for; it must be addressed to the actor."""
    invitation = invitation_for(session=session, token=token)
    if invitation.email != actor.email:
        raise Forbidden(_("This invitation was sent to another email address."))
    current = business_membership(session=session, user=actor)
    if current is not None and current.business_id != invitation.business_id:
        raise Conflict(_("You already belong to another business."))
    business = session.get(Business, invitation.business_id)
    if current is None:
        invitations.join_once(session, BusinessMember(business_id=business.id,
                                                      user_id=actor.id, role=invitation.role))
    if business.status == BusinessStatus.VERIFIED and not has_role(
            session=session, user=actor, role=Role.BUSINESS_BUYER):
        grant_role(session=session, actor=None, user=actor, role=Role.BUSINESS_BUYER)
    invitations.accepted(session, invitation)
    audit.record(session=session, actor=actor, entity_type="business", entity_id=business.id,
                 action="member_joined", to_state=invitation.role)
    return business


def members(*, session: Session, actor: User | None,
            business: Business) -> list[tuple[User, str]]:
    """The business's people and their roles (members and admins may see them)."""
    viewable(session=session, actor=actor, business_id=business.id)
    rows = session.exec(select(User, BusinessMember.role).join(
        BusinessMember, BusinessMember.user_id == User.id).where(
        BusinessMember.business_id == business.id).order_by(User.full_name))
    return [(user, role) for user, role in rows]


def _owners(session: Session, business_id: int) -> int:
    return len(session.exec(select(BusinessMember.id).where(
        BusinessMember.business_id == business_id,
        BusinessMember.role == BusinessRole.OWNER)).all())


def _member_of(session: Session, actor: User, business: Business,
               user_id: int) -> BusinessMember:
    """The member to change, after the owner's check and under the business's row lock
    (two owners demoting each other at once cannot leave it without one)."""
    require_business_member(session=session, user=actor, business_id=business.id, owner=True)
    session.exec(select(Business).where(Business.id == business.id).with_for_update()).one()
    rows = {m.user_id: m for m in session.exec(select(BusinessMember).where(
        BusinessMember.business_id == business.id, col(BusinessMember.user_id).in_(
            [actor.id, user_id])).execution_options(populate_existing=True))}
    if getattr(rows.get(actor.id), "role", None) != BusinessRole.OWNER:
        raise Forbidden(_("Only the owner of this business may do this."))  # changed meanwhile
    if user_id not in rows:
        raise NotFound(_("This person is not in the team."))
    return rows[user_id]


def set_member_role(*, session: Session, actor: User, business: Business, user_id: int,
                    role: BusinessRole) -> BusinessMember:
    """An owner makes a member an owner or a buyer; a business always keeps an owner."""
    member = _member_of(session, actor, business, user_id)
    if member.role == role:
        return member
    if member.role == BusinessRole.OWNER and _owners(session, business.id) == 1:
        raise Conflict(_("A business needs an owner: make someone else owner first."))
    audit.record(session=session, actor=actor, entity_type="business", entity_id=business.id,
                 action="member_role_changed", from_state=member.role, to_state=role,
                 data={"user_id": user_id})
    member.role = role
    session.add(member)
    cache_tags.touch(session, cache_tags.user(user_id))
    return member


def remove_member(*, session: Session, actor: User, business: Business,
                  user_id: int) -> None:
    """An owner takes someone out of the team: they no longer see wholesale prices or
    order for the business. A business always keeps an owner."""
    member = _member_of(session, actor, business, user_id)
    if member.role == BusinessRole.OWNER and _owners(session, business.id) == 1:
        raise Conflict(_("A business needs an owner: make someone else owner first."))
    audit.record(session=session, actor=actor, entity_type="business", entity_id=business.id,
                 action="member_removed", from_state=member.role, data={"user_id": user_id})
    session.delete(member)
    cache_tags.touch(session, cache_tags.user(user_id))
    session.flush()


def list_businesses(*, session: Session, actor: User, status: str | None = None,
                    limit: int = 50, offset: int = 0) -> tuple[list[Business], int]:
    """Businesses for an admin, the oldest waiting first within a status."""
    _require_admin(session, actor)
    query = select(Business)
    if status:
        query = query.where(Business.status == status)
    total = session.exec(select(func.count()).select_from(query.subquery())).one()
    rows = session.exec(query.order_by(Business.created_at, Business.id)
                        .limit(limit).offset(offset))
    return list(rows), total
