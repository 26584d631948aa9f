"""JSON API for orders (placed from a cart, read by their buyer) and for producer groups'
parcels (fulfilments): the paid ones to make and ship, and their status.

Payment is not taken here: an order waits in `pending_payment`, holding its stock for
`reservation_minutes`, until the verified Stripe webhook marks it paid.
"""

import base64
import json
from typing import Annotated

from fastapi import APIRouter, Body, Depends, Header, Path, Query, Request, Response, status

from marketplace import geo
from marketplace.auth.deps import CurrentUser, OptionalUser, SettingsDep
from marketplace.auth.web import client_ip
from marketplace.cart import service as carts
from marketplace.core.openapi import problems
from marketplace.db import SessionDep
from marketplace.errors import NotFound
from marketplace.i18n import gettext as _
from marketplace.models import Fulfilment, FulfilmentStatus, Order, OrderLine
from marketplace.orders import service, unpaid
from marketplace.orders.schemas import (
    FulfilmentPublic,
    FulfilmentStatusIn,
    OrderCreate,
    OrderLinePublic,
    OrderPublic,
    OrdersPublic,
    ParcelLinePublic,
    ParcelPublic,
    ParcelsPublic,
    ShipTo,
)

router = APIRouter()

IdempotencyKey = Annotated[str, Header(
    alias="Idempotency-Key", min_length=1, max_length=80,
    description="A key you choose per order (a UUID). Sending the same key again with the "
                "same body answers with the first order instead of placing another; the "
                "same key with another body is a 422 `idempotency-key-reused` problem")]
CartTokenHeader = Annotated[str | None, Header(
    alias="X-Cart-Token", max_length=64,
    description="Orders placed without an account: the token of the cart they came from")]
OrderBody = Annotated[OrderCreate, Body(openapi_examples={
    "cambodia": {"summary": "Courier to Phnom Penh",
                 "value": OrderCreate.model_config["json_schema_extra"]["examples"][0]},
    "abroad": {"summary": "EMS to France", "value": {
        "cart_token": "Jr3b1m1pZ0tBq8w7uO2kWc4yXn5aLd9e", "email": "claire@example.com",
        "full_name": "Claire Martin", "phone": "+33 6 12 34 56 78", "country": "FR",
        "shipping_option": "ems", "address_line": "12 rue des Tisserands",
        "city": "Lyon", "postal_code": "69001"}},
})]
StatusBody = Annotated[FulfilmentStatusIn, Body(openapi_examples={
    "start": {"summary": "Start making it", "value": {"status": "in_production"}},
    "packed": {"summary": "Packed", "value": {"status": "packed"}},
    "shipped": {"summary": "Handed to the carrier",
                "value": {"status": "shipped", "carrier": "J&T Express",
                          "tracking_number": "JT123456789KH"}},
    "delivered": {"summary": "Delivered", "value": {"status": "delivered"}},
})]
Limit = Annotated[int, Query(ge=1, le=100)]
Cursor = Annotated[str | None, Query(max_length=200,
                                     description="The `next` of the previous answer")]


def _encode_offset(offset: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"offset": offset}).encode()).decode().rstrip("=")


def _decode_offset(cursor: str | None) -> int:
    """The offset a cursor stands for; one that does not decode means the first page."""
    if not cursor:
        return 0
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        offset = int(json.loads(base64.urlsafe_b64decode(padded))["offset"])
    except (ValueError, TypeError, KeyError):
        return 0
    return max(offset, 0)


def _next(offset: int, shown: int, total: int) -> str | None:
    following = offset + shown
    return _encode_offset(following) if shown and following < total else None


def order_public(order: Order, lines: list[OrderLine], parcels: list[Fulfilment]) -> OrderPublic:
    data = {name: getattr(order, name) for name in OrderPublic.model_fields
            if name not in ("lines", "fulfilments")}
    return OrderPublic(**data, lines=[OrderLinePublic.model_validate(x) for x in lines],
                       fulfilments=[FulfilmentPublic.model_validate(f) for f in parcels])


def _order_public(session, order: Order) -> OrderPublic:
    lines, parcels = service.details_of(session=session, order_ids=[order.id])
    return order_public(order, lines[order.id], parcels[order.id])


