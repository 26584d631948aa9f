"""A producer group's answer to its part of a purchase order, and the business's answer to
proposed changes.

The group accepts, declines, or proposes other quantities (within its terms), unit prices
(within its own tiers) and a ship date. The business accepts or rejects a proposal. Each
move goes through one Lifecycle, so of two members answering at once exactly one wins and
the other is told (409). Stock held for a part goes back when it is declined, rejected or
expires; accepting a proposal holds more (guarded, as at submission) or gives back the
difference. When every part is settled the purchase order is confirmed (some part
accepted) or cancelled (none).
"""

from datetime import date

from sqlmodel import Session, col, select

from marketplace import access
from marketplace.config import Settings
from marketplace.core.status import Lifecycle
from marketplace.errors import Conflict, InsufficientStock, NotFound, ValidationFailed
from marketplace.i18n import format_usd, shown_title
from marketplace.i18n import gettext as _
from marketplace.invoices import service as invoices
from marketplace.models import (
    Business,
    PartStatus,
    PaymentMethod,
    ProducerGroup,
    Product,
    PurchaseOrder,
    PurchaseOrderLine,
    PurchaseOrderPart,
    PurchaseOrderStatus,
    User,
    utcnow,
)
from marketplace.notifications.service import queue_email
from marketplace.orders.service import stock
from marketplace.wholesale import charges, purchasing, terms

PART_STATUS = Lifecycle(PurchaseOrderPart, "purchase_order_part", {
    PartStatus.PENDING: {PartStatus.ACCEPTED, PartStatus.PROPOSED, PartStatus.DECLINED,
                         PartStatus.EXPIRED},
    PartStatus.PROPOSED: {PartStatus.ACCEPTED, PartStatus.REJECTED},
    PartStatus.ACCEPTED: {PartStatus.SHIPPED},
}, refusal=lambda current, to: _("This part was already answered."))
SETTLED = {PartStatus.ACCEPTED, PartStatus.DECLINED, PartStatus.REJECTED, PartStatus.EXPIRED}


def part_for_group(*, session: Session, actor: User | None, part_id: int) -> PurchaseOrderPart:
    """A part, for the members of its group; NotFound for everybody else."""
    part = session.get(PurchaseOrderPart, part_id)
    if part is None or access.membership(session=session, user=actor,
                                         group_id=part.group_id) is None:
        raise NotFound(_("No such purchase order."))
    return part


def _lines(session: Session, part: PurchaseOrderPart) -> list[tuple[PurchaseOrderLine, Product]]:
    return [(line, product) for line, product in session.exec(
        select(PurchaseOrderLine, Product).join(Product, Product.id == PurchaseOrderLine.product_id)
        .where(PurchaseOrderLine.part_id == part.id).order_by(Product.id))]


def _give_back(session: Session, part: PurchaseOrderPart) -> None:
    for line, _product in _lines(session, part):
        if line.held:
            stock.give_back(session=session, product_id=line.product_id, quantity=line.held,
                            month=line.capacity_month)
            line.held = 0
            session.add(line)


def _move(session: Session, part: PurchaseOrderPart, to: PartStatus, actor: User | None,
          **values) -> None:
    PART_STATUS.must_change(session, part, to, actor=actor, values=values or None,
                            lost=_("Somebody else answered this part first. Reload the page."))


def settle(session: Session, settings: Settings, order: PurchaseOrder) -> None:
    """Confirm or cancel the purchase order once every part is settled, and issue its
    invoice. The business's row, then the order's, are locked first: of two groups
    answering the last parts at once, the second waits and then sees both answers (the
    order is settled once, never left waiting), and the invoice spends the business's
    credit alone."""
    purchasing.lock_business(session, session.get(Business, order.business_id))
    order = session.exec(select(PurchaseOrder).where(PurchaseOrder.id == order.id)
                         .with_for_update().execution_options(populate_existing=True)).one()
    parts = list(session.exec(select(PurchaseOrderPart).where(
        PurchaseOrderPart.purchase_order_id == order.id).order_by(PurchaseOrderPart.id)
        .execution_options(populate_existing=True)))
    if order.status != PurchaseOrderStatus.SUBMITTED or any(
            p.status not in SETTLED for p in parts):
        return
    accepted = [p for p in parts if p.status == PartStatus.ACCEPTED]
    to = PurchaseOrderStatus.CONFIRMED if accepted else PurchaseOrderStatus.CANCELLED
    if not purchasing.PURCHASE_ORDER_STATUS.change(
            session, order, to, actor=None, when_illegal="lose",
            values={"total_cents": sum(p.subtotal_cents for p in accepted)}):
        return  # settled by a concurrent answer
    invoice = invoices.issue_for_order(session=session, settings=settings, order=order) \
        if to == PurchaseOrderStatus.CONFIRMED else None
    _tell_business(session, settings, order, "purchase_order_settled", None, invoice=invoice)


