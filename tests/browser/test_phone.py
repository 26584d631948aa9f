"""Phones first (issue 14, item 5), in headless Chromium at a 390x844 phone viewport: the
catalog's filters are folded into a closed <details> so the pieces start on the first screen,
two cards across; the staff tables (/admin/users, /admin/orders, the officer queue) and the
other staff, producer and business tables (payouts, groups, businesses, invoices, Earnings,
purchase orders, the wholesale cart) fit the width with every button on screen; an officer records the six items and the decision with one
submit; removing a role asks first and removes exactly that row's role."""

import pytest
from selenium.webdriver.common.by import By
from sqlmodel import select

from marketplace.business import service as business_service
from marketplace.models import (
    Certificate,
    CertificationApplication,
    Invoice,
    OrderLine,
    UserRole,
    utcnow,
)
from marketplace.payouts import runs
from marketplace.wholesale import purchasing, responses
from tests.factories import (
    cart_with,
    create_application,
    create_business,
    create_group,
    create_product,
    create_user,
    placed_order,
)
from tests.helpers import fresh
from tests.helpers.browser import (
    button,
    fill,
    flash_text,
    log_in,
    log_out,
    response_status,
    submit,
)
from tests.payouts.test_runs import sale

pytestmark = pytest.mark.browser

WIDTH, HEIGHT = 390, 844


def phone(browser, live_server: str) -> None:
    """A 390x844 phone screen: a mobile device's metrics, so the pages' viewport meta tag
    applies and ``innerWidth`` is exactly 390 on them."""
    browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
        "width": WIDTH, "height": HEIGHT, "deviceScaleFactor": 2, "mobile": True})
    browser.get(f"{live_server}/about")
    assert browser.execute_script("return [innerWidth, innerHeight]") == [WIDTH, HEIGHT]


def rect(browser, element) -> dict:
    return browser.execute_script(
        "const r = arguments[0].getBoundingClientRect();"
        "return {top: r.top, left: r.left, right: r.right, width: r.width};", element)


def assert_fits(browser) -> None:
    """No sideways scrolling, and every shown button sits inside the screen's width."""
    scroll_width = browser.execute_script("return document.documentElement.scrollWidth")
    wide = browser.execute_script("""
        return [...document.querySelectorAll('body *')]
          .filter(e => e.getBoundingClientRect().right > arguments[0])
          .slice(-3).map(e => `${e.tagName}.${e.className}: ${e.getBoundingClientRect().right}`);
    """, WIDTH)
    assert scroll_width <= WIDTH, f"{browser.current_url} is {scroll_width}px wide: {wide}"
    outside = browser.execute_script("""
        return [...document.querySelectorAll('button, summary, input[type=submit]')]
          .filter(b => b.getClientRects().length)   // rendered (not in a closed <details>)
          .map(b => [b.textContent.trim(), b.getBoundingClientRect()])
          .filter(([, r]) => r.left < 0 || r.right > arguments[0])
          .map(([text, r]) => `${text}: ${Math.round(r.left)}..${Math.round(r.right)}`);
    """, WIDTH)
    assert not outside, f"{browser.current_url}: buttons off the screen: {outside}"
    clipped = browser.execute_script("""
        return [...document.querySelectorAll('main table, main td')]
          .filter(e => e.scrollWidth > e.clientWidth + 1)
          .map(e => `${e.tagName} ${e.scrollWidth} > ${e.clientWidth}: ` + [...e.querySelectorAll('*')]
            .filter(c => c.getBoundingClientRect().right > e.getBoundingClientRect().right)
            .map(c => `${c.tagName}.${c.className} ${c.getBoundingClientRect().right}`).join('; '));""")
    assert not clipped, f"{browser.current_url}: a table scrolls sideways: {clipped}"


def test_the_catalog_starts_with_pieces_two_across(browser, live_server, session):
    group = create_group(session, name="Kuoy Weavers")
    for n in range(6):
        create_product(session, group=group, title=f"Kuy silk scarf {n}", price_cents=2500 + n)
    phone(browser, live_server)
    browser.get(f"{live_server}/catalog")

    fold = browser.find_element(By.CSS_SELECTOR, "form.filters details.filters-fold")
    assert fold.get_attribute("open") is None, "the filters are not folded on a phone"
    assert not browser.find_element(By.ID, "f-craft").is_displayed()
    assert browser.find_element(By.ID, "f-q").is_displayed()  # search stays at hand

    cards = browser.find_elements(By.CSS_SELECTOR, "li.product-card")
    assert len(cards) == 6
    first, second, third = (rect(browser, card) for card in cards[:3])
    assert first["top"] < HEIGHT, f"the first piece starts at {first['top']}px"
    assert first["top"] == second["top"] and first["left"] != second["left"], \
        "the first two cards are not side by side"
    assert third["top"] > first["top"]  # two across, not three
    assert_fits(browser)

    fold.find_element(By.TAG_NAME, "summary").click()  # unfolds without JavaScript of ours
    assert browser.find_element(By.ID, "f-craft").is_displayed()
    assert_fits(browser)


