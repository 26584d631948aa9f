"""JSON API for carts: create one, add, change and remove lines, and quote a destination.

Anonymous clients keep the cart's token (it is the cart's address); a client with a bearer
token gets its account's cart. A cart belonging to another account is 403.
"""

from typing import Annotated

from fastapi import APIRouter, Body, Depends, Header, Path, Query, status

from marketplace.auth.deps import OptionalUser, SettingsDep
from marketplace.cart import service
from marketplace.core.openapi import problems
from marketplace.db import SessionDep
from marketplace.errors import NotFound
from marketplace.i18n import gettext as _
from marketplace.models import Cart, StockMode
from marketplace.orders import service as orders
from marketplace.orders.schemas import (
    CartLineIn,
    CartLinePublic,
    CartLineUpdate,
    CartPublic,
    CountryCode,
    GroupRef,
    GroupShippingPublic,
    ProvinceCode,
    QuoteLinePublic,
    QuotePublic,
    ShippingOptionCode,
)

router = APIRouter(tags=["carts"])

TokenPath = Annotated[str, Path(min_length=1, max_length=64, description="The cart's token")]


def _cart(token: TokenPath, session: SessionDep, user: OptionalUser) -> Cart:
    cart = service.by_token(session=session, token=token, user=user)
    if cart is None:
        raise NotFound(_("No such cart."))
    return cart


TokenCart = Annotated[Cart, Depends(_cart)]
LineBody = Annotated[CartLineIn, Body(openapi_examples={
    "two": {"summary": "Two of a piece", "value": {"product_id": 12, "quantity": 2}},
    "variant": {"summary": "One of a piece's options",
                "value": {"product_id": 12, "variant_id": 31, "quantity": 1}},
})]
QuantityBody = Annotated[CartLineUpdate, Body(openapi_examples={
    "three": {"summary": "Three pieces", "value": {"quantity": 3}},
    "remove": {"summary": "Remove the line", "value": {"quantity": 0}},
})]


def cart_public(session, cart: Cart) -> CartPublic:
    """The cart at current prices, with each line's warnings."""
    lines = []
    for row in service.view(session=session, cart=cart):
        variant = row.variant
        lines.append(CartLinePublic(
            id=row.line.id, product_id=row.product.id, variant_id=row.line.variant_id,
            title=row.product.title, title_km=row.product.title_km,
            variant_label=" / ".join(v for v in (variant.colour, variant.size) if v)
            if variant else "",
            group=GroupRef(id=row.group.id, name=row.group.name),
            unit_price_cents=row.unit_price_cents,
            price_when_added_cents=row.line.unit_price_cents, price_changed=row.price_changed,
            quantity=row.line.quantity, line_total_cents=row.total_cents,
            available=row.available, warning=row.warning,
            made_to_order=row.product.stock_mode == StockMode.MADE_TO_ORDER,
            lead_time_days=row.product.lead_time_days
            if row.product.stock_mode == StockMode.MADE_TO_ORDER else None,
        ))
    return CartPublic(token=cart.token, lines=lines,
                      quantity=sum(line.quantity for line in lines),
                      subtotal_cents=sum(line.line_total_cents for line in lines),
                      price_changed=any(line.price_changed for line in lines),
                      updated_at=cart.updated_at)


@router.post(
    "/carts",
    status_code=status.HTTP_201_CREATED,
    summary="Start a cart",
    description=(
        "Without a bearer token: a new anonymous cart; keep its `token`, it is the only way "
        "back to it. With a bearer token: the account's cart (created if needed); send an "
        "anonymous cart's token in `X-Cart-Token` to merge its lines into it."
    ),
    responses=problems(403),
)
def create_cart(
    session: SessionDep,
    user: OptionalUser,
    x_cart_token: Annotated[str | None, Header(max_length=64,
                                               description="An anonymous cart to merge")] = None,
) -> CartPublic:
    cart = service.current(session=session, token=x_cart_token, user=user, create=True)
    return cart_public(session, cart)


