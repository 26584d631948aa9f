"""Guests can reach their order: the link in the emails of an order placed without an account
is signed and expires; it opens the order (and its pay page) in any browser. A tampered,
expired or missing token is the same 404 as an unknown number."""

from datetime import timedelta

from fastapi.testclient import TestClient

from marketplace.checkout import service as checkout
from marketplace.models import Order, utcnow
from marketplace.orders import service as orders
from marketplace.orders.service import access
from tests.factories import address, cart_with, create_product, create_user
from tests.helpers import delivered_mail, link_in
from tests.helpers.checkout import fill_cart, place, review


def _fresh(session):
    session.rollback()
    session.expire_all()


def _guest_order(client, session, settings) -> Order:
    """An order placed through the checkout of ``client`` without an account, then paid."""
    fill_cart(client, create_product(session, title="Kuy silk scarf"))
    number = place(client, review(client).text).headers["location"].split("/")[2]
    _fresh(session)
    order = orders.get_by_number(session=session, number=number)
    orders.mark_paid(session=session, settings=settings, order=order)
    session.commit()
    return order


def _confirmation_link(session, settings, order) -> str:
    mail = [m for m in delivered_mail(session.get_bind(), settings)
            if m["To"] == order.email and order.number in m["Subject"]]
    assert len(mail) == 1
    assert "opens your order in any browser for 90 days" in mail[0].get_content()
    return link_in(mail[0], "/orders/")


def test_the_email_link_opens_the_guest_order_in_any_browser(app, client, session, settings):
    order = _guest_order(client, session, settings)
    link = _confirmation_link(session, settings, order)
    assert "?token=" in link

    with TestClient(app, follow_redirects=False) as phone:
        assert phone.get(f"/orders/{order.number}").status_code == 404  # the number alone
        page = phone.get(link)
        assert page.status_code == 200
        assert order.number in page.text and "Alex Traveller" in page.text
        assert "Kuy silk scarf" in page.text
        # the browser now remembers the order: its pages open without the token
        assert phone.get(f"/orders/{order.number}").status_code == 200
        assert phone.get(f"/orders/{order.number}/pay").headers["location"] == \
            f"/orders/{order.number}"  # paid: the pay page sends to the order


def test_tampered_expired_or_another_orders_token_is_404(app, client, session, settings):
    order = _guest_order(client, session, settings)
    link = _confirmation_link(session, settings, order)
    token = link.split("?token=", 1)[1]
    other = checkout.place_order(session=session, settings=settings, user=None,
                               address=address(), cart=cart_with(
                                   session, [(create_product(session), 1)]))[0]
    session.commit()

    placed_long_ago = order.model_copy(update={
        "created_at": utcnow() - timedelta(days=settings.order_link_days + 1)})
    expired = access.token_for(settings, placed_long_ago)  # genuine, but past its date
    tampered = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    unknown = client.get("/orders/MK-2000-999999")

    with TestClient(app, follow_redirects=False) as stranger:
        for url in (f"/orders/{order.number}?token={tampered}",
                    f"/orders/{order.number}?token={expired}",
                    f"/orders/{other.number}?token={token}",  # signed for another order
                    f"/orders/{order.number}?token=",
                    f"/orders/{order.number}"):
            refused = stranger.get(url)
            assert refused.status_code == 404, url
            assert "No such order." in refused.text and "No such order." in unknown.text
            assert "Alex Traveller" not in refused.text
        assert stranger.get(f"/orders/{order.number}/pay").status_code == 404


def test_the_link_opens_the_pay_page_of_an_unpaid_order(app, session, settings):
    order, _created = checkout.place_order(session=session, settings=settings, user=None,
                                         address=address(), cart=cart_with(
                                             session, [(create_product(session), 1)]))
    session.commit()
    with TestClient(app, follow_redirects=False) as phone:
        assert phone.get(f"/orders/{order.number}/pay").status_code == 404
        opened = phone.get(access.order_url(settings, order).removeprefix(settings.base_url))
        assert opened.status_code == 200 and "Waiting for payment." in opened.text
        pay = phone.get(f"/orders/{order.number}/pay")
        assert pay.status_code == 200 and order.number in pay.text


def test_account_orders_keep_asking_for_the_account(app, session, settings):
    buyer = create_user(session, email="buyer@example.com")
    order, _created = checkout.place_order(session=session, settings=settings, user=buyer,
                                         address=address(email="buyer@example.com"),
                                         cart=cart_with(session, [(create_product(session), 1)],
                                                        user=buyer))
    orders.mark_paid(session=session, settings=settings, order=order)
    session.commit()
    link = _account_link(session, settings, order)
    assert "token=" not in link
    with TestClient(app, follow_redirects=False) as stranger:
        assert stranger.get(link).status_code == 404


def _account_link(session, settings, order) -> str:
    mail = [m for m in delivered_mail(session.get_bind(), settings) if m["To"] == order.email]
    assert "opens your order in any browser" not in mail[0].get_content()
    return link_in(mail[0], "/orders/")