def _parcel_public(fulfilment: Fulfilment, order: Order, lines: list[OrderLine]) -> ParcelPublic:
    data = FulfilmentPublic.model_validate(fulfilment).model_dump()
    return ParcelPublic(
        **data, order_number=order.number, paid_at=order.paid_at,
        updated_at=fulfilment.updated_at,
        ship_to=ShipTo(full_name=order.full_name, phone=order.phone, country=order.country,
                       place=geo.describe(order.village_code, order.province_code)
                       if order.country == "KH" else "",
                       village_code=order.village_code, address_line=order.address_line,
                       city=order.city, postal_code=order.postal_code,
                       shipping_option=order.shipping_option),
        lines=[ParcelLinePublic.model_validate(x) for x in lines])


# --- orders ---------------------------------------------------------------------------------


@router.post(
    "/orders",
    status_code=status.HTTP_201_CREATED,
    tags=["orders"],
    summary="Place an order from a cart",
    description=(
        "Re-reads prices, splits every line, opens one parcel per producer group and holds "
        "the stock (or made-to-order capacity) for `reservation_minutes` while the buyer "
        "pays.\n\n"
        "**Idempotency.** Send a fresh `Idempotency-Key` per order, as with Stripe. A key "
        "belongs to your account (bearer token) or, without one, to the cart. Sending the "
        "same key with the same body again (a retry after a timeout, even several at "
        "once) answers 200 with the first order, with the header `Idempotent-Replayed: "
        "true`, and places nothing. The same key with a different body (another cart, "
        "address, shipping option or `expected_total_cents`) is refused with 422 "
        "`idempotency-key-reused`, whose `detail` names the key; the first order is never "
        "returned for it. The body is compared by a SHA-256 fingerprint of its canonical "
        "form, stored with the order.\n\n"
        "**Unpaid orders.** One cart, and one account, may hold at most "
        "`max_unpaid_orders` unpaid orders whose reservation is still running (one client "
        "address at most `max_unpaid_orders_per_address`). Past that the answer is 429 "
        "`too-many-unpaid-orders` with `Retry-After` (seconds until one of them stops "
        "holding) and `unpaid_orders`, the numbers of your unpaid orders: pay one, or "
        "cancel it with `POST /api/v1/orders/{number}/cancel`, then place again.\n\n"
        "Other problems: 409 `price-changed` (with the current `total_cents`) when "
        "`expected_total_cents` no longer matches, 409 `insufficient-stock` (with the "
        "`product_id`) when a piece sold out; nothing is ordered or held after any problem."
    ),
    responses={200: {"description": "This Idempotency-Key was already used with this body: "
                                    "the first order", "model": OrderPublic},
               **problems(403, 404, 409, 422, 429)},
)
def place_order(data: OrderBody, idempotency_key: IdempotencyKey, request: Request,
                response: Response, session: SessionDep, settings: SettingsDep,
                user: OptionalUser) -> OrderPublic:
    cart = carts.by_token(session=session, token=data.cart_token, user=user)
    if cart is None:
        raise NotFound(_("No such cart."))
    order, created = service.place_order(
        session=session, settings=settings, cart=cart, user=user, address=data.to_address(),
        idempotency_key=idempotency_key, expected_total_cents=data.expected_total_cents,
        client_ip=client_ip(request))
    if not created:
        response.status_code = status.HTTP_200_OK
        response.headers["Idempotent-Replayed"] = "true"
    response.headers["Location"] = f"/api/v1/orders/{order.number}"
    return _order_public(session, order)


@router.get(
    "/orders",
    tags=["orders"],
    summary="Your orders",
    description="The orders placed with your account, newest first. Follow `next` with "
                "`cursor`.",
    responses=problems(401, 422),
)
def list_orders(session: SessionDep, user: CurrentUser, limit: Limit = 20,
                cursor: Cursor = None) -> OrdersPublic:
    offset = _decode_offset(cursor)
    rows, total = service.orders_of(session=session, user=user, limit=limit, offset=offset)
    lines, parcels = service.details_of(session=session, order_ids=[o.id for o in rows])
    return OrdersPublic(data=[order_public(o, lines[o.id], parcels[o.id]) for o in rows],
                        count=total, next=_next(offset, len(rows), total))


