"""The product page earns trust at a glance (issue 14, item 1), on a 390x844 phone screen in
headless Chromium: the Seal badge leads to the certificate, the price split adds up to the
price, the makers' names, story and group link are there, and the photo gallery changes photo
from its thumbnails without JavaScript. Then the buyer adds the piece to the cart and sees its
photo, name and price there, and, after the order is placed and paid, in the order history
and on the order page."""

import pytest
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait
from sqlmodel import select

from marketplace.catalog.service import photos
from marketplace.certification.service import certificates
from marketplace.models import Cart, Product, User
from marketplace.orders import service as orders
from tests.factories import create_group, create_user, issue_certificate, placed_order, png_bytes
from tests.helpers import fresh
from tests.helpers.browser import image_loaded, log_in, submit, wait

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844, "deviceScaleFactor": 3, "mobile": True}
MAKERS = ["Sreymom Kuy", "Lanh Sav"]
STORY = "Kuy weavers of Prame, who spin and dye their own cotton."
COLOURS = [(200, 40, 40), (40, 160, 60), (40, 60, 200)]


def cents(text: str) -> int:
    """"$22.50" -> 2250."""
    dollars, _dot, rest = text.strip().lstrip("$").replace(",", "").partition(".")
    return int(dollars) * 100 + int(rest or 0)


def certified_piece(session, storage, settings) -> tuple[Product, str]:
    """A piece with the Seal, three photos and two named makers, and its certificate number."""
    group = create_group(session, name="Prame Kuy Weavers", story=STORY)
    certificate = issue_certificate(session, storage, settings, group=group)
    fresh(session)
    product = session.get(Product, certificates.product_ids(session, certificate.id)[0])
    product.makers = MAKERS
    session.add(product)
    leader = session.get(User, group.leader_id)
    for n, colour in enumerate(COLOURS, start=1):
        photos.add_photo(session=session, storage=storage, actor=leader, product=product,
                         data=png_bytes(800, 600, color=colour), alt_text=f"Scarf, view {n}")
    session.commit()
    return product, certificate.number


def shown(browser, photo_id: str) -> bool:
    """Whether the gallery strip has scrolled to show the photo ``photo_id`` (no script of
    the page runs: the browser reads positions)."""
    strip = browser.find_element(By.CSS_SELECTOR, ".gallery-strip").rect
    photo = browser.find_element(By.ID, photo_id).rect
    return abs(photo["x"] - strip["x"]) < 2


def tap_thumbnail(browser, n: int) -> None:
    thumb = browser.find_element(By.CSS_SELECTOR, f".gallery-thumbs a[href='#photo-{n}']")
    thumb.click()
    WebDriverWait(browser, 10, ignored_exceptions=(WebDriverException,)).until(
        lambda b: b.current_url.endswith(f"#photo-{n}") and shown(b, f"photo-{n}"),
        f"photo {n} is not shown after tapping its thumbnail")


def check_the_product_page(browser, live_server: str, product: Product, number: str) -> None:
    browser.get(f"{live_server}/products/{product.id}")
    assert browser.execute_script("return [innerWidth, innerHeight]") == [390, 844]
    assert browser.find_element(By.ID, "product-h").text == product.title

    # the price split adds up
    price = cents(browser.find_element(By.CSS_SELECTOR, ".product-info .price strong").text)
    producer = cents(browser.find_element(By.ID, "split-producer").text)
    commission = cents(browser.find_element(By.ID, "split-commission").text)
    fee = cents(browser.find_element(By.ID, "split-card-fee").text)
    assert producer + commission == price == product.price_cents
    assert 0 < fee <= commission  # a $25 piece: the card fee comes out of the commission
    assert not browser.find_elements(By.ID, "split-small-order")

    # the makers, their story and their group
    assert browser.find_element(By.CSS_SELECTOR, ".product-info .makers").text == \
        ", ".join(MAKERS)
    story = browser.find_element(By.CSS_SELECTOR, ".maker-story")
    assert STORY in story.text
    group_link = story.find_element(By.CSS_SELECTOR, "a.group-link")
    assert "Prame Kuy Weavers" in group_link.text

    # the gallery: the first photo shows; each thumbnail brings its photo into view
    assert len(browser.find_elements(By.CSS_SELECTOR, ".gallery-strip li")) == 3
    assert shown(browser, "photo-1")
    assert image_loaded(browser, browser.find_element(By.CSS_SELECTOR, "#photo-1 img"))
    tap_thumbnail(browser, 2)
    assert not shown(browser, "photo-1")
    assert image_loaded(browser, browser.find_element(By.CSS_SELECTOR, "#photo-2 img"))
    tap_thumbnail(browser, 1)

    # the Seal badge leads to the certificate
    badge = browser.find_element(By.CSS_SELECTOR, ".product-info .badge.seal a")
    assert "Seal of Excellence" in badge.text
    submit(browser, badge)
    assert browser.current_url == f"{live_server}/seal/{number}"
    assert number in browser.find_element(By.TAG_NAME, "main").text

    browser.back()
    submit(browser, browser.find_element(By.CSS_SELECTOR, ".maker-story a.group-link"))
    assert browser.find_element(By.TAG_NAME, "h1").text.startswith("Prame Kuy Weavers")
    assert "/groups/" in browser.current_url


