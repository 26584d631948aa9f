"""Purchase orders through the API: the cart, CSV lines, minimums, credit, held stock, the
groups' answers and the business's answer to changes; races on stock, answers and credit."""

import threading
import uuid
from datetime import timedelta

from sqlmodel import Session, select

from marketplace.models import (
    PartStatus,
    Product,
    PurchaseOrder,
    PurchaseOrderPart,
    User,
    utcnow,
)
from marketplace.wholesale import tasks
from marketplace.wholesale.schemas import GroupMinimumsIn, OfferIn, TierIn
from marketplace.wholesale.terms import set_minimums, set_offer
from tests.factories import (
    create_business,
    create_user,
)
from tests.helpers import delivered_mail
from tests.helpers.api import bearer, order_body, problem
from tests.helpers.wholesale import put_line, submit


def _held(engine, product_id) -> int:
    with Session(engine) as fresh:
        return fresh.get(Product, product_id).stock_allocated


def test_cart_rules_and_who_may_order(client, session, trade):
    tourist = create_user(session)
    waiting = create_business(session, status="applied")
    shop = bearer(client, trade["buyer"])
    piece = trade["pieces"][0]
    assert problem(put_line(client, bearer(client, tourist), piece, 10), 403)
    assert problem(put_line(client, bearer(client, session.get(
        User, waiting.created_by_id)), piece, 10), 403)
    assert "at least 10" in problem(put_line(client, shop, piece, 5), 422)["errors"][0][
        "message"]
    assert "cases of 5" in problem(put_line(client, shop, piece, 12), 422)["errors"][0][
        "message"]
    cart = put_line(client, shop, piece, 50).json()
    assert cart["parts"][0]["lines"][0]["unit_price_cents"] == 1500  # the 50+ tier
    no_key = client.post("/api/v1/purchase-orders/draft/submit", headers=shop, json={})
    assert problem(no_key, 422)


def test_csv_is_all_or_nothing_with_an_error_per_line(client, trade):
    shop = bearer(client, trade["buyer"])
    url = "/api/v1/purchase-orders/draft/csv"
    bad = client.post(url, headers={**shop, "Content-Type": "text/csv"},
                      content="sku,quantity\npiece-0,10\nnope,10\npiece-1,7\npiece-0;ten\n")
    errors = {e["field"]: e["message"] for e in problem(bad, 422)["errors"]}
    assert set(errors) == {"line 3", "line 4", "line 5"}
    assert "nope" in errors["line 3"] and "at least 10" in errors["line 4"]
    assert client.get("/api/v1/purchase-orders/draft", headers=shop).json()["parts"][0][
        "lines"] == []
    good = client.post(url, headers={**shop, "Content-Type": "text/csv"},
                       content="sku,quantity\npiece-0,10\npiece-1,20\n")
    assert good.status_code == 200, good.text
    assert len(good.json()["parts"][0]["lines"]) == 2