@router.get(
    "/carts/{token}",
    summary="A cart at current prices",
    description=(
        "Each line shows the current unit price, the price when it was added "
        "(`price_changed`), its producer group, made-to-order lead time, and a warning when "
        "it is sold out, short or no longer for sale."
    ),
    responses=problems(403, 404, 422),
)
def get_cart(cart: TokenCart, session: SessionDep) -> CartPublic:
    return cart_public(session, cart)


@router.post(
    "/carts/{token}/lines",
    summary="Add a piece",
    description=(
        "Adds to the line of the same piece if there is one; a line holds 1 to 100 pieces. "
        "Answers with the whole cart. A piece that is not for sale is 404."
    ),
    responses=problems(403, 404, 422),
)
def add_line(cart: TokenCart, data: LineBody, session: SessionDep) -> CartPublic:
    service.add(session=session, cart=cart, product_id=data.product_id,
                variant_id=data.variant_id, quantity=data.quantity)
    return cart_public(session, cart)


@router.patch(
    "/carts/{token}/lines/{line_id}",
    summary="Change a line's quantity",
    description="`quantity` 0 removes the line. Answers with the whole cart.",
    responses=problems(403, 404, 422),
)
def update_line(cart: TokenCart, line_id: int, data: QuantityBody,
                session: SessionDep) -> CartPublic:
    service.set_quantity(session=session, cart=cart, line_id=line_id, quantity=data.quantity)
    return cart_public(session, cart)


@router.delete(
    "/carts/{token}/lines/{line_id}",
    summary="Remove a line",
    description="Answers with the whole cart.",
    responses=problems(403, 404, 422),
)
def delete_line(cart: TokenCart, line_id: int, session: SessionDep) -> CartPublic:
    service.remove(session=session, cart=cart, line_id=line_id)
    return cart_public(session, cart)


@router.get(
    "/carts/{token}/quote",
    summary="Shipping and the split for a destination",
    description=(
        "Current prices, one parcel per producer group with its shipping, and for every line "
        "what the group receives, the marketplace commission and the card fee. Domestic "
        "options (`courier`, `bus`) are for KH, `ems` and `express` for other countries; "
        "domestic rates depend on `province_code`. Pass the `total_cents` to the order as "
        "`expected_total_cents`."
    ),
    responses=problems(403, 404, 422),
)
def quote(
    cart: TokenCart,
    session: SessionDep,
    settings: SettingsDep,
    shipping_option: Annotated[ShippingOptionCode, Query(examples=["courier"])],
    country: Annotated[CountryCode, Query(description="ISO 3166 code", examples=["KH"])] = "KH",
    province_code: Annotated[ProvinceCode | None, Query(description="KH: the province",
                                                        examples=["12"])] = None,
) -> QuotePublic:
    result = orders.quote(session=session, settings=settings, cart=cart, address=orders.Address(
        full_name="", email="", phone="", country=country, shipping_option=shipping_option,
        province_code=province_code or None))
    names = {line.group.id: line.group.name for line in result.lines}
    return QuotePublic(
        lines=[QuoteLinePublic(
            product_id=line.product.id, variant_id=line.variant.id if line.variant else None,
            title=line.product.title, group_id=line.group.id, quantity=line.quantity,
            unit_price_cents=line.unit_price_cents, price_changed=line.price_changed,
            line_total_cents=line.split.line_total_cents,
            producer_cents=line.split.producer_cents,
            commission_cents=line.split.commission_cents,
            card_fee_cents=line.split.card_fee_cents) for line in result.lines],
        shipping=[GroupShippingPublic(group_id=gid, group_name=names[gid],
                                      weight_grams=result.weight_by_group[gid],
                                      shipping_cents=cents)
                  for gid, cents in result.shipping_by_group.items()],
        subtotal_cents=result.subtotal_cents, shipping_cents=result.shipping_cents,
        total_cents=result.total_cents, commission_cents=result.commission_cents,
        card_fee_cents=result.card_fee_cents, price_changed=result.price_changed,
    )
