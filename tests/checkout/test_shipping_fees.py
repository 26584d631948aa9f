"""Honest shipping and fees (issue 14, item 3): an order abroad pays one shipment by total
weight from the packing point in Phnom Penh, each group is paid its parcel there; orders in
Cambodia keep one courier parcel per group; the card fee is on everything charged; an order
whose card fee would exceed the commission carries a small-order fee; the split adds up, in
the quote, on the summary page and in the ledger, and a full refund undoes all of it."""

from sqlmodel import select

from marketplace.checkout import service as checkout
from marketplace.checkout.service import shipping
from marketplace.models import LedgerEntry, LedgerTransaction, OutboxMessage, User
from marketplace.orders import service as orders
from marketplace.payments import ledger, pricing
from tests.factories import address, cart_with, create_group, create_product, create_user
from tests.helpers import form_post, fresh, login
from tests.helpers.api import bearer
from tests.helpers.checkout import CONTACT, checkout_post, fill_cart
from tests.helpers.payments import pay_with_webhook, reload
from tests.payments.test_refunds import run_refund

LYON = {"country": "FR", "shipping_option": "ems", "province_code": None,
        "district_code": None, "commune_code": None, "village_code": None,
        "address_line": "3 rue Mercière", "city": "Lyon", "postal_code": "69002"}


def _three_groups_cart(session):
    """$69 of goods from three groups (Ratanakiri, Mondulkiri, Kampong Thom), 2.1 kg."""
    groups = [create_group(session, province_code=code, district_code=f"{code}01",
                           commune_code=f"{code}0101", village_code=f"{code}010101")
              for code in ("16", "11", "06")]
    pieces = [create_product(session, group=groups[0], price_cents=2500, weight_grams=300),
              create_product(session, group=groups[1], price_cents=2900, weight_grams=1200),
              create_product(session, group=groups[2], price_cents=1500, weight_grams=600)]
    return groups, cart_with(session, [(piece, 1) for piece in pieces])


def _by_account(session, order_id: int) -> dict[str, int]:
    rows = session.exec(select(LedgerEntry.account, LedgerEntry.amount_cents).join(
        LedgerTransaction, LedgerTransaction.id == LedgerEntry.transaction_id).where(
        LedgerTransaction.order_id == order_id)).all()
    sums: dict[str, int] = {}
    for account, cents in rows:
        sums[account] = sums.get(account, 0) + cents
    return sums


