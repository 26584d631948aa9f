"""KHQR invoice payloads, checked by a TLV parser and a CRC written here rather than taken from
the module, against published KHQR strings, and rendered with segno.

Published strings (each with its CRC):
- bakong-khqr's README example (github.com/bsthen/bakong-khqr, README.md, v0.5.8);
- a live ACLEDA merchant code, tag 30 (github.com/ishinvin/go-khqr, decode_test.go);
- ts-khqr's README example, with UTF-8 in tag 64 (github.com/ishinvin/ts-khqr, README.md).
"""

import binascii
from decimal import Decimal

import pytest
import segno

from marketplace.payments.khqr import KhqrAccount, crc16, payload

BAKONG_KHQR_README = (
    "00020101021229180014your_name@bank520459995303116540498005802KH5909Your Name"
    "6010Phnom Penh62510109TRX01234502090123456780311Phsar Thmei0706POS-01"
    "99340013177389460301901131773894775819" "6304A5A3"
)
ACLEDA_MERCHANT = (
    "00020101021130470009khqr@aclb0111855124649170215ACLEDA Bank Plc5204599953038405802KH"
    "5907BUN MAO6010Phnom Penh6102126213020901050033164310002KM0107BUN MAO0210Phnom Penh"
    "6304E313"
)
TS_KHQR_README = (
    "00020101021229420013ishinvin@devb01090123456780208Dev Bank5204599953031165405100005802KH"
    "5909Ishin Vin6010Phnom Penh62680114INV-2022-12-250211855123456780310Ishin Shop"
    "07060123450807Payment64180002ZH0102文山0202金边991700131693555967387" "6304AE27"
)

SHOP = KhqrAccount(bakong_account_id="crafts@aclb", merchant_name="Cambodian Crafts")


def parse(text: str) -> dict[str, str]:
    """EMVCo TLV: 2-digit tag, 2-digit length (in characters), value; the whole string must
    be consumed and no tag may repeat."""
    fields: dict[str, str] = {}
    pos = 0
    while pos < len(text):
        tag, length = text[pos:pos + 2], text[pos + 2:pos + 4]
        assert tag.isdigit() and length.isdigit(), f"bad TLV header at {pos}: {text[pos:]!r}"
        value = text[pos + 4:pos + 4 + int(length)]
        assert len(value) == int(length), f"tag {tag} runs past the end"
        assert tag not in fields, f"tag {tag} repeated"
        fields[tag] = value
        pos += 4 + int(length)
    return fields


def crc_ccitt_false(data: str) -> str:
    """binascii.crc_hqx is the non-reflected poly-0x1021 CRC with no final xor; seeded with
    0xFFFF it is CRC-16/CCITT-FALSE."""
    return f"{binascii.crc_hqx(data.encode('utf-8'), 0xFFFF):04X}"


def crc_ok(text: str) -> bool:
    return text[-8:-4] == "6304" and crc_ccitt_false(text[:-4]) == text[-4:]


def amount_in_minor(text: str, currency: str) -> int:
    amount = Decimal(text)
    return int(amount * 100) if currency == "840" else int(amount)


# --- the CRC ---------------------------------------------------------------------------------

def test_crc_check_value():
    assert crc16("123456789") == "29B1"
    assert crc_ccitt_false("123456789") == "29B1"
    assert crc16("") == "FFFF"


@pytest.mark.parametrize("published", [BAKONG_KHQR_README, ACLEDA_MERCHANT, TS_KHQR_README])
def test_crc_matches_published_khqr(published):
    assert crc16(published[:-4]) == published[-4:]
    assert crc_ok(published)


def test_parser_reads_published_khqr():
    fields = parse(BAKONG_KHQR_README)
    assert list(fields) == ["00", "01", "29", "52", "53", "54", "58", "59", "60", "62", "99",
                            "63"]
    assert parse(fields["29"]) == {"00": "your_name@bank"}
    assert parse(fields["62"]) == {"01": "TRX012345", "02": "012345678", "03": "Phsar Thmei",
                                   "07": "POS-01"}
    assert parse(parse(ACLEDA_MERCHANT)["30"]) == {
        "00": "khqr@aclb", "01": "85512464917", "02": "ACLEDA Bank Plc"}


# --- the payload ---------------------------------------------------------------------------

