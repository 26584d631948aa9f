"""Refunds (full, or per line) through the card processor, recorded before money moves.

A refund goes through three steps, each its own transaction, so money never moves at the
processor without being recorded here:

1. ``request_refund`` (in the admin's request): checks, spreads the amount over lines and
   parcels (the plan), holds it on the order, line and parcel columns with guarded UPDATEs
   (so no two refunds can exceed what was paid) and writes a ``pending`` refund with an
   idempotency key. The caller commits.
2. The processor is called after that commit (``send``), with the key and our refund id in
   its metadata.
3. ``settle`` records what the processor answered: ``succeeded`` writes the ledger and moves
   the order's status; a refusal (``fail``) gives the held amount back. Neither runs twice.

If the answer is lost (the process died, the recording failed, the processor did not
answer), the refund stays ``pending`` and ``marketplace worker`` reconciles it
(``reconcile_due``): it asks the processor for the intent's refunds, finishes ours if it is
there, or sends it again with the same idempotency key if it is not. A ``charge.refunded``
webhook that lists our refund finishes it too.
"""

import logging
from datetime import timedelta

from sqlalchemy import func, or_, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from marketplace import audit
from marketplace.auth.service.roles import has_role
from marketplace.core.status import Lifecycle
from marketplace.errors import Conflict, Forbidden, InvalidTransition, ValidationFailed
from marketplace.i18n import gettext as _
from marketplace.models import (
    Fulfilment,
    Order,
    OrderLine,
    OrderStatus,
    Refund,
    RefundStatus,
    Role,
    User,
    utcnow,
)
from marketplace.orders.service import ORDER_STATUS, fulfilments_of, lines_of
from marketplace.payments import ledger
from marketplace.payments.gateway import (
    GatewayUnavailable,
    PaymentGateway,
    ProcessorRefund,
    ProcessorRefused,
)
from marketplace.payments.pricing import proportional, refund_split

log = logging.getLogger("marketplace.refunds")
# Every move is the system's, on the processor's answer: it refunded (``settle``) or refused
# (``fail``). A refund the processor reverses after it succeeded stays succeeded: a person
# resolves it with the buyer (RefundReversed).
REFUND_STATUS = Lifecycle(Refund, "refund", {
    RefundStatus.PENDING: {RefundStatus.SUCCEEDED, RefundStatus.FAILED},
})
REFUNDABLE = (OrderStatus.PAID, OrderStatus.PARTLY_REFUNDED)
FIRST_RETRY = timedelta(seconds=30)  # a request's own call is normally done long before
MAX_RETRY = timedelta(hours=1)


class RefundReversed(Conflict):
    """The processor reports as failed a refund already booked as succeeded: the buyer did
    not get the money (a closed card, say). A person must resolve it with the buyer."""

    slug = "refund-reversed"


class RefundInProgress(Conflict):
    slug = "refund-in-progress"

    def default_detail(self) -> str:
        return _("Another refund of this order is being processed. Wait until it is done, "
                 "then try again.")


# --- 1. record the refund -------------------------------------------------------------------

def _plan(session: Session, order: Order, line_id: int | None,
          amount_cents: int | None) -> list[tuple[OrderLine | None, Fulfilment | None, int]]:
    """(line or None for shipping, fulfilment, cents) parts that make up the refund."""
    lines = lines_of(session=session, order_id=order.id)
    if line_id is not None:
        line = next((x for x in lines if x.id == line_id), None)
        if line is None:
            raise ValidationFailed({"line_id": _("This line is not part of the order.")})
        remaining = line.line_total_cents - line.refunded_cents
        amount = remaining if amount_cents is None else amount_cents
        if amount <= 0 or amount > remaining:
            raise ValidationFailed({"amount_cents": _(
                "Refund between 1 cent and what is left on this line (%(left)s cents).",
                left=remaining)})
        return [(line, None, amount)]
    remaining = order.total_cents - order.refunded_cents
    amount = remaining if amount_cents is None else amount_cents
    if amount <= 0 or amount > remaining:
        raise ValidationFailed({"amount_cents": _(
            "Refund between 1 cent and what is left on the order (%(left)s cents).",
            left=remaining)})
    fulfilments = list(fulfilments_of(session=session, order_id=order.id))
    shipping_left = sum(f.shipping_cents - f.shipping_refunded_cents for f in fulfilments)
    weights = [x.line_total_cents - x.refunded_cents for x in lines]
    if shipping_left > 0:
        weights += [f.shipping_cents - f.shipping_refunded_cents for f in fulfilments]
    extras_left = _extras(order, fulfilments) - order.extras_refunded_cents
    parts = proportional(amount, weights + [extras_left])
    plan = [(line, None, cents) for line, cents in zip(lines, parts[:len(lines)], strict=True)]
    if shipping_left > 0:
        plan += [(None, f, cents) for f, cents in zip(fulfilments, parts[len(lines):-1],
                                                      strict=True)]
    plan.append((None, None, parts[-1]))  # the packing point's shipping, small-order fee
    return [p for p in plan if p[2] > 0]


