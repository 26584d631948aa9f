"""Checkout without JavaScript: contact and address (a Cambodian address chosen level by level
with the official codes, or an address abroad), the shipping option with its price per
parcel, then a summary that shows where every dollar goes, and "Place order"."""

import secrets

from babel import Locale
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, RedirectResponse

from marketplace import geo
from marketplace.auth.deps import OptionalUser
from marketplace.cart import service as carts
from marketplace.cart.views import cart_page, current_cart, remember_count
from marketplace.checkout import service
from marketplace.checkout.service import address as address_rule
from marketplace.checkout.service import shipping
from marketplace.checkout.service.address import CODES, Address
from marketplace.checkout.service.idempotency import IdempotencyKeyReused
from marketplace.core.clientip import client_ip
from marketplace.core.deps import SettingsDep
from marketplace.core.forms import FormDep, form_values
from marketplace.core.templating import flash, khr, render
from marketplace.db import SessionDep, all_or_nothing
from marketplace.errors import InsufficientStock, ValidationFailed
from marketplace.i18n import current_locale, format_khr, format_usd, localized
from marketplace.i18n import gettext as _
from marketplace.models import StockMode
from marketplace.orders import views
from marketplace.orders.service.unpaid import TooManyUnpaidOrders

router = APIRouter(tags=["pages"], include_in_schema=False)

FIELDS = ("email", "full_name", "phone", "destination", *CODES, "address_line", "landmark",
          "country", "city", "postal_code", "shipping_option")


def country_names() -> list[tuple[str, str]]:
    names = Locale.parse(current_locale.get()).territories
    return sorted(((code, names.get(code, code)) for code in address_rule.COUNTRIES),
                  key=lambda c: c[1])


def _country(values: dict) -> str | None:
    """KH for Cambodia, the chosen country abroad, or None when not chosen yet."""
    if values.get("destination", "KH") != "abroad":
        return "KH"
    country = (values.get("country") or "").upper()
    return country if country in address_rule.COUNTRIES else None


def parse_address(values: dict) -> Address:
    """The address the form describes, by the one address rule; ValidationFailed names
    every field to fix (the country too, when "abroad" is chosen without one)."""
    return address_rule.parse_address({**values, "country": _country(values) or "-"})


def _shipping_choices(session, settings, cart, values: dict) -> list[dict]:
    """The options for the destination, priced per parcel when the destination is known."""
    country = _country(values)
    province = values.get("province_code") if country == "KH" else None
    known = country is not None and (country != "KH" or geo.province(province or ""))
    choices = []
    for option in shipping.options_for(country or "ZZ"):
        price = None
        if known:
            address = Address(full_name="", email="", phone="", country=country,
                                     shipping_option=option.code, province_code=province)
            price = service.quote(session=session, settings=settings, cart=cart,
                                 address=address).shipping_cents
        choices.append({"code": option.code, "label": option.label, "days": option.days,
                        "price": price})
    return choices


def _blocked(request: Request, session, cart, exc, status_code: int):
    """The cart page with the message that stops the checkout (a piece sold out, gone)."""
    message = exc.detail if not isinstance(exc, ValidationFailed) else \
        next(iter(exc.errors.values()))
    return cart_page(request, session, cart, message=message, status_code=status_code)


def _form(request: Request, session, settings, cart, values: dict, *,
          errors: dict | None = None, status_code: int = 200):
    try:
        basket = service.quote(session=session, settings=settings, cart=cart)
        choices = _shipping_choices(session, settings, cart, values)
    except ValidationFailed as exc:
        return _blocked(request, session, cart, exc, 422)
    remember_count(request, session, None, sum(line.quantity for line in basket.lines))
    return render(request, "checkout/form.html", {
        "form": values, "errors": errors or {}, "address": geo.address_choices(values),
        "countries": country_names(), "abroad": values.get("destination") == "abroad",
        "shipping_choices": choices, "basket": basket, "to_khr": khr(request),
    }, status_code=status_code)


def _summary(request: Request, values: dict, address: Address, quote: service.Quote,
             *, message: str | None = None, status_code: int = 200, unpaid=()):
    """What the buyer confirms: lines with the split, parcels, total; a fresh key (and,
    when the unpaid limit stops the order, the buyer's unpaid orders to pay or cancel)."""
    groups = {line.group.id: line.group for line in quote.lines}
    countries = dict(country_names())
    return render(request, "checkout/summary.html", {
        "values": {key: values.get(key, "") for key in FIELDS},
        "address": address, "quote": quote, "message": message,
        "place": geo.describe(address.village_code or address.commune_code,
                              address.province_code)
        if address.country == "KH" else countries.get(address.country, address.country),
        "option": shipping.OPTIONS[address.shipping_option],
        "parcels": [(groups[gid], cents) for gid, cents in quote.shipping_by_group.items()],
        "idempotency_key": secrets.token_urlsafe(16), "to_khr": khr(request),
        "localized": localized, "made_to_order": StockMode.MADE_TO_ORDER,
        "unpaid": unpaid, "unpaid_next": "/cart",
    }, status_code=status_code)


