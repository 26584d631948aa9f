"""A cart, an account or a client address cannot hold more than a configured number of
unpaid orders; past it the API says what to do (429) and the checkout page links the unpaid
orders to pay or cancel. Buyers can cancel their own unpaid orders."""

from datetime import timedelta

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlmodel import select

from marketplace.checkout import service as checkout
from marketplace.models import Order, Product, utcnow
from marketplace.orders import service as orders
from marketplace.orders.service.unpaid import TooManyUnpaidOrders
from tests.factories import address, cart_with, create_product, create_user
from tests.helpers import form_post
from tests.helpers.api import API, cart_of, counts, order_body
from tests.helpers.api import place as api_place
from tests.helpers.checkout import fill_cart, place, review
from tests.helpers.concurrency import ANSWER_WITHIN, race


def _fresh(session):
    session.rollback()
    session.expire_all()


def _unpaid(session) -> list[Order]:
    _fresh(session)
    return list(session.exec(select(Order).where(Order.status == "pending_payment")
                             .order_by(Order.id)))


def test_a_cart_holds_at_most_the_limit_then_429_says_what_to_do(client, session, settings):
    assert settings.max_unpaid_orders == 3
    product = create_product(session, stock_on_hand=10)
    token = cart_of(client, [(product, 1)])
    placed = [api_place(client, token, key=f"k{n}").json() for n in range(3)]
    numbers = [order["number"] for order in placed]

    refused = api_place(client, token, key="k3")
    assert refused.status_code == 429, refused.text
    assert refused.headers["content-type"] == "application/problem+json"
    problem = refused.json()
    assert problem["type"].endswith("/too-many-unpaid-orders")
    assert "3 unpaid orders" in problem["detail"] and "Pay or cancel" in problem["detail"]
    assert problem["unpaid_orders"] == numbers
    assert 0 < int(refused.headers["retry-after"]) <= settings.reservation_minutes * 60
    assert counts(session) == (3, 3)
    # a retry of an order already placed is not a new order: it still answers
    assert api_place(client, token, key="k0").status_code == 200

    # cancelling one makes room; its stock comes back
    cancelled = client.post(f"{API}/orders/{numbers[0]}/cancel",
                            headers={"X-Order-Token": placed[0]["access_token"]})
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    _fresh(session)
    assert session.get(Product, product.id).stock_allocated == 2
    assert api_place(client, token, key="k3").status_code == 201


def test_orders_past_their_hold_do_not_count(client, session):
    token = cart_of(client, [(create_product(session, stock_on_hand=10), 1)])
    for n in range(3):
        assert api_place(client, token, key=f"k{n}").status_code == 201
    assert api_place(client, token, key="k3").status_code == 429
    first = _unpaid(session)[0]
    first.reserved_until = utcnow() - timedelta(seconds=1)  # not yet swept by the worker
    session.add(first)
    session.commit()
    assert api_place(client, token, key="k3").status_code == 201


def test_an_account_holds_at_most_the_limit_across_carts(session, settings):
    buyer = create_user(session, email="buyer@example.com")
    product = create_product(session, stock_on_hand=10)
    for _ in range(3):
        checkout.place_order(session=session, settings=settings, user=buyer, address=address(),
                           cart=cart_with(session, [(product, 1)], user=buyer))
        session.commit()
    with pytest.raises(TooManyUnpaidOrders) as refused:
        checkout.place_order(session=session, settings=settings, user=buyer, address=address(),
                           cart=cart_with(session, [(product, 1)], user=buyer))
    assert len(refused.value.unpaid) == 3


def test_a_client_address_holds_at_most_its_limit(client, session, monkeypatch, settings):
    monkeypatch.setattr(settings, "max_unpaid_orders_per_address", 2)
    product = create_product(session, stock_on_hand=10)
    for n in range(2):  # two buyers' carts behind one address
        assert api_place(client, cart_of(client, [(product, 1)]), key=f"k{n}").status_code \
            == 201
    assert {o.client_ip for o in _unpaid(session)} == {"testclient"}
    refused = api_place(client, cart_of(client, [(product, 1)]), key="k2")
    assert refused.status_code == 429
    problem = refused.json()
    assert "from your network" in problem["detail"]
    assert problem["unpaid_orders"] == []  # others' orders are never named
    assert counts(session) == (2, 2)


def test_cancel_is_only_for_the_buyer_and_only_while_unpaid(app, client, session, settings):
    token = cart_of(client, [(create_product(session, stock_on_hand=10), 1)])
    placed = api_place(client, token, key="k0").json()
    number, key = placed["number"], placed["access_token"]
    assert client.post(f"{API}/orders/{number}/cancel").status_code == 404
    other = cart_of(client, [(create_product(session), 1)])
    other_key = api_place(client, other, key="k1").json()["access_token"]
    assert client.post(f"{API}/orders/{number}/cancel",
                       headers={"X-Order-Token": other_key}).status_code == 404
    with TestClient(app, follow_redirects=False) as stranger:
        assert stranger.post(f"/orders/{number}/cancel").status_code == 403  # no CSRF token
    assert _unpaid(session)[0].number == number

    orders.mark_paid(session=session, settings=settings, order=_unpaid(session)[0])
    session.commit()
    paid = client.post(f"{API}/orders/{number}/cancel", headers={"X-Order-Token": key})
    assert paid.status_code == 409 and paid.json()["type"].endswith("/invalid-transition")