def _extras(order: Order, fulfilments: list[Fulfilment]) -> int:
    """What the order charged beyond its lines and the groups' parcels: the packing point's
    part of a shipment abroad and the small-order fee."""
    return order.shipping_cents - sum(f.shipping_cents for f in fulfilments) + \
        order.small_order_fee_cents


def _over() -> Conflict:
    return Conflict(_("This refund would be more than what was paid."))


def _hold(session: Session, order: Order,
          plan: list[tuple[OrderLine | None, Fulfilment | None, int]]) -> list[dict]:
    """Raise the refunded columns (guarded) and return the plan as stored on the refund,
    with each line's producer and commission parts."""
    total = sum(cents for _l, _f, cents in plan)
    result = session.execute(update(Order).where(
        Order.id == order.id, Order.refunded_cents + total <= Order.total_cents)
        .values(refunded_cents=Order.refunded_cents + total)
        .execution_options(synchronize_session=False))
    if result.rowcount != 1:
        raise _over()
    stored = []
    for line, fulfilment, cents in plan:
        if line is not None:
            after = session.execute(update(OrderLine).where(
                OrderLine.id == line.id,
                OrderLine.refunded_cents + cents <= OrderLine.line_total_cents)
                .values(refunded_cents=OrderLine.refunded_cents + cents)
                .returning(OrderLine.refunded_cents)
                .execution_options(synchronize_session=False)).scalar_one_or_none()
            if after is None:
                raise _over()
            producer, commission = refund_split(cents, line.line_total_cents,
                                                line.commission_cents,
                                                refunded_before=after - cents)
            stored.append({"line_id": line.id, "group_id": line.group_id, "cents": cents,
                           "producer_cents": producer, "commission_cents": commission})
        elif fulfilment is None:
            stored.append(_hold_extras(session, order, cents))
        else:
            result = session.execute(update(Fulfilment).where(
                Fulfilment.id == fulfilment.id,
                Fulfilment.shipping_refunded_cents + cents <= Fulfilment.shipping_cents)
                .values(shipping_refunded_cents=Fulfilment.shipping_refunded_cents + cents)
                .execution_options(synchronize_session=False))
            if result.rowcount != 1:
                raise _over()
            stored.append({"fulfilment_id": fulfilment.id, "group_id": fulfilment.group_id,
                           "cents": cents, "producer_cents": cents, "commission_cents": 0})
    return stored


def _hold_extras(session: Session, order: Order, cents: int) -> dict:
    """Raise the order's refunded extras (guarded); the part is split between the packing
    point's shipping and the small-order fee (commission), rounded cumulatively."""
    total = _extras(order, list(fulfilments_of(session=session, order_id=order.id)))
    after = session.execute(update(Order).where(
        Order.id == order.id, Order.extras_refunded_cents + cents <= total)
        .values(extras_refunded_cents=Order.extras_refunded_cents + cents)
        .returning(Order.extras_refunded_cents)
        .execution_options(synchronize_session=False)).scalar_one_or_none()
    if after is None:
        raise _over()
    shipping_part, fee_part = refund_split(cents, total, order.small_order_fee_cents,
                                           refunded_before=after - cents)
    return {"extra": True, "group_id": None, "cents": cents, "producer_cents": 0,
            "shipping_cents": shipping_part, "commission_cents": fee_part}


def _release(session: Session, refund: Refund) -> None:
    """Give back what ``_hold`` took (the processor refused the refund)."""
    session.execute(update(Order).where(Order.id == refund.order_id)
                    .values(refunded_cents=Order.refunded_cents - refund.amount_cents)
                    .execution_options(synchronize_session=False))
    for part in refund.plan:
        if part.get("line_id"):
            session.execute(update(OrderLine).where(OrderLine.id == part["line_id"])
                            .values(refunded_cents=OrderLine.refunded_cents - part["cents"])
                            .execution_options(synchronize_session=False))
        elif part.get("extra"):
            session.execute(update(Order).where(Order.id == refund.order_id)
                            .values(extras_refunded_cents=Order.extras_refunded_cents
                                    - part["cents"])
                            .execution_options(synchronize_session=False))
        else:
            session.execute(update(Fulfilment).where(Fulfilment.id == part["fulfilment_id"])
                            .values(shipping_refunded_cents=Fulfilment.shipping_refunded_cents
                                    - part["cents"])
                            .execution_options(synchronize_session=False))


