"""Purchase orders in the pages, without JavaScript: the shop fills the cart from the
catalog and a pasted list, sends it, the group proposes a change, the shop accepts it."""

from sqlmodel import select

from marketplace.models import Product, PurchaseOrder, PurchaseOrderLine, User
from marketplace.wholesale.schemas import OfferIn, TierIn
from marketplace.wholesale.terms import set_offer
from tests.factories import create_business, create_group, create_product
from tests.helpers import csrf_from, form_post, login


def test_shop_orders_and_accepts_the_groups_change(client, session):
    group = create_group(session, name="Kuy Weavers")
    piece = create_product(session, group=group, title="Kuy silk scarf", price_cents=2500,
                           stock_on_hand=100, slug="kuy-silk-scarf")
    leader = session.get(User, group.leader_id)
    set_offer(session=session, actor=leader, product=piece, data=OfferIn(
        min_quantity=10, case_pack=5, tiers=[TierIn(min_quantity=10, unit_price_cents=1800)]))
    shop = create_business(session, terms_days=30, credit_limit_cents=100_000)
    shop_email, leader_email = session.get(User, shop.created_by_id).email, leader.email
    session.commit()

    login(client, shop_email)
    catalog = client.get("/wholesale")
    added = client.post("/wholesale/cart/lines", data={
        "csrf_token": csrf_from(catalog.text), "product_id": piece.id, "quantity": "10"})
    assert added.status_code == 303
    pasted = form_post(client, "/wholesale/cart", "/wholesale/cart/csv",
                       {"lines": "kuy-silk-scarf,13\nno-such-piece,10"})
    assert pasted.status_code == 422
    assert "line 1" in pasted.text and "line 2" in pasted.text
    assert "no-such-piece" in pasted.text  # what was typed is shown again
    cart = client.get("/wholesale/cart")
    assert "$180.00" in cart.text and "By invoice, 30 days" in cart.text
    sent = client.post("/wholesale/cart/submit", data={
        "csrf_token": csrf_from(cart.text), "submit_key": "k-1", "reference": "SHOP-42",
        "payment_method": "invoice"})
    assert sent.status_code == 303, sent.text
    order_url = sent.headers["location"]
    assert "Waiting for the group" in client.get(order_url).text

    client.cookies.clear()
    login(client, leader_email)
    incoming = client.get("/dashboard/purchase-orders")
    assert "SHOP-42" not in incoming.text and "Craft Shop" in incoming.text
    session.rollback()
    order = session.exec(select(PurchaseOrder).where(PurchaseOrder.status == "submitted")).one()
    line = session.exec(select(PurchaseOrderLine)).one()
    part_url = f"/dashboard/purchase-orders/{line.part_id}"
    wrong = form_post(client, part_url, part_url, {
        "action": "propose", f"quantity_{line.id}": "12", f"price_{line.id}": "18.00"})
    assert wrong.status_code == 422 and "cases of 5" in wrong.text
    assert 'value="12"' in wrong.text
    proposed = form_post(client, part_url, part_url, {
        "action": "propose", f"quantity_{line.id}": "20", f"price_{line.id}": "18.00",
        "note": "We have twenty"})
    assert proposed.status_code == 303

    client.cookies.clear()
    login(client, shop_email)
    page = client.get(order_url)
    assert "Changes proposed" in page.text and "We have twenty" in page.text
    accepted = client.post(f"{order_url}/parts/{line.part_id}/accept-changes",
                           data={"csrf_token": csrf_from(page.text)})
    assert accepted.status_code == 303
    final = client.get(order_url).text
    assert "Confirmed" in final and "$360.00" in final
    session.rollback()
    assert session.get(Product, piece.id).stock_allocated == 20
    assert session.get(PurchaseOrder, order.id).status == "confirmed"
