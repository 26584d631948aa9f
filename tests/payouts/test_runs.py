"""Payout runs through the API, on both databases: only delivered money past the refund
window is paid; a second administrator approves; the export file; sent once per reference;
two runs at once never pay an entry twice; a refund after a payout is netted by the next;
a failed payout releases exactly its entries; riel at the run's rate with the rounding
booked; a changed destination waits; ``marketplace ledger check``."""

import csv
import io
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import func
from sqlmodel import select
from typer.testing import CliRunner

from marketplace.cli import app as cli
from marketplace.models import (
    Fulfilment,
    LedgerEntry,
    LedgerTransaction,
    Order,
    Payout,
    PayoutItem,
    User,
    utcnow,
)
from marketplace.orders import service as orders
from marketplace.orders.service import refunds
from marketplace.payments import ledger
from marketplace.payouts import check, earnings
from tests.factories import cart_with, create_group, create_product, create_user, placed_order
from tests.helpers import delivered_mail, fresh
from tests.helpers.api import bearer, problem
from tests.helpers.concurrency import race
from tests.helpers.payments import pay_with_webhook, place

RUNS = "/api/v1/payouts/runs"


def paying_group(session, **overrides):
    """A verified group whose ABA account an administrator verified."""
    return create_group(session, payout_method="aba", payout_account_name="Kuoy Weavers",
                        payout_account_number="000123456", payout_verified_at=utcnow(),
                        **overrides)


def sale(session, settings, group, price_cents=5000, delivered_days_ago=None) -> Order:
    """A paid order of one piece of the group's; delivered that many days ago, if given."""
    piece = create_product(session, group=group, price_cents=price_cents, stock_on_hand=5)
    order = placed_order(session, settings, cart_with(session, [(piece, 1)]))
    order.payment_intent_id = f"pi_test_{order.number}"  # as the webhook records it
    assert orders.mark_paid(session=session, settings=settings, order=order)
    if delivered_days_ago is not None:
        parcel = session.exec(select(Fulfilment).where(Fulfilment.order_id == order.id)).one()
        parcel.shipped_at = utcnow() - timedelta(days=delivered_days_ago + 2)
        parcel.delivered_at = utcnow() - timedelta(days=delivered_days_ago)
        session.add(parcel)
    session.commit()
    return order


def earned(session, order) -> int:
    """The group's ledger entry for the order's payment."""
    return session.exec(select(LedgerEntry.amount_cents).join(
        LedgerTransaction, LedgerTransaction.id == LedgerEntry.transaction_id).where(
        LedgerTransaction.order_id == order.id,
        LedgerEntry.account.startswith("producer:"))).one()


@pytest.fixture
def admins(session):
    return create_user(session, role=["admin"]), create_user(session, role=["admin"])


def test_delivered_money_is_paid_after_approval_and_sent_once(client, session, settings,
                                                              engine, admins):
    group = paying_group(session)
    old = sale(session, settings, group, delivered_days_ago=30)
    sale(session, settings, group)  # paid, not delivered: pending
    fresh(session)
    figures = earnings.balances(session, settings, group.id)
    owed = earned(session, old)  # $50 less the 10% commission, plus the parcel's shipping
    assert owed == 4500 + session.exec(select(Fulfilment.shipping_cents).where(
        Fulfilment.order_id == old.id)).one()
    assert (figures.available_cents, figures.pending_cents) == (owed, owed)
    maker, checker = (bearer(client, a) for a in admins)

    made = client.post(RUNS, headers=maker, json={})
    assert made.status_code == 201, made.text
    run = made.json()
    [payout] = run["payouts"]
    assert (payout["amount_cents"], payout["currency"], payout["rail"]) == (owed, "USD", "bank")
    assert problem(client.post(f"{RUNS}/{run['id']}/approve", headers=maker), 403)
    assert problem(client.get(f"{RUNS}/{run['id']}/export", headers=maker), 409)
    assert problem(client.post(RUNS, headers=maker, json={}), 409)  # nothing left to pay
    assert client.post(f"{RUNS}/{run['id']}/approve", headers=checker).status_code == 200

    exported = client.get(f"{RUNS}/{run['id']}/export?rail=bank", headers=maker)
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert [(r["account_number"], r["currency"], r["amount_minor"], r["amount"])
            for r in rows] == [("000123456", "USD", str(owed), f"{owed // 100}.{owed % 100:02d}")]

    sent = client.post(f"/api/v1/payouts/{payout['id']}/sent", headers=checker,
                       json={"reference": "aba trf 771"})
    assert sent.json()["status"] == "sent" and sent.json()["reference"] == "ABA TRF 771"
    assert problem(client.post(f"/api/v1/payouts/{payout['id']}/sent", headers=checker,
                               json={"reference": "ABA TRF 772"}), 409)
    assert client.get(f"{RUNS}/{run['id']}", headers=maker).json()["status"] == "closed"
    fresh(session)
    second_group = paying_group(session)
    sale(session, settings, second_group, delivered_days_ago=30)
    other_run = client.post(RUNS, headers=maker, json={}).json()
    client.post(f"{RUNS}/{other_run['id']}/approve", headers=checker)
    reused = client.post(f"/api/v1/payouts/{other_run['payouts'][0]['id']}/sent",
                         headers=checker, json={"reference": "ABA TRF 771"})
    assert "already recorded" in problem(reused, 409)["detail"]
    fresh(session)
    figures = earnings.balances(session, settings, group.id)
    assert (figures.available_cents, figures.pending_cents, figures.paid_cents) == \
        (0, owed, owed)
    assert ledger.group_payable(session=session, group_id=group.id) == owed  # the pending one
    assert ledger.unbalanced_transactions(session=session) == []
    [mail] = [m for m in delivered_mail(engine, settings) if "has been paid" in m["subject"]]
    assert "ABA TRF 771" in mail.get_content()
    leader = bearer(client, session.get(User, group.leader_id))
    mine = client.get(f"/api/v1/producer-groups/{group.id}/earnings", headers=leader).json()
    assert (mine["paid_cents"], mine["pending_cents"]) == (owed, owed)
    fresh(session)
    other = paying_group(session)  # a group of which the leader is not a member
    assert client.get(f"/api/v1/producer-groups/{other.id}/earnings",
                      headers=leader).status_code == 403


