"""Money never moves at Stripe without being recorded here: the refund or payment attempt is
committed before localstripe is called, and when the call or the recording of its answer
fails, ``marketplace worker`` (jobs.run_once) finishes it by asking localstripe. Afterwards
the refund, the order, the ledger and localstripe agree, and nothing was done twice."""

from datetime import timedelta

import pytest
from sqlalchemy import func
from sqlmodel import select

from marketplace import jobs
from marketplace.db import transaction
from marketplace.models import LedgerTransaction, Order, PaymentAttempt, Refund, User, utcnow
from marketplace.orders import service as orders
from marketplace.orders.service import flows, refunds
from marketplace.orders.service import payment as card
from marketplace.payments import ledger
from marketplace.payments.gateway import GatewayUnavailable
from tests.factories import create_product, create_user
from tests.helpers import fresh
from tests.helpers.payments import card as card_method
from tests.helpers.payments import pay_with_webhook, place, reload

LATER = timedelta(minutes=10)  # the worker runs after the retry delays have passed


def worker_pass(engine, settings, gateway):
    return jobs.run_once(engine, settings, gateway, now=utcnow() + LATER)


def count(session, model, *where) -> int:
    fresh(session)
    return session.exec(select(func.count()).select_from(model).where(*where)).one()


@pytest.fixture
def paid(client, session, settings, gateway, stripe_api):
    order = place(session, settings, [(create_product(session, price_cents=2500), 2)])
    pay_with_webhook(client, session, settings, gateway, stripe_api, order)
    return reload(session, order), create_user(session, role=["admin"])


def refund_as_admin(engine, gateway, admin, order, **kwargs) -> Refund:
    with transaction(engine) as db:
        return flows.refund(session=db, gateway=gateway, actor=db.get(User, admin.id),
                            order=db.get(Order, order.id), **kwargs)


def agree(session, gateway, order: Order, refunded: int) -> Order:
    """The order, its refunds, the ledger and localstripe tell the same story."""
    order = reload(session, order)
    at_stripe = gateway.refunds_of(order.payment_intent_id)
    assert sum(r.amount_cents for r in at_stripe) == refunded
    ours = session.exec(select(Refund).where(Refund.order_id == order.id,
                                             Refund.status == "succeeded")).all()
    assert sorted(r.stripe_refund_id for r in ours) == sorted(r.id for r in at_stripe)
    assert order.refunded_cents == refunded
    assert ledger.unbalanced_transactions(session=session) == []
    assert ledger.balance(session=session, account="buyer") == -order.total_cents + refunded
    assert count(session, LedgerTransaction, LedgerTransaction.kind == "refund") == len(ours)
    return order


def test_stripe_refunded_but_the_recording_failed(engine, session, settings, gateway, paid,
                                                  monkeypatch):
    order, admin = paid
    real = refunds.record_answer

    def crash(**_kwargs):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(refunds, "record_answer", crash)
    refund = refund_as_admin(engine, gateway, admin, order, amount_cents=1000)
    assert refund.status == "pending"
    assert len(gateway.refunds_of(order.payment_intent_id)) == 1  # the money moved ...
    held = reload(session, order)
    assert (held.status, held.refunded_cents) == ("paid", 1000)  # ... and it is on record
    assert count(session, LedgerTransaction, LedgerTransaction.kind == "refund") == 0

    monkeypatch.setattr(refunds, "record_answer", real)
    assert worker_pass(engine, settings, gateway).refunds == 1
    done = agree(session, gateway, order, 1000)
    assert done.status == "partly_refunded"
    assert worker_pass(engine, settings, gateway).refunds == 0  # nothing left to do


