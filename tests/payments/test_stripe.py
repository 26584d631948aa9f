"""Card payments against localstripe: the signed webhook (bad signatures, replays, unknown
intents, failures, refunds made at Stripe), the card page, and the whole flow with
localstripe delivering its own webhooks to the app on a real port."""

import time

import pytest
from sqlalchemy import func
from sqlmodel import select

from marketplace.core.static import static_url
from marketplace.models import (
    AuditEvent,
    LedgerTransaction,
    Order,
    Product,
    Refund,
    StockReservation,
    StripeEvent,
    utcnow,
)
from marketplace.payments import ledger
from tests.factories import DEFAULT_PASSWORD, create_group, create_product, create_user
from tests.helpers import csrf_from, fresh, login, wait_for
from tests.helpers.payments import (
    DECLINED_ON_CHARGE,
    VISA,
    card,
    charge,
    event,
    pay_with_webhook,
    place,
    post_event,
    reload,
    sign,
)


def count(session, model, *where) -> int:
    fresh(session)
    return session.exec(select(func.count()).select_from(model).where(*where)).one()


def payments(session, order) -> int:
    return count(session, LedgerTransaction, LedgerTransaction.order_id == order.id,
                 LedgerTransaction.kind == "payment")


# --- the webhook ----------------------------------------------------------------------------

def test_bad_signature_or_body_is_400_and_changes_nothing(client, session, settings, gateway,
                                                          stripe_api):
    order = place(session, settings, [(create_product(session, stock_on_hand=2), 1)])
    payload = event("payment_intent.succeeded", charge(gateway, order, card(stripe_api)))
    forged = [
        sign(payload, "whsec_not_ours"),  # signed with another secret
        sign(payload + " ", settings.stripe_webhook_secret),  # body changed after signing
        sign(payload, settings.stripe_webhook_secret, int(time.time()) - 3600),  # replayed
        "t=123",  # no signature at all
    ]
    for signature in forged:
        response = post_event(client, settings, payload, signature)
        assert response.status_code == 400, signature
        assert response.headers["content-type"] == "application/problem+json"
    no_header = client.post("/api/v1/webhooks/stripe", content=payload.encode())
    assert no_header.status_code == 400
    not_json = "{not json"
    assert post_event(client, settings, not_json).status_code == 400
    assert reload(session, order).status == "pending_payment"
    assert count(session, StripeEvent) == 0 and payments(session, order) == 0


def test_a_signature_dated_in_the_future_is_400_and_changes_nothing(client, session, settings,
                                                                    gateway, stripe_api):
    order = place(session, settings, [(create_product(session, stock_on_hand=2), 1)])
    payload = event("payment_intent.succeeded", charge(gateway, order, card(stripe_api)))
    secret = settings.stripe_webhook_secret
    now = int(time.time())
    for signed_at in (now + 600, now + 24 * 3600, now - 3600):  # future, far future, replayed
        response = post_event(client, settings, payload, sign(payload, secret, signed_at))
        assert response.status_code == 400, signed_at
        assert response.headers["content-type"] == "application/problem+json"
    assert reload(session, order).status == "pending_payment"
    assert count(session, StripeEvent) == 0 and payments(session, order) == 0
    recent = post_event(client, settings, payload, sign(payload, secret, now - 60))
    assert recent.status_code == 200, recent.text
    assert reload(session, order).status == "paid"


def test_signed_success_marks_the_order_paid_once(client, session, settings, gateway,
                                                  stripe_api):
    group = create_group(session)
    product = create_product(session, group=group, price_cents=2500, stock_on_hand=3)
    order = place(session, settings, [(product, 2)])
    intent = charge(gateway, order, card(stripe_api))
    assert intent["status"] == "succeeded" and intent["amount"] == order.total_cents
    payload = event("payment_intent.succeeded", intent, event_id="evt_paid_1")

    response = post_event(client, settings, payload)
    assert response.status_code == 200 and response.json()["outcome"] == "order paid"
    paid = reload(session, order)
    assert paid.status == "paid" and paid.payment_intent_id == intent["id"]
    assert session.get(Product, product.id).stock_on_hand == 1  # sold, not just held

    again = post_event(client, settings, payload)  # Stripe delivers the same event again
    assert again.status_code == 200 and again.json()["outcome"] == "duplicate"
    other = post_event(client, settings, event("payment_intent.succeeded", intent))
    assert other.json()["outcome"] == "order already paid"
    fresh(session)
    assert payments(session, order) == 1
    assert ledger.unbalanced_transactions(session=session) == []
    assert ledger.balance(session=session, account="buyer") == -order.total_cents
    assert session.get(Product, product.id).stock_on_hand == 1
    stored = session.exec(select(StripeEvent).where(StripeEvent.event_id == "evt_paid_1")).one()
    assert stored.outcome == "order paid" and stored.processed_at is not None


