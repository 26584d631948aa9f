"""Input and output shapes for invoices."""

from datetime import date

from pydantic import BaseModel, ConfigDict, Field


class InvoicePublic(BaseModel):
    id: int
    number: str
    kind: str
    status: str
    business_id: int
    purchase_order_id: int | None
    corrects_id: int | None
    buyer_reference: str
    issued_on: date
    due_on: date | None
    total_cents: int
    outstanding_cents: int
    khr_per_usd: int
    total_khr: int


class PaymentIn(BaseModel):
    """A bank transfer received for an invoice."""

    model_config = ConfigDict(json_schema_extra={"examples": [
        {"amount_cents": 150000, "received_on": "2027-01-10", "bank_reference": "ABA-TRX-88213"}]})

    amount_cents: int = Field(ge=1, le=100_000_000)
    received_on: date
    bank_reference: str = Field(min_length=1, max_length=60)


class CreditNoteIn(BaseModel):
    amount_cents: int = Field(ge=1, le=100_000_000)
    reason: str = Field(min_length=1, max_length=1000)


class PaymentPublic(BaseModel):
    id: int
    invoice_id: int
    amount_cents: int
    applied_cents: int
    credit_cents: int
    received_on: date
    bank_reference: str = Field(description="The bank's reference, the card payment's "
                                            "PaymentIntent, or the invoice's credit line")
    kind: str = Field(default="transfer", description="transfer | card | credit")


class StatementLinePublic(BaseModel):
    on: date
    kind: str = Field(description="invoice | credit_note | transfer | card")
    reference: str
    invoice_id: int | None
    debit_cents: int = Field(description="Adds to what the business owes")
    credit_cents: int = Field(description="Pays it")
    balance_cents: int = Field(description="Owed after this line; negative: credit held")


class StatementPublic(BaseModel):
    """A business's statement of account, oldest line first."""

    business_id: int
    balance_cents: int = Field(description="Owed now; negative: credit the marketplace holds")
    lines: list[StatementLinePublic]
