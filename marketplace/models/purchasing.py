"""Purchase orders: a business's wholesale order across producer groups.

A business has one ``draft`` purchase order at a time: its wholesale cart. Submitting it
splits the lines into one part per group, holds the stock (or made-to-order capacity) with
the same guarded updates as retail, and asks each group to accept, propose changes or
decline by ``respond_by``. The purchase order is ``confirmed`` once every part is settled
and at least one was accepted, ``cancelled`` when none was.
"""

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, Index, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from marketplace.models.base import created_at_field, time_field


class PurchaseOrderStatus(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    CONFIRMED = "confirmed"
    CANCELLED = "cancelled"


class PartStatus(StrEnum):
    PENDING = "pending"  # waiting for the group
    PROPOSED = "proposed"  # the group proposed changes; waiting for the business
    ACCEPTED = "accepted"
    SHIPPED = "shipped"  # accepted, then sent by the group
    DECLINED = "declined"  # by the group
    REJECTED = "rejected"  # the business rejected the group's changes
    EXPIRED = "expired"  # the group did not answer in time


class PaymentMethod(StrEnum):
    CARD = "card"
    INVOICE = "invoice"


class PurchaseOrder(SQLModel, table=True):
    __tablename__ = "purchase_order"
    __table_args__ = (
        UniqueConstraint("business_id", "idempotency_key"),
        # one wholesale cart per business, however many first lines arrive at once
        Index("uq_purchase_order_one_draft", "business_id", unique=True,
              sqlite_where=text("status = 'draft'"), postgresql_where=text("status = 'draft'")),
    )

    id: int | None = Field(default=None, primary_key=True)
    number: str | None = Field(default=None, max_length=24, unique=True)
    business_id: int = Field(foreign_key="business.id", index=True, ondelete="CASCADE")
    placed_by_id: int | None = Field(default=None, foreign_key="user.id", ondelete="SET NULL")
    reference: str = Field(default="", max_length=40, description="The shop's own PO number")
    status: str = Field(default=PurchaseOrderStatus.DRAFT, max_length=16, index=True)
    payment_method: str = Field(default=PaymentMethod.CARD, max_length=16)
    total_cents: int = 0
    idempotency_key: str | None = Field(default=None, max_length=100)
    created_at: datetime = created_at_field()
    updated_at: datetime = created_at_field()
    submitted_at: datetime | None = time_field()


class PurchaseOrderPart(SQLModel, table=True):
    """What one producer group is asked for."""

    __tablename__ = "purchase_order_part"
    __table_args__ = (UniqueConstraint("purchase_order_id", "group_id"),)

    id: int | None = Field(default=None, primary_key=True)
    purchase_order_id: int = Field(foreign_key="purchase_order.id", index=True,
                                   ondelete="CASCADE")
    group_id: int = Field(foreign_key="producer_group.id", index=True)
    status: str = Field(default=PartStatus.PENDING, max_length=16, index=True)
    subtotal_cents: int = 0
    respond_by: datetime = time_field(nullable=False)
    ship_by: date | None = Field(default=None, description="Ship date the group commits to")
    note: str = Field(default="", max_length=1000, description="The group's note on changes")
    is_reorder: bool = False
    deposit_cents: int = Field(default=0, sa_column_kwargs={"server_default": "0"},
                               description="Made-to-order deposit due by card, fixed when "
                                           "the part is accepted (the group's percentage)")
    shipped_at: datetime | None = time_field()
    tracking: str = Field(default="", max_length=80, description="Carrier and tracking number")
    updated_at: datetime = created_at_field()


class PurchaseOrderLine(SQLModel, table=True):
    __tablename__ = "purchase_order_line"
    __table_args__ = (
        UniqueConstraint("purchase_order_id", "product_id"),
        CheckConstraint("quantity >= 1", name="quantity_positive"),
        CheckConstraint("held >= 0", name="held_not_negative"),
    )

    id: int | None = Field(default=None, primary_key=True)
    purchase_order_id: int = Field(foreign_key="purchase_order.id", index=True,
                                   ondelete="CASCADE")
    part_id: int | None = Field(default=None, foreign_key="purchase_order_part.id",
                                index=True, ondelete="CASCADE")
    product_id: int = Field(foreign_key="product.id", index=True)
    quantity: int
    unit_price_cents: int = 0
    proposed_quantity: int | None = None
    proposed_unit_price_cents: int | None = None
    held: int = Field(default=0, description="Pieces (or capacity) held for this line now")
    capacity_month: str | None = Field(default=None, max_length=7)


class QuoteStatus(StrEnum):
    REQUESTED = "requested"  # waiting for the group
    ANSWERED = "answered"  # the group gave a price and lead time; waiting for the business
    ACCEPTED = "accepted"  # became a purchase order
    DECLINED = "declined"  # by the group
    WITHDRAWN = "withdrawn"  # by the business


class Quote(SQLModel, table=True):
    """A business asks a group for a price on a custom or made-to-order quantity of one of
    its pieces (e.g. 200 scarves in the shop's colours). Accepted, it becomes exactly one
    purchase order (``purchase_order_id`` is unique)."""

    __table_args__ = (CheckConstraint("quantity >= 1", name="quantity_positive"),)

    id: int | None = Field(default=None, primary_key=True)
    business_id: int = Field(foreign_key="business.id", index=True, ondelete="CASCADE")
    group_id: int = Field(foreign_key="producer_group.id", index=True)
    product_id: int = Field(foreign_key="product.id")
    quantity: int
    request: str = Field(max_length=1000, description="What the business asks for")
    status: str = Field(default=QuoteStatus.REQUESTED, max_length=16, index=True)
    unit_price_cents: int | None = None
    lead_time_days: int | None = None
    answer: str = Field(default="", max_length=1000)
    requested_by_id: int | None = Field(default=None, foreign_key="user.id", ondelete="SET NULL")
    purchase_order_id: int | None = Field(default=None, foreign_key="purchase_order.id",
                                          unique=True)
    created_at: datetime = created_at_field()
    updated_at: datetime = created_at_field()


class ChargePurpose(StrEnum):
    DEPOSIT = "deposit"  # a made-to-order part's deposit, due at acceptance
    BALANCE = "balance"  # what is still due on the purchase order's invoice


class ChargeStatus(StrEnum):
    """``creating``: recorded, no PaymentIntent known yet; ``created``: the intent exists;
    ``succeeded``: the money arrived and is in the ledger; ``failed``: the card was
    refused; ``abandoned``: closed without any charge."""

    CREATING = "creating"
    CREATED = "created"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    ABANDONED = "abandoned"


class WholesaleCharge(SQLModel, table=True):
    """A card payment towards a purchase order: a made-to-order part's deposit, or the
    balance of its invoice. Recorded and committed before Stripe is called; at most one
    charge of a purchase order is under way at a time. Money that arrives beyond what was
    due (a late success of a charge given up on) is the business's credit, never lost."""

    __tablename__ = "wholesale_charge"
    __table_args__ = (
        Index("uq_wholesale_charge_in_progress", "purchase_order_id", unique=True,
              sqlite_where=text("status IN ('creating', 'created')"),
              postgresql_where=text("status IN ('creating', 'created')")),
        CheckConstraint("amount_cents > 0", name="amount_positive"),
    )

    id: int | None = Field(default=None, primary_key=True)
    purchase_order_id: int = Field(foreign_key="purchase_order.id", index=True,
                                   ondelete="RESTRICT")
    business_id: int = Field(foreign_key="business.id", index=True, ondelete="RESTRICT")
    part_id: int | None = Field(default=None, foreign_key="purchase_order_part.id",
                                ondelete="RESTRICT", description="Deposit: the part")
    purpose: str = Field(max_length=12)
    amount_cents: int
    card_fee_cents: int = 0
    status: str = Field(default=ChargeStatus.CREATING, max_length=12, index=True)
    payment_method: str = Field(max_length=200)
    idempotency_key: str = Field(max_length=140, unique=True)
    intent_id: str | None = Field(default=None, max_length=64, unique=True)
    intent_status: str = Field(default="", max_length=40)
    error: str = Field(default="", max_length=300)
    invoice_id: int | None = Field(default=None, foreign_key="invoice.id", ondelete="RESTRICT",
                                   description="The invoice it paid, once there is one")
    paid_by_id: int | None = Field(default=None, foreign_key="user.id", ondelete="SET NULL")
    created_at: datetime = created_at_field()
    updated_at: datetime = created_at_field()
    succeeded_at: datetime | None = time_field()