def test_individual_usd_payload_fields():
    text = payload(SHOP, amount_minor=199999, bill_number="INV-2024-0042")
    fields = parse(text)
    assert list(fields) == ["00", "01", "29", "52", "53", "54", "58", "59", "60", "62", "63"]
    assert fields["00"] == "01"
    assert fields["01"] == "12"
    assert parse(fields["29"]) == {"00": "crafts@aclb"}
    assert fields["52"] == "5999"
    assert fields["53"] == "840"
    assert fields["54"] == "1999.99"
    assert fields["58"] == "KH"
    assert fields["59"] == "Cambodian Crafts"
    assert fields["60"] == "Phnom Penh"
    assert parse(fields["62"]) == {"01": "INV-2024-0042"}
    assert fields["63"] == crc_ccitt_false(text[:-4])
    assert crc_ok(text)
    assert payload(SHOP, amount_minor=199999, bill_number="INV-2024-0042") == text


@pytest.mark.parametrize(("minor", "currency", "code", "expected"), [
    (1, "USD", "840", "0.01"),
    (10, "USD", "840", "0.1"),
    (1250, "USD", "840", "12.5"),
    (100, "USD", "840", "1"),
    (199999, "USD", "840", "1999.99"),
    (25000000, "USD", "840", "250000"),
    (999999999999, "USD", "840", "9999999999.99"),
    (9800, "KHR", "116", "9800"),
    (4100000, "KHR", "116", "4100000"),
])
def test_amount_exact(minor, currency, code, expected):
    fields = parse(payload(SHOP, amount_minor=minor, currency=currency, bill_number="B-1"))
    assert fields["53"] == code
    assert fields["54"] == expected
    assert amount_in_minor(fields["54"], code) == minor


def test_merchant_account_uses_tag_30():
    aclb = KhqrAccount(bakong_account_id="khqr@aclb", merchant_name="BUN MAO",
                       merchant_id="85512464917", acquiring_bank="ACLEDA Bank Plc")
    fields = parse(payload(aclb, amount_minor=500, bill_number="INV-7"))
    assert "29" not in fields
    assert parse(fields["30"]) == {"00": "khqr@aclb", "01": "85512464917",
                                   "02": "ACLEDA Bank Plc"}
    # Byte for byte the tag ACLEDA's own code carries.
    assert fields["30"] == parse(ACLEDA_MERCHANT)["30"]


def test_individual_with_bank_mobile_store_and_city():
    account = KhqrAccount(bakong_account_id="crafts@aclb", merchant_name="Cambodian Crafts",
                          merchant_city="Siem Reap", acquiring_bank="ACLEDA Bank Plc",
                          mobile_number="+855 12 345 678")
    fields = parse(payload(account, amount_minor=9800, currency="KHR", bill_number="INV-9",
                           store_label="Psar Chaa"))
    assert parse(fields["29"]) == {"00": "crafts@aclb", "02": "ACLEDA Bank Plc"}
    assert fields["60"] == "Siem Reap"
    assert parse(fields["62"]) == {"01": "INV-9", "02": "012345678", "03": "Psar Chaa"}


def test_same_fields_as_bakong_khqr_readme():
    """The README's inputs (less its terminal label, which invoices do not use) give the same
    fields; the README's string has a timestamp, so we pass its times."""
    account = KhqrAccount(bakong_account_id="your_name@bank", merchant_name="Your Name",
                          mobile_number="012345678")
    ours = parse(payload(account, amount_minor=9800, currency="KHR", bill_number="TRX012345",
                         store_label="Phsar Thmei", created_ms=1773894603019,
                         expires_ms=1773894775819))
    theirs = parse(BAKONG_KHQR_README)
    extra = parse(theirs.pop("62"))
    del extra["07"]
    assert parse(ours.pop("62")) == extra
    del ours["63"], theirs["63"]
    assert ours == theirs
    assert parse(ours["99"]) == {"00": "1773894603019", "01": "1773894775819"}


def test_no_timestamp_by_default():
    assert "99" not in parse(payload(SHOP, amount_minor=100, bill_number="B-1"))
    fields = parse(payload(SHOP, amount_minor=100, bill_number="B-1", created_ms=1700000000000))
    assert parse(fields["99"]) == {"00": "1700000000000"}


