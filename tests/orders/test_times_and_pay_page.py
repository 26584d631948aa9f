"""Times shown to people are Phnom Penh times with their zone, ICT, in English and Khmer;
without JavaScript the card page offers no Pay button, only the explanation (issue 14,
item 4)."""

import re

from sqlmodel import select

from marketplace import i18n
from marketplace.models import Order
from tests.factories import create_product
from tests.helpers import fresh
from tests.helpers.checkout import fill_cart, place, review


def _placed(client, session) -> Order:
    fill_cart(client, create_product(session))
    assert place(client, review(client).text).status_code == 303
    fresh(session)
    return session.exec(select(Order)).one()


def _in(locale: str, value) -> str:
    token = i18n.current_locale.set(locale)
    try:
        return i18n.format_datetime(value)
    finally:
        i18n.current_locale.reset(token)


def test_the_order_and_card_pages_show_phnom_penh_times_with_ict(client, session):
    order = _placed(client, session)
    for locale in ("en", "km"):
        headers = {"Accept-Language": locale}
        page = client.get(f"/orders/{order.number}", headers=headers).text
        placed, until = _in(locale, order.created_at), _in(locale, order.reserved_until)
        assert placed.endswith(" ICT") and until.endswith(" ICT")
        assert placed in page and until in page
        assert until in client.get(f"/orders/{order.number}/pay", headers=headers).text


def test_without_javascript_the_card_page_has_no_active_pay_button(client, session):
    order = _placed(client, session)
    page = client.get(f"/orders/{order.number}/pay").text
    form = re.search(r'<form [^>]*id="pay-form"[^>]*>', page).group(0)
    assert " hidden" in form  # shown by static/js/pay.js only
    button = re.search(r'<button [^>]*id="pay-button"[^>]*>', page).group(0)
    assert "disabled" in button  # enabled once Stripe.js has mounted the card field
    assert "<noscript><p class=\"panel\">Card payment needs JavaScript" in page