def test_recorded_but_stripe_never_got_it(engine, session, settings, gateway, paid,
                                          monkeypatch):
    order, admin = paid

    def unreachable(**_kwargs):
        raise GatewayUnavailable("connection refused")

    monkeypatch.setattr(gateway, "refund", unreachable)
    refund = refund_as_admin(engine, gateway, admin, order)  # the whole order
    assert refund.status == "pending"
    assert gateway.refunds_of(order.payment_intent_id) == []
    assert reload(session, order).refunded_cents == order.total_cents  # held: no 2nd refund

    monkeypatch.undo()
    assert worker_pass(engine, settings, gateway).refunds == 1
    assert agree(session, gateway, order, order.total_cents).status == "refunded"
    assert len(gateway.refunds_of(order.payment_intent_id)) == 1


def test_stripe_got_it_but_the_answer_was_lost(engine, session, settings, gateway, paid,
                                               monkeypatch):
    order, admin = paid
    real = gateway.refund

    def answer_lost(**kwargs):
        real(**kwargs)
        raise GatewayUnavailable("read timeout")

    monkeypatch.setattr(gateway, "refund", answer_lost)
    refund = refund_as_admin(engine, gateway, admin, order, amount_cents=700)
    assert refund.status == "pending"
    monkeypatch.undo()
    assert worker_pass(engine, settings, gateway).refunds == 1
    agree(session, gateway, order, 700)  # found by its id at Stripe: not refunded twice


def test_a_refused_refund_gives_the_held_amount_back(engine, session, settings, gateway, paid):
    order, admin = paid
    stored = session.get(Order, order.id)
    real_intent = stored.payment_intent_id
    stored.payment_intent_id = "pi_unknown_to_stripe"  # the processor will refuse it
    session.add(stored)
    session.commit()
    refund = refund_as_admin(engine, gateway, admin, order, amount_cents=900)
    assert refund.status == "failed" and refund.failure
    back = reload(session, order)
    assert (back.status, back.refunded_cents) == ("paid", 0)
    assert all(line.refunded_cents == 0
               for line in orders.lines_of(session=session, order_id=order.id))
    assert count(session, LedgerTransaction, LedgerTransaction.kind == "refund") == 0
    stored = session.get(Order, order.id)
    stored.payment_intent_id = real_intent
    session.add(stored)
    session.commit()
    assert refund_as_admin(engine, gateway, admin, order, amount_cents=900).status == \
        "succeeded"  # the amount is available again
    agree(session, gateway, order, 900)


# --- payments ---------------------------------------------------------------------------------

def pay(engine, gateway, order: Order, method: str):
    with transaction(engine) as db:
        return flows.pay(session=db, gateway=gateway, order=db.get(Order, order.id),
                         payment_method=method)


def test_charged_but_the_recording_failed(engine, session, settings, gateway, stripe_api,
                                          monkeypatch):
    order = place(session, settings, [(create_product(session, price_cents=4000), 1)])

    def crash(**_kwargs):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(card, "confirmed", crash)
    with pytest.raises(RuntimeError):
        pay(engine, gateway, order, card_method(stripe_api))  # no webhook in this test
    attempt = session.exec(select(PaymentAttempt)).one()
    assert attempt.status == "created" and attempt.intent_id  # on record before the charge
    assert stripe_api.v1.payment_intents.retrieve(attempt.intent_id).status == "succeeded"
    assert reload(session, order).status == "pending_payment"

    monkeypatch.undo()
    assert worker_pass(engine, settings, gateway).payments == 1
    paid = reload(session, order)
    assert paid.status == "paid" and paid.payment_intent_id == attempt.intent_id
    assert count(session, LedgerTransaction, LedgerTransaction.kind == "payment") == 1
    assert ledger.balance(session=session, account="buyer") == -paid.total_cents
    assert session.exec(select(PaymentAttempt.status)).one() == "confirmed"


