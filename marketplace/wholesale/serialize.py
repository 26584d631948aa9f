"""Wholesale offers and catalog rows as the API and the pages show them."""

from sqlmodel import Session, col, select

from marketplace.models import ProducerGroup, Product, StockMode, WholesaleOffer, WholesaleTier
from marketplace.wholesale import terms
from marketplace.wholesale.schemas import OfferPublic, WholesaleProduct


def offer_public(product: Product, offer: WholesaleOffer,
                 tiers: list[WholesaleTier]) -> OfferPublic:
    return OfferPublic(product_id=product.id, min_quantity=offer.min_quantity,
                       case_pack=offer.case_pack, tiers=terms.public_tiers(tiers),
                       retail_price_cents=product.price_cents)


def wholesale_rows(session: Session,
                   rows: list[tuple[Product, WholesaleOffer]]) -> list[WholesaleProduct]:
    """Catalog rows with tiers, what is in stock, the lead time for the minimum quantity
    and the group's minimum order values."""
    tiers = terms.tiers_of(session, [offer.id for _product, offer in rows])
    group_ids = {product.group_id for product, _offer in rows}
    names = dict(session.exec(select(ProducerGroup.id, ProducerGroup.name).where(
        col(ProducerGroup.id).in_(group_ids))).all()) if group_ids else {}
    minimums = {group_id: terms.minimums(session, group_id) for group_id in group_ids}
    return [WholesaleProduct(
        **offer_public(product, offer, tiers[offer.id]).model_dump(),
        slug=product.slug, title=product.title, title_km=product.title_km,
        craft=product.craft, group_id=product.group_id, group_name=names[product.group_id],
        stock_mode=product.stock_mode,
        available=None if product.stock_mode == StockMode.MADE_TO_ORDER
        else product.stock_on_hand - product.stock_allocated,
        lead_time_days=terms.lead_time_days(session, product, offer.min_quantity),
        first_order_min_cents=minimums[product.group_id].first_order_min_cents,
        reorder_min_cents=minimums[product.group_id].reorder_min_cents)
        for product, offer in rows]
