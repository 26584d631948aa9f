"""Quotes: a verified business asks a producer group for a price on a custom or large
made-to-order quantity; the group answers with a unit price and a lead time (or declines);
the business accepts, and the quote becomes exactly one purchase order, already accepted
by the group, however often or concurrently it is accepted (the status move is one guarded
UPDATE, and ``quote.purchase_order_id`` is unique). On invoice terms the same credit check
runs, under the same lock, as for any other order.
"""

from datetime import timedelta

from sqlmodel import Session, col, select

from marketplace import access
from marketplace.config import Settings
from marketplace.core.status import Lifecycle
from marketplace.errors import NotFound, ValidationFailed
from marketplace.i18n import gettext as _
from marketplace.invoices import service as invoices
from marketplace.models import (
    PartStatus,
    PaymentMethod,
    ProducerGroup,
    Product,
    PurchaseOrder,
    PurchaseOrderLine,
    PurchaseOrderPart,
    PurchaseOrderStatus,
    Quote,
    QuoteStatus,
    User,
    utcnow,
)
from marketplace.notifications.service import queue_email
from marketplace.wholesale import purchasing, terms

QUOTE_STATUS = Lifecycle(Quote, "quote", {
    QuoteStatus.REQUESTED: {QuoteStatus.ANSWERED, QuoteStatus.DECLINED, QuoteStatus.WITHDRAWN},
    QuoteStatus.ANSWERED: {QuoteStatus.ACCEPTED, QuoteStatus.WITHDRAWN},
}, refusal=lambda current, to: _("This quote was already answered or accepted."))


def _move(session: Session, quote: Quote, to: QuoteStatus, actor: User, **values) -> None:
    QUOTE_STATUS.must_change(session, quote, to, actor=actor, values=values or None,
                             lost=_("This quote was already answered or accepted."))


def ask(*, session: Session, settings: Settings, actor: User, product_id: int, quantity: int,
        request: str) -> Quote:
    """The business asks the piece's group for a price on ``quantity`` of it."""
    business = purchasing.buying_business(session, actor)
    product = session.get(Product, product_id)
    if product is None or not product.visible:
        raise NotFound(_("No such product."))
    if not request.strip():
        raise ValidationFailed({"request": _("Say what you need: colours, sizes, dates.")})
    quote = Quote(business_id=business.id, group_id=product.group_id, product_id=product.id,
                  quantity=quantity, request=request.strip()[:1000], requested_by_id=actor.id)
    session.add(quote)
    session.flush()
    group = session.get(ProducerGroup, product.group_id)
    leader = session.get(User, group.leader_id) if group.leader_id else None
    if leader is not None:
        queue_email(session=session, to=leader.email, template="quote_requested",
                    context={"quote": quote, "product": product, "business": business,
                             "user": leader,
                             "url": f"{settings.base_url}/dashboard/quotes/{quote.id}"},
                    locale=leader.locale)
    return quote


def for_group(*, session: Session, actor: User | None, quote_id: int) -> Quote:
    quote = session.get(Quote, quote_id)
    if quote is None or access.membership(session=session, user=actor,
                                          group_id=quote.group_id) is None:
        raise NotFound(_("No such quote."))
    return quote


def for_business(*, session: Session, actor: User | None, quote_id: int) -> Quote:
    quote = session.get(Quote, quote_id)
    member = access.business_membership(session=session, user=actor)
    if quote is None or member is None or member.business_id != quote.business_id:
        raise NotFound(_("No such quote."))
    return quote


def answer(*, session: Session, settings: Settings, actor: User, quote: Quote,
           unit_price_cents: int, lead_time_days: int, note: str = "") -> Quote:
    """The group gives its price per piece and how many days it needs."""
    access.require_member(session=session, user=actor, group_id=quote.group_id)
    errors = {}
    if not 1 <= unit_price_cents <= 100_000_000:
        errors["unit_price_cents"] = _("Enter a price per piece.")
    if not 1 <= lead_time_days <= 730:
        errors["lead_time_days"] = _("Enter the days you need, from 1 to 730.")
    if errors:
        raise ValidationFailed(errors)
    _move(session, quote, QuoteStatus.ANSWERED, actor, unit_price_cents=unit_price_cents,
          lead_time_days=lead_time_days, answer=note.strip()[:1000], updated_at=utcnow())
    _tell_business(session, settings, quote)
    return quote


