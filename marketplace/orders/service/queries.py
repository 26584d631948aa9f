"""Read-only order queries for the pages (the service has the API's): a producer's parcels
newest first, the admin search, an order's refunds. Each takes the actor and filters by what
the actor may see."""

from sqlalchemy import func, or_
from sqlmodel import Session, select

from marketplace.access import accessible_group_ids
from marketplace.auth.service.roles import has_role
from marketplace.errors import Forbidden
from marketplace.models import Fulfilment, FulfilmentStatus, Order, OrderLine, Refund, Role, User

PAGE_SIZE = 100


def fulfilments_for_member(*, session: Session, actor: User, limit: int = PAGE_SIZE,
                           ) -> list[tuple[Fulfilment, Order, list[OrderLine]]]:
    """Paid fulfilments of the actor's groups (newest first) with their order and lines."""
    group_ids = accessible_group_ids(session=session, user=actor)
    if not group_ids:
        return []
    rows = list(session.exec(
        select(Fulfilment, Order).join(Order, Order.id == Fulfilment.order_id)
        .where(Fulfilment.group_id.in_(group_ids),
               Fulfilment.status != FulfilmentStatus.AWAITING_PAYMENT)
        .order_by(Order.created_at.desc(), Fulfilment.id.desc()).limit(limit)))
    ids = [fulfilment.id for fulfilment, _order in rows]
    lines: dict[int, list[OrderLine]] = {i: [] for i in ids}
    if ids:
        for line in session.exec(select(OrderLine).where(OrderLine.fulfilment_id.in_(ids))
                                 .order_by(OrderLine.id)):
            lines[line.fulfilment_id].append(line)
    return [(fulfilment, order, lines[fulfilment.id]) for fulfilment, order in rows]


def order_of(*, session: Session, fulfilment: Fulfilment) -> Order:
    return session.get(Order, fulfilment.order_id)


def _require_admin(session: Session, actor: User) -> None:
    if not has_role(session=session, user=actor, role=Role.ADMIN):
        raise Forbidden()


def search(*, session: Session, actor: User, text: str = "", status: str | None = None,
           limit: int = PAGE_SIZE) -> list[Order]:
    """Orders whose number or email contains ``text`` (any case), newest first (admins)."""
    _require_admin(session, actor)
    query = select(Order)
    text = text.strip().lower()
    if text:
        pattern = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        query = query.where(or_(func.lower(Order.number).like(pattern, escape="\\"),
                                func.lower(Order.email).like(pattern, escape="\\")))
    if status:
        query = query.where(Order.status == status)
    return list(session.exec(query.order_by(Order.created_at.desc(), Order.id.desc())
                             .limit(limit)))


def refunds_of(*, session: Session, actor: User, order: Order) -> list[Refund]:
    """The order's refunds, oldest first (admins)."""
    _require_admin(session, actor)
    return list(session.exec(select(Refund).where(Refund.order_id == order.id)
                             .order_by(Refund.id)))
