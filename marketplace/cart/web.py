"""The cart page: lines with current prices and stock warnings, quantities, removal, and
adding a piece from the product page. The anonymous cart's token lives in the signed session
cookie (``request.session["cart"]``); a logged-in buyer's cart is the account's, and an
anonymous cart found in the session is merged into it on the first cart or checkout page."""

import re

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse

from marketplace.auth.deps import OptionalUser
from marketplace.cart import service as carts
from marketplace.catalog.service import get_visible_product, variants_of
from marketplace.catalog.views import localized
from marketplace.core.forms import FormDep, form_values
from marketplace.core.templating import flash, render
from marketplace.db import SessionDep
from marketplace.errors import Forbidden, NotFound, ValidationFailed
from marketplace.i18n import gettext as _
from marketplace.i18n import usd_to_khr
from marketplace.models import Cart, StockMode

router = APIRouter(tags=["pages"], include_in_schema=False)

SESSION_KEY = "cart"
NUMBER = re.compile(r"\d{1,9}")


def current_cart(request: Request, session, user, *, create: bool = False) -> Cart | None:
    """This browser's cart (the account's for a logged-in buyer, merging the anonymous one
    in once, after which the session forgets its token)."""
    token = request.session.get(SESSION_KEY)
    try:
        cart = carts.current(session=session, token=token, user=user, create=create)
    except Forbidden:  # another account's cart: forget the token
        request.session.pop(SESSION_KEY, None)
        cart = carts.current(session=session, token=None, user=user, create=create)
    if user is not None:
        request.session.pop(SESSION_KEY, None)
    elif cart is not None and cart.token != token:
        request.session[SESSION_KEY] = cart.token
    return cart


def khr(request: Request):
    """Cents to riel at the configured rate, for templates: ``to_khr(cents)|khr``."""
    rate = request.app.state.settings.khr_per_usd
    return lambda cents: usd_to_khr(cents, rate)


def parse_quantity(raw, *, allow_zero: bool) -> int:
    """A quantity typed in a form: 0 (when it removes) or 1 to 100; a message otherwise."""
    text = raw.strip() if isinstance(raw, str) else ""
    low = 0 if allow_zero else 1
    if NUMBER.fullmatch(text) and low <= int(text) <= carts.MAX_QUANTITY:
        return int(text)
    if allow_zero:
        message = _("Enter a quantity from 0 to %(n)s (0 removes the piece).",
                    n=carts.MAX_QUANTITY)
    else:
        message = _("Enter a quantity from 1 to %(n)s.", n=carts.MAX_QUANTITY)
    raise ValidationFailed({"quantity": message})


def cart_page(request: Request, session, cart: Cart | None, *, errors: dict | None = None,
              form: dict | None = None, error_line: int | None = None,
              message: str | None = None, status_code: int = 200):
    """The cart, optionally with a message for one line's quantity or for the whole cart."""
    lines = carts.view(session=session, cart=cart)
    subtotal = sum(line.total_cents for line in lines)
    return render(request, "cart/cart.html", {
        "lines": lines,
        "subtotal_cents": subtotal,
        "to_khr": khr(request),
        "localized": localized,
        "made_to_order": StockMode.MADE_TO_ORDER,
        "errors": errors or {},
        "form": form or {},
        "error_line": error_line,
        "message": message,
        "blocked": any(line.warning for line in lines),
    }, status_code=status_code)


@router.get("/cart")
def show(request: Request, session: SessionDep, user: OptionalUser):
    return cart_page(request, session, current_cart(request, session, user))


def _product_id(raw) -> int:
    if not isinstance(raw, str) or not NUMBER.fullmatch(raw.strip()):
        raise NotFound(_("This piece is not for sale."))
    return int(raw.strip())


def _variant_id(raw) -> int | None:
    text = raw.strip() if isinstance(raw, str) else ""
    if not text:
        return None
    if not NUMBER.fullmatch(text):
        raise ValidationFailed({"variant_id": _("Choose one of this piece's options.")})
    return int(text)


def _add_page(request: Request, session, product_id: int, values: dict,
              errors: dict | None = None, status_code: int = 200):
    """A small page to add a piece (the product page's form when the page came from the
    shared cache, and the form again with a message)."""
    product = get_visible_product(session=session, product_id=product_id)
    title, title_lang = localized(product.title, product.title_km)
    return render(request, "cart/add.html", {
        "product": product, "title": title, "title_lang": title_lang,
        "variants": variants_of(session=session, product_ids=[product.id])[product.id],
        "to_khr": khr(request), "form": values, "errors": errors or {},
    }, status_code=status_code)


@router.get("/cart/add")
def add_form(request: Request, session: SessionDep, user: OptionalUser):
    values = dict(request.query_params)
    values.setdefault("quantity", "1")
    return _add_page(request, session, _product_id(values.get("product_id")), values)


@router.post("/cart/add")
def add(request: Request, form: FormDep, session: SessionDep, user: OptionalUser):
    values = form_values(form)
    product_id = _product_id(values.get("product_id"))
    try:
        variant_id = _variant_id(values.get("variant_id"))
        quantity = parse_quantity(values.get("quantity", "1") or "1", allow_zero=False)
        cart = current_cart(request, session, user, create=True)
        carts.add(session=session, cart=cart, product_id=product_id, variant_id=variant_id,
                  quantity=quantity)
    except ValidationFailed as exc:
        return _add_page(request, session, product_id, values, exc.errors, status_code=422)
    product = get_visible_product(session=session, product_id=product_id)
    title, _lang = localized(product.title, product.title_km)
    flash(request, _("“%(title)s” is in your cart.", title=title), "success")
    return RedirectResponse("/cart", status_code=303)


@router.post("/cart/lines/{line_id}")
def set_quantity(line_id: int, request: Request, form: FormDep, session: SessionDep,
                 user: OptionalUser):
    values = form_values(form)
    cart = current_cart(request, session, user)
    if cart is None:
        raise NotFound(_("This piece is not in your cart."))
    try:
        quantity = parse_quantity(values.get("quantity"), allow_zero=True)
        carts.set_quantity(session=session, cart=cart, line_id=line_id, quantity=quantity)
    except ValidationFailed as exc:
        return cart_page(request, session, cart, errors=exc.errors, form=values,
                         error_line=line_id, status_code=422)
    flash(request, _("Your cart is updated.") if quantity else
          _("The piece is removed from your cart."), "success")
    return RedirectResponse("/cart", status_code=303)


@router.post("/cart/lines/{line_id}/remove")
def remove(line_id: int, request: Request, session: SessionDep, user: OptionalUser):
    cart = current_cart(request, session, user)
    if cart is None:
        raise NotFound(_("This piece is not in your cart."))
    carts.remove(session=session, cart=cart, line_id=line_id)
    flash(request, _("The piece is removed from your cart."), "success")
    return RedirectResponse("/cart", status_code=303)