# --- the HTML checkout ----------------------------------------------------------------------


def test_checkout_past_the_limit_links_the_unpaid_orders(client, session):
    product = create_product(session, stock_on_hand=10)
    fill_cart(client, product)
    numbers = []
    for _ in range(3):
        placed = place(client, review(client).text)
        assert placed.status_code == 303
        numbers.append(placed.headers["location"].split("/")[2])

    refused = place(client, review(client).text)
    assert refused.status_code == 429
    assert "You already have 3 unpaid orders. Pay or cancel one of them" in refused.text
    for number in numbers:
        assert f'href="/orders/{number}/pay"' in refused.text
        assert f'action="/orders/{number}/cancel"' in refused.text
    assert len(_unpaid(session)) == 3

    # cancel one from that page, then the same summary places the order
    cancel = form_post(client, "/cart", f"/orders/{numbers[1]}/cancel", {"next": "/cart"})
    assert cancel.status_code == 303 and cancel.headers["location"] == "/cart"
    assert f"Order {numbers[1]} is cancelled" in client.get("/cart").text
    assert place(client, refused.text).status_code == 303
    assert [o.number for o in _unpaid(session)][:2] == [numbers[0], numbers[2]]
    assert len(_unpaid(session)) == 3


def test_buyer_cancels_an_unpaid_order_from_its_page(app, client, session):
    product = create_product(session, stock_on_hand=4)
    fill_cart(client, product, 3)
    number = place(client, review(client).text).headers["location"].split("/")[2]
    page = client.get(f"/orders/{number}")
    assert "Cancel this order" in page.text

    with TestClient(app, follow_redirects=False) as stranger:
        assert form_post(stranger, "/auth/login", f"/orders/{number}/cancel", {}).status_code == 404

    done = form_post(client, f"/orders/{number}", f"/orders/{number}/cancel", {})
    assert done.status_code == 303 and done.headers["location"] == f"/orders/{number}"
    page = client.get(f"/orders/{number}")
    assert "is cancelled" in page.text and "Cancelled." in page.text
    assert "Cancel this order" not in page.text
    _fresh(session)
    assert session.get(Product, product.id).stock_allocated == 0
    again = form_post(client, "/cart", f"/orders/{number}/cancel", {})
    assert "Only an order that is not paid yet can be cancelled." in \
        client.get(again.headers["location"]).text


def test_concurrent_orders_from_one_cart_stop_at_the_limit(live_server, session):
    product = create_product(session, stock_on_hand=20)
    with httpx.Client(base_url=live_server, timeout=60) as setup:
        token = cart_of(setup, [(product, 1)])

    def send(key):
        with httpx.Client(base_url=live_server, timeout=60) as client:
            return client.post(f"{API}/orders", json=order_body(token),
                               headers={"Idempotency-Key": key})

    results = race([lambda k=k: send(f"key-{k}") for k in range(6)])
    answers = [r.value for r in results]
    assert not [a for a in answers if isinstance(a, Exception)], answers
    assert max(r.seconds for r in results) < ANSWER_WITHIN
    assert sorted(a.status_code for a in answers) == [201, 201, 201, 429, 429, 429], \
        [a.text for a in answers]
    assert counts(session) == (3, 3)


def test_an_order_being_charged_cannot_be_cancelled(client, session):
    from marketplace.models import PaymentAttempt

    token = cart_of(client, [(create_product(session, stock_on_hand=10), 1)])
    placed = api_place(client, token, key="k-charging").json()
    number = placed["number"]
    order = _unpaid(session)[0]
    session.add(PaymentAttempt(order_id=order.id, idempotency_key="attempt-under-way",
                               payment_method="pm_card_visa", status="created",
                               intent_id="pi_under_way", intent_status="requires_confirmation"))
    session.commit()
    response = client.post(f"{API}/orders/{number}/cancel",
                           headers={"X-Order-Token": placed["access_token"]})
    assert response.status_code == 409
    assert response.json()["type"].endswith("/payment-in-progress")
    assert _unpaid(session)[0].number == number  # still held: the payment may finish


def test_an_ipv6_client_cannot_escape_the_limit_by_changing_address(app, session, monkeypatch,
                                                                     settings):
    monkeypatch.setattr(settings, "max_unpaid_orders_per_address", 2)
    product = create_product(session, stock_on_hand=10)
    answers = []
    for n in range(3):  # a new address of the same /64 each time, and a new cart
        with TestClient(app, client=(f"2001:db8:7:9::{n + 1}", 50000)) as rotating:
            answers.append(api_place(rotating, cart_of(rotating, [(product, 1)]),
                                     key=f"v6-{n}").status_code)
    assert answers == [201, 201, 429]
    assert {o.client_ip for o in _unpaid(session)} == {"2001:db8:7:9::/64"}
