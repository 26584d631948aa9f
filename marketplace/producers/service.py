"""Producer group rules: apply, verify / suspend / reinstate, members, payout destination.

Authorization lives here: every function that changes a group takes the actor and checks
membership (or the admin role) itself, so a route that forgets a check still leaks nothing.
"""


from sqlmodel import Session, select

from marketplace import audit, geo
from marketplace.access import get_group, membership, require_member
from marketplace.auth.service.roles import grant_role, has_role
from marketplace.config import Settings
from marketplace.core import cache_tags, invitations, phones
from marketplace.core.status import Lifecycle
from marketplace.core.text import unique_slug
from marketplace.errors import (
    Conflict,
    Forbidden,
    Gone,
    InvalidTransition,
    NotFound,
    ValidationFailed,
)
from marketplace.i18n import gettext as _
from marketplace.models import (
    GroupInvitation,
    GroupMembership,
    GroupRole,
    GroupStatus,
    ProducerGroup,
    Product,
    Role,
    User,
    utcnow,
)
from marketplace.notifications.service import queue_email
from marketplace.producers.schemas import GroupApply, GroupUpdate, PayoutDestinationIn

# Every move is an admin's: verify an applied group, suspend (with a reason), reinstate.
GROUP_STATUS = Lifecycle(ProducerGroup, "producer_group", {
    GroupStatus.APPLIED: {GroupStatus.VERIFIED},
    GroupStatus.VERIFIED: {GroupStatus.SUSPENDED},
    GroupStatus.SUSPENDED: {GroupStatus.VERIFIED},
})
INVITATION_DAYS = invitations.DAYS  # the pages say it


def normalize_phone(raw: str) -> str:
    """A Cambodian number in E.164 (+855...), or ValidationFailed on ``phone``."""
    return phones.normalize(raw, "KH")


def _check_address(province: str, district: str, commune: str, village: str) -> None:
    errors = geo.address_errors(province, district, commune, village)
    if errors:
        raise ValidationFailed(errors)


def _require_admin(session: Session, actor: User | None) -> None:
    if not has_role(session=session, user=actor, role=Role.ADMIN):
        raise Forbidden()


def _unique_slug(session: Session, name: str) -> str:
    return unique_slug(name, "group", lambda slug: session.exec(
        select(ProducerGroup.id).where(ProducerGroup.slug == slug)).first() is not None)


def viewable_group(*, session: Session, actor: User | None,
                   group_id: int) -> tuple[ProducerGroup, bool]:
    """The group and whether ``actor`` may see its private details (members and admins);
    a group that is not verified is NotFound for everybody else."""
    group = session.get(ProducerGroup, group_id)
    private = group is not None and (
        membership(session=session, user=actor, group_id=group_id) is not None
        or has_role(session=session, user=actor, role=Role.ADMIN))
    if group is None or (group.status != GroupStatus.VERIFIED and not private):
        raise NotFound(_("No such producer group."))
    return group, private


def apply(*, session: Session, actor: User, data: GroupApply) -> ProducerGroup:
    """Register a new group; the applicant becomes its leader and a producer member."""
    _check_address(data.province_code, data.district_code, data.commune_code, data.village_code)
    phone = normalize_phone(data.phone)
    if data.women_count > data.members_count:
        raise ValidationFailed({"women_count": _("Cannot be more than the number of members.")})
    group = ProducerGroup(
        **data.model_dump(exclude={"phone", "crafts"}),
        crafts=[c.value for c in data.crafts],
        phone=phone,
        slug=_unique_slug(session, data.name),
        leader_id=actor.id,
        status=GroupStatus.APPLIED,
    )
    session.add(group)
    session.flush()
    session.add(GroupMembership(group_id=group.id, user_id=actor.id, role=GroupRole.LEADER))
    if not has_role(session=session, user=actor, role=Role.PRODUCER):
        grant_role(session=session, actor=None, user=actor, role=Role.PRODUCER)
    audit.record(session=session, actor=actor, entity_type="producer_group",
                 entity_id=group.id, action="applied", to_state=GroupStatus.APPLIED)
    return group