def test_recorded_but_the_charge_never_started(engine, session, settings, gateway, stripe_api,
                                               monkeypatch):
    order = place(session, settings, [(create_product(session, price_cents=4000), 1)])

    def unreachable(_intent_id):
        raise GatewayUnavailable("connection refused")

    monkeypatch.setattr(gateway, "confirm_intent", unreachable)
    with pytest.raises(GatewayUnavailable):
        pay(engine, gateway, order, card_method(stripe_api))
    monkeypatch.undo()
    assert worker_pass(engine, settings, gateway).payments == 1
    fresh(session)
    attempt = session.exec(select(PaymentAttempt)).one()
    assert attempt.status == "abandoned"  # never charged: closed, the buyer may pay again
    assert reload(session, order).status == "pending_payment"
    pay(engine, gateway, order, card_method(stripe_api))
    assert worker_pass(engine, settings, gateway).payments == 0  # confirmed and final


def test_a_second_payment_waits_for_the_first(engine, session, settings, gateway, stripe_api):
    order = place(session, settings, [(create_product(session, price_cents=4000), 1)])
    with transaction(engine) as db:
        card.begin(session=db, order=db.get(Order, order.id),
                   payment_method=card_method(stripe_api))  # a press still under way
    with pytest.raises(card.PaymentInProgress):
        pay(engine, gateway, order, card_method(stripe_api))
    assert worker_pass(engine, settings, gateway).payments == 1  # the stuck one is closed
    intent = pay(engine, gateway, order, card_method(stripe_api))
    assert intent.status == "succeeded"


# --- five admins refund one order at the same moment, through the pages ----------------------

def test_five_concurrent_html_refunds_never_exceed_what_was_paid(live_server, session, settings,
                                                                 gateway, paid):
    from tests.helpers import csrf_from, login
    from tests.helpers.concurrency import ANSWER_WITHIN, HealthProbe, browsers, race, report

    order, _admin = paid
    admins = browsers(live_server, 5)
    tokens = []
    for client in admins:
        login(client, create_user(session, role=["admin"]).email)
        tokens.append(csrf_from(client.get(f"/admin/orders/{order.number}").text))
    amount = order.total_cents * 2 // 5  # five times 40% of the order
    dollars = f"{amount // 100}.{amount % 100:02d}"

    def refund(client, token):
        return client.post(f"/admin/orders/{order.number}/refund", data={
            "csrf_token": token, "amount": dollars, "reason": "arrived broken"})

    with HealthProbe(live_server) as probe:
        results = race([lambda c=c, t=t: refund(c, t) for c, t in zip(admins, tokens,
                                                                       strict=True)])
    report("5 concurrent HTML refunds of one order", results, probe)
    probe.assert_healthy()
    assert not [r.value for r in results if isinstance(r.value, Exception)]
    assert max(r.seconds for r in results) < ANSWER_WITHIN
    assert {r.value.status_code for r in results} <= {303, 422}  # 422: the form, with why
    shown = [admins[i].get(r.value.headers["location"]).text if r.value.status_code == 303
             else r.value.text for i, r in enumerate(results)]
    for client in admins:
        client.close()
    succeeded = count(session, Refund, Refund.status == "succeeded")
    assert 1 <= succeeded <= 2  # 2 x 40% fit in what was paid, 3 would not
    assert sum("Refunded $" in page for page in shown) == succeeded
    assert all("Refunded $" in page or "Another refund of this order" in page
               or "would be more than what was paid" in page
               or "what is left on the order" in page for page in shown)
    agree(session, gateway, order, amount * succeeded)


# --- refunds the processor has not finished, and refunds made at Stripe meanwhile -------------

def refund_event(client, settings, kind: str, refund, order: Order):
    from tests.helpers.payments import event, post_event

    return post_event(client, settings, event(kind, {
        "id": refund.id, "object": "refund", "amount": refund.amount_cents,
        "status": refund.status, "payment_intent": order.payment_intent_id,
        "metadata": refund.metadata}))


