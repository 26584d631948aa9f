"""Accounts: users, their roles, API tokens and login attempts."""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from marketplace.models.base import created_at_field, time_field


class Role(StrEnum):
    """What a user may do beyond buying. ``buyer`` is everybody's default."""

    BUYER = "buyer"
    PRODUCER = "producer"
    BUSINESS_BUYER = "business_buyer"
    OFFICER = "officer"
    ADMIN = "admin"


class User(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=254, unique=True, index=True)
    full_name: str = Field(max_length=120)
    password_hash: str = Field(max_length=255)
    locale: str = Field(default="en", max_length=5)
    is_active: bool = True
    email_verified_at: datetime | None = time_field()
    session_version: int = Field(default=1, description="Bumped to end every session")
    created_at: datetime = created_at_field()


class UserRole(SQLModel, table=True):
    __tablename__ = "user_role"
    __table_args__ = (UniqueConstraint("user_id", "role"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", index=True, ondelete="CASCADE")
    role: str = Field(max_length=32)
    granted_by_id: int | None = Field(default=None, foreign_key="user.id", ondelete="SET NULL")
    created_at: datetime = created_at_field()


class ApiToken(SQLModel, table=True):
    """A bearer token for the API; only its SHA-256 is stored."""

    __tablename__ = "api_token"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", index=True, ondelete="CASCADE")
    name: str = Field(max_length=80)
    token_hash: str = Field(max_length=64, unique=True)
    prefix: str = Field(max_length=12, description="First characters, to recognise a token")
    created_at: datetime = created_at_field()
    expires_at: datetime = time_field(nullable=False)
    last_used_at: datetime | None = time_field()
    revoked_at: datetime | None = time_field()


class UserSession(SQLModel, table=True):
    """A signed-in browser. The session cookie carries a random token whose SHA-256 is
    kept here; logging out, a password change or reset revokes the row, so a copied cookie
    stops working at once."""

    __tablename__ = "user_session"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", index=True, ondelete="CASCADE")
    token_hash: str = Field(max_length=64, unique=True)
    created_at: datetime = created_at_field()
    last_seen_at: datetime = created_at_field()
    expires_at: datetime = time_field(nullable=False)
    revoked_at: datetime | None = time_field()
    ip: str = Field(default="", max_length=45)
    user_agent: str = Field(default="", max_length=200)


class LoginAttempt(SQLModel, table=True):
    """A failed log-in, kept for throttling (per account and per IP address)."""

    __tablename__ = "login_attempt"

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=254, index=True)
    ip: str = Field(max_length=45, index=True)
    created_at: datetime = created_at_field()