def update(*, session: Session, actor: User, group: ProducerGroup,
           data: GroupUpdate) -> ProducerGroup:
    """Change the group's profile (members only)."""
    require_member(session=session, user=actor, group_id=group.id)
    changes = data.model_dump(exclude_unset=True, exclude_none=True)
    if "phone" in changes:
        changes["phone"] = normalize_phone(changes["phone"])
    if "crafts" in changes:
        changes["crafts"] = [str(c) for c in changes["crafts"]]
    merged = {k: changes.get(k, getattr(group, k)) for k in
              ("province_code", "district_code", "commune_code", "village_code")}
    if any(k in changes for k in merged):
        _check_address(*merged.values())
    members = changes.get("members_count", group.members_count)
    if changes.get("women_count", group.women_count) > members:
        raise ValidationFailed({"women_count": _("Cannot be more than the number of members.")})
    for key, value in changes.items():
        setattr(group, key, value)
    group.updated_at = utcnow()
    session.add(group)
    if "province_code" in changes or "community" in changes:
        _sync_products(session, group)
    cache_tags.touch(session, cache_tags.CATALOG, cache_tags.group(group.id))
    return group


def _sync_products(session: Session, group: ProducerGroup) -> None:
    """Keep the group facts copied onto its products (visibility, province, community)."""
    from marketplace.catalog.service import copy_group_facts

    for product in session.exec(select(Product).where(Product.group_id == group.id)):
        copy_group_facts(product, group)
        session.add(product)


def transition(*, session: Session, actor: User, group: ProducerGroup, to: GroupStatus,
               reason: str = "") -> ProducerGroup:
    """Verify, suspend or reinstate a group (admins only), audited with the reason."""
    _require_admin(session, actor)
    current = group.status
    GROUP_STATUS.check(current, to)
    if to == GroupStatus.SUSPENDED and not reason.strip():
        raise ValidationFailed({"reason": _("Give a reason for the suspension.")})
    values = {"verified_at": group.verified_at or utcnow()} if to == GroupStatus.VERIFIED else {}
    action = {GroupStatus.VERIFIED: "verified" if current == GroupStatus.APPLIED
              else "reinstated", GroupStatus.SUSPENDED: "suspended"}[to]
    if not GROUP_STATUS.change(session, group, to, actor=actor, action=action,
                               reason=reason or None, values=values):
        raise InvalidTransition()  # another admin moved it meanwhile
    _sync_products(session, group)
    cache_tags.touch(session, cache_tags.CATALOG, cache_tags.group(group.id))
    return group


def set_payout_destination(*, session: Session, settings: Settings, actor: User,
                           group: ProducerGroup, data: PayoutDestinationIn) -> ProducerGroup:
    """Record where payouts go; it waits for an admin's re-verification, and the leader is told."""
    require_member(session=session, user=actor, group_id=group.id, leader=True)
    if data.method == "bank" and not data.bank_name:
        raise ValidationFailed({"bank_name": _("Name the bank.")})
    if data.method == "cash" and not data.bank_name:
        raise ValidationFailed({"bank_name": _("Name the partner organisation that hands "
                                               "the cash over.")})
    previous = group.payout_method
    group.payout_method = data.method
    group.payout_account_name = data.account_name
    group.payout_account_number = data.account_number.replace(" ", "")
    group.payout_bank_name = data.bank_name if data.method in ("bank", "cash") else None
    group.payout_currency = data.currency
    group.payout_verified_at = None
    group.payout_changed_at = group.updated_at = utcnow()  # payouts wait: payout_hold_days
    session.add(group)
    audit.record(session=session, actor=actor, entity_type="producer_group", entity_id=group.id,
                 action="payout_destination_changed", from_state=previous,
                 to_state=data.method, data={"account_ending": group.payout_account_number[-4:]})
    leader = session.get(User, group.leader_id) if group.leader_id else None
    if leader:
        queue_email(session=session, to=leader.email, template="payout_destination_changed",
                    context={"group": group, "user": leader,
                             "ending": group.payout_account_number[-4:],
                             "url": f"{settings.base_url}/dashboard"},
                    locale=leader.locale)
    return group