def test_two_runs_at_once_never_pay_an_entry_twice(client, session, settings, live_server,
                                                   admins):
    groups = [paying_group(session) for _ in range(3)]
    owed = {}
    for group in groups:
        orders_of_group = [sale(session, settings, group, delivered_days_ago=40),
                           sale(session, settings, group, price_cents=7000,
                                delivered_days_ago=35)]
        owed[group.id] = sum(earned(session, o) for o in orders_of_group)
    maker = bearer(client, admins[0])
    answers = race([lambda: httpx.post(f"{live_server}{RUNS}", headers=maker, json={},
                                       timeout=60) for _ in range(4)])
    codes = sorted(a.value.status_code for a in answers)
    assert codes[0] == 201 and set(codes) <= {201, 409}, [a.value.text for a in answers]
    fresh(session)
    entries = session.exec(select(PayoutItem.entry_id)).all()
    assert len(entries) == len(set(entries)) == 6
    for group in groups:
        paid = session.exec(select(Payout.amount_cents).where(Payout.group_id == group.id)).all()
        assert sum(paid) == owed[group.id]
    assert ledger.unbalanced_transactions(session=session) == []


def test_a_refund_after_payout_is_netted_and_a_failed_payout_releases_its_entries(
        client, session, settings, admins):
    group = paying_group(session)
    order = sale(session, settings, group, delivered_days_ago=30)
    maker, checker = (bearer(client, a) for a in admins)
    first = client.post(RUNS, headers=maker, json={}).json()
    client.post(f"{RUNS}/{first['id']}/approve", headers=checker)
    client.post(f"/api/v1/payouts/{first['payouts'][0]['id']}/sent", headers=checker,
                json={"reference": "R-1"})

    # The buyer is refunded $20 after the group was paid: its balance goes negative ...
    fresh(session)
    admin = session.get(User, admins[0].id)
    refund = refunds.request_refund(session=session, actor=admin, order=session.get(
        Order, order.id), amount_cents=2000, reason="Arrived damaged")
    assert refunds.settle(session=session, refund=refund, stripe_refund_id="re_after_payout")
    session.commit()
    fresh(session)
    taken_back = session.exec(select(func.sum(LedgerEntry.amount_cents)).join(
        LedgerTransaction, LedgerTransaction.id == LedgerEntry.transaction_id).where(
        LedgerTransaction.refund_id == refund.id,
        LedgerEntry.account == ledger.producer_account(group.id))).one()
    assert -2000 < taken_back < -1700  # the group's share of $20 (less commission)
    assert earnings.balances(session, settings, group.id).available_cents == taken_back
    assert problem(client.post(RUNS, headers=maker, json={}), 409)  # nothing to pay
    # ... and the next sale's payout nets it.
    third_sale = sale(session, settings, group, price_cents=6000, delivered_days_ago=20)
    later = earned(session, third_sale)
    second = client.post(RUNS, headers=maker, json={}).json()
    assert second["payouts"][0]["amount_cents"] == later + taken_back
    client.post(f"{RUNS}/{second['id']}/approve", headers=checker)

    # The bank returns the second payout: exactly its two entries are available again.
    payout_id = second["payouts"][0]["id"]
    failed = client.post(f"/api/v1/payouts/{payout_id}/failed", headers=checker,
                         json={"reason": "Account closed"})
    assert failed.json()["status"] == "failed"
    assert problem(client.post(f"/api/v1/payouts/{payout_id}/sent", headers=checker,
                               json={"reference": "R-2"}), 409)
    fresh(session)
    assert earnings.balances(session, settings, group.id).available_cents == later + taken_back
    third = client.post(RUNS, headers=maker, json={}).json()
    assert sorted(third["payouts"][0]["entry_ids"]) == sorted(
        second["payouts"][0]["entry_ids"])
    fresh(session)
    assert ledger.unbalanced_transactions(session=session) == []