def test_submit_holds_stock_and_groups_answer(client, engine, settings, session, trade):
    shop = bearer(client, trade["buyer"])
    stocked, made = trade["pieces"]
    put_line(client, shop, stocked, 20)
    put_line(client, shop, made, 10)
    key = str(uuid.uuid4())
    placed = submit(client, shop, "invoice", key=key)
    assert placed.status_code == 201, placed.text
    order = placed.json()
    assert order["status"] == "submitted" and order["number"].startswith("PO-")
    assert order["total_cents"] == 20 * 1800 + 10 * 1800
    assert submit(client, shop, "invoice", key=key).status_code == 200  # replay
    assert _held(engine, stocked.id) == 20
    mail = delivered_mail(engine, settings)
    assert {m["To"] for m in mail} >= {trade["leaders"][0].email, trade["leaders"][1].email}

    parts = {p["group_id"]: p for p in order["parts"]}
    first, second = parts[trade["groups"][0].id], parts[trade["groups"][1].id]
    leader0, member0 = bearer(client, trade["leaders"][0]), bearer(client, trade["member"])
    outsider = bearer(client, trade["leaders"][1])
    assert client.get(f"/api/v1/purchase-order-parts/{first['id']}",
                      headers=outsider).status_code == 404

    # two members of the first group accept at once: one wins, the other is told
    barrier, codes = threading.Barrier(2), []

    def accept(headers):
        barrier.wait()
        codes.append(client.post(f"/api/v1/purchase-order-parts/{first['id']}/accept",
                                 headers=headers).status_code)

    threads = [threading.Thread(target=accept, args=(h,)) for h in (leader0, member0)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert sorted(codes) == [200, 409]

    # the second group proposes 30 at a price outside its tiers, then within them
    leader1 = bearer(client, trade["leaders"][1])
    line = second["lines"][0]
    url = f"/api/v1/purchase-order-parts/{second['id']}/propose"
    wrong = client.post(url, headers=leader1, json={"changes": [
        {"line_id": line["id"], "quantity": 30, "unit_price_cents": 1200}]})
    assert problem(wrong, 422)
    proposed = client.post(url, headers=leader1, json={"changes": [
        {"line_id": line["id"], "quantity": 30, "unit_price_cents": 1700}],
        "ship_by": (utcnow().date() + timedelta(days=40)).isoformat(), "note": "30 by Jan"})
    assert proposed.status_code == 200, proposed.text
    accepted = client.post(f"/api/v1/purchase-orders/{order['id']}/parts/{second['id']}"
                           "/accept-changes", headers=shop)
    assert accepted.status_code == 200, accepted.text
    final = accepted.json()
    assert final["status"] == "confirmed"
    assert final["total_cents"] == 20 * 1800 + 30 * 1700
    assert [p["status"] for p in final["parts"]] == ["accepted", "accepted"]


def test_minimum_order_value_and_credit_limit_refuse_and_hold_nothing(client, engine,
                                                                      session, trade):
    set_minimums(session=session, actor=trade["leaders"][0], group=trade["groups"][0],
                 data=GroupMinimumsIn(first_order_min_cents=50_000, reorder_min_cents=0))
    session.commit()
    shop = bearer(client, trade["buyer"])
    stocked = trade["pieces"][0]
    put_line(client, shop, stocked, 20)
    short = problem(submit(client, shop), 422)
    assert "asks for at least $500.00" in short["errors"][0]["message"]
    put_line(client, shop, stocked, 60)  # $900: over the minimum, under the $1,000 limit
    placed = submit(client, shop, "invoice")
    assert placed.status_code == 201
    put_line(client, shop, trade["pieces"][1], 10)  # $180 more: over the limit
    refused = problem(submit(client, shop, "invoice"), 409)
    assert refused["credit_available_cents"] == 100_000 - 90_000
    assert _held(engine, stocked.id) == 60
    assert submit(client, shop, "card").status_code == 201  # by card it goes through


def test_shop_and_tourist_race_for_the_last_pieces(client, engine, session, trade):
    stocked = trade["pieces"][0]
    session.get(Product, stocked.id).stock_on_hand = 10
    session.commit()
    shop = bearer(client, trade["buyer"])
    put_line(client, shop, stocked, 10)
    tourist = bearer(client, create_user(session))
    cart = client.post("/api/v1/carts", headers=tourist).json()["token"]
    client.post(f"/api/v1/carts/{cart}/lines", headers=tourist,
                json={"product_id": stocked.id, "quantity": 1})

    barrier, answers = threading.Barrier(2), {}

    def wholesale():
        barrier.wait()
        answers["shop"] = submit(client, shop).status_code

    def retail():
        barrier.wait()
        answers["tourist"] = client.post(
            "/api/v1/orders", headers={**tourist, "Idempotency-Key": str(uuid.uuid4())},
            json=order_body(cart)).status_code

    threads = [threading.Thread(target=wholesale), threading.Thread(target=retail)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert sorted(answers.values()) == [201, 409], answers
    assert _held(engine, stocked.id) == (10 if answers["shop"] == 201 else 1)


def test_an_unanswered_part_expires_and_gives_the_stock_back(client, engine, settings,
                                                              session, trade):
    shop = bearer(client, trade["buyer"])
    stocked = trade["pieces"][0]
    put_line(client, shop, stocked, 20)
    order = submit(client, shop).json()
    with Session(engine) as fresh:
        part = fresh.get(PurchaseOrderPart, order["parts"][0]["id"])
        part.respond_by = utcnow() - timedelta(minutes=1)
        fresh.add(part)
        fresh.commit()
    assert tasks.expire_parts(engine, settings) == 1
    assert _held(engine, stocked.id) == 0
    with Session(engine) as fresh:
        assert fresh.get(PurchaseOrderPart, order["parts"][0]["id"]).status == \
            PartStatus.EXPIRED
        assert fresh.get(PurchaseOrder, order["id"]).status == "cancelled"
    assert tasks.expire_parts(engine, settings) == 0
    assert problem(client.post(f"/api/v1/purchase-order-parts/{order['parts'][0]['id']}"
                               "/accept", headers=bearer(client, trade["leaders"][0])), 409)


def test_credit_checked_under_a_lock_on_every_path(client, engine, session, trade):
    """A larger quantity accepted from a proposal and a new purchase order each fit the
    credit left, but not both: exactly one goes through."""
    shop = bearer(client, trade["buyer"])
    stocked, made = trade["pieces"]
    put_line(client, shop, stocked, 25)  # $450
    first = submit(client, shop, "invoice").json()
    part = first["parts"][0]
    proposed = client.post(f"/api/v1/purchase-order-parts/{part['id']}/propose",
                           headers=bearer(client, trade["leaders"][0]), json={"changes": [
                               {"line_id": part["lines"][0]["id"], "quantity": 50,
                                "unit_price_cents": 1500}]})  # $750: +$300
    assert proposed.status_code == 200
    put_line(client, shop, made, 20)  # $360 on a new order; $450 + $300 + $360 > $1,000
    barrier, answers = threading.Barrier(2), {}

    def more():
        barrier.wait()
        answers["changes"] = client.post(
            f"/api/v1/purchase-orders/{first['id']}/parts/{part['id']}/accept-changes",
            headers=shop).status_code

    def new():
        barrier.wait()
        answers["order"] = submit(client, shop, "invoice").status_code

    threads = [threading.Thread(target=more), threading.Thread(target=new)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert sorted(answers.values()) in ([200, 409], [201, 409]), answers
    with Session(engine) as fresh:
        owed = sum(o.total_cents for o in fresh.exec(select(PurchaseOrder).where(
            PurchaseOrder.payment_method == "invoice",
            PurchaseOrder.status.in_(["submitted", "confirmed"]))))
    assert owed <= 100_000


def test_order_again_uses_todays_prices_and_minimums(client, session, trade):
    shop = bearer(client, trade["buyer"])
    stocked, made = trade["pieces"]
    put_line(client, shop, stocked, 10)
    put_line(client, shop, made, 10)
    order = submit(client, shop).json()
    session.rollback()
    set_offer(session=session, actor=trade["leaders"][0], product=session.get(
        Product, stocked.id), data=OfferIn(min_quantity=15, case_pack=5, tiers=[
            TierIn(min_quantity=15, unit_price_cents=1700)]))
    from marketplace.wholesale.terms import remove_offer

    remove_offer(session=session, actor=trade["leaders"][1], product=session.get(
        Product, made.id))
    session.commit()
    again = client.post(f"/api/v1/purchase-orders/{order['id']}/reorder", headers=shop)
    assert again.status_code == 200, again.text
    body = again.json()
    lines = body["cart"]["parts"][0]["lines"]
    assert [(line["product_id"], line["quantity"], line["unit_price_cents"])
            for line in lines] == [(stocked.id, 15, 1700)]
    assert len(body["skipped"]) == 1 and "no longer offered" in body["skipped"][0]
    stranger = bearer(client, create_user(session))
    assert client.post(f"/api/v1/purchase-orders/{order['id']}/reorder",
                       headers=stranger).status_code == 404


def test_shipping_a_part_sells_the_stock_it_held(client, engine, session, trade):
    shop = bearer(client, trade["buyer"])
    stocked, made = trade["pieces"]
    put_line(client, shop, stocked, 20)
    put_line(client, shop, made, 10)
    order = submit(client, shop, "invoice").json()
    parts = {p["group_id"]: p["id"] for p in order["parts"]}
    first = parts[trade["groups"][0].id]
    leader0 = bearer(client, trade["leaders"][0])
    client.post(f"/api/v1/purchase-order-parts/{first}/accept", headers=leader0)
    early = client.post(f"/api/v1/purchase-order-parts/{first}/ship", headers=leader0)
    assert problem(early, 409)  # the other group has not answered yet
    client.post(f"/api/v1/purchase-order-parts/{parts[trade['groups'][1].id]}/accept",
                headers=bearer(client, trade["leaders"][1]))
    shipped = client.post(f"/api/v1/purchase-order-parts/{first}/ship", headers=leader0,
                          json={"tracking": "Virak Buntham  VB-123"})
    assert shipped.status_code == 200, shipped.text
    assert shipped.json()["parts"][0]["tracking"] == "Virak Buntham VB-123"
    with Session(engine) as fresh:
        piece = fresh.get(Product, stocked.id)
        assert (piece.stock_on_hand, piece.stock_allocated) == (40, 0)
    assert problem(client.post(f"/api/v1/purchase-order-parts/{first}/ship",
                               headers=leader0), 409)