def decline(*, session: Session, settings: Settings, actor: User, quote: Quote,
            note: str) -> Quote:
    access.require_member(session=session, user=actor, group_id=quote.group_id)
    if not note.strip():
        raise ValidationFailed({"answer": _("Tell the business why.")})
    _move(session, quote, QuoteStatus.DECLINED, actor, answer=note.strip()[:1000])
    _tell_business(session, settings, quote)
    return quote


def _tell_business(session: Session, settings: Settings, quote: Quote) -> None:
    buyer = session.get(User, quote.requested_by_id) if quote.requested_by_id else None
    if buyer is not None:
        queue_email(session=session, to=buyer.email, template="quote_answered",
                    context={"quote": quote, "product": session.get(Product, quote.product_id),
                             "group": session.get(ProducerGroup, quote.group_id),
                             "user": buyer, "url": f"{settings.base_url}/business/quotes"},
                    locale=buyer.locale)


def accept(*, session: Session, settings: Settings, actor: User, quote: Quote,
           payment_method: PaymentMethod, reference: str = "") -> PurchaseOrder:
    """The business accepts the group's price: one purchase order, confirmed and invoiced
    at once (due on its terms, or now by card); custom work owes the group's deposit. A second acceptance, at once or later, is a 409 and makes nothing."""
    business = purchasing.buying_business(session, actor)
    if quote.business_id != business.id:
        raise NotFound(_("No such quote."))
    QUOTE_STATUS.check(quote.status, QuoteStatus.ACCEPTED)
    total = quote.unit_price_cents * quote.quantity
    business = purchasing.lock_business(session, business)  # the invoice spends its credit
    if payment_method == PaymentMethod.INVOICE:
        purchasing.check_credit(session, business, total)
    _move(session, quote, QuoteStatus.ACCEPTED, actor, updated_at=utcnow())
    now = utcnow()
    order = PurchaseOrder(business_id=business.id, placed_by_id=actor.id,
                          reference=reference.strip()[:40],
                          status=PurchaseOrderStatus.CONFIRMED, payment_method=payment_method,
                          total_cents=total, submitted_at=now)
    session.add(order)
    session.flush()
    order.number = f"PO-{now.year}-{order.id:06d}"
    part = PurchaseOrderPart(purchase_order_id=order.id, group_id=quote.group_id,
                             status=PartStatus.ACCEPTED, subtotal_cents=total, respond_by=now,
                             ship_by=(now + timedelta(days=quote.lead_time_days)).date(),
                             note=quote.answer,
                             deposit_cents=terms.deposit(session, quote.group_id, total))
    session.add(part)
    session.flush()
    session.add(PurchaseOrderLine(purchase_order_id=order.id, part_id=part.id,
                                  product_id=quote.product_id, quantity=quote.quantity,
                                  unit_price_cents=quote.unit_price_cents))
    quote.purchase_order_id = order.id
    session.add_all([order, quote])
    session.flush()
    invoices.issue_for_order(session=session, settings=settings, order=order)
    return order


def list_quotes(*, session: Session, actor: User, group_id: int | None = None) -> list[Quote]:
    """A group's quotes (for its members), or the actor's business's."""
    if group_id is not None:
        access.require_member(session=session, user=actor, group_id=group_id)
        query = select(Quote).where(Quote.group_id == group_id)
    else:
        member = access.business_membership(session=session, user=actor)
        if member is None:
            return []
        query = select(Quote).where(Quote.business_id == member.business_id)
    return list(session.exec(query.order_by(col(Quote.id).desc()).limit(200)))