def test_another_installations_payment_with_our_order_number_is_not_ours(client, session,
                                                                        settings):
    """Two copies of the marketplace on one Stripe account (development) number their
    orders alike: an intent made by the other copy's payment attempt must not pay ours."""
    order = place(session, settings, [(create_product(session), 1)])
    intent = {"id": "pi_from_the_other_copy", "object": "payment_intent",
              "amount": order.total_cents, "currency": "usd", "status": "succeeded",
              "metadata": {"order_number": order.number, "attempt_id": "41"}}
    response = post_event(client, settings, event("payment_intent.succeeded", intent))
    assert response.json()["outcome"] == "unknown payment intent"
    assert reload(session, order).status == "pending_payment"


def test_unknown_payment_intent_is_acknowledged_and_recorded(client, session, settings):
    order = place(session, settings, [(create_product(session), 1)])
    intent = {"id": "pi_not_ours", "object": "payment_intent", "amount": order.total_cents,
              "currency": "usd", "status": "succeeded", "metadata": {}}
    response = post_event(client, settings, event("payment_intent.succeeded", intent,
                                                  event_id="evt_unknown"))
    # 200: Stripe would retry a 4xx/5xx for days, and this intent will never become ours.
    assert response.status_code == 200
    assert response.json()["outcome"] == "unknown payment intent"
    stored = session.exec(select(StripeEvent)).one()
    assert (stored.event_id, stored.outcome) == ("evt_unknown", "unknown payment intent")
    assert reload(session, order).status == "pending_payment"


def test_other_event_types_are_ignored(client, session, settings):
    response = post_event(client, settings, event("customer.created", {"id": "cus_1"}))
    assert response.status_code == 200 and response.json()["outcome"] == "ignored"
    assert count(session, StripeEvent) == 0


def test_wrong_amount_is_not_marked_paid(client, session, settings):
    order = place(session, settings, [(create_product(session, price_cents=4000), 1)])
    intent = {"id": "pi_short", "object": "payment_intent", "amount": 100, "currency": "usd",
              "status": "succeeded", "metadata": {"order_number": order.number}}
    response = post_event(client, settings, event("payment_intent.succeeded", intent))
    assert response.status_code == 200
    assert response.json()["outcome"].startswith("needs attention")
    assert reload(session, order).status == "pending_payment"
    assert payments(session, order) == 0
    assert count(session, AuditEvent, AuditEvent.entity_id == order.id,
                 AuditEvent.action == "payment_needs_attention") == 1


def test_failed_payment_is_noted_and_the_reservation_kept(client, session, settings, gateway,
                                                          stripe_api):
    product = create_product(session, stock_on_hand=1)
    order = place(session, settings, [(product, 1)])
    intent = {"id": "pi_failed", "object": "payment_intent", "amount": order.total_cents,
              "currency": "usd", "status": "requires_payment_method",
              "metadata": {"order_number": order.number},
              "last_payment_error": {"code": "card_declined", "decline_code": "generic"}}
    response = post_event(client, settings, event("payment_intent.payment_failed", intent))
    assert response.json()["outcome"] == "payment failure recorded"
    note = session.exec(select(AuditEvent).where(AuditEvent.entity_id == order.id,
                                                 AuditEvent.action == "payment_failed")).one()
    assert note.data["code"] == "card_declined"
    assert reload(session, order).status == "pending_payment"
    assert session.get(Product, product.id).stock_allocated == 1


