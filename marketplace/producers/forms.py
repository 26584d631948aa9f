"""Form helpers for the producer pages: labels, the step-by-step address, product fields.

HTML forms send flat text; these helpers turn it into the dicts the schemas validate, and
turn rows back into the text a form shows. Business rules stay in the services.
"""

import re
from decimal import Decimal, InvalidOperation

from marketplace import geo
from marketplace.core.forms import Schema, parse_form
from marketplace.errors import ValidationFailed
from marketplace.i18n import N_
from marketplace.i18n import gettext as _

COMMUNITY_LABELS = {
    "bunong": N_("Bunong"),
    "jarai": N_("Jarai"),
    "tampuan": N_("Tampuan"),
    "kreung": N_("Kreung"),
    "kuy": N_("Kuy"),
    "khmer": N_("Khmer"),
    "other": N_("Other"),
}
CRAFT_LABELS = {
    "weaving": N_("Weaving"),
    "pottery": N_("Pottery"),
    "basketry": N_("Basketry"),
    "resin": N_("Resin"),
}
GROUP_STATUS_LABELS = {
    "applied": N_("Waiting for verification"),
    "verified": N_("Verified"),
    "suspended": N_("Suspended"),
}
GROUP_STATUS_HELP = {
    "applied": N_("An administrator will check the group soon. Until then buyers cannot "
                  "see your products."),
    "verified": N_("Buyers can see and buy the products you publish."),
    "suspended": N_("Buyers cannot see your products until an administrator reinstates "
                    "the group."),
}
ROLE_LABELS = {"leader": N_("Leader"), "member": N_("Member")}
PAYOUT_LABELS = {
    "bank": N_("Bank account"),
    "aba": N_("ABA Bank"),
    "acleda": N_("ACLEDA Bank"),
    "wing": N_("Wing"),
    "bakong": N_("Bakong"),
}
PRODUCT_STATUS_LABELS = {
    "draft": N_("Draft (only your group sees it)"),
    "published": N_("Published"),
    "archived": N_("Archived (hidden)"),
}
STOCK_MODE_LABELS = {"stock": N_("In stock"), "made_to_order": N_("Made to order")}
METHOD_LABELS = {"hand": N_("By hand"), "machine": N_("By machine")}
AUDIT_LABELS = {
    "applied": N_("Applied"),
    "verified": N_("Verified"),
    "suspended": N_("Suspended"),
    "reinstated": N_("Reinstated"),
    "payout_destination_changed": N_("Payout destination changed"),
    "payout_destination_verified": N_("Payout destination verified"),
    "member_joined": N_("Member joined"),
}
LABELS = {
    "community": COMMUNITY_LABELS, "craft": CRAFT_LABELS, "group_status": GROUP_STATUS_LABELS,
    "group_status_help": GROUP_STATUS_HELP, "role": ROLE_LABELS, "payout": PAYOUT_LABELS,
    "product_status": PRODUCT_STATUS_LABELS, "stock_mode": STOCK_MODE_LABELS,
    "method": METHOD_LABELS, "audit": AUDIT_LABELS,
}

GROUP_TEXT_FIELDS = ("name", "name_km", "community", "province_code", "district_code",
                     "commune_code", "village_code", "phone", "members_count", "women_count",
                     "moc_registration", "story", "story_km")
ADDRESS = ("province_code", "district_code", "commune_code", "village_code")
PAIR_ROWS = 5  # empty rows offered for materials and techniques


def field_errors(errors: dict[str, str]) -> dict[str, str]:
    """Messages per form field: ``crafts.0`` or ``materials.1.origin`` become the list field."""
    result: dict[str, str] = {}
    for key, message in errors.items():
        result.setdefault(key.split(".")[0], message)
    return result