def test_abroad_one_shipment_by_total_weight_and_the_groups_paid_to_phnom_penh(session,
                                                                               settings):
    groups, cart = _three_groups_cart(session)
    quote = checkout.quote(session=session, settings=settings, cart=cart,
                           address=address(**LYON))
    assert quote.consolidated and quote.weight_grams == 2100
    # France is zone 2: EMS $24 for the first 500 g, $7 for each further 500 g (5 steps)
    assert quote.shipping_cents == 2400 + 700 * 4
    separately = sum(2400 + 700 * (-(-weight // 500) - 1)
                     for weight in quote.weight_by_group.values())
    assert quote.shipping_cents < separately  # what three EMS parcels used to cost
    # each group is paid a courier parcel from its province to the packing point
    assert quote.shipping_by_group == {groups[0].id: 400, groups[1].id: 500,
                                       groups[2].id: 300}
    assert quote.packing_point_cents == quote.shipping_cents - 1200
    assert quote.card_fee_cents == pricing.card_fee(6900 + quote.shipping_cents, 290, 30)
    assert quote.small_order_fee_cents == 0
    assert quote.producers_cents + quote.marketplace_cents + quote.packing_point_cents == \
        quote.total_cents == 6900 + quote.shipping_cents


def test_parcels_to_phnom_penh_dearer_than_the_shipment_abroad_are_what_the_buyer_pays(
        session, settings):
    far = [create_group(session, province_code="16") for _ in range(4)]
    cart = cart_with(session, [(create_product(session, group=group, price_cents=2000,
                                               weight_grams=100), 1) for group in far])
    quote = checkout.quote(session=session, settings=settings, cart=cart,
                           address=address(**{**LYON, "country": "TH"}))
    # EMS zone 1 is $15 for 400 g; four courier parcels from Ratanakiri cost $4 each
    assert sum(quote.shipping_by_group.values()) == 1600
    assert quote.shipping_cents == 1600 and quote.packing_point_cents == 0
    assert quote.producers_cents + quote.marketplace_cents == quote.total_cents


def test_rate_tables_and_zones_come_from_the_settings(session, settings):
    _groups, cart = _three_groups_cart(session)
    tables = settings.model_copy(update={
        "international_rates": {"ems": {1: (1000, 100), 2: (2000, 500), 3: (3000, 900)},
                                "express": {1: (1, 1), 2: (1, 1), 3: (1, 1)}},
        "shipping_zones": {1: ["FR"], 2: []}})
    quote = checkout.quote(session=session, settings=tables, cart=cart,
                           address=address(**LYON))
    assert quote.shipping_cents == 1000 + 100 * 4  # France moved to zone 1
    assert shipping.zone("DE", tables) == 3


def test_cambodia_keeps_one_courier_parcel_per_group(session, settings):
    groups, cart = _three_groups_cart(session)
    quote = checkout.quote(session=session, settings=settings, cart=cart, address=address())
    assert not quote.consolidated
    assert quote.shipping_by_group == {groups[0].id: 200, groups[1].id: 250,
                                       groups[2].id: 200}  # to Phnom Penh, per kg
    assert quote.shipping_cents == 650 and quote.packing_point_cents == 0


def test_a_small_order_pays_the_card_fee_beyond_the_commission(session, settings):
    cart = cart_with(session, [(create_product(session, price_cents=350, weight_grams=100),
                                1)])
    quote = checkout.quote(session=session, settings=settings, cart=cart, address=address())
    # $3.50 + $2.00 courier: the fee on $5.50 (46 cents) exceeds the commission (35 cents)
    assert quote.commission_cents == 35 and quote.shipping_cents == 200
    assert quote.small_order_fee_cents > 0
    assert quote.card_fee_cents == pricing.card_fee(
        550 + quote.small_order_fee_cents, 290, 30)  # on everything charged
    assert quote.marketplace_cents >= quote.card_fee_cents  # never a loss ...
    assert quote.marketplace_cents - quote.card_fee_cents <= 1  # ... nor more than covered
    assert quote.total_cents == 550 + quote.small_order_fee_cents
    assert quote.producers_cents + quote.marketplace_cents + quote.packing_point_cents == \
        quote.total_cents
    big = cart_with(session, [(create_product(session, price_cents=6900), 1)])
    assert checkout.quote(session=session, settings=settings, cart=big,
                          address=address()).small_order_fee_cents == 0


def test_small_order_fee_is_the_least_that_covers_the_fee():
    for charged in range(1, 3000, 7):
        commission = pricing.share(charged, 1000)
        fee = pricing.small_order_fee(charged, commission, basis_points=290, fixed_cents=30)
        assert pricing.card_fee(charged + fee, 290, 30) <= commission + fee
        if fee:
            assert pricing.card_fee(charged + fee - 1, 290, 30) > commission + fee - 1


def test_summary_page_shows_the_fee_and_the_packing_point(client, session):
    fill_cart(client, create_product(session, price_cents=350, weight_grams=100))
    page = checkout_post(client, {**CONTACT, "phone": "+33 6 12 34 56 78",
                                  "destination": "abroad", "country": "FR",
                                  "address_line": "3 rue Mercière", "city": "Lyon",
                                  "postal_code": "69002", "shipping_option": "ems",
                                  "step": "review"})
    assert page.status_code == 200, page.text
    # $3.50 + one EMS shipment of 100 g to France ($24.00): the card fee on $27.50 ($1.10)
    # exceeds the 35-cent commission, so the buyer sees a small-order fee of its own
    assert "One shipment from our packing point in Phnom Penh" in page.text
    assert "$24.00" in page.text and "Small-order fee" in page.text
    fee = pricing.small_order_fee(2750, 35, basis_points=290, fixed_cents=30)
    total = 2750 + fee
    assert f"${total // 100}.{total % 100:02d}" in page.text


def test_paid_then_refunded_abroad_order_books_and_undoes_every_part(
        engine, client, session, settings, gateway, stripe_api):
    admin = create_user(session, role=["admin"])
    kuoy = create_group(session, province_code="11", district_code="1101",
                        commune_code="110101", village_code="11010101")
    cart = cart_with(session, [(create_product(session, price_cents=350, weight_grams=100), 1),
                               (create_product(session, group=kuoy, price_cents=100,
                                               weight_grams=100), 2)])
    order, _created = checkout.place_order(session=session, settings=settings, cart=cart,
                                           user=None, address=address(**LYON))
    session.commit()
    assert order.consolidated and order.small_order_fee_cents > 0
    pay_with_webhook(client, session, settings, gateway, stripe_api, order)
    order = reload(session, order)
    books = _by_account(session, order.id)
    parcels = {f.group_id: f.shipping_cents
               for f in orders.fulfilments_of(session=session, order_id=order.id)}
    assert books[ledger.CONSOLIDATION] == order.shipping_cents - sum(parcels.values())
    for group_id, parcel in parcels.items():
        lines = [x for x in orders.lines_of(session=session, order_id=order.id)
                 if x.group_id == group_id]
        assert books[ledger.producer_account(group_id)] == parcel + sum(
            x.line_total_cents - x.commission_cents for x in lines)
    kept = books[ledger.COMMISSION]  # commission + small-order fee - card fee
    assert kept == order.commission_cents + order.small_order_fee_cents - \
        order.card_fee_cents >= 0

    run_refund(engine, gateway, admin.id, order.id, amount_cents=1000, reason="part")
    run_refund(engine, gateway, admin.id, order.id, reason="the rest")
    order = reload(session, order)
    assert order.status == "refunded" and order.refunded_cents == order.total_cents
    assert order.extras_refunded_cents == order.shipping_cents - sum(parcels.values()) + \
        order.small_order_fee_cents
    after = _by_account(session, order.id)
    assert after[ledger.CONSOLIDATION] == 0 and after[ledger.BUYER] == 0
    assert all(after[ledger.producer_account(g)] == 0 for g in parcels)
    # what is left is the card fee the processor kept, paid from the commission
    assert after[ledger.COMMISSION] == -order.card_fee_cents
    assert ledger.unbalanced_transactions(session=session) == []


def test_the_shipment_abroad_leaves_once_every_parcel_is_at_the_packing_point(
        client, session, settings, gateway, stripe_api):
    groups, cart = _three_groups_cart(session)
    order, _created = checkout.place_order(session=session, settings=settings, cart=cart,
                                           user=None, address=address(**LYON))
    session.commit()
    pay_with_webhook(client, session, settings, gateway, stripe_api, order)
    parcels = orders.fulfilments_of(session=session, order_id=order.id)
    leader = session.get(User, groups[0].leader_id)
    listed = client.get("/api/v1/fulfilments", headers=bearer(client, leader))
    assert listed.status_code == 200, listed.text
    mine = next(p for p in listed.json()["data"] if p["order_number"] == order.number)
    assert mine["packing_point"] == settings.packing_point_address

    fresh(session)
    admin = create_user(session, role=["admin"])
    login(client, admin.email)
    page = client.get(f"/admin/orders/{order.number}")
    assert "Waiting for every group" in page.text
    forward = f"/admin/orders/{order.number}/forward"
    early = form_post(client, f"/admin/orders/{order.number}", forward,
                      {"carrier": "EMS", "tracking_number": "EE123456789KH"})
    assert early.status_code == 303 and reload(session, order).forwarded_at is None
    fresh(session)
    for parcel in parcels:
        parcel.status = "shipped"
        session.add(parcel)
    session.commit()
    missing = form_post(client, f"/admin/orders/{order.number}", forward,
                        {"carrier": "Cambodia Post EMS", "tracking_number": ""})
    assert missing.status_code == 422 and "Enter the tracking number." in missing.text
    assert 'value="Cambodia Post EMS"' in missing.text  # what was typed is kept
    sent = form_post(client, f"/admin/orders/{order.number}", forward,
                     {"carrier": "Cambodia Post EMS", "tracking_number": "EE123456789KH"})
    assert sent.status_code == 303
    order = reload(session, order)
    assert (order.forwarded_carrier, order.forwarded_tracking) == ("Cambodia Post EMS",
                                                                   "EE123456789KH")
    emails = [m.payload for m in session.exec(select(OutboxMessage)).all()
              if m.payload.get("template") == "order_forwarded"]
    assert [e["to"] for e in emails] == [order.email]
    assert "EE123456789KH" in emails[0]["body"]
    assert "EE123456789KH" in client.get(f"/admin/orders/{order.number}").text
    again = form_post(client, f"/admin/orders/{order.number}", forward,
                      {"carrier": "DHL", "tracking_number": "X"})
    assert again.status_code == 303 and reload(session, order).forwarded_carrier == \
        "Cambodia Post EMS"


def test_the_checkout_page_prices_shipping_for_a_province_without_a_reload(client, session):
    fill_cart(client, create_product(session, price_cents=2500, weight_grams=1500))
    near = client.get("/checkout/shipping-prices", params={"province_code": "12"}).json()
    far = client.get("/checkout/shipping-prices", params={"province_code": "16"}).json()
    assert {o["code"]: o["price"] for o in near["options"]} == {"courier": "$2.50",
                                                                 "bus": "$1.75"}
    assert {o["code"]: o["price_cents"] for o in far["options"]}["courier"] == 500
    abroad = client.get("/checkout/shipping-prices",
                        params={"destination": "abroad", "country": "FR"}).json()
    assert {o["code"]: o["price_cents"] for o in abroad["options"]} == {"ems": 2400 + 700 * 2,
                                                                         "express": 5500 + 1300 * 2}
    unknown = client.get("/checkout/shipping-prices", params={"province_code": "99"}).json()
    assert all(o["price"] is None for o in unknown["options"])
