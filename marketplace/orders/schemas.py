"""Input and output shapes for carts, quotes, orders and producers' parcels (fulfilments)."""

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, EmailStr, Field, StringConstraints

from marketplace import geo
from marketplace.cart.service import MAX_QUANTITY
from marketplace.errors import ValidationFailed
from marketplace.i18n import gettext as _
from marketplace.orders.service import Address

ShippingOptionCode = Literal["courier", "bus", "ems", "express"]
CountryCode = Annotated[str, StringConstraints(strip_whitespace=True, to_upper=True,
                                               pattern=r"^[A-Za-z]{2}$")]


ProvinceCode = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^(\d{2})?$")]
DistrictCode = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^(\d{4})?$")]
CommuneCode = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^(\d{6})?$")]
VillageCode = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^(\d{8})?$")]


# --- carts ----------------------------------------------------------------------------------


class CartLineIn(BaseModel):
    product_id: int = Field(ge=1, le=2**31 - 1)
    variant_id: int | None = Field(default=None, ge=1, le=2**31 - 1,
                                   description="One of the product's options, if it has any")
    quantity: int = Field(default=1, ge=1, le=MAX_QUANTITY,
                          description=f"Pieces to add, 1 to {MAX_QUANTITY} in all")

    model_config = ConfigDict(json_schema_extra={"examples": [
        {"product_id": 12, "quantity": 2}]})


class CartLineUpdate(BaseModel):
    quantity: int = Field(ge=0, le=MAX_QUANTITY, description="0 removes the line")

    model_config = ConfigDict(json_schema_extra={"examples": [{"quantity": 3}]})


class GroupRef(BaseModel):
    id: int
    name: str


class CartLinePublic(BaseModel):
    id: int
    product_id: int
    variant_id: int | None
    title: str
    title_km: str
    variant_label: str
    group: GroupRef
    unit_price_cents: int = Field(description="Current unit price, US cents")
    price_when_added_cents: int = Field(description="Unit price when added, US cents")
    price_changed: bool
    quantity: int
    line_total_cents: int = Field(description="Current unit price x quantity, US cents")
    available: int | None = Field(description="Pieces left; null for made-to-order pieces")
    warning: str | None = Field(description="Why this line cannot be bought as it is, if so")
    made_to_order: bool
    lead_time_days: int | None = Field(description="Made-to-order: days to make it")


class CartPublic(BaseModel):
    token: str = Field(description="Keep it: the cart's address for anonymous clients")
    lines: list[CartLinePublic]
    quantity: int = Field(description="Pieces in the cart")
    subtotal_cents: int = Field(description="At current prices, before shipping, US cents")
    currency: str = "USD"
    price_changed: bool = Field(description="A price changed since its piece was added")
    updated_at: datetime


class QuoteLinePublic(BaseModel):
    product_id: int
    variant_id: int | None
    title: str
    group_id: int
    quantity: int
    unit_price_cents: int
    price_changed: bool
    line_total_cents: int
    producer_cents: int = Field(description="What the producer group receives")
    commission_cents: int = Field(description="Marketplace commission")
    card_fee_cents: int = Field(description="This line's share of the card fee, paid out of "
                                            "the commission")


class GroupShippingPublic(BaseModel):
    group_id: int
    group_name: str
    weight_grams: int
    shipping_cents: int = Field(description="This group's parcel, US cents")


class QuotePublic(BaseModel):
    lines: list[QuoteLinePublic]
    shipping: list[GroupShippingPublic] = Field(description="One parcel per producer group")
    subtotal_cents: int
    shipping_cents: int
    total_cents: int = Field(description="What the buyer would pay now, US cents; send it "
                                         "back as expected_total_cents")
    commission_cents: int
    card_fee_cents: int
    currency: str = "USD"
    price_changed: bool


# --- orders ---------------------------------------------------------------------------------