def _text(form, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


# -- groups -----------------------------------------------------------------------------------

def group_data(form) -> dict:
    """The fields of GroupApply / GroupUpdate from a submitted form."""
    data = {name: _text(form, name) for name in GROUP_TEXT_FIELDS}
    data["crafts"] = [c for c in form.getlist("crafts") if isinstance(c, str)]
    data["moc_registration"] = data["moc_registration"] or None
    return data


def group_values(group) -> tuple[dict, list[str]]:
    """What the profile form shows for an existing group, and its crafts."""
    values = {name: "" if getattr(group, name) is None else str(getattr(group, name))
              for name in GROUP_TEXT_FIELDS}
    return values, list(group.crafts or [])


def address_choices(values: dict) -> dict:
    """The options of each address select, down to the deepest level the user has reached.

    A code that does not belong to the level above is not shown as selected, so changing
    the province and pressing "Next" asks for the district again.
    """
    chosen = {key: values.get(key, "") for key in ADDRESS}
    provinces = geo.provinces()
    first = [p for code in geo.PRODUCER_PROVINCES for p in provinces if p.code == code]
    others = [p for p in provinces if p.code not in geo.PRODUCER_PROVINCES]
    districts = geo.districts(chosen["province_code"])
    selected_district = chosen["district_code"] if any(
        d.code == chosen["district_code"] for d in districts) else ""
    communes = geo.communes(selected_district) if selected_district else ()
    selected_commune = chosen["commune_code"] if any(
        c.code == chosen["commune_code"] for c in communes) else ""
    villages = geo.villages(selected_commune) if selected_commune else ()
    return {key: [(p.code, p.name) for p in places] for key, places in (
        ("programme_provinces", first), ("other_provinces", others), ("districts", districts),
        ("communes", communes), ("villages", villages))}


def options(labels: dict[str, str]) -> list[tuple[str, str]]:
    """(value, translated label) pairs for a select."""
    return [(value, _(label)) for value, label in labels.items()]


# -- products ---------------------------------------------------------------------------------

PRICE_RE = re.compile(r"^\$?\s*(\d{1,3}(,\d{3})+|\d+)(\.\d*)?$|^\$?\s*\.\d+$")
PRODUCT_TEXT_FIELDS = ("title", "title_km", "description", "description_km", "craft",
                       "category", "dimensions", "weight_grams", "care_notes", "stock_mode",
                       "stock_on_hand", "lead_time_days", "monthly_capacity")


def parse_price(raw: str) -> int:
    """Dollars as typed ("12.50", "$12", "1,200.5") to integer cents, exactly."""
    text = (raw or "").strip().replace(" ", "")
    if not text:
        raise ValidationFailed({"price": _("Enter a price in dollars, like 12.50.")})
    if text.startswith("-") or text.startswith("$-"):
        raise ValidationFailed({"price": _("The price cannot be negative.")})
    if not PRICE_RE.match(text):
        raise ValidationFailed({"price": _("Enter a price in dollars, like 12.50.")})
    try:
        amount = Decimal(text.lstrip("$").replace(",", ""))
    except InvalidOperation as exc:
        raise ValidationFailed({"price": _("Enter a price in dollars, like 12.50.")}) from exc
    cents = amount * 100
    if cents != cents.to_integral_value():
        raise ValidationFailed({"price": _("Use at most two digits after the point "
                                           "(cents).")})
    return int(cents)


def format_price(cents: int | None) -> str:
    """Integer cents as the text the price field shows: 1250 -> "12.50"."""
    if cents is None:
        return ""
    return f"{cents // 100}.{cents % 100:02d}"


def _split_makers(text: str) -> list[str]:
    return [name.strip() for name in re.split(r"[,\n،、]", text) if name.strip()]


def _pairs(form, first: str, second: str) -> list[tuple[str, str]]:
    """Rows ``first_0``/``second_0``, ``first_1``/... that have something in the first field."""
    rows = []
    index = 0
    while f"{first}_{index}" in form or f"{second}_{index}" in form:
        left, right = _text(form, f"{first}_{index}"), _text(form, f"{second}_{index}")
        if left or right:
            rows.append((left, right))
        index += 1
    return rows


def product_data(form) -> tuple[dict, dict[str, str]]:
    """The product fields from a submitted form, and the messages for fields that did not
    parse (the price)."""
    data: dict = {name: _text(form, name) for name in PRODUCT_TEXT_FIELDS}
    errors: dict[str, str] = {}
    try:
        data["price_cents"] = parse_price(_text(form, "price"))
    except ValidationFailed as exc:
        errors.update(exc.errors)
    data["materials"] = [{"material": m, "origin": o}
                         for m, o in _pairs(form, "material", "origin")]
    if any(not m["material"] for m in data["materials"]):
        errors["materials"] = _("Name the material on each line that has an origin.")
    data["techniques"] = [{"step": s, "method": m or "hand"}
                          for s, m in _pairs(form, "step", "method") if s]
    data["makers"] = _split_makers(_text(form, "makers"))
    if data["stock_mode"] != "made_to_order":
        data["lead_time_days"] = data["monthly_capacity"] = ""
    for name in ("weight_grams", "stock_on_hand", "lead_time_days", "monthly_capacity"):
        if data[name] == "":
            data.pop(name)
    return data, errors


def parse_product(schema: type[Schema], form, **extra) -> Schema:
    """Validate the product form against ``schema``; ValidationFailed names every bad field."""
    data, errors = product_data(form)
    data = {**data, **extra}
    data.setdefault("price_cents", 0)
    try:
        parsed = parse_form(schema, data)
    except ValidationFailed as exc:
        found = field_errors(exc.errors)
        if "price_cents" in found:
            found["price"] = found.pop("price_cents")
        lead = str(data.get("lead_time_days", ""))
        if "lead_time_days" in found and re.fullmatch(r"-?\d+", lead) and int(lead) < 1:
            found["lead_time_days"] = _("A made-to-order piece needs a lead time of 1 day "
                                        "or more.")
        raise ValidationFailed({**found, **errors}) from exc
    if errors:
        raise ValidationFailed(errors)
    return parsed


def product_values(product) -> dict:
    """What the product form shows for an existing product."""
    values = {name: "" if getattr(product, name) is None else str(getattr(product, name))
              for name in PRODUCT_TEXT_FIELDS}
    values["price"] = format_price(product.price_cents)
    values["makers"] = "\n".join(product.makers or [])
    for i, item in enumerate(product.materials or []):
        values[f"material_{i}"], values[f"origin_{i}"] = item.get("material", ""), \
            item.get("origin", "")
    for i, item in enumerate(product.techniques or []):
        values[f"step_{i}"], values[f"method_{i}"] = item.get("step", ""), \
            item.get("method", "hand")
    return values


def pair_rows(values: dict, first: str) -> int:
    """How many rows of pairs to show: the filled ones and one more, at least ``PAIR_ROWS``."""
    used = [int(key.rsplit("_", 1)[1]) + 1 for key in values
            if key.startswith(f"{first}_") and key.rsplit("_", 1)[1].isdigit()]
    return min(max([PAIR_ROWS, *(n + 1 for n in used)]), 20)