def check_the_gallery_without_javascript(browser, live_server: str, product: Product) -> None:
    browser.execute_cdp_cmd("Emulation.setScriptExecutionDisabled", {"value": True})
    try:
        browser.get(f"{live_server}/products/{product.id}")
        assert shown(browser, "photo-1")
        tap_thumbnail(browser, 3)
        assert not shown(browser, "photo-1")
        tap_thumbnail(browser, 2)
    finally:
        browser.execute_cdp_cmd("Emulation.setScriptExecutionDisabled", {"value": False})


def add_to_cart(browser, live_server: str, product: Product) -> None:
    browser.get(f"{live_server}/products/{product.id}")
    form = browser.find_element(By.CSS_SELECTOR, "main form.add-to-cart")
    submit(browser, form.find_element(By.CSS_SELECTOR, "button[type='submit']"))
    if "/cart/add" in browser.current_url:  # the first add from a page of the shared cache
        submit(browser, browser.find_element(By.CSS_SELECTOR,
                                             "main form button[type='submit']"))
    assert browser.current_url == f"{live_server}/cart"


def check_line(row, product: Product, price: str, browser) -> None:
    """A line shows the piece's photo (loaded), its name and its price."""
    thumb = row.find_element(By.CSS_SELECTOR, "img.line-thumb")
    assert thumb.get_attribute("alt") == "Scarf, view 1"  # the cover photo
    assert image_loaded(browser, thumb)
    assert thumb.size["width"] <= 70  # a thumbnail, not the large photo
    assert product.title in row.text and price in row.text


def test_a_buyer_trusts_the_product_page_then_sees_the_piece_in_cart_and_history(
        browser, live_server, session, storage, settings):
    browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", PHONE)
    buyer = create_user(session, email="tourist@example.com", full_name="Alex Traveller")
    product, number = certified_piece(session, storage, settings)

    # A visitor, not logged in: the page comes from the shared cache the second time.
    check_the_product_page(browser, live_server, product, number)
    check_the_gallery_without_javascript(browser, live_server, product)

    log_in(browser, live_server, buyer.email)
    add_to_cart(browser, live_server, product)
    row = browser.find_element(By.CSS_SELECTOR, "ul.cart-rows li.with-thumb")
    check_line(row, product, "$25.00", browser)

    # The order is placed from this cart and paid, as the checkout and the webhook do.
    fresh(session)
    cart = session.exec(select(Cart).where(Cart.user_id == buyer.id)).one()
    order = placed_order(session, settings, cart, user=buyer)
    orders.mark_paid(session=session, settings=settings, order=order)
    session.commit()

    browser.get(f"{live_server}/account/orders")
    entry = browser.find_element(By.ID, f"order-{order.number}")
    assert "Paid" in entry.text
    check_line(entry.find_element(By.CSS_SELECTOR, "li.with-thumb"), product, "$25.00",
               browser)
    submit(browser, entry.find_element(By.LINK_TEXT, f"Order {order.number}"))
    wait(browser).until(lambda b: b.current_url.endswith(f"/orders/{order.number}"))
    check_line(browser.find_element(By.CSS_SELECTOR, "main li.with-thumb"), product,
               "$25.00", browser)