class OrderCreate(BaseModel):
    """The cart to buy and where to send it. In Cambodia name the province, district, commune
    and village codes (they must nest); elsewhere the street address and city."""

    cart_token: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1,
                                                 max_length=64)]
    email: EmailStr = Field(max_length=254)
    full_name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=2,
                                                max_length=120)]
    phone: Annotated[str, StringConstraints(strip_whitespace=True, min_length=6,
                                            max_length=20, pattern=r"^\+?[0-9 ()./-]+$")]
    country: CountryCode = "KH"
    shipping_option: ShippingOptionCode
    province_code: ProvinceCode | None = None
    district_code: DistrictCode | None = None
    commune_code: CommuneCode | None = None
    village_code: VillageCode | None = None
    address_line: Annotated[str, StringConstraints(strip_whitespace=True, max_length=300)] = ""
    city: Annotated[str, StringConstraints(strip_whitespace=True, max_length=120)] = ""
    postal_code: Annotated[str, StringConstraints(strip_whitespace=True, max_length=20)] = ""
    expected_total_cents: int | None = Field(
        default=None, ge=0, le=10**12,
        description="The total the buyer saw (from the quote); a different current total is "
                    "a 409 price-changed problem and nothing is ordered")

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "cart_token": "Jr3b1m1pZ0tBq8w7uO2kWc4yXn5aLd9e", "email": "dara@example.com",
        "full_name": "Dara Sok", "phone": "+855 12 345 678", "country": "KH",
        "shipping_option": "courier", "province_code": "12", "district_code": "1201",
        "commune_code": "120101", "village_code": "12010101",
        "address_line": "House 12, Street 240", "expected_total_cents": 5400,
    }]})

    def to_address(self) -> Address:
        """The service's Address; ValidationFailed naming each field that does not fit."""
        domestic = self.country == "KH"
        if domestic:
            errors = geo.address_errors(self.province_code or "", self.district_code or "",
                                        self.commune_code or "", self.village_code or "")
        else:
            errors = {}
            if not self.address_line:
                errors["address_line"] = _("Enter the street address.")
            if not self.city:
                errors["city"] = _("Enter the town or city.")
        if errors:
            raise ValidationFailed(errors)
        return Address(
            full_name=self.full_name, email=str(self.email), phone=self.phone,
            country=self.country, shipping_option=self.shipping_option,
            province_code=(self.province_code or None) if domestic else None,
            district_code=(self.district_code or None) if domestic else None,
            commune_code=(self.commune_code or None) if domestic else None,
            village_code=(self.village_code or None) if domestic else None,
            address_line=self.address_line, city=self.city, postal_code=self.postal_code)


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
    city: str
    postal_code: str
    shipping_option: str
    currency: str
    subtotal_cents: int
    shipping_cents: int
    total_cents: int = Field(description="What the buyer pays, US cents")
    commission_cents: int
    card_fee_cents: int
    refunded_cents: int
    reserved_until: datetime = Field(description="Unpaid orders hold their stock until then")
    created_at: datetime
    paid_at: datetime | None
    cancelled_at: datetime | None
    lines: list[OrderLinePublic]
    fulfilments: list[FulfilmentPublic]

    model_config = ConfigDict(from_attributes=True)


class OrdersPublic(BaseModel):
    data: list[OrderPublic]
    count: int
    next: str | None = None


# --- producers' parcels ---------------------------------------------------------------------


class ShipTo(BaseModel):
    full_name: str
    phone: str
    country: str
    place: str = Field(description="Village, commune, district, province (in Cambodia)")
    village_code: str | None
    address_line: str
    city: str
    postal_code: str
    shipping_option: str


class ParcelLinePublic(BaseModel):
    title: str
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
    ship_to: ShipTo
    lines: list[ParcelLinePublic]


class ParcelsPublic(BaseModel):
    data: list[ParcelPublic]
    count: int
    next: str | None = None


class FulfilmentStatusIn(BaseModel):
    status: Literal["in_production", "packed", "shipped", "delivered"]
    carrier: Annotated[str, StringConstraints(strip_whitespace=True, max_length=60)] | None = None
    tracking_number: Annotated[str, StringConstraints(strip_whitespace=True,
                                                      max_length=80)] | None = None

    model_config = ConfigDict(json_schema_extra={"examples": [
        {"status": "shipped", "carrier": "J&T Express", "tracking_number": "JT123456789KH"}]})
