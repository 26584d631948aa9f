"""Granting and removing roles; only admins may, and every change is audited."""

from sqlmodel import Session, select

from marketplace import audit
from marketplace.core import cache_tags
from marketplace.errors import Forbidden, ValidationFailed
from marketplace.i18n import N_
from marketplace.i18n import gettext as _
from marketplace.models import Role, User, UserRole

GRANTABLE = (Role.PRODUCER, Role.BUSINESS_BUYER, Role.OFFICER, Role.ADMIN)
ROLE_LABELS = {
    Role.BUYER: N_("Buyer"),
    Role.PRODUCER: N_("Producer member"),
    Role.BUSINESS_BUYER: N_("Business buyer"),
    Role.OFFICER: N_("Certification officer"),
    Role.ADMIN: N_("Administrator"),
}


def has_role(*, session: Session, user: User | None, role: str) -> bool:
    """True when ``user`` holds ``role`` (everybody is a buyer)."""
    if user is None:
        return False
    if role == Role.BUYER:
        return True
    return (
        session.exec(
            select(UserRole.id).where(UserRole.user_id == user.id, UserRole.role == role)
        ).first()
        is not None
    )


def _check(role: str) -> Role:
    try:
        value = Role(role)
    except ValueError as exc:
        raise ValidationFailed({"role": _("Unknown role.")}) from exc
    if value not in GRANTABLE:
        raise ValidationFailed({"role": _("This role cannot be granted.")})
    return value


def grant_role(*, session: Session, actor: User | None, user: User, role: str) -> bool:
    """Give ``user`` the role; False if they already had it. ``actor`` None means the CLI."""
    value = _check(role)
    if actor is not None and not has_role(session=session, user=actor, role=Role.ADMIN):
        raise Forbidden()
    if has_role(session=session, user=user, role=value):
        return False
    session.add(UserRole(user_id=user.id, role=value, granted_by_id=actor.id if actor else None))
    cache_tags.touch(session, cache_tags.user(user.id))  # the header's links change
    audit.record(
        session=session, actor=actor, entity_type="user", entity_id=user.id,
        action="role_granted", to_state=value,
    )
    return True


def revoke_role(*, session: Session, actor: User, user: User, role: str) -> bool:
    """Take the role away; an admin cannot remove their own admin role."""
    value = _check(role)
    if not has_role(session=session, user=actor, role=Role.ADMIN):
        raise Forbidden()
    if value == Role.ADMIN and actor.id == user.id:
        raise ValidationFailed({"role": _("You cannot remove your own administrator role.")})
    row = session.exec(
        select(UserRole).where(UserRole.user_id == user.id, UserRole.role == value)
    ).first()
    if row is None:
        return False
    session.delete(row)
    cache_tags.touch(session, cache_tags.user(user.id))
    audit.record(
        session=session, actor=actor, entity_type="user", entity_id=user.id,
        action="role_revoked", from_state=value,
    )
    return True


def list_users(*, session: Session, actor: User, query: str = "", limit: int = 50) -> list[User]:
    """Users for the admin page, searched by email or name."""
    if not has_role(session=session, user=actor, role=Role.ADMIN):
        raise Forbidden()
    statement = select(User).order_by(User.id.desc()).limit(limit)
    if query:
        pattern = f"%{query.strip().lower()}%"
        statement = statement.where(
            (User.email.like(pattern)) | (User.full_name.ilike(pattern))  # type: ignore[union-attr]
        )
    return list(session.exec(statement))


def roles_by_user(*, session: Session, user_ids: list[int]) -> dict[int, set[str]]:
    result: dict[int, set[str]] = {uid: {"buyer"} for uid in user_ids}
    if user_ids:
        for uid, role in session.exec(
            select(UserRole.user_id, UserRole.role).where(UserRole.user_id.in_(user_ids))
        ):
            result[uid].add(role)
    return result
