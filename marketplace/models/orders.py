"""Carts, orders (lines snapshot what was sold), fulfilments per group, stock reservations."""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from marketplace.models.base import created_at_field, time_field


class OrderStatus(StrEnum):
    PENDING_PAYMENT = "pending_payment"
    PAID = "paid"
    CANCELLED = "cancelled"
    PARTLY_REFUNDED = "partly_refunded"
    REFUNDED = "refunded"


class FulfilmentStatus(StrEnum):
    AWAITING_PAYMENT = "awaiting_payment"
    NEW = "new"
    IN_PRODUCTION = "in_production"
    PACKED = "packed"
    SHIPPED = "shipped"
    DELIVERED = "delivered"
    CANCELLED = "cancelled"


class ReservationStatus(StrEnum):
    HELD = "held"
    CONVERTED = "converted"
    RELEASED = "released"


class Cart(SQLModel, table=True):
    """A cart; anonymous carts are found through a signed cookie holding ``token``."""

    id: int | None = Field(default=None, primary_key=True)
    token: str = Field(max_length=64, unique=True)
    user_id: int | None = Field(default=None, foreign_key="user.id", index=True,
                                ondelete="CASCADE")
    created_at: datetime = created_at_field()
    updated_at: datetime = created_at_field()


class CartLine(SQLModel, table=True):
    __tablename__ = "cart_line"
    __table_args__ = (
        UniqueConstraint("cart_id", "product_id", "variant_id"),
        CheckConstraint("quantity > 0", name="quantity_positive"),
    )

    id: int | None = Field(default=None, primary_key=True)
    cart_id: int = Field(foreign_key="cart.id", index=True, ondelete="CASCADE")
    product_id: int = Field(foreign_key="product.id", index=True, ondelete="CASCADE")
    variant_id: int | None = Field(default=None, foreign_key="product_variant.id",
                                   ondelete="CASCADE")
    quantity: int
    unit_price_cents: int = Field(description="Unit price in US cents when added, to show "
                                              "a price change before paying")
    added_at: datetime = created_at_field()


class Order(SQLModel, table=True):
    __tablename__ = "order"
    __table_args__ = (UniqueConstraint("user_id", "idempotency_key"),
                      UniqueConstraint("cart_id", "idempotency_key"))

    id: int | None = Field(default=None, primary_key=True)
    number: str = Field(max_length=24, unique=True)
    user_id: int | None = Field(default=None, foreign_key="user.id", index=True,
                                ondelete="SET NULL")
    cart_id: int | None = Field(default=None, foreign_key="cart.id", ondelete="SET NULL")
    idempotency_key: str | None = Field(default=None, max_length=80)
    idempotency_fingerprint: str | None = Field(
        default=None, max_length=64,
        description="SHA-256 of what was asked with the key: the same key with another "
        "request is refused")
    client_ip: str | None = Field(default=None, max_length=45, index=True,
                                  description="Where the order was placed from, for limits "
                                  "(an IPv6 client by its /64 network)")
    status: str = Field(default=OrderStatus.PENDING_PAYMENT, max_length=20, index=True)
    email: str = Field(max_length=254)
    phone: str = Field(default="", max_length=20)
    full_name: str = Field(max_length=120)
    country: str = Field(default="KH", max_length=2)
    province_code: str | None = Field(default=None, max_length=2)
    district_code: str | None = Field(default=None, max_length=4)
    commune_code: str | None = Field(default=None, max_length=6)
    village_code: str | None = Field(default=None, max_length=8)
    address_line: str = Field(default="", max_length=300)
    landmark: str = Field(default="", max_length=200, sa_column_kwargs={"server_default": ""},
                          description="In Cambodia: a place near the door the courier can "
                          "ask for (\"behind the pagoda\"), when the village is not known")
    city: str = Field(default="", max_length=120)
    postal_code: str = Field(default="", max_length=20)
    shipping_option: str = Field(max_length=32)
    locale: str = Field(default="en", max_length=5)
    currency: str = Field(default="USD", max_length=3)
    subtotal_cents: int = Field(description="Sum of line totals, US cents")
    shipping_cents: int = Field(description="Shipping charged, US cents")
    total_cents: int = Field(description="What the buyer pays, US cents")
    commission_cents: int = Field(description="Marketplace commission on the lines, US cents")
    card_fee_cents: int = Field(description="Estimated card fee on the total, paid from "
                                "the commission and the small-order fee")
    small_order_fee_cents: int = Field(default=0, sa_column_kwargs={"server_default": "0"},
                                       description="Paid by the buyer when the card fee "
                                       "would exceed the commission, US cents")
    consolidated: bool = Field(default=False, sa_column_kwargs={"server_default": text("false")},
                               description="Going abroad: the groups send their parcels "
                               "to the packing point, which ships one international parcel")
    extras_refunded_cents: int = Field(
        default=0, sa_column_kwargs={"server_default": "0"},
        description="Refunded of the packing point's shipping and the small-order fee")
    refunded_cents: int = Field(default=0, description="Refunded so far, US cents")
    forwarded_carrier: str | None = Field(default=None, max_length=60)
    forwarded_tracking: str | None = Field(
        default=None, max_length=80, description="The one shipment abroad of a consolidated "
        "order, from the packing point")
    forwarded_at: datetime | None = time_field()
    payment_intent_id: str | None = Field(default=None, max_length=64, unique=True)
    reserved_until: datetime = time_field(nullable=False, index=True)
    created_at: datetime = created_at_field()
    paid_at: datetime | None = time_field()
    cancelled_at: datetime | None = time_field()


