"""HTML pages for purchase orders: the business's cart (lines, CSV, submit), its purchase
orders and its answers to changes; a group's incoming parts and its answers. Every service
call that may refuse runs in ``all_or_nothing``, so a refused form saves nothing."""

import secrets
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse
from sqlmodel import select
from starlette.datastructures import UploadFile

from marketplace import access
from marketplace.auth.deps import CurrentUser
from marketplace.core.deps import SettingsDep
from marketplace.core.forms import FormDep, dollars, field_errors, form_values
from marketplace.core.templating import flash, render
from marketplace.db import SessionDep, all_or_nothing
from marketplace.errors import Conflict, ValidationFailed
from marketplace.i18n import N_
from marketplace.i18n import gettext as _
from marketplace.models import Business, PaymentMethod, PurchaseOrder, PurchaseOrderLine
from marketplace.wholesale import charges, purchasing, responses
from marketplace.wholesale.serialize import purchase_order_public

router = APIRouter(tags=["pages"], include_in_schema=False)
PART_LABELS = {"pending": N_("Waiting for the group"), "proposed": N_("Changes proposed"),
               "accepted": N_("Accepted"), "shipped": N_("Shipped"),
               "declined": N_("Declined"),
               "rejected": N_("Changes rejected"), "expired": N_("Not answered in time"),
               "submitted": N_("Sent to the groups"), "confirmed": N_("Confirmed"),
               "cancelled": N_("Cancelled"), "draft": N_("Cart")}


