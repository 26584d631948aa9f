"""Wholesale demo data: the shop account's verified Phnom Penh craft shop with net-30 terms,
one business application waiting for an administrator, wholesale terms (tiers, minimum
quantity, case pack) on two pieces of each craft with their groups' minimum order values,
and two purchase orders of the shop on terms: one invoice paid, one open.

Everything goes through the business services (apply, decide, set terms), so the audit log
is what real use gives. Running it again adds nothing.
"""

from sqlmodel import Session, col, select

from marketplace.business import service
from marketplace.business.schemas import BusinessApply, TermsIn
from marketplace.catalog.service import set_stock
from marketplace.config import Settings
from marketplace.demo import DemoUser, ensure_user
from marketplace.invoices import service as invoices
from marketplace.models import (
    Business,
    GroupMembership,
    GroupRole,
    Invoice,
    PaymentMethod,
    ProducerGroup,
    Product,
    PurchaseOrder,
    StockMode,
    User,
    WholesaleOffer,
    utcnow,
)
from marketplace.wholesale import purchasing, responses, terms
from marketplace.wholesale.schemas import GroupMinimumsIn, OfferIn, TierIn

SHOP = BusinessApply(
    legal_name="Phnom Penh Craft Shop Co., Ltd.", legal_name_km="ហាងសិប្បកម្មភ្នំពេញ ឯ.ក",
    trading_name="Phnom Penh Craft Shop", trading_name_km="ហាងសិប្បកម្មភ្នំពេញ",
    kind="shop", tax_id="K001-901234567", moc_registration="00012345",
    province_code="12", district_code="1201", commune_code="120101",
    address_line="No. 12, Street 178", phone="+855 23 218 555")
HOTEL_OWNER = DemoUser("hotel@crafts.example", "Dara Hotel Manager", None)
HOTEL = BusinessApply(
    legal_name="Riverside Boutique Hotel Co., Ltd.", legal_name_km="សណ្ឋាគារ រីវើសាយ ឯ.ក",
    trading_name="Riverside Boutique Hotel", kind="hotel", tax_id="L001-100234567",
    moc_registration="00067890", province_code="12", district_code="1201",
    commune_code="120109", address_line="No. 3, Sisowath Quay", phone="+855 12 777 880")
STEPS = 4
CASE_PACKS = {"weaving": 5, "pottery": 4, "basketry": 6, "resin": 10}
OFFERS_PER_CRAFT = 2
WHOLESALE_STOCK = 120
ADMIN = "admin@crafts.example"


def load(*, session: Session, settings: Settings, advance=lambda: None) -> int:
    """Create the demo businesses that are missing; returns how many were created."""
    created = 0
    admin = session.exec(select(User).where(User.email == ADMIN)).one()
    shop_user = session.exec(select(User).where(User.email == "shop@crafts.example")).one()
    if _business_of(session, shop_user) is None:
        shop = service.apply(session=session, actor=shop_user, data=SHOP)
        service.decide(session=session, settings=settings, actor=admin, business=shop,
                       decision="verify", reason="Registration and tax certificates checked.")
        service.set_terms(session=session, actor=admin, business=shop,
                          data=TermsIn(payment_terms_days=30, credit_limit_cents=500_000))
        created += 1
    advance()
    hotel_user, _new = ensure_user(session=session, spec=HOTEL_OWNER)
    if _business_of(session, hotel_user) is None:
        service.apply(session=session, actor=hotel_user, data=HOTEL)
        created += 1
    advance()
    created += _offers(session)
    advance()
    created += _orders(session, settings, shop_user, admin)
    advance()
    return created


