"""Purchase orders paid by card at localstripe: a made-to-order deposit at acceptance, the
balance of a card order before shipping, a declined card, the same payment sent twice or
raced, the webhook and the worker finishing a charge a request left, and credit applied
to the next invoice. The ledger balances after each."""

import uuid
from datetime import timedelta

import httpx
import pytest
from sqlmodel import select

from marketplace.invoices import service as invoices
from marketplace.models import (
    ChargeStatus,
    GroupWholesaleTerms,
    Invoice,
    InvoicePayment,
    InvoiceStatus,
    LedgerEntry,
    PurchaseOrder,
    WholesaleCharge,
    utcnow,
)
from marketplace.payments import ledger, pricing
from marketplace.wholesale import card as wholesale_card
from tests.factories import create_user
from tests.helpers import delivered_mail, fresh
from tests.helpers.api import bearer, problem
from tests.helpers.concurrency import race
from tests.helpers.payments import DECLINED_ON_CHARGE, card, event, post_event
from tests.helpers.wholesale import put_line, submit


@pytest.fixture
def deposit_trade(session, trade):
    """The made-to-order group asks 50% down."""
    session.add(GroupWholesaleTerms(group_id=trade["groups"][1].id, deposit_percent=50))
    session.commit()
    return trade


def pay(client, headers, order_id, due, payment_method, key=None):
    return client.post(f"/api/v1/purchase-orders/{order_id}/payments",
                       headers={**headers, "Idempotency-Key": key or str(uuid.uuid4())},
                       json={"due": due, "payment_method": payment_method})


def accept(client, leader, part_id):
    response = client.post(f"/api/v1/purchase-order-parts/{part_id}/accept",
                           headers=bearer(client, leader))
    assert response.status_code == 200, response.text


def account(session, name) -> int:
    return ledger.balance(session=session, account=name)


def test_deposit_at_acceptance_then_the_invoice_takes_it(client, engine, session, settings,
                                                         stripe_api, deposit_trade):
    trade = deposit_trade
    shop = bearer(client, trade["buyer"])
    stocked, made = trade["pieces"]
    put_line(client, shop, stocked, 20)  # 20 x $18 = $360
    put_line(client, shop, made, 15)  # 15 x $18 = $270, made to order
    order = submit(client, shop, "invoice").json()
    parts = {p["group_id"]: p["id"] for p in order["parts"]}
    made_part = parts[trade["groups"][1].id]
    assert client.get(f"/api/v1/purchase-orders/{order['id']}",
                      headers=shop).json()["dues"] == []  # nothing before acceptance
    accept(client, trade["leaders"][1], made_part)
    body = client.get(f"/api/v1/purchase-orders/{order['id']}", headers=shop).json()
    assert body["dues"] == [{"key": f"deposit-{made_part}", "purpose": "deposit",
                             "part_id": made_part, "amount_cents": 13500, "required": True}]

    # Paid before every group answered: held as the shop's credit.
    paid = pay(client, shop, order["id"], f"deposit-{made_part}", card(stripe_api))
    assert paid.status_code == 201, paid.text
    assert [c["status"] for c in paid.json()["charges"]] == ["succeeded"]
    assert paid.json()["dues"] == []
    fresh(session)
    shop_id = trade["shop"].id
    fee = pricing.card_fee(13500, settings.card_fee_basis_points, settings.card_fee_fixed_cents)
    assert account(session, invoices.credit_account(shop_id)) == 13500
    told = delivered_mail(engine, settings)[-1]
    assert told["to"] == trade["leaders"][1].email and "start making" in told["subject"]
    assert account(session, ledger.CARD_FEES) == fee
    assert problem(pay(client, shop, order["id"], f"deposit-{made_part}",
                       card(stripe_api)), 409)["type"].endswith("/nothing-due")

    # The other group accepts: the invoice is issued and the deposit pays part of it.
    accept(client, trade["leaders"][0], parts[trade["groups"][0].id])
    fresh(session)
    invoice = session.exec(select(Invoice).where(
        Invoice.purchase_order_id == order["id"])).one()
    assert invoice.total_cents == 63000 and invoice.due_on == utcnow().date() + timedelta(30)
    assert invoices.outstanding(session, invoice) == 63000 - 13500
    applied = session.exec(select(InvoicePayment).where(
        InvoicePayment.invoice_id == invoice.id)).one()
    assert (applied.kind, applied.applied_cents) == ("card", 13500)
    assert account(session, invoices.credit_account(shop_id)) == 0
    assert account(session, invoices.receivable_account(shop_id)) == -(63000 - 13500)
    # Each group is owed its lines less the wholesale commission, however the shop pays.
    for group, lines in zip(trade["groups"], (36000, 27000), strict=True):
        commission = pricing.share(lines, settings.wholesale_commission_basis_points)
        assert ledger.group_payable(session=session, group_id=group.id) == lines - commission
    assert ledger.unbalanced_transactions(session=session) == []
    statement = client.get("/api/v1/invoices/statement", headers=shop).json()
    assert [(line["kind"], line["balance_cents"]) for line in statement["lines"]] == [
        ("card", -13500), ("invoice", 63000 - 13500)]  # paid before it was invoiced

    # The made-to-order part ships now (its deposit is paid); the rest is on net-30.
    shipped = client.post(f"/api/v1/purchase-order-parts/{made_part}/ship",
                          headers=bearer(client, trade["leaders"][1]), json={"tracking": ""})
    assert shipped.status_code == 200, shipped.text