def test_a_refund_pending_at_stripe_is_booked_only_when_it_succeeds(
        engine, client, session, settings, gateway, paid, monkeypatch):
    from dataclasses import replace

    order, admin = paid
    real = gateway.refund
    answers = []

    def pending_at_stripe(**kwargs):
        answers.append(real(**kwargs))
        return replace(answers[-1], status="pending")

    monkeypatch.setattr(gateway, "refund", pending_at_stripe)
    assert refund_as_admin(engine, gateway, admin, order, amount_cents=800).status == "pending"
    assert count(session, LedgerTransaction, LedgerTransaction.kind == "refund") == 0
    assert reload(session, order).status == "paid"

    done = refund_event(client, settings, "charge.refund.updated", answers[0], order)
    assert done.json()["outcome"] == "1 refund(s) recorded"
    assert agree(session, gateway, order, 800).status == "partly_refunded"

    # Later the bank says the refund failed after all (a closed card): a person must act.
    failed = refund_event(client, settings, "refund.failed",
                          replace(answers[0], status="failed"), order)
    assert failed.json()["outcome"].startswith("needs attention")
    assert reload(session, order).refunded_cents == 800  # the books are not rewritten


def test_a_refund_made_at_stripe_while_ours_is_pending_is_recorded_later(
        engine, client, session, settings, gateway, stripe_api, paid, monkeypatch):
    from tests.helpers.payments import event, post_event

    order, admin = paid

    def unreachable(**_kwargs):
        raise GatewayUnavailable("connection refused")

    monkeypatch.setattr(gateway, "refund", unreachable)
    assert refund_as_admin(engine, gateway, admin, order, amount_cents=1000).status == \
        "pending"
    monkeypatch.undo()
    dashboard = stripe_api.v1.refunds.create({"payment_intent": order.payment_intent_id,
                                              "amount": 500})
    charge = {"id": "ch_any", "object": "charge", "payment_intent": order.payment_intent_id,
              "refunds": {"object": "list", "data": [
                  {"id": dashboard.id, "amount": 500, "status": "succeeded"}]}}
    payload = event("charge.refunded", charge, event_id="evt_dashboard_refund")
    early = post_event(client, settings, payload)
    assert early.status_code == 409  # not stored: Stripe sends it again later
    assert worker_pass(engine, settings, gateway).refunds == 1  # ours is sent and settled
    again = post_event(client, settings, payload)
    assert again.json()["outcome"] == "1 refund(s) recorded"
    agree(session, gateway, order, 1500)


def test_the_webhook_and_the_worker_pay_a_cancelled_order_once(engine, session, settings,
                                                               gateway, stripe_api):
    """A payment that succeeds after the order was cancelled as unpaid, seen at the same
    moment by the webhook and by the worker: the order is paid once, the ledger once."""
    import threading

    order = place(session, settings, [(create_product(session, price_cents=4000,
                                                      stock_on_hand=3), 1)])
    admin = create_user(session, role=["admin"])
    with transaction(engine) as db:  # cancelled as unpaid (an admin, or the reservation)
        orders.cancel_unpaid(session=db, actor=db.get(User, admin.id),
                             order=db.get(Order, order.id))
    intent = flows_charge(gateway, stripe_api, order)
    barrier = threading.Barrier(4)
    outcomes = []

    def apply() -> None:
        barrier.wait()
        with transaction(engine) as db:
            outcomes.append(card.apply_succeeded(
                session=db, settings=settings, order=db.get(Order, order.id),
                intent_id=intent.id, amount_cents=intent.amount_cents, currency="usd"))

    threads = [threading.Thread(target=apply) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["order already paid"] * 3 + ["order paid"], outcomes
    assert reload(session, order).status == "paid"
    assert count(session, LedgerTransaction, LedgerTransaction.kind == "payment") == 1


def flows_charge(gateway, stripe_api, order: Order):
    """A successful charge at localstripe for the order's total (as the pay page makes)."""
    intent = gateway.create_intent(amount_cents=order.total_cents, currency="usd",
                                   order_number=order.number,
                                   payment_method=card_method(stripe_api),
                                   idempotency_key=f"late-{order.number}")
    return gateway.confirm_intent(intent.id)