def test_refund_made_at_stripe_is_recorded_once(client, session, settings, gateway,
                                                stripe_api):
    order = place(session, settings, [(create_product(session, price_cents=3000), 2)])
    intent = pay_with_webhook(client, session, settings, gateway, stripe_api, order)
    # Someone refunds from Stripe's dashboard: 10.00, later 5.00 more.
    first = stripe_api.v1.refunds.create({"payment_intent": intent["id"], "amount": 1000})
    charge_obj = {"id": intent["latest_charge"], "object": "charge",
                  "payment_intent": intent["id"], "amount": order.total_cents,
                  "refunds": {"object": "list", "data": [
                      {"id": first.id, "amount": 1000, "status": "succeeded"}]}}
    response = post_event(client, settings, event("charge.refunded", charge_obj))
    assert response.json()["outcome"] == "1 refund(s) recorded"
    second = stripe_api.v1.refunds.create({"payment_intent": intent["id"], "amount": 500})
    charge_obj["refunds"]["data"].insert(0, {"id": second.id, "amount": 500,
                                             "status": "succeeded"})
    response = post_event(client, settings, event("charge.refunded", charge_obj))
    assert response.json()["outcome"] == "1 refund(s) recorded"  # the first one is known
    # A charge without its refund list (newer API versions): the list is asked from Stripe.
    del charge_obj["refunds"]
    response = post_event(client, settings, event("charge.refunded", charge_obj))
    assert response.json()["outcome"] == "0 refund(s) recorded"
    paid = reload(session, order)
    assert (paid.status, paid.refunded_cents) == ("partly_refunded", 1500)
    assert sorted(session.exec(select(Refund.stripe_refund_id)).all()) == \
        sorted([first.id, second.id])
    assert ledger.unbalanced_transactions(session=session) == []
    assert ledger.balance(session=session, account="buyer") == -order.total_cents + 1500


# --- the card page --------------------------------------------------------------------------

def buyer_with_order(client, session, settings, stock_on_hand=2, price_cents=2500):
    buyer = create_user(session)
    product = create_product(session, stock_on_hand=stock_on_hand, price_cents=price_cents)
    order = place(session, settings, [(product, 1)], user=buyer)
    login(client, buyer.email)
    return buyer, product, order


def test_pay_page_loads_stripe_js_for_the_buyer_only(client, session, settings):
    _buyer, _product, order = buyer_with_order(client, session, settings)
    page = client.get(f"/orders/{order.number}/pay")
    assert page.status_code == 200
    assert f'<script src="{settings.stripe_js_url}"' in page.text
    assert static_url("js/pay.js") in page.text and 'name="payment_method"' in page.text
    assert "needs JavaScript" in page.text  # the <noscript> explanation
    origin = settings.stripe_api_base
    assert f"script-src 'self' {origin}" in page.headers["content-security-policy"]
    assert origin not in client.get("/").headers["content-security-policy"]

    client.post("/auth/logout", data={"csrf_token": csrf_from(page.text)})
    assert client.get(f"/orders/{order.number}/pay").status_code == 404  # not the buyer
    login(client, create_user(session).email)
    assert client.get(f"/orders/{order.number}/pay").status_code == 404
    assert client.get("/orders/MK-2000-999999/pay").status_code == 404


def test_expired_reservation_is_not_charged(client, session, settings, gateway, stripe_api):
    _buyer, _product, order = buyer_with_order(client, session, settings)
    order.reserved_until = utcnow()
    session.add(order)
    session.commit()
    page = client.get(f"/orders/{order.number}/pay")
    assert "can no longer be paid" in page.text and 'href="/cart"' in page.text
    assert "pay.js" not in page.text
    response = client.post(f"/orders/{order.number}/pay", data={
        "csrf_token": csrf_from(page.text), "payment_method": card(stripe_api)})
    assert response.status_code == 409 and "can no longer be paid" in response.text
    assert reload(session, order).payment_intent_id is None


def test_pay_without_a_card_asks_for_one(client, session, settings):
    _buyer, _product, order = buyer_with_order(client, session, settings)
    page = client.get(f"/orders/{order.number}/pay")
    response = client.post(f"/orders/{order.number}/pay", data={
        "csrf_token": csrf_from(page.text), "payment_method": ""})
    assert response.status_code == 422 and "Enter your card details" in response.text
    no_csrf = client.post(f"/orders/{order.number}/pay", data={"payment_method": "pm_x1234"})
    assert no_csrf.status_code == 403


# --- end to end: localstripe charges and delivers its own signed webhooks ---------------------

