"""HTML pages for quotes: a business asks and accepts, a group answers or declines."""

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse

from marketplace import access
from marketplace.auth.deps import CurrentUser
from marketplace.core.deps import SettingsDep
from marketplace.core.forms import FormDep, dollars, field_errors, form_values
from marketplace.core.templating import flash, render
from marketplace.db import SessionDep, all_or_nothing
from marketplace.errors import Conflict, ValidationFailed
from marketplace.i18n import N_
from marketplace.i18n import gettext as _
from marketplace.models import PaymentMethod, Product
from marketplace.wholesale import purchasing, quotes

router = APIRouter(tags=["pages"], include_in_schema=False)
STATUS_LABELS = {"requested": N_("Waiting for the group"), "answered": N_("Price given"),
                 "accepted": N_("Accepted"), "declined": N_("Declined"),
                 "withdrawn": N_("Withdrawn")}


def _whole(values: dict, name: str) -> int:
    text = (values.get(name) or "").strip()
    if not text.isdigit() or int(text) < 1:
        raise ValidationFailed({name: _("Enter a whole number.")})
    return int(text)


def _business_page(request, session, user, *, form: dict | None = None,
                   errors: dict | None = None, status_code: int = 200, product_id: int = 0):
    business = purchasing.buying_business(session, user)
    rows = quotes.list_quotes(session=session, actor=user)
    products = {p.id: p for p in [session.get(Product, q.product_id) for q in rows] if p}
    return render(request, "wholesale/quotes.html", {
        "quotes": rows, "products": products, "business": business, "group_side": False,
        "asked": session.get(Product, product_id) if product_id else None,
        "labels": STATUS_LABELS, "form": form or {}, "errors": field_errors(errors or {}),
    }, status_code=status_code)


@router.get("/business/quotes")
def business_quotes(request: Request, session: SessionDep, user: CurrentUser,
                    product_id: Annotated[int, Query(ge=0)] = 0):
    return _business_page(request, session, user, product_id=product_id,
                          form={"product_id": str(product_id or "")})


@router.post("/business/quotes")
def ask(request: Request, form: FormDep, session: SessionDep, settings: SettingsDep,
        user: CurrentUser):
    values = form_values(form)
    try:
        with all_or_nothing(session):
            quotes.ask(session=session, settings=settings, actor=user,
                       product_id=_whole(values, "product_id"),
                       quantity=_whole(values, "quantity"), request=values.get("request", ""))
    except ValidationFailed as exc:
        return _business_page(request, session, user, form=values, errors=exc.errors,
                              status_code=422)
    flash(request, _("Your request is sent to the group."), "success")
    return RedirectResponse("/business/quotes", status_code=303)


@router.post("/business/quotes/{quote_id}/accept")
def accept(quote_id: int, request: Request, form: FormDep, session: SessionDep,
           settings: SettingsDep, user: CurrentUser):
    quote = quotes.for_business(session=session, actor=user, quote_id=quote_id)
    values = form_values(form)
    method = values.get("payment_method", "card")
    try:
        with all_or_nothing(session):
            order = quotes.accept(session=session, settings=settings, actor=user, quote=quote,
                                  payment_method=PaymentMethod(method)
                                  if method in ("card", "invoice") else PaymentMethod.CARD,
                                  reference=values.get("reference", ""))
    except Conflict as exc:
        return _business_page(request, session, user, errors={"__all__": exc.detail},
                              status_code=409)
    flash(request, _("Purchase order %(number)s is confirmed.", number=order.number),
          "success")
    return RedirectResponse(f"/business/purchase-orders/{order.id}", status_code=303)


def _group_page(request, session, user, group_id, *, form: dict | None = None,
                errors: dict | None = None, status_code: int = 200):
    rows = quotes.list_quotes(session=session, actor=user, group_id=group_id)
    products = {p.id: p for p in [session.get(Product, q.product_id) for q in rows] if p}
    return render(request, "wholesale/quotes.html", {
        "quotes": rows, "products": products, "group_side": True, "group_id": group_id,
        "labels": STATUS_LABELS, "form": form or {}, "errors": field_errors(errors or {}),
    }, status_code=status_code)


@router.get("/dashboard/quotes")
def group_quotes(request: Request, session: SessionDep, user: CurrentUser,
                 group_id: Annotated[int | None, Query(ge=1)] = None):
    ids = access.accessible_group_ids(session=session, user=user)
    group_id = group_id if group_id in ids else (ids[0] if ids else None)
    if group_id is None:
        return RedirectResponse("/dashboard", status_code=303)
    return _group_page(request, session, user, group_id)


@router.post("/dashboard/quotes/{quote_id}")
def respond(quote_id: int, request: Request, form: FormDep, session: SessionDep,
            settings: SettingsDep, user: CurrentUser):
    quote = quotes.for_group(session=session, actor=user, quote_id=quote_id)
    values = form_values(form)
    try:
        with all_or_nothing(session):
            if values.get("action") == "decline":
                quotes.decline(session=session, settings=settings, actor=user, quote=quote,
                               note=values.get("answer", ""))
            else:
                quotes.answer(session=session, settings=settings, actor=user, quote=quote,
                              unit_price_cents=dollars(values, "price"),
                              lead_time_days=_whole(values, "lead_time_days"),
                              note=values.get("answer", ""))
    except ValidationFailed as exc:
        return _group_page(request, session, user, quote.group_id, form=values,
                           errors=exc.errors, status_code=422)
    except Conflict as exc:
        return _group_page(request, session, user, quote.group_id,
                           errors={"__all__": exc.detail}, status_code=409)
    flash(request, _("Your answer is sent to the business."), "success")
    return RedirectResponse(f"/dashboard/quotes?group_id={quote.group_id}", status_code=303)
