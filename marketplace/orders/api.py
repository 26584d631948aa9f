"""JSON API for orders (placed from a cart, read by their buyer) and for producer groups'
parcels (fulfilments): the paid ones to make and ship, and their status.

Payment is not taken here: an order waits in `pending_payment`, holding its stock for
`reservation_minutes`, until the verified Stripe webhook marks it paid.
"""

from typing import Annotated

from fastapi import APIRouter, Body, Depends, Header, Path, Query

from marketplace.auth.deps import CurrentUser, OptionalUser
from marketplace.core.deps import SettingsDep
from marketplace.core.openapi import problems
from marketplace.core.pagination import Cursor, Limit, Page, next_offset, offset_of
from marketplace.db import SessionDep
from marketplace.models import Fulfilment, FulfilmentStatus
from marketplace.orders import service
from marketplace.orders.schemas import FulfilmentStatusIn, OrderPublic, ParcelPublic
from marketplace.orders.serialize import order_public, order_public_of, parcel_public
from marketplace.orders.service import access, unpaid

router = APIRouter()

OrderTokenHeader = Annotated[str | None, Header(
    alias="X-Order-Token", max_length=500,
    description="Orders placed without an account: the `access_token` the order was placed "
                "with (also in the link of its emails)")]
StatusBody = Annotated[FulfilmentStatusIn, Body(openapi_examples={
    "start": {"summary": "Start making it", "value": {"status": "in_production"}},
    "packed": {"summary": "Packed", "value": {"status": "packed"}},
    "shipped": {"summary": "Handed to the carrier",
                "value": {"status": "shipped", "carrier": "J&T Express",
                          "tracking_number": "JT123456789KH"}},
    "delivered": {"summary": "Delivered", "value": {"status": "delivered"}},
})]

# --- orders ---------------------------------------------------------------------------------


@router.get(
    "/orders",
    tags=["orders"],
    summary="Your orders",
    description="The orders placed with your account, newest first. Follow `next` with "
                "`cursor`.",
    responses=problems(401, 422),
)
def list_orders(session: SessionDep, user: CurrentUser, limit: Limit = 20,
                cursor: Cursor = None) -> Page[OrderPublic]:
    offset = offset_of(cursor)
    rows, total = service.orders_of(session=session, user=user, limit=limit, offset=offset)
    lines, parcels = service.details_of(session=session, order_ids=[o.id for o in rows])
    return Page[OrderPublic](data=[order_public(o, lines[o.id], parcels[o.id]) for o in rows],
                             count=total, next=next_offset(offset, len(rows), total))


@router.get(
    "/orders/{number}",
    tags=["orders"],
    summary="One order",
    description=(
        "For its buyer: the account that placed it (bearer token) or, for an order placed "
        "without an account, whoever sends its `access_token` in `X-Order-Token`; and for "
        "staff. Anyone else gets 404. Shows each line's split and each parcel's status, "
        "carrier and tracking number."
    ),
    responses=problems(404, 422),
)
def get_order(number: Annotated[str, Path(max_length=24, examples=["MK-2025-000042"])],
              session: SessionDep, settings: SettingsDep, user: OptionalUser,
              x_order_token: OrderTokenHeader = None) -> OrderPublic:
    order = access.visible_order(session=session, settings=settings, number=number, user=user,
                                 tokens=[x_order_token] if x_order_token else [])
    return order_public_of(session, order)


@router.post(
    "/orders/{number}/cancel",
    tags=["orders"],
    summary="Cancel your unpaid order",
    description=(
        "For its buyer (bearer token, or the order's `access_token` in `X-Order-Token` for an "
        "order placed without an account): an order still waiting for payment is cancelled "
        "and its pieces "
        "are no longer held, so it stops counting towards the unpaid-orders limit. A paid or "
        "already cancelled order is 409 `invalid-transition`; anyone else's order is 404."
    ),
    responses=problems(404, 409, 422),
)
def cancel_order(number: Annotated[str, Path(max_length=24, examples=["MK-2025-000042"])],
                 session: SessionDep, settings: SettingsDep, user: OptionalUser,
                 x_order_token: OrderTokenHeader = None) -> OrderPublic:
    order = access.visible_order(session=session, settings=settings, number=number, user=user,
                                 tokens=[x_order_token] if x_order_token else [])
    unpaid.cancel_by_buyer(session=session, order=order, actor=user)
    return order_public_of(session, order)


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
) -> Page[ParcelPublic]:
    offset = offset_of(cursor)
    rows, total = service.group_fulfilments(session=session, actor=user,
                                            status=fulfilment_status, limit=limit,
                                            offset=offset)
    return Page[ParcelPublic](data=[parcel_public(*row) for row in rows], count=total,
                              next=next_offset(offset, len(rows), total))


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
    return parcel_public(*rows[0])
