"""Input and output shapes for wholesale terms and the wholesale catalog."""

from typing import Annotated

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
    """A group's minimum order value, in cents, for a business's first order and reorders."""

    model_config = ConfigDict(json_schema_extra={"examples": [
        {"first_order_min_cents": 20000, "reorder_min_cents": 10000}]})

    first_order_min_cents: int = Field(default=0, ge=0, le=100_000_000)
    reorder_min_cents: int = Field(default=0, ge=0, le=100_000_000)


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
