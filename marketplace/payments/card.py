"""Paying an order by card: who may pay it, and at most one successful charge per order.

The order is only ever marked paid by the verified Stripe webhook
(``marketplace.integrations.stripe.webhooks``); this module creates and confirms the
PaymentIntent and remembers its id on the order.
"""

import re

from sqlmodel import Session, select

from marketplace.errors import Conflict, ValidationFailed
from marketplace.i18n import gettext as _
from marketplace.models import Order, OrderStatus, User, utcnow
from marketplace.orders import service as orders
from marketplace.payments.gateway import Intent, PaymentGateway

# A PaymentMethod from Stripe.js (pm_...); localstripe's fake Stripe.js gives a card (card_...).
PAYMENT_METHOD = re.compile(r"^(pm|card)_[A-Za-z0-9_]{4,120}$")
# A previous attempt in one of these states must not be followed by a second charge.
IN_FLIGHT = frozenset({"succeeded", "processing", "requires_capture", "requires_action"})
PAID = (OrderStatus.PAID, OrderStatus.PARTLY_REFUNDED, OrderStatus.REFUNDED)


class NotPayable(Conflict):
    """The order can no longer be paid: its reservation expired or it was cancelled."""

    slug = "not-payable"

    def default_detail(self) -> str:
        return _("We held these pieces for you for a limited time, and that time is over. "
                 "Your cart still has them: check it and place the order again.")


class AlreadyPaid(Conflict):
    slug = "already-paid"

    def default_detail(self) -> str:
        return _("This order is already paid.")


def buyer_order(*, session: Session, number: str, user: User | None, cart_token: str | None,
                remembered: list[str] | tuple[str, ...] = ()) -> Order:
    """The order for its buyer: the account that placed it, the browser that placed it (its
    session remembers the number, or holds the order's cart token). NotFound for anyone
    else, the same answer as for a number that does not exist."""
    order = orders.get_by_number(session=session, number=number[:24])
    if user is not None and order.user_id == user.id:
        return order
    if order.number in remembered:
        return order
    return orders.viewable_order(session=session, number=order.number, user=user,
                                 cart_token=cart_token)


def payable(order: Order) -> str:
    """"payable", "paid", or "expired" (reservation over, or the order was cancelled)."""
    if order.status in PAID:
        return "paid"
    if order.status != OrderStatus.PENDING_PAYMENT or order.reserved_until <= utcnow():
        return "expired"
    return "payable"


def _locked(session: Session, order_id: int) -> Order:
    """The order row, locked until the transaction ends (PostgreSQL; SQLite writers already
    queue), so a double submit waits for the first and then sees its PaymentIntent."""
    return session.exec(select(Order).where(Order.id == order_id).with_for_update()
                        .execution_options(populate_existing=True)).one()


def pay(*, session: Session, gateway: PaymentGateway, order: Order,
        payment_method: str) -> Intent:
    """Charge the order's total with ``payment_method``: create the PaymentIntent
    (idempotent per order and payment method), store its id on the order, confirm it.

    Raises ValidationFailed (no or malformed payment method), AlreadyPaid, NotPayable,
    CardDeclined (the card was refused; the order and its reservation stay) and
    GatewayUnavailable. A previous attempt that succeeded, is processing or waits for the
    bank's check is returned instead of charging again.
    """
    payment_method = (payment_method or "").strip()
    if not PAYMENT_METHOD.match(payment_method):
        raise ValidationFailed({"payment_method": _("Enter your card details, then pay.")})
    order = _locked(session, order.id)
    state = payable(order)
    if state == "paid":
        raise AlreadyPaid()
    if order.payment_intent_id:
        previous = gateway.retrieve_intent(order.payment_intent_id)
        if previous.status in IN_FLIGHT:
            return previous
    if state == "expired":
        raise NotPayable()
    intent = gateway.create_intent(
        amount_cents=order.total_cents, currency=order.currency, order_number=order.number,
        payment_method=payment_method,
        idempotency_key=f"order-{order.number}-{payment_method}")
    if intent.amount_cents != order.total_cents:
        raise Conflict(_("The card processor answered with another amount. Nothing was "
                         "charged; reload the page and try again."))
    order.payment_intent_id = intent.id
    session.add(order)
    session.flush()
    if intent.status == "requires_confirmation":
        intent = gateway.confirm_intent(intent.id)
    return intent
