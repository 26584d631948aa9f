"""A slow card processor slows only the buyers who are paying: while their requests wait on
Stripe they give their database slot back, so every other page still answers at once."""

import time

from marketplace.app import create_app
from marketplace.models import Order
from tests.factories import create_product, create_user
from tests.helpers import csrf_from, login
from tests.helpers.concurrency import HealthProbe, browsers, race
from tests.helpers.payments import card, place, reload
from tests.helpers.server import served

STRIPE_DELAY = 2.5  # seconds each PaymentIntent creation takes
PAGE_WITHIN = 1.5  # seconds a page of the site answers in meanwhile


def test_buyers_waiting_on_a_slow_stripe_do_not_stall_the_site(settings, session,
                                                               stripe_api, localstripe):
    # Two database slots only: three buyers paying at once could hold them all.
    app = create_app(settings.model_copy(update={"database_pool_size": 1}))
    gateway = app.state.gateway
    real = gateway.create_intent

    def slow_create_intent(**kwargs):
        time.sleep(STRIPE_DELAY)
        return real(**kwargs)

    gateway.create_intent = slow_create_intent
    buyers = [create_user(session) for _ in range(3)]
    orders = [place(session, settings, [(create_product(session, price_cents=3000), 1)],
                    user=buyer) for buyer in buyers]
    with served(app, name="slow-stripe") as base_url:
        clients = browsers(base_url, 4)
        forms = []
        for client, buyer, order in zip(clients, buyers, orders, strict=False):
            login(client, buyer.email)
            page = client.get(f"/orders/{order.number}/pay")
            forms.append({"csrf_token": csrf_from(page.text),
                          "payment_method": card(stripe_api)})
        reader = clients[3]
        pages: list[float] = []

        def read_pages() -> None:
            deadline = time.monotonic() + STRIPE_DELAY + 0.5
            while time.monotonic() < deadline:
                started = time.monotonic()
                assert reader.get("/seal").status_code == 200  # a page that reads the database
                pages.append(time.monotonic() - started)

        def pay(client, order: Order, form: dict):
            return client.post(f"/orders/{order.number}/pay", data=form)

        with HealthProbe(base_url) as probe:
            results = race([*[lambda c=c, o=o, f=f: pay(c, o, f)
                              for c, o, f in zip(clients, orders, forms, strict=False)],
                            read_pages])
        probe.assert_healthy()
        for client in clients:
            client.close()
    app.state.engine.dispose()

    paid = [r for r in results[:3] if not isinstance(r.value, Exception)]
    assert [r.value.status_code for r in paid] == [303, 303, 303], results
    assert all(r.seconds >= STRIPE_DELAY for r in paid)
    assert not isinstance(results[3].value, Exception), results[3].value
    assert len(pages) >= 3 and max(pages) < PAGE_WITHIN, pages
    for order in orders:  # each charged once; the webhook is not part of this test
        assert reload(session, order).payment_intent_id
