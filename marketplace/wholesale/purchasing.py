"""A business's purchase orders: the wholesale cart (the draft), a CSV of ``sku,quantity``,
and submitting, which prices every line from the tiers, checks each group's minimum order
value and the credit limit, holds the stock, and sends each group its part.

Everything that can refuse is checked before the first write, and the guarded stock
updates come last: a refused purchase order leaves nothing behind (the request's
transaction rolls back). The SKU of a piece in a CSV is its slug, as in its address.
"""

import csv
import io
from datetime import timedelta

from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from marketplace import access
from marketplace.auth.service.roles import has_role
from marketplace.config import Settings
from marketplace.core.status import Lifecycle
from marketplace.errors import Conflict, Forbidden, InsufficientStock, NotFound, ValidationFailed
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
    Role,
    StockMode,
    User,
    utcnow,
)
from marketplace.notifications.service import queue_email
from marketplace.orders.service import stock
from marketplace.wholesale import terms

PURCHASE_ORDER_STATUS = Lifecycle(PurchaseOrder, "purchase_order", {
    PurchaseOrderStatus.DRAFT: {PurchaseOrderStatus.SUBMITTED},
    PurchaseOrderStatus.SUBMITTED: {PurchaseOrderStatus.CONFIRMED,
                                    PurchaseOrderStatus.CANCELLED},
})
MAX_LINES = 200
# Purchase orders on invoice still waiting for their groups: owed once confirmed (then
# their invoice counts instead).
WAITING = PurchaseOrderStatus.SUBMITTED


def buying_business(session: Session, actor: User | None) -> Business:
    """The verified business the actor orders for; Forbidden otherwise."""
    business = access.wholesale_business(session=session, user=actor)
    if business is None:
        raise Forbidden(_("Only members of a verified business may order wholesale."))
    return business


def draft(session: Session, business: Business) -> PurchaseOrder:
    """The business's wholesale cart: its one draft purchase order, made when missing."""
    found = session.exec(select(PurchaseOrder).where(
        PurchaseOrder.business_id == business.id,
        PurchaseOrder.status == PurchaseOrderStatus.DRAFT)).first()
    if found is not None:
        return found
    made = PurchaseOrder(business_id=business.id)
    try:
        with session.begin_nested():  # two first lines at once: one draft (unique index)
            session.add(made)
            session.flush()
    except IntegrityError:
        return draft(session, business)
    return made


def lines_of(session: Session, order: PurchaseOrder) -> list[tuple[PurchaseOrderLine, Product]]:
    return [(line, product) for line, product in session.exec(
        select(PurchaseOrderLine, Product).join(Product, Product.id == PurchaseOrderLine.product_id)
        .where(PurchaseOrderLine.purchase_order_id == order.id)
        .order_by(Product.group_id, PurchaseOrderLine.id))]


def _priced(session: Session, product: Product, quantity: int, field: str) -> int:
    """The unit price of ``quantity`` of the product now, after checking the terms."""
    found = terms.offer_of(session, product.id) if product.visible else None
    if found is None:
        raise ValidationFailed({field: _("“%(title)s” is no longer offered wholesale.",
                                         title=shown_title(product))})
    offer, tiers = found
    terms.check_quantity(offer, quantity, field)
    return terms.unit_price(tiers, quantity)


