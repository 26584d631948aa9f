"""Input and output shapes for products, variants and photos."""

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from marketplace.models import Craft, StockMode

Short = Annotated[str, StringConstraints(strip_whitespace=True, max_length=160)]
Long = Annotated[str, StringConstraints(strip_whitespace=True, max_length=8000)]
Category = Annotated[str, StringConstraints(strip_whitespace=True, max_length=60)]
Care = Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)]


class Material(BaseModel):
    material: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1,
                                               max_length=80)]
    origin: Annotated[str, StringConstraints(strip_whitespace=True, max_length=160)] = ""


class Technique(BaseModel):
    step: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120)]
    method: Literal["hand", "machine"] = "hand"


class VariantIn(BaseModel):
    sku: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64,
                                          pattern=r"^[A-Za-z0-9._-]+$")]
    colour: Annotated[str, StringConstraints(strip_whitespace=True, max_length=40)] = ""
    size: Annotated[str, StringConstraints(strip_whitespace=True, max_length=40)] = ""
    price_cents: int = Field(ge=0, le=100_000_000)
    stock_on_hand: int = Field(default=0, ge=0, le=1_000_000)


class ProductFields(BaseModel):
    """A product as its group writes it. A title is needed in English or in Khmer (or both:
    ``catalog.service`` checks it); every text has a Khmer twin that Khmer pages show,
    falling back to the English one when it is empty (and the other way round)."""

    title: Short = Field("", description="Title in English; may be empty if `title_km` is "
                                         "given")
    title_km: Short = Field("", description="Title in Khmer; may be empty if `title` is given")
    description: Long = ""
    description_km: Long = ""
    craft: Craft
    category: Category = ""
    category_km: Category = ""
    materials: list[Material] = Field(default_factory=list, max_length=20)
    materials_km: list[Material] = Field(default_factory=list, max_length=20,
                                         description="The materials written in Khmer")
    techniques: list[Technique] = Field(default_factory=list, max_length=30,
                                        description="The steps of making, in order")
    techniques_km: list[Technique] = Field(default_factory=list, max_length=30,
                                           description="The steps written in Khmer")
    makers: list[Annotated[str, StringConstraints(strip_whitespace=True, min_length=1,
                                                  max_length=80)]] = Field(
        default_factory=list, max_length=30)
    dimensions: Annotated[str, StringConstraints(strip_whitespace=True, max_length=120)] = ""
    weight_grams: int = Field(default=0, ge=0, le=1_000_000)
    care_notes: Care = ""
    care_notes_km: Care = ""
    price_cents: int = Field(ge=0, le=100_000_000, description="Retail price in US cents")
    stock_mode: StockMode = StockMode.STOCK
    stock_on_hand: int = Field(default=0, ge=0, le=1_000_000)
    lead_time_days: int | None = Field(default=None, ge=1, le=365)
    monthly_capacity: int | None = Field(default=None, ge=1, le=10_000)


class ProductCreate(ProductFields):
    group_id: int
    variants: list[VariantIn] = Field(default_factory=list, max_length=50)

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "group_id": 1, "title": "Kuy silk scarf, indigo", "title_km": "ក្រមាសូត្រកួយ ពណ៌ខៀវ",
        "description": "Hand-woven on a floor loom ...", "craft": "weaving",
        "category": "scarves", "category_km": "ក្រមា",
        "materials": [{"material": "silk", "origin": "raised in Kampong Thom"}],
        "materials_km": [{"material": "សូត្រ", "origin": "ចិញ្ចឹមនៅកំពង់ធំ"}],
        "techniques": [{"step": "dyeing with indigo", "method": "hand"},
                       {"step": "weaving", "method": "hand"}],
        "techniques_km": [{"step": "ជ្រលក់ពណ៌ខៀវ", "method": "hand"},
                          {"step": "ត្បាញ", "method": "hand"}],
        "makers": ["Sreymom"], "dimensions": "180 x 50 cm", "weight_grams": 120,
        "care_notes": "Wash by hand in cold water.",
        "care_notes_km": "បោកដោយដៃក្នុងទឹកត្រជាក់។",
        "price_cents": 3800, "stock_mode": "stock", "stock_on_hand": 3,
    }, {
        "group_id": 1, "title_km": "កន្ត្រកឫស្សី", "craft": "basketry",
        "category_km": "កន្ត្រក", "materials_km": [{"material": "ឫស្សី", "origin": ""}],
        "price_cents": 1200, "stock_mode": "stock", "stock_on_hand": 2,
    }]})


class ProductUpdate(BaseModel):
    """Fields to change; omitted ones stay as they are. One of the titles may be emptied
    ("") while the other is written."""

    title: Short | None = None
    title_km: Short | None = None
    description: Long | None = None
    description_km: Long | None = None
    craft: Craft | None = None
    category: Category | None = None
    category_km: Category | None = None
    materials: list[Material] | None = Field(default=None, max_length=20)
    materials_km: list[Material] | None = Field(default=None, max_length=20)
    techniques: list[Technique] | None = Field(default=None, max_length=30)
    techniques_km: list[Technique] | None = Field(default=None, max_length=30)
    makers: list[str] | None = Field(default=None, max_length=30)
    dimensions: Annotated[str, StringConstraints(strip_whitespace=True,
                                                 max_length=120)] | None = None
    weight_grams: int | None = Field(default=None, ge=0, le=1_000_000)
    care_notes: Care | None = None
    care_notes_km: Care | None = None
    price_cents: int | None = Field(default=None, ge=0, le=100_000_000)
    stock_mode: StockMode | None = None
    stock_on_hand: int | None = Field(default=None, ge=0, le=1_000_000)
    lead_time_days: int | None = Field(default=None, ge=1, le=365)
    monthly_capacity: int | None = Field(default=None, ge=1, le=10_000)


class ImagePublic(BaseModel):
    id: int
    alt_text: str
    width: int
    height: int
    position: int
    url: str
    srcset: str


class VariantPublic(BaseModel):
    id: int
    sku: str
    colour: str
    size: str
    price_cents: int
    stock_on_hand: int

    model_config = ConfigDict(from_attributes=True)


class ProductPublic(BaseModel):
    id: int
    group_id: int
    group_name: str | None = None
    slug: str
    title: str
    title_km: str
    description: str
    description_km: str
    craft: str
    category: str
    category_km: str
    materials: list[Material]
    materials_km: list[Material]
    techniques: list[Technique]
    techniques_km: list[Technique]
    makers: list[str]
    dimensions: str
    weight_grams: int
    care_notes: str
    care_notes_km: str
    price_cents: int
    price_khr: int
    currency: str
    stock_mode: str
    available: int | None = Field(description="Pieces that can be bought now (stock mode)")
    lead_time_days: int | None
    monthly_capacity: int | None
    status: str
    province_code: str
    community: str
    certified: bool
    published_at: datetime | None
    updated_at: datetime
    images: list[ImagePublic] = []
    variants: list[VariantPublic] = []


class ReorderIn(BaseModel):
    image_ids: list[int] = Field(min_length=1, max_length=8)


class StockIn(BaseModel):
    stock_on_hand: int = Field(ge=0, le=1_000_000)
