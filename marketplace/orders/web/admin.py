"""Admin pages for orders: search by number, email or status; one order with its lines,
refunds (per line or the whole order, through the card processor), cancelling an unpaid
order, and the order's audit history."""

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse

from marketplace import audit
from marketplace.auth.deps import AdminUser
from marketplace.core.deps import GatewayDep, SettingsDep
from marketplace.core.forms import FormDep, form_values
from marketplace.core.money import NotAnAmount, parse_dollars, plain_dollars
from marketplace.core.templating import flash, render
from marketplace.db import SessionDep, all_or_nothing, slot_released
from marketplace.errors import Conflict, ValidationFailed
from marketplace.i18n import format_usd, localized
from marketplace.i18n import gettext as _
from marketplace.models import OrderStatus, RefundStatus
from marketplace.orders import service as orders
from marketplace.orders.address import shipping_address
from marketplace.orders.service import flows, forwarding, queries, refunds
from marketplace.orders.web.buyer import LABELS, parcels

router = APIRouter(tags=["pages"], include_in_schema=False)

STATUSES = "^(|" + "|".join(OrderStatus) + ")$"


def parse_amount(raw) -> int:
    """Dollars as typed ("12.50", "$12") to cents, exactly; ValidationFailed on ``amount``."""
    try:
        return parse_dollars(raw)
    except NotAnAmount as exc:
        raise ValidationFailed({"amount": _("Enter an amount in dollars, like 12.50.")}) from exc


@router.get("/admin/orders")
def search(request: Request, session: SessionDep, admin: AdminUser,
           q: Annotated[str, Query(max_length=254)] = "",
           status: Annotated[str, Query(pattern=STATUSES)] = ""):
    found = queries.search(session=session, actor=admin, text=q, status=status or None)
    return render(request, "orders/admin_list.html", {
        "orders": found, "q": q, "status": status, "labels": LABELS,
        "statuses": list(OrderStatus), "limit": queries.PAGE_SIZE,
    })


def _detail(request: Request, session, admin, order, *, errors: dict | None = None,
            form: dict | None = None, target: str | None = None, status_code: int = 200):
    """The order page; ``target`` names the refund form (line id or "order") with errors."""
    shown = parcels(session, order)
    order_refunds = queries.refunds_of(session=session, actor=admin, order=order)
    return render(request, "orders/admin_detail.html", {
        "order": order, "parcels": shown, "labels": LABELS, "localized": localized,
        "address": shipping_address(order), "dollars": plain_dollars,
        "refunds": order_refunds,
        "pending_refund_cents": sum(r.amount_cents for r in order_refunds
                                    if r.status == RefundStatus.PENDING),
        "history": audit.history(session=session, entity_type="order", entity_id=order.id),
        "refundable": order.status in refunds.REFUNDABLE,
        "cancellable": order.status == OrderStatus.PENDING_PAYMENT,
        "forward_ready": forwarding.ready(order, [f for f, _lines in shown]),
        "errors": errors or {}, "form": form or {}, "target": target,
    }, status_code=status_code)


@router.get("/admin/orders/{number}")
def detail(number: str, request: Request, session: SessionDep, admin: AdminUser):
    order = orders.get_by_number(session=session, number=number[:24])
    return _detail(request, session, admin, order)


@router.post("/admin/orders/{number}/refund")
def refund(number: str, request: Request, form: FormDep, session: SessionDep, admin: AdminUser,
           gateway: GatewayDep):
    order = orders.get_by_number(session=session, number=number[:24])
    values = form_values(form)
    line = values.get("line_id", "")
    target = line if line.isdigit() else "order"
    try:
        amount = parse_amount(values.get("amount"))
        done = flows.refund(session=session, gateway=gateway, actor=admin, order=order,
                            line_id=int(line) if line.isdigit() else None,
                            amount_cents=amount, reason=values.get("reason", ""),
                            waiting=lambda: slot_released(request))
    except ValidationFailed as exc:
        errors = {("amount" if key == "amount_cents" else key): message
                  for key, message in exc.errors.items()}
        session.refresh(order)
        return _detail(request, session, admin, order, errors=errors, form=values,
                       target=target, status_code=422)
    except Conflict as exc:
        flash(request, exc.detail, "error")
        return RedirectResponse(f"/admin/orders/{order.number}", status_code=303)
    amount = format_usd(done.amount_cents)
    if done.status == RefundStatus.SUCCEEDED:
        flash(request, _("Refunded %(amount)s to the buyer's card.", amount=amount), "success")
    elif done.status == RefundStatus.FAILED:
        flash(request, _("The card processor refused the refund of %(amount)s, so nothing "
                         "was refunded: %(why)s", amount=amount, why=done.failure), "error")
    else:
        flash(request, _("The refund of %(amount)s is recorded. The card processor has not "
                         "confirmed it yet; it will be completed automatically.",
                         amount=amount), "info")
    return RedirectResponse(f"/admin/orders/{order.number}", status_code=303)


@router.post("/admin/orders/{number}/cancel")
def cancel(number: str, request: Request, form: FormDep, session: SessionDep, admin: AdminUser):
    order = orders.get_by_number(session=session, number=number[:24])
    values = form_values(form)
    try:
        with all_or_nothing(session):
            orders.cancel_unpaid(session=session, actor=admin, order=order,
                                 reason=values.get("reason", "")[:500])
    except Conflict as exc:
        flash(request, exc.detail, "error")
        return RedirectResponse(f"/admin/orders/{order.number}", status_code=303)
    flash(request, _("Order %(number)s is cancelled; its pieces are for sale again.",
                     number=order.number), "success")
    return RedirectResponse(f"/admin/orders/{order.number}", status_code=303)


@router.post("/admin/orders/{number}/forward")
def forward(number: str, request: Request, form: FormDep, session: SessionDep, admin: AdminUser,
            settings: SettingsDep):
    """Record the one shipment abroad of a consolidated order; the buyer is emailed."""
    order = orders.get_by_number(session=session, number=number[:24])
    values = form_values(form)
    try:
        with all_or_nothing(session):
            forwarding.forward(session=session, settings=settings, actor=admin, order=order,
                               fulfilments=orders.fulfilments_of(session=session,
                                                                 order_id=order.id),
                               carrier=values.get("carrier", ""),
                               tracking_number=values.get("tracking_number", ""))
    except ValidationFailed as exc:
        session.refresh(order)
        return _detail(request, session, admin, order, errors=exc.errors, form=values,
                       target="forward", status_code=422)
    except Conflict as exc:
        flash(request, exc.detail, "error")
        return RedirectResponse(f"/admin/orders/{order.number}", status_code=303)
    flash(request, _("The shipment abroad is recorded; the buyer is emailed its tracking "
                     "number."), "success")
    return RedirectResponse(f"/admin/orders/{order.number}", status_code=303)
