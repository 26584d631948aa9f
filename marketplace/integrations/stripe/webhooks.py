"""Stripe webhook intake: verify the signature, allow-list the event types, store each event
id once, dispatch to the order and refund services.

Answers (the route turns them into HTTP):
- a bad or missing signature, or a body that is not a JSON event: ``BadRequest`` (400), and
  nothing is written;
- an event type we do not handle: 200 "ignored" (not stored);
- an event id already stored: 200 "duplicate", nothing changes;
- a PaymentIntent (or charge) we do not know: 200 "unknown payment intent", stored with that
  outcome. Stripe retries any non-2xx for days; an intent that is not ours (made by hand in
  the dashboard, another integration on the account) will never become known, so a 404
  would only make Stripe retry in vain. The outcome stays in ``stripe_event`` for support.
- a payment that cannot be applied (amount mismatch, stock gone after a late payment):
  200, outcome "needs attention: ...", an audit event on the order and an error in the log:
  a retry cannot fix it, a person must (usually a refund).
Anything unexpected raises: the transaction rolls back (the event id too) and Stripe retries.
"""

import json
import logging

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from marketplace import audit
from marketplace.config import Settings
from marketplace.errors import BadRequest, MarketplaceError, ValidationFailed
from marketplace.i18n import gettext as _
from marketplace.models import Order, OrderStatus, StripeEvent, utcnow
from marketplace.orders import service as orders
from marketplace.payments import refunds

log = logging.getLogger("marketplace.stripe")

HANDLED = frozenset({"payment_intent.succeeded", "payment_intent.payment_failed",
                     "charge.refunded"})
UNKNOWN_INTENT = "unknown payment intent"
COUNTED_REFUNDS = ("succeeded", "pending")


def verify(*, payload: bytes, sig_header: str | None, secret: str | None) -> dict:
    """The event, once its signature is checked; BadRequest otherwise."""
    if not secret:
        log.error("stripe webhook received but no webhook secret is configured")
        raise BadRequest(_("Webhooks are not configured."))
    import stripe  # imported on first use: the SDK costs ~25 MB per worker

    try:
        stripe.Webhook.construct_event(payload, sig_header, secret)
        event = json.loads(payload)
    except stripe.SignatureVerificationError as exc:
        raise BadRequest(_("The webhook signature is not valid.")) from exc
    except ValueError as exc:  # not UTF-8 or not JSON
        raise BadRequest(_("The webhook body is not a JSON event.")) from exc
    if not isinstance(event, dict) or not isinstance(event.get("id"), str) or \
            not isinstance(event.get("type"), str) or \
            not isinstance((event.get("data") or {}).get("object"), dict):
        raise BadRequest(_("The webhook body is not a Stripe event."))
    return event


def handle(*, session: Session, settings: Settings, gateway, payload: bytes,
           sig_header: str | None) -> str:
    """Verify, store once, dispatch; returns the outcome (also stored with the event)."""
    event = verify(payload=payload, sig_header=sig_header,
                   secret=settings.stripe_webhook_secret)
    if event["type"] not in HANDLED:
        return "ignored"
    row = StripeEvent(event_id=event["id"][:80], type=event["type"][:60])
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:
        return "duplicate"
    outcome = _dispatch(session, settings, gateway, event["type"], event["data"]["object"])
    row.outcome = outcome[:200]
    row.processed_at = utcnow()
    session.add(row)
    log.info("stripe event %s %s: %s", event["id"], event["type"], outcome)
    return outcome


def _dispatch(session: Session, settings: Settings, gateway, kind: str, obj: dict) -> str:
    if kind == "payment_intent.succeeded":
        return _succeeded(session, settings, obj)
    if kind == "payment_intent.payment_failed":
        return _failed(session, obj)
    return _refunded(session, gateway, obj)