def _orderable(session: Session) -> list[tuple[Product, int]]:
    """Offered pieces with a quantity that reaches the group's first-order minimum and can
    be supplied now, one per group."""
    found, groups = [], set()
    for offer in session.exec(select(WholesaleOffer).order_by(WholesaleOffer.id)).all():
        product = session.get(Product, offer.product_id)
        if product.group_id in groups:
            continue
        tiers = terms.tiers_of(session, [offer.id])[offer.id]
        needed = terms.minimums(session, product.group_id).first_order_min_cents
        quantity = offer.min_quantity
        while terms.unit_price(tiers, quantity) * quantity < needed:
            quantity += offer.case_pack
        if terms.lead_time_days(session, product, quantity) is not None:
            found.append((product, quantity))
            groups.add(product.group_id)
    return found


def _orders(session: Session, settings: Settings, shop_user: User, admin: User) -> int:
    """Two purchase orders of the shop on its net-30 terms, accepted by their groups: the
    first invoice paid by a recorded transfer, the second open."""
    if session.exec(select(PurchaseOrder.id).where(
            PurchaseOrder.status != "draft")).first() is not None:
        return 0
    made = 0
    for n, (product, quantity) in enumerate(_orderable(session)[:2]):
        purchasing.set_line(session=session, actor=shop_user, product_id=product.id,
                            quantity=quantity)
        order, _new = purchasing.submit(session=session, settings=settings, actor=shop_user,
                                        reference=f"PPCS-{1041 + n}",
                                        payment_method=PaymentMethod.INVOICE,
                                        idempotency_key=f"demo-{n}")
        for part in purchasing.parts_of(session, order):
            member = session.exec(select(GroupMembership).where(
                GroupMembership.group_id == part.group_id)).first()
            responses.accept(session=session, settings=settings,
                             actor=session.get(User, member.user_id), part=part)
        invoice = session.exec(select(Invoice).where(
            Invoice.purchase_order_id == order.id)).one()
        if n == 0:
            invoices.record_payment(session=session, actor=admin, invoice=invoice,
                                    amount_cents=invoice.total_cents,
                                    received_on=utcnow().date(),
                                    bank_reference=f"ABA-DEMO-{invoice.sequence}")
        made += 1
    return made


def _offers(session: Session) -> int:
    """Two pieces of each craft offered wholesale by a member of their group (only members
    may set terms), and the group leader's minimum order values. Nothing when any exist."""
    if session.exec(select(WholesaleOffer.id)).first() is not None:
        return 0
    staffed = dict(session.exec(select(GroupMembership.group_id, GroupMembership.user_id)
                                .order_by(GroupMembership.id)).all())
    made = 0
    for craft, pack in CASE_PACKS.items():
        products = session.exec(select(Product).where(
            Product.craft == craft, col(Product.visible).is_(True),
            col(Product.group_id).in_(list(staffed))).order_by(Product.id)
            .limit(OFFERS_PER_CRAFT)).all()
        for product in products:
            member = session.get(User, staffed[product.group_id])
            if product.stock_mode == StockMode.STOCK and product.stock_on_hand < WHOLESALE_STOCK:
                set_stock(session=session, actor=member, product=product,
                          stock_on_hand=WHOLESALE_STOCK)  # a group stocked up for shops
            first, second = (product.price_cents * share // 1000 * 10 for share in (70, 60))
            terms.set_offer(session=session, actor=member, product=product, data=OfferIn(
                min_quantity=pack * 2, case_pack=pack, tiers=[
                    TierIn(min_quantity=pack * 2, unit_price_cents=first),
                    TierIn(min_quantity=pack * 10, unit_price_cents=second)]))
            made += 1
    leaders = session.exec(select(GroupMembership).where(
        GroupMembership.role == GroupRole.LEADER)).all()
    for membership in leaders:
        group = session.get(ProducerGroup, membership.group_id)
        terms.set_minimums(session=session, actor=session.get(User, membership.user_id),
                           group=group, data=GroupMinimumsIn(first_order_min_cents=15_000,
                                                             reorder_min_cents=7_500,
                                                             deposit_percent=50))
    return made


def _business_of(session: Session, user: User) -> Business | None:
    from marketplace.access import business_membership

    member = business_membership(session=session, user=user)
    return session.get(Business, member.business_id) if member else None
