"""Wholesale terms: what a group sets (tiers, minimum quantity, case pack, minimum order
values) and what a verified business may read (the wholesale catalog, lead times).

Who may see what is decided here, not in the routes: a group's members read and change
their products' terms; members of a verified business read every offer; everybody else,
tourists and shops waiting for verification included, gets NotFound, so retail buyers never
learn a wholesale price, through the pages or the API.
"""

from datetime import date

from sqlalchemy import func
from sqlmodel import Session, col, select

from marketplace import access, audit
from marketplace.core.money import share
from marketplace.errors import NotFound, ValidationFailed
from marketplace.i18n import gettext as _
from marketplace.models import (
    CapacityBooking,
    GroupWholesaleTerms,
    ProducerGroup,
    Product,
    StockMode,
    User,
    WholesaleOffer,
    WholesaleTier,
    utcnow,
)
from marketplace.wholesale.schemas import GroupMinimumsIn, OfferIn, TierPublic

MONTH_DAYS = 30
MAX_MONTHS = 24  # a made-to-order quantity that needs longer is refused


def _editable(session: Session, actor: User, product: Product) -> None:
    access.require_member(session=session, user=actor, group_id=product.group_id)


def _check_offer(product: Product, data: OfferIn) -> None:
    errors: dict[str, str] = {}
    tiers = data.tiers
    if data.min_quantity % data.case_pack:
        errors["min_quantity"] = _("The minimum quantity must be a whole number of cases "
                                   "(%(n)s pieces each).", n=data.case_pack)
    if tiers[0].min_quantity != data.min_quantity:
        errors["tiers.0.min_quantity"] = _("The first price starts at the minimum quantity.")
    for i, (before, tier) in enumerate(zip(tiers, tiers[1:], strict=False), start=1):
        if tier.min_quantity <= before.min_quantity:
            errors[f"tiers.{i}.min_quantity"] = _("Each price starts at a larger quantity "
                                                  "than the one before.")
        elif tier.unit_price_cents > before.unit_price_cents:
            errors[f"tiers.{i}.unit_price_cents"] = _("A larger quantity cannot cost more "
                                                      "per piece.")
    for i, tier in enumerate(tiers):
        if tier.unit_price_cents > product.price_cents:
            errors.setdefault(f"tiers.{i}.unit_price_cents", _(
                "A wholesale price cannot be above the retail price."))
    if errors:
        raise ValidationFailed(errors)


def set_offer(*, session: Session, actor: User, product: Product,
              data: OfferIn) -> WholesaleOffer:
    """Offer the product wholesale on these terms (replacing earlier ones); group members."""
    _editable(session, actor, product)
    _check_offer(product, data)
    offer = session.exec(select(WholesaleOffer).where(
        WholesaleOffer.product_id == product.id)).first()
    if offer is None:
        offer = WholesaleOffer(product_id=product.id)
    offer.min_quantity, offer.case_pack, offer.updated_at = (
        data.min_quantity, data.case_pack, utcnow())
    session.add(offer)
    session.flush()
    for old in session.exec(select(WholesaleTier).where(WholesaleTier.offer_id == offer.id)):
        session.delete(old)
    session.flush()
    for tier in data.tiers:
        session.add(WholesaleTier(offer_id=offer.id, min_quantity=tier.min_quantity,
                                  unit_price_cents=tier.unit_price_cents))
    audit.record(session=session, actor=actor, entity_type="product", entity_id=product.id,
                 action="wholesale_terms_set", data=data.model_dump())
    return offer


def remove_offer(*, session: Session, actor: User, product: Product) -> None:
    """Stop offering the product wholesale; group members."""
    _editable(session, actor, product)
    offer = session.exec(select(WholesaleOffer).where(
        WholesaleOffer.product_id == product.id)).first()
    if offer is not None:
        session.delete(offer)
        audit.record(session=session, actor=actor, entity_type="product",
                     entity_id=product.id, action="wholesale_terms_removed")


def tiers_of(session: Session, offer_ids: list[int]) -> dict[int, list[WholesaleTier]]:
    """Each offer's tiers, smallest quantity first."""
    found: dict[int, list[WholesaleTier]] = {i: [] for i in offer_ids}
    if offer_ids:
        for tier in session.exec(select(WholesaleTier).where(
                col(WholesaleTier.offer_id).in_(offer_ids)).order_by(
                WholesaleTier.offer_id, WholesaleTier.min_quantity)):
            found[tier.offer_id].append(tier)
    return found


def public_tiers(tiers: list[WholesaleTier]) -> list[TierPublic]:
    """The tiers with where each ends (the next one's start minus one)."""
    return [TierPublic(min_quantity=t.min_quantity, unit_price_cents=t.unit_price_cents,
                       max_quantity=tiers[i + 1].min_quantity - 1 if i + 1 < len(tiers)
                       else None) for i, t in enumerate(tiers)]


def unit_price(tiers: list[WholesaleTier], quantity: int) -> int:
    """The unit price for ``quantity``: the tier with the largest start not above it."""
    fitting = [t for t in tiers if t.min_quantity <= quantity]
    if not fitting:
        raise ValidationFailed({"quantity": _("Below the minimum quantity.")})
    return max(fitting, key=lambda t: t.min_quantity).unit_price_cents


def check_quantity(offer: WholesaleOffer, quantity: int, field: str = "quantity") -> None:
    """ValidationFailed unless ``quantity`` is at least the minimum and whole cases."""
    if quantity < offer.min_quantity:
        raise ValidationFailed({field: _("Order at least %(n)s pieces of this product.",
                                         n=offer.min_quantity)})
    if quantity % offer.case_pack:
        raise ValidationFailed({field: _("This product is sold in cases of %(n)s: order a "
                                         "multiple of %(n)s.", n=offer.case_pack)})


