"""The orders' jobs in ``marketplace worker``: finish what a request recorded but could not
complete (``run``), and release unpaid orders past their reservation (``release_expired``).

- A pending refund whose answer is overdue: ask the processor for the intent's refunds; if
  ours is there, record its outcome; if not, send it again with the same idempotency key.
- A payment attempt left ``creating`` (no intent is known): no charge can have happened (an
  intent is only confirmed after it is recorded), so it is closed.
- A payment attempt left ``created``, or confirmed but not final, while its order waits for
  payment: ask the processor for the intent; a success marks the order paid (as the webhook
  would have), a final failure closes the attempt.

Each item is claimed with a guarded UPDATE, so several workers can run at once.
"""

import logging
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import Engine, or_, update
from sqlmodel import select

from marketplace.config import Settings
from marketplace.db import transaction
from marketplace.models import Order, OrderStatus, PaymentAttempt, PaymentAttemptStatus, utcnow
from marketplace.orders.service import expire_unpaid, refunds
from marketplace.orders.service import payment as card
from marketplace.payments.gateway import GatewayUnavailable, PaymentGateway, ProcessorRefused

log = logging.getLogger("marketplace.reconcile")
STALE = timedelta(minutes=3)  # longer than a request's calls to the processor can take
WATCH_FOR = timedelta(days=1)  # how long an unconfirmed payment is asked about
UNSETTLED = ("processing", "requires_action", "requires_capture", "requires_confirmation")


@dataclass
class Reconciled:
    refunds: int = 0
    payments: int = 0

    def __bool__(self) -> bool:
        return bool(self.refunds or self.payments)


def run(engine: Engine, settings: Settings, gateway: PaymentGateway, *, now=None) -> Reconciled:
    """One pass over what is overdue; returns how many refunds and payments were finished."""
    now = now or utcnow()
    done = Reconciled()
    with transaction(engine, write=False) as session:
        refund_ids = refunds.due_for_retry(session=session, now=now)
    for refund_id in refund_ids:
        done.refunds += _refund(engine, gateway, refund_id, now)
    with transaction(engine, write=False) as session:
        attempt_ids = list(session.exec(select(PaymentAttempt.id).where(
            or_(PaymentAttempt.status.in_((PaymentAttemptStatus.CREATING,
                                           PaymentAttemptStatus.CREATED)),
                (PaymentAttempt.status == PaymentAttemptStatus.CONFIRMED)
                & PaymentAttempt.intent_status.in_(UNSETTLED)
                & (PaymentAttempt.created_at > now - WATCH_FOR)),
            PaymentAttempt.updated_at < now - STALE).order_by(PaymentAttempt.id).limit(100)))
    for attempt_id in attempt_ids:
        done.payments += _attempt(engine, settings, gateway, attempt_id, now)
    return done


def _refund(engine: Engine, gateway: PaymentGateway, refund_id: int, now) -> int:
    with transaction(engine) as session:
        refund = refunds.claim_retry(session=session, refund_id=refund_id, now=now)
        order = session.get(Order, refund.order_id) if refund else None
    if refund is None:
        return 0
    try:
        answer = refunds.find_at_processor(gateway, refund, order)
    except GatewayUnavailable:
        return 0
    if answer is None:  # never reached the processor: send it again, same key
        answer = refunds.call_processor(gateway, refund, order)
        if answer is None:
            return 0
    with transaction(engine) as session:
        changed = refunds.record_answer(session=session, refund_id=refund.id, answer=answer)
    if changed:
        log.info("refund %s of order %s reconciled", refund.id, order.number)
    return int(changed)


def _claim_attempt(session, attempt_id: int, now) -> PaymentAttempt | None:
    """Take the attempt for this pass (guarded on its ``updated_at``)."""
    attempt = session.get(PaymentAttempt, attempt_id)
    if attempt is None:
        return None
    result = session.execute(update(PaymentAttempt).where(
        PaymentAttempt.id == attempt_id, PaymentAttempt.updated_at == attempt.updated_at)
        .values(updated_at=now).execution_options(synchronize_session=False))
    if result.rowcount != 1:
        return None
    session.refresh(attempt)
    return attempt


def _attempt(engine: Engine, settings: Settings, gateway: PaymentGateway, attempt_id: int,
             now) -> int:
    with transaction(engine) as session:
        attempt = _claim_attempt(session, attempt_id, now)
        if attempt is None:
            return 0
        if attempt.status == PaymentAttemptStatus.CREATING:
            return int(card.abandon(session=session, attempt_id=attempt.id,
                                    why="left unfinished; never confirmed, so nothing was "
                                        "charged"))
    try:
        intent = gateway.retrieve_intent(attempt.intent_id)
    except ProcessorRefused:  # Stripe has no such intent: nothing can be charged on it
        with transaction(engine) as session:
            return int(card.abandon(session=session, attempt_id=attempt.id,
                                    why="the card processor does not know its intent"))
    except GatewayUnavailable:
        return 0
    with transaction(engine) as session:
        order = session.get(Order, attempt.order_id)
        changed = intent.status != attempt.intent_status or \
            attempt.status != PaymentAttemptStatus.CONFIRMED
        if intent.status == "succeeded":
            if changed:
                card.confirmed(session=session, attempt_id=attempt.id,
                               intent_status=intent.status)
            if order.status in (OrderStatus.PENDING_PAYMENT, OrderStatus.CANCELLED):
                outcome = card.apply_succeeded(
                    session=session, settings=settings, order=order, intent_id=intent.id,
                    amount_cents=intent.amount_cents, currency=intent.currency)
                log.info("payment %s of order %s reconciled: %s", intent.id, order.number,
                         outcome)
        elif intent.status == "requires_confirmation":  # the buyer's charge never started
            card.abandon(session=session, attempt_id=attempt.id, why="never confirmed")
        elif changed:  # still processing, say: asked again next pass, recorded once
            card.confirmed(session=session, attempt_id=attempt.id, intent_status=intent.status)
        else:
            return 0
    return 1


def release_expired(engine: Engine) -> int:
    """Cancel unpaid orders past their reservation and give their stock back."""
    with transaction(engine) as session:
        return expire_unpaid(session=session)
