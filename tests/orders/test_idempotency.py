"""Idempotency keys mean what Stripe's mean: the same key with the same request answers with
the first order (also when sent five times at once), the same key with another request is a
422 naming the key and never the earlier order. The HTML checkout's per-summary key too."""

import httpx
from sqlmodel import select

from marketplace.models import Order
from tests.factories import cart_with, create_product, create_user
from tests.helpers.api import API, bearer, cart_of, counts, order_body, place
from tests.helpers.checkout import fill_cart, place_form, review
from tests.helpers.concurrency import ANSWER_WITHIN, HealthProbe, race

KEY = "order-2b7e1c"


def assert_key_reused(response, key=KEY):
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["type"].endswith("/idempotency-key-reused")
    assert key in problem["detail"]
    assert "same request" in problem["detail"]
    assert "number" not in problem  # never the earlier order
    assert [e["field"] for e in problem["errors"]] == ["Idempotency-Key"]


def test_same_key_with_another_body_is_refused(client, session):
    product = create_product(session, stock_on_hand=5)
    token = cart_of(client, [(product, 1)])
    first = place(client, token, key=KEY)
    assert first.status_code == 201
    for changed in ({"full_name": "Someone Else"}, {"shipping_option": "bus"},
                    {"village_code": "12010102"}, {"expected_total_cents": 1}):
        assert_key_reused(place(client, token, key=KEY, **changed))
    assert counts(session) == (1, 1)
    # the original request still answers with its order
    again = place(client, token, key=KEY)
    assert again.status_code == 200 and again.json() == first.json()


def test_same_key_with_another_cart_of_the_account_is_refused(client, session):
    buyer = create_user(session, email="buyer@example.com")
    headers = bearer(client, buyer)
    first_cart = cart_of(client, [(create_product(session), 1)], headers=headers)
    assert place(client, first_cart, key=KEY, headers=headers).status_code == 201
    other_cart = cart_with(session, [(create_product(session, title="Basket"), 2)],
                           user=buyer).token
    assert_key_reused(place(client, other_cart, key=KEY, headers=headers))
    assert counts(session) == (1, 1)


def test_stored_fingerprint_is_sha256_of_the_request(client, session):
    token = cart_of(client, [(create_product(session), 1)])
    assert place(client, token, key=KEY).status_code == 201
    session.rollback()
    order = session.exec(select(Order)).one()
    assert len(order.idempotency_fingerprint) == 64
    int(order.idempotency_fingerprint, 16)


def test_five_concurrent_sends_of_one_request_place_one_order(live_server, session):
    product = create_product(session, stock_on_hand=50)
    with httpx.Client(base_url=live_server, timeout=60) as setup:
        token = cart_of(setup, [(product, 1)])
    body = order_body(token)

    def send():
        with httpx.Client(base_url=live_server, timeout=60) as client:
            return client.post(f"{API}/orders", json=body, headers={"Idempotency-Key": KEY})

    with HealthProbe(live_server) as probe:
        results = race([send] * 5)
    probe.assert_healthy()
    errors = [r.value for r in results if isinstance(r.value, Exception)]
    assert not errors, errors
    assert max(r.seconds for r in results) < ANSWER_WITHIN
    answers = [r.value for r in results]
    assert sorted(a.status_code for a in answers) == [200, 200, 200, 200, 201], \
        [a.text for a in answers]
    assert len({a.text for a in answers}) == 1  # five identical orders in the answers
    assert counts(session) == (1, 1)


def test_concurrent_sends_of_one_key_with_different_bodies(live_server, session):
    product = create_product(session, stock_on_hand=50)
    with httpx.Client(base_url=live_server, timeout=60) as setup:
        token = cart_of(setup, [(product, 1)])

    def send(name):
        with httpx.Client(base_url=live_server, timeout=60) as client:
            return client.post(f"{API}/orders", json=order_body(token, full_name=name),
                               headers={"Idempotency-Key": KEY})

    results = race([lambda n=n: send(f"Buyer Number {n}") for n in range(5)])
    answers = [r.value for r in results]
    assert not [a for a in answers if isinstance(a, Exception)], answers
    assert sorted(a.status_code for a in answers) == [201, 422, 422, 422, 422], \
        [a.text for a in answers]
    for refused in (a for a in answers if a.status_code == 422):
        assert_key_reused(refused)
    assert counts(session) == (1, 1)


# --- the HTML checkout: one key per summary page ---------------------------------------------


def test_resent_confirmation_gives_the_same_order_another_address_does_not(client, session):
    fill_cart(client, create_product(session, stock_on_hand=5))
    form = place_form(review(client).text)
    first = client.post("/checkout/place", data=form)
    assert first.status_code == 303
    assert client.post("/checkout/place", data=form).headers["location"] == \
        first.headers["location"]

    elsewhere = {**form, "full_name": "Somebody Else", "address_line": "House 99"}
    refused = client.post("/checkout/place", data=elsewhere)
    assert refused.status_code == 422, refused.text
    assert "already used for an order with other details" in refused.text
    assert first.headers["location"] not in refused.text
    assert "Somebody Else" in refused.text  # the summary of what was sent, to confirm
    fresh = place_form(refused.text)
    assert fresh["idempotency_key"] != form["idempotency_key"]
    assert counts(session) == (1, 1)

    second = client.post("/checkout/place", data=fresh)  # confirming it is a new order
    assert second.status_code == 303
    assert second.headers["location"] != first.headers["location"]
    session.rollback()
    assert sorted(o.full_name for o in session.exec(select(Order))) == \
        ["Alex Traveller", "Somebody Else"]


def test_the_openapi_description_tells_what_a_key_means(client):
    operation = client.get("/openapi.json").json()["paths"][f"{API}/orders"]["post"]
    assert "idempotency-key-reused" in operation["description"]
    assert "same key with a different body" in operation["description"]
    assert {"200", "201", "422", "429"} <= set(operation["responses"])
    key = next(p for p in operation["parameters"] if p["name"] == "Idempotency-Key")
    assert "another body is a 422" in key["description"]
