"""An order's delivery address as people read it, in the current language: on the order
pages, the producers' parcels to send and the emails."""

from babel import Locale

from marketplace import geo
from marketplace.i18n import current_locale
from marketplace.models import Order


def shipping_address(order: Order) -> str:
    """The delivery address on one line (the landmark is shown on its own, labelled)."""
    territories = Locale.parse(current_locale.get()).territories
    if order.country == "KH":
        place = geo.describe(order.village_code or order.commune_code or order.district_code,
                             order.province_code)
        parts = [order.address_line, place, territories.get("KH", "Cambodia")]
    else:
        country = territories.get(order.country, order.country)
        parts = [order.address_line, f"{order.postal_code} {order.city}".strip(), country]
    return ", ".join(p for p in parts if p)
