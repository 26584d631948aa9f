"""Checkout: placing an order from a cart snapshots and splits its lines, re-reads prices,
honours the Idempotency-Key, refuses what is not for sale and never oversells."""

import threading
from datetime import timedelta

import pytest
from sqlalchemy import func
from sqlmodel import select

from marketplace.checkout import service as checkout
from marketplace.db import transaction
from marketplace.errors import InsufficientStock, ValidationFailed
from marketplace.models import Order, Product, utcnow
from marketplace.orders import service as orders
from tests.factories import (
    address,
    cart_with,
    create_group,
    create_product,
)
from tests.factories import placed_order as place


def test_order_snapshots_lines_and_splits_them(session, settings):
    group_a, group_b = create_group(session), create_group(session)
    scarf = create_product(session, group=group_a, price_cents=2500, weight_grams=200,
                           makers=["Sreymom", "Dara"])
    jar = create_product(session, group=group_b, price_cents=4000, weight_grams=1500,
                         certified_until=utcnow() + timedelta(days=300))
    order = place(session, settings, cart_with(session, [(scarf, 2), (jar, 1)]))
    lines = orders.lines_of(session=session, order_id=order.id)
    assert order.number.startswith("MK-") and order.subtotal_cents == 9000
    assert [f.group_id for f in orders.fulfilments_of(session=session, order_id=order.id)] == \
        [group_a.id, group_b.id]
    assert order.shipping_cents == 200 + 250  # Phnom Penh courier: 0.2 kg and 1.5 kg parcels
    assert order.total_cents == 9450
    first = lines[0]
    assert (first.title, first.group_name, first.maker) == (scarf.title, group_a.name,
                                                            "Sreymom, Dara")
    assert lines[1].certified_at_sale and not first.certified_at_sale
    for line in lines:
        assert line.producer_cents + line.commission_cents == line.line_total_cents
    assert sum(line.card_fee_cents for line in lines) == order.card_fee_cents
    assert order.commission_cents == 900  # 10% of 90.00


def test_snapshot_survives_product_changes(session, settings):
    product = create_product(session, price_cents=1000)
    order = place(session, settings, cart_with(session, [(product, 1)]))
    product.title, product.price_cents = "Renamed", 5
    session.add(product)
    session.commit()
    line = orders.lines_of(session=session, order_id=order.id)[0]
    assert (line.title, line.unit_price_cents) == ("Indigo cotton scarf", 1000)


def test_price_change_is_shown_before_paying(session, settings):
    product = create_product(session, price_cents=1000)
    cart = cart_with(session, [(product, 1)])
    quote = checkout.quote(session=session, settings=settings, cart=cart, address=address())
    product.price_cents = 1200
    session.add(product)
    session.commit()
    with pytest.raises(checkout.PriceChanged):
        place(session, settings, cart, expected_total_cents=quote.total_cents)
    session.rollback()
    assert session.exec(select(func.count()).select_from(Order)).one() == 0
    again = checkout.quote(session=session, settings=settings, cart=cart, address=address())
    assert again.price_changed and again.lines[0].unit_price_cents == 1200


def test_same_idempotency_key_returns_the_first_order(session, settings):
    product = create_product(session, stock_on_hand=3)
    cart = cart_with(session, [(product, 1)])
    first = place(session, settings, cart, idempotency_key="key-1")
    second, created = checkout.place_order(session=session, settings=settings, cart=cart,
                                         user=None, address=address(), idempotency_key="key-1")
    assert not created and second.id == first.id
    session.expire_all()
    assert session.get(Product, product.id).stock_allocated == 1


def test_archived_product_or_bad_destination_is_refused(session, settings):
    product = create_product(session)
    cart = cart_with(session, [(product, 1)])
    with pytest.raises(ValidationFailed) as info:
        checkout.place_order(session=session, settings=settings, cart=cart, user=None,
                           address=address(country="FR", shipping_option="courier"))
    assert "shipping_option" in info.value.errors
    product.status = "archived"
    session.add(product)
    session.commit()
    with pytest.raises(ValidationFailed):
        place(session, settings, cart)


def test_made_to_order_uses_monthly_capacity(session, settings):
    skirt = create_product(session, stock_mode="made_to_order", lead_time_days=45,
                           monthly_capacity=2)
    place(session, settings, cart_with(session, [(skirt, 2)]))
    with pytest.raises(InsufficientStock):
        place(session, settings, cart_with(session, [(skirt, 1)]))


def _buyers_race(engine, settings, product_id, buyers):
    outcomes = []
    barrier = threading.Barrier(buyers)
    with transaction(engine) as db:
        carts = [cart_with(db, [(db.get(Product, product_id), 1)]).id for _ in range(buyers)]

    def buy(cart_id):
        from marketplace.models import Cart

        barrier.wait()
        try:
            with transaction(engine) as db:
                checkout.place_order(session=db, settings=settings, cart=db.get(Cart, cart_id),
                                   user=None, address=address())
            outcomes.append("sold")
        except InsufficientStock:
            outcomes.append("sold out")
        except Exception as exc:  # noqa: BLE001 - any other error is a failure to report
            outcomes.append(f"error: {type(exc).__name__}: {exc}")

    threads = [threading.Thread(target=buy, args=(c,)) for c in carts]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return outcomes


def test_200_buyers_for_the_last_5_units(engine, session, settings):
    product = create_product(session, stock_on_hand=5)
    outcomes = _buyers_race(engine, settings, product.id, 200)
    assert outcomes.count("sold") == 5, [o for o in outcomes if o.startswith("error")][:3]
    assert outcomes.count("sold out") == 195
    session.expire_all()
    fresh = session.get(Product, product.id)
    assert fresh.stock_allocated == 5 and fresh.stock_on_hand == 5
