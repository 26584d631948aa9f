"""The orders API: placing from a cart (idempotent, all or nothing), reading one's orders,
and producer groups moving their paid parcels on."""

import threading

import pytest
from fastapi.testclient import TestClient

from marketplace.models import Product
from marketplace.orders import service as orders
from tests.factories import add_member, create_group, create_product, create_user
from tests.helpers import delivered_mail
from tests.helpers.api import API, bearer, cart_of, counts, fields, order_body, place


def allocated(session, product) -> int:
    session.rollback()  # end the snapshot: see what the app committed
    session.expire_all()
    return session.get(Product, product.id).stock_allocated


def test_order_is_placed_with_its_split_and_parcels(client, session):
    group_a, group_b = create_group(session, name="Jarai Potters"), create_group(session)
    scarf = create_product(session, group=group_b, price_cents=2500, weight_grams=200,
                           stock_on_hand=3, makers=["Sreymom"])
    jar = create_product(session, group=group_a, title="Water jar", price_cents=4000,
                         weight_grams=1500)
    token = cart_of(client, [(scarf, 2), (jar, 1)])
    quote = client.get(f"{API}/carts/{token}/quote",
                       params={"shipping_option": "courier", "province_code": "12"}).json()
    response = place(client, token, expected_total_cents=quote["total_cents"])
    assert response.status_code == 201, response.text
    order = response.json()
    assert response.headers["location"] == f"{API}/orders/{order['number']}"
    assert order["number"].startswith("MK-") and order["status"] == "pending_payment"
    assert (order["subtotal_cents"], order["shipping_cents"], order["total_cents"]) == \
        (9000, 450, 9450)
    lines = {line["title"]: line for line in order["lines"]}
    assert lines["Indigo cotton scarf"]["maker"] == "Sreymom"
    assert lines["Water jar"]["group_name"] == "Jarai Potters"
    for line in order["lines"]:
        assert line["producer_cents"] + line["commission_cents"] == line["line_total_cents"]
    assert sum(line["card_fee_cents"] for line in order["lines"]) == order["card_fee_cents"]
    assert sorted((f["group_name"], f["status"]) for f in order["fulfilments"]) == \
        sorted([(group_a.name, "awaiting_payment"), (group_b.name, "awaiting_payment")])
    assert allocated(session, scarf) == 2
    assert counts(session) == (1, 2)


def test_same_idempotency_key_returns_the_first_order(client, session):
    product = create_product(session, stock_on_hand=5)
    token = cart_of(client, [(product, 1)])
    first = place(client, token, key="order-7f3a")
    again = place(client, token, key="order-7f3a")
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"
    assert counts(session) == (1, 1)
    assert allocated(session, product) == 1
    other = place(client, token, key="order-8b1c")
    assert other.status_code == 201 and other.json()["number"] != first.json()["number"]
    assert counts(session) == (2, 2)