class Fulfilment(SQLModel, table=True):
    """One producer group's part of an order: its parcel, shipped separately."""

    __table_args__ = (UniqueConstraint("order_id", "group_id"),)

    id: int | None = Field(default=None, primary_key=True)
    order_id: int = Field(foreign_key="order.id", index=True, ondelete="CASCADE")
    group_id: int | None = Field(default=None, foreign_key="producer_group.id", index=True,
                                 ondelete="SET NULL")
    group_name: str = Field(max_length=160)
    status: str = Field(default=FulfilmentStatus.AWAITING_PAYMENT, max_length=20, index=True)
    shipping_cents: int = Field(default=0, description="This parcel's shipping, US cents")
    shipping_refunded_cents: int = Field(default=0,
                                         description="Shipping of this parcel refunded, US cents")
    weight_grams: int = 0
    carrier: str | None = Field(default=None, max_length=60)
    tracking_number: str | None = Field(default=None, max_length=80)
    shipped_at: datetime | None = time_field()
    delivered_at: datetime | None = time_field()
    updated_at: datetime = created_at_field()


class OrderLine(SQLModel, table=True):
    """What was sold, snapshotted next to nullable links to the live rows."""

    __tablename__ = "order_line"
    __table_args__ = (CheckConstraint("quantity > 0", name="quantity_positive"),)

    id: int | None = Field(default=None, primary_key=True)
    order_id: int = Field(foreign_key="order.id", index=True, ondelete="CASCADE")
    fulfilment_id: int = Field(foreign_key="fulfilment.id", index=True, ondelete="CASCADE")
    product_id: int | None = Field(default=None, foreign_key="product.id", index=True,
                                   ondelete="SET NULL")
    variant_id: int | None = Field(default=None, foreign_key="product_variant.id",
                                   ondelete="SET NULL")
    group_id: int | None = Field(default=None, foreign_key="producer_group.id",
                                 ondelete="SET NULL")
    title: str = Field(max_length=160)
    title_km: str = Field(default="", max_length=160)
    variant_label: str = Field(default="", max_length=90)
    sku: str | None = Field(default=None, max_length=64)
    group_name: str = Field(max_length=160)
    maker: str = Field(default="", max_length=300)
    certified_at_sale: bool = False
    made_to_order: bool = False
    lead_time_days: int | None = None
    quantity: int
    unit_price_cents: int = Field(description="Unit price paid, US cents")
    line_total_cents: int = Field(description="unit price x quantity, US cents")
    commission_cents: int = Field(description="Marketplace commission on this line")
    card_fee_cents: int = Field(description="This line's share of the card fee")
    producer_cents: int = Field(description="What the group receives for this line")
    refunded_cents: int = Field(default=0, description="Refunded on this line, US cents")


class StockReservation(SQLModel, table=True):
    """Stock (or made-to-order capacity) held for an unpaid order until ``expires_at``."""

    __tablename__ = "stock_reservation"

    id: int | None = Field(default=None, primary_key=True)
    order_id: int = Field(foreign_key="order.id", index=True, ondelete="CASCADE")
    product_id: int = Field(foreign_key="product.id", index=True, ondelete="CASCADE")
    variant_id: int | None = Field(default=None, foreign_key="product_variant.id",
                                   ondelete="CASCADE")
    capacity_month: str | None = Field(default=None, max_length=7,
                                       description="YYYY-MM for made-to-order capacity")
    quantity: int
    status: str = Field(default=ReservationStatus.HELD, max_length=12, index=True)
    expires_at: datetime = time_field(nullable=False, index=True)
    created_at: datetime = created_at_field()


class CapacityBooking(SQLModel, table=True):
    """Made-to-order pieces promised in a month, checked against the monthly capacity."""

    __tablename__ = "capacity_booking"
    __table_args__ = (UniqueConstraint("product_id", "month"),
                      CheckConstraint("booked >= 0", name="booked_not_negative"))

    id: int | None = Field(default=None, primary_key=True)
    product_id: int = Field(foreign_key="product.id", index=True, ondelete="CASCADE")
    month: str = Field(max_length=7)
    booked: int = 0
