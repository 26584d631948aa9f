"""A tourist buys in headless Chromium, from the product pages to the card: the cart, the
checkout with a Cambodian address chosen level by level, the summary with the split of every
line, the card typed into localstripe's fake Stripe.js, the webhook that marks the order paid;
then the producer groups send their parcels and an admin refunds a line, and the ledger
must still balance. A declined card keeps the order and the pieces held for the buyer."""

import pytest
from sqlmodel import select

from marketplace.i18n import usd_to_khr
from marketplace.models import Fulfilment, Order, OrderLine, Product, StockReservation
from marketplace.orders import service as orders
from marketplace.payments import ledger, pricing
from tests.factories import DEFAULT_PASSWORD, create_group, create_product, create_user
from tests.helpers import fresh
from tests.helpers.browser import pay_by_card
from tests.helpers.payments import DECLINED_ON_CHARGE, VISA

# localstripe delivers its signed webhooks to the live server for each test (the fixtures are
# in tests/fixtures/stripe.py), and ``stripe_api`` acts as Stripe's dashboard.
pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("stripe_webhooks")]

WAIT = 10.0  # seconds for one page or one script to answer
PAID_WAIT = 15.0  # seconds for localstripe's webhook to mark the order paid
TOURIST = {"email": "tourist@example.com", "full_name": "Alex Traveller",
           "phone": "012 345 678", "address_line": "House 12, Street 240"}
PHNOM_PENH = ("Phnom Penh", "Chamkar Mon", "Tonle Basak", "Phum Muoy")


# --- what a person reads --------------------------------------------------------------------

def usd(cents: int) -> str:
    return f"${cents / 100:,.2f}"


def khr(cents: int, settings) -> str:
    return f"{usd_to_khr(cents, settings.khr_per_usd):,} ៛"


def plain(text: str) -> str:
    """Visible text with no-break spaces (between riel and ៛) as plain spaces."""
    return text.replace("\u00a0", " ")


def main_text(browser) -> str:
    from selenium.webdriver.common.by import By

    return plain(browser.find_element(By.TAG_NAME, "main").text)


# --- driving the browser, with explicit waits only ------------------------------------------

def submit(browser, button) -> None:
    """Click a button that submits a form and wait until the next page has loaded (a new
    document: the marker set on this one is gone)."""
    from selenium.common.exceptions import WebDriverException
    from selenium.webdriver.support.ui import WebDriverWait

    browser.execute_script("window.leavingThisPage = true;")
    button.click()
    # While the page changes, Chromium may answer a script with a transient error.
    WebDriverWait(browser, WAIT, ignored_exceptions=(WebDriverException,)).until(
        lambda b: b.execute_script(
            "return !window.leavingThisPage && document.readyState === 'complete';"),
        "the next page did not load")


def button_named(browser, text: str, scope=None):
    from selenium.webdriver.common.by import By

    return (scope or browser).find_element(By.XPATH, f".//button[normalize-space()='{text}']")


def log_in(browser, base: str, email: str) -> None:
    """A fresh browser session (no cookies), logged in through the form."""
    from selenium.webdriver.common.by import By

    browser.delete_all_cookies()
    browser.get(base + "/auth/login")
    browser.find_element(By.ID, "f-email").send_keys(email)
    browser.find_element(By.ID, "f-password").send_keys(DEFAULT_PASSWORD)
    submit(browser, browser.find_element(By.CSS_SELECTOR, "main form button[type=submit]"))
    assert "/auth/login" not in browser.current_url, main_text(browser)


def add_to_cart(browser, base: str, product: Product) -> None:
    """The product page's form, in one click (also for a new visitor served the page from
    the shared cache: its form carries the public token of the add form)."""
    from selenium.webdriver.common.by import By

    browser.get(f"{base}/products/{product.id}")
    assert product.title in browser.find_element(By.TAG_NAME, "h1").text
    forms = browser.find_elements(By.CSS_SELECTOR, "main form.add-to-cart")
    assert len(forms) == 1, f"the product page shows {len(forms)} add-to-cart forms"
    submit(browser, button_named(browser, "Add to cart", forms[0]))
    assert browser.current_url.endswith("/cart"), browser.current_url
    assert f"“{product.title}” is in your cart." in plain(browser.page_source)


