"""Payments, refunds, Stripe events received, and the double-entry ledger."""

from datetime import datetime

from sqlmodel import Field, SQLModel

from marketplace.models.base import created_at_field, time_field


class Refund(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    order_id: int = Field(foreign_key="order.id", index=True, ondelete="CASCADE")
    order_line_id: int | None = Field(default=None, foreign_key="order_line.id",
                                      ondelete="SET NULL")
    amount_cents: int = Field(description="Refunded to the buyer, US cents")
    stripe_refund_id: str | None = Field(default=None, max_length=64, unique=True)
    reason: str = Field(default="", max_length=500)
    created_by_id: int | None = Field(default=None, foreign_key="user.id", ondelete="SET NULL")
    created_at: datetime = created_at_field()


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
    kind: str = Field(max_length=20, description="payment | refund | payout")
    order_id: int | None = Field(default=None, foreign_key="order.id", index=True,
                                 ondelete="RESTRICT")
    refund_id: int | None = Field(default=None, foreign_key="refund.id", ondelete="RESTRICT")
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
