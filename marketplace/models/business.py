"""Businesses that buy wholesale: shops, hotels, exporters; their people and documents.

A business applies, an admin verifies (or rejects with a reason), and only then may its
members see wholesale prices and order. Payment terms (net 15/30/60 with a credit limit) are
granted by an admin separately from verification.
"""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, UniqueConstraint
from sqlmodel import Field, SQLModel

from marketplace.models.base import created_at_field, time_field


class BusinessKind(StrEnum):
    SHOP = "shop"
    HOTEL = "hotel"
    EXPORTER = "exporter"
    NGO_SHOP = "ngo_shop"
    OTHER = "other"


class BusinessStatus(StrEnum):
    APPLIED = "applied"
    VERIFIED = "verified"
    REJECTED = "rejected"
    SUSPENDED = "suspended"


class BusinessRole(StrEnum):
    OWNER = "owner"
    BUYER = "buyer"


class DocumentKind(StrEnum):
    REGISTRATION = "registration"  # Ministry of Commerce certificate
    TAX = "tax"  # patent tax / VAT certificate
    OTHER = "other"


PAYMENT_TERMS_DAYS = (15, 30, 60)


class Business(SQLModel, table=True):
    __table_args__ = (
        CheckConstraint("credit_limit_cents >= 0", name="credit_limit_not_negative"),
    )

    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(max_length=80, unique=True)
    legal_name: str = Field(max_length=160)
    legal_name_km: str = Field(default="", max_length=160)
    trading_name: str = Field(default="", max_length=160)
    trading_name_km: str = Field(default="", max_length=160)
    kind: str = Field(default=BusinessKind.SHOP, max_length=16)
    tax_id: str = Field(max_length=20, description="Cambodian TIN, e.g. K001-901234567")
    moc_registration: str = Field(default="", max_length=40,
                                  description="Ministry of Commerce registration number")
    country_code: str = Field(default="KH", max_length=2)
    province_code: str = Field(default="", max_length=2)
    district_code: str = Field(default="", max_length=4)
    commune_code: str = Field(default="", max_length=6)
    village_code: str = Field(default="", max_length=8)
    address_line: str = Field(default="", max_length=300,
                              description="Street and number, or the whole foreign address")
    phone: str = Field(max_length=20, description="E.164")
    status: str = Field(default=BusinessStatus.APPLIED, max_length=16, index=True)
    rejection_reason: str | None = Field(default=None, max_length=1000)
    payment_terms_days: int | None = Field(default=None,
                                           description="Net days on invoice; None: card only")
    credit_limit_cents: int = 0
    created_by_id: int | None = Field(default=None, foreign_key="user.id", ondelete="SET NULL")
    created_at: datetime = created_at_field()
    updated_at: datetime = created_at_field()
    verified_at: datetime | None = time_field()


class BusinessMember(SQLModel, table=True):
    __tablename__ = "business_member"
    __table_args__ = (UniqueConstraint("business_id", "user_id"),)

    id: int | None = Field(default=None, primary_key=True)
    business_id: int = Field(foreign_key="business.id", index=True, ondelete="CASCADE")
    user_id: int = Field(foreign_key="user.id", index=True, ondelete="CASCADE")
    role: str = Field(default=BusinessRole.BUYER, max_length=16)
    created_at: datetime = created_at_field()


class BusinessInvitation(SQLModel, table=True):
    """An emailed invitation to join a business; only the token's hash is stored."""

    __tablename__ = "business_invitation"

    id: int | None = Field(default=None, primary_key=True)
    business_id: int = Field(foreign_key="business.id", index=True, ondelete="CASCADE")
    email: str = Field(max_length=254)
    role: str = Field(default=BusinessRole.BUYER, max_length=16)
    token_hash: str = Field(max_length=64, unique=True)
    invited_by_id: int | None = Field(default=None, foreign_key="user.id", ondelete="SET NULL")
    created_at: datetime = created_at_field()
    expires_at: datetime = time_field(nullable=False)
    accepted_at: datetime | None = time_field()


class BusinessDocument(SQLModel, table=True):
    """A supporting document (PDF or image), checked by its content when uploaded."""

    __tablename__ = "business_document"

    id: int | None = Field(default=None, primary_key=True)
    business_id: int = Field(foreign_key="business.id", index=True, ondelete="CASCADE")
    kind: str = Field(default=DocumentKind.REGISTRATION, max_length=16)
    storage_key: str = Field(max_length=120)
    content_type: str = Field(max_length=40)
    size_bytes: int
    filename: str = Field(default="", max_length=120)
    uploaded_by_id: int | None = Field(default=None, foreign_key="user.id", ondelete="SET NULL")
    created_at: datetime = created_at_field()