def choose_place(browser, level: str, place: str) -> None:
    """Choose ``place`` in the address select ``level`` once the page's script has filled
    it from /api/v1/geo (no reload)."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select, WebDriverWait

    element = browser.find_element(By.ID, f"f-{level}")
    WebDriverWait(browser, WAIT).until(
        lambda b: element.is_displayed() and place in [o.text for o in Select(element).options],
        f"{place} never appeared in {level}")
    Select(element).select_by_visible_text(place)


def check_out_to_phnom_penh(browser, *, village: bool = True, landmark: str = "") -> None:
    """From the cart to the summary: contact, then province, district, commune (and the
    village) each filled by the page's script when the level above is chosen, on one page
    (a marker set on it survives), then the courier."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    submit(browser, browser.find_element(By.LINK_TEXT, "Go to checkout"))
    assert browser.find_element(By.TAG_NAME, "h1").text == "Checkout"
    browser.execute_script("window.samePage = 'checkout';")
    for name, value in TOURIST.items():
        if name != "address_line":
            browser.find_element(By.ID, f"f-{name}").send_keys(value)
    levels = ("province_code", "district_code", "commune_code", "village_code")
    assert not browser.find_element(By.ID, "f-district_code").is_displayed()
    assert not [b for b in browser.find_elements(By.CSS_SELECTOR, "#address button")
                if b.is_displayed()], "the Next buttons are for browsers without JavaScript"
    for level, place in zip(levels, PHNOM_PENH, strict=True):
        if level == "village_code" and not village:
            break
        choose_place(browser, level, place)
    assert browser.execute_script("return window.samePage") == "checkout", "the page reloaded"
    if landmark:
        browser.find_element(By.ID, "f-landmark").send_keys(landmark)
    browser.find_element(By.ID, "f-address_line").send_keys(TOURIST["address_line"])
    courier = browser.find_element(By.CSS_SELECTOR, "input[name=shipping_option][value=courier]")
    assert "Domestic courier" in courier.find_element(By.XPATH, "..").text
    # the price for Phnom Penh came with the province, without a reload
    WebDriverWait(browser, 10).until(
        lambda b: "$" in courier.find_element(By.XPATH, "..").text)
    courier.click()
    assert browser.execute_script("return window.samePage") == "checkout", "the page reloaded"
    submit(browser, button_named(browser, "Review your order"))
    assert browser.find_element(By.TAG_NAME, "h1").text == "Check your order", \
        main_text(browser)


def summary_lines(browser) -> dict[str, dict[str, str]]:
    """For each piece on the summary: its visible text and its split (term -> amount)."""
    from selenium.webdriver.common.by import By

    shown = {}
    for item in browser.find_elements(By.CSS_SELECTOR,
                                      "section[aria-labelledby=lines-h] ul.cart-rows > li"):
        title = item.find_element(By.TAG_NAME, "h3").text
        terms = [plain(t.text) for t in item.find_elements(By.CSS_SELECTOR, "dl.split dt")]
        amounts = [plain(d.text) for d in item.find_elements(By.CSS_SELECTOR, "dl.split dd")]
        shown[title] = {"text": plain(item.text), **dict(zip(terms, amounts, strict=True))}
    return shown


def facts(browser, css: str) -> dict[str, str]:
    """A definition list's visible terms and descriptions."""
    from selenium.webdriver.common.by import By

    box = browser.find_element(By.CSS_SELECTOR, css)
    return dict(zip((plain(t.text) for t in box.find_elements(By.TAG_NAME, "dt")),
                    (plain(d.text) for d in box.find_elements(By.TAG_NAME, "dd")), strict=True))


def order_of(session, number: str) -> Order:
    fresh(session)
    return session.exec(select(Order).where(Order.number == number)).one()


# --- the whole purchase ---------------------------------------------------------------------

