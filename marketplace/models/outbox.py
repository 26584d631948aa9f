"""Side effects written in the request's transaction and carried out by the worker."""

from datetime import datetime

from sqlalchemy import JSON
from sqlmodel import Field, SQLModel

from marketplace.models.base import created_at_field, time_field


class OutboxMessage(SQLModel, table=True):
    """One side effect to perform after commit (today: an email, rendered when queued)."""

    __tablename__ = "outbox_message"

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=32, default="email")
    payload: dict = Field(default_factory=dict, sa_type=JSON)
    created_at: datetime = created_at_field()
    available_at: datetime = time_field(nullable=False, index=True)
    locked_until: datetime | None = time_field()
    attempts: int = 0
    sent_at: datetime | None = time_field(index=True)
    last_error: str | None = Field(default=None, max_length=500)