def set_line(*, session: Session, actor: User, product_id: int,
             quantity: int) -> PurchaseOrder:
    """Put ``quantity`` of the product in the wholesale cart (0 takes it out)."""
    business = buying_business(session, actor)
    order = draft(session, business)
    line = session.exec(select(PurchaseOrderLine).where(
        PurchaseOrderLine.purchase_order_id == order.id,
        PurchaseOrderLine.product_id == product_id)).first()
    if quantity <= 0:
        if line is not None:
            session.delete(line)
        return order
    product = session.get(Product, product_id)
    if product is None:
        raise NotFound(_("No such product."))
    price = _priced(session, product, quantity, "quantity")
    count = session.exec(select(func.count()).select_from(PurchaseOrderLine).where(
        PurchaseOrderLine.purchase_order_id == order.id)).one()
    if line is None and count >= MAX_LINES:
        raise ValidationFailed({"quantity": _("A purchase order holds at most %(n)s pieces.",
                                              n=MAX_LINES)})
    line = line or PurchaseOrderLine(purchase_order_id=order.id, product_id=product.id,
                                     quantity=quantity)
    line.quantity, line.unit_price_cents = quantity, price
    session.add(line)
    return order


def parse_csv(session: Session, text: str) -> list[tuple[Product, int]]:
    """The (product, quantity) rows of a ``sku,quantity`` CSV, or ValidationFailed with a
    message for every bad line (``line 3``) and nothing else done. A header row is
    allowed; the SKU is the piece's slug."""
    rows, errors = [], {}
    reader = csv.reader(io.StringIO(text))
    for number, row in enumerate(reader, start=1):
        cells = [cell.strip() for cell in row]
        if not any(cells) or (number == 1 and cells[:1] == ["sku"]):
            continue
        field = f"line {number}"
        if len(cells) != 2 or not cells[1].isdigit():
            errors[field] = _("Write the SKU, a comma and a whole number of pieces.")
            continue
        product = session.exec(select(Product).where(Product.slug == cells[0])).first()
        if product is None:
            errors[field] = _("No piece has the SKU “%(sku)s”.", sku=cells[0][:64])
            continue
        try:
            _priced(session, product, int(cells[1]), field)
        except ValidationFailed as exc:
            errors.update(exc.errors)
            continue
        rows.append((product, int(cells[1])))
    if len(rows) > MAX_LINES:
        errors["file"] = _("A purchase order holds at most %(n)s pieces.", n=MAX_LINES)
    elif not rows and not errors:
        errors["file"] = _("The file has no lines.")
    if errors:
        raise ValidationFailed(errors, _("Nothing was added: correct these lines and upload "
                                         "the file again."))
    return rows


def add_csv(*, session: Session, actor: User, text: str) -> PurchaseOrder:
    """Put every line of the CSV in the cart, or none of them."""
    business = buying_business(session, actor)
    rows = parse_csv(session, text)
    for product, quantity in rows:
        set_line(session=session, actor=actor, product_id=product.id, quantity=quantity)
    return draft(session, business)


def _is_reorder(session: Session, business: Business, group_id: int) -> bool:
    return session.exec(select(PurchaseOrderPart.id).join(
        PurchaseOrder, PurchaseOrder.id == PurchaseOrderPart.purchase_order_id).where(
        PurchaseOrder.business_id == business.id, PurchaseOrderPart.group_id == group_id,
        col(PurchaseOrderPart.status).in_([PartStatus.ACCEPTED, PartStatus.SHIPPED]))
    ).first() is not None


def owed_on_terms(session: Session, business_id: int) -> int:
    """What the business owes on terms now, or will once its groups accept (cents): what
    is due on its invoices, plus purchase orders on invoice still waiting for answers."""
    waiting = session.exec(select(func.coalesce(func.sum(PurchaseOrder.total_cents), 0)).where(
        PurchaseOrder.business_id == business_id,
        PurchaseOrder.payment_method == PaymentMethod.INVOICE,
        PurchaseOrder.status == WAITING)).one()
    return waiting + invoices.owed(session, business_id)


