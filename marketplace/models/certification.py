"""The Seal of Excellence: versioned criteria, applications, reviews, certificates, complaints."""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, UniqueConstraint
from sqlmodel import Field, SQLModel

from marketplace.models.base import created_at_field, time_field


class ApplicationStatus(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    CHANGES_REQUESTED = "changes_requested"
    APPROVED = "approved"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"


OPEN_STATUSES = (ApplicationStatus.DRAFT, ApplicationStatus.SUBMITTED,
                 ApplicationStatus.CHANGES_REQUESTED)


class CertificateStatus(StrEnum):
    VALID = "valid"
    SUSPENDED = "suspended"
    REVOKED = "revoked"
    EXPIRED = "expired"


class ComplaintStatus(StrEnum):
    OPEN = "open"
    DISMISSED = "dismissed"
    UPHELD = "upheld"


class CriteriaSet(SQLModel, table=True):
    """One published version of the preconditions and criteria; never edited afterwards.

    ``items``: [{"key", "kind": "precondition"|"criterion", "title", "title_km",
    "description", "description_km"}], preconditions first.
    """

    __tablename__ = "criteria_set"

    id: int | None = Field(default=None, primary_key=True)
    version: int = Field(unique=True)
    items: list = Field(default_factory=list, sa_type=JSON)
    published_by_id: int | None = Field(default=None, foreign_key="user.id", ondelete="SET NULL")
    created_at: datetime = created_at_field()


class CertificationApplication(SQLModel, table=True):
    __tablename__ = "certification_application"

    id: int | None = Field(default=None, primary_key=True)
    group_id: int = Field(foreign_key="producer_group.id", index=True, ondelete="CASCADE")
    criteria_set_id: int = Field(foreign_key="criteria_set.id", ondelete="RESTRICT")
    status: str = Field(default=ApplicationStatus.DRAFT, max_length=20, index=True)
    product_line: str = Field(default="", max_length=160, description="Name of the line, if any")
    materials: str = Field(default="", max_length=4000, description="Materials and their origin")
    steps: list = Field(default_factory=list, sa_type=JSON,
                        description='[{"step": "...", "method": "hand"|"machine"}]')
    story: str = Field(default="", max_length=4000)
    innovation: str = Field(default="", max_length=4000)
    intended_market: str = Field(default="", max_length=2000)
    # The same texts written in Khmer: a group may write either language or both, and each
    # reader (officer, group) sees their language's, falling back to the other.
    product_line_km: str = Field(default="", max_length=160)
    materials_km: str = Field(default="", max_length=4000)
    story_km: str = Field(default="", max_length=4000)
    innovation_km: str = Field(default="", max_length=4000)
    intended_market_km: str = Field(default="", max_length=2000)
    price_cents: int = Field(default=0, description="Retail price in US cents")
    weight_grams: int = 0
    round: int = Field(default=0, description="Times submitted; assessments belong to a round")
    created_by_id: int | None = Field(default=None, foreign_key="user.id", ondelete="SET NULL")
    created_at: datetime = created_at_field()
    updated_at: datetime = created_at_field()
    submitted_at: datetime | None = time_field(index=True)
    decided_at: datetime | None = time_field()
    decided_by_id: int | None = Field(default=None, foreign_key="user.id", ondelete="SET NULL")
    decision_note: str | None = Field(default=None, max_length=4000)


class ApplicationProduct(SQLModel, table=True):
    """The products an application covers (one product, or several for a line)."""

    __tablename__ = "application_product"
    __table_args__ = (UniqueConstraint("application_id", "product_id"),)

    id: int | None = Field(default=None, primary_key=True)
    application_id: int = Field(foreign_key="certification_application.id", index=True,
                                ondelete="CASCADE")
    product_id: int = Field(foreign_key="product.id", index=True, ondelete="CASCADE")


class OpenApplicationLock(SQLModel, table=True):
    """One row per product with an open application: the unique key makes a second one fail."""

    __tablename__ = "open_application_lock"

    product_id: int = Field(foreign_key="product.id", primary_key=True, ondelete="CASCADE")
    application_id: int = Field(foreign_key="certification_application.id", index=True,
                                ondelete="CASCADE")


class ApplicationPhoto(SQLModel, table=True):
    __tablename__ = "application_photo"

    id: int | None = Field(default=None, primary_key=True)
    application_id: int = Field(foreign_key="certification_application.id", index=True,
                                ondelete="CASCADE")
    content_hash: str = Field(max_length=64)
    alt_text: str = Field(max_length=300)
    width: int
    height: int
    position: int = 0
    created_at: datetime = created_at_field()


class Assessment(SQLModel, table=True):
    """An officer's pass/fail and note on one precondition or criterion; appended, never edited."""

    __tablename__ = "assessment"

    id: int | None = Field(default=None, primary_key=True)
    application_id: int = Field(foreign_key="certification_application.id", index=True,
                                ondelete="CASCADE")
    officer_id: int | None = Field(default=None, foreign_key="user.id", ondelete="SET NULL")
    round: int = Field(default=1, description="Review round (a resubmission starts a new one)")
    criterion_key: str = Field(max_length=40)
    passed: bool
    note: str = Field(default="", max_length=2000)
    created_at: datetime = created_at_field()


class Certificate(SQLModel, table=True):
    __tablename__ = "certificate"

    id: int | None = Field(default=None, primary_key=True)
    number: str = Field(max_length=20, unique=True, description="e.g. SoE-2026-000123")
    application_id: int = Field(foreign_key="certification_application.id", unique=True,
                                ondelete="RESTRICT")
    group_id: int = Field(foreign_key="producer_group.id", index=True, ondelete="RESTRICT")
    criteria_set_id: int = Field(foreign_key="criteria_set.id", ondelete="RESTRICT")
    officer_id: int | None = Field(default=None, foreign_key="user.id", ondelete="SET NULL")
    status: str = Field(default=CertificateStatus.VALID, max_length=16, index=True)
    issued_at: datetime = created_at_field()
    expires_at: datetime = time_field(nullable=False, index=True)
    public_reason: str | None = Field(default=None, max_length=2000)
    public_reason_km: str | None = Field(default=None, max_length=2000,
                                         description="The public reason written in Khmer")
    reminder_90_sent_at: datetime | None = time_field()
    reminder_30_sent_at: datetime | None = time_field()
    updated_at: datetime = created_at_field()


class CertificateProduct(SQLModel, table=True):
    __tablename__ = "certificate_product"
    __table_args__ = (UniqueConstraint("certificate_id", "product_id"),)

    id: int | None = Field(default=None, primary_key=True)
    certificate_id: int = Field(foreign_key="certificate.id", index=True, ondelete="CASCADE")
    product_id: int = Field(foreign_key="product.id", index=True, ondelete="RESTRICT")


class Complaint(SQLModel, table=True):
    __tablename__ = "complaint"

    id: int | None = Field(default=None, primary_key=True)
    certificate_id: int = Field(foreign_key="certificate.id", index=True, ondelete="CASCADE")
    reason: str = Field(max_length=4000)
    contact: str = Field(max_length=254)
    ip: str = Field(max_length=45, index=True)
    status: str = Field(default=ComplaintStatus.OPEN, max_length=16)
    handled_by_id: int | None = Field(default=None, foreign_key="user.id", ondelete="SET NULL")
    created_at: datetime = created_at_field()
