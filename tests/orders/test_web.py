"""Order pages: the buyer's (only theirs), the producer's parcels to send, and the admin's
search, refunds and cancelling. "Paid" is reached by calling mark_paid as the webhook does."""

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import func
from sqlmodel import select

from marketplace.checkout import service as checkout
from marketplace.models import Fulfilment, Order, Product, Refund, User, utcnow
from marketplace.orders import service as orders
from tests.factories import address, cart_with, create_group, create_product, create_user
from tests.helpers import delivered_mail, form_post, login
from tests.helpers.checkout import fill_cart, place, review


def _fresh(session):
    session.rollback()
    session.expire_all()


def paid_order(session, settings, items, user=None, **address_fields):
    """An order placed from a cart of (product, quantity) and paid (as the webhook would)."""
    cart = cart_with(session, items, user=user)
    order, _created = checkout.place_order(session=session, settings=settings, cart=cart,
                                         user=user, address=address(**address_fields))
    orders.mark_paid(session=session, settings=settings, order=order)
    session.commit()
    return order


def leader_of(session, group) -> User:
    return session.get(User, group.leader_id)


def test_another_browser_cannot_open_the_order(app, client, session):
    fill_cart(client, create_product(session))
    number = place(client, review(client).text).headers["location"].split("/")[2]
    assert client.get(f"/orders/{number}").status_code == 200

    with TestClient(app, follow_redirects=False) as stranger:
        page = stranger.get(f"/orders/{number}")
        assert page.status_code == 404 and "Alex Traveller" not in page.text
        create_user(session, email="other@example.com")
        login(stranger, "other@example.com")
        assert stranger.get(f"/orders/{number}").status_code == 404
        assert stranger.get("/orders/MK-2000-999999").status_code == 404


def test_the_account_sees_its_order_from_any_browser(app, session, settings):
    buyer = create_user(session, email="buyer@example.com")
    order = paid_order(session, settings, [(create_product(session), 1)], user=buyer)
    with TestClient(app, follow_redirects=False) as phone:
        assert phone.get(f"/orders/{order.number}").status_code == 404
        login(phone, "buyer@example.com")
        page = phone.get(f"/orders/{order.number}")
        assert page.status_code == 200 and order.number in page.text


def test_order_status_in_plain_words(client, session, settings):
    group = create_group(session, name="Kuoy Weavers")
    product = create_product(session, group=group, title="Kuy silk scarf", price_cents=4000,
                             makers=["Srey Mom"],
                             certified_until=utcnow() + timedelta(days=300))
    fill_cart(client, product, 1)
    number = place(client, review(client).text).headers["location"].split("/")[2]

    waiting = client.get(f"/orders/{number}")
    assert "Waiting for payment." in waiting.text and "We hold these pieces for you until" in \
        waiting.text
    assert f'href="/orders/{number}/pay"' in waiting.text
    assert "Kuy silk scarf" in waiting.text and "Made by Srey Mom" in waiting.text
    assert "Seal of Excellence" in waiting.text and "Parcel from Kuoy Weavers" in waiting.text

    confirming = client.get(f"/orders/{number}?redirect_status=succeeded")
    assert "Payment received, being confirmed." in confirming.text
    assert '<meta http-equiv="refresh" content="5">' in confirming.text  # asks again, no JS
    assert 'http-equiv="refresh"' not in waiting.text

    _fresh(session)
    order = orders.get_by_number(session=session, number=number)
    orders.mark_paid(session=session, settings=settings, order=order)
    session.commit()
    paid = client.get(f"/orders/{number}")
    assert "Paid on" in paid.text and "New: the group has been told" in paid.text
    reloaded = client.get(f"/orders/{number}?redirect_status=succeeded")  # the next refresh
    assert "Paid on" in reloaded.text and 'http-equiv="refresh"' not in reloaded.text
    assert f'href="/orders/{number}/pay"' not in paid.text


