"""The buyer's order pages: one order (for whoever ``orders.service.access`` allows: the account that
placed it, staff, or the holder of its signed link, which the browser that placed it keeps),
the buyer cancelling an unpaid order, and the account's order history."""

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse

from marketplace.auth.deps import CurrentUser, OptionalUser
from marketplace.cart.views import remember_count
from marketplace.catalog.views import thumbnails
from marketplace.core.forms import FormDep
from marketplace.core.templating import flash, render
from marketplace.db import SessionDep, all_or_nothing
from marketplace.errors import Conflict
from marketplace.i18n import N_, localized
from marketplace.i18n import gettext as _
from marketplace.models import Order, OrderStatus
from marketplace.orders import service as orders
from marketplace.orders import views
from marketplace.orders.address import shipping_address
from marketplace.orders.service import unpaid

router = APIRouter(tags=["pages"], include_in_schema=False)

HISTORY = 100  # orders shown on the account's history page
ORDER_STATUS_LABELS = {
    "pending_payment": N_("Waiting for payment"),
    "paid": N_("Paid"),
    "cancelled": N_("Cancelled"),
    "partly_refunded": N_("Paid, partly refunded"),
    "refunded": N_("Refunded"),
}
FULFILMENT_STATUS_LABELS = {
    "awaiting_payment": N_("Waiting for payment"),
    "new": N_("New: the group has been told"),
    "in_production": N_("Being made"),
    "packed": N_("Packed"),
    "shipped": N_("Shipped"),
    "delivered": N_("Delivered"),
    "cancelled": N_("Cancelled"),
}
LABELS = {"order": ORDER_STATUS_LABELS, "fulfilment": FULFILMENT_STATUS_LABELS}
CONFIRMING = {"succeeded", "processing"}  # Stripe's redirect_status after the card step


def parcels(session, order: Order) -> list[tuple]:
    """(fulfilment, its lines) for each producer group's parcel."""
    lines = orders.lines_of(session=session, order_id=order.id)
    return [(f, [line for line in lines if line.fulfilment_id == f.id])
            for f in orders.fulfilments_of(session=session, order_id=order.id)]


@router.get("/orders/{number}")
def order_page(number: str, request: Request, session: SessionDep, user: OptionalUser):
    order = views.order_for_page(request, session, user, number)
    remember_count(request, session, user)  # a paid order's pieces have left the cart
    confirming = order.status == OrderStatus.PENDING_PAYMENT and \
        request.query_params.get("redirect_status") in CONFIRMING
    shown = parcels(session, order)
    return render(request, "orders/detail.html", {
        "order": order, "parcels": shown, "labels": LABELS,
        "address": shipping_address(order), "confirming": confirming,
        "localized": localized,
        "thumbs": thumbnails(request, session, [line.product_id for _f, lines in shown
                                                for line in lines]),
    })


@router.post("/orders/{number}/cancel")
def cancel(number: str, request: Request, form: FormDep, session: SessionDep,
           user: OptionalUser):
    """The buyer cancels their unpaid order: its pieces are no longer held for them."""
    order = views.order_for_page(request, session, user, number)
    try:
        with all_or_nothing(session):
            unpaid.cancel_by_buyer(session=session, order=order, actor=user)
    except Conflict as exc:  # already paid or cancelled, or a payment is under way
        flash(request, exc.detail)
    else:
        flash(request, _("Order %(number)s is cancelled: its pieces are no longer held for "
                         "you.", number=order.number))
    return RedirectResponse(_after_cancel(form.get("next")) or f"/orders/{order.number}",
                            status_code=303)


def _after_cancel(target) -> str | None:
    """Where the cancel form asks to go next: only the cart or the checkout."""
    return target if target in ("/cart", "/checkout") else None


@router.get("/account/orders")
def history(request: Request, session: SessionDep, user: CurrentUser):
    """The account's orders, newest first, each with its pieces: photo, name and price."""
    rows = orders.orders_of(session=session, user=user, limit=HISTORY)[0]
    lines, _parcels = orders.details_of(session=session, order_ids=[o.id for o in rows])
    return render(request, "orders/history.html", {
        "orders": rows, "lines": lines, "labels": LABELS, "localized": localized,
        "thumbs": thumbnails(request, session, [line.product_id for order_lines in
                                                lines.values() for line in order_lines]),
    })