def test_riel_payouts_need_a_rate_and_book_their_rounding(client, session, settings, admins):
    group = paying_group(session, payout_currency="KHR")
    owed = earned(session, sale(session, settings, group, price_cents=1234,
                                delivered_days_ago=30))
    maker = bearer(client, admins[0])
    refused = problem(client.post(RUNS, headers=maker, json={}), 422)
    assert "enter the rate" in str(refused)
    run = client.post(RUNS, headers=maker, json={"khr_per_usd": 4100}).json()
    [payout] = run["payouts"]
    # at 4100 riel a dollar, rounded half up to 100 riel; the difference in cents booked
    sent_riel = (owed * 41 + 50) // 100 * 100
    sent_cents = (sent_riel * 100 + 2050) // 4100
    assert (payout["currency"], payout["amount_minor"], payout["amount_cents"],
            payout["rounding_cents"]) == ("KHR", sent_riel, owed, owed - sent_cents)
    assert sent_riel % 100 == 0 and abs(sent_riel - owed * 41) <= 50
    fresh(session)
    assert ledger.balance(session=session, account="payout_rounding") == owed - sent_cents
    assert ledger.unbalanced_transactions(session=session) == []


def test_a_changed_destination_holds_payouts(client, session, settings, admins):
    group = paying_group(session, payout_changed_at=utcnow() - timedelta(days=1))
    sale(session, settings, group, delivered_days_ago=30)
    assert problem(client.post(RUNS, headers=bearer(client, admins[0]), json={}), 409)
    fresh(session)
    group = session.get(type(group), group.id)
    group.payout_changed_at = utcnow() - timedelta(days=settings.payout_hold_days + 1)
    session.add(group)
    session.commit()
    assert client.post(RUNS, headers=bearer(client, admins[0]), json={}).status_code == 201


def test_ledger_check_finds_what_does_not_add_up(session, settings, cli_env):
    group = paying_group(session)
    sale(session, settings, group, delivered_days_ago=30)
    runner = CliRunner()
    ok = runner.invoke(cli, ["ledger", "check", "--no-stripe"])
    assert ok.exit_code == 0, ok.output
    assert "no difference" in ok.output
    entry = session.exec(select(LedgerEntry).where(LedgerEntry.account == "commission")).first()
    session.add(LedgerEntry(transaction_id=entry.transaction_id, account="commission",
                            amount_cents=1))
    session.commit()
    bad = runner.invoke(cli, ["ledger", "check", "--no-stripe"])
    assert bad.exit_code == 1 and f"transaction {entry.transaction_id}" in bad.output


def test_ledger_check_compares_card_money_with_stripe(client, session, settings, gateway,
                                                     stripe_api, cli_env):
    group = paying_group(session)
    piece = create_product(session, group=group, price_cents=4000, stock_on_hand=3)
    order = place(session, settings, [(piece, 1)])
    intent = pay_with_webhook(client, session, settings, gateway, stripe_api, order)
    report = check.run(session, gateway)
    assert report.ok, report.differences
    assert report.card_at_stripe_cents == report.card_in_ledger_cents == order.total_cents
    # A refund made at Stripe's dashboard that never reached this marketplace:
    stripe_api.v1.refunds.create({"payment_intent": intent["id"], "amount": 500})
    fresh(session)
    report = check.run(session, gateway)
    assert not report.ok
    assert f"Stripe holds {order.total_cents - 500} cents" in report.differences[0]


def test_a_sale_refunded_before_it_ships_takes_nothing_from_the_rest(client, session,
                                                                     settings, admins):
    group = paying_group(session)
    delivered = sale(session, settings, group, delivered_days_ago=30)
    cancelled = sale(session, settings, group)  # paid, never shipped
    fresh(session)
    admin = session.get(User, admins[0].id)
    refund = refunds.request_refund(session=session, actor=admin,
                                    order=session.get(Order, cancelled.id),
                                    reason="The buyer cancelled before it was made")
    assert refunds.settle(session=session, refund=refund, stripe_refund_id="re_before_ship")
    session.commit()
    fresh(session)
    figures = earnings.balances(session, settings, group.id)
    assert (figures.available_cents, figures.pending_cents) == (earned(session, delivered), 0)

    # A draft run's payout cannot be marked failed: the draft is cancelled instead, whole.
    maker = bearer(client, admins[0])
    run = client.post(RUNS, headers=maker, json={}).json()
    payout_id = run["payouts"][0]["id"]
    assert problem(client.post(f"/api/v1/payouts/{payout_id}/failed", headers=maker,
                               json={"reason": "too early"}), 409)
    cancelled_run = client.post(f"{RUNS}/{run['id']}/cancel", headers=maker).json()
    assert cancelled_run["status"] == "cancelled"
    assert cancelled_run["payouts"][0]["status"] == "failed"
    fresh(session)
    assert earnings.balances(session, settings, group.id).available_cents == \
        earned(session, delivered)
    assert ledger.unbalanced_transactions(session=session) == []
