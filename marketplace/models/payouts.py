"""Payouts: money the marketplace owes producer groups, sent in runs over local rails.

A run holds one payout per group. A payout claims exactly the ledger entries it pays
(``payout_item``); a partial unique index lets an entry be held by at most one payout that
has not failed, so two runs made at once never pay anything twice. The payout is booked in
the ledger when the run is made (``producer:<group>`` to ``payouts_clearing``); marking it
sent moves the money to the bank; marking it failed reverses the booking and releases its
entries, which the next run pays again.
"""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, CheckConstraint, Index, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from marketplace.models.base import created_at_field, time_field


class PayoutRunStatus(StrEnum):
    DRAFT = "draft"  # made; a second administrator must approve it
    APPROVED = "approved"  # may be exported; its payouts are marked sent or failed
    CLOSED = "closed"  # every payout is sent or failed
    CANCELLED = "cancelled"  # given up before approval: every payout reversed


class PayoutStatus(StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"


class PayoutRun(SQLModel, table=True):
    __tablename__ = "payout_run"

    id: int | None = Field(default=None, primary_key=True)
    status: str = Field(default=PayoutRunStatus.DRAFT, max_length=12, index=True)
    khr_per_usd: int | None = Field(default=None, description="Riel per dollar for the KHR "
                                                              "payouts of this run")
    total_cents: int = 0
    created_by_id: int | None = Field(default=None, foreign_key="user.id", ondelete="SET NULL")
    approved_by_id: int | None = Field(default=None, foreign_key="user.id", ondelete="SET NULL")
    approved_at: datetime | None = time_field()
    exported_at: datetime | None = time_field()
    created_at: datetime = created_at_field()
    updated_at: datetime = created_at_field()


class Payout(SQLModel, table=True):
    """What one group is paid in a run, with where it goes copied at the time."""

    __table_args__ = (
        UniqueConstraint("run_id", "group_id"),
        Index("uq_payout_reference", "reference", unique=True,
              sqlite_where=text("reference IS NOT NULL"),
              postgresql_where=text("reference IS NOT NULL")),
        CheckConstraint("amount_cents > 0", name="amount_positive"),
    )

    id: int | None = Field(default=None, primary_key=True)
    run_id: int = Field(foreign_key="payout_run.id", index=True, ondelete="RESTRICT")
    group_id: int = Field(foreign_key="producer_group.id", index=True, ondelete="RESTRICT")
    status: str = Field(default=PayoutStatus.PENDING, max_length=12, index=True)
    amount_cents: int = Field(description="The entries it pays, US cents")
    currency: str = Field(default="USD", max_length=3)
    amount_minor: int = Field(description="What is sent, in the currency's minor unit (cents "
                                          "or riel)")
    rounding_cents: int = Field(default=0, description="KHR: what rounding to 100 riel moved, "
                                                       "booked to payout_rounding")
    rail: str = Field(max_length=12, description="bank | bakong | cash")
    destination: dict = Field(default_factory=dict, sa_type=JSON,
                              description="Where it goes, copied when the run was made")
    reference: str | None = Field(default=None, max_length=80,
                                  description="The bank's (or partner's) reference once sent")
    failure: str = Field(default="", max_length=500)
    transaction_id: int | None = Field(default=None, foreign_key="ledger_transaction.id",
                                       ondelete="RESTRICT")
    sent_at: datetime | None = time_field()
    failed_at: datetime | None = time_field()
    created_at: datetime = created_at_field()
    updated_at: datetime = created_at_field()


class PayoutItem(SQLModel, table=True):
    """One ledger entry a payout pays. Released when the payout failed or its run was
    cancelled; an entry is in at most one payout that is not released."""

    __tablename__ = "payout_item"
    __table_args__ = (
        Index("uq_payout_item_entry_held", "entry_id", unique=True,
              sqlite_where=text("released = 0"), postgresql_where=text("released = false")),
    )

    id: int | None = Field(default=None, primary_key=True)
    payout_id: int = Field(foreign_key="payout.id", index=True, ondelete="RESTRICT")
    entry_id: int = Field(foreign_key="ledger_entry.id", index=True, ondelete="RESTRICT")
    amount_cents: int
    released: bool = Field(default=False, sa_column_kwargs={"server_default": text("false")})
