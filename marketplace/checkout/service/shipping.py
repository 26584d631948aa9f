"""Shipping rates from weight and destination (configured tables, integer US cents).

Each producer group ships its own parcel, so a rate is computed per fulfilment.
Domestic: courier (e.g. Virak Buntham, J&T) by province, or bus parcel (cheaper, slower).
International: Cambodia Post EMS by zone, or an express courier.
"""

from dataclasses import dataclass
from math import ceil

from marketplace.i18n import N_

PHNOM_PENH = "12"
NEAR_PROVINCES = {"08", "17", "03", "06", "04", "05", "14", "18", "20", "21"}

# (first 1 kg, each further 1 kg) in cents
DOMESTIC_COURIER = {"phnom_penh": (200, 50), "near": (300, 75), "far": (400, 100)}
DOMESTIC_BUS = {"phnom_penh": (150, 25), "near": (200, 50), "far": (250, 50)}
# EMS by zone: (first 500 g, each further 500 g) in cents
EMS_ZONES = {1: (1500, 400), 2: (2400, 700), 3: (2800, 900)}
EXPRESS_ZONES = {1: (3500, 800), 2: (5500, 1300), 3: (6500, 1600)}
ZONE_1 = {"TH", "VN", "LA", "MY", "SG", "ID", "PH", "MM", "BN", "CN", "HK", "TW", "JP", "KR"}
ZONE_2 = {"AU", "NZ", "IN", "GB", "FR", "DE", "NL", "BE", "IT", "ES", "PT", "CH", "AT", "SE",
          "NO", "DK", "FI", "IE", "PL", "CZ"}


@dataclass(frozen=True)
class ShippingOption:
    code: str
    label: str  # translate with gettext when shown
    days: str
    international: bool


OPTIONS = {
    "courier": ShippingOption("courier", N_("Domestic courier (Virak Buntham, J&T)"), "1-3", False),
    "bus": ShippingOption("bus", N_("Bus parcel, collect at the station"), "2-5", False),
    "ems": ShippingOption("ems", N_("Cambodia Post EMS"), "7-20", True),
    "express": ShippingOption("express", N_("Express courier"), "3-6", True),
}


def options_for(country: str) -> list[ShippingOption]:
    international = (country or "KH").upper() != "KH"
    return [o for o in OPTIONS.values() if o.international == international]


def _band(province_code: str | None) -> str:
    if province_code == PHNOM_PENH:
        return "phnom_penh"
    return "near" if province_code in NEAR_PROVINCES else "far"


def zone(country: str) -> int:
    country = country.upper()
    return 1 if country in ZONE_1 else 2 if country in ZONE_2 else 3


def rate(option: str, *, weight_grams: int, country: str, province_code: str | None) -> int:
    """Cents to ship one parcel of ``weight_grams``; KeyError for an option not offered."""
    chosen = OPTIONS[option]
    if chosen.international != ((country or "KH").upper() != "KH"):
        raise KeyError(option)
    weight = max(weight_grams, 1)
    if chosen.international:
        first, extra = (EMS_ZONES if option == "ems" else EXPRESS_ZONES)[zone(country)]
        steps = ceil(weight / 500)
    else:
        first, extra = (DOMESTIC_COURIER if option == "courier" else DOMESTIC_BUS)[
            _band(province_code)]
        steps = ceil(weight / 1000)
    return first + extra * (steps - 1)
