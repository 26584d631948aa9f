"""Wholesale in headless Chromium, on invoice terms: a shop applies (address chosen level by
level, a document uploaded), an admin verifies it and grants net 30, the shop orders from
two groups, one group accepts and the other (whose baskets are made to order, 50% down)
proposes a larger quantity, the shop accepts, the invoice is issued (its PDF carries shaped
Khmer), the shop pays the deposit by card (localstripe's Stripe.js), the admin records the
bank transfer for the rest, the invoice is paid and each group's payable in the ledger is
right to the cent."""

import subprocess

import httpx
import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select
from sqlmodel import Session, select

from marketplace.models import GroupWholesaleTerms, Invoice, User
from marketplace.payments import ledger
from marketplace.wholesale.schemas import OfferIn, TierIn
from marketplace.wholesale.terms import set_offer
from tests.factories import add_member, create_group, create_product, create_user
from tests.helpers.browser import (
    button,
    fill,
    flash_text,
    log_in,
    log_out,
    pay_by_card,
    submit,
)
from tests.helpers.payments import VISA

pytestmark = pytest.mark.browser

PDF = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]"
       b"/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n")


def choose(browser, field_id: str, value: str) -> None:
    Select(browser.find_element(By.ID, field_id)).select_by_value(value)


def main_text(browser) -> str:
    return browser.find_element(By.TAG_NAME, "main").text


