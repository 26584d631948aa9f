"""The card payment page: the one page that needs JavaScript (Stripe.js collects the card).

GET shows the total and the card form; pay.js turns the card into a PaymentMethod and posts
its id here with the CSRF token. The POST charges once (``orders.flows.pay``: the attempt is
committed before Stripe is called) and sends the
buyer to the order page, which says "being confirmed" until the verified webhook marks the
order paid. A refused card shows this page again (422) with a friendly message; the order
and its reservation stay, so another card can be tried.
"""

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse

from marketplace.auth.deps import OptionalUser
from marketplace.config import Settings
from marketplace.core.deps import GatewayDep, SettingsDep
from marketplace.core.templating import render
from marketplace.db import SessionDep, slot_released
from marketplace.errors import Conflict, ValidationFailed
from marketplace.i18n import gettext as _
from marketplace.i18n import usd_to_khr
from marketplace.models import Order
from marketplace.orders import views
from marketplace.orders.service import flows
from marketplace.orders.service import payment as card
from marketplace.payments.gateway import CardDeclined, GatewayUnavailable

router = APIRouter(tags=["pages"], include_in_schema=False)
CONFIRMING = ("succeeded", "processing", "requires_capture")


def _order(request: Request, session, user, number: str) -> Order:
    return views.order_for_page(request, session, user, number)


def _page(request: Request, settings: Settings, order: Order, *, errors: dict | None = None,
          client_secret: str | None = None, status_code: int = 200):
    return render(request, "checkout/pay.html", {
        "order": order, "state": card.payable(order), "errors": errors or {},
        "total_khr": usd_to_khr(order.total_cents, settings.khr_per_usd),
        "publishable_key": settings.stripe_publishable_key or "",
        "stripe_js_url": settings.stripe_js_url, "client_secret": client_secret,
    }, status_code=status_code)


def _to_order(number: str, status: str | None = None) -> RedirectResponse:
    query = f"?redirect_status={status}" if status else ""
    return RedirectResponse(f"/orders/{number}{query}", status_code=303)


@router.get("/orders/{number}/pay")
def pay_page(number: str, request: Request, session: SessionDep, settings: SettingsDep,
             user: OptionalUser):
    order = _order(request, session, user, number)
    if card.payable(order) == "paid":
        return _to_order(order.number)
    return _page(request, settings, order)


@router.post("/orders/{number}/pay")
def pay(number: str, request: Request, session: SessionDep, settings: SettingsDep,
        gateway: GatewayDep, user: OptionalUser,
        payment_method: Annotated[str, Form(max_length=200)] = ""):
    order = _order(request, session, user, number)
    try:
        intent = flows.pay(session=session, gateway=gateway, order=order,
                           payment_method=payment_method,
                           waiting=lambda: slot_released(request))
    except card.AlreadyPaid:
        return _to_order(order.number)
    except card.NotPayable:
        return _page(request, settings, order, status_code=409)
    except Conflict as exc:  # another attempt is under way, or the amount did not match
        return _page(request, settings, order, status_code=409, errors={"form": exc.detail})
    except ValidationFailed as exc:
        return _page(request, settings, order, errors={"form": exc.errors["payment_method"]},
                     status_code=422)
    except CardDeclined as exc:
        return _page(request, settings, order, status_code=422, errors={
            "form": exc.message or _("Your card was declined. Try another card.")})
    except GatewayUnavailable:
        return _page(request, settings, order, status_code=503, errors={
            "form": _("We could not reach the card processor. Try again in a minute; "
                      "you will not be charged twice.")})
    if intent.status in CONFIRMING:
        return _to_order(order.number, intent.status)
    if intent.status == "requires_action":  # the bank's own check (3-D Secure), in pay.js
        return _page(request, settings, order, client_secret=intent.client_secret, errors={
            "form": _("Your bank asks you to confirm this payment.")})
    return _page(request, settings, order, status_code=422, errors={
        "form": _("Your card was declined. Try another card.")})
