"""Unpaid orders: how many one cart, account or client address may hold at once, and the
buyer cancelling one of their own.

An unpaid order holds its pieces for ``reservation_minutes``. Without a limit, one client
could hold a group's whole stock with orders it never pays. Orders still ``pending_payment``
within their reservation are counted per cart and per signed-in account
(``max_unpaid_orders``) and per client address (``max_unpaid_orders_per_address``, higher:
many buyers share a mobile carrier's address). Beyond a limit the next order is refused with
``TooManyUnpaidOrders`` (429) until one is paid, cancelled or expires.

Counting and placing must not interleave: on PostgreSQL, ``serialize`` takes a
transaction-level advisory lock per cart, account and address, in one global order so two
placements never deadlock; SQLite writers already queue on ``BEGIN IMMEDIATE``.
"""

import hashlib
import math

from sqlalchemy import func, or_, text
from sqlmodel import Session, select

from marketplace.config import Settings
from marketplace.errors import InvalidTransition, TooManyRequests
from marketplace.i18n import gettext as _
from marketplace.models import (
    Cart,
    Order,
    OrderStatus,
    PaymentAttempt,
    PaymentAttemptStatus,
    User,
    utcnow,
)

CHARGING = ("succeeded", "processing", "requires_capture")  # a card charge under way or done


class TooManyUnpaidOrders(TooManyRequests):
    """Another unpaid order would pass a limit. ``unpaid`` are the requester's own unpaid
    orders (to pay or cancel); the API lists their numbers as ``unpaid_orders``."""

    slug = "too-many-unpaid-orders"

    def __init__(self, *, retry_after: int, detail: str, unpaid: list[Order]) -> None:
        super().__init__(retry_after, detail)
        self.unpaid = unpaid
        self.extra = {"unpaid_orders": [order.number for order in unpaid]}


def _lock_key(kind: str, value: object) -> int:
    digest = hashlib.sha256(f"unpaid-orders:{kind}:{value}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def serialize(*, session: Session, cart: Cart, user: User | None,
              client_ip: str | None) -> None:
    """Until this transaction ends, other placements from this cart, account or address wait
    here (PostgreSQL; a no-op on SQLite, whose writers already queue)."""
    if session.get_bind().dialect.name != "postgresql":
        return
    keys = {_lock_key("cart", cart.id)}
    if user is not None:
        keys.add(_lock_key("user", user.id))
    if client_ip:
        keys.add(_lock_key("ip", client_ip))
    ordered = sorted(keys)  # one statement: its locks are taken left to right
    session.execute(text("SELECT " + ", ".join(
        f"pg_advisory_xact_lock(:k{n})" for n in range(len(ordered)))),
        {f"k{n}": key for n, key in enumerate(ordered)})


def _holding(*where):
    return (Order.status == OrderStatus.PENDING_PAYMENT, Order.reserved_until > utcnow(),
            *where)


def _seconds_until_free(earliest) -> int:
    """Seconds until the first of the counted orders stops holding (then one more fits)."""
    return max(1, math.ceil((earliest - utcnow()).total_seconds()))


def own_unpaid(*, session: Session, cart: Cart | None, user: User | None) -> list[Order]:
    """The unpaid orders, still holding, of this cart or this account (soonest to end first)."""
    mine = []
    if cart is not None:
        mine.append(Order.cart_id == cart.id)
    if user is not None:
        mine.append(Order.user_id == user.id)
    if not mine:
        return []
    return list(session.exec(select(Order).where(*_holding(or_(*mine)))
                             .order_by(Order.reserved_until, Order.id)))


def check_room(*, session: Session, settings: Settings, cart: Cart, user: User | None,
               client_ip: str | None) -> None:
    """Raise TooManyUnpaidOrders when one more unpaid order would pass a limit."""
    own = own_unpaid(session=session, cart=cart, user=user)
    limit = settings.max_unpaid_orders
    for full in ([o for o in own if o.cart_id == cart.id],
                 [o for o in own if user is not None and o.user_id == user.id]):
        if len(full) >= limit:
            raise TooManyUnpaidOrders(
                retry_after=_seconds_until_free(min(o.reserved_until for o in full)),
                unpaid=own,
                detail=_("You already have %(n)s unpaid orders. Pay or cancel one of them "
                         "before placing another. An unpaid order is cancelled by itself "
                         "when we stop holding its pieces.", n=len(full)))
    if not client_ip:
        return
    from_address = _holding(Order.client_ip == client_ip)
    count = session.exec(select(func.count()).select_from(Order).where(*from_address)).one()
    if count >= settings.max_unpaid_orders_per_address:
        earliest = session.exec(select(Order.reserved_until).where(*from_address)
                                .order_by(Order.reserved_until).limit(1)).one()
        raise TooManyUnpaidOrders(
            retry_after=_seconds_until_free(earliest), unpaid=own,
            detail=_("Too many unpaid orders were placed from your network. Pay or cancel an "
                     "unpaid order of yours, or try again in a few minutes."))


def cancel_by_buyer(*, session: Session, order: Order, actor: User | None) -> Order:
    """The buyer gives up an unpaid order: its pieces are no longer held."""
    from marketplace.orders import service
    from marketplace.orders.service.payment import PaymentInProgress, lock_order

    order = lock_order(session, order.id)  # a payment starting now waits for this decision
    if OrderStatus.CANCELLED not in service.ORDER_STATUS.allowed(order.status):
        raise InvalidTransition(_("Only an order that is not paid yet can be cancelled."))
    charging = session.exec(select(PaymentAttempt.id).where(
        PaymentAttempt.order_id == order.id,
        or_(PaymentAttempt.status.in_((PaymentAttemptStatus.CREATING,
                                       PaymentAttemptStatus.CREATED)),
            PaymentAttempt.intent_status.in_(CHARGING)))).first()
    if charging is not None:  # the money may be on its way: let the payment finish
        raise PaymentInProgress()
    return service.cancel_unpaid(session=session, actor=actor, order=order,
                                 reason="cancelled by the buyer")
