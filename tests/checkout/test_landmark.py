"""The village is optional (issue 14, item 4): buyers often do not know it, so a landmark the
courier can ask for ("behind the pagoda") is kept instead, on the order, in the API, on the
order pages, in the producers' parcels to send and in the emails."""

import pytest
from sqlmodel import select

from marketplace.checkout import service as checkout
from marketplace.checkout.service.address import parse_address
from marketplace.errors import ValidationFailed
from marketplace.models import Order
from marketplace.orders import service as orders
from tests.factories import (
    DEFAULT_PASSWORD,
    address,
    cart_with,
    create_group,
    create_product,
    create_user,
)
from tests.helpers import delivered_mail, fresh, login
from tests.helpers.api import cart_of, fields
from tests.helpers.api import place as api_place
from tests.helpers.checkout import CONTACT, PHNOM_PENH, checkout_post, fill_cart, place, review

LANDMARK = "Behind Wat Tonle Basak, blue gate"
NO_VILLAGE = {"village_code": "", "address_line": "", "landmark": LANDMARK}
TONLE_BASAK = "Tonle Basak, Chamkar Mon, Phnom Penh"


def test_the_rule_without_a_village_asks_for_a_landmark_or_a_street():
    base = {**CONTACT, **PHNOM_PENH, "country": "KH"}
    kept = parse_address({**base, **NO_VILLAGE})
    assert (kept.village_code, kept.commune_code, kept.landmark) == (None, "120101", LANDMARK)
    assert parse_address({**base, "village_code": ""}).address_line  # a street is enough
    with pytest.raises(ValidationFailed) as refused:
        parse_address({**base, "village_code": "", "address_line": ""})
    assert list(refused.value.errors) == ["landmark"]
    with pytest.raises(ValidationFailed) as too_long:
        parse_address({**base, "landmark": "x" * 201})
    assert list(too_long.value.errors) == ["landmark"]
    abroad = parse_address({**CONTACT, "phone": "+33 6 12 34 56 78", "country": "FR", "shipping_option": "ems",
                            "address_line": "1 rue Haute", "city": "Lyon",
                            "landmark": LANDMARK})
    assert abroad.landmark == ""  # a street address abroad says it all


def test_a_tourist_leaves_the_village_empty_with_a_landmark(client, session):
    fill_cart(client, create_product(session, title="Silk scarf"))
    summary = review(client, NO_VILLAGE)
    assert f"{TONLE_BASAK} ·" in summary.text and f"Landmark: {LANDMARK}" in summary.text
    placed = place(client, summary.text)
    assert placed.status_code == 303
    fresh(session)
    order = session.exec(select(Order)).one()
    assert (order.village_code, order.commune_code, order.landmark) == \
        (None, "120101", LANDMARK)
    page = client.get(f"/orders/{order.number}").text
    assert f"{TONLE_BASAK}, Cambodia" in page and f"Landmark: {LANDMARK}" in page


def test_without_village_landmark_or_street_the_form_asks_and_keeps_what_was_typed(client,
                                                                                    session):
    fill_cart(client, create_product(session))
    page = checkout_post(client, {**CONTACT, **PHNOM_PENH, "village_code": "",
                                  "address_line": "", "step": "review"})
    assert page.status_code == 422
    assert "Choose the village, or name a landmark near you" in page.text
    assert 'id="f-landmark"' in page.text and 'aria-describedby="e-landmark"' in page.text
    assert 'value="alex@example.com"' in page.text
    assert '<option value="120101" selected>' in page.text
    assert session.exec(select(Order)).all() == []


def test_the_api_takes_and_returns_the_landmark(client, session):
    product = create_product(session, stock_on_hand=5)
    token = cart_of(client, [(product, 1)])
    refused = api_place(client, token, village_code=None, address_line="")
    assert refused.status_code == 422 and "landmark" in fields(refused)
    placed = api_place(client, token, key="key-2", village_code=None, address_line="",
                       landmark=LANDMARK)
    assert placed.status_code == 201, placed.text
    assert placed.json()["landmark"] == LANDMARK and placed.json()["village_code"] is None


def test_producers_and_the_emails_show_the_landmark(client, session, settings, engine):
    leader = create_user(session, email="leader@example.com", role=["producer"], locale="km")
    group = create_group(session, leader=leader)
    cart = cart_with(session, [(create_product(session, group=group, title="Basket"), 1)])
    order, _created = checkout.place_order(
        session=session, settings=settings, cart=cart, user=None,
        address=address(village_code=None, address_line="", landmark=LANDMARK))
    orders.mark_paid(session=session, settings=settings, order=order)
    session.commit()

    login(client, leader.email)
    parcels = client.get("/dashboard/orders").text  # in Khmer, the leader's language
    assert f"ចំណុចសម្គាល់:</strong> {LANDMARK}" in parcels
    assert "ទន្លេបាសាក់, ចំការមន, រាជធានីភ្នំពេញ" in parcels
    token = client.post("/api/v1/auth/token", data={"username": leader.email,
                                                     "password": DEFAULT_PASSWORD}).json()
    parcels_api = client.get("/api/v1/fulfilments", headers={
        "Authorization": f"Bearer {token['access_token']}"}).json()["data"]
    assert parcels_api[0]["ship_to"]["landmark"] == LANDMARK
    assert parcels_api[0]["ship_to"]["place"] == "ទន្លេបាសាក់, ចំការមន, រាជធានីភ្នំពេញ"  # lang cookie
    mail = {m["To"]: m.get_content() for m in delivered_mail(engine, settings)}
    confirmation = mail[order.email]
    assert f"Landmark: {LANDMARK}" in confirmation and f"{TONLE_BASAK}, Cambodia" in confirmation
    assert f"ចំណុចសម្គាល់: {LANDMARK}" in mail[leader.email]  # the leader reads Khmer
