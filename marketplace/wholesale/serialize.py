"""Wholesale offers and catalog rows as the API and the pages show them."""

from sqlmodel import Session, col, select

from marketplace.i18n import localized_text
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


def purchase_order_public(session: Session, order, *, group_id: int | None = None):
    """The purchase order with its parts and lines; ``group_id``: only that group's part
    (what a producer group may see of a business's order)."""
    from marketplace.invoices import service as invoices
    from marketplace.models import PurchaseOrderLine, PurchaseOrderPart
    from marketplace.wholesale import charges
    from marketplace.wholesale.schemas import (
        ChargePublic,
        DuePublic,
        POLinePublic,
        POPartPublic,
        PurchaseOrderPublic,
    )

    query = select(PurchaseOrderPart).where(PurchaseOrderPart.purchase_order_id == order.id)
    if group_id is not None:
        query = query.where(PurchaseOrderPart.group_id == group_id)
    parts = list(session.exec(query.order_by(PurchaseOrderPart.id)))
    rows = session.exec(select(PurchaseOrderLine, Product).join(
        Product, Product.id == PurchaseOrderLine.product_id).where(
        PurchaseOrderLine.purchase_order_id == order.id).order_by(PurchaseOrderLine.id))
    lines: dict[int | None, list[POLinePublic]] = {}
    for line, product in rows:
        lines.setdefault(line.part_id, []).append(POLinePublic(
            id=line.id, product_id=product.id,
            title=localized_text(product.title, product.title_km), quantity=line.quantity,
            unit_price_cents=line.unit_price_cents,
            line_total_cents=line.quantity * line.unit_price_cents,
            proposed_quantity=line.proposed_quantity,
            proposed_unit_price_cents=line.proposed_unit_price_cents))
    names = dict(session.exec(select(ProducerGroup.id, ProducerGroup.name).where(
        col(ProducerGroup.id).in_([p.group_id for p in parts]))).all()) if parts else {}
    dues = charges.dues(session, order) if order.status != "draft" else []
    unpaid_deposits = {d.part.id for d in dues if d.part is not None}
    public_parts = [POPartPublic(
        id=p.id, group_id=p.group_id, group_name=names.get(p.group_id, ""), status=p.status,
        subtotal_cents=p.subtotal_cents, respond_by=p.respond_by, ship_by=p.ship_by,
        note=p.note, is_reorder=p.is_reorder, shipped_at=p.shipped_at, tracking=p.tracking,
        deposit_cents=p.deposit_cents,
        deposit_paid=bool(p.deposit_cents) and p.id not in unpaid_deposits,
        lines=lines.get(p.id, [])) for p in parts]
    if order.status == "draft":  # the cart: lines not split yet
        public_parts = [POPartPublic(
            id=0, group_id=0, group_name="", status="draft",
            subtotal_cents=sum(line.line_total_cents for line in lines.get(None, [])),
            respond_by=order.created_at, ship_by=None, note="", is_reorder=False,
            lines=lines.get(None, []))]
    public = PurchaseOrderPublic(
        id=order.id, number=order.number, status=order.status, reference=order.reference,
        payment_method=order.payment_method, total_cents=order.total_cents,
        submitted_at=order.submitted_at, parts=public_parts)
    if group_id is not None:  # the business's money is its own
        return public
    invoice = invoices.for_order(session, order.id)
    if invoice is not None:
        public.invoice_id, public.invoice_number = invoice.id, invoice.number
        public.outstanding_cents = invoices.outstanding(session, invoice)
    public.dues = [DuePublic(key=d.key, purpose=d.purpose, part_id=d.part.id if d.part else None,
                             amount_cents=d.amount_cents, required=d.required) for d in dues]
    public.charges = [ChargePublic(id=c.id, purpose=c.purpose, part_id=c.part_id,
                                   amount_cents=c.amount_cents, status=c.status, error=c.error,
                                   created_at=c.created_at)
                      for c in charges.charges_of(session, order)]
    return public
