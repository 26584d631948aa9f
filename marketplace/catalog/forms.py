"""The product form of the producer dashboard: labels, and turning flat form text into what
the product schemas validate (and back). Business rules stay in ``catalog.service``."""

import re

from marketplace.catalog.service import title_missing
from marketplace.core.forms import (  # noqa: F401 - options: the dashboard's selects
    Schema,
    field_errors,
    options,
    parse_form,
    text_of,
)
from marketplace.core.money import NotAnAmount, parse_dollars, plain_dollars
from marketplace.errors import ValidationFailed
from marketplace.i18n import N_
from marketplace.i18n import gettext as _

PRODUCT_STATUS_LABELS = {
    "draft": N_("Draft (only your group sees it)"),
    "published": N_("Published"),
    "archived": N_("Archived (hidden)"),
}
STOCK_MODE_LABELS = {"stock": N_("In stock"), "made_to_order": N_("Made to order")}
METHOD_LABELS = {"hand": N_("By hand"), "machine": N_("By machine")}
CRAFT_LABELS = {
    "weaving": N_("Weaving"),
    "pottery": N_("Pottery"),
    "basketry": N_("Basketry"),
    "resin": N_("Resin"),
}
LABELS = {"product_status": PRODUCT_STATUS_LABELS, "stock_mode": STOCK_MODE_LABELS,
          "method": METHOD_LABELS, "craft": CRAFT_LABELS}
PAIR_ROWS = 5  # empty rows offered for materials and techniques


PRICE_PROBLEMS = {
    NotAnAmount.NEGATIVE: N_("The price cannot be negative."),
    NotAnAmount.PRECISION: N_("Use at most two digits after the point (cents)."),
    NotAnAmount.TOO_LARGE: N_("The number is too large."),
}
PRODUCT_TEXT_FIELDS = ("title", "title_km", "description", "description_km", "craft",
                       "category", "category_km", "dimensions", "weight_grams", "care_notes",
                       "care_notes_km", "stock_mode", "stock_on_hand", "lead_time_days",
                       "monthly_capacity")
# The rows of materials and steps: (list field, form prefix). The Khmer rows are named
# km_material_0, km_step_0, ... so that they never count as English rows.
MATERIAL_ROWS = (("materials", ""), ("materials_km", "km_"))
STEP_ROWS = (("techniques", ""), ("techniques_km", "km_"))


def parse_price(raw: str) -> int:
    """Dollars as typed ("12.50", "$12", "1,200.5") to integer cents, exactly."""
    try:
        return parse_dollars(raw)
    except NotAnAmount as exc:
        problem = PRICE_PROBLEMS.get(exc.reason)
        raise ValidationFailed({"price": _(problem) if problem else
                                _("Enter a price in dollars, like 12.50.")}) from exc


def _split_makers(text: str) -> list[str]:
    return [name.strip() for name in re.split(r"[,\n،、]", text) if name.strip()]


def _pairs(form, first: str, second: str) -> list[tuple[str, str]]:
    """Rows ``first_0``/``second_0``, ``first_1``/... that have something in the first field."""
    rows = []
    index = 0
    while f"{first}_{index}" in form or f"{second}_{index}" in form:
        left, right = text_of(form, f"{first}_{index}"), text_of(form, f"{second}_{index}")
        if left or right:
            rows.append((left, right))
        index += 1
    return rows


def product_data(form) -> tuple[dict, dict[str, str]]:
    """The product fields from a submitted form, and the messages for fields that did not
    parse (the price)."""
    data: dict = {name: text_of(form, name) for name in PRODUCT_TEXT_FIELDS}
    errors: dict[str, str] = {}
    try:
        data["price_cents"] = parse_price(text_of(form, "price"))
    except ValidationFailed as exc:
        errors.update(exc.errors)
    for field, prefix in MATERIAL_ROWS:
        data[field] = [{"material": m, "origin": o}
                       for m, o in _pairs(form, f"{prefix}material", f"{prefix}origin")]
        if any(not m["material"] for m in data[field]):
            errors[field] = _("Name the material on each line that has an origin.")
    for field, prefix in STEP_ROWS:
        data[field] = [{"step": s, "method": m or "hand"}
                       for s, m in _pairs(form, f"{prefix}step", f"{prefix}method") if s]
    if not data["title"] and not data["title_km"]:
        errors["title"] = title_missing()
    data["makers"] = _split_makers(text_of(form, "makers"))
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
    values["price"] = plain_dollars(product.price_cents)
    values["makers"] = "\n".join(product.makers or [])
    for field, prefix in MATERIAL_ROWS:
        for i, item in enumerate(getattr(product, field) or []):
            values[f"{prefix}material_{i}"] = item.get("material", "")
            values[f"{prefix}origin_{i}"] = item.get("origin", "")
    for field, prefix in STEP_ROWS:
        for i, item in enumerate(getattr(product, field) or []):
            values[f"{prefix}step_{i}"] = item.get("step", "")
            values[f"{prefix}method_{i}"] = item.get("method", "hand")
    return values


def pair_rows(values: dict, first: str) -> int:
    """How many rows of pairs to show: the filled ones and one more, at least ``PAIR_ROWS``."""
    used = [int(key.rsplit("_", 1)[1]) + 1 for key in values
            if key.startswith(f"{first}_") and key.rsplit("_", 1)[1].isdigit()]
    return min(max([PAIR_ROWS, *(n + 1 for n in used)]), 20)