def _month(today: date, ahead: int) -> str:
    months = today.year * 12 + today.month - 1 + ahead
    return f"{months // 12:04d}-{months % 12 + 1:02d}"


def capacity_month(session: Session, product: Product, quantity: int,
                   today: date | None = None) -> tuple[str, int] | None:
    """The first month, from this one, with room in a made-to-order piece's capacity for
    all of ``quantity``, and how many months ahead it is; None when no month within two
    years has room (more than a month's capacity is a quote, not an order)."""
    capacity = product.monthly_capacity or 0
    if capacity < quantity:
        return None
    today = today or utcnow().date()
    months = [_month(today, ahead) for ahead in range(MAX_MONTHS)]
    booked = dict(session.exec(select(CapacityBooking.month, CapacityBooking.booked).where(
        CapacityBooking.product_id == product.id,
        col(CapacityBooking.month).in_(months))).all())
    for ahead, month in enumerate(months):
        if capacity - booked.get(month, 0) >= quantity:
            return month, ahead
    return None


def lead_time_days(session: Session, product: Product, quantity: int,
                   today: date | None = None) -> int | None:
    """Days until ``quantity`` pieces can ship: 0 from stock when enough is on hand; for a
    made-to-order piece, its making time plus the months until one has room for all of
    them. None when it cannot be supplied (not enough stock, or no month with room)."""
    if product.stock_mode != StockMode.MADE_TO_ORDER:
        available = product.stock_on_hand - product.stock_allocated
        return 0 if quantity <= available else None
    found = capacity_month(session, product, quantity, today)
    return None if found is None else (product.lead_time_days or 0) + found[1] * MONTH_DAYS


def minimums(session: Session, group_id: int) -> GroupWholesaleTerms:
    """The group's minimum order values (zero when never set)."""
    return session.get(GroupWholesaleTerms, group_id) or GroupWholesaleTerms(group_id=group_id)


def deposit(session: Session, group_id: int, made_to_order_cents: int) -> int:
    """The deposit the group asks on this much made-to-order work (its percentage, in
    cents rounded half up; 0 when it asks none)."""
    percent = minimums(session, group_id).deposit_percent
    return share(made_to_order_cents, percent * 100) if percent else 0


def set_minimums(*, session: Session, actor: User, group: ProducerGroup,
                 data: GroupMinimumsIn) -> GroupWholesaleTerms:
    """The group leader sets the minimum order values for first orders and reorders, and
    the deposit for made-to-order pieces."""
    access.require_member(session=session, user=actor, group_id=group.id, leader=True)
    terms = session.get(GroupWholesaleTerms, group.id) or GroupWholesaleTerms(group_id=group.id)
    terms.first_order_min_cents = data.first_order_min_cents
    terms.reorder_min_cents = data.reorder_min_cents
    terms.deposit_percent = data.deposit_percent
    terms.updated_at = utcnow()
    session.add(terms)
    audit.record(session=session, actor=actor, entity_type="producer_group",
                 entity_id=group.id, action="wholesale_minimums_set", data=data.model_dump())
    return terms


def offer_of(session: Session,
             product_id: int) -> tuple[WholesaleOffer, list[WholesaleTier]] | None:
    """The product's offer and tiers, or None when it is not offered wholesale (no access
    check: callers are the services and pages that made it)."""
    offer = session.exec(select(WholesaleOffer).where(
        WholesaleOffer.product_id == product_id)).first()
    return (offer, tiers_of(session, [offer.id])[offer.id]) if offer else None


def readable_offer(*, session: Session, actor: User | None,
                   product_id: int) -> tuple[Product, WholesaleOffer, list[WholesaleTier]]:
    """A product's wholesale terms for its group's members and verified businesses;
    NotFound for everybody else, and for a product not offered wholesale."""
    product = session.get(Product, product_id)
    found = offer_of(session, product_id) if product else None
    member = product is not None and access.membership(
        session=session, user=actor, group_id=product.group_id) is not None
    buyer = product is not None and product.visible and access.wholesale_business(
        session=session, user=actor) is not None
    if found is None or not (member or buyer):
        raise NotFound(_("This product is not offered wholesale."))
    return product, *found


def catalog(*, session: Session, actor: User | None, craft: str | None = None,
            group_id: int | None = None, limit: int = 48,
            offset: int = 0) -> tuple[list[tuple[Product, WholesaleOffer]], int]:
    """Visible products offered wholesale, for members of a verified business (NotFound
    for everybody else: the wholesale catalog does not exist for them)."""
    if access.wholesale_business(session=session, user=actor) is None:
        raise NotFound(_("The wholesale catalog is for verified businesses."))
    query = select(Product, WholesaleOffer).join(
        WholesaleOffer, WholesaleOffer.product_id == Product.id).where(
        col(Product.visible).is_(True))
    if craft:
        query = query.where(Product.craft == craft)
    if group_id is not None:
        query = query.where(Product.group_id == group_id)
    total = session.exec(select(func.count()).select_from(query.subquery())).one()
    title = func.coalesce(func.nullif(Product.title, ""), Product.title_km)  # Khmer-only too
    rows = session.exec(query.order_by(Product.group_id, title, Product.id)
                        .limit(limit).offset(offset))
    return [(product, offer) for product, offer in rows], total
