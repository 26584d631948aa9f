"""Wholesale pages without JavaScript: a producer sets the terms (the form again with what
was typed on a mistake), the leader sets minimums, a verified shop reads the catalog."""

from sqlmodel import select

from marketplace.models import User, WholesaleTier
from tests.factories import create_business, create_group, create_product, create_user
from tests.helpers import form_post, login


def test_producer_sets_terms_and_a_verified_shop_sees_them(client, session):
    group = create_group(session)
    product = create_product(session, group=group, title="Kuy silk scarf", price_cents=2500,
                             stock_on_hand=40)
    leader = session.get(User, group.leader_id)
    shop = create_business(session)
    shop_email = session.get(User, shop.created_by_id).email
    create_user(session, email="tourist@example.com")
    leader_email = leader.email
    login(client, leader_email)
    url = f"/dashboard/products/{product.id}/wholesale"
    typed = {"min_quantity": "10", "case_pack": "5", "tier_quantity_0": "10",
             "tier_price_0": "26.00", "tier_quantity_1": "50", "tier_price_1": "15.00"}
    refused = form_post(client, url, url, {**typed, "action": "save"})
    assert refused.status_code == 422
    assert "cannot be above the retail price" in refused.text
    assert 'value="26.00"' in refused.text and 'value="50"' in refused.text
    saved = form_post(client, url, url, {**typed, "tier_price_0": "18.00", "action": "save"})
    assert saved.status_code == 303
    session.rollback()
    assert sorted(t.unit_price_cents for t in session.exec(select(WholesaleTier))) == [1500,
                                                                                      1800]
    minimums = f"/dashboard/groups/{group.id}/wholesale"
    assert form_post(client, minimums, minimums, {"first_order_min": "200",
                                                  "reorder_min": "100"}).status_code == 303

    client.cookies.clear()
    login(client, "tourist@example.com")
    assert client.get("/wholesale").status_code == 404

    client.cookies.clear()
    login(client, shop_email)
    page = client.get("/wholesale")
    assert page.status_code == 200
    for shown in ("Kuy silk scarf", "10–49", "$18.00", "50 and more", "$15.00",
                  "in cases of 5", "40 in stock, ships now", "$200.00"):
        assert shown in page.text, shown
    assert "$15.00" not in client.get(f"/products/{product.id}", follow_redirects=True).text
