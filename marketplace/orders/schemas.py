"""Output shapes for orders and producers' parcels (fulfilments), and the parcel status input."""

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

# --- orders ---------------------------------------------------------------------------------


class OrderLinePublic(BaseModel):
    """What was sold (a snapshot) and how its price is split."""

    id: int
    product_id: int | None
    variant_id: int | None
    fulfilment_id: int
    title: str
    title_km: str
    variant_label: str
    group_id: int | None
    group_name: str
    maker: str
    certified_at_sale: bool
    made_to_order: bool
    lead_time_days: int | None
    quantity: int
    unit_price_cents: int
    line_total_cents: int
    producer_cents: int = Field(description="What the producer group receives")
    commission_cents: int = Field(description="Marketplace commission")
    card_fee_cents: int = Field(description="Share of the card fee, paid out of the commission")
    refunded_cents: int

    model_config = ConfigDict(from_attributes=True)


class FulfilmentPublic(BaseModel):
    """One producer group's parcel of the order."""

    id: int
    group_id: int | None
    group_name: str
    status: str = Field(examples=["shipped"])
    shipping_cents: int
    weight_grams: int
    carrier: str | None
    tracking_number: str | None
    shipped_at: datetime | None
    delivered_at: datetime | None

    model_config = ConfigDict(from_attributes=True)


class OrderPublic(BaseModel):
    number: str = Field(examples=["MK-2025-000042"])
    status: str = Field(examples=["pending_payment"])
    email: str
    full_name: str
    phone: str
    country: str
    province_code: str | None
    district_code: str | None
    commune_code: str | None
    village_code: str | None
    address_line: str
    landmark: str = Field(default="", description="In Cambodia: a place near the door the "
                          "courier can ask for, when the village is not known")
    city: str
    postal_code: str
    shipping_option: str
    currency: str
    subtotal_cents: int
    shipping_cents: int
    small_order_fee_cents: int = Field(
        description="Paid when the card fee on the order would exceed the commission, US cents")
    total_cents: int = Field(description="What the buyer pays: pieces, shipping and any "
                                         "small-order fee, US cents")
    commission_cents: int
    card_fee_cents: int = Field(description="The card fee on the total, paid from the "
                                            "commission and any small-order fee")
    consolidated: bool = Field(description="Going abroad: the groups send their parcels to "
                               "the packing point in Phnom Penh, which sends one shipment")
    forwarded_carrier: str | None = Field(description="The shipment abroad, once it left "
                                                      "the packing point")
    forwarded_tracking: str | None
    forwarded_at: datetime | None
    refunded_cents: int
    reserved_until: datetime = Field(description="Unpaid orders hold their stock until then")
    created_at: datetime
    paid_at: datetime | None
    cancelled_at: datetime | None
    lines: list[OrderLinePublic]
    fulfilments: list[FulfilmentPublic]

    model_config = ConfigDict(from_attributes=True)


# --- producers' parcels ---------------------------------------------------------------------


class ShipTo(BaseModel):
    full_name: str
    phone: str
    country: str
    place: str = Field(description="Village, commune, district, province (in Cambodia)")
    village_code: str | None
    address_line: str
    landmark: str = Field(default="", description="A place near the door to ask for "
                          "(Cambodia, when the village is not known)")
    city: str
    postal_code: str
    shipping_option: str


class ParcelLinePublic(BaseModel):
    title: str = Field(description="The title in English; may be empty if `title_km` is given")
    title_km: str = ""
    variant_label: str
    sku: str | None
    quantity: int
    unit_price_cents: int
    producer_cents: int = Field(description="What the group receives for this line")
    made_to_order: bool
    lead_time_days: int | None

    model_config = ConfigDict(from_attributes=True)


class ParcelPublic(FulfilmentPublic):
    """A parcel to make and send, as its producer group sees it."""

    order_number: str
    paid_at: datetime | None
    updated_at: datetime
    ship_to: ShipTo = Field(description="The buyer, where the order ends up")
    packing_point: str | None = Field(
        default=None, examples=[None], description="Set when the order goes abroad: send the "
        "parcel here, to the packing point in Phnom Penh (with the order number on it), "
        "not to `ship_to`; the whole order leaves from there in one shipment")
    lines: list[ParcelLinePublic]


class FulfilmentStatusIn(BaseModel):
    status: Literal["in_production", "packed", "shipped", "delivered"]
    carrier: Annotated[str, StringConstraints(strip_whitespace=True, max_length=60)] | None = None
    tracking_number: Annotated[str, StringConstraints(strip_whitespace=True,
                                                      max_length=80)] | None = None

    model_config = ConfigDict(json_schema_extra={"examples": [
        {"status": "shipped", "carrier": "J&T Express", "tracking_number": "JT123456789KH"}]})
