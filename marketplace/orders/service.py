"""Orders: place from a cart (reserving stock), mark paid from the webhook, expire unpaid
ones, and move fulfilments through their guarded transition map."""

from datetime import timedelta

from sqlalchemy import update
from sqlmodel import Session, select

from marketplace import audit
from marketplace.config import Settings
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
from marketplace.orders import stock
from marketplace.payments import ledger

ORDER_TRANSITIONS = {
    OrderStatus.PENDING_PAYMENT: {OrderStatus.PAID, OrderStatus.CANCELLED},
    OrderStatus.PAID: {OrderStatus.PARTLY_REFUNDED, OrderStatus.REFUNDED},
    OrderStatus.PARTLY_REFUNDED: {OrderStatus.PARTLY_REFUNDED, OrderStatus.REFUNDED},
}
# Moves a producer group makes on its parcel once the order is paid. Payment opens a parcel
# (awaiting_payment -> new) and expiry or cancellation closes it: the system does those.
FULFILMENT_TRANSITIONS = {
    FulfilmentStatus.NEW: {FulfilmentStatus.IN_PRODUCTION, FulfilmentStatus.PACKED},
    FulfilmentStatus.IN_PRODUCTION: {FulfilmentStatus.PACKED},
    FulfilmentStatus.PACKED: {FulfilmentStatus.SHIPPED},
    FulfilmentStatus.SHIPPED: {FulfilmentStatus.DELIVERED},
}
def _set_status(session: Session, order: Order, to: OrderStatus, actor: User | None,
                reason: str | None = None) -> bool:
    """Move the order through the transition map with a conditional UPDATE; False if it
    had already moved (a replayed webhook, a concurrent request)."""
    current = OrderStatus(order.status)
    if to not in ORDER_TRANSITIONS.get(current, set()):
        raise InvalidTransition()
    values = {"status": to}
    if to == OrderStatus.PAID:
        values["paid_at"] = utcnow()
    if to == OrderStatus.CANCELLED:
        values["cancelled_at"] = utcnow()
    result = session.execute(update(Order).where(Order.id == order.id, Order.status == current)
                             .values(**values).execution_options(synchronize_session=False))
    if result.rowcount != 1:
        return False
    session.refresh(order)
    audit.record(session=session, actor=actor, entity_type="order", entity_id=order.id,
                 action=f"status_{to}", from_state=current, to_state=to, reason=reason)
    return True


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
    from marketplace.orders.notify import order_paid

    if order.status not in (OrderStatus.PENDING_PAYMENT, OrderStatus.CANCELLED):
        return False  # already paid: a replayed or duplicate event changes nothing
    if amount_cents is not None and amount_cents != order.total_cents:
        raise Conflict(_("The amount paid does not match the order."))
    if order.status == OrderStatus.CANCELLED:
        # Paid after its reservation expired: hold the stock again if it is still there.
        reopened = session.execute(update(Order).where(
            Order.id == order.id, Order.status == OrderStatus.CANCELLED).values(
            status=OrderStatus.PENDING_PAYMENT, cancelled_at=None)
            .execution_options(synchronize_session=False))
        session.refresh(order)
        if reopened.rowcount != 1:  # another path (webhook, worker) got here first
            return False
        items = [(session.get(Product, line.product_id), line.variant_id, line.quantity)
                 for line in lines_of(session=session, order_id=order.id)]
        stock.reserve(session=session, order_id=order.id, items=items,
                      expires_at=utcnow() + timedelta(minutes=settings.reservation_minutes))
    if not _set_status(session, order, OrderStatus.PAID, None):
        return False
    stock.convert(session=session, order_id=order.id)
    lines = lines_of(session=session, order_id=order.id)
    fulfilments = fulfilments_of(session=session, order_id=order.id)
    ledger.record_payment(session=session, order=order, lines=lines,
                          shipping_by_group={f.group_id: f.shipping_cents for f in fulfilments})
    for fulfilment in fulfilments:
        fulfilment.status = FulfilmentStatus.NEW
        fulfilment.updated_at = utcnow()
        session.add(fulfilment)
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
        if _set_status(session, order, OrderStatus.CANCELLED, None, "reservation expired"):
            stock.release(session=session, order_id=order.id)
            for fulfilment in fulfilments_of(session=session, order_id=order.id):
                fulfilment.status = FulfilmentStatus.CANCELLED
                session.add(fulfilment)
            count += 1
    return count


def cancel_unpaid(*, session: Session, actor: User | None, order: Order,
                  reason: str = "") -> Order:
    """Cancel an order that is not paid (an admin, or the buyer); stock comes back."""
    if not _set_status(session, order, OrderStatus.CANCELLED, actor, reason or None):
        raise InvalidTransition()
    stock.release(session=session, order_id=order.id)
    for fulfilment in fulfilments_of(session=session, order_id=order.id):
        fulfilment.status = FulfilmentStatus.CANCELLED
        session.add(fulfilment)
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
    from marketplace.orders.notify import fulfilment_shipped
    from marketplace.producers.service import require_member

    require_member(session=session, user=actor, group_id=fulfilment.group_id)
    current = FulfilmentStatus(fulfilment.status)
    if to not in FULFILMENT_TRANSITIONS.get(current, set()):
        raise InvalidTransition()
    order = session.get(Order, fulfilment.order_id)
    if order is None or order.paid_at is None:
        raise InvalidTransition(_("This order is not paid."))
    if to == FulfilmentStatus.SHIPPED:
        errors = {}
        if not (carrier or "").strip():
            errors["carrier"] = _("Name the carrier.")
        if not (tracking_number or "").strip():
            errors["tracking_number"] = _("Enter the tracking number.")
        if errors:
            raise ValidationFailed(errors)
        fulfilment.carrier = carrier.strip()[:60]
        fulfilment.tracking_number = tracking_number.strip()[:80]
        fulfilment.shipped_at = utcnow()
    if to == FulfilmentStatus.DELIVERED:
        fulfilment.delivered_at = utcnow()
    result = session.execute(update(Fulfilment).where(
        Fulfilment.id == fulfilment.id, Fulfilment.status == current).values(
        status=to, updated_at=utcnow()).execution_options(synchronize_session=False))
    if result.rowcount != 1:
        raise InvalidTransition()
    fulfilment.status = to
    session.add(fulfilment)
    audit.record(session=session, actor=actor, entity_type="fulfilment", entity_id=fulfilment.id,
                 action=f"status_{to}", from_state=current, to_state=to,
                 data={"carrier": fulfilment.carrier, "tracking": fulfilment.tracking_number}
                 if to == FulfilmentStatus.SHIPPED else None)
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

    from marketplace.producers.service import accessible_group_ids

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