def _empty(request: Request):
    flash(request, _("Your cart is empty."))
    return RedirectResponse("/cart", status_code=303)


@router.get("/checkout")
def checkout_form(request: Request, session: SessionDep, settings: SettingsDep,
                  user: OptionalUser):
    cart = current_cart(request, session, user)
    if cart is None or not cart_has_lines(session, cart):
        return _empty(request)
    values = {"destination": "KH", "email": user.email if user else "",
              "full_name": user.full_name if user else ""}
    return _form(request, session, settings, cart, values)


@router.get("/checkout/shipping-prices")
def shipping_prices(request: Request, session: SessionDep, settings: SettingsDep,
                    user: OptionalUser, destination: str = "KH", province_code: str = "",
                    country: str = ""):
    """The shipping options' prices for this browser's cart and a destination, as the
    checkout page shows them; address.js updates the page with them, without a reload."""
    cart = current_cart(request, session, user)
    if cart is None or not cart_has_lines(session, cart):
        return JSONResponse({"options": []})
    values = {"destination": destination[:8], "province_code": province_code[:2],
              "country": country[:2]}
    try:
        choices = _shipping_choices(session, settings, cart, values)
    except ValidationFailed:
        return JSONResponse({"options": []})
    to_khr = khr(request)
    return JSONResponse({"options": [
        {"code": c["code"], "price_cents": c["price"],
         "price": format_usd(c["price"]) if c["price"] is not None else None,
         "khr": format_khr(to_khr(c["price"])) if c["price"] is not None else None}
        for c in choices]}, headers={"Cache-Control": "private, no-store"})


def cart_has_lines(session, cart) -> bool:
    return bool(carts.view(session=session, cart=cart))


@router.post("/checkout")
def checkout(request: Request, form: FormDep, session: SessionDep, settings: SettingsDep,
             user: OptionalUser):
    values = form_values(form)
    cart = current_cart(request, session, user)
    if cart is None or not cart_has_lines(session, cart):
        return _empty(request)
    if values.get("step", "review") != "review":  # a "Next" button: show the next level
        return _form(request, session, settings, cart, values)
    try:
        address = parse_address(values)
        quote = service.quote(session=session, settings=settings, cart=cart, address=address)
    except ValidationFailed as exc:
        if set(exc.errors) & {"cart", "quantity"}:
            return _blocked(request, session, cart, exc, 422)
        return _form(request, session, settings, cart, values, errors=exc.errors,
                     status_code=422)
    return _summary(request, values, address, quote)


def _expected_total(raw) -> int:
    """The total the buyer saw; a missing or altered one (-1) shows the summary again."""
    text = raw.strip() if isinstance(raw, str) else ""
    return int(text) if text.isdigit() and len(text) < 12 else -1


@router.post("/checkout/place")
def place(request: Request, form: FormDep, session: SessionDep, settings: SettingsDep,
          user: OptionalUser):
    values = form_values(form)
    cart = current_cart(request, session, user)
    if cart is None or not cart_has_lines(session, cart):
        return _empty(request)
    key = (values.get("idempotency_key") or "").strip()[:80] or None
    try:
        address = parse_address(values)
        with all_or_nothing(session):  # a refused order leaves nothing behind
            order, _created = service.place_order(
                session=session, settings=settings, cart=cart, user=user, address=address,
                idempotency_key=key, client_ip=client_ip(request),
                expected_total_cents=_expected_total(values.get("expected_total_cents")))
    except service.PriceChanged as exc:
        quote = service.quote(session=session, settings=settings, cart=cart, address=address)
        return _summary(request, values, address, quote, message=exc.detail, status_code=409)
    except IdempotencyKeyReused:  # this confirmation already placed another order
        quote = service.quote(session=session, settings=settings, cart=cart, address=address)
        return _summary(request, values, address, quote, status_code=422, message=_(
            "This confirmation was already used for an order with other details. Check "
            "this order, then place it."))
    except TooManyUnpaidOrders as exc:
        quote = service.quote(session=session, settings=settings, cart=cart, address=address)
        return _summary(request, values, address, quote, message=exc.detail,
                        status_code=429, unpaid=exc.unpaid)
    except InsufficientStock as exc:
        return _blocked(request, session, cart, exc, 409)
    except ValidationFailed as exc:
        if set(exc.errors) & {"cart", "quantity"}:
            return _blocked(request, session, cart, exc, 422)
        return _form(request, session, settings, cart, values, errors=exc.errors,
                     status_code=422)
    views.remember(request, settings, order)
    return RedirectResponse(f"/orders/{order.number}/pay", status_code=303)