def _tell_business(session: Session, settings: Settings, order: PurchaseOrder,
                   template: str, part: PurchaseOrderPart | None, invoice=None) -> None:
    buyer = session.get(User, order.placed_by_id) if order.placed_by_id else None
    if buyer is None:
        return
    group = session.get(ProducerGroup, part.group_id) if part else None
    queue_email(session=session, to=buyer.email, template=template,
                context={"order": order, "part": part, "group": group, "user": buyer,
                         "invoice": invoice,
                         "url": f"{settings.base_url}/business/purchase-orders/{order.id}"},
                locale=buyer.locale)


def accept(*, session: Session, settings: Settings, actor: User,
           part: PurchaseOrderPart, ship_by: date | None = None) -> PurchaseOrderPart:
    """The group accepts its part as ordered."""
    access.require_member(session=session, user=actor, group_id=part.group_id)
    if ship_by is not None and ship_by < utcnow().date():
        raise ValidationFailed({"ship_by": _("Choose a ship date from today on.")})
    made_to_order = sum(line.quantity * line.unit_price_cents
                        for line, _product in _lines(session, part) if line.capacity_month)
    _move(session, part, PartStatus.ACCEPTED, actor, ship_by=ship_by,
          deposit_cents=terms.deposit(session, part.group_id, made_to_order))
    order = session.get(PurchaseOrder, part.purchase_order_id)
    _tell_business(session, settings, order, "purchase_order_answered", part)
    settle(session, settings, order)
    return part


def decline(*, session: Session, settings: Settings, actor: User, part: PurchaseOrderPart,
            note: str) -> PurchaseOrderPart:
    """The group declines its part, with a reason; its stock goes back."""
    access.require_member(session=session, user=actor, group_id=part.group_id)
    if not note.strip():
        raise ValidationFailed({"note": _("Tell the business why.")})
    _move(session, part, PartStatus.DECLINED, actor, note=note.strip()[:1000])
    _give_back(session, part)
    order = session.get(PurchaseOrder, part.purchase_order_id)
    _tell_business(session, settings, order, "purchase_order_answered", part)
    settle(session, settings, order)
    return part


def propose(*, session: Session, settings: Settings, actor: User, part: PurchaseOrderPart,
            changes: dict[int, tuple[int, int]], ship_by: date | None,
            note: str = "") -> PurchaseOrderPart:
    """The group proposes, per line id, (quantity, unit price in cents) and a ship date.
    Quantities follow the piece's terms; a unit price stays within the group's own tiers."""
    access.require_member(session=session, user=actor, group_id=part.group_id)
    lines = {line.id: (line, product) for line, product in _lines(session, part)}
    errors: dict[str, str] = {}
    for line_id, (quantity, price) in changes.items():
        if line_id not in lines:
            errors[f"lines.{line_id}"] = _("This line is not in your part.")
            continue
        line, product = lines[line_id]
        found = terms.offer_of(session, product.id)
        if found is None:
            errors[f"lines.{line_id}"] = _("This piece is no longer offered wholesale.")
            continue
        offer, tiers = found
        try:
            terms.check_quantity(offer, quantity, f"lines.{line_id}.quantity")
        except ValidationFailed as exc:
            errors.update(exc.errors)
        prices = [t.unit_price_cents for t in tiers]
        if not min(prices) <= price <= max(prices):
            errors[f"lines.{line_id}.unit_price_cents"] = _(
                "Keep the price within your tiers for this piece.")
    if ship_by is not None and ship_by < utcnow().date():
        errors["ship_by"] = _("Choose a ship date from today on.")
    if not changes and ship_by is None:
        errors["lines"] = _("Change a quantity, a price or the ship date, or accept as it is.")
    if errors:
        raise ValidationFailed(errors)
    _move(session, part, PartStatus.PROPOSED, actor, ship_by=ship_by, note=note.strip()[:1000])
    for line_id, (quantity, price) in changes.items():
        line = lines[line_id][0]
        line.proposed_quantity, line.proposed_unit_price_cents = quantity, price
        session.add(line)
    order = session.get(PurchaseOrder, part.purchase_order_id)
    _tell_business(session, settings, order, "purchase_order_answered", part)
    return part


