"""Shipping rates from weight and destination (integer US cents).

In Cambodia each producer group sends its own parcel by courier (e.g. Virak Buntham, J&T)
or bus, priced by the destination province, so a rate is computed per group.

Abroad, the groups send their parcels to the packing point in Phnom Penh, which packs the
whole order into one international shipment (Cambodia Post EMS or an express courier). The
buyer pays that one shipment, by the order's total weight, from the zone rate tables in
the settings (``international_rates``, ``shipping_zones``). Out of it, each group is paid
its domestic courier parcel to Phnom Penh (``leg_to_packing_point``); the rest pays the
international carrier (the ledger's ``shipping:consolidation`` account). When the parcels
to Phnom Penh cost more than the shipment abroad (light pieces from many groups), the
buyer pays the parcels' sum instead, so that account never goes below zero.
"""

from dataclasses import dataclass
from math import ceil

from marketplace.config import Settings
from marketplace.i18n import N_

PHNOM_PENH = "12"
NEAR_PROVINCES = {"08", "17", "03", "06", "04", "05", "14", "18", "20", "21"}

# (first 1 kg, each further 1 kg) in cents
DOMESTIC_COURIER = {"phnom_penh": (200, 50), "near": (300, 75), "far": (400, 100)}
DOMESTIC_BUS = {"phnom_penh": (150, 25), "near": (200, 50), "far": (250, 50)}


@dataclass(frozen=True)
class ShippingOption:
    code: str
    label: str  # translate with gettext when shown
    days: str
    international: bool


OPTIONS = {
    "courier": ShippingOption("courier", N_("Domestic courier (Virak Buntham, J&T)"), "1-3", False),
    "bus": ShippingOption("bus", N_("Bus parcel, collect at the station"), "2-5", False),
    "ems": ShippingOption("ems", N_("Cambodia Post EMS"), "10-24", True),
    "express": ShippingOption("express", N_("Express courier"), "5-9", True),
}


def is_international(country: str | None) -> bool:
    return (country or "KH").upper() != "KH"


def options_for(country: str) -> list[ShippingOption]:
    international = is_international(country)
    return [o for o in OPTIONS.values() if o.international == international]


def _band(province_code: str | None) -> str:
    if province_code == PHNOM_PENH:
        return "phnom_penh"
    return "near" if province_code in NEAR_PROVINCES else "far"


def zone(country: str, settings: Settings) -> int:
    country = country.upper()
    for number, countries in sorted(settings.shipping_zones.items()):
        if country in countries:
            return number
    return 3


def _steps(weight_grams: int, step: int) -> int:
    return ceil(max(weight_grams, 1) / step)


def rate(option: str, *, weight_grams: int, country: str, province_code: str | None) -> int:
    """Cents for one domestic parcel of ``weight_grams`` to ``province_code``; KeyError for
    an option not offered in Cambodia (or a destination abroad)."""
    chosen = OPTIONS[option]
    if chosen.international or is_international(country):
        raise KeyError(option)
    first, extra = (DOMESTIC_COURIER if option == "courier" else DOMESTIC_BUS)[
        _band(province_code)]
    return first + extra * (_steps(weight_grams, 1000) - 1)


def international_rate(option: str, *, weight_grams: int, country: str,
                       settings: Settings) -> int:
    """Cents for the one shipment abroad of the order's total weight; KeyError for an option
    not offered abroad (or a destination in Cambodia)."""
    chosen = OPTIONS[option]
    if not chosen.international or not is_international(country):
        raise KeyError(option)
    first, extra = settings.international_rates[option][zone(country, settings)]
    return first + extra * (_steps(weight_grams, 500) - 1)


def leg_to_packing_point(*, weight_grams: int, group_province: str | None) -> int:
    """What a group is paid to send its parcel by courier to the packing point in Phnom
    Penh (the courier's rate between its province and the capital)."""
    return rate("courier", weight_grams=weight_grams, country="KH",
                province_code=group_province or None)
