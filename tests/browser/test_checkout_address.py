"""A tourist on a phone (390x844) finishes the checkout (issue 14, item 4): "Add to cart"
works in one click on a product page served from the shared cache to a new visitor, the
header counts the pieces, the Cambodian address is chosen on one page (the selects filled by
script, no reload), the village left empty with a landmark, and the order placed. Without
JavaScript the address still works level by level, losing nothing, and the card page offers
no Pay button, only the explanation."""

import httpx
import pytest
from sqlmodel import select

from marketplace.models import Order
from tests.browser.test_checkout import (
    TOURIST,
    add_to_cart,
    button_named,
    check_out_to_phnom_penh,
    main_text,
    submit,
)
from tests.factories import create_product
from tests.helpers import fresh

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("stripe_webhooks")]

LANDMARK = "Behind Wat Tonle Basak, blue gate"


def phone(browser) -> None:
    browser.set_window_size(390, 844)


def cart_count(browser) -> str:
    from selenium.webdriver.common.by import By

    counts = browser.find_elements(By.CSS_SELECTOR, "header a.cart-link .cart-count")
    return counts[0].text if counts else ""


def test_a_tourist_adds_in_one_click_and_checks_out_without_knowing_the_village(
        browser, live_server, session):
    from selenium.webdriver.common.by import By

    scarf = create_product(session, title="Indigo cotton scarf", price_cents=2575,
                           stock_on_hand=3)
    basket = create_product(session, title="Rattan back-basket", craft="basketry",
                            price_cents=3200, stock_on_hand=2)
    base = live_server
    for piece in (scarf, basket):  # someone else came first: the pages are in the cache
        assert httpx.get(f"{base}/products/{piece.id}", follow_redirects=True) \
            .status_code == 200
    phone(browser)

    browser.get(base + "/catalog")
    assert cart_count(browser) == "" and not browser.get_cookies()  # a new visitor
    add_to_cart(browser, base, scarf)  # one click
    assert cart_count(browser).startswith("1")
    add_to_cart(browser, base, basket)
    browser.get(f"{base}/products/{scarf.id}")  # a cached page, with this visitor's count
    assert cart_count(browser).startswith("2")
    header = browser.find_element(By.CSS_SELECTOR, "header a.cart-link")
    assert header.text.startswith("Cart") and header.is_displayed()

    browser.get(base + "/cart")
    check_out_to_phnom_penh(browser, village=False, landmark=LANDMARK)
    summary = main_text(browser)
    assert "Tonle Basak, Chamkar Mon, Phnom Penh" in summary
    assert f"Landmark: {LANDMARK}" in summary
    submit(browser, button_named(browser, "Place order"))
    assert browser.current_url.endswith("/pay"), main_text(browser)
    number = browser.current_url.rsplit("/", 2)[-2]
    assert " ICT" in main_text(browser)  # "We hold these pieces for you until ... ICT"
    assert browser.find_element(By.ID, "pay-form").is_displayed()

    fresh(session)
    order = session.exec(select(Order).where(Order.number == number)).one()
    assert (order.commune_code, order.village_code, order.landmark) == \
        ("120101", None, LANDMARK)
    browser.get(f"{base}/orders/{number}")
    assert f"Landmark: {LANDMARK}" in main_text(browser)
    assert not [e for e in browser.get_log("browser") if e["level"] == "SEVERE"]


def test_without_javascript_the_address_goes_level_by_level_and_no_pay_button_shows(
        browser_without_javascript, live_server, session):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    browser = browser_without_javascript
    phone(browser)
    piece = create_product(session, title="Clay cooking pot", craft="pottery",
                           price_cents=1890, stock_on_hand=2)
    base = live_server
    add_to_cart(browser, base, piece)  # one click without JavaScript too
    submit(browser, browser.find_element(By.LINK_TEXT, "Go to checkout"))
    for name, value in TOURIST.items():
        if name != "address_line":
            browser.find_element(By.ID, f"f-{name}").send_keys(value)
    browser.find_element(By.ID, "f-landmark").send_keys(LANDMARK)
    assert not browser.find_element(By.ID, "f-district_code").is_displayed()
    for level, place, deeper in (("province_code", "Phnom Penh", "district"),
                                 ("district_code", "Chamkar Mon", "commune"),
                                 ("commune_code", "Tonle Basak", "village")):
        Select(browser.find_element(By.ID, f"f-{level}")).select_by_visible_text(place)
        submit(browser, button_named(browser, f"Next: choose {deeper}"))
        # What was typed and chosen so far is kept across the steps.
        assert browser.find_element(By.ID, "f-email").get_attribute("value") == \
            TOURIST["email"]
        assert browser.find_element(By.ID, "f-landmark").get_attribute("value") == LANDMARK
        assert Select(browser.find_element(By.ID, f"f-{level}")) \
            .first_selected_option.text == place
        assert browser.find_element(By.ID, f"f-{deeper}_code").is_displayed()
    browser.find_element(By.CSS_SELECTOR, "input[name=shipping_option][value=courier]").click()
    submit(browser, button_named(browser, "Review your order"))
    assert f"Landmark: {LANDMARK}" in main_text(browser)
    submit(browser, button_named(browser, "Place order"))

    assert browser.current_url.endswith("/pay"), main_text(browser)
    page = main_text(browser)
    assert "Card payment needs JavaScript" in page
    assert "Pay $" not in page  # no Pay button to press, only the explanation
    assert not [b for b in browser.find_elements(By.TAG_NAME, "button")
                if b.is_displayed() and b.is_enabled() and b.text.startswith("Pay")]
