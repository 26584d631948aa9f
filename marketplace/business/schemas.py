"""Input and output shapes for businesses."""

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, EmailStr, Field, StringConstraints

from marketplace.models import BusinessKind, BusinessRole

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=2, max_length=160)]
OptionalName = Annotated[str, StringConstraints(strip_whitespace=True, max_length=160)]
Code = Annotated[str, StringConstraints(strip_whitespace=True, max_length=8)]
Short = Annotated[str, StringConstraints(strip_whitespace=True, max_length=40)]


class BusinessApply(BaseModel):
    """A business's application. Cambodian businesses give official address codes (village
    optional) and a +855 phone; an importer abroad gives its country and address in full."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "legal_name": "Mekong Craft House Co., Ltd.",
        "legal_name_km": "ក្រុមហ៊ុន មេគង្គ ក្រាហ្វ ហោស៍ ឯ.ក",
        "trading_name": "Mekong Craft House", "kind": "shop",
        "tax_id": "K001-901234567", "moc_registration": "00012345",
        "country_code": "KH", "province_code": "12", "district_code": "1201",
        "commune_code": "120101", "village_code": "",
        "address_line": "No. 12, Street 178", "phone": "+855 23 218 555",
    }]})

    legal_name: Name
    legal_name_km: OptionalName = ""
    trading_name: OptionalName = ""
    trading_name_km: OptionalName = ""
    kind: BusinessKind = BusinessKind.SHOP
    tax_id: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1,
                                             max_length=20)]
    moc_registration: Short = ""
    country_code: Annotated[str, BeforeValidator(lambda v: v.strip().upper() if isinstance(
        v, str) else v), StringConstraints(pattern=r"^[A-Z]{2}$")] = "KH"
    province_code: Code = ""
    district_code: Code = ""
    commune_code: Code = ""
    village_code: Code = ""
    address_line: Annotated[str, StringConstraints(strip_whitespace=True, max_length=300)] = ""
    phone: Annotated[str, StringConstraints(strip_whitespace=True, min_length=6, max_length=20)]


class TermsIn(BaseModel):
    """Payment terms an admin grants: net days (none: card only) and a credit limit."""

    model_config = ConfigDict(json_schema_extra={"examples": [
        {"payment_terms_days": 30, "credit_limit_cents": 500000}]})

    payment_terms_days: Literal[15, 30, 60] | None = None
    credit_limit_cents: int = Field(default=0, ge=0, le=100_000_000)


class DecisionIn(BaseModel):
    """An admin's decision on an application; a rejection or suspension needs a reason."""

    decision: Literal["verify", "reject", "suspend", "reinstate"]
    reason: Annotated[str, StringConstraints(strip_whitespace=True, max_length=1000)] = ""


class InvitationIn(BaseModel):
    email: EmailStr
    role: BusinessRole = BusinessRole.BUYER


class BusinessPublic(BaseModel):
    """A business as its members and admins see it."""

    id: int
    slug: str
    legal_name: str
    legal_name_km: str
    trading_name: str
    trading_name_km: str
    kind: str
    tax_id: str
    moc_registration: str
    country_code: str
    province_code: str
    district_code: str
    commune_code: str
    village_code: str
    address_line: str
    phone: str
    status: str
    rejection_reason: str | None
    payment_terms_days: int | None
    credit_limit_cents: int
    created_at: datetime
    verified_at: datetime | None


class MemberRoleIn(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"role": "owner"}]})

    role: BusinessRole


class MemberPublic(BaseModel):
    user_id: int
    full_name: str
    email: str
    role: str


class DocumentPublic(BaseModel):
    id: int
    kind: str
    content_type: str
    size_bytes: int
    filename: str
    created_at: datetime
