"""Wholesale demo data: the shop account's verified Phnom Penh craft shop with net-30 terms,
one business application waiting for an administrator, and wholesale terms (tiers, minimum
quantity, case pack) on two pieces of each craft, with their groups' minimum order values.

Everything goes through the business services (apply, decide, set terms), so the audit log
is what real use gives. Running it again adds nothing.
"""

from sqlmodel import Session, col, select

from marketplace.business import service
from marketplace.business.schemas import BusinessApply, TermsIn
from marketplace.config import Settings
from marketplace.demo import DemoUser, ensure_user
from marketplace.models import (
    Business,
    GroupMembership,
    GroupRole,
    ProducerGroup,
    Product,
    User,
    WholesaleOffer,
)
from marketplace.wholesale import terms
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
STEPS = 3
CASE_PACKS = {"weaving": 5, "pottery": 4, "basketry": 6, "resin": 10}
OFFERS_PER_CRAFT = 2
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
    return created


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
                                                             reorder_min_cents=7_500))
    return made


def _business_of(session: Session, user: User) -> Business | None:
    from marketplace.access import business_membership

    member = business_membership(session=session, user=user)
    return session.get(Business, member.business_id) if member else None
