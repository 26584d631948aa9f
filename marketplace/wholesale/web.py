"""HTML pages for wholesale: a product's terms and a group's minimum order values (producer
dashboard), and the wholesale catalog (verified businesses). The services decide who may
see and change what."""

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse

from marketplace import access
from marketplace.auth.deps import CurrentUser
from marketplace.catalog.forms import CRAFT_LABELS
from marketplace.catalog.service import editable_product
from marketplace.core.forms import (
    FormDep,
    dollars,
    field_errors,
    form_values,
    options,
    parse_form,
)
from marketplace.core.templating import flash, render
from marketplace.db import SessionDep
from marketplace.errors import ValidationFailed
from marketplace.i18n import gettext as _
from marketplace.wholesale import terms
from marketplace.wholesale.schemas import GroupMinimumsIn, OfferIn
from marketplace.wholesale.serialize import wholesale_rows

router = APIRouter(tags=["pages"], include_in_schema=False)

TIER_ROWS = 4
PAGE_SIZE = 48


def _see_other(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def _dollars(values: dict, name: str, errors: dict, *, required: bool = True) -> int | None:
    """The amount typed in ``name``, or None (empty and not required, or wrong: the message
    goes into ``errors`` so that every field is checked)."""
    if not required and not (values.get(name) or "").strip():
        return None
    try:
        return dollars(values, name)
    except ValidationFailed as exc:
        errors.update(exc.errors)
        return None


def _offer_data(values: dict) -> dict:
    """OfferIn's fields from the form: empty tier rows are skipped; prices typed in dollars."""
    errors: dict[str, str] = {}
    tiers = []
    for i in range(TIER_ROWS):
        quantity = (values.get(f"tier_quantity_{i}") or "").strip()
        price = _dollars(values, f"tier_price_{i}", errors, required=bool(quantity))
        if quantity or price is not None:
            tiers.append({"min_quantity": quantity or None, "unit_price_cents": price})
    if errors:
        raise ValidationFailed(errors)
    return {"min_quantity": values.get("min_quantity") or None,
            "case_pack": values.get("case_pack") or 1, "tiers": tiers}


def _tier_fields(errors: dict) -> dict:
    """``tiers.1.min_quantity`` -> ``tier_quantity_1``: the service's names for the form's."""
    renamed = {}
    for key, message in errors.items():
        parts = key.split(".")
        if parts[0] == "tiers" and len(parts) == 3:
            key = f"tier_{'quantity' if parts[2] == 'min_quantity' else 'price'}_{parts[1]}"
        elif key == "tiers":
            key = "tier_quantity_0"
        renamed[key] = message
    return renamed


def _offer_page(request, session, product, *, form: dict | None = None,
                errors: dict | None = None, status_code: int = 200):
    if form is None:
        form = {"min_quantity": "", "case_pack": "1"}
        found = terms.offer_of(session, product.id)  # the page's caller may edit it
        if found is not None:
            offer, tiers = found
            form = {"min_quantity": str(offer.min_quantity), "case_pack": str(offer.case_pack),
                    "offered": "1"}
            for i, tier in enumerate(tiers):
                form[f"tier_quantity_{i}"] = str(tier.min_quantity)
                form[f"tier_price_{i}"] = f"{tier.unit_price_cents / 100:.2f}"
    return render(request, "wholesale/offer.html", {
        "product": product, "form": form, "errors": field_errors(errors or {}),
        "rows": range(TIER_ROWS)}, status_code=status_code)


@router.get("/dashboard/products/{product_id}/wholesale")
def offer_form(product_id: int, request: Request, session: SessionDep, user: CurrentUser):
    product = editable_product(session=session, actor=user, product_id=product_id)
    return _offer_page(request, session, product)


@router.post("/dashboard/products/{product_id}/wholesale")
def save_offer(product_id: int, request: Request, form: FormDep, session: SessionDep,
               user: CurrentUser):
    product = editable_product(session=session, actor=user, product_id=product_id)
    values = form_values(form)
    try:
        if values.get("action") == "remove":
            terms.remove_offer(session=session, actor=user, product=product)
            flash(request, _("This product is no longer offered wholesale."), "success")
            return _see_other(f"/dashboard/products/{product.id}/wholesale")
        data = parse_form(OfferIn, _offer_data(values))
        terms.set_offer(session=session, actor=user, product=product, data=data)
    except ValidationFailed as exc:
        return _offer_page(request, session, product, form=values,
                           errors=_tier_fields(exc.errors), status_code=422)
    flash(request, _("Wholesale terms saved. Verified businesses see them now."), "success")
    return _see_other(f"/dashboard/products/{product.id}/wholesale")


def _minimums_page(request, group, form: dict, errors: dict | None = None,
                   status_code: int = 200):
    return render(request, "wholesale/minimums.html", {
        "group": group, "form": form, "errors": field_errors(errors or {})},
        status_code=status_code)


@router.get("/dashboard/groups/{group_id}/wholesale")
def minimums_form(group_id: int, request: Request, session: SessionDep, user: CurrentUser):
    group = access.get_group(session=session, group_id=group_id)
    access.require_member(session=session, user=user, group_id=group.id, leader=True)
    saved = terms.minimums(session, group.id)
    return _minimums_page(request, group, {
        "first_order_min": f"{saved.first_order_min_cents / 100:.2f}",
        "reorder_min": f"{saved.reorder_min_cents / 100:.2f}",
        "deposit_percent": str(saved.deposit_percent)})


@router.post("/dashboard/groups/{group_id}/wholesale")
def save_minimums(group_id: int, request: Request, form: FormDep, session: SessionDep,
                  user: CurrentUser):
    group = access.get_group(session=session, group_id=group_id)
    values = form_values(form)
    errors: dict[str, str] = {}
    first = _dollars(values, "first_order_min", errors)
    reorder = _dollars(values, "reorder_min", errors)
    percent = (values.get("deposit_percent") or "0").strip().rstrip("%").strip()
    if not percent.isdigit() or int(percent) > 100:
        errors["deposit_percent"] = _("Enter a whole percentage from 0 to 100.")
    try:
        if errors:
            raise ValidationFailed(errors)
        terms.set_minimums(session=session, actor=user, group=group, data=parse_form(
            GroupMinimumsIn, {"first_order_min_cents": first, "reorder_min_cents": reorder,
                              "deposit_percent": int(percent)}))
    except ValidationFailed as exc:
        return _minimums_page(request, group, values, exc.errors, status_code=422)
    flash(request, _("Minimum order values saved."), "success")
    return _see_other(f"/dashboard?group_id={group.id}")


@router.get("/wholesale")
def catalog(request: Request, session: SessionDep, user: CurrentUser,
            craft: Annotated[str, Query(max_length=20)] = "",
            page: Annotated[int, Query(ge=1, le=1000)] = 1):
    craft = craft if craft in CRAFT_LABELS else ""
    rows, total = terms.catalog(session=session, actor=user, craft=craft or None,
                                limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)
    return render(request, "wholesale/catalog.html", {
        "rows": wholesale_rows(session, rows), "total": total, "craft": craft, "page": page,
        "more": page * PAGE_SIZE < total, "craft_options": options(CRAFT_LABELS),
        "craft_labels": CRAFT_LABELS})