def test_staff_tables_fit_a_phone_and_removing_a_role_asks_first(
        browser, live_server, session, settings, storage):
    admin = create_user(session, email="admin@example.com", full_name="Programme Admin",
                        role=["admin", "officer"])
    chea = create_user(session, email="chea.officer.phnom.penh@example.com",
                       full_name="Chea Sokunthea Meas", role=["officer", "producer"])
    dara = create_user(session, email="dara.officer@example.com", role=["officer"])
    for n in range(3):
        product = create_product(session, title=f"Rattan back-basket {n}")
        placed_order(session, settings, cart_with(session, [(product, 1)]))
    for name in ("Kreung Basket Makers of O'Yadav", "Bunong Weavers"):
        create_application(session, storage, group=create_group(session, name=name))
    phone(browser, live_server)
    log_in(browser, live_server, admin.email)

    for lang in ("km", "en"):  # Khmer words are longer: they must fit as well
        browser.get(f"{live_server}/language?lang={lang}&next=/admin/users")
        assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == lang
        for path in ("/admin/users", "/admin/orders", "/officer/queue"):
            browser.get(f"{live_server}{path}")
            assert browser.find_elements(By.CSS_SELECTOR, "main table tbody tr"), path
            assert_fits(browser)

    # Chea's row: each role has its own Remove, which only opens a confirmation.
    browser.get(f"{live_server}/admin/users")
    row = browser.find_element(By.ID, f"user-{chea.id}")
    officer_role = row.find_element(
        By.XPATH, ".//li[contains(., 'Certification officer')]")
    officer_role.find_element(By.TAG_NAME, "summary").click()
    confirm = officer_role.find_element(By.CSS_SELECTOR, "details[open]")
    assert "Remove the role “Certification officer” from Chea Sokunthea Meas" in confirm.text
    assert_fits(browser)  # the opened confirmation's button too
    submit(browser, button(browser, "Yes, remove the role", confirm))
    assert "“Certification officer” is removed from chea.officer.phnom.penh@example.com" \
        in flash_text(browser)

    fresh(session)
    roles = {(r.user_id, r.role) for r in session.exec(select(UserRole))}
    assert (chea.id, "officer") not in roles and (chea.id, "producer") in roles
    assert (dara.id, "officer") in roles and (admin.id, "officer") in roles
    assert_fits(browser)


def test_an_officer_records_six_items_and_the_decision_in_one_submit(
        browser, live_server, session, storage):
    application = create_application(
        session, storage, group=create_group(session, name="Kreung Basket Makers"))
    officer = create_user(session, email="officer@example.com", role=["officer"])
    phone(browser, live_server)
    log_in(browser, live_server, officer.email)
    browser.get(f"{live_server}/officer/queue")
    assert_fits(browser)
    submit(browser, browser.find_element(
        By.CSS_SELECTOR, f"a[href='/officer/applications/{application.id}']"))

    forms = browser.find_elements(By.CSS_SELECTOR, "main form[method='post']")
    assert len(forms) == 1, "one form for the items and the decision"
    form = forms[0]
    items = form.find_elements(By.CSS_SELECTOR, "article.seal-item")
    assert len(items) == 6
    for item in items:
        key = item.get_attribute("id").removeprefix("item-")
        item.find_element(By.CSS_SELECTOR, f"input[name='result-{key}'][value='pass']").click()
        fill(browser, f"f-note-{key}", "Checked on the visit.")
    form.find_element(By.CSS_SELECTOR, "input[name='decision'][value='approve']").click()
    fill(browser, "f-decision_note", "Excellent work; congratulations.")
    assert_fits(browser)
    submit(browser, button(browser, "Save the review", form))  # the one submit

    assert "Approved." in flash_text(browser)
    fresh(session)
    assert session.get(CertificationApplication, application.id).status == "approved"
    number = session.exec(select(Certificate)).one().number
    assert number in browser.find_element(By.ID, "main").text