def _see_other(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def _number(values: dict, name: str) -> int:
    text = (values.get(name) or "").strip()
    if not text.isdigit():
        raise ValidationFailed({name: _("Enter a whole number.")})
    return int(text)


def _cart_page(request, session, user, *, form: dict | None = None,
               errors: dict | None = None, status_code: int = 200):
    business = purchasing.buying_business(session, user)
    cart = purchase_order_public(session, purchasing.draft(session, business))
    return render(request, "wholesale/cart.html", {
        "cart": cart, "business": business, "errors": field_errors(errors or {}),
        "form": form or {"payment_method": "card"}, "submit_key": secrets.token_urlsafe(16),
    }, status_code=status_code)


@router.get("/wholesale/cart")
def cart(request: Request, session: SessionDep, user: CurrentUser):
    return _cart_page(request, session, user)


@router.post("/wholesale/cart/lines")
def set_line(request: Request, form: FormDep, session: SessionDep, user: CurrentUser):
    values = form_values(form)
    try:
        with all_or_nothing(session):
            purchasing.set_line(session=session, actor=user,
                                product_id=_number(values, "product_id"),
                                quantity=_number(values, "quantity"))
    except ValidationFailed as exc:
        return _cart_page(request, session, user, form=values, errors=exc.errors,
                          status_code=422)
    flash(request, _("The wholesale cart is updated."), "success")
    return _see_other("/wholesale/cart")


@router.post("/wholesale/cart/csv")
def add_csv(request: Request, form: FormDep, session: SessionDep, user: CurrentUser):
    upload = form.get("file")
    text = form.get("lines") if isinstance(form.get("lines"), str) else ""
    try:
        if isinstance(upload, UploadFile) and upload.filename:
            try:
                text = upload.file.read(256 * 1024).decode("utf-8-sig")
            except UnicodeDecodeError as exc:
                raise ValidationFailed({"file": _("Save the file as CSV in UTF-8.")}) from exc
        with all_or_nothing(session):
            purchasing.add_csv(session=session, actor=user, text=text)
    except ValidationFailed as exc:
        return _cart_page(request, session, user, form={"lines": text}, errors={
            **exc.errors, "__all__": exc.detail}, status_code=422)
    flash(request, _("The lines are in the wholesale cart."), "success")
    return _see_other("/wholesale/cart")


@router.post("/wholesale/cart/submit")
def submit(request: Request, form: FormDep, session: SessionDep, settings: SettingsDep,
           user: CurrentUser):
    values = form_values(form)
    method = values.get("payment_method", "card")
    try:
        if method not in (PaymentMethod.CARD, PaymentMethod.INVOICE):
            raise ValidationFailed({"payment_method": _("Choose how to pay.")})
        with all_or_nothing(session):
            order, _created = purchasing.submit(
                session=session, settings=settings, actor=user,
                reference=values.get("reference", ""), payment_method=PaymentMethod(method),
                idempotency_key=values.get("submit_key") or secrets.token_urlsafe(16))
    except ValidationFailed as exc:
        return _cart_page(request, session, user, form=values, errors=exc.errors,
                          status_code=422)
    except Conflict as exc:  # over the credit limit, or a piece sold out meanwhile
        return _cart_page(request, session, user, form=values,
                          errors={"__all__": exc.detail}, status_code=409)
    flash(request, _("Purchase order %(number)s is sent to the groups.", number=order.number),
          "success")
    return _see_other(f"/business/purchase-orders/{order.id}")


@router.get("/business/purchase-orders")
def orders(request: Request, session: SessionDep, user: CurrentUser):
    rows, total = purchasing.list_orders(session=session, actor=user, limit=100)
    return render(request, "wholesale/orders.html", {
        "orders": rows, "total": total, "labels": PART_LABELS})


def _order_page(request, session, user, order: PurchaseOrder, *, errors: dict | None = None,
                status_code: int = 200):
    return render(request, "wholesale/order.html", {
        "order": purchase_order_public(session, order), "labels": PART_LABELS,
        "errors": errors or {}}, status_code=status_code)


@router.get("/business/purchase-orders/{order_id}")
def order(order_id: int, request: Request, session: SessionDep, user: CurrentUser):
    found = purchasing.viewable(session=session, actor=user, order_id=order_id)
    return _order_page(request, session, user, found)


@router.post("/business/purchase-orders/{order_id}/reorder")
def reorder(order_id: int, request: Request, session: SessionDep, user: CurrentUser):
    _cart, skipped = purchasing.reorder(session=session, actor=user, order_id=order_id)
    for note in skipped:
        flash(request, note, "error")
    flash(request, _("The pieces are in the wholesale cart at today's prices."), "success")
    return _see_other("/wholesale/cart")


@router.post("/business/purchase-orders/{order_id}/parts/{part_id}/{answer}")
def answer(order_id: int, part_id: int, answer: str, request: Request, session: SessionDep,
           settings: SettingsDep, user: CurrentUser):
    found = purchasing.viewable(session=session, actor=user, order_id=order_id)
    part = next((p for p in purchasing.parts_of(session, found) if p.id == part_id), None)
    if part is None or answer not in ("accept-changes", "reject-changes"):
        return _order_page(request, session, user, found, status_code=404)
    try:
        with all_or_nothing(session):
            responses.answer_proposal(session=session, settings=settings, actor=user,
                                      part=part, accepted=answer == "accept-changes")
    except Conflict as exc:
        return _order_page(request, session, user, found, errors={"__all__": exc.detail},
                           status_code=409)
    flash(request, _("Your answer is sent to the group."), "success")
    return _see_other(f"/business/purchase-orders/{found.id}")


# -- the group's side -------------------------------------------------------------------------

@router.get("/dashboard/purchase-orders")
def incoming(request: Request, session: SessionDep, user: CurrentUser,
             group_id: Annotated[int | None, Query(ge=1)] = None):
    ids = access.accessible_group_ids(session=session, user=user)
    group_id = group_id if group_id in ids else (ids[0] if ids else None)
    rows = responses.incoming(session=session, actor=user, group_id=group_id) \
        if group_id else []
    return render(request, "wholesale/incoming.html", {"rows": rows, "labels": PART_LABELS})


def _part_page(request, session, user, part, *, form: dict | None = None,
               errors: dict | None = None, status_code: int = 200):
    order = session.get(PurchaseOrder, part.purchase_order_id)
    return render(request, "wholesale/part.html", {
        "part": part, "order": purchase_order_public(session, order, group_id=part.group_id),
        "unpaid": charges.unpaid_before_shipping(session, order, part),
        "business": session.get(Business, order.business_id),
        "labels": PART_LABELS, "form": form or {}, "errors": field_errors(errors or {}),
    }, status_code=status_code)


@router.get("/dashboard/purchase-orders/{part_id}")
def part_page(part_id: int, request: Request, session: SessionDep, user: CurrentUser):
    part = responses.part_for_group(session=session, actor=user, part_id=part_id)
    return _part_page(request, session, user, part)


def _ship_by(values: dict) -> date | None:
    text = (values.get("ship_by") or "").strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise ValidationFailed({"ship_by": _("Enter a date like 2027-01-15.")}) from exc


def _changes(values: dict, lines) -> dict[int, tuple[int, int]]:
    """Per line the quantity and price typed, when either differs from the order."""
    changes, errors = {}, {}
    for line in lines:
        quantity = (values.get(f"quantity_{line.id}") or "").strip()
        try:
            cents = dollars(values, f"price_{line.id}", default=line.unit_price_cents)
        except ValidationFailed as exc:
            errors.update(exc.errors)
            continue
        if quantity and not quantity.isdigit():
            errors[f"quantity_{line.id}"] = _("Enter a whole number.")
            continue
        number = int(quantity) if quantity else line.quantity
        if (number, cents) != (line.quantity, line.unit_price_cents):
            changes[line.id] = (number, cents)
    if errors:
        raise ValidationFailed(errors)
    return changes


@router.post("/dashboard/purchase-orders/{part_id}")
def respond(part_id: int, request: Request, form: FormDep, session: SessionDep,
            settings: SettingsDep, user: CurrentUser):
    part = responses.part_for_group(session=session, actor=user, part_id=part_id)
    values = form_values(form)
    action = values.get("action")
    try:
        with all_or_nothing(session):
            if action == "accept":
                responses.accept(session=session, settings=settings, actor=user, part=part,
                                 ship_by=_ship_by(values))
            elif action == "ship":
                responses.ship(session=session, settings=settings, actor=user, part=part,
                               tracking=values.get("tracking", ""))
            elif action == "decline":
                responses.decline(session=session, settings=settings, actor=user, part=part,
                                  note=values.get("note", ""))
            else:
                lines = _part_lines(session, part)
                responses.propose(session=session, settings=settings, actor=user, part=part,
                                  changes=_changes(values, lines), ship_by=_ship_by(values),
                                  note=values.get("note", ""))
    except ValidationFailed as exc:
        errors = {k.replace("lines.", "quantity_").replace(".quantity", "")
                  .replace(".unit_price_cents", ""): v for k, v in exc.errors.items()}
        return _part_page(request, session, user, part, form=values, errors=errors,
                          status_code=422)
    except Conflict as exc:
        return _part_page(request, session, user, part, form=values,
                          errors={"__all__": exc.detail}, status_code=409)
    flash(request, _("Your answer is sent to the business."), "success")
    return _see_other(f"/dashboard/purchase-orders/{part.id}")


def _part_lines(session, part):
    return list(session.exec(select(PurchaseOrderLine).where(
        PurchaseOrderLine.part_id == part.id).order_by(PurchaseOrderLine.id)))
