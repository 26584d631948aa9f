"""Input and output shapes for the Seal of Excellence."""

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, EmailStr, Field, StringConstraints

Text = Annotated[str, StringConstraints(strip_whitespace=True, max_length=4000)]
Line = Annotated[str, StringConstraints(strip_whitespace=True, max_length=160)]
Market = Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)]


class Step(BaseModel):
    step: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
    method: Literal["hand", "machine"] = "hand"


class ApplicationIn(BaseModel):
    """Each text may be written in English (``materials``), in Khmer (``materials_km``) or
    both; submitting needs the materials, the story and the intended market in one of
    the two."""

    product_ids: list[int] = Field(min_length=1, max_length=20)
    product_line: Line = ""
    product_line_km: Line = ""
    materials: Text = ""
    materials_km: Text = ""
    steps: list[Step] = Field(default_factory=list, max_length=30)
    story: Text = ""
    story_km: Text = ""
    innovation: Text = ""
    innovation_km: Text = ""
    intended_market: Market = ""
    intended_market_km: Market = ""
    price_cents: int = Field(default=0, ge=0, le=100_000_000)
    weight_grams: int = Field(default=0, ge=0, le=1_000_000)

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "product_ids": [12], "materials": "Silk raised in Kampong Thom; indigo from the garden",
        "steps": [{"step": "reeling silk", "method": "hand"}, {"step": "weaving", "method": "hand"}],
        "story": "The pattern recalls ...", "story_km": "លំនាំនេះរំលឹកដល់ ...",
        "innovation": "A narrower scarf for visitors",
        "intended_market": "Visitors and Phnom Penh shops", "price_cents": 4500,
        "weight_grams": 120,
    }]})


class ApplicationUpdate(BaseModel):
    product_line: Line | None = None
    product_line_km: Line | None = None
    materials: Text | None = None
    materials_km: Text | None = None
    steps: list[Step] | None = Field(default=None, max_length=30)
    story: Text | None = None
    story_km: Text | None = None
    innovation: Text | None = None
    innovation_km: Text | None = None
    intended_market: Market | None = None
    intended_market_km: Market | None = None
    price_cents: int | None = Field(default=None, ge=0, le=100_000_000)
    weight_grams: int | None = Field(default=None, ge=0, le=1_000_000)


class AssessmentIn(BaseModel):
    criterion_key: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1,
                                                    max_length=40)]
    passed: bool
    note: Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)] = ""


class DecisionIn(BaseModel):
    decision: Literal["approve", "reject", "request_changes"]
    note: Annotated[str, StringConstraints(strip_whitespace=True, max_length=4000)] = ""


class CriterionResultIn(BaseModel):
    passed: bool | None = None  # None: not assessed (yet)
    note: Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)] = ""


class ReviewIn(BaseModel):
    """The officer's one form: each item's result and note, and the decision ("later" saves
    the assessments only)."""

    results: dict[str, CriterionResultIn] = Field(default_factory=dict, max_length=50)
    decision: Literal["approve", "reject", "request_changes", "later"]
    note: Annotated[str, StringConstraints(strip_whitespace=True, max_length=4000)] = ""


class ComplaintIn(BaseModel):
    reason: Annotated[str, StringConstraints(strip_whitespace=True, min_length=10,
                                             max_length=4000)]
    contact: EmailStr = Field(max_length=254)


class CertificateActionIn(BaseModel):
    action: Literal["suspend", "reinstate", "revoke"]
    reason: Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)] = Field(
        "", description="The public reason in English")
    reason_km: Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)] = Field(
        "", description="The public reason in Khmer; suspending or revoking needs one of the "
                        "two")


class AssessmentPublic(BaseModel):
    criterion_key: str
    passed: bool
    note: str
    round: int
    created_at: datetime

    model_config = ConfigDict(from_attributes=True)


class ApplicationPublic(BaseModel):
    id: int
    group_id: int
    status: str
    criteria_version: int
    product_ids: list[int]
    product_line: str
    product_line_km: str = ""
    materials: str
    materials_km: str = ""
    steps: list[Step]
    story: str
    story_km: str = ""
    innovation: str
    innovation_km: str = ""
    intended_market: str
    intended_market_km: str = ""
    price_cents: int
    weight_grams: int
    photo_count: int
    submitted_at: datetime | None
    decided_at: datetime | None
    decision_note: str | None
    assessments: list[AssessmentPublic] = []
    certificate_number: str | None = None


class CertificatePublic(BaseModel):
    number: str
    status: str
    products: list[dict]
    group: dict
    province: str
    criteria_version: int
    issued_at: datetime
    expires_at: datetime
    public_reason: str | None
    public_reason_km: str | None = None
    verification_url: str

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "number": "SoE-2026-000123", "status": "valid",
        "products": [{"id": 12, "title": "Kuy silk scarf"}],
        "group": {"id": 3, "name": "Kuoy Community Handicraft Association"},
        "province": "Kampong Thom", "criteria_version": 1,
        "issued_at": "2026-11-23T03:00:00Z", "expires_at": "2030-11-23T03:00:00Z",
        "public_reason": None, "public_reason_km": None,
        "verification_url": "https://crafts.example/seal/SoE-2026-000123?t=eyJu...",
    }]})


class VerifiedClaims(BaseModel):
    genuine: bool
    number: str
    product_ids: list[int]
    expires_on: str
    status: str
    matches_registry: bool
