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