def test_a_shop_orders_on_terms_and_the_groups_are_owed_to_the_cent(
        browser, live_server, session, engine, tmp_path, gateway):
    groups, pieces = [], []
    for n, (title, price) in enumerate((("Kuy silk scarf", 1800), ("Rattan rice basket", 1200))):
        group = create_group(session, name=f"Weavers {n}")
        piece = create_product(session, group=group, title=title, price_cents=2 * price,
                               stock_on_hand=100 if n == 0 else 0, monthly_capacity=200,
                               stock_mode="stock" if n == 0 else "made_to_order",
                               slug=f"wholesale-{n}")
        set_offer(session=session, actor=session.get(User, group.leader_id), product=piece,
                  data=OfferIn(min_quantity=10, case_pack=5,
                               tiers=[TierIn(min_quantity=10, unit_price_cents=price)]))
        groups.append(group)
        pieces.append(piece)
    add_member(session, groups[1])
    session.add(GroupWholesaleTerms(group_id=groups[1].id, deposit_percent=50))
    leaders = [session.get(User, g.leader_id).email for g in groups]
    create_user(session, email="owner@mekong.example", full_name="Sophea Chan")
    create_user(session, email="admin@crafts.example", role=["admin"])
    session.commit()

    # the shop applies, with its registration certificate
    log_in(browser, live_server, "owner@mekong.example")
    browser.get(f"{live_server}/business/apply")
    fill(browser, "f-legal_name", "Mekong Craft House Co., Ltd.")
    fill(browser, "f-tax_id", "K001-901234567")
    fill(browser, "f-moc_registration", "00012345")
    fill(browser, "f-phone", "023 218 555")
    fill(browser, "f-address_line", "No. 12, Street 178")
    for field, value, step in (("f-province_code", "12", "Next: choose district"),
                               ("f-district_code", "1201", "Next: choose commune"),
                               ("f-commune_code", "120101", None)):
        choose(browser, field, value)
        if step:
            submit(browser, button(browser, step))
    assert browser.find_element(By.ID, "f-legal_name").get_attribute("value") == \
        "Mekong Craft House Co., Ltd."  # kept through the address steps
    submit(browser, button(browser, "Send the application"))
    assert "administrator will verify" in flash_text(browser)
    certificate = tmp_path / "registration.pdf"
    certificate.write_bytes(PDF)
    browser.find_element(By.ID, "f-document").send_keys(str(certificate))
    submit(browser, button(browser, "Upload"))
    assert "kept with your application" in flash_text(browser)
    log_out(browser)

    # an admin verifies it and grants net 30 with a $5,000 limit
    log_in(browser, live_server, "admin@crafts.example")
    browser.get(f"{live_server}/admin/businesses")
    submit(browser, browser.find_element(By.LINK_TEXT, "Mekong Craft House Co., Ltd."))
    submit(browser, button(browser, "Verify"))
    choose(browser, "f-payment_terms_days", "30")
    fill(browser, "f-credit_limit", "5,000")
    submit(browser, button(browser, "Save the terms"))
    assert "Terms saved" in flash_text(browser)
    log_out(browser)

    # the shop orders 20 scarves and 10 baskets, on invoice
    log_in(browser, live_server, "owner@mekong.example")
    browser.get(f"{live_server}/wholesale")
    for piece, quantity in zip(pieces, ("20", "10"), strict=True):
        fill(browser, f"q-{piece.id}", quantity)
        submit(browser, browser.find_element(
            By.XPATH, f"//input[@id='q-{piece.id}']/ancestor::form//button"))
        browser.get(f"{live_server}/wholesale")
    browser.get(f"{live_server}/wholesale/cart")
    assert "$480.00" in main_text(browser)  # 20 x $18 + 10 x $12
    fill(browser, "f-reference", "MCH-0042")
    browser.find_element(By.CSS_SELECTOR, "input[name=payment_method][value=invoice]").click()
    submit(browser, button(browser, "Send the purchase order"))
    assert "is sent to the groups" in flash_text(browser)
    order_url = browser.current_url
    log_out(browser)

    # the first group accepts; the second proposes 15 baskets
    for n, email in enumerate(leaders):
        log_in(browser, live_server, email)
        browser.get(f"{live_server}/dashboard/purchase-orders")
        submit(browser, browser.find_element(By.CSS_SELECTOR, "main table a"))
        if n == 0:
            submit(browser, button(browser, "Accept as ordered"))
        else:
            quantity = browser.find_element(By.CSS_SELECTOR, "input[id^='f-quantity_']")
            quantity.clear()
            quantity.send_keys("15")
            submit(browser, button(browser, "Send the changes"))
        assert "sent to the business" in flash_text(browser)
        log_out(browser)

    # the shop accepts the change; the order is confirmed and invoiced
    log_in(browser, live_server, "owner@mekong.example")
    browser.get(order_url)
    submit(browser, button(browser, "Accept the changes"))
    assert "Confirmed" in main_text(browser) and "$540.00" in main_text(browser)
    browser.get(f"{live_server}/business/invoices")
    submit(browser, browser.find_element(By.PARTIAL_LINK_TEXT, "INV-"))
    pdf_url = browser.find_element(By.LINK_TEXT, "Download the PDF").get_attribute("href")
    cookies = {c["name"]: c["value"] for c in browser.get_cookies()}
    document = httpx.get(pdf_url, cookies=cookies, timeout=30)
    assert document.headers["content-type"] == "application/pdf"
    path = tmp_path / "invoice.pdf"
    path.write_bytes(document.content)
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True,
                          check=True).stdout
    joined = "".join(text.split())  # pdftotext breaks lines between positioned glyphs
    assert "កាលបរិច្ឆេទ" in joined and "MCH-0042" in joined
    assert b"NotoSansKhmer" in document.content  # the Khmer font is embedded

    # the baskets are made to order: half of 15 x $12 is paid by card before they are made
    browser.get(order_url)
    submit(browser, browser.find_element(By.PARTIAL_LINK_TEXT, "Pay $90.00 by card"))
    pay_by_card(browser, VISA)
    assert "card payment is received" in flash_text(browser)
    assert "Deposit of $90.00 paid" in main_text(browser)
    assert "$450.00 still due" in main_text(browser)
    log_out(browser)

    # the admin records the bank transfer; the invoice is paid
    log_in(browser, live_server, "admin@crafts.example")
    with Session(engine) as fresh:
        invoice = fresh.exec(select(Invoice)).one()
    browser.get(f"{live_server}/admin/invoices/{invoice.id}")
    fill(browser, "f-amount", "450.00")
    fill(browser, "f-bank_reference", "ABA 778812")
    submit(browser, button(browser, "Record the transfer"))
    assert "Transfer recorded" in flash_text(browser)
    assert "Paid" in main_text(browser)
    with Session(engine) as fresh:  # 8% wholesale commission
        assert ledger.group_payable(session=fresh, group_id=groups[0].id) == 36_000 - 2_880
        assert ledger.group_payable(session=fresh, group_id=groups[1].id) == 18_000 - 1_440
        assert ledger.unbalanced_transactions(session=fresh) == []
