"""Payments, refunds, Stripe events received, and the double-entry ledger."""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, Index, text
from sqlmodel import Field, SQLModel

from marketplace.models.base import created_at_field, time_field


class RefundStatus(StrEnum):
    """``pending``: recorded here, not yet confirmed by the processor (the amount is held
    against the order so no other refund can exceed what was paid); ``succeeded``: the
    processor refunded it and the ledger shows it; ``failed``: the processor refused it and
    the held amount was given back."""

    PENDING = "pending"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


class Refund(SQLModel, table=True):
    """A refund to the buyer's card. Recorded (``pending``) and committed before the
    processor is called; at most one refund of an order is pending at a time."""

    __table_args__ = (
        Index("uq_refund_pending_order", "order_id", unique=True,
              sqlite_where=text("status = 'pending'"),
              postgresql_where=text("status = 'pending'")),
    )

    id: int | None = Field(default=None, primary_key=True)
    order_id: int = Field(foreign_key="order.id", index=True, ondelete="CASCADE")
    order_line_id: int | None = Field(default=None, foreign_key="order_line.id",
                                      ondelete="SET NULL")
    amount_cents: int = Field(description="Refunded to the buyer, US cents")
    status: str = Field(default=RefundStatus.SUCCEEDED, max_length=12, index=True)
    idempotency_key: str | None = Field(
        default=None, max_length=80, unique=True,
        description="Sent to the processor with the refund, so a retry never refunds twice")
    plan: list = Field(default_factory=list, sa_type=JSON, description=(
        "How the amount is spread: [{line_id | fulfilment_id, group_id, cents, "
        "producer_cents, commission_cents}], fixed when the refund is recorded"))
    stripe_refund_id: str | None = Field(default=None, max_length=64, unique=True)
    reason: str = Field(default="", max_length=500)
    failure: str = Field(default="", max_length=300, description="Why the processor refused")
    attempts: int = Field(default=0, description="Calls made to the processor so far")
    retry_at: datetime | None = time_field(index=True)
    created_by_id: int | None = Field(default=None, foreign_key="user.id", ondelete="SET NULL")
    created_at: datetime = created_at_field()
    settled_at: datetime | None = time_field()


class PaymentAttemptStatus(StrEnum):
    """``creating``: recorded, the PaymentIntent not known yet; ``created``: the intent
    exists and is remembered on the order; ``confirmed``: the charge was attempted (its
    outcome is the intent's status); ``abandoned``: no intent was made (or it was never
    confirmed) and the attempt is closed."""

    CREATING = "creating"
    CREATED = "created"
    CONFIRMED = "confirmed"
    ABANDONED = "abandoned"


class PaymentAttempt(SQLModel, table=True):
    """One press of "Pay" on an order: recorded and committed before Stripe is called, so
    a PaymentIntent is never created without this marketplace knowing of it. At most one
    attempt of an order is in progress (creating or created) at a time."""

    __tablename__ = "payment_attempt"
    __table_args__ = (
        Index("uq_payment_attempt_in_progress", "order_id", unique=True,
              sqlite_where=text("status IN ('creating', 'created')"),
              postgresql_where=text("status IN ('creating', 'created')")),
    )

    id: int | None = Field(default=None, primary_key=True)
    order_id: int = Field(foreign_key="order.id", index=True, ondelete="CASCADE")
    idempotency_key: str = Field(max_length=120, unique=True)
    payment_method: str = Field(max_length=200)
    status: str = Field(default=PaymentAttemptStatus.CREATING, max_length=12, index=True)
    intent_id: str | None = Field(default=None, max_length=64, index=True)
    intent_status: str = Field(default="", max_length=40)
    error: str = Field(default="", max_length=300)
    created_at: datetime = created_at_field()
    updated_at: datetime = created_at_field()


class StripeEvent(SQLModel, table=True):
    """Each webhook event id once: a duplicate or replayed event changes nothing."""

    __tablename__ = "stripe_event"

    id: int | None = Field(default=None, primary_key=True)
    event_id: str = Field(max_length=80, unique=True)
    type: str = Field(max_length=60)
    received_at: datetime = created_at_field()
    processed_at: datetime | None = time_field()
    outcome: str = Field(default="", max_length=200)


class LedgerTransaction(SQLModel, table=True):
    """A balanced set of entries (they sum to zero)."""

    __tablename__ = "ledger_transaction"

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=20, description=(
        "payment | refund | invoice | credit_note | transfer | wholesale_card | applied | "
        "payout | payout_sent | payout_reversal"))
    order_id: int | None = Field(default=None, foreign_key="order.id", index=True,
                                 ondelete="RESTRICT")
    refund_id: int | None = Field(default=None, foreign_key="refund.id", ondelete="RESTRICT")
    invoice_id: int | None = Field(default=None, foreign_key="invoice.id", index=True,
                                   ondelete="RESTRICT", description="Invoices, credit notes")
    description: str = Field(default="", max_length=300)
    created_at: datetime = created_at_field()


class LedgerEntry(SQLModel, table=True):
    """One side of a transaction. Accounts: ``buyer``, ``commission``, ``card_fees``,
    ``producer:<group id>``. Append-only: a balance is a sum of entries."""

    __tablename__ = "ledger_entry"

    id: int | None = Field(default=None, primary_key=True)
    transaction_id: int = Field(foreign_key="ledger_transaction.id", index=True,
                                ondelete="RESTRICT")
    account: str = Field(max_length=40, index=True)
    group_id: int | None = Field(default=None, foreign_key="producer_group.id", index=True,
                                 ondelete="RESTRICT")
    amount_cents: int = Field(description="Signed US cents; a transaction's entries sum to 0")
    created_at: datetime = created_at_field()
