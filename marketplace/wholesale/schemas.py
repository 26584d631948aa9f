"""Input and output shapes for wholesale terms and the wholesale catalog."""

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

Quantity = Annotated[int, Field(ge=1, le=100_000)]
Cents = Annotated[int, Field(ge=1, le=100_000_000)]


class TierIn(BaseModel):
    min_quantity: Quantity
    unit_price_cents: Cents


class OfferIn(BaseModel):
    """A product's wholesale terms: the first tier starts at ``min_quantity``; each next
    tier starts at a larger quantity with a unit price no higher than the one before."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "min_quantity": 10, "case_pack": 5,
        "tiers": [{"min_quantity": 10, "unit_price_cents": 1800},
                  {"min_quantity": 50, "unit_price_cents": 1500}]}]})

    min_quantity: Quantity = 1
    case_pack: Quantity = 1
    tiers: list[TierIn] = Field(min_length=1, max_length=5)


class GroupMinimumsIn(BaseModel):
    """A group's minimum order value, in cents, for a business's first order and reorders,
    and the deposit it asks for made-to-order pieces."""

    model_config = ConfigDict(json_schema_extra={"examples": [
        {"first_order_min_cents": 20000, "reorder_min_cents": 10000, "deposit_percent": 50}]})

    first_order_min_cents: int = Field(default=0, ge=0, le=100_000_000)
    reorder_min_cents: int = Field(default=0, ge=0, le=100_000_000)
    deposit_percent: int = Field(
        default=0, ge=0, le=100,
        description="Share of a made-to-order part paid by card when the group accepts it "
                    "(the rest before shipping on card orders, on the invoice's terms "
                    "otherwise); 0: no deposit")


class TierPublic(BaseModel):
    min_quantity: int
    max_quantity: int | None = Field(description="Last quantity at this price; null: no end")
    unit_price_cents: int


class OfferPublic(BaseModel):
    product_id: int
    min_quantity: int
    case_pack: int
    tiers: list[TierPublic]
    retail_price_cents: int


class WholesaleProduct(OfferPublic):
    """A product in the wholesale catalog, with what its group asks of an order."""

    slug: str
    title: str
    title_km: str
    craft: str
    group_id: int
    group_name: str
    stock_mode: str
    available: int | None = Field(description="Pieces in stock now (stock products)")
    lead_time_days: int | None = Field(description="Days until the minimum quantity can "
                                       "ship; null: not enough stock or capacity now")
    first_order_min_cents: int
    reorder_min_cents: int


class LineIn(BaseModel):
    quantity: int = Field(ge=0, le=100_000, description="0 takes the piece out of the cart")


class SubmitIn(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [
        {"reference": "PO-7781", "payment_method": "invoice"}]})

    reference: str = Field(default="", max_length=40, description="Your own PO number")
    payment_method: Literal["card", "invoice"] = "card"


class ChangeIn(BaseModel):
    line_id: int
    quantity: Quantity
    unit_price_cents: Cents


class ProposalIn(BaseModel):
    """A group's changes: quantities and unit prices per line, and a ship date."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "changes": [{"line_id": 12, "quantity": 30, "unit_price_cents": 1500}],
        "ship_by": "2027-01-15", "note": "We can weave 30 by mid-January."}]})

    changes: list[ChangeIn] = Field(default_factory=list, max_length=200)
    ship_by: date | None = None
    note: str = Field(default="", max_length=1000)


class AcceptIn(BaseModel):
    ship_by: date | None = None


class ShipIn(BaseModel):
    tracking: str = Field(default="", max_length=80, description="Carrier and tracking number")


class DeclineIn(BaseModel):
    note: str = Field(min_length=1, max_length=1000, description="Why, for the business")


class POLinePublic(BaseModel):
    id: int
    product_id: int
    title: str
    quantity: int
    unit_price_cents: int
    line_total_cents: int
    proposed_quantity: int | None
    proposed_unit_price_cents: int | None


class POPartPublic(BaseModel):
    id: int
    group_id: int
    group_name: str
    status: str
    subtotal_cents: int
    respond_by: datetime
    ship_by: date | None
    note: str
    is_reorder: bool
    shipped_at: datetime | None = None
    tracking: str = ""
    deposit_cents: int = Field(default=0, description="Made-to-order deposit due by card")
    deposit_paid: bool = False
    lines: list[POLinePublic]


class DuePublic(BaseModel):
    """Something the business can pay by card now."""

    key: str = Field(description='What to pay: "deposit-<part id>" or "balance"',
                     examples=["deposit-7"])
    purpose: str = Field(description="deposit | balance")
    part_id: int | None
    amount_cents: int
    required: bool = Field(description="The group waits for it before shipping")


class ChargePublic(BaseModel):
    """A card payment towards the purchase order."""

    id: int
    purpose: str
    part_id: int | None
    amount_cents: int
    status: str = Field(description="creating | created | succeeded | failed | abandoned")
    error: str
    created_at: datetime


class ChargeIn(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [
        {"due": "deposit-7", "payment_method": "pm_card_visa"}]})

    due: str = Field(pattern=r"^(balance|deposit-[0-9]{1,12})$",
                     description='A ``key`` from the order\'s ``dues``')
    payment_method: str = Field(min_length=4, max_length=200,
                                description="A Stripe PaymentMethod id (Stripe.js)")


class PurchaseOrderPublic(BaseModel):
    id: int
    number: str | None
    status: str
    reference: str
    payment_method: str
    total_cents: int
    submitted_at: datetime | None
    parts: list[POPartPublic]
    invoice_id: int | None = None
    invoice_number: str | None = None
    outstanding_cents: int | None = Field(
        default=None, description="Still due on the invoice (null until it is issued)")
    dues: list[DuePublic] = []
    charges: list[ChargePublic] = []


class QuoteIn(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "product_id": 12, "quantity": 200,
        "request": "200 scarves in our shop's colours (indigo and saffron), by March."}]})

    product_id: int = Field(ge=1)
    quantity: Quantity
    request: str = Field(min_length=1, max_length=1000)


class QuoteAnswerIn(BaseModel):
    unit_price_cents: Cents
    lead_time_days: int = Field(ge=1, le=730)
    note: str = Field(default="", max_length=1000)


class QuoteAcceptIn(BaseModel):
    payment_method: Literal["card", "invoice"] = "card"
    reference: str = Field(default="", max_length=40)


class QuotePublic(BaseModel):
    id: int
    business_id: int
    group_id: int
    product_id: int
    quantity: int
    request: str
    status: str
    unit_price_cents: int | None
    lead_time_days: int | None
    answer: str
    purchase_order_id: int | None
