"""Orders: place from a cart (reserving stock), mark paid from the webhook, expire unpaid
ones, and move fulfilments through their guarded transition map."""

from datetime import timedelta

from sqlmodel import Session, select

from marketplace.config import Settings
from marketplace.core.status import Lifecycle
from marketplace.errors import Conflict, InvalidTransition, NotFound, ValidationFailed
from marketplace.i18n import gettext as _
from marketplace.models import (
    CartLine,
    Fulfilment,
    FulfilmentStatus,
    Order,
    OrderLine,
    OrderStatus,
    Product,
    User,
    utcnow,
)
from marketplace.orders.service import stock
from marketplace.payments import ledger

# An admin or the buyer cancels an unpaid order (``cancel_unpaid``). The system: the webhook
# or the worker marks it paid (``mark_paid``; a payment that arrives after the reservation
# expired first reopens the cancelled order), the expiry job cancels it (``expire_unpaid``),
# a refund that succeeded moves it to (partly) refunded (``orders.refunds.settle``).
ORDER_STATUS = Lifecycle(Order, "order", {
    OrderStatus.PENDING_PAYMENT: {OrderStatus.PAID, OrderStatus.CANCELLED},
    OrderStatus.CANCELLED: {OrderStatus.PENDING_PAYMENT},
    OrderStatus.PAID: {OrderStatus.PARTLY_REFUNDED, OrderStatus.REFUNDED},
    OrderStatus.PARTLY_REFUNDED: {OrderStatus.PARTLY_REFUNDED, OrderStatus.REFUNDED},
})
# A parcel follows its order: payment opens it (awaiting_payment -> new), cancellation or
# expiry closes it, a late payment that reopens the order makes it await payment again. Once
# the order is paid, a member of the group makes the other moves (PRODUCER_MOVES).
FULFILMENT_STATUS = Lifecycle(Fulfilment, "fulfilment", {
    FulfilmentStatus.AWAITING_PAYMENT: {FulfilmentStatus.NEW, FulfilmentStatus.CANCELLED},
    FulfilmentStatus.CANCELLED: {FulfilmentStatus.AWAITING_PAYMENT},
    FulfilmentStatus.NEW: {FulfilmentStatus.IN_PRODUCTION, FulfilmentStatus.PACKED},
    FulfilmentStatus.IN_PRODUCTION: {FulfilmentStatus.PACKED},
    FulfilmentStatus.PACKED: {FulfilmentStatus.SHIPPED},
    FulfilmentStatus.SHIPPED: {FulfilmentStatus.DELIVERED},
})
PRODUCER_MOVES = frozenset({FulfilmentStatus.IN_PRODUCTION, FulfilmentStatus.PACKED,
                            FulfilmentStatus.SHIPPED, FulfilmentStatus.DELIVERED})


def _move_parcels(session: Session, fulfilments: list[Fulfilment], to: FulfilmentStatus,
                  actor: User | None, reason: str | None = None) -> None:
    """Move every parcel of an order along with the order (its row is already moved, so
    nothing else moves them meanwhile)."""
    for fulfilment in fulfilments:
        FULFILMENT_STATUS.change(session, fulfilment, to, actor=actor, reason=reason)


def lines_of(*, session: Session, order_id: int) -> list[OrderLine]:
    return list(session.exec(select(OrderLine).where(OrderLine.order_id == order_id)
                             .order_by(OrderLine.id)))


def fulfilments_of(*, session: Session, order_id: int) -> list[Fulfilment]:
    return list(session.exec(select(Fulfilment).where(Fulfilment.order_id == order_id)
                             .order_by(Fulfilment.id)))