def test_order_history_newest_first(client, session, settings):
    buyer = create_user(session, email="buyer@example.com")
    first = paid_order(session, settings, [(create_product(session), 1)], user=buyer)
    second = paid_order(session, settings, [(create_product(session), 1)], user=buyer)
    paid_order(session, settings, [(create_product(session), 1)])  # someone else's
    assert client.get("/account/orders").status_code == 303  # log in first
    login(client, "buyer@example.com")
    page = client.get("/account/orders").text
    assert page.count('href="/orders/MK-') == 2
    assert page.index(second.number) < page.index(first.number)


def _move(client, fulfilment_id, to, **fields):
    return form_post(client, "/dashboard/orders", f"/dashboard/orders/{fulfilment_id}/status",
                     {"to": to, **fields})


def test_producer_accepts_packs_and_ships_with_tracking(app, client, session, settings):
    group = create_group(session)
    product = create_product(session, group=group, title="Back-basket")
    buyer = create_user(session, email="buyer@example.com")
    order = paid_order(session, settings, [(product, 1)], user=buyer,
                       email="buyer@example.com", full_name="Lina Buyer")
    unpaid_cart = cart_with(session, [(product, 1)])
    checkout.place_order(session=session, settings=settings, cart=unpaid_cart, user=None,
                       address=address(full_name="Not Paid Yet"))
    session.commit()
    fulfilment = orders.fulfilments_of(session=session, order_id=order.id)[0]

    login(client, leader_of(session, group).email)
    page = client.get("/dashboard/orders")
    assert page.status_code == 200
    assert order.number in page.text and "Lina Buyer" in page.text
    assert "Phum Muoy, Tonle Basak, Chamkar Mon, Phnom Penh" in page.text
    assert "Not Paid Yet" not in page.text
    assert "Accept: start making" in page.text

    assert _move(client, fulfilment.id, "in_production").status_code == 303
    assert _move(client, fulfilment.id, "packed").status_code == 303
    missing = _move(client, fulfilment.id, "shipped", carrier="", tracking_number="")
    assert missing.status_code == 422
    assert "Name the carrier." in missing.text and "Enter the tracking number." in missing.text
    _fresh(session)
    assert session.get(Fulfilment, fulfilment.id).status == "packed"

    shipped = _move(client, fulfilment.id, "shipped", carrier="J&T", tracking_number="JT123456")
    assert shipped.status_code == 303
    _fresh(session)
    stored = session.get(Fulfilment, fulfilment.id)
    assert (stored.status, stored.carrier, stored.tracking_number) == \
        ("shipped", "J&T", "JT123456")
    mail = [m for m in delivered_mail(session.get_bind(), settings)
            if m["To"] == "buyer@example.com" and "on its way" in m["Subject"]]
    assert len(mail) == 1 and "JT123456" in mail[0].get_content()

    # a second press of an old button is told the parcel moved on
    again = _move(client, fulfilment.id, "packed")
    assert again.status_code == 303
    assert "already moved on" in client.get(again.headers["location"]).text

    with TestClient(app, follow_redirects=False) as buyer_browser:
        login(buyer_browser, "buyer@example.com")
        buyer_page = buyer_browser.get(f"/orders/{order.number}").text
        assert "JT123456" in buyer_page and "Shipped" in buyer_page


def test_member_of_another_group_is_refused(client, session, settings):
    ours, theirs = create_group(session), create_group(session)
    order = paid_order(session, settings, [(create_product(session, group=ours), 1)])
    fulfilment = orders.fulfilments_of(session=session, order_id=order.id)[0]
    login(client, leader_of(session, theirs).email)
    assert order.number not in client.get("/dashboard/orders").text
    refused = _move(client, fulfilment.id, "in_production")
    assert refused.status_code == 403
    _fresh(session)
    assert session.get(Fulfilment, fulfilment.id).status == "new"


