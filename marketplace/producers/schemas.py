"""Input and output shapes for producer groups."""

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, EmailStr, Field, StringConstraints

from marketplace.models import Community, Craft, GroupRole, PayoutMethod

Text = Annotated[str, StringConstraints(strip_whitespace=True, max_length=5000)]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=2, max_length=160)]
Code = Annotated[str, StringConstraints(strip_whitespace=True, max_length=8)]


class GroupFields(BaseModel):
    name: Name
    name_km: Annotated[str, StringConstraints(strip_whitespace=True, max_length=160)] = ""
    community: Community
    crafts: list[Craft] = Field(min_length=1, max_length=4)
    province_code: Code
    district_code: Code
    commune_code: Code
    village_code: Code
    phone: Annotated[str, StringConstraints(strip_whitespace=True, min_length=6, max_length=20)]
    members_count: int = Field(ge=1, le=10_000)
    women_count: int = Field(ge=0, le=10_000)
    moc_registration: Annotated[str, StringConstraints(strip_whitespace=True,
                                                       max_length=40)] | None = None
    story: Text = ""
    story_km: Text = ""


class GroupApply(GroupFields):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "name": "Kuoy Community Handicraft Association",
        "name_km": "សមាគមសិប្បកម្មសហគមន៍កួយ",
        "community": "kuy", "crafts": ["weaving", "basketry"],
        "province_code": "06", "district_code": "0601", "commune_code": "060101",
        "village_code": "06010101", "phone": "+855 12 345 678",
        "members_count": 24, "women_count": 19,
        "moc_registration": "MOC-2011-0042", "story": "Kuy silk weavers since ...",
    }]})


class GroupUpdate(BaseModel):
    """Fields a member may change; omitted fields stay as they are."""

    name: Name | None = None
    name_km: Annotated[str, StringConstraints(strip_whitespace=True, max_length=160)] | None = None
    community: Community | None = None
    crafts: list[Craft] | None = Field(default=None, min_length=1, max_length=4)
    province_code: Code | None = None
    district_code: Code | None = None
    commune_code: Code | None = None
    village_code: Code | None = None
    phone: Annotated[str, StringConstraints(strip_whitespace=True, min_length=6,
                                            max_length=20)] | None = None
    members_count: int | None = Field(default=None, ge=1, le=10_000)
    women_count: int | None = Field(default=None, ge=0, le=10_000)
    moc_registration: Annotated[str, StringConstraints(strip_whitespace=True,
                                                       max_length=40)] | None = None
    story: Text | None = None
    story_km: Text | None = None


class PayoutDestinationIn(BaseModel):
    method: PayoutMethod
    account_name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=2,
                                                   max_length=120)]
    account_number: Annotated[str, StringConstraints(strip_whitespace=True, min_length=4,
                                                     max_length=40, pattern=r"^[0-9 +\-]+$")]
    bank_name: Annotated[str, StringConstraints(strip_whitespace=True, max_length=80)] | None = None


class InvitationIn(BaseModel):
    email: EmailStr = Field(max_length=254)
    role: GroupRole = GroupRole.MEMBER


class TransitionIn(BaseModel):
    reason: Annotated[str, StringConstraints(strip_whitespace=True, max_length=1000)] = ""


class GroupPublic(BaseModel):
    id: int
    slug: str
    name: str
    name_km: str
    community: str
    crafts: list[str]
    province_code: str
    district_code: str
    commune_code: str
    village_code: str
    members_count: int
    women_count: int
    moc_registration: str | None
    story: str
    story_km: str
    status: str
    verified_at: datetime | None
    photo_url: str | None = None

    model_config = ConfigDict(from_attributes=True)


class GroupPrivate(GroupPublic):
    """What members and admins see in addition."""

    phone: str
    payout_method: str | None
    payout_account_name: str | None
    payout_account_number: str | None
    payout_bank_name: str | None
    payout_verified_at: datetime | None
