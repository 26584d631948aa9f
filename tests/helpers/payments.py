"""Paying at localstripe: card numbers, Stripe-style signed webhook events, orders placed
and paid (the fixtures ``stripe_api``, ``gateway``, ``stripe_webhooks`` are in
tests/fixtures/stripe.py)."""

import hashlib
import hmac
import json
import time

from sqlmodel import select

from marketplace.models import Order
from tests.factories import cart_with, placed_order
from tests.helpers import fresh

VISA = "4242424242424242"
DECLINED_ON_CHARGE = "4000000000000341"


def card(stripe_api, number: str = VISA) -> str:
    """A PaymentMethod id, as Stripe.js would create from the card form."""
    return stripe_api.v1.payment_methods.create({
        "type": "card", "card": {"number": number, "exp_month": 12, "exp_year": 2034,
                                 "cvc": "123"}}).id


def sign(payload: str, secret: str, timestamp: int | None = None) -> str:
    """The Stripe-Signature header, computed exactly like Stripe does."""
    ts = int(time.time()) if timestamp is None else timestamp
    digest = hmac.new(secret.encode(), f"{ts}.{payload}".encode(), hashlib.sha256).hexdigest()
    return f"t={ts},v1={digest}"


def event(kind: str, obj: dict, event_id: str | None = None) -> str:
    return json.dumps({"id": event_id or f"evt_{time.time_ns()}", "object": "event",
                       "type": kind, "created": int(time.time()), "data": {"object": obj}})


def post_event(client, settings, payload: str, signature: str | None = None):
    return client.post("/api/v1/webhooks/stripe", content=payload.encode(), headers={
        "Content-Type": "application/json",
        "Stripe-Signature": signature or sign(payload, settings.stripe_webhook_secret)})


def place(session, settings, items, user=None) -> Order:
    """An order placed through the checkout service for (product, quantity) items."""
    return placed_order(session, settings, cart_with(session, items, user=user), user=user)


def charge(gateway, order: Order, number_or_pm: str) -> dict:
    """Pay the order at localstripe (as the pay page does) and return the PaymentIntent."""
    intent = gateway.create_intent(amount_cents=order.total_cents, currency=order.currency,
                                   order_number=order.number, payment_method=number_or_pm,
                                   idempotency_key=f"test-{order.number}-{number_or_pm}")
    intent = gateway.confirm_intent(intent.id)
    return gateway.client.v1.payment_intents.retrieve(intent.id).to_dict()


def pay_with_webhook(client, session, settings, gateway, stripe_api, order: Order) -> dict:
    """Charge the order at localstripe and deliver the signed payment_intent.succeeded."""
    intent = charge(gateway, order, card(stripe_api))
    response = post_event(client, settings, event("payment_intent.succeeded", intent))
    assert response.status_code == 200, response.text
    assert response.json()["outcome"] == "order paid"
    fresh(session)
    return intent


def reload(session, order: Order) -> Order:
    fresh(session)
    return session.exec(select(Order).where(Order.id == order.id)).one()
