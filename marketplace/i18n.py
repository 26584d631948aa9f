"""Languages: English and Khmer through gettext (Babel), chosen per request.

The current locale lives in a context variable set by the locale middleware, so services,
errors and templates translate without passing the request around. Money, numbers and dates
are formatted with Babel; times are shown in Asia/Phnom_Penh.
"""

import gettext as _gettext
from contextvars import ContextVar
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from functools import cache, lru_cache
from io import BytesIO
from pathlib import Path

from babel import Locale, negotiate_locale
from babel.dates import format_date as _format_date
from babel.dates import format_datetime as _format_datetime
from babel.dates import format_time as _format_time
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_currency, format_decimal
from babel.support import Translations

LOCALE_DIR = Path(__file__).resolve().parent / "locale"
DOMAIN = "messages"
LOCALES = ("en", "km")
LANGUAGE_NAMES = {"en": "English", "km": "ខ្មែរ"}
DISPLAY_TZ = "Asia/Phnom_Penh"

current_locale: ContextVar[str] = ContextVar("current_locale", default="en")


@cache
def translations(locale: str) -> _gettext.NullTranslations:
    """The compiled catalog for ``locale``; a .po newer than its .mo is compiled in memory."""
    po = LOCALE_DIR / locale / "LC_MESSAGES" / f"{DOMAIN}.po"
    mo = po.with_suffix(".mo")
    if mo.exists() and (not po.exists() or mo.stat().st_mtime >= po.stat().st_mtime):
        return Translations.load(str(LOCALE_DIR), [locale], DOMAIN)
    if po.exists():
        with po.open("rb") as fh:
            catalog = read_po(fh, locale=locale)
        buf = BytesIO()
        write_mo(buf, catalog, use_fuzzy=False)
        buf.seek(0)
        return Translations(fp=buf, domain=DOMAIN)
    return _gettext.NullTranslations()


def gettext(message: str, **variables) -> str:
    """Translate ``message`` into the current locale; ``%(name)s`` placeholders are filled."""
    text = translations(current_locale.get()).gettext(message)
    return text % variables if variables else text


def ngettext(singular: str, plural: str, n: int, **variables) -> str:
    """Plural-aware translation; ``num`` is available as a placeholder."""
    text = translations(current_locale.get()).ngettext(singular, plural, n)
    variables.setdefault("num", n)
    return text % variables


_ = gettext


def N_(message: str) -> str:
    """Mark a string for extraction; translate it later with ``gettext``."""
    return message


def negotiate(accept_language: str | None, default: str = "en") -> str:
    """Pick en or km from an Accept-Language header."""
    if not accept_language:
        return default
    preferred = []
    for part in accept_language.split(","):
        tag, _sep, q = part.strip().partition(";q=")
        try:
            weight = float(q) if q else 1.0
        except ValueError:
            weight = 0.0
        if tag:
            preferred.append((weight, tag.strip().replace("_", "-")))
    preferred.sort(key=lambda item: -item[0])
    chosen = negotiate_locale([tag for _w, tag in preferred], list(LOCALES), sep="-")
    return chosen or default


def _babel_locale() -> Locale:
    return _locale_obj(current_locale.get())


@cache
def _locale_obj(code: str) -> Locale:
    return Locale.parse(code)


def format_usd(cents: int | None) -> str:
    """US dollars from integer cents, e.g. $12.50."""
    if cents is None:
        return ""
    return _usd(cents, current_locale.get())


# Formatting a number with Babel costs tens of microseconds and a list page shows 48 prices:
# each amount is formatted once per language and then remembered (a few thousand prices).
@lru_cache(maxsize=8192)
def _usd(cents: int, code: str) -> str:
    return format_currency(Decimal(cents) / 100, "USD", locale=_locale_obj(code))


def usd_to_khr(cents: int, rate: int) -> int:
    """Riel for ``cents`` US cents at ``rate`` riel per dollar, rounded to 100 riel."""
    riel = Decimal(cents) * rate / 100
    return int((riel / 100).quantize(Decimal(1), rounding=ROUND_HALF_UP) * 100)


def format_khr(riel: int | None) -> str:
    """Riel with no decimals, e.g. 41,000 ៛."""
    if riel is None:
        return ""
    return _khr(riel, current_locale.get())


@lru_cache(maxsize=8192)
def _khr(riel: int, code: str) -> str:
    return f"{format_decimal(riel, format='#,##0', locale=_locale_obj(code))}\u00a0៛"


def format_number(value) -> str:
    """A number in the current locale."""
    return format_decimal(value, locale=_babel_locale())


# Cambodia keeps UTC+7 all year: Indochina Time. The zone is written after every time shown
# to people (a tourist's phone may still be on their home time), the same in both languages.
DISPLAY_TZ_NAME = "ICT"
DATE_TIME_FORMATS = ("short", "medium", "long", "full")


def format_datetime(value: datetime | None, fmt: str = "medium") -> str:
    """A UTC timestamp shown in Phnom Penh time with its zone: "Dec 6, 2026, 2:05 PM ICT"
    (the date in ``fmt``, the time to the minute); another ``fmt`` is a Babel pattern."""
    if value is None:
        return ""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    locale = _babel_locale()
    if fmt not in DATE_TIME_FORMATS:
        return f"{_format_datetime(value, fmt, tzinfo=_tz(), locale=locale)} {DISPLAY_TZ_NAME}"
    local = value.astimezone(_tz())
    text = str(locale.datetime_formats[fmt]).replace(
        "{1}", _format_date(local, fmt, locale=locale)).replace(
        "{0}", _format_time(local, "short", tzinfo=_tz(), locale=locale))
    return f"{text} {DISPLAY_TZ_NAME}"


def format_date(value, fmt: str = "medium") -> str:
    """A date in the current locale."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        value = value.astimezone(_tz())
    return _format_date(value, fmt, locale=_babel_locale())


@cache
def _tz():
    from zoneinfo import ZoneInfo

    return ZoneInfo(DISPLAY_TZ)


def localized(english: str | None, khmer: str | None) -> tuple[str, str]:
    """The text to show in the current language and its language code, for a ``lang``
    attribute: Khmer pages prefer the Khmer text, English pages the English one, and each
    falls back to the other when its own is empty (a group may write only in Khmer)."""
    english, khmer = english or "", khmer or ""
    if khmer and (current_locale.get() == "km" or not english):
        return khmer, "km"
    return english, "en"


def localized_text(english: str | None, khmer: str | None) -> str:
    """``localized`` without the language code."""
    return localized(english, khmer)[0]


def shown_title(item) -> str:
    """The title of anything with ``title`` and ``title_km`` (a product, an order line) in
    the current language, or in the other one when only it is written."""
    return localized_text(item.title, item.title_km)
