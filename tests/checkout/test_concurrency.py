"""Many buyers at once through the HTML checkout of the live server: the last pieces are
sold exactly once, every buyer gets an answer quickly, and the server stays responsive."""

from sqlalchemy import func
from sqlmodel import select

from marketplace.models import Order, Product
from tests.factories import create_product
from tests.helpers.checkout import fill_cart, place, review
from tests.helpers.concurrency import ANSWER_WITHIN, HealthProbe, browsers, race, report

BUYERS = 10
PIECES = 3


def test_ten_browsers_place_the_last_three_pieces_at_once(live_server, session):
    product = create_product(session, stock_on_hand=PIECES)
    clients = browsers(live_server, BUYERS)
    summaries = []
    for client in clients:  # each buyer has the piece in the cart and the summary open
        fill_cart(client, product)
        summaries.append(review(client).text)

    with HealthProbe(live_server) as probe:
        results = race([lambda c=c, s=s: place(c, s) for c, s in zip(clients, summaries,
                                                                       strict=True)])
    report("10 HTML checkouts for the last 3 pieces", results, probe)
    probe.assert_healthy()
    for client in clients:
        client.close()

    errors = [r.value for r in results if isinstance(r.value, Exception)]
    assert not errors, errors
    slowest = max(r.seconds for r in results)
    assert slowest < ANSWER_WITHIN, f"a buyer waited {slowest:.1f}s"
    placed = [r.value for r in results if r.value.status_code == 303]
    refused = [r.value for r in results if r.value.status_code != 303]
    assert len(placed) == PIECES
    assert all("/pay" in r.headers["location"] for r in placed)
    assert {r.status_code for r in refused} == {409}
    assert all("sold" in r.text.lower() or "left" in r.text.lower() for r in refused)

    session.rollback()
    session.expire_all()
    assert session.exec(select(func.count()).select_from(Order)).one() == PIECES
    held = session.get(Product, product.id)
    assert held.stock_allocated == PIECES


API_BUYERS = 200
LAST_PIECES = 5


def test_two_hundred_buyers_of_the_last_five_pieces_through_the_api(live_server, session):
    """200 orders for the last 5 pieces, sent at one instant through the JSON API: exactly
    5 are placed, every other buyer is told it sold out (409), nothing is oversold."""
    from tests.helpers.api import order_body

    product = create_product(session, stock_on_hand=LAST_PIECES)
    clients = browsers(live_server, API_BUYERS)
    orders = []
    for n, client in enumerate(clients):
        # Each buyer comes from their own address (the proxy's X-Forwarded-For), as the
        # unpaid-order limit is per address.
        client.headers["X-Forwarded-For"] = f"198.51.100.{n % 250 + 1}, 203.0.113.{n // 250}"
        cart = client.post("/api/v1/carts").json()["token"]
        assert client.post(f"/api/v1/carts/{cart}/lines", json={
            "product_id": product.id, "quantity": 1}).status_code == 200
        orders.append((client, order_body(cart), f"last-five-{n}"))

    with HealthProbe(live_server) as probe:
        results = race([lambda c=c, b=b, k=k: c.post("/api/v1/orders", json=b,
                                                     headers={"Idempotency-Key": k})
                        for c, b, k in orders])
    report("200 API orders for the last 5 pieces", results, probe)
    probe.assert_healthy()
    for client in clients:
        client.close()

    errors = [r.value for r in results if isinstance(r.value, Exception)]
    assert not errors, errors[:3]
    codes = sorted(r.value.status_code for r in results)
    assert codes.count(201) == LAST_PIECES and set(codes) == {201, 409}, codes
    session.expire_all()
    stored = session.get(Product, product.id)
    assert stored.stock_allocated == LAST_PIECES
    assert session.exec(select(func.count()).select_from(Order).where(
        Order.id.is_not(None))).one() == LAST_PIECES
