"""The delivery address, and the one rule that checks it for the checkout pages and the API.

In Cambodia the address is the official province, district and commune codes (they must
nest), the village when the buyer knows it, a free line and a landmark the courier can ask
for ("behind the pagoda"): buyers often do not know their village, so without one the
landmark or the free line must say where to go; abroad, one of the countries we ship to, the street address and
the city. The phone is parsed with ``phonenumbers`` (Cambodian numbers without +855 too) and
stored in E.164, so the courier can always call it. The shipping option must exist for the
destination.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated

import phonenumbers
from pydantic import BaseModel, EmailStr, Field, StringConstraints

from marketplace import geo
from marketplace.checkout.service import shipping
from marketplace.core.forms import parse_form
from marketplace.errors import ValidationFailed
from marketplace.i18n import gettext as _

HOME = "KH"
# Countries offered for delivery abroad: Cambodia's neighbours and the usual visitors' homes.
COUNTRIES = ("AT", "AU", "BE", "BN", "CA", "CH", "CN", "CZ", "DE", "DK", "ES", "FI", "FR", "GB",
             "HK", "ID", "IE", "IN", "IT", "JP", "KR", "LA", "MM", "MY", "NL", "NO", "NZ", "PH",
             "PL", "PT", "SE", "SG", "TH", "TW", "US", "VN")
CODES = ("province_code", "district_code", "commune_code", "village_code")
Text = Annotated[str, StringConstraints(strip_whitespace=True)]


@dataclass
class Address:
    full_name: str
    email: str
    phone: str
    country: str
    shipping_option: str
    province_code: str | None = None
    district_code: str | None = None
    commune_code: str | None = None
    village_code: str | None = None
    address_line: str = ""
    city: str = ""
    postal_code: str = ""
    landmark: str = ""


class ContactIn(BaseModel):
    email: EmailStr = Field(max_length=254)
    full_name: Text = Field(min_length=2, max_length=120)
    phone: Text = Field(min_length=1, max_length=30)
    address_line: Text = Field(default="", max_length=300)
    landmark: Text = Field(default="", max_length=200)
    city: Text = Field(default="", max_length=120)
    postal_code: Text = Field(default="", max_length=20)


def e164(raw: str, region: str | None) -> str | None:
    """The phone number in E.164 (+85512345678), or None when it is not a valid number."""
    try:
        number = phonenumbers.parse(raw, region or HOME)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _text(values: Mapping, key: str) -> str:
    value = values.get(key)
    return value if isinstance(value, str) else ""


def parse_address(values: Mapping) -> Address:
    """The address ``values`` describe (``country`` KH or a code of COUNTRIES; a missing
    country is Cambodia); ValidationFailed names every field to fix."""
    errors: dict[str, str] = {}
    contact = None
    try:
        contact = parse_form(ContactIn, {key: _text(values, key) for key in (
            "email", "full_name", "phone", "address_line", "landmark", "city",
            "postal_code")})
    except ValidationFailed as exc:
        errors.update(exc.errors)
    country = (_text(values, "country") or HOME).strip().upper()
    codes = {key: _text(values, key).strip() for key in CODES}
    if country != HOME and country not in COUNTRIES:
        errors["country"] = _("Choose the country.")
        country = None
    elif country == HOME:
        errors.update(geo.address_errors(*codes.values(), require_village=False))
        if not set(CODES) & set(errors) and not codes["village_code"] and contact and \
                not contact.landmark and not contact.address_line:
            errors["landmark"] = _("Choose the village, or name a landmark near you (like "
                                   "“behind the pagoda”) so the courier can find "
                                   "you.")
    else:
        if contact and not contact.address_line:
            errors["address_line"] = _("Enter the street address.")
        if contact and not contact.city:
            errors["city"] = _("Enter the city.")
    raw_phone = _text(values, "phone").strip()
    phone = e164(raw_phone, country) if raw_phone else None
    if raw_phone and phone is None:
        errors["phone"] = _("Enter a phone number the courier can call, with the country "
                            "code when it is not Cambodian (like +33 6 12 34 56 78).")
    option = _text(values, "shipping_option")
    if country and option not in {o.code for o in shipping.options_for(country)}:
        errors["shipping_option"] = _("Choose a shipping option.")
    if errors:
        raise ValidationFailed(errors)
    abroad = country != HOME
    return Address(
        full_name=contact.full_name, email=str(contact.email), phone=phone, country=country,
        shipping_option=option, address_line=contact.address_line,
        city=contact.city if abroad else "", postal_code=contact.postal_code if abroad else "",
        landmark="" if abroad else contact.landmark,
        **(dict.fromkeys(CODES) if abroad else {k: v or None for k, v in codes.items()}))