def test_payouts_businesses_invoices_and_wholesale_tables_fit_a_phone(
        browser, live_server, session, settings, trade):
    """The other staff and producer tables, in Khmer and English, on a 390-px screen: payout
    runs and an approved run (its Sent and Failed forms), groups, businesses, invoices; the
    group's Earnings and its purchase orders; the shop's invoices, statement, orders, cart."""
    admin = create_user(session, email="admin@example.com", role=["admin"])
    checker = create_user(session, email="finance@example.com", role=["admin"])
    group, leader, buyer, shop = (trade["groups"][0], trade["leaders"][0], trade["buyer"],
                                  trade["shop"])
    group.name = "Kreung Basket Makers of O'Yadav"
    group.payout_method, group.payout_account_name = "aba", "Kreung Basket Makers"
    group.payout_account_number, group.payout_verified_at = "000123456", utcnow()
    session.add(group)
    session.commit()
    order = sale(session, settings, group, delivered_days_ago=30)
    line = session.exec(select(OrderLine).where(OrderLine.order_id == order.id)).one()
    line.maker, line.title_km = "Srey Pov Chanthavy", "កន្ត្រកឫស្សីធ្វើដោយដៃ"
    session.add(line)
    waiting = create_group(session, status="applied", name="Bunong Weavers of Bu Sra",
                           payout_method="wing", payout_account_name="Bunong Weavers",
                           payout_account_number="012 345 678 901")
    session.commit()
    run = runs.create_run(session=session, settings=settings, actor=admin)
    runs.approve(session=session, actor=checker, run=run)
    sale(session, settings, group)  # paid, not delivered yet: pending

    # the shop: one purchase order shipped and invoiced, one waiting, one in the cart
    purchasing.set_line(session=session, actor=buyer, product_id=trade["pieces"][0].id,
                        quantity=10)
    shipped, _new = purchasing.submit(session=session, settings=settings, actor=buyer,
                                      reference="SHOP-2025-0007", payment_method="invoice",
                                      idempotency_key="phone-shipped")
    [part] = purchasing.parts_of(session, shipped)
    responses.accept(session=session, settings=settings, actor=leader, part=part)
    responses.ship(session=session, settings=settings, actor=leader, part=part)
    for piece in trade["pieces"]:
        purchasing.set_line(session=session, actor=buyer, product_id=piece.id, quantity=10)
    waiting_po, _new = purchasing.submit(session=session, settings=settings, actor=buyer,
                                         reference="SHOP-2025-0008", payment_method="invoice",
                                         idempotency_key="phone-waiting")
    waiting_part = next(p for p in purchasing.parts_of(session, waiting_po)
                        if p.group_id == group.id)
    for piece in trade["pieces"]:
        purchasing.set_line(session=session, actor=buyer, product_id=piece.id, quantity=15)
    invoice = session.exec(select(Invoice).where(Invoice.purchase_order_id == shipped.id)).one()
    pending = create_business(session, status="applied")
    business_service.decide(
        session=session, settings=settings, actor=admin, business=pending, decision="reject",
        reason="The Ministry of Commerce registration certificate is unreadable; "
               "please upload a clearer scan.")
    session.commit()

    pages = {
        admin.email: ["/admin/payouts", f"/admin/payouts/{run.id}", "/admin/groups",
                      f"/admin/groups/{waiting.id}", f"/admin/groups/{group.id}",
                      "/admin/businesses?status=", f"/admin/businesses/{shop.id}",
                      f"/admin/businesses/{pending.id}", "/admin/invoices",
                      f"/admin/invoices/{invoice.id}", f"/admin/orders/{order.number}"],
        leader.email: [f"/dashboard/groups/{group.id}/earnings", "/dashboard/purchase-orders",
                       f"/dashboard/purchase-orders/{waiting_part.id}"],
        buyer.email: ["/business", "/business/invoices", f"/business/invoices/{invoice.id}",
                      "/business/statement", "/business/purchase-orders",
                      f"/business/purchase-orders/{waiting_po.id}", "/wholesale/cart",
                      "/wholesale"],
    }
    phone(browser, live_server)
    for email, paths in pages.items():
        log_in(browser, live_server, email)
        for lang in ("km", "en"):  # Khmer words are longer: they must fit as well
            browser.get(f"{live_server}/language?lang={lang}&next=/about")
            assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == lang
            for path in paths:
                browser.get(f"{live_server}{path}")
                assert response_status(browser) == 200, path
                assert_fits(browser)
                for cell in browser.find_elements(By.CSS_SELECTOR, "main .stack-rows tbody td"):
                    if not cell.get_attribute("colspan"):
                        assert cell.get_attribute("data-label"), f"{path}: a cell without a label"
        log_out(browser)
