"""Wholesale terms a producer group sets: per product a minimum quantity, a case pack and
quantity tiers of unit prices; per group a minimum order value for a first order and for
reorders. Only members of a verified business ever see them."""

from datetime import datetime

from sqlalchemy import CheckConstraint, UniqueConstraint
from sqlmodel import Field, SQLModel

from marketplace.models.base import created_at_field


class WholesaleOffer(SQLModel, table=True):
    """A product offered wholesale. Quantities below ``min_quantity`` or not a multiple of
    ``case_pack`` are refused; the unit price comes from the tiers."""

    __tablename__ = "wholesale_offer"
    __table_args__ = (
        CheckConstraint("min_quantity >= 1", name="min_quantity_positive"),
        CheckConstraint("case_pack >= 1", name="case_pack_positive"),
    )

    id: int | None = Field(default=None, primary_key=True)
    product_id: int = Field(foreign_key="product.id", unique=True, ondelete="CASCADE")
    min_quantity: int = 1
    case_pack: int = 1
    updated_at: datetime = created_at_field()


class WholesaleTier(SQLModel, table=True):
    """From ``min_quantity`` pieces on, each costs ``unit_price_cents`` (until the next tier)."""

    __tablename__ = "wholesale_tier"
    __table_args__ = (
        UniqueConstraint("offer_id", "min_quantity"),
        CheckConstraint("unit_price_cents > 0", name="unit_price_positive"),
        CheckConstraint("min_quantity >= 1", name="min_quantity_positive"),
    )

    id: int | None = Field(default=None, primary_key=True)
    offer_id: int = Field(foreign_key="wholesale_offer.id", index=True, ondelete="CASCADE")
    min_quantity: int
    unit_price_cents: int


class GroupWholesaleTerms(SQLModel, table=True):
    """A group's minimum order values for wholesale (0: none), and the share of a
    made-to-order part the business pays by card when the group accepts it (0: none)."""

    __tablename__ = "group_wholesale_terms"
    __table_args__ = (
        CheckConstraint("first_order_min_cents >= 0", name="first_order_min_not_negative"),
        CheckConstraint("reorder_min_cents >= 0", name="reorder_min_not_negative"),
        CheckConstraint("deposit_percent BETWEEN 0 AND 100", name="deposit_percent_range"),
    )

    group_id: int = Field(foreign_key="producer_group.id", primary_key=True,
                          ondelete="CASCADE")
    first_order_min_cents: int = 0
    reorder_min_cents: int = 0
    deposit_percent: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    updated_at: datetime = created_at_field()
