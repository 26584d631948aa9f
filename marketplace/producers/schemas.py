"""Input and output shapes for producer groups."""

import re
from datetime import datetime
from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    EmailStr,
    Field,
    StringConstraints,
    ValidationInfo,
    field_validator,
)
from pydantic_core import PydanticCustomError

from marketplace.i18n import gettext as _
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


# Account numbers by bank, where the format is known: ABA accounts have 9 digits. Other
# banks' and Wing's numbers are checked as 6 to 20 digits until their formats are confirmed.
ACCOUNT_DIGITS = {"aba": (9, 9)}
BAKONG_ID = re.compile(r"^[a-z0-9_.]{2,40}@[a-z0-9]{2,20}$")


class PayoutDestinationIn(BaseModel):
    """Where the group's payouts go: a bank account (``bank`` with ``bank_name`` for a bank
    not listed), a Bakong account ID (name@bank), or cash through a partner organisation
    (``bank_name`` names it; ``account_number`` is the phone of whoever collects)."""

    model_config = ConfigDict(json_schema_extra={"examples": [
        {"method": "aba", "account_name": "Kuoy Weavers Association",
         "account_number": "000 123 456", "currency": "USD"},
        {"method": "bakong", "account_name": "Kuoy Weavers", "account_number": "kuoy@aclb",
         "currency": "KHR"}]})

    method: PayoutMethod
    account_name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=2,
                                                   max_length=120)]
    account_number: Annotated[str, StringConstraints(strip_whitespace=True, min_length=4,
                                                     max_length=40,
                                                     pattern=r"^[0-9A-Za-z @+._\-]+$")]
    bank_name: Annotated[str, StringConstraints(strip_whitespace=True, max_length=80)] | None = None
    currency: Literal["USD", "KHR"] = "USD"

    @field_validator("account_number")
    @classmethod
    def _account_for_the_method(cls, value: str, info: ValidationInfo) -> str:
        method = info.data.get("method")
        number = value.replace(" ", "").replace("-", "")
        if method == PayoutMethod.BAKONG:
            if not BAKONG_ID.match(number.lower()):
                raise PydanticCustomError("bakong_id", _(
                    "Enter the Bakong account ID, like name@bank."))
            return number.lower()
        if not number.lstrip("+").isdigit():
            raise PydanticCustomError("digits", _("Enter the number with digits only."))
        low, high = ACCOUNT_DIGITS.get(method, (6, 20))
        if method != PayoutMethod.CASH and not low <= len(number) <= high:
            raise PydanticCustomError("account_digits", _(
                "This bank's account numbers have %(n)s digits.", n=low) if low == high
                else _("Enter the account number (%(low)s to %(high)s digits).",
                       low=low, high=high))
        return number


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
    province_name: str = Field(default="", description="The province, in English")
    province_name_km: str = Field(default="", description="The province, in Khmer")
    district_name: str = Field(default="", description="The district, in English")
    district_name_km: str = Field(default="", description="The district, in Khmer")
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
