"""Payouts in headless Chromium: a tourist (by card, through localstripe) and a shop (on
terms, paid by transfer) buy from one group; the group marks the parcel delivered; weeks
later an administrator makes a payout run, a second one approves it, the bank file holds the
right amount, the payout is marked sent; the producer sees it in Khmer on the Earnings page
with its statement PDF; ``marketplace ledger check`` (Stripe included) exits 0."""

import csv
import io
import subprocess
from datetime import timedelta

import httpx
import pytest
from selenium.webdriver.common.by import By
from sqlmodel import Session, select
from typer.testing import CliRunner

from marketplace.cli import app as cli
from marketplace.invoices import service as invoices
from marketplace.models import Fulfilment, Invoice, PurchaseOrderPart, User, utcnow
from marketplace.payments import ledger
from marketplace.wholesale import purchasing, responses
from marketplace.wholesale.schemas import OfferIn, TierIn
from marketplace.wholesale.terms import set_offer
from tests.factories import create_business, create_group, create_product, create_user
from tests.helpers.browser import button, fill, flash_text, log_in, log_out, submit
from tests.helpers.payments import pay_with_webhook, place

pytestmark = pytest.mark.browser


def cookies_of(browser) -> dict:
    return {c["name"]: c["value"] for c in browser.get_cookies()}


def earlier(engine, days: int) -> None:
    """Weeks go by: the parcel was delivered and the shop's part shipped ``days`` ago."""
    with Session(engine) as fresh:
        for parcel in fresh.exec(select(Fulfilment)):
            parcel.shipped_at = utcnow() - timedelta(days=days + 2)
            parcel.delivered_at = parcel.delivered_at and utcnow() - timedelta(days=days)
            fresh.add(parcel)
        for part in fresh.exec(select(PurchaseOrderPart)):
            part.shipped_at = utcnow() - timedelta(days=days)
            fresh.add(part)
        fresh.commit()


def test_a_group_is_paid_what_a_tourist_and_a_shop_bought(
        browser, live_server, client, session, engine, settings, gateway, stripe_api,
        cli_env, tmp_path):
    leader = create_user(session, email="leader@kuoy.example", locale="km")
    group = create_group(session, leader=leader, name="Kuoy Weavers",
                         payout_method="aba", payout_account_name="Kuoy Weavers",
                         payout_account_number="000228415", payout_verified_at=utcnow())
    scarf = create_product(session, group=group, title="Kuy silk scarf", price_cents=4000,
                           stock_on_hand=50)
    set_offer(session=session, actor=leader, product=scarf, data=OfferIn(
        min_quantity=10, case_pack=5, tiers=[TierIn(min_quantity=10, unit_price_cents=2500)]))
    shop = create_business(session, terms_days=30, credit_limit_cents=100_000)
    buyer = session.get(User, shop.created_by_id)
    admin = create_user(session, email="admin@crafts.example", role=["admin"])
    create_user(session, email="finance@crafts.example", role=["admin"])
    session.commit()

    # the tourist pays by card at localstripe; the shop's ten scarves go on its terms
    order = place(session, settings, [(scarf, 1)])
    pay_with_webhook(client, session, settings, gateway, stripe_api, order)
    purchasing.set_line(session=session, actor=buyer, product_id=scarf.id, quantity=10)
    po, _new = purchasing.submit(session=session, settings=settings, actor=buyer,
                                 reference="SHOP-7", payment_method="invoice",
                                 idempotency_key="browser-payouts")
    [part] = purchasing.parts_of(session, po)
    responses.accept(session=session, settings=settings, actor=leader, part=part)
    responses.ship(session=session, settings=settings, actor=leader, part=part)
    invoice = session.exec(select(Invoice).where(Invoice.purchase_order_id == po.id)).one()
    invoices.record_payment(session=session, actor=admin, invoice=invoice,
                            amount_cents=invoice.total_cents, received_on=utcnow().date(),
                            bank_reference="ABA-SHOP-7")
    session.commit()

    # the group sends the tourist's parcel and marks it delivered
    log_in(browser, live_server, "leader@kuoy.example")
    browser.get(f"{live_server}/dashboard/orders")
    with Session(engine) as fresh:
        parcel = fresh.exec(select(Fulfilment)).one()
    for to in ("packed", "shipped", "delivered"):
        form = browser.find_element(
            By.XPATH, f"//form[.//input[@name='to' and @value='{to}']]")
        if to == "shipped":
            fill(browser, f"f-carrier-{parcel.id}", "Virak Buntham")
            fill(browser, f"f-tracking_number-{parcel.id}", "VB-2231")
        submit(browser, form.find_element(By.CSS_SELECTOR, "button[type=submit]"))
    log_out(browser)
    browser.delete_cookie("lang")  # the leader reads Khmer; the administrators English
    earlier(engine, days=settings.payout_refund_window_days + 1)
    with Session(engine) as fresh:
        owed = ledger.group_payable(session=fresh, group_id=group.id)
    assert owed > 0

    # one administrator makes the run; another approves it and sends the money
    log_in(browser, live_server, "admin@crafts.example")
    browser.get(f"{live_server}/admin/payouts")
    submit(browser, button(browser, "Make a payout run"))
    assert "Another administrator approves it" in flash_text(browser)
    run_url = browser.current_url
    assert not browser.find_elements(By.XPATH, "//button[normalize-space()='Approve the run']")
    log_out(browser)
    log_in(browser, live_server, "finance@crafts.example")
    browser.get(run_url)
    submit(browser, button(browser, "Approve the run"))
    csv_url = browser.find_element(By.PARTIAL_LINK_TEXT, "bank.csv").get_attribute("href")
    rows = list(csv.DictReader(io.StringIO(httpx.get(
        csv_url, cookies=cookies_of(browser), timeout=30).text)))
    assert [(r["account_number"], r["currency"], r["amount_minor"]) for r in rows] == [
        ("000228415", "USD", str(owed))]
    browser.find_element(By.CSS_SELECTOR, "input[name=reference]").send_keys("ABA 99120")
    submit(browser, button(browser, "Sent"))
    assert "ABA 99120" in browser.find_element(By.TAG_NAME, "main").text
    log_out(browser)

    # the producer reads it in Khmer, with the month's statement
    log_in(browser, live_server, "leader@kuoy.example")
    browser.add_cookie({"name": "lang", "value": "km"})  # the language switch's cookie
    browser.get(f"{live_server}/dashboard/groups/{group.id}/earnings")
    page = browser.find_element(By.TAG_NAME, "main").text
    assert "ប្រាក់ចំណូល" in page and scarf.title_km in page  # Khmer titles on Khmer pages
    assert "ABA 99120" in page and f"{owed // 100}.{owed % 100:02d}$" in page, page
    statement = browser.find_element(By.PARTIAL_LINK_TEXT, utcnow().strftime("%Y-%m"))
    pdf = httpx.get(statement.get_attribute("href"), cookies=cookies_of(browser), timeout=30)
    path = tmp_path / "statement.pdf"
    path.write_bytes(pdf.content)
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True,
                          check=True).stdout
    assert "របាយការណ៍ប្រាក់ចំណូល" in "".join(text.split()) and "ABA 99120" in text

    checked = CliRunner().invoke(cli, ["ledger", "check"])
    assert checked.exit_code == 0, checked.output
    assert "1 card payment(s) asked of Stripe" in checked.output
