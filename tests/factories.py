"""``create_*`` helpers that build rows with sensible defaults and overrides."""

import itertools

from sqlmodel import Session

from marketplace.auth import roles
from marketplace.core import security
from marketplace.models import User, utcnow

DEFAULT_PASSWORD = "correct horse battery"  # noqa: S105
_counter = itertools.count(1)


def create_user(
    session: Session,
    *,
    email: str | None = None,
    full_name: str = "Sokha Chan",
    password: str = DEFAULT_PASSWORD,
    verified: bool = True,
    locale: str = "en",
    role: list[str] | tuple[str, ...] = (),
    commit: bool = True,
) -> User:
    """A user (verified by default) with the given roles."""
    user = User(
        email=email or f"user{next(_counter)}@example.com",
        full_name=full_name,
        password_hash=security.hash_password(password),
        locale=locale,
        email_verified_at=utcnow() if verified else None,
    )
    session.add(user)
    session.flush()
    for item in role:
        roles.grant_role(session=session, actor=None, user=user, role=item)
    if commit:
        session.commit()
    return user