def test_a_card_order_ships_once_paid_and_a_repeat_charges_nothing(client, session,
                                                                   stripe_api, trade):
    shop = bearer(client, trade["buyer"])
    stocked = trade["pieces"][0]
    put_line(client, shop, stocked, 10)
    order = submit(client, shop, "card").json()
    part = order["parts"][0]["id"]
    assert problem(pay(client, shop, order["id"], "balance", card(stripe_api)), 409)
    accept(client, trade["leaders"][0], part)
    leader = bearer(client, trade["leaders"][0])
    refused = client.post(f"/api/v1/purchase-order-parts/{part}/ship", headers=leader)
    assert "$180.00 is still due by card" in problem(refused, 409)["detail"]

    declined = pay(client, shop, order["id"], "balance", card(stripe_api, DECLINED_ON_CHARGE))
    assert problem(declined, 402)
    fresh(session)
    assert session.exec(select(WholesaleCharge.status)).all() == [ChargeStatus.FAILED]
    assert account(session, ledger.BUYER) == 0  # nothing booked for a refused card

    method, key = card(stripe_api), str(uuid.uuid4())
    first = pay(client, shop, order["id"], "balance", method, key)
    again = pay(client, shop, order["id"], "balance", method, key)
    assert first.status_code == again.status_code == 201, again.text
    fresh(session)
    succeeded = session.exec(select(WholesaleCharge).where(
        WholesaleCharge.status == ChargeStatus.SUCCEEDED)).all()
    assert [c.amount_cents for c in succeeded] == [18000]
    assert stripe_api.v1.payment_intents.retrieve(succeeded[0].intent_id).amount == 18000
    invoice = session.exec(select(Invoice).where(Invoice.purchase_order_id == order["id"])).one()
    assert invoice.status == InvoiceStatus.PAID and invoice.due_on == invoice.issued_on
    assert account(session, ledger.BUYER) == -18000
    assert client.post(f"/api/v1/purchase-order-parts/{part}/ship",
                       headers=leader).status_code == 200
    assert ledger.unbalanced_transactions(session=session) == []


def test_many_presses_at_once_charge_the_deposit_once(client, session, live_server,
                                                      stripe_api, deposit_trade):
    trade = deposit_trade
    shop = bearer(client, trade["buyer"])
    put_line(client, shop, trade["pieces"][1], 10)
    order = submit(client, shop, "card").json()
    part = order["parts"][0]["id"]
    accept(client, trade["leaders"][1], part)
    methods = [card(stripe_api) for _ in range(8)]

    def press(method):
        return lambda: httpx.post(
            f"{live_server}/api/v1/purchase-orders/{order['id']}/payments", timeout=60,
            headers={**shop, "Idempotency-Key": str(uuid.uuid4())},
            json={"due": f"deposit-{part}", "payment_method": method})

    answers = [r.value for r in race([press(m) for m in methods])]
    codes = sorted(a.status_code for a in answers)
    assert codes.count(201) >= 1 and set(codes) <= {201, 409}, [a.text for a in answers]
    fresh(session)
    succeeded = session.exec(select(WholesaleCharge).where(
        WholesaleCharge.status == ChargeStatus.SUCCEEDED)).all()
    assert [c.amount_cents for c in succeeded] == [9000]  # 50% of 10 x $18, once
    assert account(session, ledger.BUYER) == -9000
    assert ledger.unbalanced_transactions(session=session) == []


