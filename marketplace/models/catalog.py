"""Products, their variants and photos."""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, CheckConstraint, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from marketplace.models.base import created_at_field, time_field


class Craft(StrEnum):
    WEAVING = "weaving"
    POTTERY = "pottery"
    BASKETRY = "basketry"
    RESIN = "resin"


class ProductStatus(StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    ARCHIVED = "archived"


class StockMode(StrEnum):
    STOCK = "stock"
    MADE_TO_ORDER = "made_to_order"


class Product(SQLModel, table=True):
    __table_args__ = (
        CheckConstraint("price_cents >= 0", name="price_not_negative"),
        CheckConstraint("stock_on_hand >= 0", name="stock_not_negative"),
        CheckConstraint("stock_allocated >= 0 AND stock_allocated <= stock_on_hand",
                        name="allocation_within_stock"),
        Index("ix_product_visible_published", "visible", "published_at"),
        Index("ix_product_visible_price", "visible", "price_cents"),
    )

    id: int | None = Field(default=None, primary_key=True)
    group_id: int = Field(foreign_key="producer_group.id", index=True, ondelete="RESTRICT")
    slug: str = Field(max_length=120)
    # A title in at least one language (``catalog.service``); the other may be "".
    title: str = Field(default="", max_length=160)
    title_km: str = Field(default="", max_length=160)
    description: str = Field(default="", max_length=8000)
    description_km: str = Field(default="", max_length=8000)
    craft: str = Field(max_length=16, index=True)
    category: str = Field(default="", max_length=60)
    category_km: str = Field(default="", max_length=60)
    materials: list = Field(default_factory=list, sa_type=JSON,
                            description='[{"material": "rattan", "origin": "O\'Yadav"}]')
    techniques: list = Field(default_factory=list, sa_type=JSON,
                             description='[{"step": "weaving", "method": "hand"}]')
    # The same lists written in Khmer; Khmer pages show them, or the English ones if empty.
    materials_km: list = Field(default_factory=list, sa_type=JSON)
    techniques_km: list = Field(default_factory=list, sa_type=JSON)
    makers: list = Field(default_factory=list, sa_type=JSON, description="names of the makers")
    dimensions: str = Field(default="", max_length=120)
    weight_grams: int = Field(default=0, ge=0)
    care_notes: str = Field(default="", max_length=2000)
    care_notes_km: str = Field(default="", max_length=2000)
    price_cents: int = Field(description="Retail price in US cents")
    currency: str = Field(default="USD", max_length=3)
    stock_mode: str = Field(default=StockMode.STOCK, max_length=16)
    stock_on_hand: int = Field(default=0, description="Pieces held (stock mode)")
    stock_allocated: int = Field(default=0, description="Pieces reserved by unpaid orders")
    lead_time_days: int | None = Field(default=None, description="Made to order: days to make")
    monthly_capacity: int | None = Field(default=None, description="Made to order: per month")
    status: str = Field(default=ProductStatus.DRAFT, max_length=16)
    # Denormalised from the group so catalog filters need no join.
    province_code: str = Field(default="", max_length=2, index=True)
    community: str = Field(default="", max_length=20)
    visible: bool = Field(default=False, description="Published and the group verified")
    certified_until: datetime | None = time_field(
        index=True)  # set by the certification service while a seal is valid
    search_text: str = Field(default="", max_length=20000,
                             description="Lower-cased words in both languages, for search")
    created_at: datetime = created_at_field()
    updated_at: datetime = created_at_field()
    published_at: datetime | None = time_field()


class ProductVariant(SQLModel, table=True):
    __tablename__ = "product_variant"
    __table_args__ = (
        CheckConstraint("price_cents >= 0", name="price_not_negative"),
        CheckConstraint("stock_on_hand >= 0", name="stock_not_negative"),
        CheckConstraint("stock_allocated >= 0 AND stock_allocated <= stock_on_hand",
                        name="allocation_within_stock"),
    )

    id: int | None = Field(default=None, primary_key=True)
    product_id: int = Field(foreign_key="product.id", index=True, ondelete="CASCADE")
    sku: str = Field(max_length=64, unique=True)
    colour: str = Field(default="", max_length=40)
    size: str = Field(default="", max_length=40)
    price_cents: int = Field(description="Price of this variant in US cents")
    stock_on_hand: int = 0
    stock_allocated: int = 0
    position: int = 0


class ProductImage(SQLModel, table=True):
    __tablename__ = "product_image"
    __table_args__ = (UniqueConstraint("product_id", "content_hash"),)

    id: int | None = Field(default=None, primary_key=True)
    product_id: int = Field(foreign_key="product.id", index=True, ondelete="CASCADE")
    content_hash: str = Field(max_length=64)
    alt_text: str = Field(max_length=300)
    width: int
    height: int
    position: int = 0
    created_at: datetime = created_at_field()
