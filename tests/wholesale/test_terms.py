"""Wholesale terms: a group sets tiers, minimums and case packs; only verified businesses
(and the group) ever read them; quantities and lead times follow the terms."""

from datetime import date

import pytest

from marketplace.errors import ValidationFailed
from marketplace.models import CapacityBooking, ProducerGroup, User
from marketplace.wholesale import terms
from tests.factories import (
    add_member,
    create_business,
    create_group,
    create_product,
    create_user,
)
from tests.helpers.api import bearer

OFFER = {"min_quantity": 10, "case_pack": 5, "tiers": [
    {"min_quantity": 10, "unit_price_cents": 1800}, {"min_quantity": 50,
                                                     "unit_price_cents": 1500}]}



def errors_of(response) -> dict:
    assert response.headers["content-type"] == "application/problem+json", response.text
    return {e["field"]: e["message"] for e in response.json()["errors"]}


@pytest.fixture
def offered(client, session):
    """A group's product offered wholesale through the API, and the group's leader."""
    group = create_group(session)
    product = create_product(session, group=group, price_cents=2500, stock_on_hand=80)
    leader = session.get(User, group.leader_id)
    saved = client.put(f"/api/v1/products/{product.id}/wholesale",
                       headers=bearer(client, leader), json=OFFER)
    assert saved.status_code == 200, saved.text
    return product, leader


def test_group_sets_terms_and_bad_terms_are_refused_with_every_field(client, session):
    group = create_group(session)
    product = create_product(session, group=group, price_cents=2500)
    stranger_user = create_user(session, role=["producer"])
    leader = bearer(client, session.get(User, group.leader_id))
    url = f"/api/v1/products/{product.id}/wholesale"
    bad = client.put(url, headers=leader, json={"min_quantity": 12, "case_pack": 5, "tiers": [
        {"min_quantity": 10, "unit_price_cents": 2600},
        {"min_quantity": 10, "unit_price_cents": 1500},
        {"min_quantity": 60, "unit_price_cents": 1700}]})
    assert bad.status_code == 422
    assert set(errors_of(bad)) == {"min_quantity", "tiers.0.min_quantity",
                                   "tiers.0.unit_price_cents", "tiers.1.min_quantity",
                                   "tiers.2.unit_price_cents"}
    stranger = bearer(client, stranger_user)
    assert client.put(url, headers=stranger, json=OFFER).status_code == 403
    saved = client.put(url, headers=leader, json=OFFER).json()
    assert saved["tiers"] == [
        {"min_quantity": 10, "max_quantity": 49, "unit_price_cents": 1800},
        {"min_quantity": 50, "max_quantity": None, "unit_price_cents": 1500}]


def test_only_verified_businesses_and_the_group_read_wholesale_prices(client, session,
                                                                      offered):
    product, leader = offered
    session.rollback()  # a fresh snapshot: the fixture's requests wrote since
    url = f"/api/v1/products/{product.id}/wholesale"
    tourist = create_user(session)
    waiting = create_business(session, status="applied")
    verified = create_business(session)
    for user in (tourist, session.get(User, waiting.created_by_id)):
        headers = bearer(client, user)
        assert client.get(url, headers=headers).status_code == 404
        assert client.get("/api/v1/wholesale/products", headers=headers).status_code == 404
    assert client.get(url).status_code == 401
    assert client.get(url, headers=bearer(client, leader)).status_code == 200
    shop = bearer(client, session.get(User, verified.created_by_id))
    assert client.get(url, headers=shop).json()["tiers"][1]["unit_price_cents"] == 1500
    listed = client.get("/api/v1/wholesale/products", headers=shop).json()
    assert listed["count"] == 1
    row = listed["data"][0]
    assert (row["min_quantity"], row["case_pack"], row["available"], row["lead_time_days"]) \
        == (10, 5, 80, 0)
    # the retail product API and page never carry the wholesale prices
    retail = client.get(f"/api/v1/products/{product.id}", headers=shop).text
    page = client.get(f"/products/{product.id}", headers=shop, follow_redirects=True).text
    assert "1500" not in retail and "$15.00" not in page and "$18.00" not in page


def test_quantity_must_reach_the_minimum_in_whole_cases(session, offered):
    product, _leader = offered
    session.rollback()
    offer, tiers = _offer(session, product)
    with pytest.raises(ValidationFailed) as below:
        terms.check_quantity(offer, 5)
    assert "at least 10" in below.value.errors["quantity"]
    with pytest.raises(ValidationFailed) as broken_case:
        terms.check_quantity(offer, 12)
    assert "cases of 5" in broken_case.value.errors["quantity"]
    terms.check_quantity(offer, 15)
    assert [terms.unit_price(tiers, q) for q in (10, 49, 50, 500)] == [1800, 1800, 1500, 1500]


def _offer(session, product):
    from sqlmodel import select

    from marketplace.models import WholesaleOffer

    offer = session.exec(select(WholesaleOffer).where(
        WholesaleOffer.product_id == product.id)).one()
    return offer, terms.tiers_of(session, [offer.id])[offer.id]


def test_lead_time_counts_the_capacity_already_booked(session):
    product = create_product(session, stock_mode="made_to_order", monthly_capacity=20,
                             lead_time_days=21)
    session.add(CapacityBooking(product_id=product.id, month="2026-12", booked=15))
    session.add(CapacityBooking(product_id=product.id, month="2027-01", booked=20))
    session.commit()
    today = date(2026, 12, 4)
    assert terms.lead_time_days(session, product, 5, today) == 21  # fits this month
    assert terms.lead_time_days(session, product, 6, today) == 21 + 60  # Jan is full
    assert terms.lead_time_days(session, product, 20, today) == 21 + 60
    assert terms.lead_time_days(session, product, 21, today) is None  # over a month's
    stocked = create_product(session, stock_on_hand=8)
    assert terms.lead_time_days(session, stocked, 8) == 0
    assert terms.lead_time_days(session, stocked, 9) is None


def test_group_minimums_are_the_leaders_to_set(client, session):
    group = create_group(session)
    member = add_member(session, group)
    url = f"/api/v1/producer-groups/{group.id}/wholesale-minimums"
    body = {"first_order_min_cents": 20000, "reorder_min_cents": 10000, "deposit_percent": 50}
    assert client.put(url, headers=bearer(client, member), json=body).status_code == 403
    leader = bearer(client, session.get(User, group.leader_id))
    assert client.put(url, headers=leader, json=body).json() == body
    session.rollback()
    assert terms.minimums(session, group.id).reorder_min_cents == 10000
    assert terms.deposit(session, group.id, 12345) == 6173  # half, rounded half up
    assert client.put(url, headers=leader, json={**body, "deposit_percent": 101}).status_code == 422


def test_the_wholesale_catalog_sorts_khmer_only_pieces_by_their_khmer_title(client, session,
                                                                           offered):
    product, leader = offered  # "Indigo cotton scarf"
    session.rollback()
    khmer_only = create_product(session, group=session.get(ProducerGroup, product.group_id),
                                title="", title_km="ក្រមា", stock_on_hand=20)
    saved = client.put(f"/api/v1/products/{khmer_only.id}/wholesale",
                       headers=bearer(client, leader), json=OFFER)
    assert saved.status_code == 200, saved.text
    session.rollback()
    shop = session.get(User, create_business(session).created_by_id)
    rows, total = terms.catalog(session=session, actor=shop)
    # ordered by the English title, or the Khmer one when there is none: never first
    # because its English title is empty
    assert total == 2
    assert [p.id for p, _offer in rows] == [product.id, khmer_only.id]