def check_credit(session: Session, business: Business, adding_cents: int) -> None:
    """Conflict when ``adding_cents`` more on terms would pass the credit limit. Every path
    that adds to what a business owes calls this after locking the business row
    (``lock_business``), so two orders that each fit cannot both pass together."""
    if not business.payment_terms_days:
        raise Conflict(_("This business has no invoice terms: pay by card."))
    if invoices.has_overdue(session, business.id):
        raise Conflict(_("An invoice of this business is overdue: pay it before ordering "
                         "on terms, or pay by card."))
    owed = owed_on_terms(session, business.id)
    if owed + adding_cents > business.credit_limit_cents:
        raise Conflict(_("This order would take the business over its credit limit of "
                         "%(limit)s (%(owed)s owed or on order now). Pay by card, or pay "
                         "an invoice first.", limit=format_usd(business.credit_limit_cents),
                         owed=format_usd(owed)), credit_available_cents=max(
            business.credit_limit_cents - owed, 0))


def lock_business(session: Session, business: Business) -> Business:
    """The business row, locked until the transaction ends (PostgreSQL ``FOR UPDATE``;
    SQLite write transactions already run one at a time)."""
    return session.exec(select(Business).where(Business.id == business.id)
                        .with_for_update()).one()


def submit(*, session: Session, settings: Settings, actor: User, reference: str,
           payment_method: PaymentMethod, idempotency_key: str) -> tuple[PurchaseOrder, bool]:
    """Send the cart to its groups; (the purchase order, True), or (the first one, False)
    when this Idempotency-Key was used already."""
    business = buying_business(session, actor)
    earlier = session.exec(select(PurchaseOrder).where(
        PurchaseOrder.business_id == business.id,
        PurchaseOrder.idempotency_key == idempotency_key)).first()
    if earlier is not None:
        return earlier, False
    business = lock_business(session, business)
    order = draft(session, business)
    rows = lines_of(session, order)
    if not rows:
        raise ValidationFailed({"lines": _("The wholesale cart is empty.")})
    errors: dict[str, str] = {}
    subtotals: dict[int, int] = {}
    for line, product in rows:
        try:
            line.unit_price_cents = _priced(session, product, line.quantity,
                                            f"lines.{product.id}")
        except ValidationFailed as exc:
            errors.update(exc.errors)
            continue
        subtotals[product.group_id] = (subtotals.get(product.group_id, 0)
                                       + line.unit_price_cents * line.quantity)
    reorders = {group_id: _is_reorder(session, business, group_id) for group_id in subtotals}
    for group_id, subtotal in subtotals.items():
        minimums = terms.minimums(session, group_id)
        needed = minimums.reorder_min_cents if reorders[group_id] \
            else minimums.first_order_min_cents
        if subtotal < needed:
            group = session.get(ProducerGroup, group_id)
            errors[f"groups.{group_id}"] = _(
                "%(group)s asks for at least %(min)s per order; this one is %(total)s.",
                group=group.name, min=format_usd(needed), total=format_usd(subtotal))
    if errors:
        raise ValidationFailed(errors)
    total = sum(subtotals.values())
    if payment_method == PaymentMethod.INVOICE:
        check_credit(session, business, total)
    now = utcnow()
    parts = {group_id: PurchaseOrderPart(
        purchase_order_id=order.id, group_id=group_id, subtotal_cents=subtotal,
        respond_by=now + timedelta(days=settings.wholesale_response_days),
        is_reorder=reorders[group_id]) for group_id, subtotal in subtotals.items()}
    session.add_all(parts.values())
    session.flush()
    for line, product in sorted(rows, key=lambda row: row[1].id):  # one lock order
        line.part_id = parts[product.group_id].id
        line.held = line.quantity
        if product.stock_mode == StockMode.MADE_TO_ORDER:
            found = terms.capacity_month(session, product, line.quantity)
            if found is None:
                raise InsufficientStock(_("“%(title)s” cannot be made in that quantity in "
                                          "one month: ask the group for a quote.",
                                          title=shown_title(product)), product_id=product.id)
            line.capacity_month = found[0]
        session.add(line)
    session.flush()
    for line, product in sorted(rows, key=lambda row: row[1].id):
        if not stock.hold(session=session, product=product, quantity=line.quantity,
                          month=line.capacity_month or ""):
            raise InsufficientStock(_("Not enough of “%(title)s” is left for this order.",
                                      title=shown_title(product)), product_id=product.id)
    PURCHASE_ORDER_STATUS.change(session, order, PurchaseOrderStatus.SUBMITTED, actor=actor,
                                 values={"number": f"PO-{now.year}-{order.id:06d}",
                                         "reference": reference.strip()[:40],
                                         "payment_method": payment_method,
                                         "total_cents": total, "placed_by_id": actor.id,
                                         "idempotency_key": idempotency_key,
                                         "submitted_at": now})
    _tell_groups(session, settings, order, business, parts.values())
    return order, True


