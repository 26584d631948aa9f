"""Paying a purchase order's deposit or balance by card: the business's page. The card
form is the retail one (Stripe.js, ``static/js/pay.js``); the POST charges once
(``wholesale.card.pay``) and shows the purchase order again."""

from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse

from marketplace.auth.deps import CurrentUser
from marketplace.core.deps import GatewayDep, SettingsDep
from marketplace.core.templating import flash, render
from marketplace.db import SessionDep, slot_released
from marketplace.errors import Conflict, ValidationFailed
from marketplace.i18n import gettext as _
from marketplace.i18n import usd_to_khr
from marketplace.models import ChargeStatus, PurchaseOrder
from marketplace.payments.gateway import CardDeclined, GatewayUnavailable
from marketplace.wholesale import card, charges

router = APIRouter(tags=["pages"], include_in_schema=False)
DUE = r"^(balance|deposit-[0-9]{1,12})$"


def _page(request: Request, session, settings, order: PurchaseOrder, due: charges.Due, *,
          errors: dict | None = None, client_secret: str | None = None,
          status_code: int = 200):
    part_group = None
    if due.part is not None:
        from marketplace.models import ProducerGroup
        part_group = session.get(ProducerGroup, due.part.group_id)
    return render(request, "wholesale/pay.html", {
        "order": order, "due": due, "group": part_group, "errors": errors or {},
        "amount_khr": usd_to_khr(due.amount_cents, settings.khr_per_usd),
        "publishable_key": settings.stripe_publishable_key or "",
        "stripe_js_url": settings.stripe_js_url, "client_secret": client_secret,
    }, status_code=status_code)


def _back(order: PurchaseOrder) -> RedirectResponse:
    return RedirectResponse(f"/business/purchase-orders/{order.id}", status_code=303)


def _due(session, order: PurchaseOrder, key: str) -> charges.Due | None:
    return next((d for d in charges.dues(session, order) if d.key == key), None)


@router.get("/business/purchase-orders/{order_id}/pay")
def pay_page(order_id: int, request: Request, session: SessionDep, settings: SettingsDep,
             user: CurrentUser, due: Annotated[str, Query(pattern=DUE)] = "balance"):
    order = charges.payable_order(session, user, order_id)
    found = _due(session, order, due)
    if found is None:
        flash(request, _("Nothing is due by card on this purchase order now."), "info")
        return _back(order)
    return _page(request, session, settings, order, found)


@router.post("/business/purchase-orders/{order_id}/pay")
def pay(order_id: int, request: Request, session: SessionDep, settings: SettingsDep,
        gateway: GatewayDep, user: CurrentUser,
        due: Annotated[str, Form(pattern=DUE)] = "balance",
        payment_method: Annotated[str, Form(max_length=200)] = ""):
    order = charges.payable_order(session, user, order_id)
    found = _due(session, order, due)
    if found is None:
        return _back(order)
    try:
        charge = card.pay(session=session, settings=settings, gateway=gateway, actor=user,
                          order=order, due_key=due, payment_method=payment_method,
                          idempotency_key=f"{due}-{payment_method.strip()}",
                          waiting=lambda: slot_released(request))
    except ValidationFailed as exc:
        return _page(request, session, settings, order, found, status_code=422,
                     errors={"form": exc.errors.get("payment_method", exc.detail)})
    except CardDeclined as exc:
        return _page(request, session, settings, order, found, status_code=422, errors={
            "form": exc.message or _("Your card was declined. Try another card.")})
    except GatewayUnavailable:
        return _page(request, session, settings, order, found, status_code=503, errors={
            "form": _("We could not reach the card processor. Try again in a minute; "
                      "you will not be charged twice.")})
    except Conflict as exc:
        return _page(request, session, settings, order, found, status_code=409,
                     errors={"form": exc.detail})
    if charge.status == ChargeStatus.SUCCEEDED:
        flash(request, _("Thank you: your card payment is received."), "success")
    elif charge.status == ChargeStatus.FAILED:
        return _page(request, session, settings, order, found, status_code=422, errors={
            "form": _("Your card was declined. Try another card.")})
    else:
        flash(request, _("Your card payment is being confirmed; this page shows it once "
                         "it is."), "info")
    return _back(order)