def all_intents(stripe_api) -> list:
    return list(stripe_api.v1.payment_intents.list({"limit": 100}).auto_paging_iter())


@pytest.mark.usefixtures("stripe_webhooks")
def test_card_payment_end_to_end(client, session, settings, stripe_api):
    _buyer, product, order = buyer_with_order(client, session, settings, stock_on_hand=1)
    before = {i.id for i in all_intents(stripe_api)}
    page = client.get(f"/orders/{order.number}/pay")
    token = csrf_from(page.text)

    declined = client.post(f"/orders/{order.number}/pay", data={
        "csrf_token": token, "payment_method": card(stripe_api, DECLINED_ON_CHARGE)})
    assert declined.status_code == 422
    assert "Your card was declined. Try another card." in declined.text
    assert reload(session, order).status == "pending_payment"
    assert session.get(Product, product.id).stock_allocated == 1  # still held for the buyer
    assert session.exec(select(StockReservation)).one().status == "held"
    # localstripe's payment_intent.payment_failed arrives, signed, and is noted on the order.
    assert wait_for(lambda: count(session, AuditEvent, AuditEvent.entity_id == order.id,
                                  AuditEvent.action == "payment_failed") == 1)

    method = card(stripe_api)
    paid = client.post(f"/orders/{order.number}/pay", data={"csrf_token": token,
                                                            "payment_method": method})
    assert paid.status_code == 303
    assert paid.headers["location"] == f"/orders/{order.number}?redirect_status=succeeded"
    intent_id = reload(session, order).payment_intent_id
    # A double submit does not charge again: the first intent is found and it succeeded.
    twice = client.post(f"/orders/{order.number}/pay", data={"csrf_token": token,
                                                             "payment_method": method})
    assert twice.status_code == 303 and reload(session, order).payment_intent_id == intent_id

    def is_paid():
        return reload(session, order).status == "paid"

    assert wait_for(is_paid), "localstripe's webhook did not mark the order paid"
    assert session.get(Product, product.id).stock_on_hand == 0
    assert payments(session, order) == 1
    stored = session.exec(select(StripeEvent).where(
        StripeEvent.type == "payment_intent.succeeded")).one()
    assert stored.outcome == "order paid"
    made = [i for i in all_intents(stripe_api) if i.id not in before]
    assert sorted(i.status for i in made) == ["requires_payment_method", "succeeded"]
    assert {i.metadata["order_number"] for i in made} == {order.number}
    assert client.get(f"/orders/{order.number}/pay").headers["location"] == \
        f"/orders/{order.number}"
    assert session.exec(select(Order.status)).one() == "paid"


# --- the card page in a real browser, with localstripe's fake Stripe.js ----------------------

@pytest.mark.browser
@pytest.mark.usefixtures("stripe_webhooks")
def test_card_form_pays_in_a_browser(browser, live_server, session, settings):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    buyer = create_user(session)
    product = create_product(session, stock_on_hand=1)
    order = place(session, settings, [(product, 1)], user=buyer)
    browser.get(live_server + "/auth/login")
    browser.find_element(By.ID, "f-email").send_keys(buyer.email)
    browser.find_element(By.ID, "f-password").send_keys(DEFAULT_PASSWORD)
    browser.find_element(By.CSS_SELECTOR, "main form button[type=submit]").click()
    WebDriverWait(browser, 10).until(lambda b: "/auth/login" not in b.current_url)

    browser.get(f"{live_server}/orders/{order.number}/pay")
    button = browser.find_element(By.ID, "pay-button")
    WebDriverWait(browser, 10).until(lambda b: button.is_enabled())  # pay.js and Stripe.js ran
    typed = {"number": VISA, "exp_month": "12", "exp_year": "34", "cvc": "123",
             "postal_code": "12000"}
    for placeholder, value in typed.items():
        browser.find_element(By.CSS_SELECTOR,
                             f'#card-element input[placeholder="{placeholder}"]').send_keys(value)
    button.click()
    WebDriverWait(browser, 10).until(lambda b: "redirect_status=succeeded" in b.current_url)
    assert "Payment received, being confirmed." in browser.page_source
    assert wait_for(lambda: reload(session, order).status == "paid")
    assert not [entry for entry in browser.get_log("browser") if entry["level"] == "SEVERE"]
