"""Development card payments with localstripe: two instances of the app on one machine share
one localstripe and each keeps receiving its own signed webhooks, also after a restart or
with several worker processes (the webhook id and secret are derived, not random)."""

import socket
import threading
import time
from contextlib import contextmanager

import pytest
import stripe
import uvicorn
from alembic import command
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from marketplace.app import create_app
from marketplace.config import Settings
from marketplace.integrations.stripe import localstripe as server
from marketplace.models import StripeEvent
from marketplace.ops import alembic_config
from tests.factories import create_product
from tests.helpers import wait_for
from tests.helpers.payments import card, charge, place, reload
from tests.helpers.server import answers


def _dev_settings(settings: Settings, base_url: str, database_url: str, var_dir) -> Settings:
    """An instance as `marketplace serve` runs it in development: no Stripe key, so it uses
    the localstripe on ``localstripe_port`` (the test session's)."""
    return Settings(environment="development", database_url=database_url,
                    secret_key=settings.secret_key, var_dir=var_dir, base_url=base_url,
                    log_level="WARNING", localstripe_port=settings.localstripe_port)


@contextmanager
def instance(make_settings):
    """An app on a free port whose base URL is that port; its startup registers its webhook
    at localstripe. Yields (app, base URL)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    base_url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    app = create_app(make_settings(base_url))
    uv = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False,
                                       lifespan="on"))
    thread = threading.Thread(target=uv.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 15
        while not answers(f"{base_url}/healthz"):
            assert thread.is_alive() and time.monotonic() < deadline, "the app did not start"
            time.sleep(0.05)
        yield app, base_url
    finally:
        uv.should_exit = True
        thread.join(timeout=10)
        sock.close()
        # localstripe cannot forget a webhook: point this one at a closed port.
        server.register_webhook(app.state.settings.stripe_api_base, "http://127.0.0.1:9/closed",
                                app.state.settings.stripe_webhook_secret,
                                server.webhook_id(app.state.settings))


def test_two_instances_on_one_localstripe_each_get_their_own_webhooks(
        session, settings, localstripe, tmp_path):
    # Instance A uses the test database; instance B (another port) a database of its own.
    other_db = f"sqlite:///{tmp_path / 'other.db'}"
    command.upgrade(alembic_config(other_db), "head")
    dashboard = stripe.StripeClient(server.DEV_SECRET_KEY, base_addresses={"api": localstripe})

    def make_a(url):
        return _dev_settings(settings, url, settings.database_url, tmp_path / "a")

    def make_b(url):
        return _dev_settings(settings, url, other_db, tmp_path / "b")

    with instance(make_a) as (app_a, url_a), instance(make_b) as (app_b, _url_b):
        a, b = app_a.state.settings, app_b.state.settings
        assert server.webhook_id(a) != server.webhook_id(b)
        assert a.stripe_webhook_secret != b.stripe_webhook_secret
        assert a.stripe_webhook_secret == server.webhook_secret(a)  # stable, not random

        def pay(order):
            return charge(app_a.state.gateway, order, card(dashboard))["id"]

        # B started after A: A's payments are still marked paid through A's webhook.
        first = place(session, settings, [(create_product(session, stock_on_hand=3), 1)])
        intent = pay(first)
        assert wait_for(lambda: reload(session, first).status == "paid"), \
            "instance A no longer receives its payments once B has started"
        # B got the same event signed with its own secret, verified it, and (not knowing
        # the payment) recorded it as such.
        def seen_by_b():
            with Session(app_b.state.engine) as other:
                return other.exec(select(StripeEvent.outcome).where(
                    StripeEvent.type == "payment_intent.succeeded")).all()

        assert wait_for(lambda: seen_by_b() == ["unknown payment intent"]), seen_by_b()
        assert reload(session, first).payment_intent_id == intent

        # A restart of A, or a second worker process of A, registers the same webhook again
        # (the lifespan runs): A's running process still verifies its events.
        with TestClient(create_app(make_a(url_a))) as again:
            assert again.app.state.settings.stripe_webhook_secret == a.stripe_webhook_secret
        second = place(session, settings, [(create_product(session, stock_on_hand=3), 1)])
        pay(second)
        assert wait_for(lambda: reload(session, second).status == "paid"), \
            "instance A stopped receiving its payments after it registered again"


@pytest.mark.parametrize("base_url", ["http://127.0.0.1:8000", "http://127.0.0.1:8000/"])
def test_the_development_secret_is_derived_from_the_secret_key_and_base_url(settings,
                                                                            base_url):
    one = _dev_settings(settings, base_url, settings.database_url, settings.var_dir)
    same = _dev_settings(settings, "http://127.0.0.1:8000", settings.database_url,
                         settings.var_dir)
    port = _dev_settings(settings, "http://127.0.0.1:8001", settings.database_url,
                         settings.var_dir)
    key = one.model_copy(update={"secret_key": "another secret key"})
    assert server.webhook_secret(one) == server.webhook_secret(same)
    assert server.webhook_id(one) == server.webhook_id(same)
    assert server.webhook_secret(port) != server.webhook_secret(one)
    assert server.webhook_id(port) != server.webhook_id(one)
    assert server.webhook_secret(key) != server.webhook_secret(one)
    assert server.webhook_secret(one).startswith("whsec_")
    assert server.webhook_secret(one) not in (server.webhook_id(one), settings.secret_key)
