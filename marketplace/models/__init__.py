"""Every table=True model, imported here so Alembic and the app see one metadata."""

from marketplace.models.audit import AuditEvent
from marketplace.models.base import utcnow
from marketplace.models.outbox import OutboxMessage
from marketplace.models.producer import GroupMembership, GroupRole, ProducerGroup
from marketplace.models.user import ApiToken, LoginAttempt, Role, User, UserRole

__all__ = [
    "ApiToken",
    "AuditEvent",
    "GroupMembership",
    "GroupRole",
    "LoginAttempt",
    "OutboxMessage",
    "ProducerGroup",
    "Role",
    "User",
    "UserRole",
    "utcnow",
]