def verify_payout_destination(*, session: Session, actor: User,
                              group: ProducerGroup) -> ProducerGroup:
    """An admin confirms the payout destination."""
    _require_admin(session, actor)
    if not group.payout_method:
        raise Conflict(_("This group has no payout destination yet."))
    group.payout_verified_at = utcnow()
    session.add(group)
    audit.record(session=session, actor=actor, entity_type="producer_group", entity_id=group.id,
                 action="payout_destination_verified", to_state=group.payout_method)
    return group


def invite(*, session: Session, settings: Settings, actor: User, group: ProducerGroup,
           email: str, role: GroupRole = GroupRole.MEMBER) -> GroupInvitation:
    """Email an invitation to join the group (the leader only)."""
    require_member(session=session, user=actor, group_id=group.id, leader=True)
    invitation, raw = invitations.new(GroupInvitation, email=email, group_id=group.id,
                                      role=role, invited_by_id=actor.id)
    session.add(invitation)
    queue_email(session=session, to=invitation.email, template="group_invitation",
                context={"group": group, "inviter": actor,
                         "url": f"{settings.base_url}/invitations/{raw}",
                         "days": invitations.DAYS},
                locale=actor.locale)
    return invitation


def invitation_for(*, session: Session, token: str) -> GroupInvitation:
    invitation = invitations.find(session, GroupInvitation, token)
    if invitation is None:
        raise Gone(_("This invitation has expired or was already used."))
    return invitations.usable(invitation)


def accept_invitation(*, session: Session, actor: User, token: str) -> ProducerGroup:
    """Join the group the invitation is for; it must be addressed to the actor's email."""
    invitation = invitation_for(session=session, token=token)
    if invitation.email != actor.email:
        raise Forbidden(_("This invitation was sent to another email address."))
    group = get_group(session=session, group_id=invitation.group_id)
    if membership(session=session, user=actor, group_id=group.id) is None:
        invitations.join_once(session, GroupMembership(group_id=group.id, user_id=actor.id,
                                                       role=invitation.role))
    if not has_role(session=session, user=actor, role=Role.PRODUCER):
        grant_role(session=session, actor=None, user=actor, role=Role.PRODUCER)
    invitations.accepted(session, invitation)
    audit.record(session=session, actor=actor, entity_type="producer_group", entity_id=group.id,
                 action="member_joined", to_state=invitation.role)
    return group


def members(*, session: Session, actor: User, group: ProducerGroup) -> list[tuple[User, str]]:
    """The group's members and their roles (members and admins may see them)."""
    if membership(session=session, user=actor, group_id=group.id) is None:
        _require_admin(session, actor)
    rows = session.exec(select(User, GroupMembership.role).join(
        GroupMembership, GroupMembership.user_id == User.id).where(
        GroupMembership.group_id == group.id).order_by(User.full_name))
    return [(user, role) for user, role in rows]


def list_groups(*, session: Session, actor: User | None = None, status: str | None = None,
                province: str | None = None, limit: int = 50,
                offset: int = 0) -> tuple[list[ProducerGroup], int]:
    """Verified groups for everybody; admins may list any status."""
    from sqlalchemy import func

    is_admin = has_role(session=session, user=actor, role=Role.ADMIN)
    query = select(ProducerGroup)
    if not is_admin or not status:
        status = status if is_admin else GroupStatus.VERIFIED
    if status:
        query = query.where(ProducerGroup.status == status)
    if province:
        query = query.where(ProducerGroup.province_code == province)
    total = session.exec(select(func.count()).select_from(query.subquery())).one()
    rows = session.exec(query.order_by(ProducerGroup.name, ProducerGroup.id)
                        .limit(limit).offset(offset))
    return list(rows), total
