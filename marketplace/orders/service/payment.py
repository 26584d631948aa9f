"""Paying an order by card: who may pay it, and at most one successful charge per order.

The order is marked paid by the verified Stripe webhook
(``marketplace.integrations.stripe.webhooks``) or, when that never came, by the worker asking
Stripe (``orders.tasks``); both go through ``apply_succeeded``. Each press of "Pay" is a
``PaymentAttempt`` recorded and committed before Stripe is called (``orders.flows.pay``).
"""

import logging
import re
from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from marketplace import audit
from marketplace.core.status import Lifecycle
from marketplace.errors import Conflict, MarketplaceError, ValidationFailed
from marketplace.i18n import gettext as _
from marketplace.models import Order, OrderStatus, PaymentAttempt, PaymentAttemptStatus, utcnow
from marketplace.orders import service as orders
from marketplace.payments.gateway import Intent

log = logging.getLogger("marketplace.stripe")

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


def payable(order: Order) -> str:
    """"payable", "paid", or "expired" (reservation over, or the order was cancelled)."""
    if order.status in PAID:
        return "paid"
    if order.status != OrderStatus.PENDING_PAYMENT or order.reserved_until <= utcnow():
        return "expired"
    return "payable"


def lock_order(session: Session, order_id: int) -> Order:
    """The order row, locked until the transaction ends (PostgreSQL; SQLite writers already
    queue), so a double submit waits for the first and then sees its PaymentIntent."""
    return session.exec(select(Order).where(Order.id == order_id).with_for_update()
                        .execution_options(populate_existing=True)).one()


class PaymentInProgress(Conflict):
    slug = "payment-in-progress"

    def default_detail(self) -> str:
        return _("A payment for this order is being processed. Wait a minute, then reload "
                 "the order page.")


@dataclass
class Start:
    """What ``begin`` recorded: the attempt, whether it was made by an earlier press of the
    same button, the intent of an earlier attempt to check first, and the order's state."""

    attempt: PaymentAttempt
    repeated: bool
    previous_intent_id: str | None
    state: str


def attempt_key(order: Order, payment_method: str) -> str:
    return f"order-{order.number}-{payment_method}"[:120]


def begin(*, session: Session, order: Order, payment_method: str) -> Start:
    """Record an attempt to pay ``order`` with ``payment_method``. Nothing is sent to the
    processor: commit, then create the intent (``intent_created``), then confirm it.

    Raises ValidationFailed (no or malformed payment method), AlreadyPaid, NotPayable, and
    PaymentInProgress (another attempt of this order is under way). The same payment
    method twice (a double submit) returns the first attempt, ``repeated``.
    """
    payment_method = (payment_method or "").strip()
    if not PAYMENT_METHOD.match(payment_method):
        raise ValidationFailed({"payment_method": _("Enter your card details, then pay.")})
    order = lock_order(session, order.id)
    state = payable(order)
    if state == "paid":
        raise AlreadyPaid()
    key = attempt_key(order, payment_method)
    earlier = session.exec(select(PaymentAttempt).where(
        PaymentAttempt.idempotency_key == key)).first()
    if earlier is not None:
        return Start(earlier, True, None, state)
    if state == "expired" and not order.payment_intent_id:
        raise NotPayable()
    attempt = PaymentAttempt(order_id=order.id, idempotency_key=key,
                             payment_method=payment_method)
    try:
        with session.begin_nested():
            session.add(attempt)
            session.flush()
    except IntegrityError as exc:  # the same press raced in, or another attempt is running
        earlier = session.exec(select(PaymentAttempt).where(
            PaymentAttempt.idempotency_key == key)).first()
        if earlier is not None:
            return Start(earlier, True, None, state)
        raise PaymentInProgress() from exc
    return Start(attempt, False, order.payment_intent_id, state)


# Every move is the system's (the paying request, or the worker). A confirmation recorded
# late wins over the worker's "abandoned": the charge was really attempted, so the attempt
# is watched again; a confirmed attempt records each later answer of the processor.
ATTEMPT_STATUS = Lifecycle(PaymentAttempt, "payment_attempt", {
    PaymentAttemptStatus.CREATING: {PaymentAttemptStatus.CREATED,
                                    PaymentAttemptStatus.ABANDONED},
    PaymentAttemptStatus.CREATED: {PaymentAttemptStatus.CONFIRMED,
                                   PaymentAttemptStatus.ABANDONED},
    PaymentAttemptStatus.CONFIRMED: {PaymentAttemptStatus.CONFIRMED},
    PaymentAttemptStatus.ABANDONED: {PaymentAttemptStatus.CONFIRMED},
})