def test_tampered_payload_fails_the_crc():
    text = payload(SHOP, amount_minor=199999, bill_number="INV-2024-0042")
    assert crc_ok(text)
    assert not crc_ok(text.replace("54071999.99", "54071999.90"))
    assert not crc_ok(text.replace("crafts@aclb", "crooks@aclb"))
    assert not crc_ok(text[:-1] + ("0" if text[-1] != "0" else "1"))


# --- refusals --------------------------------------------------------------------------------

@pytest.mark.parametrize(("account", "kwargs", "message"), [
    (KhqrAccount("crafts@aclb", "N" * 26), {}, "Merchant name must be at most 25"),
    (KhqrAccount("crafts@aclb", "Phsar ថ្មី"), {}, "printable ASCII"),
    (KhqrAccount("crafts@aclb", "Café Crafts"), {}, "printable ASCII"),
    (KhqrAccount("crafts@aclb", ""), {}, "Merchant name is required"),
    (KhqrAccount("crafts@aclb", "Crafts", merchant_city="Kampong Chhnang1"), {},
     "Merchant city must be at most 15"),
    (KhqrAccount("crafts", "Crafts"), {}, "name@bank"),
    (KhqrAccount("a@b@c", "Crafts"), {}, "name@bank"),
    (KhqrAccount("c" * 30 + "@aclb", "Crafts"), {}, "Bakong account ID must be at most 32"),
    (KhqrAccount("crafts@aclb", "Crafts", merchant_id="123"), {}, "Acquiring bank is required"),
    (KhqrAccount("crafts@aclb", "Crafts", mobile_number="012-ABC"), {}, "only contain digits"),
    (SHOP, {"amount_minor": 0}, "must be positive"),
    (SHOP, {"amount_minor": -500}, "must be positive"),
    (SHOP, {"amount_minor": 12.5}, "whole number"),
    (SHOP, {"amount_minor": True}, "whole number"),
    (SHOP, {"amount_minor": 10**15}, "too large"),  # "10000000000000": 14 characters
    (SHOP, {"amount_minor": 10**13, "currency": "KHR"}, "too large"),
    (KhqrAccount("c" * 27 + "@aclb", "Crafts", merchant_id="M" * 32, acquiring_bank="B" * 32),
     {}, "field 30 is longer than 99"),
    (SHOP, {"currency": "EUR"}, "only USD and KHR"),
    (SHOP, {"bill_number": "INV-" + "9" * 22}, "Bill number must be at most 25"),
    (SHOP, {"bill_number": ""}, "Bill number is required"),
    (SHOP, {"bill_number": "INV\n1"}, "printable ASCII"),
    (SHOP, {"store_label": "S" * 26}, "Store label must be at most 25"),
    (SHOP, {"expires_ms": 1700000000000}, "needs a creation time"),
    (SHOP, {"created_ms": 1700000000000, "expires_ms": 1700000000000}, "expire after"),
    (SHOP, {"created_ms": 1700000000}, "13-digit"),
])
def test_refuses_what_khqr_cannot_carry(account, kwargs, message):
    arguments = {"amount_minor": 1000, "bill_number": "INV-1"} | kwargs
    with pytest.raises(ValueError, match=message):
        payload(account, **arguments)


# --- the QR ----------------------------------------------------------------------------------

def test_renders_as_a_qr_code():
    """A plain invoice code is a small symbol; the longest payload the builder accepts (every
    field at its limit, timestamps on) still encodes at level M."""
    plain = payload(SHOP, amount_minor=199999, bill_number="INV-2024-0042")
    longest = payload(
        KhqrAccount(bakong_account_id="c" * 27 + "@aclb", merchant_name="N" * 25,
                    merchant_city="C" * 15, merchant_id="M" * 23, acquiring_bank="B" * 32,
                    mobile_number="0" + "1" * 24),
        amount_minor=999999999999, bill_number="X" * 25, store_label="S" * 25,
        created_ms=1700000000000, expires_ms=1700086400000)
    for text, largest_version in ((plain, 8), (longest, 14)):
        qr = segno.make(text, error="m")
        assert qr.error == "M"
        assert qr.mode == "byte"
        assert 1 <= qr.version <= largest_version
        assert qr.designator == f"{qr.version}-M"
        assert qr.symbol_size(border=0) == (17 + 4 * qr.version,) * 2
