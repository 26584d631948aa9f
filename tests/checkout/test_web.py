"""Checkout as a phone browser without JavaScript uses it: the address level by level, an
address abroad, the summary with the transparent split, and placing the order (stock held,
one order per confirmation, a price change shown before anything is charged)."""

import re

from sqlalchemy import func
from sqlmodel import select

from marketplace.i18n import format_khr, usd_to_khr
from marketplace.models import Order, Product, StockReservation
from tests.factories import create_group, create_product, create_user
from tests.helpers import login
from tests.helpers.checkout import (
    CONTACT,
    PHNOM_PENH,
    checkout_post,
    fill_cart,
    place,
    place_form,
    review,
)


def _fresh(session):
    session.rollback()
    session.expire_all()


def _orders(session):
    _fresh(session)
    return list(session.exec(select(Order)))


def test_empty_cart_goes_back_to_the_cart(client):
    assert client.get("/checkout").headers["location"] == "/cart"


def shown_selects(html: str) -> list[str]:
    """The address selects a browser shows (a level not reached yet is a hidden field)."""
    fields = re.findall(r'<div class="field[^"]*"( hidden)?>\s*<label for="f-[a-z_]+">[^<]*'
                        r'</label>\s*<select id="f-([a-z_]+)"', html)
    return [name for hidden, name in fields if not hidden and name.endswith("_code")]


def test_address_in_cambodia_step_by_step(client, session):
    fill_cart(client, create_product(session))
    first = client.get("/checkout")
    assert first.status_code == 200
    assert shown_selects(first.text) == ["province_code"]

    districts = checkout_post(client, {**CONTACT, "destination": "KH", "province_code": "12",
                                       "step": "district"})
    assert districts.status_code == 200
    assert '<option value="12" selected>' in districts.text
    assert '<option value="1201">Chamkar Mon</option>' in districts.text
    assert shown_selects(districts.text) == ["province_code", "district_code"]
    assert 'value="Alex Traveller"' in districts.text and 'value="012 345 678"' in districts.text
    # the courier's price to Phnom Penh is known once the province is
    assert "$2.00" in districts.text

    communes = checkout_post(client, {**CONTACT, "destination": "KH", "province_code": "12",
                                      "district_code": "1201", "step": "commune"})
    assert '<option value="120101">Tonle Basak</option>' in communes.text
    villages = checkout_post(client, {**CONTACT, **PHNOM_PENH, "village_code": "",
                                      "step": "village"})
    assert '<option value="12010101">Phum Muoy</option>' in villages.text

    summary = review(client)
    assert "Phum Muoy" in summary.text and "Place order" in summary.text


def test_a_village_that_does_not_nest_is_refused_keeping_what_was_typed(client, session):
    fill_cart(client, create_product(session))
    page = checkout_post(client, {**CONTACT, **PHNOM_PENH, "village_code": "16010101",
                                  "step": "review"})
    assert page.status_code == 422
    assert "Choose a village in this commune." in page.text
    assert 'value="alex@example.com"' in page.text and 'value="House 12, Street 240"' in page.text
    assert '<option value="120101" selected>' in page.text
    assert _orders(session) == []


def test_missing_contact_and_shipping_are_named(client, session):
    fill_cart(client, create_product(session))
    page = checkout_post(client, {**PHNOM_PENH, "email": "not-an-email", "full_name": "",
                                  "phone": "12", "shipping_option": "", "step": "review"})
    assert page.status_code == 422
    for message in ("Enter a valid email address.", "This field is required.",
                    "Enter a phone number the courier can call",
                    "Choose a shipping option."):
        assert message in page.text


def test_address_abroad_with_ems(client, session):
    fill_cart(client, create_product(session, weight_grams=400), 1)
    switched = checkout_post(client, {**CONTACT, "destination": "abroad",
                                      "step": "destination"})
    assert 'name="country"' in switched.text and 'name="province_code"' not in switched.text
    assert '<option value="FR">France</option>' in switched.text
    priced = checkout_post(client, {**CONTACT, "destination": "abroad", "country": "FR",
                                    "step": "shipping"})
    assert "Cambodia Post EMS" in priced.text and "Domestic courier" not in priced.text
    assert "$24.00" in priced.text  # EMS zone 2, first 500 g

    missing = checkout_post(client, {**CONTACT, "destination": "abroad", "country": "FR",
                                     "shipping_option": "ems", "step": "review"})
    assert missing.status_code == 422
    assert "Enter the street address." in missing.text and "Enter the city." in missing.text

    abroad = {"destination": "abroad", "country": "FR", "address_line": "3 rue des Lilas",
              "city": "Lyon", "postal_code": "69001", "shipping_option": "ems",
              "phone": "+33 6 12 34 56 78"}
    summary = checkout_post(client, {**CONTACT, **abroad, "step": "review"})
    assert summary.status_code == 200
    assert "Cambodia Post EMS" in summary.text and "France" in summary.text
    response = place(client, summary.text)
    assert response.status_code == 303
    order = _orders(session)[0]
    assert (order.country, order.city, order.shipping_option, order.province_code) == \
        ("FR", "Lyon", "ems", None)
    assert order.phone == "+33612345678" and order.shipping_cents == 2400


