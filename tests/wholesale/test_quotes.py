"""Quotes: a shop asks a group for 200 scarves in its colours, the group answers, the shop
accepts, and exactly one purchase order comes of it, however many acceptances race."""

import threading

from sqlmodel import Session, select

from marketplace.models import Invoice, PurchaseOrder, Quote, User
from tests.factories import create_business, create_group, create_product, create_user
from tests.helpers import delivered_mail
from tests.helpers.api import bearer


def test_a_quote_becomes_exactly_one_purchase_order(client, session, engine, settings):
    group = create_group(session)
    scarf = create_product(session, group=group, title="Indigo scarf", price_cents=2500,
                           stock_mode="made_to_order", monthly_capacity=40)
    shop = create_business(session, terms_days=30, credit_limit_cents=500_000)
    owner, leader = session.get(User, shop.created_by_id), session.get(User, group.leader_id)
    tourist = create_user(session)
    session.commit()
    headers, group_headers = bearer(client, owner), bearer(client, leader)
    assert client.post("/api/v1/quotes", headers=bearer(client, tourist), json={
        "product_id": scarf.id, "quantity": 200, "request": "x"}).status_code == 403
    asked = client.post("/api/v1/quotes", headers=headers, json={
        "product_id": scarf.id, "quantity": 200,
        "request": "200 scarves in indigo and saffron, our label sewn in"})
    assert asked.status_code == 201, asked.text
    quote = asked.json()
    assert any("asks for a quote" in m["Subject"] for m in delivered_mail(engine, settings))
    accept_url = f"/api/v1/quotes/{quote['id']}/accept"
    assert client.post(accept_url, headers=headers, json={}).status_code == 409  # no price
    other = bearer(client, create_user(session, role=["producer"]))
    assert client.post(f"/api/v1/quotes/{quote['id']}/answer", headers=other, json={
        "unit_price_cents": 1400, "lead_time_days": 90}).status_code == 404
    answered = client.post(f"/api/v1/quotes/{quote['id']}/answer", headers=group_headers,
                           json={"unit_price_cents": 1400, "lead_time_days": 90,
                                 "note": "Five weavers, three months"})
    assert answered.json()["status"] == "answered"

    barrier, codes = threading.Barrier(4), []

    def accept():
        barrier.wait()
        codes.append(client.post(accept_url, headers=headers,
                                 json={"payment_method": "invoice"}).status_code)

    threads = [threading.Thread(target=accept) for _ in range(4)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert sorted(codes) == [201, 409, 409, 409]
    with Session(engine) as fresh:
        orders = fresh.exec(select(PurchaseOrder)).all()
        assert len(orders) == 1 and orders[0].status == "confirmed"
        assert orders[0].total_cents == 200 * 1400
        assert fresh.exec(select(Quote)).one().purchase_order_id == orders[0].id
        assert fresh.exec(select(Invoice)).one().total_cents == 280_000
    assert client.post(accept_url, headers=headers, json={}).status_code == 409


def test_over_the_credit_limit_a_quote_is_refused_on_terms(client, session):
    group = create_group(session)
    piece = create_product(session, group=group)
    shop = create_business(session, terms_days=30, credit_limit_cents=10_000)
    headers = bearer(client, session.get(User, shop.created_by_id))
    leader = bearer(client, session.get(User, group.leader_id))
    quote = client.post("/api/v1/quotes", headers=headers, json={
        "product_id": piece.id, "quantity": 100, "request": "100 for our hotel rooms"}).json()
    client.post(f"/api/v1/quotes/{quote['id']}/answer", headers=leader,
                json={"unit_price_cents": 1500, "lead_time_days": 30})
    refused = client.post(f"/api/v1/quotes/{quote['id']}/accept", headers=headers,
                          json={"payment_method": "invoice"})
    assert refused.status_code == 409 and "credit limit" in refused.json()["detail"]
    assert client.get("/api/v1/quotes", headers=headers).json()[0]["status"] == "answered"
    by_card = client.post(f"/api/v1/quotes/{quote['id']}/accept", headers=headers,
                          json={"payment_method": "card"})
    assert by_card.status_code == 201


def test_quote_pages_without_javascript(client, session):
    from tests.helpers import csrf_from, form_post, login

    group = create_group(session)
    piece = create_product(session, group=group, title="Rattan basket")
    shop = create_business(session)
    owner_email = session.get(User, shop.created_by_id).email
    leader_email = session.get(User, group.leader_id).email
    session.commit()
    login(client, owner_email)
    page = f"/business/quotes?product_id={piece.id}"
    empty = form_post(client, page, "/business/quotes", {"product_id": str(piece.id),
                                                         "quantity": "300", "request": " "})
    assert empty.status_code == 422 and 'value="300"' in empty.text
    sent = form_post(client, page, "/business/quotes", {
        "product_id": str(piece.id), "quantity": "300", "request": "300 for a hotel opening"})
    assert sent.status_code == 303
    client.cookies.clear()
    login(client, leader_email)
    listing = client.get("/dashboard/quotes")
    assert "300 for a hotel opening" in listing.text
    session.rollback()
    quote = session.exec(select(Quote)).one()
    bad = client.post(f"/dashboard/quotes/{quote.id}", data={
        "csrf_token": csrf_from(listing.text), "action": "answer", "price": "lots",
        "lead_time_days": "45"})
    assert bad.status_code == 422 and 'value="lots"' in bad.text
    answered = client.post(f"/dashboard/quotes/{quote.id}", data={
        "csrf_token": csrf_from(listing.text), "action": "answer", "price": "9.50",
        "lead_time_days": "45"})
    assert answered.status_code == 303
    client.cookies.clear()
    login(client, owner_email)
    mine = client.get("/business/quotes")
    assert "$9.50 per piece, $2,850.00 in all" in mine.text
    accepted = client.post(f"/business/quotes/{quote.id}/accept", data={
        "csrf_token": csrf_from(mine.text), "payment_method": "card"})
    assert accepted.status_code == 303
    assert "Confirmed" in client.get(accepted.headers["location"]).text
