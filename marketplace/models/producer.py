"""Producer groups, their members and invitations."""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, UniqueConstraint
from sqlmodel import Field, SQLModel

from marketplace.models.base import created_at_field, time_field


class GroupRole(StrEnum):
    LEADER = "leader"
    MEMBER = "member"


class GroupStatus(StrEnum):
    APPLIED = "applied"
    VERIFIED = "verified"
    SUSPENDED = "suspended"


class Community(StrEnum):
    BUNONG = "bunong"
    JARAI = "jarai"
    TAMPUAN = "tampuan"
    KREUNG = "kreung"
    KUY = "kuy"
    KHMER = "khmer"
    OTHER = "other"


class PayoutMethod(StrEnum):
    """Where a group's payouts go. Bank accounts (a named bank, or ``bank`` with its name
    typed) go out in the bank file; a Bakong account ID in the Bakong file; ``cash`` is
    handed over by a partner organisation named in ``payout_bank_name``."""

    BANK = "bank"
    ABA = "aba"
    ACLEDA = "acleda"
    CANADIA = "canadia"
    WING = "wing"
    PRINCE = "prince"
    BAKONG = "bakong"
    CASH = "cash"


class ProducerGroup(SQLModel, table=True):
    __tablename__ = "producer_group"

    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(max_length=80, unique=True)
    name: str = Field(max_length=160)
    name_km: str = Field(default="", max_length=160)
    community: str = Field(default=Community.OTHER, max_length=20)
    crafts: list = Field(default_factory=list, sa_type=JSON)
    province_code: str = Field(default="", max_length=2, index=True)
    district_code: str = Field(default="", max_length=4)
    commune_code: str = Field(default="", max_length=6)
    village_code: str = Field(default="", max_length=8)
    phone: str = Field(default="", max_length=20, description="E.164, +855...")
    members_count: int = 0
    women_count: int = 0
    leader_id: int | None = Field(default=None, foreign_key="user.id", ondelete="SET NULL")
    moc_registration: str | None = Field(default=None, max_length=40)
    story: str = Field(default="", max_length=5000)
    story_km: str = Field(default="", max_length=5000)
    photo_key: str | None = Field(default=None, max_length=80)
    status: str = Field(default=GroupStatus.APPLIED, max_length=16, index=True)
    payout_method: str | None = Field(default=None, max_length=16)
    payout_account_name: str | None = Field(default=None, max_length=120)
    payout_account_number: str | None = Field(default=None, max_length=40)
    payout_bank_name: str | None = Field(default=None, max_length=80)
    payout_verified_at: datetime | None = time_field()
    payout_changed_at: datetime | None = time_field()
    payout_currency: str = Field(default="USD", max_length=3,
                                 sa_column_kwargs={"server_default": "USD"})
    created_at: datetime = created_at_field()
    updated_at: datetime = created_at_field()
    verified_at: datetime | None = time_field()


class GroupMembership(SQLModel, table=True):
    __tablename__ = "group_membership"
    __table_args__ = (UniqueConstraint("group_id", "user_id"),)

    id: int | None = Field(default=None, primary_key=True)
    group_id: int = Field(foreign_key="producer_group.id", index=True, ondelete="CASCADE")
    user_id: int = Field(foreign_key="user.id", index=True, ondelete="CASCADE")
    role: str = Field(default=GroupRole.MEMBER, max_length=16)
    created_at: datetime = created_at_field()


class GroupInvitation(SQLModel, table=True):
    """An emailed invitation to join a group; only the token's hash is stored."""

    __tablename__ = "group_invitation"

    id: int | None = Field(default=None, primary_key=True)
    group_id: int = Field(foreign_key="producer_group.id", index=True, ondelete="CASCADE")
    email: str = Field(max_length=254)
    role: str = Field(default=GroupRole.MEMBER, max_length=16)
    token_hash: str = Field(max_length=64, unique=True)
    invited_by_id: int | None = Field(default=None, foreign_key="user.id", ondelete="SET NULL")
    created_at: datetime = created_at_field()
    expires_at: datetime = time_field(nullable=False)
    accepted_at: datetime | None = time_field()
