"""Paying and refunding: the only places that commit in the middle of a request.

Money must never move at the processor without being recorded here first. So each flow
records its intent and commits, calls Stripe outside any transaction (no lock is held while
the network is slow), then records the outcome and commits again. If the outcome cannot be
recorded, or Stripe does not answer, what was recorded first stays pending and
``marketplace worker`` finishes it (``orders.tasks``).

The session passed in is the request's: these functions commit it. Call them from a plain
``def`` route before anything else is written in that request. ``waiting`` wraps every call
to the processor (the route passes ``db.slot_released``: the request gives its database slot
back while Stripe is slow).
"""

import logging
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext

from sqlmodel import Session

from marketplace.models import Order, PaymentAttemptStatus, Refund, User
from marketplace.orders.service import payment as card
from marketplace.orders.service import refunds
from marketplace.payments.gateway import CardDeclined, GatewayUnavailable, Intent, PaymentGateway

log = logging.getLogger("marketplace.payments")
IN_FLIGHT = frozenset({"succeeded", "processing", "requires_capture", "requires_action"})


Waiting = Callable[[], AbstractContextManager]


def refund(*, session: Session, gateway: PaymentGateway, actor: User, order: Order,
           line_id: int | None = None, amount_cents: int | None = None,
           reason: str = "", waiting: Waiting = nullcontext) -> Refund:
    """Record a refund, commit, send it to the processor, record its answer. Returns the
    refund: ``succeeded``, ``failed`` (refused; nothing refunded) or ``pending`` (the answer
    is not known yet; the worker completes it). Raises what ``request_refund`` raises."""
    with session.begin_nested():  # a refused request leaves nothing behind
        pending = refunds.request_refund(session=session, actor=actor, order=order,
                                         line_id=line_id, amount_cents=amount_cents,
                                         reason=reason)
    session.commit()
    with waiting():
        answer = refunds.call_processor(gateway, pending, order)
    if answer is None:
        return pending
    try:
        refunds.record_answer(session=session, refund_id=pending.id, answer=answer)
        session.commit()
    except Exception:  # the refund stays pending: the worker asks the processor again
        session.rollback()
        log.exception("refund %s: the processor's answer could not be recorded", pending.id)
    session.refresh(pending)
    return pending


def pay(*, session: Session, gateway: PaymentGateway, order: Order,
        payment_method: str, waiting: Waiting = nullcontext) -> Intent:
    """Charge the order's total with ``payment_method``, once.

    Records the attempt and commits; an earlier intent that succeeded or is being processed
    is returned instead of charging again. Then creates the PaymentIntent (idempotency key
    per order and payment method), records it on the order and commits, and confirms it.
    Raises ValidationFailed, AlreadyPaid, NotPayable, PaymentInProgress, CardDeclined (the
    order and its reservation stay) and GatewayUnavailable.
    """
    start = card.begin(session=session, order=order, payment_method=payment_method)
    attempt = start.attempt
    session.commit()
    if start.repeated:  # the same press again: answer with what the first one got
        if attempt.status != PaymentAttemptStatus.CONFIRMED or attempt.intent_id is None:
            raise card.PaymentInProgress()  # the first press is still under way
        with waiting():
            return gateway.retrieve_intent(attempt.intent_id)
    if start.previous_intent_id:
        try:
            with waiting():
                previous = gateway.retrieve_intent(start.previous_intent_id)
        except GatewayUnavailable:
            _abandon(session, attempt.id, "the earlier intent could not be checked")
            raise
        if previous.status in IN_FLIGHT:
            _abandon(session, attempt.id, f"earlier intent {previous.id} {previous.status}")
            return previous
    if start.state == "expired":
        _abandon(session, attempt.id, "reservation over")
        raise card.NotPayable()
    try:
        with waiting():
            intent = gateway.create_intent(
                amount_cents=order.total_cents, currency=order.currency,
                order_number=order.number, payment_method=attempt.payment_method,
                idempotency_key=attempt.idempotency_key, attempt_id=attempt.id)
    except GatewayUnavailable:  # an intent that may exist is never confirmed: no charge
        _abandon(session, attempt.id, "the intent could not be created")
        raise
    try:
        card.intent_created(session=session, attempt_id=attempt.id, intent=intent)
    finally:
        session.commit()  # the refused amount's abandoned attempt is kept, too
    if intent.status != "requires_confirmation":
        return intent
    try:
        with waiting():
            intent = gateway.confirm_intent(intent.id)
    except CardDeclined as exc:
        card.confirmed(session=session, attempt_id=attempt.id,
                       intent_status="requires_payment_method", error=exc.message)
        session.commit()
        raise
    # GatewayUnavailable propagates: the attempt stays "created" and the worker asks Stripe.
    card.confirmed(session=session, attempt_id=attempt.id, intent_status=intent.status)
    session.commit()
    return intent


def _abandon(session: Session, attempt_id: int, why: str) -> None:
    card.abandon(session=session, attempt_id=attempt_id, why=why)
    session.commit()
