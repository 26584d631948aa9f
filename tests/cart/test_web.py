"""The cart as a phone browser without JavaScript uses it: adding from the product page,
changing quantities, removing, warnings about stock and prices, and the cart following the
buyer through log-in."""

import pytest
from sqlmodel import select

from marketplace.models import Cart, CartLine, Product
from tests.factories import create_product, create_user
from tests.helpers import csrf_from, form_post, login


def _fresh(session):
    session.rollback()
    session.expire_all()


def add(client, product, quantity="1", **extra):
    """Add through the small add page (what a visitor without a session cookie sees)."""
    return form_post(client, f"/cart/add?product_id={product.id}", "/cart/add",
                     {"product_id": str(product.id), "quantity": quantity, **extra})


def _lines(session):
    _fresh(session)
    return list(session.exec(select(CartLine).order_by(CartLine.id)))


def test_add_from_the_product_page_then_see_the_cart(client, session):
    product = create_product(session, title="Indigo cotton scarf", price_cents=2500,
                             stock_on_hand=5)
    page = client.get(f"/products/{product.id}-piece")
    assert page.status_code == 200
    # a first visit comes from the shared page cache: its form carries the public token
    # of the add form, not a session's (tests/cart/test_one_click.py); the small add page
    # still works
    assert 'action="/cart/add"' in page.text and 'method="post"' in page.text
    assert 'name="csrf_token" value="public.' in page.text
    added = add(client, product, "2")
    assert added.status_code == 303 and added.headers["location"] == "/cart"

    cart = client.get("/cart")
    assert cart.status_code == 200
    assert "“Indigo cotton scarf” is in your cart." in cart.text
    assert "Indigo cotton scarf" in cart.text and "$25.00" in cart.text
    assert "$50.00" in cart.text  # subtotal
    assert "205,000" in cart.text  # riel alongside (4,100 per dollar)
    assert 'value="2"' in cart.text and 'href="/checkout"' in cart.text

    # with a session cookie the product page posts straight to the cart
    again = client.get(f"/products/{product.id}-piece")
    assert 'method="post"' in again.text and 'name="csrf_token"' in again.text
    more = client.post("/cart/add", data={"csrf_token": csrf_from(again.text),
                                          "product_id": str(product.id), "quantity": "1"})
    assert more.status_code == 303
    assert [line.quantity for line in _lines(session)] == [3]


def test_change_quantity_and_zero_removes(client, session):
    product = create_product(session)
    add(client, product, "1")
    line = _lines(session)[0]
    changed = form_post(client, "/cart", f"/cart/lines/{line.id}", {"quantity": "4"})
    assert changed.status_code == 303
    assert _lines(session)[0].quantity == 4
    assert 'value="4"' in client.get("/cart").text

    removed = form_post(client, "/cart", f"/cart/lines/{line.id}", {"quantity": "0"})
    assert removed.status_code == 303
    assert _lines(session) == []
    assert "Your cart is empty." in client.get("/cart").text


def test_remove_button(client, session):
    product = create_product(session)
    add(client, product)
    line = _lines(session)[0]
    assert form_post(client, "/cart", f"/cart/lines/{line.id}/remove", {}).status_code == 303
    assert _lines(session) == []


@pytest.mark.parametrize("typed", ["1000000000", "-1", "two", "", "1.5", "101"])
def test_unreasonable_quantities_are_refused_with_a_message(client, session, typed):
    product = create_product(session)
    add(client, product, "2")
    line = _lines(session)[0]
    page = form_post(client, "/cart", f"/cart/lines/{line.id}", {"quantity": typed})
    assert page.status_code == 422
    assert "Enter a quantity from 0 to 100 (0 removes the piece)." in page.text
    assert f'value="{typed}"' in page.text and 'aria-invalid="true"' in page.text
    assert _lines(session)[0].quantity == 2


def test_adding_a_huge_or_negative_quantity_shows_the_add_page_again(client, session):
    product = create_product(session)
    for typed in ("1000000000", "-1"):
        page = add(client, product, typed)
        assert page.status_code == 422
        assert "Enter a quantity from 1 to 100." in page.text
    assert _lines(session) == []


def test_archived_or_unknown_product_is_a_friendly_404(client, session):
    archived = create_product(session, status="archived")
    other = create_product(session)
    token = csrf_from(client.get(f"/cart/add?product_id={other.id}").text)
    page = client.post("/cart/add", data={"csrf_token": token, "product_id": str(archived.id),
                                          "quantity": "1"})
    assert page.status_code == 404
    assert "text/html" in page.headers["content-type"]
    assert "not for sale" in page.text
    for product_id in ("999999", "abc"):
        gone = client.post("/cart/add", data={"csrf_token": token, "product_id": product_id,
                                              "quantity": "1"})
        assert gone.status_code == 404
    assert client.get(f"/cart/add?product_id={archived.id}").status_code == 404


def test_warnings_for_stock_price_and_made_to_order(client, session):
    scarf = create_product(session, title="Silk scarf", price_cents=2500, stock_on_hand=5)
    skirt = create_product(session, title="Ceremonial skirt", stock_mode="made_to_order",
                           lead_time_days=60)
    add(client, scarf, "3")
    add(client, skirt, "1")
    _fresh(session)
    stored = session.get(Product, scarf.id)
    stored.stock_allocated, stored.price_cents = 4, 3000
    session.add(stored)
    session.commit()

    page = client.get("/cart")
    assert "Only 1 left." in page.text
    assert "Price changed: was $25.00, now $30.00" in page.text
    assert "Made to order: ships in 60 days" in page.text
    assert 'href="/checkout"' not in page.text  # fix the cart first

    stored.stock_allocated = 5
    session.add(stored)
    session.commit()
    assert "Sold out." in client.get("/cart").text


def test_khmer_titles_when_reading_in_khmer(client, session):
    product = create_product(session, title="Indigo cotton scarf", title_km="ក្រមាខៀវ")
    add(client, product)
    assert "ក្រមាខៀវ" not in client.get("/cart").text
    page = client.get("/cart", headers={"Accept-Language": "km"})
    assert "ក្រមាខៀវ" in page.text and "Indigo cotton scarf" not in page.text


def test_the_cart_follows_the_buyer_through_log_in(client, session):
    buyer = create_user(session, email="buyer@example.com")
    product = create_product(session, title="Rattan back-basket")
    add(client, product, "2")
    login(client, "buyer@example.com")
    page = client.get("/cart")
    assert "Rattan back-basket" in page.text and 'value="2"' in page.text
    _fresh(session)
    carts = list(session.exec(select(Cart)))
    assert [c.user_id for c in carts] == [buyer.id]