def mark_paid(*, session: Session, settings: Settings, order: Order,
              amount_cents: int | None = None) -> bool:
    """Payment succeeded (from the verified webhook only): stock sold, ledger written,
    fulfilments opened, cart emptied, confirmation queued. False if already done."""
    from marketplace.orders.service.notify import order_paid

    if order.status not in (OrderStatus.PENDING_PAYMENT, OrderStatus.CANCELLED):
        return False  # already paid: a replayed or duplicate event changes nothing
    if amount_cents is not None and amount_cents != order.total_cents:
        raise Conflict(_("The amount paid does not match the order."))
    if order.status == OrderStatus.CANCELLED:
        # Paid after its reservation expired: reopen it, and hold the stock again if it is
        # still there.
        if not ORDER_STATUS.change(session, order, OrderStatus.PENDING_PAYMENT, actor=None,
                                   reason="paid after its reservation expired",
                                   values={"cancelled_at": None}):
            return False  # another path (webhook, worker) got here first
        _move_parcels(session, fulfilments_of(session=session, order_id=order.id),
                      FulfilmentStatus.AWAITING_PAYMENT, None)
        items = [(session.get(Product, line.product_id), line.variant_id, line.quantity)
                 for line in lines_of(session=session, order_id=order.id)]
        stock.reserve(session=session, order_id=order.id, items=items,
                      expires_at=utcnow() + timedelta(minutes=settings.reservation_minutes))
    if not ORDER_STATUS.change(session, order, OrderStatus.PAID, actor=None,
                               values={"paid_at": utcnow()}):
        return False
    stock.convert(session=session, order_id=order.id)
    lines = lines_of(session=session, order_id=order.id)
    fulfilments = fulfilments_of(session=session, order_id=order.id)
    ledger.record_payment(session=session, order=order, lines=lines,
                          shipping_by_group={f.group_id: f.shipping_cents for f in fulfilments})
    _move_parcels(session, fulfilments, FulfilmentStatus.NEW, None)
    if order.cart_id:
        _take_ordered_from_cart(session, order.cart_id, lines)
    order_paid(session=session, settings=settings, order=order, lines=lines,
               fulfilments=fulfilments)
    return True


def _take_ordered_from_cart(session: Session, cart_id: int, lines: list[OrderLine]) -> None:
    """Remove what was bought from the cart; pieces added since the order stay."""
    for line in lines:
        row = session.exec(select(CartLine).where(
            CartLine.cart_id == cart_id, CartLine.product_id == line.product_id,
            CartLine.variant_id == line.variant_id if line.variant_id
            else CartLine.variant_id.is_(None))).first()
        if row is None:
            continue
        if row.quantity <= line.quantity:
            session.delete(row)
        else:
            row.quantity -= line.quantity
            session.add(row)


def expire_unpaid(*, session: Session) -> int:
    """Cancel unpaid orders past their reservation and give their stock back."""
    due = list(session.exec(select(Order).where(
        Order.status == OrderStatus.PENDING_PAYMENT, Order.reserved_until < utcnow())))
    count = 0
    for order in due:
        if ORDER_STATUS.change(session, order, OrderStatus.CANCELLED, actor=None,
                               reason="reservation expired", values={"cancelled_at": utcnow()}):
            stock.release(session=session, order_id=order.id)
            _move_parcels(session, fulfilments_of(session=session, order_id=order.id),
                          FulfilmentStatus.CANCELLED, None, "reservation expired")
            count += 1
    return count


def cancel_unpaid(*, session: Session, actor: User | None, order: Order,
                  reason: str = "") -> Order:
    """Cancel an order that is not paid (an admin, or the buyer); stock comes back."""
    if not ORDER_STATUS.change(session, order, OrderStatus.CANCELLED, actor=actor,
                               reason=reason or None, values={"cancelled_at": utcnow()}):
        raise InvalidTransition()  # paid or cancelled meanwhile
    stock.release(session=session, order_id=order.id)
    _move_parcels(session, fulfilments_of(session=session, order_id=order.id),
                  FulfilmentStatus.CANCELLED, actor, reason or None)
    return order


def get_by_number(*, session: Session, number: str) -> Order:
    order = session.exec(select(Order).where(Order.number == number)).first()
    if order is None:
        raise NotFound(_("No such order."))
    return order