class AttemptClosed(Conflict):
    slug = "payment-attempt-closed"

    def default_detail(self) -> str:
        return _("This payment took too long and was stopped before your card was charged. "
                 "Please try again.")


def _move_attempt(session: Session, attempt_id: int, to: PaymentAttemptStatus,
                  **values) -> bool:
    """Move the attempt through the map; False when it is in a state that may not move to
    ``to`` (another request or the worker moved it first)."""
    attempt = session.get(PaymentAttempt, attempt_id, populate_existing=True)
    for _race in range(3):
        if to not in ATTEMPT_STATUS.allowed(attempt.status):
            return False
        if ATTEMPT_STATUS.change(session, attempt, to, actor=None, values=values):
            return True
        session.refresh(attempt)  # another move won: this one may still follow it
    return False


def abandon(*, session: Session, attempt_id: int, why: str) -> bool:
    """Close an attempt that made no charge (an earlier payment was in flight, the
    reservation is over, the processor could not create the intent, or it was never
    confirmed). False when it had moved on meanwhile."""
    return _move_attempt(session, attempt_id, PaymentAttemptStatus.ABANDONED, error=why[:300])


def intent_created(*, session: Session, attempt_id: int, intent: Intent) -> Order:
    """Remember the processor's intent on the attempt and on the order (refunds and the
    webhook find the order by it). Conflict when the amount is not the order's total;
    AttemptClosed when the worker closed the attempt meanwhile (then it must not be
    confirmed)."""
    attempt = session.get(PaymentAttempt, attempt_id)
    order = lock_order(session, attempt.order_id)
    if intent.amount_cents != order.total_cents:
        abandon(session=session, attempt_id=attempt_id,
                why=f"intent {intent.id} for {intent.amount_cents} cents")
        raise Conflict(_("The card processor answered with another amount. Nothing was "
                         "charged; reload the page and try again."))
    if not _move_attempt(session, attempt_id, PaymentAttemptStatus.CREATED,
                         intent_id=intent.id, intent_status=intent.status):
        raise AttemptClosed()
    if order.status in (OrderStatus.PENDING_PAYMENT, OrderStatus.CANCELLED):
        order.payment_intent_id = intent.id
        session.add(order)
    return order


def confirmed(*, session: Session, attempt_id: int, intent_status: str,
              error: str = "") -> bool:
    """The charge was attempted: what the processor said (the webhook marks it paid)."""
    return _move_attempt(session, attempt_id, PaymentAttemptStatus.CONFIRMED,
                         intent_status=intent_status[:40], error=error[:300])


def apply_succeeded(*, session: Session, settings, order: Order, intent_id: str,
                    amount_cents: int, currency: str) -> str:
    """A PaymentIntent of ``order`` succeeded (from the webhook, or asked by the worker):
    mark the order paid once. Returns the outcome; a payment that cannot be applied (wrong
    amount or currency, another intent already paid it, stock gone) is audited for a
    person to resolve, never raised. The order row is locked first, so the webhook and the
    worker finding the same payment at once apply it once."""
    order = lock_order(session, order.id)
    if order.payment_intent_id != intent_id:
        if order.status not in (OrderStatus.PENDING_PAYMENT, OrderStatus.CANCELLED):
            return needs_attention(session, order, intent_id,
                              f"order already paid with {order.payment_intent_id}; "
                              f"refund {intent_id} at Stripe")
        order.payment_intent_id = intent_id  # refunds go to the intent that was paid
        session.add(order)
    if currency.lower() != order.currency.lower():
        return needs_attention(session, order, intent_id, f"paid in {currency}")
    try:
        with session.begin_nested():
            paid = orders.mark_paid(session=session, settings=settings, order=order,
                                    amount_cents=amount_cents)
    except MarketplaceError as exc:
        session.refresh(order)
        return needs_attention(session, order, intent_id, describe(exc))
    return "order paid" if paid else "order already paid"


def describe(exc: MarketplaceError) -> str:
    if isinstance(exc, ValidationFailed) and exc.errors:
        return "; ".join(str(message) for message in exc.errors.values())
    return exc.detail


def needs_attention(session: Session, order: Order, intent_id: str, problem: str) -> str:
    log.error("stripe payment %s for order %s needs attention: %s", intent_id, order.number,
              problem)
    audit.record(session=session, actor=None, entity_type="order", entity_id=order.id,
                 action="payment_needs_attention", reason=problem[:500],
                 data={"payment_intent": intent_id})
    return f"needs attention: {problem}"
