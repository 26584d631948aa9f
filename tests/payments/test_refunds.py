"""Refunds through localstripe: per line (partly, then fully), refused over-refunds, the rest of
the order, and concurrent refunds of one line. After every step the ledger balances, each
group is owed exactly what is left of its lines (minus what is left of their commission)
plus its shipping, and Stripe refunded exactly what the database says."""

import threading

import pytest
from sqlalchemy import func
from sqlmodel import select

from marketplace.db import transaction
from marketplace.errors import Conflict, Forbidden, InvalidTransition, ValidationFailed
from marketplace.models import LedgerTransaction, Order, Refund, User
from marketplace.orders import service as orders
from marketplace.orders.service import flows
from marketplace.payments import ledger
from marketplace.payments.pricing import refund_split
from tests.factories import create_group, create_product, create_user
from tests.helpers import fresh
from tests.helpers.payments import pay_with_webhook, place, reload


class Books:
    """What the test expects, kept independently of the refund service: each line's refund
    parts (so its refunded commission can be recomputed with ``refund_split``)."""

    def __init__(self, session, gateway, order: Order) -> None:
        self.session, self.gateway, self.order = session, gateway, order
        self.parts: dict[int, list[int]] = {}
        self.refunded = self._line_refunds()

    def _line_refunds(self) -> dict[int, int]:
        fresh(self.session)
        return {line.id: line.refunded_cents
                for line in orders.lines_of(session=self.session, order_id=self.order.id)}

    def note_step(self) -> None:
        """Record how much each line was refunded by the step that just ran."""
        now = self._line_refunds()
        for line_id, cents in now.items():
            if cents != self.refunded[line_id]:
                self.parts.setdefault(line_id, []).append(cents - self.refunded[line_id])
        self.refunded = now

    def check(self) -> Order:
        session = self.session
        order = reload(session, self.order)
        assert ledger.unbalanced_transactions(session=session) == []
        lines = orders.lines_of(session=session, order_id=order.id)
        for fulfilment in orders.fulfilments_of(session=session, order_id=order.id):
            owed = 0 if order.status == "refunded" else fulfilment.shipping_cents
            for line in (x for x in lines if x.group_id == fulfilment.group_id):
                # however it was refunded in pieces, the commission taken back is the
                # line's commission in proportion to what was refunded, rounded once
                commission_back = refund_split(line.refunded_cents, line.line_total_cents,
                                               line.commission_cents)[1]
                if line.refunded_cents == line.line_total_cents:
                    assert commission_back == line.commission_cents
                owed += (line.line_total_cents - line.refunded_cents) - \
                    (line.commission_cents - commission_back)
            assert ledger.group_payable(session=session, group_id=fulfilment.group_id) == owed
        assert sum(line.refunded_cents for line in lines) <= order.refunded_cents
        at_stripe = self.gateway.refunds_of(order.payment_intent_id)
        assert sum(r.amount_cents for r in at_stripe) == order.refunded_cents
        ours = session.exec(select(Refund.stripe_refund_id).where(
            Refund.order_id == order.id, Refund.status == "succeeded")).all()
        assert sorted(ours) == sorted(r.id for r in at_stripe)
        assert session.exec(select(Refund).where(Refund.status == "pending")).all() == []
        return order


def run_refund(engine, gateway, admin_id: int, order_id: int, **kwargs) -> Refund:
    """One refund with its own session, like an admin's request (which commits the refund
    before the processor is called)."""
    with transaction(engine) as db:
        return flows.refund(session=db, gateway=gateway, actor=db.get(User, admin_id),
                            order=db.get(Order, order_id), **kwargs)


@pytest.fixture
def paid_order(client, session, settings, gateway, stripe_api):
    group_a, group_b = create_group(session), create_group(session)
    scarf = create_product(session, group=group_a, price_cents=3333, stock_on_hand=5)
    basket = create_product(session, group=group_b, price_cents=1999, stock_on_hand=5)
    order = place(session, settings, [(scarf, 2), (basket, 1)])
    pay_with_webhook(client, session, settings, gateway, stripe_api, order)
    return reload(session, order)


