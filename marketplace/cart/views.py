"""The cart as pages show it: this browser's cart (its token in the signed session cookie,
or the account's cart), the cart page, and quantities typed in forms. Used by the cart pages
and the checkout pages."""

import re

from fastapi import Request

from marketplace.cart import service as carts
from marketplace.catalog.views import thumbnails
from marketplace.core.templating import CART_COUNT_KEY, MAX_CART_COUNT, khr, render
from marketplace.errors import Forbidden, ValidationFailed
from marketplace.i18n import gettext as _
from marketplace.i18n import localized
from marketplace.models import Cart, StockMode

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


def remember_count(request: Request, session, user, count: int | None = None) -> None:
    """Keep the number of pieces in this browser's cart in its session, for the header of
    every page, the shared cached ones too (``core.templating.CART_COUNT_KEY``). Called
    where the cart is shown or may have changed: the cart and checkout pages, an order's
    page (a paid order leaves the cart), logging in."""
    if count is None:
        count = carts.pieces(session=session, token=request.session.get(SESSION_KEY),
                             user=user)
    if count:
        request.session[CART_COUNT_KEY] = min(count, MAX_CART_COUNT)
    else:
        request.session.pop(CART_COUNT_KEY, None)


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
    remember_count(request, session, None, sum(line.line.quantity for line in lines))
    return render(request, "cart/cart.html", {
        "lines": lines,
        "thumbs": thumbnails(request, session, [line.product.id for line in lines]),
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
