"""KHQR payloads for wholesale invoices, built offline and exact to the cent.

KHQR is the National Bank of Cambodia's Bakong QR standard: an EMVCo merchant-presented QR
payload, i.e. a string of TLV fields (2-digit tag, 2-digit length, value), templates nesting
more TLVs in their value, ending with tag 63 holding a CRC-16/CCITT-FALSE (poly 0x1021, init
0xFFFF, no reflection, no xorout) of everything before it *including* the literal "6304".
An invoice's payload, tags in ascending order as every SDK writes them:

    00 "01" payload format | 01 "12" dynamic (it carries an amount)
    29 individual: 00 Bakong account id, [02 acquiring bank]
    30 merchant:   00 Bakong account id, 01 merchant id, 02 acquiring bank
    52 "5999" MCC | 53 currency "840" USD / "116" KHR | 54 amount | 58 "KH"
    59 merchant name (<= 25) | 60 city (<= 15)
    62 additional data: 01 bill number, [02 mobile number], [03 store label]
    [99 timestamps: 00 creation ms, 01 expiry ms] | 63 CRC

Sources: the bakong-khqr package (github.com/bsthen/bakong-khqr, bakong_khqr/sdk/*.py), the
NBC SDK's TypeScript port (github.com/ishinvin/ts-khqr, src/constants, src/generate.ts) and
github.com/ishinvin/go-khqr (constants.go, generate.go, validate.go). Where they differ we
write what bakong-khqr writes (amount, mobile number), except the order inside tag 62, where
its own output changed between versions; each place says so.

We do not use the bakong-khqr package: it takes amounts as floats (``f"{amount:.2f}"``), always
embeds the clock in tag 99 and, on a dynamic code, a one-day expiry by default (so a payload is
never reproducible and an invoice's code dies the next day), can post to a third-party relay
(api.bakongrelay.com) and only writes individual (tag 29) accounts. Here amounts are integer
minor units, the output is a pure function of the input, and nothing touches the network.
"""

from dataclasses import dataclass

from marketplace.i18n import gettext as _

__all__ = ["CURRENCIES", "KhqrAccount", "crc16", "payload"]

CURRENCIES = {"USD": "840", "KHR": "116"}  # ISO 4217 numeric; KHQR knows only these two
MERCHANT_CATEGORY_CODE = "5999"  # the default every KHQR SDK writes
MAX_AMOUNT_CHARS = 13  # EMVCo tag 54; the SDKs' INVALID_LENGTH.AMOUNT
MAX_ID_CHARS = 32  # Bakong account id, merchant id, acquiring bank (SDK limits)
MAX_LABEL_CHARS = 25  # merchant name, bill number, mobile number, store label
MAX_CITY_CHARS = 15


@dataclass(frozen=True)
class KhqrAccount:
    """Who gets paid. ``merchant_id`` set: a merchant account (tag 30, which then needs
    ``acquiring_bank`` too); unset: an individual account (tag 29)."""

    bakong_account_id: str  # "name@bank", e.g. "crafts@aclb"
    merchant_name: str
    merchant_city: str = "Phnom Penh"
    merchant_id: str | None = None
    acquiring_bank: str | None = None
    mobile_number: str | None = None


def crc16(data: str) -> str:
    """CRC-16/CCITT-FALSE of the UTF-8 bytes of ``data`` as 4 upper-case hex digits."""
    crc = 0xFFFF
    for byte in data.encode("utf-8"):
        crc ^= byte << 8
        for _bit in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else crc << 1
            crc &= 0xFFFF
    return f"{crc:04X}"


def _tlv(tag: str, value: str) -> str:
    if len(value) > 99:
        raise ValueError(_("KHQR field %(tag)s is longer than 99 characters", tag=tag))
    return f"{tag}{len(value):02d}{value}"


def _text(field: str, value: str | None, limit: int) -> str:
    """A required EMVCo "ans" value: printable ASCII (so characters are bytes), 1..limit long."""
    if not isinstance(value, str) or not value.strip():
        raise ValueError(_("%(field)s is required", field=field))
    if len(value) > limit:
        raise ValueError(_("%(field)s must be at most %(limit)s characters (got %(length)s)",
                           field=field, limit=limit, length=len(value)))
    if not all(" " <= char <= "~" for char in value):
        raise ValueError(_("%(field)s may only contain printable ASCII characters", field=field))
    return value


