"""Input and output shapes of the cart API."""

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from marketplace.cart.service import MAX_QUANTITY


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
