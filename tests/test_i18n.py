"""Two languages: every string has a Khmer translation; money and dates follow the locale."""

import re
from datetime import UTC, datetime

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from marketplace import i18n
from marketplace.config import BASE_DIR

PLACEHOLDER = re.compile(r"%\((\w+)\)s")


def _extracted() -> set[str]:
    """Every msgid in the Python code and templates, extracted the way `make translations` does."""
    method_map = [
        ("marketplace/**.py", "python"),
        ("templates/**.html", "jinja2"),
        ("templates/**.txt", "jinja2"),
    ]
    options = {
        "templates/**.html": {"extensions": "jinja2.ext.i18n", "trimmed": "true"},
        "templates/**.txt": {"extensions": "jinja2.ext.i18n", "trimmed": "true"},
    }
    keywords = {"_": None, "gettext": None, "ngettext": (1, 2), "N_": None}
    found = set()
    for _file, _line, message, _comments, _ctx in extract_from_dir(
        str(BASE_DIR), method_map, options, keywords=keywords
    ):
        found.add(message[0] if isinstance(message, tuple) else message)
    return found


@pytest.fixture(scope="module")
def khmer_catalog():
    with (BASE_DIR / "marketplace/locale/km/LC_MESSAGES/messages.po").open("rb") as fh:
        return read_po(fh, locale="km")


def test_every_string_has_a_khmer_translation(khmer_catalog):
    missing = []
    for msgid in sorted(_extracted()):
        entry = khmer_catalog.get(msgid)
        text = entry.string if entry else None
        if isinstance(text, tuple | list):
            text = text[0]
        if not entry or not text or entry.fuzzy:
            missing.append(msgid)
    assert not missing, "no Khmer translation (run `make translations`, then translate):\n" + \
        "\n".join(missing)


def test_khmer_translations_keep_their_placeholders(khmer_catalog):
    for entry in khmer_catalog:
        if not entry.id or not entry.string:
            continue
        msgid = entry.id[0] if isinstance(entry.id, tuple) else entry.id
        text = entry.string[0] if isinstance(entry.string, tuple) else entry.string
        assert set(PLACEHOLDER.findall(msgid)) == set(PLACEHOLDER.findall(text)), msgid


def test_khmer_translations_are_in_khmer_script(khmer_catalog):
    khmer = re.compile("[\u1780-\u17ff]")
    untranslated = [e.id for e in khmer_catalog if e.id and e.string and
                    not khmer.search(e.string if isinstance(e.string, str) else e.string[0])
                    and e.id not in {"API"}]
    assert not untranslated


def _in(locale, fn, *args):
    token = i18n.current_locale.set(locale)
    try:
        return fn(*args)
    finally:
        i18n.current_locale.reset(token)


def test_money_in_usd_and_riel_without_decimals():
    assert _in("en", i18n.format_usd, 123450) == "$1,234.50"
    assert _in("en", i18n.format_khr, 41000) == "41,000\u00a0៛"
    assert "." not in _in("km", i18n.format_khr, 5_061_400)
    assert i18n.usd_to_khr(1250, 4100) == 51300  # $12.50 at 4,100 riel, to the nearest 100


def test_times_are_shown_in_phnom_penh_with_their_zone():
    moment = datetime(2026, 1, 1, 20, 30, tzinfo=UTC)  # 03:30 next day in Phnom Penh
    assert _in("en", i18n.format_datetime, moment) == "Jan 2, 2026, 3:30\u202fAM ICT"
    assert _in("km", i18n.format_datetime, moment) == "2 មករា 2026, 3:30 AM ICT"
    assert _in("en", i18n.format_datetime, moment, "short") == "1/2/26, 3:30\u202fAM ICT"
    assert _in("km", i18n.format_datetime, moment, "HH:mm") == "03:30 ICT"
    naive = datetime(2026, 7, 1, 17, 0)  # stored without a zone: UTC; no summer time here
    assert _in("en", i18n.format_datetime, naive) == "Jul 2, 2026, 12:00\u202fAM ICT"
    assert _in("en", i18n.format_date, moment) == "Jan 2, 2026"  # a date alone: no zone


def test_accept_language_negotiation():
    assert i18n.negotiate("km-KH,km;q=0.9") == "km"
    assert i18n.negotiate("fr-FR, en;q=0.5") == "en"
    assert i18n.negotiate("de") == "en"
    assert i18n.negotiate("en;q=0.2, km;q=0.8") == "km"
    assert i18n.negotiate("km;q=garbage") in {"km", "en"}


def test_khmer_gettext_returns_khmer():
    assert re.search("[\u1780-\u17ff]", _in("km", i18n.gettext, "Log in"))