def test_tourist_buys_from_two_groups_and_the_money_adds_up(browser, live_server, session,
                                                            settings, stripe_api):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    weavers_leader = create_user(session, full_name="Sophea Leader", role=["producer"])
    potters_leader = create_user(session, full_name="Vanna Leader", role=["producer"])
    weavers = create_group(session, leader=weavers_leader, name="Kreung Weavers")
    potters = create_group(session, leader=potters_leader, name="Kampong Chhnang Potters",
                           crafts=("pottery",))
    scarf = create_product(session, group=weavers, title="Indigo cotton scarf",
                           price_cents=2575, stock_on_hand=3, weight_grams=400)
    pot = create_product(session, group=potters, title="Clay cooking pot", craft="pottery",
                         price_cents=1890, stock_on_hand=2, weight_grams=1800)
    admin = create_user(session, full_name="Dara Admin", role=["admin"])
    base = live_server

    # The tourist adds one piece of each group from the product pages, then opens the cart.
    add_to_cart(browser, base, scarf)
    add_to_cart(browser, base, pot)
    browser.get(base + "/cart")
    cart = main_text(browser)
    for piece, group in ((scarf, weavers), (pot, potters)):
        assert piece.title in cart and f"Made by {group.name}" in cart
    assert f"Subtotal: {usd(2575 + 1890)} {khr(2575 + 1890, settings)}" in cart

    check_out_to_phnom_penh(browser)
    summary = main_text(browser)
    shown = summary_lines(browser)
    totals = facts(browser, "dl.totals")
    assert set(shown) == {scarf.title, pot.title}
    assert "Phum Muoy, Tonle Basak, Chamkar Mon, Phnom Penh" in summary
    assert "+85512345678" in summary and TOURIST["email"] in summary
    submit(browser, button_named(browser, "Place order"))

    assert browser.current_url.endswith("/pay"), main_text(browser)
    number = browser.current_url.rsplit("/", 2)[-2]
    order = order_of(session, number)
    assert order.status == "pending_payment" and order.user_id is None
    assert (order.province_code, order.village_code, order.shipping_option) == \
        ("12", "12010101", "courier")
    lines = {line.title: line for line in orders.lines_of(session=session, order_id=order.id)}
    parcels = {f.group_id: f for f in orders.fulfilments_of(session=session, order_id=order.id)}
    assert set(parcels) == {weavers.id, potters.id}

    # The summary showed, per line, exactly the split the order recorded, in USD and KHR.
    fee_total = pricing.card_fee(order.total_cents, settings.card_fee_basis_points,
                                 settings.card_fee_fixed_cents)
    assert sum(line.card_fee_cents for line in lines.values()) == fee_total == \
        order.card_fee_cents
    for title, line in lines.items():
        split = shown[title]
        assert line.commission_cents == pricing.share(line.line_total_cents,
                                                      settings.commission_basis_points)
        assert line.producer_cents + line.commission_cents == line.line_total_cents
        assert f"{usd(line.line_total_cents)} {khr(line.line_total_cents, settings)}" \
            in split["text"]
        assert f"Made by {line.group_name}" in split["text"]
        for term, cents in (("The producer group receives", line.producer_cents),
                            ("Marketplace commission", line.commission_cents),
                            ("Card fee", line.card_fee_cents)):
            assert split[term].startswith(f"{usd(cents)} {khr(cents, settings)}"), \
                (title, term, split[term])
    for group in (weavers, potters):
        cents = parcels[group.id].shipping_cents
        assert f"Parcel from {group.name}: {usd(cents)} {khr(cents, settings)}" in summary
    assert totals["Total"] == f"{usd(order.total_cents)} {khr(order.total_cents, settings)}"
    assert totals["Shipping"] == f"{usd(order.shipping_cents)} " \
        f"{khr(order.shipping_cents, settings)}"

    # The card page: Stripe.js (localstripe's) takes the card; the order page confirms.
    assert f"Pay {usd(order.total_cents)}" in main_text(browser)
    pay_by_card(browser, VISA)
    assert f"/orders/{number}?redirect_status=succeeded" in browser.current_url, \
        main_text(browser)
    assert "Payment received, being confirmed." in main_text(browser)

    def says_paid(b) -> bool:
        b.get(f"{base}/orders/{number}")
        return "Paid on" in main_text(b)

    WebDriverWait(browser, PAID_WAIT, poll_frequency=0.5).until(
        says_paid, "localstripe's webhook did not mark the order paid")
    assert order_of(session, number).status == "paid"
    browser.get(base + "/cart")
    assert "Your cart is empty." in main_text(browser)  # the paid pieces left the cart
    tourist_cookies = browser.get_cookies()

    # Each group's leader sees their own parcel, and only that, on the dashboard.
    for leader, mine, theirs in ((weavers_leader, scarf, pot), (potters_leader, pot, scarf)):
        log_in(browser, base, leader.email)
        browser.get(base + "/dashboard/orders")
        dashboard = main_text(browser)
        assert f"Order {number}" in dashboard and mine.title in dashboard
        assert theirs.title not in dashboard
        assert f"Your group receives {usd(lines[mine.title].producer_cents)}" in dashboard
        assert "Phum Muoy, Tonle Basak, Chamkar Mon, Phnom Penh" in dashboard

    # The potters pack their parcel and ship it with the carrier and tracking number.
    parcel = parcels[potters.id]
    row = browser.find_element(By.ID, f"f-{parcel.id}")
    submit(browser, button_named(browser, "Packed", row))
    assert f"Order {number} is packed." in plain(browser.page_source)
    browser.find_element(By.ID, f"f-carrier-{parcel.id}").send_keys("Virak Buntham")
    browser.find_element(By.ID, f"f-tracking_number-{parcel.id}").send_keys("VB-2026-00417")
    submit(browser, button_named(browser, "Mark as shipped",
                                 browser.find_element(By.ID, f"f-{parcel.id}")))
    shipped = main_text(browser)
    assert f"Order {number} is shipped" in plain(browser.page_source)
    assert "Carrier: Virak Buntham · Tracking number: VB-2026-00417" in shipped
    fresh(session)
    stored = session.get(Fulfilment, parcel.id)
    assert (stored.status, stored.carrier, stored.tracking_number) == \
        ("shipped", "Virak Buntham", "VB-2026-00417")

    # An admin refunds part of the scarf's line through the card processor.
    scarf_line = lines[scarf.title]
    log_in(browser, base, admin.email)
    browser.get(f"{base}/admin/orders/{number}")
    assert f"Order {number}" in main_text(browser)
    amount = browser.find_element(By.ID, f"f-amount-{scarf_line.id}")
    assert amount.get_attribute("value") == f"{scarf_line.line_total_cents / 100:.2f}"
    amount.clear()
    amount.send_keys("7.77")
    browser.find_element(By.ID, f"f-reason-{scarf_line.id}").send_keys("A loose thread")
    form = amount.find_element(By.XPATH, "./ancestor::form")
    submit(browser, button_named(browser, "Refund this line", form))
    assert "Refunded $7.77 to the buyer's card." in plain(browser.page_source)
    admin_page = main_text(browser)
    assert "Paid, partly refunded" in admin_page and "$7.77 refunded" in admin_page
    assert "A loose thread" in admin_page
    paid = order_of(session, number)
    at_processor = stripe_api.v1.refunds.list({"payment_intent": paid.payment_intent_id})
    assert [r.amount for r in at_processor.data] == [777]

    # The tourist's browser (its session cookie back) sees the refund and the tracking.
    browser.delete_all_cookies()
    for cookie in tourist_cookies:
        browser.add_cookie(cookie)
    browser.get(f"{base}/orders/{number}")
    tourist_view = main_text(browser)
    assert "Paid; $7.77 refunded to your card." in tourist_view
    assert "Tracking number: VB-2026-00417" in tourist_view

    # The books: every transaction balances, and each group is owed its lines less what was
    # refunded, less the commission it keeps paying, plus its parcel's shipping.
    fresh(session)
    assert (paid.status, paid.refunded_cents) == ("partly_refunded", 777)
    assert ledger.unbalanced_transactions(session=session) == []
    final = session.exec(select(OrderLine).where(OrderLine.order_id == paid.id)).all()
    assert {line.title: line.refunded_cents for line in final} == {scarf.title: 777,
                                                                  pot.title: 0}
    for group in (weavers, potters):
        expected = parcels[group.id].shipping_cents
        for line in (x for x in final if x.group_id == group.id):
            given_back = pricing.refund_split(line.refunded_cents, line.line_total_cents,
                                              line.commission_cents)[1]
            expected += (line.line_total_cents - line.refunded_cents) - \
                (line.commission_cents - given_back)
        assert ledger.group_payable(session=session, group_id=group.id) == expected, group.name
    assert ledger.balance(session=session, account="buyer") == -paid.total_cents + 777
    assert not [e for e in browser.get_log("browser") if e["level"] == "SEVERE"]