def _tell_groups(session: Session, settings: Settings, order: PurchaseOrder,
                 business: Business, parts) -> None:
    for part in parts:
        group = session.get(ProducerGroup, part.group_id)
        leader = session.get(User, group.leader_id) if group.leader_id else None
        if leader is None:
            continue
        queue_email(session=session, to=leader.email, template="purchase_order_received",
                    context={"order": order, "part": part, "group": group,
                             "business": business, "user": leader,
                             "url": f"{settings.base_url}/dashboard/purchase-orders/{part.id}"},
                    locale=leader.locale)


def viewable(*, session: Session, actor: User | None, order_id: int) -> PurchaseOrder:
    """A submitted purchase order for the business's members and admins."""
    order = session.get(PurchaseOrder, order_id)
    member = access.business_membership(session=session, user=actor)
    if order is None or order.status == PurchaseOrderStatus.DRAFT or not (
            (member is not None and member.business_id == order.business_id)
            or has_role(session=session, user=actor, role=Role.ADMIN)):
        raise NotFound(_("No such purchase order."))
    return order


def parts_of(session: Session, order: PurchaseOrder) -> list[PurchaseOrderPart]:
    return list(session.exec(select(PurchaseOrderPart).where(
        PurchaseOrderPart.purchase_order_id == order.id).order_by(PurchaseOrderPart.id)))


def list_orders(*, session: Session, actor: User, limit: int = 50,
                offset: int = 0) -> tuple[list[PurchaseOrder], int]:
    """The business's submitted purchase orders, newest first."""
    member = access.business_membership(session=session, user=actor)
    if member is None:
        return [], 0
    query = select(PurchaseOrder).where(PurchaseOrder.business_id == member.business_id,
                                        PurchaseOrder.status != PurchaseOrderStatus.DRAFT)
    total = session.exec(select(func.count()).select_from(query.subquery())).one()
    rows = session.exec(query.order_by(col(PurchaseOrder.submitted_at).desc(),
                                       col(PurchaseOrder.id).desc()).limit(limit).offset(offset))
    return list(rows), total


def reorder(*, session: Session, actor: User, order_id: int) -> tuple[PurchaseOrder, list[str]]:
    """"Order again": the pieces of a past purchase order go into the cart at today's terms
    (quantities raised to the current minimum and whole cases, priced from the current
    tiers). Returns the cart and a note for each piece that could not be added."""
    past = viewable(session=session, actor=actor, order_id=order_id)
    buying_business(session, actor)
    skipped = []
    rows = session.exec(select(PurchaseOrderLine, Product).join(
        Product, Product.id == PurchaseOrderLine.product_id).where(
        PurchaseOrderLine.purchase_order_id == past.id).order_by(PurchaseOrderLine.id)).all()
    for line, product in rows:
        found = terms.offer_of(session, product.id) if product.visible else None
        if found is None:
            skipped.append(_("“%(title)s” is no longer offered wholesale.",
                             title=shown_title(product)))
            continue
        offer, _tiers = found
        quantity = max(line.quantity, offer.min_quantity)
        quantity += -quantity % offer.case_pack
        set_line(session=session, actor=actor, product_id=product.id, quantity=quantity)
    return draft(session, buying_business(session, actor)), skipped
