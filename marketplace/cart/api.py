"""JSON API for carts: create one, add, change and remove lines (the quote for a destination
is in ``checkout.api``).

Anonymous clients keep the cart's token (it is the cart's address); a client with a bearer
token gets its account's cart. A cart belonging to another account is 403.
"""

from typing import Annotated

from fastapi import APIRouter, Body, Header, status

from marketplace.auth.deps import OptionalUser
from marketplace.cart import service
from marketplace.cart.deps import TokenCart
from marketplace.cart.schemas import (
    CartLineIn,
    CartLinePublic,
    CartLineUpdate,
    CartPublic,
    GroupRef,
)
from marketplace.core.openapi import problems
from marketplace.db import SessionDep
from marketplace.models import Cart, StockMode

router = APIRouter(tags=["carts"])

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