def answer_proposal(*, session: Session, settings: Settings, actor: User,
                    part: PurchaseOrderPart, accepted: bool) -> PurchaseOrderPart:
    """The business accepts the group's changes (stock held to match; on terms, within
    the credit limit) or rejects them (the part ends and its stock goes back)."""
    order = session.get(PurchaseOrder, part.purchase_order_id)
    business = purchasing.buying_business(session, actor)
    if order is None or order.business_id != business.id:
        raise NotFound(_("No such purchase order."))
    if not accepted:
        _move(session, part, PartStatus.REJECTED, actor)
        _give_back(session, part)
        settle(session, settings, order)
        return part
    PART_STATUS.check(part.status, PartStatus.ACCEPTED)
    business = purchasing.lock_business(session, business)
    rows = _lines(session, part)
    new_subtotal = sum((line.proposed_quantity or line.quantity)
                       * (line.proposed_unit_price_cents or line.unit_price_cents)
                       for line, _product in rows)
    if order.payment_method == PaymentMethod.INVOICE and new_subtotal > part.subtotal_cents:
        purchasing.check_credit(session, business, new_subtotal - part.subtotal_cents)
    old_subtotal = part.subtotal_cents
    made_to_order = sum((line.proposed_quantity or line.quantity)
                        * (line.proposed_unit_price_cents or line.unit_price_cents)
                        for line, _product in rows if line.capacity_month)
    _move(session, part, PartStatus.ACCEPTED, actor, subtotal_cents=new_subtotal,
          deposit_cents=terms.deposit(session, part.group_id, made_to_order))
    for line, product in rows:  # product order: the same lock order as submission
        quantity = line.proposed_quantity or line.quantity
        more = quantity - line.held
        if more > 0 and not stock.hold(session=session, product=product, quantity=more,
                                       month=line.capacity_month or ""):
            raise InsufficientStock(_("Not enough of “%(title)s” is left for the new "
                                      "quantity.", title=shown_title(product)),
                                    product_id=product.id)
        if more < 0:
            stock.give_back(session=session, product_id=product.id, quantity=-more,
                            month=line.capacity_month)
        line.quantity, line.held = quantity, quantity
        line.unit_price_cents = line.proposed_unit_price_cents or line.unit_price_cents
        line.proposed_quantity = line.proposed_unit_price_cents = None
        session.add(line)
    order.total_cents += new_subtotal - old_subtotal  # what is owed on terms meanwhile
    session.add(order)
    settle(session, settings, order)
    return part


def ship(*, session: Session, settings: Settings, actor: User, part: PurchaseOrderPart,
         tracking: str = "") -> PurchaseOrderPart:
    """The group sent its accepted part: the stock it held is sold (on hand goes down);
    made-to-order capacity stays booked for its month. Only once the whole purchase order
    is confirmed (every group has answered), the part's deposit is paid, and, on a card
    order, the whole invoice."""
    access.require_member(session=session, user=actor, group_id=part.group_id)
    order = session.get(PurchaseOrder, part.purchase_order_id)
    if order.status != PurchaseOrderStatus.CONFIRMED:
        raise Conflict(_("Ship once the purchase order is confirmed: other groups have not "
                         "answered yet."))
    waiting_for = charges.unpaid_before_shipping(session, order, part)
    if waiting_for:
        raise Conflict(_("Ship once the business has paid: %(what)s is still due by card.",
                         what=format_usd(waiting_for)))
    _move(session, part, PartStatus.SHIPPED, actor, shipped_at=utcnow(),
          tracking=" ".join(tracking.split())[:80])
    for line, _product in _lines(session, part):
        if line.held and not line.capacity_month:
            stock.sell(session=session, product_id=line.product_id, quantity=line.held)
        line.held = 0
        session.add(line)
    _tell_business(session, settings, order, "purchase_order_answered", part)
    return part


def expire_overdue(*, session: Session, settings: Settings) -> int:
    """Parts whose group did not answer in time expire and give their stock back."""
    overdue = list(session.exec(select(PurchaseOrderPart).where(
        PurchaseOrderPart.status == PartStatus.PENDING,
        col(PurchaseOrderPart.respond_by) < utcnow()).order_by(PurchaseOrderPart.id)))
    expired = 0
    for part in overdue:
        if not PART_STATUS.change(session, part, PartStatus.EXPIRED, actor=None,
                                  when_illegal="lose"):
            continue  # answered meanwhile
        expired += 1
        _give_back(session, part)
        settle(session, settings, session.get(PurchaseOrder, part.purchase_order_id))
    return expired


def incoming(*, session: Session, actor: User,
             group_id: int) -> list[tuple[PurchaseOrderPart, PurchaseOrder, Business]]:
    """The group's parts of purchase orders, waiting ones first."""
    access.require_member(session=session, user=actor, group_id=group_id)
    rows = session.exec(select(PurchaseOrderPart, PurchaseOrder, Business).join(
        PurchaseOrder, PurchaseOrder.id == PurchaseOrderPart.purchase_order_id).join(
        Business, Business.id == PurchaseOrder.business_id).where(
        PurchaseOrderPart.group_id == group_id).order_by(
        col(PurchaseOrderPart.status) != PartStatus.PENDING, col(PurchaseOrderPart.id).desc())
        .limit(200))
    return list(rows)