def request_refund(*, session: Session, actor: User, order: Order, line_id: int | None = None,
                   amount_cents: int | None = None, reason: str = "") -> Refund:
    """Record a pending refund of part or all of a paid order (admins only) and hold its
    amount. Nothing is sent to the processor: commit, then call ``send``."""
    if not has_role(session=session, user=actor, role=Role.ADMIN):
        raise Forbidden()
    session.refresh(order)
    if order.status not in REFUNDABLE or not order.payment_intent_id:
        raise InvalidTransition(_("Only a paid order can be refunded."))
    plan = _plan(session, order, line_id, amount_cents)
    refund = Refund(order_id=order.id, order_line_id=line_id,
                    amount_cents=sum(cents for _l, _f, cents in plan),
                    status=RefundStatus.PENDING, reason=reason.strip()[:500],
                    created_by_id=actor.id, attempts=1, retry_at=utcnow() + FIRST_RETRY)
    try:
        with session.begin_nested():
            session.add(refund)
            session.flush()
    except IntegrityError as exc:  # another refund of this order is pending
        raise RefundInProgress() from exc
    refund.idempotency_key = f"refund-{order.number}-{refund.id}"
    refund.plan = _hold(session, order, plan)
    session.add(refund)
    audit.record(session=session, actor=actor, entity_type="order", entity_id=order.id,
                 action="refund_requested", reason=refund.reason or None,
                 data={"refund_id": refund.id, "amount_cents": refund.amount_cents,
                       "line_id": line_id})
    return refund


# --- 3. record the outcome ------------------------------------------------------------------

def _claim_outcome(session: Session, refund: Refund, status: RefundStatus, **values) -> bool:
    """Move the refund out of ``pending`` once (False when another path already did)."""
    return REFUND_STATUS.change(session, refund, status, actor=None, when_illegal="lose",
                                values={"settled_at": utcnow(), "retry_at": None, **values},
                                data={"order_id": refund.order_id})


def settle(*, session: Session, refund: Refund, stripe_refund_id: str) -> bool:
    """The processor refunded it: ledger, order status, audit. False if already recorded."""
    if not _claim_outcome(session, refund, RefundStatus.SUCCEEDED,
                          stripe_refund_id=stripe_refund_id):
        return False
    order = session.get(Order, refund.order_id)
    session.refresh(order)
    ledger.record_refund(session=session, order=order, refund=refund, parts=refund.plan)
    settled = session.exec(select(func.coalesce(func.sum(Refund.amount_cents), 0)).where(
        Refund.order_id == order.id, Refund.status == RefundStatus.SUCCEEDED)).one()
    to = OrderStatus.REFUNDED if settled >= order.total_cents else OrderStatus.PARTLY_REFUNDED
    ORDER_STATUS.change(session, order, to, actor=None, reason=refund.reason or None)
    audit.record(session=session, actor=None, entity_type="order", entity_id=order.id,
                 action="refunded", data={"refund_id": refund.id,
                                          "amount_cents": refund.amount_cents,
                                          "stripe_refund_id": stripe_refund_id})
    return True


def fail(*, session: Session, refund: Refund, why: str) -> bool:
    """The processor refused it: the held amount is given back. False if already done."""
    if not _claim_outcome(session, refund, RefundStatus.FAILED, failure=why[:300]):
        return False
    _release(session, refund)
    audit.record(session=session, actor=None, entity_type="order", entity_id=refund.order_id,
                 action="refund_failed", reason=why[:500],
                 data={"refund_id": refund.id, "amount_cents": refund.amount_cents})
    return True


def apply_answer(*, session: Session, refund: Refund, answer: ProcessorRefund) -> bool:
    """Record what the processor says of our refund: succeeded (settle) or refused (fail).
    Anything else (``pending`` at the processor) leaves it pending: the worker, or the
    processor's refund webhooks, bring the final answer."""
    if answer.refused:
        return fail(session=session, refund=refund,
                    why=f"the card processor answered {answer.status}")
    if answer.status == "succeeded":
        return settle(session=session, refund=refund, stripe_refund_id=answer.id)
    return False


# --- 2. talk to the processor (after the commit) --------------------------------------------

def metadata_of(refund: Refund, order: Order) -> dict[str, str]:
    return {"refund_id": str(refund.id), "order_number": order.number}


