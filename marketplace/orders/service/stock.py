"""Stock and made-to-order capacity, allocated with the guard in the same statement.

``UPDATE product SET stock_allocated = stock_allocated + :n
  WHERE id = :id AND stock_on_hand - stock_allocated >= :n`` never oversells, on SQLite
(writers queue on BEGIN IMMEDIATE) or PostgreSQL (the row lock re-checks the guard).
Rows are touched in product order so two multi-line orders cannot deadlock.
"""

from datetime import datetime

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from marketplace.core import cache_tags
from marketplace.core.status import Lifecycle
from marketplace.errors import InsufficientStock
from marketplace.i18n import gettext as _
from marketplace.i18n import shown_title
from marketplace.models import (
    CapacityBooking,
    Product,
    ProductVariant,
    ReservationStatus,
    StockMode,
    StockReservation,
)

# Stock held for an unpaid order until the system sells it (payment) or gives it back
# (expiry, cancellation); both are final.
# The order's own audit rows (paid, cancelled) tell what happened to its reservations.
RESERVATION_STATUS = Lifecycle(StockReservation, "stock_reservation", {
    ReservationStatus.HELD: {ReservationStatus.CONVERTED, ReservationStatus.RELEASED},
}, audited=False)


def _hold_stock(session: Session, product: Product, variant_id: int | None, n: int) -> bool:
    table = ProductVariant if variant_id else Product
    key = variant_id or product.id
    left = session.execute(
        update(table).where(table.id == key,
                            table.stock_on_hand - table.stock_allocated >= n)
        .values(stock_allocated=table.stock_allocated + n)
        .returning(table.stock_on_hand - table.stock_allocated)
        .execution_options(synchronize_session=False)).scalar()
    if left is None:
        return False
    # Pages show this piece's stock ("Only 2 left"); lists of what is in stock change
    # only when the last piece goes.
    cache_tags.touch(session, cache_tags.product(product.id),
                     *((cache_tags.IN_STOCK,) if left <= 0 else ()))
    return True


def _hold_capacity(session: Session, product: Product, month: str, n: int) -> bool:
    if (product.monthly_capacity or 0) < n:
        return False
    exists = session.exec(select(CapacityBooking.id).where(
        CapacityBooking.product_id == product.id, CapacityBooking.month == month)).first()
    if not exists:
        try:
            with session.begin_nested():
                session.add(CapacityBooking(product_id=product.id, month=month, booked=0))
                session.flush()
        except IntegrityError:
            pass  # created by a concurrent order
    result = session.execute(
        update(CapacityBooking)
        .where(CapacityBooking.product_id == product.id, CapacityBooking.month == month,
               CapacityBooking.booked + n <= product.monthly_capacity)
        .values(booked=CapacityBooking.booked + n)
        .execution_options(synchronize_session=False))
    if result.rowcount != 1:
        return False
    cache_tags.touch(session, cache_tags.product(product.id))
    return True


def reserve(*, session: Session, order_id: int, items: list[tuple[Product, int | None, int]],
            expires_at: datetime) -> list[StockReservation]:
    """Hold stock (or this month's capacity) for each (product, variant id, quantity).

    Raises InsufficientStock naming the piece; the caller's transaction then rolls back.

    What the session has pending (the order, its lines, these reservations) is written
    first and the guarded updates come last: the row locks they take, which every other
    order of the same piece waits for, are held from there until the caller commits, so
    callers write what they can before calling this (``checkout.place_order`` does).
    """
    month = expires_at.strftime("%Y-%m")
    items = sorted(items, key=lambda i: (i[0].id, i[1] or 0))
    held = [StockReservation(
        order_id=order_id, product_id=product.id, variant_id=variant_id,
        capacity_month=month if product.stock_mode == StockMode.MADE_TO_ORDER else None,
        quantity=quantity, expires_at=expires_at) for product, variant_id, quantity in items]
    session.add_all(held)
    session.flush()
    for product, variant_id, quantity in items:
        made_to_order = product.stock_mode == StockMode.MADE_TO_ORDER
        ok = (_hold_capacity(session, product, month, quantity) if made_to_order
              else _hold_stock(session, product, variant_id, quantity))
        if not ok:
            message = (_("“%(title)s” cannot be made in that quantity this month.",
                         title=shown_title(product)) if made_to_order else
                       _("Not enough of “%(title)s” is left.", title=shown_title(product)))
            raise InsufficientStock(message, product_id=product.id)
    return held


def _claim(session: Session, reservation: StockReservation, to: ReservationStatus) -> bool:
    """Move a held reservation once (False when another path already did)."""
    return RESERVATION_STATUS.change(session, reservation, to, actor=None, when_illegal="lose",
                                     data={"order_id": reservation.order_id})


def convert(*, session: Session, order_id: int) -> None:
    """Payment succeeded: held stock becomes sold (on hand and allocated both go down)."""
    for reservation in _held(session, order_id):
        if not _claim(session, reservation, ReservationStatus.CONVERTED):
            continue
        if reservation.capacity_month:
            continue  # capacity stays booked for the month
        sell(session=session, product_id=reservation.product_id,
             variant_id=reservation.variant_id, quantity=reservation.quantity)


def sell(*, session: Session, product_id: int, quantity: int,
         variant_id: int | None = None) -> None:
    """Held stock is sold: on hand and allocated both go down (what can be bought does not
    change, but the API shows each option's stock)."""
    cache_tags.touch(session, cache_tags.product(product_id))
    table = ProductVariant if variant_id else Product
    session.execute(update(table).where(table.id == (variant_id or product_id)).values(
        stock_on_hand=table.stock_on_hand - quantity,
        stock_allocated=table.stock_allocated - quantity,
    ).execution_options(synchronize_session=False))


def release(*, session: Session, order_id: int) -> int:
    """Unpaid order expired or cancelled: give the stock or capacity back. Returns rows."""
    released = 0
    for reservation in _held(session, order_id):
        if not _claim(session, reservation, ReservationStatus.RELEASED):
            continue
        released += 1
        give_back(session=session, product_id=reservation.product_id,
                  variant_id=reservation.variant_id, quantity=reservation.quantity,
                  month=reservation.capacity_month)
    return released


def hold(*, session: Session, product: Product, quantity: int, month: str) -> bool:
    """Hold ``quantity`` of a piece without variants for a purchase order: stock now, or
    a made-to-order piece's capacity in ``month``. False, with nothing changed, when there
    is not enough."""
    if product.stock_mode == StockMode.MADE_TO_ORDER:
        return _hold_capacity(session, product, month, quantity)
    return _hold_stock(session, product, None, quantity)


def give_back(*, session: Session, product_id: int, quantity: int, month: str | None,
              variant_id: int | None = None) -> None:
    """Return held stock (or the capacity booked in ``month``) to what can be sold."""
    cache_tags.touch(session, cache_tags.product(product_id), cache_tags.IN_STOCK)
    if month:
        session.execute(update(CapacityBooking).where(
            CapacityBooking.product_id == product_id, CapacityBooking.month == month,
        ).values(booked=CapacityBooking.booked - quantity)
            .execution_options(synchronize_session=False))
        return
    table = ProductVariant if variant_id else Product
    session.execute(update(table).where(table.id == (variant_id or product_id)).values(
        stock_allocated=table.stock_allocated - quantity,
    ).execution_options(synchronize_session=False))


def _held(session: Session, order_id: int) -> list[StockReservation]:
    return list(session.exec(select(StockReservation).where(
        StockReservation.order_id == order_id,
        StockReservation.status == ReservationStatus.HELD).order_by(
        StockReservation.product_id, StockReservation.id)))
