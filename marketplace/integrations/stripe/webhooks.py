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
import time

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from marketplace import audit
from marketplace.config import Settings
from marketplace.errors import BadRequest, MarketplaceError
from marketplace.i18n import gettext as _
from marketplace.models import Order, PaymentAttempt, StripeEvent, utcnow
from marketplace.orders.service import payment as card
from marketplace.orders.service import refunds
from marketplace.payments.gateway import GatewayUnavailable, ProcessorRefund
from marketplace.wholesale import charges as wholesale_charges

log = logging.getLogger("marketplace.stripe")

REFUND_UPDATES = frozenset({"charge.refund.updated", "refund.updated", "refund.failed"})
HANDLED = frozenset({"payment_intent.succeeded", "payment_intent.payment_failed",
                     "charge.refunded"}) | REFUND_UPDATES
UNKNOWN_INTENT = "unknown payment intent"
TOLERANCE = 300  # seconds a signature's timestamp may differ from now (Stripe's default)


def _signed_at(sig_header: str | None) -> int:
    """The latest ``t=`` timestamp of a Stripe-Signature header (the SDK has checked that
    one is there)."""
    stamps = [item.split("=", 2) for item in (sig_header or "").split(",")]
    try:
        return max(int(parts[1]) for parts in stamps if parts[0] == "t" and len(parts) > 1)
    except ValueError as exc:  # none, or not a number
        raise BadRequest(_("The webhook signature is not valid.")) from exc


class ProcessorUnreachable(GatewayUnavailable):
    """The event needs an answer from Stripe that did not come: 503, and Stripe retries."""

    slug = "processor-unreachable"


def verify(*, payload: bytes, sig_header: str | None, secret: str | None) -> dict:
    """The event, once its signature is checked; BadRequest otherwise."""
    if not secret:
        log.error("stripe webhook received but no webhook secret is configured")
        raise BadRequest(_("Webhooks are not configured."))
    import stripe  # imported on first use: the SDK costs ~25 MB per worker

    try:
        stripe.Webhook.construct_event(payload, sig_header, secret, tolerance=TOLERANCE)
        event = json.loads(payload)
    except stripe.SignatureVerificationError as exc:
        raise BadRequest(_("The webhook signature is not valid.")) from exc
    except ValueError as exc:  # not UTF-8 or not JSON
        raise BadRequest(_("The webhook body is not a JSON event.")) from exc
    if _signed_at(sig_header) > time.time() + TOLERANCE:
        # The SDK refuses only old timestamps; one from the future would stay valid past the
        # replay window, so it is refused as well.
        raise BadRequest(_("The webhook signature is not valid."))
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
    listed = _refunds_listed(gateway, event)  # asked of Stripe before any transaction
    row = StripeEvent(event_id=event["id"][:80], type=event["type"][:60])
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:
        return "duplicate"
    outcome = _dispatch(session, settings, event["type"], event["data"]["object"], listed)
    row.outcome = outcome[:200]
    row.processed_at = utcnow()
    session.add(row)
    log.info("stripe event %s %s: %s", event["id"], event["type"], outcome)
    return outcome


def _processor_refund(obj: dict) -> ProcessorRefund:
    return ProcessorRefund(id=obj.get("id") or "", amount_cents=int(obj.get("amount") or 0),
                           status=obj.get("status") or "",
                           metadata=dict(obj.get("metadata") or {}))


def _refunds_listed(gateway, event: dict) -> list[ProcessorRefund] | None:
    """The refunds a refund event is about: the one refund of a refund update, the list in
    the charge of ``charge.refunded``, or, when newer API versions leave that list out, the
    intent's refunds asked of Stripe now, before the database transaction begins (a slow
    answer must not hold a lock). None for the other events."""
    kind, obj = event["type"], event["data"]["object"]
    if kind in REFUND_UPDATES:
        return [_processor_refund(obj)]
    if kind != "charge.refunded":
        return None
    listed = (obj.get("refunds") or {}).get("data")
    if listed is not None:
        return [_processor_refund(r) for r in listed if isinstance(r, dict)]
    if not isinstance(obj.get("payment_intent"), str):
        return []
    try:
        return gateway.refunds_of(obj["payment_intent"])
    except GatewayUnavailable as exc:
        raise ProcessorUnreachable(str(exc), detail=_(
            "Stripe did not answer; send this event again.")) from exc


