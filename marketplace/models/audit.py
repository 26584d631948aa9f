"""The append-only audit trail: who changed what, when, from which state to which, and why."""

from datetime import datetime

from sqlalchemy import JSON
from sqlmodel import Field, SQLModel

from marketplace.models.base import created_at_field


class AuditEvent(SQLModel, table=True):
    __tablename__ = "audit_event"

    id: int | None = Field(default=None, primary_key=True)
    created_at: datetime = created_at_field()
    actor_id: int | None = Field(default=None, foreign_key="user.id", ondelete="SET NULL")
    entity_type: str = Field(max_length=40, index=True)
    entity_id: int = Field(index=True)
    action: str = Field(max_length=40)
    from_state: str | None = Field(default=None, max_length=40)
    to_state: str | None = Field(default=None, max_length=40)
    reason: str | None = Field(default=None, max_length=1000)
    data: dict = Field(default_factory=dict, sa_type=JSON)
