"""The carts API: anonymous and account carts, lines, warnings, and the quote."""

from sqlalchemy import func
from sqlmodel import select

from marketplace.models import CartLine, Product
from tests.factories import create_group, create_product, create_user
from tests.helpers.api import token_for

API = "/api/v1"


def bearer(client, user) -> dict:
    return {"Authorization": f"Bearer {token_for(client, user.email)}"}


def fields(response) -> dict:
    assert response.headers["content-type"] == "application/problem+json", response.text
    return {e["field"]: e["message"] for e in response.json()["errors"]}


def new_cart(client, headers=None) -> str:
    response = client.post(f"{API}/carts", headers=headers or {})
    assert response.status_code == 201, response.text
    return response.json()["token"]


def line_count(session) -> int:
    return session.exec(select(func.count()).select_from(CartLine)).one()


def test_anonymous_cart_shows_lines_with_group_price_and_lead_time(client, session):
    group = create_group(session, name="Bunong Weavers")
    scarf = create_product(session, group=group, price_cents=2500, stock_on_hand=4)
    skirt = create_product(session, group=group, title="Wrap skirt", price_cents=6000,
                           stock_mode="made_to_order", lead_time_days=45, monthly_capacity=3)
    created = client.post(f"{API}/carts")
    assert created.status_code == 201
    body = created.json()
    assert body["lines"] == [] and body["subtotal_cents"] == 0 and len(body["token"]) >= 24
    token = body["token"]
    client.post(f"{API}/carts/{token}/lines", json={"product_id": scarf.id, "quantity": 2})
    added = client.post(f"{API}/carts/{token}/lines", json={"product_id": skirt.id})
    assert added.status_code == 200, added.text
    cart = client.get(f"{API}/carts/{token}").json()
    assert cart == added.json()
    first, second = cart["lines"]
    assert (first["title"], first["quantity"], first["unit_price_cents"]) == \
        ("Indigo cotton scarf", 2, 2500)
    assert first["group"] == {"id": group.id, "name": "Bunong Weavers"}
    assert first["available"] == 4 and first["warning"] is None
    assert not first["made_to_order"] and first["lead_time_days"] is None
    assert second["made_to_order"] and second["lead_time_days"] == 45
    assert cart["quantity"] == 3 and cart["subtotal_cents"] == 2 * 2500 + 6000


def test_bad_quantities_are_422_naming_quantity_and_change_nothing(client, session):
    product = create_product(session)
    token = new_cart(client)
    for quantity in (0, -1, 10**9, "two"):
        response = client.post(f"{API}/carts/{token}/lines",
                                json={"product_id": product.id, "quantity": quantity})
        assert response.status_code == 422, (quantity, response.text)
        assert list(fields(response)) == ["quantity"]
    assert line_count(session) == 0
    client.post(f"{API}/carts/{token}/lines", json={"product_id": product.id, "quantity": 60})
    too_many = client.post(f"{API}/carts/{token}/lines",
                           json={"product_id": product.id, "quantity": 41})
    assert too_many.status_code == 422 and list(fields(too_many)) == ["quantity"]
    assert client.get(f"{API}/carts/{token}").json()["lines"][0]["quantity"] == 60


def test_unknown_archived_or_hidden_pieces_are_404(client, session):
    archived = create_product(session, status="archived")
    suspended = create_product(session, group=create_group(session, status="suspended"))
    token = new_cart(client)
    for product_id in (archived.id, suspended.id, 999_999):
        response = client.post(f"{API}/carts/{token}/lines",
                               json={"product_id": product_id, "quantity": 1})
        assert response.status_code == 404, response.text
        assert response.headers["content-type"] == "application/problem+json"
    missing = client.post(f"{API}/carts/{token}/lines", json={"quantity": 1})
    assert missing.status_code == 422 and list(fields(missing)) == ["product_id"]
    assert line_count(session) == 0


def test_change_and_remove_lines(client, session):
    a, b = create_product(session, price_cents=1000), create_product(session, price_cents=300)
    token = new_cart(client)
    client.post(f"{API}/carts/{token}/lines", json={"product_id": a.id, "quantity": 1})
    cart = client.post(f"{API}/carts/{token}/lines", json={"product_id": b.id}).json()
    line_a, line_b = (line["id"] for line in cart["lines"])
    changed = client.patch(f"{API}/carts/{token}/lines/{line_a}", json={"quantity": 3})
    assert changed.status_code == 200 and changed.json()["subtotal_cents"] == 3300
    bad = client.patch(f"{API}/carts/{token}/lines/{line_a}", json={"quantity": 101})
    assert bad.status_code == 422 and list(fields(bad)) == ["quantity"]
    zero = client.patch(f"{API}/carts/{token}/lines/{line_a}", json={"quantity": 0})
    assert [line["id"] for line in zero.json()["lines"]] == [line_b]
    deleted = client.delete(f"{API}/carts/{token}/lines/{line_b}")
    assert deleted.status_code == 200 and deleted.json()["lines"] == []
    assert client.delete(f"{API}/carts/{token}/lines/{line_b}").status_code == 404
    other = new_cart(client)
    client.post(f"{API}/carts/{other}/lines", json={"product_id": a.id})
    other_line = client.get(f"{API}/carts/{other}").json()["lines"][0]["id"]
    assert client.patch(f"{API}/carts/{token}/lines/{other_line}",
                        json={"quantity": 2}).status_code == 404
    assert client.delete(f"{API}/carts/{token}/lines/{other_line}").status_code == 404
    assert client.get(f"{API}/carts/{other}").json()["lines"][0]["quantity"] == 1


