"""Invoices for purchase orders on terms, credit notes, and the bank transfers recorded
against them.

An issued invoice is never edited or deleted: a correction is a credit note (an invoice
row of kind ``credit_note`` pointing at the one it corrects). Numbers are sequential per
year with no gaps: ``invoice_counter`` holds the last number of each year and is updated
under its row lock in the issuing transaction, and ``invoice.number`` is unique. What the
buyer and the lines were at issue is copied onto the invoice, so later changes to the
business or the products never change an issued invoice.
"""

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, UniqueConstraint
from sqlmodel import Field, SQLModel

from marketplace.models.base import created_at_field


class InvoiceKind(StrEnum):
    INVOICE = "invoice"
    CREDIT_NOTE = "credit_note"


class InvoiceStatus(StrEnum):
    OPEN = "open"
    OVERDUE = "overdue"
    PAID = "paid"


class InvoiceCounter(SQLModel, table=True):
    __tablename__ = "invoice_counter"

    year: int = Field(primary_key=True)
    last_number: int = 0


class Invoice(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("year", "sequence"),
                      UniqueConstraint("corrects_id", "idempotency_key"),
                      CheckConstraint("total_cents >= 0", name="total_not_negative"))

    id: int | None = Field(default=None, primary_key=True)
    number: str = Field(max_length=24, unique=True)
    year: int
    sequence: int
    kind: str = Field(default=InvoiceKind.INVOICE, max_length=16)
    status: str = Field(default=InvoiceStatus.OPEN, max_length=16, index=True)
    business_id: int = Field(foreign_key="business.id", index=True, ondelete="RESTRICT")
    purchase_order_id: int | None = Field(default=None, foreign_key="purchase_order.id",
                                          index=True, ondelete="RESTRICT")
    corrects_id: int | None = Field(default=None, foreign_key="invoice.id",
                                    ondelete="RESTRICT", description="Credit note: the invoice")
    buyer_name: str = Field(max_length=160)
    buyer_name_km: str = Field(default="", max_length=160)
    buyer_tax_id: str = Field(max_length=20)
    buyer_address: str = Field(default="", max_length=400)
    buyer_reference: str = Field(default="", max_length=40)
    issued_on: date
    due_on: date | None = None
    total_cents: int
    khr_per_usd: int = Field(description="Riel per dollar on the day of issue")
    note: str = Field(default="", max_length=1000)
    idempotency_key: str | None = Field(default=None, max_length=100,
                                        description="Credit note: the request's key")
    created_at: datetime = created_at_field()
    reminded_before_at: datetime | None = Field(default=None)
    reminded_after_at: datetime | None = Field(default=None)


class InvoiceLine(SQLModel, table=True):
    __tablename__ = "invoice_line"

    id: int | None = Field(default=None, primary_key=True)
    invoice_id: int = Field(foreign_key="invoice.id", index=True, ondelete="RESTRICT")
    group_id: int | None = Field(default=None, foreign_key="producer_group.id",
                                 ondelete="RESTRICT")
    description: str = Field(max_length=300)
    description_km: str = Field(default="", max_length=300)
    quantity: int
    unit_price_cents: int
    total_cents: int


class PaymentKind(StrEnum):
    TRANSFER = "transfer"  # a bank transfer an admin recorded
    CARD = "card"  # a card payment (a deposit, or the balance) through Stripe
    CREDIT = "credit"  # the business's credit (an earlier overpayment) applied at issue


class InvoicePayment(SQLModel, table=True):
    """Money applied to an invoice: a bank transfer an admin recorded, a card payment, or
    the business's credit. A reference (the bank's, or the PaymentIntent's) is recorded
    once, whichever invoice it was for; what exceeds the amount due is held as credit."""

    __tablename__ = "invoice_payment"
    __table_args__ = (UniqueConstraint("bank_reference"),
                      CheckConstraint("amount_cents > 0", name="amount_positive"))

    id: int | None = Field(default=None, primary_key=True)
    invoice_id: int = Field(foreign_key="invoice.id", index=True, ondelete="RESTRICT")
    amount_cents: int
    applied_cents: int = Field(description="The part that paid the invoice; the rest is credit")
    received_on: date
    bank_reference: str = Field(max_length=60)
    kind: str = Field(default=PaymentKind.TRANSFER, max_length=12,
                      sa_column_kwargs={"server_default": PaymentKind.TRANSFER.value})
    recorded_by_id: int | None = Field(default=None, foreign_key="user.id",
                                       ondelete="SET NULL")
    created_at: datetime = created_at_field()