def find_order(session: Session, intent_id: str | None, metadata: dict | None) -> Order | None:
    """The order of a PaymentIntent: by its stored id, else by the order number we put in the
    intent's metadata (the webhook may arrive before the paying request has committed)."""
    if intent_id:
        order = session.exec(select(Order).where(Order.payment_intent_id == intent_id)).first()
        if order is not None:
            return order
    number = (metadata or {}).get("order_number")
    if isinstance(number, str) and number:
        return session.exec(select(Order).where(Order.number == number)).first()
    return None


def _describe(exc: MarketplaceError) -> str:
    if isinstance(exc, ValidationFailed) and exc.errors:
        return "; ".join(str(message) for message in exc.errors.values())
    return exc.detail


def _attention(session: Session, order: Order, intent_id: str, problem: str) -> str:
    log.error("stripe payment %s for order %s needs attention: %s", intent_id, order.number,
              problem)
    audit.record(session=session, actor=None, entity_type="order", entity_id=order.id,
                 action="payment_needs_attention", reason=problem[:500],
                 data={"payment_intent": intent_id})
    return f"needs attention: {problem}"


def _succeeded(session: Session, settings: Settings, intent: dict) -> str:
    intent_id = intent.get("id")
    order = find_order(session, intent_id, intent.get("metadata"))
    if order is None:
        return UNKNOWN_INTENT
    if order.payment_intent_id != intent_id:
        if order.status not in (OrderStatus.PENDING_PAYMENT, OrderStatus.CANCELLED):
            return _attention(session, order, intent_id,
                              f"order already paid with {order.payment_intent_id}; "
                              f"refund {intent_id} at Stripe")
        order.payment_intent_id = intent_id  # refunds go to the intent that was paid
        session.add(order)
    if str(intent.get("currency", "")).lower() != order.currency.lower():
        return _attention(session, order, intent_id, f"paid in {intent.get('currency')}")
    try:
        with session.begin_nested():
            paid = orders.mark_paid(session=session, settings=settings, order=order,
                                    amount_cents=int(intent.get("amount", -1)))
    except MarketplaceError as exc:
        session.refresh(order)
        return _attention(session, order, intent_id, _describe(exc))
    return "order paid" if paid else "order already paid"


def _failed(session: Session, intent: dict) -> str:
    order = find_order(session, intent.get("id"), intent.get("metadata"))
    if order is None:
        return UNKNOWN_INTENT
    error = intent.get("last_payment_error") or {}
    # The reservation stays until it expires: the buyer may try another card meanwhile.
    audit.record(session=session, actor=None, entity_type="order", entity_id=order.id,
                 action="payment_failed", data={"payment_intent": intent.get("id"),
                                                "code": error.get("code"),
                                                "decline_code": error.get("decline_code")})
    return "payment failure recorded"


def _refunded(session: Session, gateway, charge: dict) -> str:
    intent_id = charge.get("payment_intent")
    order = find_order(session, intent_id, charge.get("metadata"))
    if order is None:
        return UNKNOWN_INTENT
    listed = (charge.get("refunds") or {}).get("data")
    if listed is None:  # newer API versions leave the list out of the charge: ask Stripe
        items = gateway.refunds_of(intent_id or order.payment_intent_id)
    else:
        items = [(r.get("id"), int(r.get("amount", 0)), r.get("status") or "succeeded")
                 for r in listed]
    recorded, problems = 0, []
    for refund_id, cents, status in items:
        if not refund_id or status not in COUNTED_REFUNDS or cents <= 0:
            continue
        try:
            with session.begin_nested():
                if refunds.record_external_refund(session=session, order=order,
                                                  stripe_refund_id=refund_id,
                                                  amount_cents=cents):
                    recorded += 1
        except IntegrityError:
            continue  # recorded meanwhile by the request that made this refund
        except MarketplaceError as exc:
            session.refresh(order)
            problems.append(f"{refund_id}: {_describe(exc)}")
    if problems:
        return _attention(session, order, intent_id or "", "; ".join(problems))
    return f"{recorded} refund(s) recorded"