def set_fulfilment_status(*, session: Session, settings: Settings, actor: User,
                          fulfilment: Fulfilment, to: FulfilmentStatus,
                          carrier: str | None = None,
                          tracking_number: str | None = None) -> Fulfilment:
    """A group member accepts, packs, ships (carrier and tracking) or delivers its parcel."""
    from marketplace.access import require_member
    from marketplace.orders.service.notify import fulfilment_shipped

    require_member(session=session, user=actor, group_id=fulfilment.group_id)
    if to not in PRODUCER_MOVES:
        raise InvalidTransition()  # the system's moves (payment, cancellation) are not theirs
    FULFILMENT_STATUS.check(fulfilment.status, to)
    order = session.get(Order, fulfilment.order_id)
    if order is None or order.paid_at is None:
        raise InvalidTransition(_("This order is not paid."))
    values, data = {}, None
    if to == FulfilmentStatus.SHIPPED:
        errors = {}
        if not (carrier or "").strip():
            errors["carrier"] = _("Name the carrier.")
        if not (tracking_number or "").strip():
            errors["tracking_number"] = _("Enter the tracking number.")
        if errors:
            raise ValidationFailed(errors)
        values = {"carrier": carrier.strip()[:60], "tracking_number": tracking_number.strip()[:80],
                  "shipped_at": utcnow()}
        data = {"carrier": values["carrier"], "tracking": values["tracking_number"]}
    if to == FulfilmentStatus.DELIVERED:
        values = {"delivered_at": utcnow()}
    if not FULFILMENT_STATUS.change(session, fulfilment, to, actor=actor, values=values,
                                    data=data):
        raise InvalidTransition()  # another member moved it meanwhile
    if to == FulfilmentStatus.SHIPPED:
        fulfilment_shipped(session=session, settings=settings, fulfilment=fulfilment)
    return fulfilment


# --- reading orders and parcels (JSON API) ----------------------------------------------------


def orders_of(*, session: Session, user: User, limit: int = 20,
              offset: int = 0) -> tuple[list[Order], int]:
    """The buyer's own orders, newest first, and how many there are."""
    from sqlalchemy import func

    mine = Order.user_id == user.id
    total = session.exec(select(func.count()).select_from(Order).where(mine)).one()
    rows = session.exec(select(Order).where(mine).order_by(Order.id.desc())
                        .offset(offset).limit(limit))
    return list(rows), total


def details_of(*, session: Session, order_ids: list[int]
               ) -> tuple[dict[int, list[OrderLine]], dict[int, list[Fulfilment]]]:
    """Lines and fulfilments of many orders in two queries, keyed by order id."""
    lines: dict[int, list[OrderLine]] = {oid: [] for oid in order_ids}
    parcels: dict[int, list[Fulfilment]] = {oid: [] for oid in order_ids}
    if order_ids:
        for line in session.exec(select(OrderLine).where(OrderLine.order_id.in_(order_ids))
                                 .order_by(OrderLine.id)):
            lines[line.order_id].append(line)
        for parcel in session.exec(select(Fulfilment).where(Fulfilment.order_id.in_(order_ids))
                                   .order_by(Fulfilment.id)):
            parcels[parcel.order_id].append(parcel)
    return lines, parcels


def group_fulfilments(*, session: Session, actor: User, status: FulfilmentStatus | None = None,
                      fulfilment_id: int | None = None, limit: int = 20, offset: int = 0
                      ) -> tuple[list[tuple[Fulfilment, Order, list[OrderLine]]], int]:
    """Paid parcels of the groups ``actor`` may act for (oldest first), with their order and
    lines, and how many there are. Unpaid orders never show: nothing is owed to make yet."""
    from sqlalchemy import func

    from marketplace.access import accessible_group_ids

    group_ids = accessible_group_ids(session=session, user=actor)
    where = [Fulfilment.group_id.in_(group_ids), Order.paid_at.is_not(None)]
    if status is not None:
        where.append(Fulfilment.status == status)
    if fulfilment_id is not None:
        where.append(Fulfilment.id == fulfilment_id)
    total = session.exec(select(func.count()).select_from(Fulfilment)
                         .join(Order, Order.id == Fulfilment.order_id).where(*where)).one()
    rows = list(session.exec(select(Fulfilment, Order).join(Order, Order.id == Fulfilment.order_id)
                             .where(*where).order_by(Fulfilment.id).offset(offset).limit(limit)))
    by_parcel: dict[int, list[OrderLine]] = {f.id: [] for f, _o in rows}
    if by_parcel:
        for line in session.exec(select(OrderLine).where(
                OrderLine.fulfilment_id.in_(list(by_parcel))).order_by(OrderLine.id)):
            by_parcel[line.fulfilment_id].append(line)
    return [(f, o, by_parcel[f.id]) for f, o in rows], total


def get_fulfilment(*, session: Session, fulfilment_id: int) -> Fulfilment:
    fulfilment = session.get(Fulfilment, fulfilment_id)
    if fulfilment is None:
        raise NotFound(_("No such parcel."))
    return fulfilment
