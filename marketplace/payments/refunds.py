"""Refunds (full, or per line) through the card processor, with limits enforced here:
the processor may not refuse an over-refund, so the order and line columns are raised with a
guarded UPDATE before the call, and the ledger reverses the refunded part proportionally."""

from sqlalchemy import update
from sqlmodel import Session, select

from marketplace import audit
from marketplace.auth.roles import has_role
from marketplace.checkout.pricing import proportional, refund_split
from marketplace.errors import Conflict, Forbidden, InvalidTransition, ValidationFailed
from marketplace.i18n import gettext as _
from marketplace.models import Fulfilment, Order, OrderLine, OrderStatus, Refund, Role, User
from marketplace.orders.service import _set_status, fulfilments_of, lines_of
from marketplace.payments import ledger
from marketplace.payments.gateway import GatewayUnavailable, PaymentGateway

REFUNDABLE = (OrderStatus.PAID, OrderStatus.PARTLY_REFUNDED)


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
    parts = proportional(amount, weights)
    plan = [(line, None, cents) for line, cents in zip(lines, parts[:len(lines)], strict=True)]
    if shipping_left > 0:
        plan += [(None, f, cents) for f, cents in zip(fulfilments, parts[len(lines):],
                                                      strict=True)]
    return [p for p in plan if p[2] > 0]


def _apply(session: Session, order: Order, refund: Refund,
           plan: list[tuple[OrderLine | None, Fulfilment | None, int]], actor: User | None) -> None:
    """Raise the refunded columns (guarded), write the ledger, move the status."""
    total = sum(cents for _l, _f, cents in plan)
    result = session.execute(update(Order).where(
        Order.id == order.id, Order.refunded_cents + total <= Order.total_cents)
        .values(refunded_cents=Order.refunded_cents + total)
        .execution_options(synchronize_session=False))
    if result.rowcount != 1:
        raise Conflict(_("This refund would be more than what was paid."))
    parts = []
    for line, fulfilment, cents in plan:
        if line is not None:
            result = session.execute(update(OrderLine).where(
                OrderLine.id == line.id,
                OrderLine.refunded_cents + cents <= OrderLine.line_total_cents)
                .values(refunded_cents=OrderLine.refunded_cents + cents)
                .returning(OrderLine.refunded_cents)
                .execution_options(synchronize_session=False))
            after = result.scalar_one_or_none()
            if after is None:
                raise Conflict(_("This refund would be more than what was paid."))
            producer, commission = refund_split(cents, line.line_total_cents,
                                                line.commission_cents,
                                                refunded_before=after - cents)
            parts.append((line.group_id, producer, commission))
        else:
            result = session.execute(update(Fulfilment).where(
                Fulfilment.id == fulfilment.id,
                Fulfilment.shipping_refunded_cents + cents <= Fulfilment.shipping_cents)
                .values(shipping_refunded_cents=Fulfilment.shipping_refunded_cents + cents)
                .execution_options(synchronize_session=False))
            if result.rowcount != 1:
                raise Conflict(_("This refund would be more than what was paid."))
            parts.append((fulfilment.group_id, cents, 0))
    ledger.record_refund(session=session, order=order, refund=refund, parts=parts)
    session.refresh(order)
    to = OrderStatus.REFUNDED if order.refunded_cents >= order.total_cents \
        else OrderStatus.PARTLY_REFUNDED
    _set_status(session, order, to, actor, refund.reason or None)


def refund(*, session: Session, gateway: PaymentGateway, actor: User, order: Order,
           line_id: int | None = None, amount_cents: int | None = None,
           reason: str = "") -> Refund:
    """Refund part or all of a paid order through the processor (admins only)."""
    if not has_role(session=session, user=actor, role=Role.ADMIN):
        raise Forbidden()
    if order.status not in REFUNDABLE or not order.payment_intent_id:
        raise InvalidTransition(_("Only a paid order can be refunded."))
    plan = _plan(session, order, line_id, amount_cents)
    refund_row = Refund(order_id=order.id, order_line_id=line_id,
                        amount_cents=sum(cents for _l, _f, cents in plan),
                        reason=reason.strip()[:500], created_by_id=actor.id)
    session.add(refund_row)
    session.flush()
    _apply(session, order, refund_row, plan, actor)
    try:  # last: if the processor refuses, the whole transaction rolls back
        refund_row.stripe_refund_id = gateway.refund(
            intent_id=order.payment_intent_id, amount_cents=refund_row.amount_cents,
            idempotency_key=f"refund-{order.number}-{refund_row.id}")
    except GatewayUnavailable as exc:
        raise Conflict(_("The card processor did not accept the refund. Nothing was "
                         "refunded; try again later.")) from exc
    session.add(refund_row)
    audit.record(session=session, actor=actor, entity_type="order", entity_id=order.id,
                 action="refunded", data={"amount_cents": refund_row.amount_cents,
                                          "line_id": line_id})
    return refund_row


def record_external_refund(*, session: Session, order: Order, stripe_refund_id: str,
                           amount_cents: int) -> bool:
    """A refund made outside the marketplace (seen in a charge.refunded webhook): recorded
    once, spread over the order like a full-order refund. False when already known."""
    known = session.exec(select(Refund.id).where(
        Refund.stripe_refund_id == stripe_refund_id)).first()
    if known or order.status not in REFUNDABLE:
        return False
    plan = _plan(session, order, None, amount_cents)
    refund_row = Refund(order_id=order.id, amount_cents=amount_cents,
                        stripe_refund_id=stripe_refund_id, reason="refunded at the processor")
    session.add(refund_row)
    session.flush()
    _apply(session, order, refund_row, plan, None)
    return True
