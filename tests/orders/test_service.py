"""Orders once placed: payment (stock sold, a balanced ledger), expiry, parcels."""

from datetime import timedelta

import pytest
from sqlalchemy import func
from sqlmodel import select

from marketplace.db import transaction
from marketplace.errors import InvalidTransition, ValidationFailed
from marketplace.models import (
    LedgerEntry,
    Order,
    OrderLine,
    Product,
    StockReservation,
    User,
    utcnow,
)
from marketplace.orders import service as orders
from marketplace.payments import ledger
from tests.factories import (
    add_member,
    cart_with,
    create_group,
    create_product,
    create_user,
)
from tests.factories import placed_order as place


def test_paid_order_sells_stock_writes_a_balanced_ledger(session, settings):
    group_a, group_b = create_group(session), create_group(session)
    a = create_product(session, group=group_a, price_cents=3333, stock_on_hand=2)
    b = create_product(session, group=group_b, price_cents=1999, stock_on_hand=1)
    order = place(session, settings, cart_with(session, [(a, 2), (b, 1)]))
    assert orders.mark_paid(session=session, settings=settings, order=order)
    assert not orders.mark_paid(session=session, settings=settings, order=order)  # replay
    session.commit()
    session.expire_all()
    assert session.get(Product, a.id).stock_on_hand == 0
    assert session.get(Product, a.id).stock_allocated == 0
    assert ledger.unbalanced_transactions(session=session) == []
    for group in (group_a, group_b):
        lines = session.exec(select(OrderLine).where(OrderLine.group_id == group.id)).all()
        fulfilment = [f for f in orders.fulfilments_of(session=session, order_id=order.id)
                      if f.group_id == group.id][0]
        expected = sum(x.line_total_cents - x.commission_cents for x in lines) + \
            fulfilment.shipping_cents
        assert ledger.group_payable(session=session, group_id=group.id) == expected
    assert ledger.balance(session=session, account="buyer") == -order.total_cents
    assert session.exec(select(func.count()).select_from(LedgerEntry)).one() >= 5


def test_unpaid_order_expires_and_returns_its_stock(engine, session, settings):
    product = create_product(session, stock_on_hand=1)
    order = place(session, settings, cart_with(session, [(product, 1)]))
    order.reserved_until = utcnow() - timedelta(seconds=1)
    session.add(order)
    session.commit()
    with transaction(engine) as db:
        assert orders.expire_unpaid(session=db) == 1
    with transaction(engine) as db:
        assert orders.expire_unpaid(session=db) == 0
    session.expire_all()
    assert session.get(Product, product.id).stock_allocated == 0
    assert session.get(Order, order.id).status == "cancelled"
    reservation = session.exec(select(StockReservation)).one()
    assert reservation.status == "released"


def test_fulfilment_moves_through_its_map_by_group_members_only(session, settings):
    group = create_group(session)
    member = add_member(session, group)
    outsider = create_user(session)
    order = place(session, settings, cart_with(session, [(create_product(session, group=group),
                                                          1)]))
    orders.mark_paid(session=session, settings=settings, order=order)
    session.commit()
    fulfilment = orders.fulfilments_of(session=session, order_id=order.id)[0]
    from marketplace.errors import Forbidden

    with pytest.raises(Forbidden):
        orders.set_fulfilment_status(session=session, settings=settings, actor=outsider,
                                     fulfilment=fulfilment, to="in_production")
    with pytest.raises(InvalidTransition):
        orders.set_fulfilment_status(session=session, settings=settings, actor=member,
                                     fulfilment=fulfilment, to="delivered")
    orders.set_fulfilment_status(session=session, settings=settings, actor=member,
                                 fulfilment=fulfilment, to="packed")
    with pytest.raises(ValidationFailed):
        orders.set_fulfilment_status(session=session, settings=settings, actor=member,
                                     fulfilment=fulfilment, to="shipped")
    orders.set_fulfilment_status(session=session, settings=settings, actor=member,
                                 fulfilment=fulfilment, to="shipped", carrier="J&T",
                                 tracking_number="JT123456789KH")
    assert fulfilment.status == "shipped"
    session.commit()
    assert session.get(User, group.leader_id)


def test_a_line_refunded_in_pieces_gives_back_exactly_its_commission():
    from marketplace.payments.pricing import refund_split

    line_total, commission = 6666, 667
    pieces, before, taken = [5, 5, 1, 3000, 6666 - 3011], 0, 0
    for piece in pieces:
        producer, back = refund_split(piece, line_total, commission, refunded_before=before)
        assert producer + back == piece
        before += piece
        taken += back
    assert before == line_total and taken == commission
