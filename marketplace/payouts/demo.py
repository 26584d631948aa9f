"""Demo payouts (``marketplace demo-data``): tourists' orders delivered weeks ago, a
completed run made by one administrator and approved by another, with payouts sent in USD
(Kuoy) and in riel (Prame Kuy Weavers), one failed and reversed (Santuk), one group whose
destination changed yesterday (Chhaeb, held), and on the Kuoy association both available
and pending money, so ``producer@crafts.example`` sees real figures.

Demo sales are booked as paid without a PaymentIntent (no card went through Stripe), so
``marketplace ledger check`` leaves them out of the comparison with Stripe.
"""

from datetime import timedelta

from sqlmodel import Session, select

from marketplace.checkout import service as checkout
from marketplace.checkout.service.address import Address
from marketplace.config import Settings
from marketplace.demo import DemoUser, ensure_user
from marketplace.models import (
    Fulfilment,
    PayoutRun,
    ProducerGroup,
    Product,
    ProductStatus,
    Role,
    StockMode,
    User,
    utcnow,
)
from marketplace.orders import service as orders
from marketplace.payouts import runs

STEPS = 4
CHECKER = DemoUser("finance@crafts.example", "Dara Finance", Role.ADMIN)
# slug: (method, account, bank or partner, currency, days since the destination changed)
DESTINATIONS = {
    "kuoy-community-handicraft-association": ("aba", "000 228 415", None, "USD", 90),
    "prame-kuy-weavers": ("bakong", "prame_kuy@aclb", None, "KHR", 90),
    "santuk-khmer-silk-weavers": ("acleda", "0001 0123 4567", None, "USD", 90),
    "chhaeb-khmer-potters": ("wing", "012 345 678", None, "USD", 1),
}
BUYER = Address(full_name="Emma Laurent", email="emma@example.com", phone="+85512345678",
                country="KH", shipping_option="courier", province_code="12",
                district_code="1201", commune_code="120101", village_code="12010101",
                address_line="Hotel Rose, Street 240")


def _sell(session: Session, settings: Settings, group: ProducerGroup,
          delivered_days_ago: int | None) -> bool:
    """One paid order of a piece of the group's, delivered that many days ago (or not)."""
    from marketplace.cart import service as carts

    product = session.exec(select(Product).where(
        Product.group_id == group.id, Product.status == ProductStatus.PUBLISHED,
        Product.stock_mode == StockMode.STOCK, Product.stock_on_hand
        - Product.stock_allocated >= 1).order_by(Product.id)).first()
    if product is None:
        return False
    cart = carts.new_cart(session=session, user=None)
    carts.add(session=session, cart=cart, product_id=product.id, variant_id=None, quantity=1)
    order, _new = checkout.place_order(session=session, settings=settings, cart=cart, user=None,
                                       address=BUYER)
    orders.mark_paid(session=session, settings=settings, order=order)
    if delivered_days_ago is not None:
        parcel = session.exec(select(Fulfilment).where(Fulfilment.order_id == order.id)).one()
        parcel.shipped_at = utcnow() - timedelta(days=delivered_days_ago + 3)
        parcel.delivered_at = utcnow() - timedelta(days=delivered_days_ago)
        session.add(parcel)
    return True


def load(*, session: Session, settings: Settings, advance=lambda: None) -> int:
    """Create the demo payouts when there are none yet; returns how many payouts."""
    if session.exec(select(PayoutRun.id)).first() is not None:
        for _step in range(STEPS):
            advance()
        return 0
    maker = session.exec(select(User).where(User.email == "admin@crafts.example")).one()
    checker, _new = ensure_user(session=session, spec=CHECKER)
    groups = {g.slug: g for g in session.exec(select(ProducerGroup).where(
        ProducerGroup.slug.in_(list(DESTINATIONS))))}
    for slug, (method, account, bank, currency, days) in DESTINATIONS.items():
        group = groups[slug]
        group.payout_method, group.payout_account_name = method, group.name[:120]
        group.payout_account_number = account.replace(" ", "")
        group.payout_bank_name, group.payout_currency = bank, currency
        group.payout_changed_at = utcnow() - timedelta(days=days)
        group.payout_verified_at = group.payout_changed_at + timedelta(hours=2)
        session.add(group)
    advance()
    for slug in ("kuoy-community-handicraft-association", "prame-kuy-weavers",
                 "santuk-khmer-silk-weavers", "chhaeb-khmer-potters"):
        for days in (40, 35):
            _sell(session, settings, groups[slug], days)
    session.flush()
    advance()
    run = runs.create_run(session=session, settings=settings, actor=maker,
                          khr_per_usd=settings.khr_per_usd)
    runs.approve(session=session, actor=checker, run=run)
    runs.export(session=session, actor=checker, run=run, rail="bank")
    for payout in runs.payouts_of(session, run):
        if payout.group_id == groups["santuk-khmer-silk-weavers"].id:
            runs.mark_failed(session=session, actor=checker, payout=payout,
                             reason="ACLEDA returned the transfer: the account number is "
                                    "wrong. The group was asked to check it.")
        else:
            runs.mark_sent(session=session, settings=settings, actor=checker, payout=payout,
                           reference=f"DEMO-TRF-{payout.id:04d}")
    advance()
    kuoy = groups["kuoy-community-handicraft-association"]
    _sell(session, settings, kuoy, 25)  # available for the next run
    _sell(session, settings, kuoy, None)  # paid, not delivered yet: pending
    advance()
    return len(runs.payouts_of(session, run))
