"""The cart page: lines with current prices and stock warnings, quantities, removal, and
adding a piece from the product page. The anonymous cart's token lives in the signed session
cookie (``request.session["cart"]``); a logged-in buyer's cart is the account's, and an
anonymous cart found in the session is merged into it on the first cart or checkout page."""


from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse

from marketplace.auth.deps import OptionalUser
from marketplace.cart import service as carts
from marketplace.cart.views import (
    NUMBER,
    cart_page,
    current_cart,
    parse_quantity,
    remember_count,
)
from marketplace.catalog.service import get_visible_product, variants_of
from marketplace.core.forms import FormDep, form_values
from marketplace.core.templating import flash, khr, render
from marketplace.db import SessionDep
from marketplace.errors import NotFound, ValidationFailed
from marketplace.i18n import gettext as _
from marketplace.i18n import localized

router = APIRouter(tags=["pages"], include_in_schema=False)


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
        remember_count(request, session, user)
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
        remember_count(request, session, user)
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
    remember_count(request, session, user)
    flash(request, _("The piece is removed from your cart."), "success")
    return RedirectResponse("/cart", status_code=303)
