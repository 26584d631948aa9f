"""Producer groups and their members (the full group model comes with the catalog)."""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from marketplace.models.base import created_at_field


class GroupRole(StrEnum):
    LEADER = "leader"
    MEMBER = "member"


class ProducerGroup(SQLModel, table=True):
    __tablename__ = "producer_group"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=160)
    name_km: str = Field(default="", max_length=160)
    created_at: datetime = created_at_field()


class GroupMembership(SQLModel, table=True):
    __tablename__ = "group_membership"
    __table_args__ = (UniqueConstraint("group_id", "user_id"),)

    id: int | None = Field(default=None, primary_key=True)
    group_id: int = Field(foreign_key="producer_group.id", index=True, ondelete="CASCADE")
    user_id: int = Field(foreign_key="user.id", index=True, ondelete="CASCADE")
    role: str = Field(default=GroupRole.MEMBER, max_length=16)
    created_at: datetime = created_at_field()
