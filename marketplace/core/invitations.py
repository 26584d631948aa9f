"""Emailed invitations to join a producer group or a business: one mechanism for both.

The link carries a random token; only its SHA-256 is stored. A link works once and for
``DAYS`` days, and only for the email address it was sent to (the callers check that).
"""

import secrets
from datetime import timedelta
from typing import TypeVar

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, SQLModel, select

from marketplace.core import security
from marketplace.errors import Gone
from marketplace.i18n import gettext as _
from marketplace.models import utcnow

DAYS = 14
Invitation = TypeVar("Invitation", bound=SQLModel)


def new(model: type[Invitation], *, email: str, **fields) -> tuple[Invitation, str]:
    """An invitation row (not added) and the raw token for its link."""
    raw = secrets.token_urlsafe(32)
    return model(email=email.strip().lower(), token_hash=security.digest(raw),
                 expires_at=utcnow() + timedelta(days=DAYS), **fields), raw


def find(session: Session, model: type[Invitation], token: str) -> Invitation | None:
    """The invitation a link's token belongs to, whatever its state."""
    return session.exec(select(model).where(
        model.token_hash == security.digest(token))).first()


def usable(invitation: Invitation) -> Invitation:
    """The invitation, or Gone once it was used or has expired."""
    if invitation.accepted_at or invitation.expires_at < utcnow():
        raise Gone(_("This invitation has expired or was already used."))
    return invitation


def join_once(session: Session, member: SQLModel) -> None:
    """Add the membership row unless the same invitation, accepted at the same moment,
    added it already (the table's unique constraint decides)."""
    session.add(member)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:
        pass


def accepted(session: Session, invitation: SQLModel) -> None:
    invitation.accepted_at = utcnow()
    session.add(invitation)
