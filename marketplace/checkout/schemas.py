"""Input and output shapes of the checkout API: a quote for a destination and placing an
order from a cart."""

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, EmailStr, Field, StringConstraints

from marketplace.checkout.service.address import COUNTRIES, Address, parse_address
from marketplace.orders.schemas import OrderPublic

ShippingOptionCode = Literal["courier", "bus", "ems", "express"]
CountryCode = Annotated[str, StringConstraints(strip_whitespace=True, to_upper=True,
                                               pattern=r"^[A-Za-z]{2}$")]
ProvinceCode = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^(\d{2})?$")]
DistrictCode = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^(\d{4})?$")]
CommuneCode = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^(\d{6})?$")]
VillageCode = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^(\d{8})?$")]


class QuoteLinePublic(BaseModel):
    product_id: int
    variant_id: int | None
    title: str = Field(description="In the request's language, or the other one when only "
                                   "it is written")
    title_km: str
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
    shipping_cents: int = Field(description="This group's parcel, US cents: to the buyer in "
                                            "Cambodia, or to the packing point for an order "
                                            "going abroad (paid out of `shipping_cents`)")


class QuotePublic(BaseModel):
    lines: list[QuoteLinePublic]
    shipping: list[GroupShippingPublic] = Field(description="One parcel per producer group")
    consolidated: bool = Field(description="Going abroad: one shipment of the order's total "
                                           "weight leaves the packing point in Phnom Penh")
    weight_grams: int
    subtotal_cents: int
    shipping_cents: int = Field(description="What the buyer pays for shipping: the groups' "
                                            "parcels in Cambodia, or the one shipment abroad")
    small_order_fee_cents: int = Field(description="Charged only when the card fee on the "
                                                   "order would exceed the commission")
    total_cents: int = Field(description="What the buyer would pay now: pieces, shipping and "
                                         "any small-order fee, US cents; send it back as "
                                         "expected_total_cents")
    commission_cents: int
    card_fee_cents: int = Field(description="The card fee on the total, paid from the "
                                            "commission and the small-order fee")
    producers_cents: int = Field(description="What the producer groups receive: their "
                                             "pieces less commission, and their parcels")
    packing_point_cents: int = Field(description="What pays the international carrier")
    currency: str = "USD"
    price_changed: bool


class OrderCreate(BaseModel):
    """The cart to buy and where to send it. In Cambodia name the province, district and
    commune codes (they must nest) and the village code when known; without a village, a
    `landmark` or an `address_line` must say where to go. Elsewhere the street address and
    city."""

    cart_token: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1,
                                                 max_length=64)]
    email: EmailStr = Field(max_length=254)
    full_name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=2,
                                                max_length=120)]
    phone: Annotated[str, StringConstraints(strip_whitespace=True, min_length=6,
                                            max_length=30, pattern=r"^\+?[0-9 ()./-]+$")] = \
        Field(description="A number the courier can call; without a country code it is read "
                          "as Cambodian. Stored in E.164 (+85512345678)")
    country: CountryCode = Field(default="KH", description=(
        "KH, or a country we ship to: " + ", ".join(COUNTRIES)))
    shipping_option: ShippingOptionCode
    province_code: ProvinceCode | None = None
    district_code: DistrictCode | None = None
    commune_code: CommuneCode | None = None
    village_code: VillageCode | None = None
    address_line: Annotated[str, StringConstraints(strip_whitespace=True, max_length=300)] = ""
    landmark: Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)] = Field(
        default="", description="In Cambodia: a place near the door the courier can ask for "
                                "(\"behind the pagoda\"), when the village is not known")
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
        """The checked Address, by the same rule as the checkout pages (phone through
        ``phonenumbers``, a country we ship to, codes that nest); ValidationFailed names
        each field that does not fit."""
        return parse_address(self.model_dump(exclude={"cart_token", "expected_total_cents"}))


class PlacedOrder(OrderPublic):
    """The order just placed, with the key to it for an order placed without an account."""

    access_token: str | None = Field(
        default=None, description="Orders placed without an account: send it as "
        "`X-Order-Token` to read or cancel the order (valid `order_link_days`); null for an "
        "account's order")