def _dispatch(session: Session, settings: Settings, kind: str, obj: dict,
              listed: list[ProcessorRefund] | None) -> str:
    if kind == "payment_intent.succeeded":
        return _succeeded(session, settings, obj)
    if kind == "payment_intent.payment_failed":
        return _failed(session, obj)
    return _refunded(session, obj, listed or [])


def find_order(session: Session, intent_id: str | None, metadata: dict | None) -> Order | None:
    """The order of a PaymentIntent: by its stored id (on the order or on a payment attempt),
    else by the order number we put in the intent's metadata. When the metadata names one of
    our payment attempts, that attempt must belong to the order: another installation using
    the same Stripe account (another copy in development) has its own numbers and attempts."""
    if intent_id:
        order = session.exec(select(Order).where(Order.payment_intent_id == intent_id)).first()
        if order is not None:
            return order
        attempt = session.exec(select(PaymentAttempt).where(
            PaymentAttempt.intent_id == intent_id)).first()
        if attempt is not None:
            return session.get(Order, attempt.order_id)
    metadata = metadata or {}
    number = metadata.get("order_number")
    if not isinstance(number, str) or not number:
        return None
    order = session.exec(select(Order).where(Order.number == number)).first()
    attempt_id = str(metadata.get("attempt_id") or "")
    if order is not None and attempt_id:
        attempt = session.get(PaymentAttempt, int(attempt_id)) if attempt_id.isdigit() else None
        if attempt is None or attempt.order_id != order.id or \
                (attempt.intent_id and attempt.intent_id != intent_id):
            return None
    return order


def _succeeded(session: Session, settings: Settings, intent: dict) -> str:
    intent_id = intent.get("id")
    order = find_order(session, intent_id, intent.get("metadata"))
    if order is None:
        charge = wholesale_charges.find(session, intent_id)
        if charge is None:
            return UNKNOWN_INTENT
        return wholesale_charges.apply_succeeded(
            session=session, settings=settings, charge=charge, intent_id=intent_id,
            amount_cents=int(intent.get("amount", -1)), currency=str(intent.get("currency", "")))
    return card.apply_succeeded(session=session, settings=settings, order=order,
                                intent_id=intent_id, amount_cents=int(intent.get("amount", -1)),
                                currency=str(intent.get("currency", "")))


def _failed(session: Session, intent: dict) -> str:
    order = find_order(session, intent.get("id"), intent.get("metadata"))
    error = intent.get("last_payment_error") or {}
    if order is None:
        charge = wholesale_charges.find(session, intent.get("id"))
        if charge is None:
            return UNKNOWN_INTENT
        wholesale_charges.failed(session=session, charge=charge,
                                 intent_status="requires_payment_method",
                                 error=str(error.get("message") or error.get("code") or ""))
        return "wholesale charge failure recorded"
    # The reservation stays until it expires: the buyer may try another card meanwhile.
    audit.record(session=session, actor=None, entity_type="order", entity_id=order.id,
                 action="payment_failed", data={"payment_intent": intent.get("id"),
                                                "code": error.get("code"),
                                                "decline_code": error.get("decline_code")})
    return "payment failure recorded"


def _refunded(session: Session, obj: dict, items: list[ProcessorRefund]) -> str:
    """Refunds seen at Stripe (a charge's list, or one updated refund): ours are finished,
    others recorded once they succeeded. While one of ours is pending, RefundInProgress is
    raised: the event is answered 409 and Stripe sends it again later."""
    intent_id = obj.get("payment_intent")
    order = find_order(session, intent_id, obj.get("metadata"))
    if order is None:
        return UNKNOWN_INTENT
    recorded, problems = 0, []
    for item in items:
        if not item.id or item.amount_cents <= 0:
            continue
        try:
            with session.begin_nested():
                if refunds.record_processor_refund(session=session, order=order, answer=item):
                    recorded += 1
        except IntegrityError:
            continue  # recorded meanwhile by the request that made this refund
        except refunds.RefundInProgress:
            raise
        except MarketplaceError as exc:
            session.refresh(order)
            problems.append(f"{item.id}: {card.describe(exc)}")
    if problems:
        return card.needs_attention(session, order, intent_id or "", "; ".join(problems))
    return f"{recorded} refund(s) recorded"
