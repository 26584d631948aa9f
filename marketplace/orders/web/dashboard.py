"""Producer dashboard: the paid parcels of the member's groups, and the buttons that move
each one on (accept, packed, shipped with carrier and tracking number, delivered)."""

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse

from marketplace.auth.deps import CurrentUser
from marketplace.config import get_settings
from marketplace.core.deps import SettingsDep
from marketplace.core.forms import FormDep, form_values
from marketplace.core.templating import flash, render
from marketplace.db import SessionDep, all_or_nothing
from marketplace.errors import BadRequest, InvalidTransition, ValidationFailed
from marketplace.i18n import N_, localized
from marketplace.i18n import gettext as _
from marketplace.models import FulfilmentStatus
from marketplace.orders import service as orders
from marketplace.orders.address import shipping_address
from marketplace.orders.service import queries
from marketplace.orders.web.buyer import LABELS

router = APIRouter(tags=["pages"], include_in_schema=False)

# The next steps a group may take from each status: (target status, button label).
ACTIONS = {
    "new": [("in_production", N_("Accept: start making")), ("packed", N_("Packed"))],
    "in_production": [("packed", N_("Packed"))],
    "packed": [("shipped", N_("Shipped"))],
    "shipped": [("delivered", N_("Delivered"))],
}
DONE = {
    "in_production": N_("Order %(number)s accepted."),
    "packed": N_("Order %(number)s is packed."),
    "shipped": N_("Order %(number)s is shipped; the buyer gets the tracking number by email."),
    "delivered": N_("Order %(number)s is delivered."),
}


def _page(request: Request, session, user, *, errors: dict | None = None,
          form: dict | None = None, error_id: int | None = None, status_code: int = 200):
    rows = queries.fulfilments_for_member(session=session, actor=user)
    return render(request, "orders/dashboard.html", {
        "rows": [(f, order, lines, shipping_address(order)) for f, order, lines in rows],
        "actions": ACTIONS, "labels": LABELS, "localized": localized,
        "errors": errors or {}, "form": form or {}, "error_id": error_id,
        "packing_point": get_settings().packing_point_address,
    }, status_code=status_code)


@router.get("/dashboard/orders")
def fulfilments(request: Request, session: SessionDep, user: CurrentUser):
    return _page(request, session, user)


@router.post("/dashboard/orders/{fulfilment_id}/status")
def move(fulfilment_id: int, request: Request, form: FormDep, session: SessionDep,
         settings: SettingsDep, user: CurrentUser):
    values = form_values(form)
    try:
        to = FulfilmentStatus(values.get("to", ""))
    except ValueError as exc:
        raise BadRequest() from exc
    if to not in DONE:
        raise BadRequest()
    fulfilment = orders.get_fulfilment(session=session, fulfilment_id=fulfilment_id)
    try:
        with all_or_nothing(session):  # a refused change leaves nothing behind
            orders.set_fulfilment_status(
                session=session, settings=settings, actor=user, fulfilment=fulfilment, to=to,
                carrier=values.get("carrier"), tracking_number=values.get("tracking_number"))
    except ValidationFailed as exc:
        return _page(request, session, user, errors=exc.errors, form=values,
                     error_id=fulfilment_id, status_code=422)
    except InvalidTransition:
        flash(request, _("This parcel has already moved on; here is where it is now."),
              "error")
        return RedirectResponse(f"/dashboard/orders#f-{fulfilment_id}", status_code=303)
    order = queries.order_of(session=session, fulfilment=fulfilment)
    flash(request, _(DONE[to], number=order.number), "success")
    return RedirectResponse(f"/dashboard/orders#f-{fulfilment_id}", status_code=303)