def test_summary_shows_the_split_and_riel(client, session, settings):
    fill_cart(client, create_product(session, price_cents=2500), 2)
    summary = review(client)
    text = summary.text
    # 2 x $25.00; courier to Phnom Penh $2.00; commission 10%; card fee 2.9% + 30c of $52.00
    assert "The producer group receives" in text and "$45.00" in text
    assert "Marketplace commission" in text and "$5.00" in text
    assert "Card fee" in text and "$1.81" in text and "paid from the commission" in text
    assert "$52.00" in text
    assert format_khr(usd_to_khr(5200, settings.khr_per_usd)) in text
    assert place_form(text)["expected_total_cents"] == "5200"


def test_made_to_order_lead_time_and_parcels_per_group(client, session):
    first, second = create_group(session, name="Kreung Weavers"), create_group(
        session, name="Jarai Potters")
    fill_cart(client, create_product(session, group=first, title="Skirt",
                                     stock_mode="made_to_order", lead_time_days=45))
    fill_cart(client, create_product(session, group=second, title="Jar"))
    text = review(client).text
    assert "Made to order: ships in 45 days" in text
    assert text.count("Parcel from") == 2 and "Kreung Weavers" in text and "Jarai Potters" in text


def test_place_order_holds_stock_and_goes_to_payment(client, session):
    product = create_product(session, stock_on_hand=5)
    fill_cart(client, product, 2)
    response = place(client, review(client).text)
    assert response.status_code == 303
    order = _orders(session)[0]
    assert response.headers["location"] == f"/orders/{order.number}/pay"
    assert session.get(Product, product.id).stock_allocated == 2
    assert order.email == "alex@example.com" and order.village_code == "12010101"
    # this browser may see its order
    page = client.get(f"/orders/{order.number}")
    assert page.status_code == 200 and "Waiting for payment" in page.text


def test_the_same_confirmation_twice_makes_one_order(client, session):
    product = create_product(session, stock_on_hand=5)
    fill_cart(client, product, 1)
    summary = review(client).text
    first, second = place(client, summary), place(client, summary)
    assert first.status_code == second.status_code == 303
    assert first.headers["location"] == second.headers["location"]
    assert len(_orders(session)) == 1
    assert session.get(Product, product.id).stock_allocated == 1


def test_price_changed_between_summary_and_confirm(client, session):
    product = create_product(session, price_cents=2500)
    fill_cart(client, product, 1)
    summary = review(client).text
    _fresh(session)
    stored = session.get(Product, product.id)
    stored.price_cents = 3100
    session.add(stored)
    session.commit()

    response = place(client, summary)
    assert response.status_code == 409
    assert "Prices changed since you added these pieces." in response.text
    assert "Price changed: was $25.00, now $31.00" in response.text
    assert place_form(response.text)["expected_total_cents"] == str(3100 + 200)
    assert _orders(session) == []
    # confirming the new total places the order
    assert place(client, response.text).status_code == 303
    assert _orders(session)[0].total_cents == 3300


def test_sold_out_meanwhile_names_the_piece_and_leaves_nothing_behind(client, session):
    product = create_product(session, title="Resin torch", stock_on_hand=3)
    fill_cart(client, product, 2)
    summary = review(client).text
    _fresh(session)
    stored = session.get(Product, product.id)
    stored.stock_allocated = 2  # someone else's order holds two of the three
    session.add(stored)
    session.commit()

    response = place(client, summary)
    assert response.status_code == 409
    assert "Not enough of “Resin torch” is left." in response.text
    assert "Only 1 left." in response.text  # the cart page, with its warning
    assert _orders(session) == []
    assert session.exec(select(func.count()).select_from(StockReservation)).one() == 0
    assert session.get(Product, product.id).stock_allocated == 2


def test_logged_in_buyer_email_is_prefilled_and_order_is_theirs(client, session):
    buyer = create_user(session, email="dara@example.com", full_name="Dara Kim")
    login(client, "dara@example.com")
    fill_cart(client, create_product(session))
    page = client.get("/checkout")
    assert 'value="dara@example.com"' in page.text and 'value="Dara Kim"' in page.text
    assert place(client, review(client, {"email": "dara@example.com"}).text).status_code == 303
    assert _orders(session)[0].user_id == buyer.id