def test_concurrent_retries_with_one_key_place_one_order(app, session):
    product = create_product(session, stock_on_hand=50)
    with TestClient(app) as setup:
        token = cart_of(setup, [(product, 1)])
    results = []
    barrier = threading.Barrier(6)

    def retry():
        with TestClient(app) as client:
            barrier.wait()
            response = place(client, token, key="same-key")
            results.append((response.status_code, response.json().get("number")))

    threads = [threading.Thread(target=retry) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(code for code, _ in results) == [200] * 5 + [201]
    assert len({number for _, number in results}) == 1
    assert counts(session) == (1, 1)


def test_idempotency_key_is_required(client, session):
    token = cart_of(client, [(create_product(session), 1)])
    missing = client.post(f"{API}/orders", json=order_body(token))
    assert missing.status_code in (400, 422)
    assert "Idempotency-Key" in fields(missing)
    too_long = place(client, token, key="k" * 81)
    assert too_long.status_code == 422 and "Idempotency-Key" in fields(too_long)
    assert counts(session) == (0, 0)


def test_changed_price_is_409_with_the_new_total(client, session):
    product = create_product(session, price_cents=1000)
    token = cart_of(client, [(product, 1)])
    quote = client.get(f"{API}/carts/{token}/quote",
                       params={"shipping_option": "courier", "province_code": "12"}).json()
    product.price_cents = 1200
    session.add(product)
    session.commit()
    response = place(client, token, expected_total_cents=quote["total_cents"])
    assert response.status_code == 409, response.text
    problem = response.json()
    assert problem["type"].endswith("/price-changed")
    assert problem["total_cents"] == quote["total_cents"] + 200
    assert counts(session) == (0, 0)
    confirmed = place(client, token, expected_total_cents=problem["total_cents"])
    assert confirmed.status_code == 201 and confirmed.json()["total_cents"] == \
        problem["total_cents"]


def test_sold_out_piece_is_409_naming_it_and_nothing_is_held(client, session):
    plenty = create_product(session, title="Rattan basket", stock_on_hand=10)
    scarce = create_product(session, title="Kuy silk scarf", stock_on_hand=3)
    token = cart_of(client, [(plenty, 2), (scarce, 3)])
    scarce.stock_on_hand = 2
    session.add(scarce)
    session.commit()
    response = place(client, token)
    assert response.status_code == 409, response.text
    problem = response.json()
    assert problem["type"].endswith("/insufficient-stock")
    assert problem["product_id"] == scarce.id and "Kuy silk scarf" in problem["detail"]
    assert counts(session) == (0, 0)
    assert allocated(session, plenty) == 0


def test_bad_addresses_are_422_naming_the_field(client, session):
    product = create_product(session)
    token = cart_of(client, [(product, 1)])
    cases = [
        ({"village_code": "16010101"}, "village_code"),  # a Ratanakiri village in Phnom Penh
        ({"commune_code": "999999"}, "commune_code"),
        ({"village_code": "12-01"}, "village_code"),
        ({"country": "FR", "shipping_option": "courier", "address_line": "1 rue Haute",
          "city": "Lyon"}, "shipping_option"),
        ({"country": "KH", "shipping_option": "ems"}, "shipping_option"),
        ({"shipping_option": "donkey"}, "shipping_option"),
        ({"country": "FR", "shipping_option": "ems", "address_line": ""}, "address_line"),
        ({"email": "not-an-email"}, "email"),
        ({"phone": "call me"}, "phone"),
        ({"country": "France"}, "country"),
    ]
    for overrides, field in cases:
        response = place(client, token, key=f"bad-{field}", **overrides)
        assert response.status_code == 422, (overrides, response.text)
        assert field in fields(response), (overrides, response.json())
    assert counts(session) == (0, 0)
    abroad = place(client, token, key="abroad", country="fr", shipping_option="ems",
                   province_code="", district_code="", commune_code="", village_code="",
                   address_line="12 rue des Tisserands", city="Lyon", postal_code="69001")
    assert abroad.status_code == 201, abroad.text
    assert abroad.json()["country"] == "FR" and abroad.json()["village_code"] is None


def test_carts_that_are_not_yours_or_do_not_exist(client, session):
    owner, stranger = create_user(session), create_user(session)
    product = create_product(session)
    token = cart_of(client, [(product, 1)], headers=bearer(client, owner))
    assert place(client, token).status_code == 403
    assert place(client, token, headers=bearer(client, stranger)).status_code == 403
    assert place(client, "no-such-cart").status_code == 404
    empty = client.post(f"{API}/carts").json()["token"]
    assert list(fields(place(client, empty))) == ["cart"]
    assert counts(session) == (0, 0)


def test_only_the_buyer_reads_an_order(client, session):
    buyer, stranger = create_user(session), create_user(session)
    product = create_product(session, stock_on_hand=10)
    anonymous_cart = cart_of(client, [(product, 1)])
    placed = place(client, anonymous_cart).json()
    anonymous, key = placed["number"], placed["access_token"]
    auth = bearer(client, buyer)
    mine = place(client, cart_of(client, [(product, 2)], headers=auth), headers=auth).json()
    assert mine["access_token"] is None  # an account's order: its account opens it
    url = f"{API}/orders/{anonymous}"
    assert client.get(url, headers={"X-Order-Token": key}).status_code == 200
    assert client.get(url).status_code == 404
    assert client.get(url, headers={"X-Order-Token": "guess"}).status_code == 404
    assert client.get(url, headers={"X-Order-Token": key + "x"}).status_code == 404
    assert client.get(url, headers={"X-Cart-Token": anonymous_cart}).status_code == 404
    other = place(client, cart_of(client, [(product, 1)]), key="key-2").json()
    assert client.get(f"{API}/orders/{other['number']}",  # one order's key opens only it
                      headers={"X-Order-Token": key}).status_code == 404
    admin = bearer(client, create_user(session, role=["admin"]))
    assert client.get(url, headers=admin).status_code == 200  # staff
    assert client.get(url, headers=bearer(client, stranger)).status_code == 404
    own = client.get(f"{API}/orders/{mine['number']}", headers=auth)
    assert own.status_code == 200 and own.json()["lines"][0]["quantity"] == 2
    assert client.get(f"{API}/orders/{mine['number']}",
                      headers=bearer(client, stranger)).status_code == 404
    assert client.get(f"{API}/orders/{mine['number']}").status_code == 404
    assert client.get(f"{API}/orders/MK-2099-999999", headers=auth).status_code == 404


def test_list_of_own_orders_is_paginated(client, session):
    buyer, other = create_user(session), create_user(session)
    product = create_product(session, stock_on_hand=20)
    auth = bearer(client, buyer)
    token = cart_of(client, [(product, 1)], headers=auth)
    numbers = [place(client, token, key=f"k{i}", headers=auth).json()["number"]
               for i in range(3)]
    other_auth = bearer(client, other)
    place(client, cart_of(client, [(product, 1)], headers=other_auth), headers=other_auth)
    assert client.get(f"{API}/orders").status_code == 401
    first = client.get(f"{API}/orders", params={"limit": 2}, headers=auth).json()
    assert first["count"] == 3 and [o["number"] for o in first["data"]] == numbers[:0:-1]
    second = client.get(f"{API}/orders", params={"limit": 2, "cursor": first["next"]},
                        headers=auth).json()
    assert [o["number"] for o in second["data"]] == numbers[:1] and second["next"] is None
    assert second["data"][0]["fulfilments"][0]["status"] == "awaiting_payment"


@pytest.fixture
def paid_parcels(client, session, settings):
    """One paid order with a parcel from each of two groups, and one unpaid order."""
    weavers = create_group(session, name="Kuy Weavers")
    potters = create_group(session, name="Jarai Potters")
    member = add_member(session, weavers)
    scarf = create_product(session, group=weavers, title="Kuy silk scarf", stock_on_hand=5)
    jar = create_product(session, group=potters, title="Water jar")
    paid = place(client, cart_of(client, [(scarf, 2), (jar, 1)])).json()["number"]
    place(client, cart_of(client, [(scarf, 1)]), key="unpaid")
    order = orders.get_by_number(session=session, number=paid)
    assert orders.mark_paid(session=session, settings=settings, order=order)  # the webhook
    session.commit()
    return weavers, member, paid


def test_members_see_their_groups_paid_parcels(client, session, paid_parcels):
    weavers, member, number = paid_parcels
    auth = bearer(client, member)
    listed = client.get(f"{API}/fulfilments", headers=auth)
    assert listed.status_code == 200, listed.text
    body = listed.json()
    assert body["count"] == 1  # not the other group's parcel, not the unpaid order's
    parcel = body["data"][0]
    assert (parcel["order_number"], parcel["group_name"], parcel["status"]) == \
        (number, "Kuy Weavers", "new")
    assert [(x["title"], x["quantity"]) for x in parcel["lines"]] == [("Kuy silk scarf", 2)]
    assert parcel["ship_to"]["full_name"] == "Alex Traveller"
    assert "Phnom Penh" in parcel["ship_to"]["place"]
    assert client.get(f"{API}/fulfilments", params={"status": "shipped"},
                      headers=auth).json()["count"] == 0
    outsider = client.get(f"{API}/fulfilments", headers=bearer(client, create_user(session)))
    assert outsider.json() == {"data": [], "count": 0, "next": None}
    assert client.get(f"{API}/fulfilments").status_code == 401


def test_parcel_moves_to_delivered_and_the_buyer_sees_tracking(client, session, settings,
                                                               engine, paid_parcels):
    _weavers, member, number = paid_parcels
    auth = bearer(client, member)
    parcel_id = client.get(f"{API}/fulfilments", headers=auth).json()["data"][0]["id"]
    url = f"{API}/fulfilments/{parcel_id}/status"
    outsider = client.post(url, json={"status": "in_production"},
                           headers=bearer(client, create_user(session)))
    assert outsider.status_code == 403
    assert client.post(url, json={"status": "packed"}).status_code == 401
    skipped = client.post(url, json={"status": "delivered"}, headers=auth)
    assert skipped.status_code == 409 and skipped.json()["type"].endswith("/invalid-transition")
    unknown = client.post(url, json={"status": "lost"}, headers=auth)
    assert unknown.status_code == 422 and list(fields(unknown)) == ["status"]
    for step in ("in_production", "packed"):
        moved = client.post(url, json={"status": step}, headers=auth)
        assert moved.status_code == 200 and moved.json()["status"] == step
    untracked = client.post(url, json={"status": "shipped", "carrier": "J&T"}, headers=auth)
    assert untracked.status_code == 422 and list(fields(untracked)) == ["tracking_number"]
    shipped = client.post(url, headers=auth, json={
        "status": "shipped", "carrier": "J&T Express", "tracking_number": "JT123456789KH"})
    assert shipped.status_code == 200, shipped.text
    assert shipped.json()["tracking_number"] == "JT123456789KH"
    assert client.post(f"{API}/fulfilments/999999/status", json={"status": "packed"},
                       headers=auth).status_code == 404
    mail = [m for m in delivered_mail(engine, settings) if "JT123456789KH" in m.get_content()]
    assert mail and mail[0]["To"] == "alex@example.com"
    assert client.post(url, json={"status": "delivered"}, headers=auth).status_code == 200
    order = orders.get_by_number(session=session, number=number)
    from marketplace.orders.service.access import token_for

    seen = client.get(f"{API}/orders/{number}",
                      headers={"X-Order-Token": token_for(settings, order)}).json()
    assert seen["status"] == "paid"
    mine = [f for f in seen["fulfilments"] if f["group_name"] == "Kuy Weavers"][0]
    assert (mine["status"], mine["carrier"], mine["tracking_number"]) == \
        ("delivered", "J&T Express", "JT123456789KH")


def test_parcel_of_an_unpaid_order_cannot_move(client, session):
    group = create_group(session)
    member = add_member(session, group)
    number = place(client, cart_of(client, [(create_product(session, group=group), 1)])).json()
    parcel_id = number["fulfilments"][0]["id"]
    response = client.post(f"{API}/fulfilments/{parcel_id}/status",
                           json={"status": "in_production"}, headers=bearer(client, member))
    assert response.status_code == 409