def _amount(amount_minor: int, currency: str) -> str:
    """``amount_minor`` is cents for USD, riel for KHR (riel has no minor unit in use).

    USD drops trailing zeros, "12.50" -> "12.5", "250000.00" -> "250000", as bakong-khqr and
    go-khqr do; the NBC SDK's port writes "12.50" (both are valid EMVCo amounts).
    """
    if isinstance(amount_minor, bool) or not isinstance(amount_minor, int):
        raise ValueError(_("The amount must be a whole number of minor units"))
    if amount_minor <= 0:
        raise ValueError(_("The amount must be positive"))
    if currency == "KHR":
        text = str(amount_minor)
    else:
        units, cents = divmod(amount_minor, 100)
        text = f"{units}.{cents:02d}".rstrip("0").rstrip(".")
    if len(text) > MAX_AMOUNT_CHARS:
        raise ValueError(_("The amount is too large for a KHQR code"))
    return text


def _account(account: KhqrAccount) -> str:
    bakong_id = _text(_("Bakong account ID"), account.bakong_account_id, MAX_ID_CHARS)
    name, _at, bank = bakong_id.partition("@")
    if not name or not bank or "@" in bank:
        raise ValueError(_("Bakong account ID must look like name@bank"))
    fields = _tlv("00", bakong_id)
    if account.merchant_id is not None:
        fields += _tlv("01", _text(_("Merchant ID"), account.merchant_id, MAX_ID_CHARS))
        fields += _tlv("02", _text(_("Acquiring bank"), account.acquiring_bank, MAX_ID_CHARS))
        return _tlv("30", fields)
    if account.acquiring_bank is not None:
        fields += _tlv("02", _text(_("Acquiring bank"), account.acquiring_bank, MAX_ID_CHARS))
    return _tlv("29", fields)


def _mobile(number: str) -> str:
    """Local Cambodian form, "+855 12 345 678" -> "012345678": bakong-khqr normalises so (and a
    live ACLEDA code carries "010500331"); the NBC SDK's examples keep "855..."."""
    digits = number.replace(" ", "").replace("-", "").removeprefix("+")
    if not (digits.isascii() and digits.isdigit()):
        raise ValueError(_("Mobile number may only contain digits"))
    digits = digits.removeprefix("855")
    return _text(_("Mobile number"), digits if digits.startswith("0") else "0" + digits,
                 MAX_LABEL_CHARS)


def _timestamps(created_ms: int | None, expires_ms: int | None) -> str:
    if created_ms is None and expires_ms is None:
        return ""
    for value in (created_ms, expires_ms):
        if value is not None and (isinstance(value, bool) or not isinstance(value, int)
                                  or len(str(value)) != 13):
            raise ValueError(_("KHQR timestamps are 13-digit Unix times in milliseconds"))
    if created_ms is None:
        raise ValueError(_("A KHQR expiry needs a creation time"))
    fields = _tlv("00", str(created_ms))
    if expires_ms is not None:
        if expires_ms <= created_ms:
            raise ValueError(_("A KHQR code must expire after it is created"))
        fields += _tlv("01", str(expires_ms))
    return _tlv("99", fields)


def payload(account: KhqrAccount, *, amount_minor: int, currency: str = "USD",
            bill_number: str, store_label: str | None = None,
            created_ms: int | None = None, expires_ms: int | None = None) -> str:
    """The dynamic ("12") KHQR string asking ``amount_minor`` (cents for USD, riel for KHR)
    for invoice ``bill_number``.

    Tag 99 is written only when ``created_ms`` is given (and its expiry sub-tag only with
    ``expires_ms``): the caller passes the clock, so the same invoice gives the same code.
    Raises ValueError on anything the KHQR format cannot carry.
    """
    if currency not in CURRENCIES:
        raise ValueError(_("KHQR supports only USD and KHR, not %(currency)s", currency=currency))
    # Sub-tags ascending, as the NBC SDK, go-khqr and bakong-khqr up to 0.5.4 (its README's
    # example) write them; bakong-khqr 0.5.5+ puts 03 before 02 and 01. EMVCo fixes no order.
    extra = _tlv("01", _text(_("Bill number"), bill_number, MAX_LABEL_CHARS))
    if account.mobile_number is not None:
        extra += _tlv("02", _mobile(account.mobile_number))
    if store_label is not None:
        extra += _tlv("03", _text(_("Store label"), store_label, MAX_LABEL_CHARS))
    body = (
        _tlv("00", "01")
        + _tlv("01", "12")
        + _account(account)
        + _tlv("52", MERCHANT_CATEGORY_CODE)
        + _tlv("53", CURRENCIES[currency])
        + _tlv("54", _amount(amount_minor, currency))
        + _tlv("58", "KH")
        + _tlv("59", _text(_("Merchant name"), account.merchant_name, MAX_LABEL_CHARS))
        + _tlv("60", _text(_("Merchant city"), account.merchant_city, MAX_CITY_CHARS))
        + _tlv("62", extra)
        + _timestamps(created_ms, expires_ms)
        + "6304"
    )
    return body + crc16(body)
