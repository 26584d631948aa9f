"""Phone numbers as people type them, to E.164, with ``phonenumbers`` (Google's metadata)."""

import phonenumbers

from marketplace.errors import ValidationFailed
from marketplace.i18n import gettext as _


def normalize(raw: str, country: str = "KH", field: str = "phone") -> str:
    """``raw`` as E.164. A Cambodian (``country`` KH) number must be +855; a business abroad
    gives a valid number of its own country (or any valid number in international form).
    ValidationFailed on ``field`` otherwise."""
    cambodian = country == "KH"
    message = (_("Enter a Cambodian phone number (+855).") if cambodian
               else _("Enter a phone number with its country code, e.g. +33 1 23 45 67 89."))
    try:
        number = phonenumbers.parse(raw, country)
    except phonenumbers.NumberParseException as exc:
        raise ValidationFailed({field: message}) from exc
    if not phonenumbers.is_valid_number(number) or (cambodian and number.country_code != 855):
        raise ValidationFailed({field: message})
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