def test_price_changes_and_shortages_are_shown(client, session):
    product = create_product(session, price_cents=1000, stock_on_hand=5)
    token = new_cart(client)
    client.post(f"{API}/carts/{token}/lines", json={"product_id": product.id, "quantity": 4})
    product.price_cents, product.stock_on_hand = 1200, 2
    session.add(product)
    session.commit()
    cart = client.get(f"{API}/carts/{token}").json()
    line = cart["lines"][0]
    assert line["price_changed"] and cart["price_changed"]
    assert (line["unit_price_cents"], line["price_when_added_cents"]) == (1200, 1000)
    assert line["available"] == 2 and "2" in line["warning"]
    product.status = "archived"
    session.add(product)
    session.commit()
    assert client.get(f"{API}/carts/{token}").json()["lines"][0]["warning"]


def test_account_cart_is_private_to_its_account(client, session):
    owner, stranger = create_user(session), create_user(session)
    product = create_product(session)
    auth = bearer(client, owner)
    token = new_cart(client, auth)
    assert new_cart(client, auth) == token  # the account keeps one cart
    added = client.post(f"{API}/carts/{token}/lines", headers=auth,
                        json={"product_id": product.id})
    assert added.status_code == 200
    for headers in ({}, bearer(client, stranger)):
        for response in (
            client.get(f"{API}/carts/{token}", headers=headers),
            client.post(f"{API}/carts/{token}/lines", headers=headers,
                        json={"product_id": product.id}),
            client.delete(f"{API}/carts/{token}/lines/{added.json()['lines'][0]['id']}",
                          headers=headers),
        ):
            assert response.status_code == 403, response.text
            assert response.headers["content-type"] == "application/problem+json"
    assert client.get(f"{API}/carts/{token}", headers=auth).json()["quantity"] == 1
    assert client.get(f"{API}/carts/no-such-token").status_code == 404


def test_anonymous_cart_merges_into_the_account_cart(client, session):
    user = create_user(session)
    a, b = create_product(session), create_product(session, title="Rattan basket")
    auth = bearer(client, user)
    mine = new_cart(client, auth)
    client.post(f"{API}/carts/{mine}/lines", headers=auth,
                json={"product_id": a.id, "quantity": 1})
    anonymous = new_cart(client)
    client.post(f"{API}/carts/{anonymous}/lines", json={"product_id": a.id, "quantity": 2})
    client.post(f"{API}/carts/{anonymous}/lines", json={"product_id": b.id})
    merged = client.post(f"{API}/carts", headers={**auth, "X-Cart-Token": anonymous})
    assert merged.json()["token"] == mine
    assert [(x["product_id"], x["quantity"]) for x in merged.json()["lines"]] == \
        [(a.id, 3), (b.id, 1)]
    assert client.get(f"{API}/carts/{anonymous}").status_code == 404


def test_quote_gives_shipping_per_group_and_the_split(client, session):
    group_a, group_b = create_group(session), create_group(session)
    scarf = create_product(session, group=group_a, price_cents=2500, weight_grams=200)
    jar = create_product(session, group=group_b, price_cents=4000, weight_grams=1500)
    token = new_cart(client)
    client.post(f"{API}/carts/{token}/lines", json={"product_id": scarf.id, "quantity": 2})
    client.post(f"{API}/carts/{token}/lines", json={"product_id": jar.id})
    response = client.get(f"{API}/carts/{token}/quote",
                          params={"country": "KH", "shipping_option": "courier",
                                  "province_code": "12"})
    assert response.status_code == 200, response.text
    quote = response.json()
    assert {(s["group_id"], s["shipping_cents"]) for s in quote["shipping"]} == \
        {(group_a.id, 200), (group_b.id, 250)}  # Phnom Penh courier: 0.2 kg and 1.5 kg
    assert quote["subtotal_cents"] == 9000 and quote["total_cents"] == 9450
    assert quote["commission_cents"] == 900
    for line in quote["lines"]:
        assert line["producer_cents"] + line["commission_cents"] == line["line_total_cents"]
    assert sum(line["card_fee_cents"] for line in quote["lines"]) == quote["card_fee_cents"]
    far = client.get(f"{API}/carts/{token}/quote",
                     params={"shipping_option": "courier", "province_code": "16"}).json()
    assert far["shipping_cents"] > quote["shipping_cents"]
    abroad = client.get(f"{API}/carts/{token}/quote",
                        params={"country": "fr", "shipping_option": "ems"})
    assert abroad.status_code == 200, abroad.text
    one = abroad.json()  # 1.9 kg in one EMS shipment to zone 2; groups paid to Phnom Penh
    assert one["consolidated"] and one["weight_grams"] == 1900
    assert one["shipping_cents"] == 2400 + 700 * 3
    assert sorted(s["shipping_cents"] for s in one["shipping"]) == [400, 500]  # from Ratanakiri
    assert one["producers_cents"] + one["packing_point_cents"] + one["commission_cents"] + \
        one["small_order_fee_cents"] == one["total_cents"] == 9000 + one["shipping_cents"]
    wrong = client.get(f"{API}/carts/{token}/quote",
                       params={"country": "FR", "shipping_option": "courier"})
    assert wrong.status_code == 422 and list(fields(wrong)) == ["shipping_option"]
    unknown = client.get(f"{API}/carts/{token}/quote", params={"shipping_option": "camel"})
    assert unknown.status_code == 422 and list(fields(unknown)) == ["shipping_option"]
    empty = client.get(f"{API}/carts/{new_cart(client)}/quote",
                       params={"shipping_option": "courier"})
    assert empty.status_code == 422 and list(fields(empty)) == ["cart"]
    assert session.get(Product, scarf.id).stock_allocated == 0  # a quote holds nothing
