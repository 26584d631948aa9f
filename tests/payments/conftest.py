"""Payment fixtures: the session's localstripe (tests/conftest.py starts it on first use),
an SDK client to act as Stripe's dashboard, Stripe-style signed webhooks, the app on a real
port so localstripe can deliver its own webhooks, and paid orders."""

import hashlib
import hmac
import json
import time

import pytest
import stripe
from sqlmodel import select

from marketplace.integrations.stripe import localstripe as localstripe_server
from marketplace.models import Order
from marketplace.orders import service as orders
from tests.browser.conftest import browser  # noqa: F401 - headless Chromium, for the card page
from tests.factories import address, cart_with

VISA = "4242424242424242"
DECLINED_ON_CHARGE = "4000000000000341"


@pytest.fixture
def stripe_api(settings, localstripe) -> stripe.StripeClient:
    """The SDK pointed at localstripe, for what the buyer's browser or the dashboard does."""
    return stripe.StripeClient(settings.stripe_secret_key,
                               base_addresses={"api": settings.stripe_api_base})


@pytest.fixture
def gateway(app, localstripe):
    return app.state.gateway


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
    order, _created = orders.place_order(session=session, settings=settings,
                                         cart=cart_with(session, items, user=user), user=user,
                                         address=address())
    session.commit()
    return order


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


def fresh(session) -> None:
    """See what the app committed since: end the test session's transaction (on SQLite a
    read transaction keeps its snapshot) and expire what it loaded."""
    session.rollback()
    session.expire_all()


def reload(session, order: Order) -> Order:
    fresh(session)
    return session.exec(select(Order).where(Order.id == order.id)).one()


@pytest.fixture(scope="session")
def live_app(live_server):
    """The session's app on a real port, so localstripe can deliver webhooks to it."""
    return live_server


@pytest.fixture
def stripe_webhooks(settings, localstripe, live_app):
    """localstripe delivers its signed events to the live app for the test's duration."""
    time.sleep(1.2)  # events of earlier tests (sent 1 s after a charge) go nowhere first
    localstripe_server.register_webhook(localstripe, live_app + "/api/v1/webhooks/stripe",
                                        settings.stripe_webhook_secret, webhook_id="tests")
    yield
    # Point it at a closed port: localstripe has no way to unregister a webhook.
    localstripe_server.register_webhook(localstripe, "http://127.0.0.1:9/closed",
                                        settings.stripe_webhook_secret, webhook_id="tests")