def test_admin_searches_orders(client, session, settings):
    create_user(session, email="admin@example.com", role=["admin"])
    first = paid_order(session, settings, [(create_product(session), 1)],
                       email="sophea@example.com")
    cart = cart_with(session, [(create_product(session), 1)])
    unpaid, _ = checkout.place_order(session=session, settings=settings, cart=cart, user=None,
                                   address=address(email="tourist@example.org"))
    session.commit()
    login(client, "admin@example.com")

    everything = client.get("/admin/orders").text
    assert first.number in everything and unpaid.number in everything
    by_number = client.get(f"/admin/orders?q={first.number}").text
    assert first.number in by_number and unpaid.number not in by_number
    by_email = client.get("/admin/orders?q=TOURIST@").text
    assert unpaid.number in by_email and first.number not in by_email
    by_status = client.get("/admin/orders?status=pending_payment").text
    assert unpaid.number in by_status and first.number not in by_status
    assert client.get("/admin/orders?status=bogus").status_code == 400

    detail = client.get(f"/admin/orders/{first.number}")
    assert detail.status_code == 200 and "sophea@example.com" in detail.text
    assert "Refund this line" in detail.text and "Refund the whole order" in detail.text


def test_only_admins_see_orders(client, session, settings):
    order = paid_order(session, settings, [(create_product(session), 1)])
    create_user(session, email="buyer@example.com")
    login(client, "buyer@example.com")
    assert client.get("/admin/orders").status_code == 403
    assert client.get(f"/admin/orders/{order.number}").status_code == 403


def test_over_refund_and_bad_amounts_are_refused_before_the_card_processor(client, session,
                                                                           settings):
    create_user(session, email="admin@example.com", role=["admin"])
    order = paid_order(session, settings, [(create_product(session, price_cents=2500), 2)])
    order.payment_intent_id = "pi_test_web"
    session.add(order)
    session.commit()
    line = orders.lines_of(session=session, order_id=order.id)[0]
    login(client, "admin@example.com")
    url = f"/admin/orders/{order.number}"
    assert 'value="50.00"' in client.get(url).text  # the line's remaining, by default

    too_much = form_post(client, url, f"{url}/refund", {"line_id": str(line.id),
                                                        "amount": "50.01", "reason": "broken"})
    assert too_much.status_code == 422
    assert "Refund between 1 cent and what is left on this line" in too_much.text
    assert 'value="50.01"' in too_much.text and 'value="broken"' in too_much.text
    whole = form_post(client, url, f"{url}/refund", {"amount": "1000"})
    assert whole.status_code == 422 and "what is left on the order" in whole.text
    for typed in ("abc", "-5", "1.234", ""):
        bad = form_post(client, url, f"{url}/refund", {"line_id": str(line.id), "amount": typed})
        assert bad.status_code == 422 and "Enter an amount in dollars, like 12.50." in bad.text
    _fresh(session)
    assert session.exec(select(func.count()).select_from(Refund)).one() == 0
    assert session.get(Order, order.id).refunded_cents == 0


def test_admin_cancels_an_unpaid_order_and_stock_returns(client, session, settings):
    create_user(session, email="admin@example.com", role=["admin"])
    product = create_product(session, stock_on_hand=4)
    cart = cart_with(session, [(product, 3)])
    order, _ = checkout.place_order(session=session, settings=settings, cart=cart, user=None,
                                  address=address())
    session.commit()
    login(client, "admin@example.com")
    url = f"/admin/orders/{order.number}"
    assert "Cancel the order" in client.get(url).text
    done = form_post(client, url, f"{url}/cancel", {"reason": "buyer asked"})
    assert done.status_code == 303
    _fresh(session)
    assert session.get(Order, order.id).status == "cancelled"
    assert session.get(Product, product.id).stock_allocated == 0
    page = client.get(url).text
    assert "is cancelled" in page and "buyer asked" in page  # flash and history
    assert "Cancel the order" not in page