@router.get(
    "/orders/{number}",
    tags=["orders"],
    summary="One order",
    description=(
        "For its buyer: the account that placed it (bearer token) or, for an order placed "
        "without an account, the `X-Cart-Token` of the cart it came from. Anyone else gets "
        "404. Shows each line's split and each parcel's status, carrier and tracking number."
    ),
    responses=problems(404, 422),
)
def get_order(number: Annotated[str, Path(max_length=24, examples=["MK-2025-000042"])],
              session: SessionDep, user: OptionalUser,
              x_cart_token: CartTokenHeader = None) -> OrderPublic:
    order = service.viewable_order(session=session, number=number, user=user,
                                   cart_token=x_cart_token)
    return _order_public(session, order)


@router.post(
    "/orders/{number}/cancel",
    tags=["orders"],
    summary="Cancel your unpaid order",
    description=(
        "For its buyer (bearer token, or the `X-Cart-Token` of the cart of an order placed "
        "without an account): an order still waiting for payment is cancelled and its pieces "
        "are no longer held, so it stops counting towards the unpaid-orders limit. A paid or "
        "already cancelled order is 409 `invalid-transition`; anyone else's order is 404."
    ),
    responses=problems(404, 409, 422),
)
def cancel_order(number: Annotated[str, Path(max_length=24, examples=["MK-2025-000042"])],
                 session: SessionDep, user: OptionalUser,
                 x_cart_token: CartTokenHeader = None) -> OrderPublic:
    order = service.viewable_order(session=session, number=number, user=user,
                                   cart_token=x_cart_token)
    unpaid.cancel_by_buyer(session=session, order=order, actor=user)
    return _order_public(session, order)


# --- producers' parcels ---------------------------------------------------------------------


def _fulfilment(fulfilment_id: int, session: SessionDep, user: CurrentUser) -> Fulfilment:
    """The parcel to change (401 before 404: only signed-in callers learn which ids exist)."""
    return service.get_fulfilment(session=session, fulfilment_id=fulfilment_id)


AnyFulfilment = Annotated[Fulfilment, Depends(_fulfilment)]


@router.get(
    "/fulfilments",
    tags=["fulfilments"],
    summary="Parcels to make and ship (group members)",
    description=(
        "The paid parcels of the producer groups you belong to, oldest first, with what to "
        "make and where to send it. Filter with `status`; follow `next` with `cursor`."
    ),
    responses=problems(401, 422),
)
def list_fulfilments(
    session: SessionDep,
    user: CurrentUser,
    fulfilment_status: Annotated[FulfilmentStatus | None, Query(alias="status")] = None,
    limit: Limit = 20,
    cursor: Cursor = None,
) -> ParcelsPublic:
    offset = _decode_offset(cursor)
    rows, total = service.group_fulfilments(session=session, actor=user,
                                            status=fulfilment_status, limit=limit,
                                            offset=offset)
    return ParcelsPublic(data=[_parcel_public(*row) for row in rows], count=total,
                         next=_next(offset, len(rows), total))


@router.post(
    "/fulfilments/{fulfilment_id}/status",
    tags=["fulfilments"],
    summary="Move a parcel on (group members)",
    description=(
        "`new` -> `in_production` (made to order) -> `packed` -> `shipped` -> `delivered`. "
        "Shipping needs the `carrier` and `tracking_number`; the buyer is emailed them. "
        "Another move is 409, a parcel of another group 403."
    ),
    responses=problems(401, 403, 404, 409, 422),
)
def set_fulfilment_status(fulfilment: AnyFulfilment, data: StatusBody, session: SessionDep,
                          settings: SettingsDep, user: CurrentUser) -> ParcelPublic:
    service.set_fulfilment_status(session=session, settings=settings, actor=user,
                                  fulfilment=fulfilment, to=FulfilmentStatus(data.status),
                                  carrier=data.carrier, tracking_number=data.tracking_number)
    rows, _total = service.group_fulfilments(session=session, actor=user, limit=1,
                                             offset=0, fulfilment_id=fulfilment.id)
    return _parcel_public(*rows[0])
