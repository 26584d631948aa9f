"""Who may act for a producer group, and finding a group: the one place every domain asks.

Catalog, certification and orders check membership here, not in ``producers``, so no domain
depends on the producer-group pages or services to ask "may this person act for this group?"
A service that lists or changes a group's things filters by ``accessible_group_ids`` in its
query, so a forgotten route check still leaks nothing.
"""

from sqlmodel import Session, select

from marketplace.errors import Forbidden, NotFound
from marketplace.i18n import gettext as _
from marketplace.models import GroupMembership, GroupRole, GroupStatus, ProducerGroup, User


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