# --- a declined card ------------------------------------------------------------------------

def test_declined_card_keeps_the_order_and_the_pieces_held(browser, live_server, session,
                                                           settings):
    from selenium.webdriver.common.by import By

    basket = create_product(session, title="Rattan back-basket", craft="basketry",
                            price_cents=3200, stock_on_hand=1, weight_grams=900)
    base = live_server
    add_to_cart(browser, base, basket)
    check_out_to_phnom_penh(browser)
    submit(browser, button_named(browser, "Place order"))
    number = browser.current_url.rsplit("/", 2)[-2]

    pay_by_card(browser, DECLINED_ON_CHARGE)
    # Back on the card page, with the friendly message and the form ready for another card.
    assert browser.current_url.endswith(f"/orders/{number}/pay")
    page = main_text(browser)
    assert "Your card was declined. Try another card." in page
    assert "Traceback" not in page and "card_declined" not in page
    assert browser.find_element(By.ID, "pay-button").is_enabled()
    assert browser.find_element(By.CSS_SELECTOR, "#card-element input[placeholder=number]")

    order = order_of(session, number)
    assert order.status == "pending_payment" and order.payment_intent_id is not None
    assert session.get(Product, basket.id).stock_allocated == 1  # still held for the tourist
    held = session.exec(select(StockReservation).where(
        StockReservation.order_id == order.id)).all()
    assert [r.status for r in held] == ["held"]

    # The order page still offers the payment, and the cart still has the piece.
    browser.get(f"{base}/orders/{number}")
    waiting = main_text(browser)
    assert "Waiting for payment." in waiting and f"Pay {usd(order.total_cents)} by card" in waiting
    browser.get(base + "/cart")
    assert basket.title in main_text(browser)