def test_the_webhook_and_the_worker_finish_a_charge_a_request_left(
        client, engine, session, settings, gateway, stripe_api, deposit_trade):
    trade = deposit_trade
    shop = bearer(client, trade["buyer"])
    put_line(client, shop, trade["pieces"][1], 10)
    order = submit(client, shop, "invoice").json()
    part = order["parts"][0]["id"]
    accept(client, trade["leaders"][1], part)
    fresh(session)
    po = session.get(PurchaseOrder, order["id"])

    def left_after_intent(key: str) -> WholesaleCharge:
        """A charge whose request died after Stripe charged the card."""
        charge = WholesaleCharge(purchase_order_id=po.id, business_id=po.business_id,
                                 part_id=part, purpose="deposit", amount_cents=9000,
                                 payment_method="pm_x", idempotency_key=key, status="created")
        intent = gateway.create_intent(amount_cents=9000, currency="usd",
                                       order_number=po.number,
                                       payment_method=card(stripe_api), idempotency_key=key)
        charge.intent_id = gateway.confirm_intent(intent.id).id
        session.add(charge)
        session.commit()
        return charge

    first = left_after_intent(f"test-{uuid.uuid4()}")
    intent = stripe_api.v1.payment_intents.retrieve(first.intent_id).to_dict()
    payload = event("payment_intent.succeeded", intent)
    answered = post_event(client, settings, payload)
    assert answered.json()["outcome"] == "charge applied"
    assert post_event(client, settings, payload).json()["outcome"] == "duplicate"
    again = post_event(client, settings, event("payment_intent.succeeded", intent))
    assert again.json()["outcome"] == "charge already applied"
    fresh(session)
    assert account(session, ledger.BUYER) == -9000

    # A second charge nobody heard back about: the worker asks Stripe once it is stale.
    second = left_after_intent(f"test-{uuid.uuid4()}")
    assert wholesale_card.reconcile(engine, settings, gateway) == 0  # not stale yet
    later = utcnow() + wholesale_card.STALE + timedelta(seconds=5)
    assert wholesale_card.reconcile(engine, settings, gateway, now=later) == 1
    fresh(session)
    assert session.get(WholesaleCharge, second.id).status == ChargeStatus.SUCCEEDED
    # Paid twice for one deposit: the second pays the rest of the invoice, never lost.
    assert account(session, ledger.BUYER) == -18000
    invoice = invoices.for_order(session, po.id)
    assert invoice.status == InvoiceStatus.PAID and invoices.outstanding(session, invoice) == 0
    assert account(session, invoices.credit_account(po.business_id)) == 0
    assert ledger.unbalanced_transactions(session=session) == []

    # A charge left before any intent existed is closed: nothing was charged.
    stuck = WholesaleCharge(purchase_order_id=po.id, business_id=po.business_id,
                            purpose="balance", amount_cents=100, payment_method="pm_y",
                            idempotency_key=f"test-{uuid.uuid4()}")
    session.add(stuck)
    session.commit()
    assert wholesale_card.reconcile(engine, settings, gateway, now=later) == 1
    fresh(session)
    assert session.get(WholesaleCharge, stuck.id).status == ChargeStatus.ABANDONED


def test_an_overpayment_pays_the_next_invoice(client, session, settings, signed_in, trade):
    admin = create_user(session, role=["admin"])
    shop, staff = bearer(client, trade["buyer"]), bearer(client, admin)
    invoice_ids = []
    for _round in range(2):
        put_line(client, shop, trade["pieces"][0], 10)  # $180 each
        order = submit(client, shop, "invoice").json()
        accept(client, trade["leaders"][0], order["parts"][0]["id"])
        fresh(session)
        invoice_ids.append(session.exec(select(Invoice.id).where(
            Invoice.purchase_order_id == order["id"])).one())
        if _round == 0:
            transfer = client.post(f"/api/v1/invoices/{invoice_ids[0]}/payments",
                                   headers=staff, json={
                                       "amount_cents": 25000, "bank_reference": "ABA-991",
                                       "received_on": str(utcnow().date())})
            assert transfer.status_code == 201, transfer.text
            fresh(session)
            assert account(session, invoices.credit_account(trade["shop"].id)) == 7000
    second = session.get(Invoice, invoice_ids[1])
    applied = session.exec(select(InvoicePayment).where(
        InvoicePayment.invoice_id == second.id)).one()
    assert (applied.kind, applied.applied_cents) == ("credit", 7000)
    assert invoices.outstanding(session, second) == 11000
    assert account(session, invoices.credit_account(trade["shop"].id)) == 0
    assert sum(e.amount_cents for e in session.exec(select(LedgerEntry))) == 0

    # The statement of account lists what crossed between the shop and the marketplace,
    # and its balance is what the ledger says the shop owes less the credit it holds.
    statement = client.get("/api/v1/invoices/statement", headers=shop).json()
    assert [(line["kind"], line["debit_cents"], line["credit_cents"], line["balance_cents"])
            for line in statement["lines"]] == [
        ("invoice", 18000, 0, 18000), ("transfer", 0, 25000, -7000),
        ("invoice", 18000, 0, 11000)]
    shop_id = trade["shop"].id
    assert statement["balance_cents"] == -(
        account(session, invoices.receivable_account(shop_id))
        + account(session, invoices.credit_account(shop_id)))
    assert client.get(f"/api/v1/invoices/statement?business_id={shop_id + 1}",
                      headers=shop).status_code == 404  # another business's: not yours
    assert client.get(f"/api/v1/invoices/statement?business_id={shop_id}",
                      headers=staff).json()["balance_cents"] == 11000
    page = signed_in(trade["buyer"]).get("/business/statement")
    assert page.status_code == 200 and "Owed now: $110.00" in page.text
    assert "ABA-991" in page.text and "-$70.00" in page.text.replace("−", "-")
