"""Order emails through the outbox, in the buyer's (or the leader's) language."""

from sqlmodel import Session

from marketplace.config import Settings
from marketplace.models import Fulfilment, Order, OrderLine, ProducerGroup, User
from marketplace.notifications.service import queue_email
from marketplace.orders.address import shipping_address
from marketplace.orders.service.access import order_url


def order_paid(*, session: Session, settings: Settings, order: Order, lines: list[OrderLine],
               fulfilments: list[Fulfilment]) -> None:
    """Confirmation to the buyer; a 'new order' note to each group's leader."""
    queue_email(session=session, to=order.email, template="order_confirmation",
                context={"order": order, "lines": lines, "fulfilments": fulfilments,
                         "address": shipping_address,
                         "url": order_url(settings, order),
                         "link_days": settings.order_link_days}, locale=order.locale)
    for fulfilment in fulfilments:
        group = session.get(ProducerGroup, fulfilment.group_id) if fulfilment.group_id else None
        leader = session.get(User, group.leader_id) if group and group.leader_id else None
        if leader:
            queue_email(session=session, to=leader.email, template="fulfilment_new",
                        context={"order": order, "fulfilment": fulfilment, "user": leader,
                                 "address": shipping_address,
                                 "lines": [line for line in lines
                                           if line.fulfilment_id == fulfilment.id],
                                 "url": f"{settings.base_url}/dashboard/orders",
                                 "packing_point": settings.packing_point_address},
                        locale=leader.locale)


def fulfilment_shipped(*, session: Session, settings: Settings, fulfilment: Fulfilment) -> None:
    order = session.get(Order, fulfilment.order_id)
    queue_email(session=session, to=order.email, template="order_shipped",
                context={"order": order, "fulfilment": fulfilment,
                         "url": order_url(settings, order)},
                locale=order.locale)