def test_line_refunds_then_the_rest(engine, session, gateway, paid_order):
    admin = create_user(session, role=["admin"])
    order = paid_order
    books = Books(session, gateway, order)
    books.check()
    scarf_line, basket_line = orders.lines_of(session=session, order_id=order.id)
    assert scarf_line.line_total_cents == 6666 and basket_line.line_total_cents == 1999

    run_refund(engine, gateway, admin.id, order.id, line_id=scarf_line.id, amount_cents=1234,
               reason="one scarf arrived torn")
    books.note_step()
    assert books.check().status == "partly_refunded"

    run_refund(engine, gateway, admin.id, order.id, line_id=scarf_line.id)  # all that is left
    books.note_step()
    assert books.check().refunded_cents == 6666

    ledger_rows = session.exec(select(func.count()).select_from(LedgerTransaction)).one()
    stripe_refunds = len(gateway.refunds_of(order.payment_intent_id))
    too_much = [{"line_id": scarf_line.id, "amount_cents": 1},
                {"line_id": basket_line.id, "amount_cents": 2000},
                {"amount_cents": order.total_cents - 6666 + 1}]
    for kwargs in too_much:
        with pytest.raises(ValidationFailed) as refused:
            run_refund(engine, gateway, admin.id, order.id, **kwargs)
        assert refused.value.status_code == 422
    with pytest.raises(Forbidden):
        run_refund(engine, gateway, create_user(session).id, order.id)
    assert len(gateway.refunds_of(order.payment_intent_id)) == stripe_refunds
    fresh(session)
    assert session.exec(select(func.count()).select_from(LedgerTransaction)).one() == ledger_rows
    assert books.check().refunded_cents == 6666

    run_refund(engine, gateway, admin.id, order.id)  # the rest: the basket and the shipping
    books.note_step()
    done = books.check()
    assert (done.status, done.refunded_cents) == ("refunded", order.total_cents)
    for fulfilment in orders.fulfilments_of(session=session, order_id=order.id):
        assert ledger.group_payable(session=session, group_id=fulfilment.group_id) == 0
    assert ledger.balance(session=session, account="buyer") == 0
    with pytest.raises(InvalidTransition):
        run_refund(engine, gateway, admin.id, order.id, amount_cents=1)


def test_concurrent_refunds_never_exceed_what_was_paid(engine, client, session, settings,
                                                       gateway, stripe_api):
    admin = create_user(session, role=["admin"])
    order = place(session, settings, [(create_product(session, price_cents=2500), 2)])
    pay_with_webhook(client, session, settings, gateway, stripe_api, order)
    line = orders.lines_of(session=session, order_id=order.id)[0]
    books = Books(session, gateway, order)
    threads_count = 8
    barrier = threading.Barrier(threads_count)
    outcomes: list[str] = []

    def refund_1500() -> None:
        barrier.wait()
        try:
            run_refund(engine, gateway, admin.id, order.id, line_id=line.id, amount_cents=1500)
            outcomes.append("refunded")
        except (Conflict, ValidationFailed):  # InvalidTransition is a Conflict too
            outcomes.append("refused")
        except Exception as exc:  # noqa: BLE001 - any other error is a failure to report
            outcomes.append(f"error: {type(exc).__name__}: {exc}")

    threads = [threading.Thread(target=refund_1500) for _ in range(threads_count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # One refund of an order is processed at a time: the others are told to wait (or that
    # there is not enough left), and what was refunded never exceeds what was paid.
    refunded = outcomes.count("refunded")
    assert 1 <= refunded <= 3 and outcomes.count("refused") == threads_count - refunded, \
        outcomes
    books.parts[line.id] = [1500] * refunded
    order = books.check()
    assert order.refunded_cents == 1500 * refunded
    assert reload(session, order).status == "partly_refunded"
    assert len(gateway.refunds_of(order.payment_intent_id)) == refunded


def test_whole_order_refunded_in_two_steps_leaves_every_group_at_zero(engine, session, gateway,
                                                                     paid_order):
    admin = create_user(session, role=["admin"])
    order = paid_order
    run_refund(engine, gateway, admin.id, order.id, amount_cents=6043, reason="first part")
    run_refund(engine, gateway, admin.id, order.id, reason="the rest")
    order = reload(session, order)
    assert order.status == "refunded" and order.refunded_cents == order.total_cents
    for line in orders.lines_of(session=session, order_id=order.id):
        assert line.refunded_cents == line.line_total_cents
    for fulfilment in orders.fulfilments_of(session=session, order_id=order.id):
        assert fulfilment.shipping_refunded_cents == fulfilment.shipping_cents
        assert ledger.group_payable(session=session, group_id=fulfilment.group_id) == 0
    assert ledger.unbalanced_transactions(session=session) == []
