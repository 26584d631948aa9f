"""Who may act for a producer group or a business, and finding them: the one place every
domain asks.

Catalog, certification and orders check membership here, not in ``producers``, so no domain
depends on the producer-group pages or services to ask "may this person act for this group?"
A service that lists or changes a group's things filters by ``accessible_group_ids`` in its
query, so a forgotten route check still leaks nothing.
"""

from sqlmodel import Session, select

from marketplace.errors import Forbidden, NotFound
from marketplace.i18n import gettext as _
from marketplace.models import (
    Business,
    BusinessMember,
    BusinessRole,
    BusinessStatus,
    GroupMembership,
    GroupRole,
    GroupStatus,
    ProducerGroup,
    User,
)


def membership(*, session: Session, user: User | None, group_id: int) -> GroupMembership | None:
    """The user's membership of the group, or None."""
    if user is None:
        return None
    return session.exec(select(GroupMembership).where(
        GroupMembership.group_id == group_id, GroupMembership.user_id == user.id)).first()


def accessible_group_ids(*, session: Session, user: User | None) -> list[int]:
    """The groups ``user`` may act for."""
    if user is None:
        return []
    return list(session.exec(select(GroupMembership.group_id).where(
        GroupMembership.user_id == user.id).order_by(GroupMembership.group_id)))


def require_member(*, session: Session, user: User | None, group_id: int,
                   leader: bool = False) -> GroupMembership:
    """The actor's membership of the group (its leader's, with ``leader``); Forbidden
    otherwise."""
    member = membership(session=session, user=user, group_id=group_id)
    if member is None or (leader and member.role != GroupRole.LEADER):
        raise Forbidden(_("Only members of this producer group may do this.") if not leader
                        else _("Only the group leader may do this."))
    return member


def get_group(*, session: Session, group_id: int) -> ProducerGroup:
    """The group, whatever its status; NotFound when there is none."""
    group = session.get(ProducerGroup, group_id)
    if group is None:
        raise NotFound(_("No such producer group."))
    return group


def get_public_group(*, session: Session, slug: str) -> ProducerGroup:
    """A verified group by slug (applied or suspended groups are not public)."""
    group = session.exec(select(ProducerGroup).where(ProducerGroup.slug == slug)).first()
    if group is None or group.status != GroupStatus.VERIFIED:
        raise NotFound(_("No such producer group."))
    return group


def business_membership(*, session: Session, user: User | None) -> BusinessMember | None:
    """The user's membership of a business (a person buys for one business), or None."""
    if user is None:
        return None
    return session.exec(select(BusinessMember).where(BusinessMember.user_id == user.id)
                        .order_by(BusinessMember.id)).first()


def wholesale_business(*, session: Session, user: User | None) -> Business | None:
    """The verified business ``user`` buys for: only its members see wholesale prices and
    may order wholesale. None for everybody else (tourists, applicants, suspended shops)."""
    member = business_membership(session=session, user=user)
    if member is None:
        return None
    business = session.get(Business, member.business_id)
    return business if business is not None and business.status == BusinessStatus.VERIFIED \
        else None


def require_business_member(*, session: Session, user: User | None, business_id: int,
                            owner: bool = False) -> BusinessMember:
    """The actor's membership of the business (its owner's, with ``owner``); Forbidden
    otherwise."""
    member = business_membership(session=session, user=user)
    if member is None or member.business_id != business_id or (
            owner and member.role != BusinessRole.OWNER):
        raise Forbidden(_("Only the owner of this business may do this.") if owner
                        else _("Only members of this business may do this."))
    return member
