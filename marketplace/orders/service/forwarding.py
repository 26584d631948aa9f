"""Orders going abroad leave the packing point in Phnom Penh as one shipment: once every
group's parcel has arrived there, staff record the international carrier and tracking
number, and the buyer is emailed. Runs under the order's guarded update, so two staff
pressing at once record one shipment."""

from sqlalchemy import update
from sqlmodel import Session

from marketplace import audit
from marketplace.auth.service.roles import has_role
from marketplace.config import Settings
from marketplace.errors import Forbidden, InvalidTransition, ValidationFailed
from marketplace.i18n import gettext as _
from marketplace.models import Fulfilment, FulfilmentStatus, Order, OrderStatus, Role, User, utcnow
from marketplace.notifications.service import queue_email
from marketplace.orders.service.access import order_url

FORWARDABLE = (OrderStatus.PAID, OrderStatus.PARTLY_REFUNDED)
AT_PACKING_POINT = {FulfilmentStatus.SHIPPED, FulfilmentStatus.DELIVERED,
                    FulfilmentStatus.CANCELLED}


def ready(order: Order, fulfilments: list[Fulfilment]) -> bool:
    """Whether the shipment abroad can leave: paid, not yet sent, every parcel sent in."""
    return order.consolidated and order.forwarded_at is None and \
        order.status in FORWARDABLE and \
        any(f.status != FulfilmentStatus.CANCELLED for f in fulfilments) and \
        all(f.status in AT_PACKING_POINT for f in fulfilments)


def forward(*, session: Session, settings: Settings, actor: User, order: Order,
            fulfilments: list[Fulfilment], carrier: str, tracking_number: str) -> Order:
    """Record the one international shipment of a consolidated order (staff only)."""
    if not has_role(session=session, user=actor, role=Role.ADMIN):
        raise Forbidden()
    errors = {}
    if not (carrier or "").strip():
        errors["carrier"] = _("Name the carrier.")
    if not (tracking_number or "").strip():
        errors["tracking_number"] = _("Enter the tracking number.")
    if errors:
        raise ValidationFailed(errors)
    if not ready(order, fulfilments):
        raise InvalidTransition(_("This order cannot leave the packing point yet: every "
                                  "group's parcel must have been sent there first."))
    values = {"forwarded_carrier": carrier.strip()[:60],
              "forwarded_tracking": tracking_number.strip()[:80], "forwarded_at": utcnow()}
    done = session.execute(update(Order).where(Order.id == order.id,
                                               Order.forwarded_at.is_(None),
                                               Order.status.in_(FORWARDABLE))
                           .values(**values).execution_options(synchronize_session=False))
    if done.rowcount != 1:
        raise InvalidTransition(_("This shipment was already recorded, or the order was "
                                  "refunded meanwhile."))
    session.refresh(order)
    audit.record(session=session, actor=actor, entity_type="order", entity_id=order.id,
                 action="forwarded", data={"carrier": values["forwarded_carrier"],
                                           "tracking": values["forwarded_tracking"]})
    queue_email(session=session, to=order.email, template="order_forwarded",
                context={"order": order, "url": order_url(settings, order)},
                locale=order.locale)
    return order