def call_processor(gateway: PaymentGateway, refund: Refund, order: Order
                   ) -> ProcessorRefund | str | None:
    """Send the refund: the processor's refund, a refusal (its reason), or None when the
    outcome is unknown (unreachable; the worker will ask again)."""
    try:
        return gateway.refund(intent_id=order.payment_intent_id,
                              amount_cents=refund.amount_cents,
                              idempotency_key=refund.idempotency_key,
                              metadata=metadata_of(refund, order))
    except ProcessorRefused as exc:
        return str(exc)
    except GatewayUnavailable as exc:
        log.warning("refund %s: no answer from the processor (%s); the worker will retry",
                    refund.id, exc)
        return None


def find_at_processor(gateway: PaymentGateway, refund: Refund, order: Order
                      ) -> ProcessorRefund | None:
    """Our refund among the intent's refunds at the processor (by the id in its metadata)."""
    for answer in gateway.refunds_of(order.payment_intent_id):
        if answer.metadata.get("refund_id") == str(refund.id):
            return answer
    return None


def record_answer(*, session: Session, refund_id: int, answer: ProcessorRefund | str) -> bool:
    """Record a processor answer (a refund, or the reason of a refusal) on a refund; False
    when it changes nothing (already recorded, or still pending at the processor)."""
    refund = session.get(Refund, refund_id)
    if isinstance(answer, str):
        return fail(session=session, refund=refund, why=answer)
    return apply_answer(session=session, refund=refund, answer=answer)


def due_for_retry(*, session: Session, now=None, limit: int = 50) -> list[int]:
    """Pending refunds whose processor answer is overdue, oldest first."""
    now = now or utcnow()
    return list(session.exec(select(Refund.id).where(
        Refund.status == RefundStatus.PENDING,
        or_(Refund.retry_at.is_(None), Refund.retry_at <= now))
        .order_by(Refund.id).limit(limit)))


def claim_retry(*, session: Session, refund_id: int, now=None) -> Refund | None:
    """Take a due refund for one reconciliation (guarded: two workers never both take it);
    the next retry waits twice as long, up to an hour."""
    now = now or utcnow()
    refund = session.get(Refund, refund_id)
    if refund is None or refund.status != RefundStatus.PENDING:
        return None
    wait = min(FIRST_RETRY * (2 ** min(refund.attempts, 10)), MAX_RETRY)
    result = session.execute(update(Refund).where(
        Refund.id == refund_id, Refund.status == RefundStatus.PENDING,
        Refund.attempts == refund.attempts)
        .values(attempts=Refund.attempts + 1, retry_at=now + wait)
        .execution_options(synchronize_session=False))
    if result.rowcount != 1:
        return None
    session.refresh(refund)
    return refund


# --- refunds made elsewhere (seen in a charge.refunded webhook) -----------------------------

def record_processor_refund(*, session: Session, order: Order, answer: ProcessorRefund) -> bool:
    """A refund listed by the processor: ours (pending) is finished; one made outside the
    marketplace is recorded once it succeeded, spread over the order. False when nothing
    changed. Raises RefundInProgress when one of ours is pending (the webhook is answered
    non-2xx, so the processor sends it again once ours is settled) and RefundReversed when
    a refund booked as succeeded is now reported failed."""
    known = session.exec(select(Refund).where(Refund.stripe_refund_id == answer.id)).first()
    if known is not None:
        if answer.refused and known.status == RefundStatus.SUCCEEDED:
            raise RefundReversed(
                f"refund {answer.id} ({known.amount_cents} cents) was booked as refunded, "
                f"but the card processor now reports it {answer.status}: contact the buyer")
        return False
    ours = answer.metadata.get("refund_id")
    if ours and ours.isdigit():
        refund = session.get(Refund, int(ours))
        if refund is not None and refund.order_id == order.id:
            return apply_answer(session=session, refund=refund, answer=answer)
    if answer.status != "succeeded" or order.status not in REFUNDABLE:
        return False
    plan = _plan(session, order, None, answer.amount_cents)
    refund = Refund(order_id=order.id, amount_cents=answer.amount_cents,
                    status=RefundStatus.PENDING, reason="refunded at the processor")
    try:
        with session.begin_nested():
            session.add(refund)
            session.flush()
    except IntegrityError as exc:  # one of ours is pending: the worker finishes it first
        raise RefundInProgress() from exc
    refund.plan = _hold(session, order, plan)
    session.add(refund)
    return settle(session=session, refund=refund, stripe_refund_id=answer.id)
