"""Orders: place from a cart (reserving stock), mark paid from the webhook, expire unpaid
ones, and move fulfilments through their guarded transition map."""

from dataclasses import dataclass
from datetime import timedelta
from uuid import uuid4

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from marketplace import audit
from marketplace.checkout import pricing, shipping
from marketplace.config import Settings
from marketplace.core.clientip import network_of
from marketplace.errors import Conflict, InvalidTransition, NotFound, ValidationFailed
from marketplace.i18n import gettext as _
from marketplace.models import (
    Cart,
    CartLine,
    Fulfilment,
    FulfilmentStatus,
    GroupStatus,
    Order,
    OrderLine,
    OrderStatus,
    ProducerGroup,
    Product,
    ProductStatus,
    ProductVariant,
    StockMode,
    User,
    utcnow,
)
from marketplace.orders import idempotency, stock, unpaid
from marketplace.payments import ledger

ORDER_TRANSITIONS = {
    OrderStatus.PENDING_PAYMENT: {OrderStatus.PAID, OrderStatus.CANCELLED},
    OrderStatus.PAID: {OrderStatus.PARTLY_REFUNDED, OrderStatus.REFUNDED},
    OrderStatus.PARTLY_REFUNDED: {OrderStatus.PARTLY_REFUNDED, OrderStatus.REFUNDED},
}
# Moves a producer group makes on its parcel once the order is paid. Payment opens a parcel
# (awaiting_payment -> new) and expiry or cancellation closes it: the system does those.
FULFILMENT_TRANSITIONS = {
    FulfilmentStatus.NEW: {FulfilmentStatus.IN_PRODUCTION, FulfilmentStatus.PACKED},
    FulfilmentStatus.IN_PRODUCTION: {FulfilmentStatus.PACKED},
    FulfilmentStatus.PACKED: {FulfilmentStatus.SHIPPED},
    FulfilmentStatus.SHIPPED: {FulfilmentStatus.DELIVERED},
}
MAX_QUANTITY = 100


class PriceChanged(Conflict):
    slug = "price-changed"

    def default_detail(self) -> str:
        return _("Prices changed since you added these pieces. Check the new total, "
                 "then confirm again.")


@dataclass
class Address:
    full_name: str
    email: str
    phone: str
    country: str
    shipping_option: str
    province_code: str | None = None
    district_code: str | None = None
    commune_code: str | None = None
    village_code: str | None = None
    address_line: str = ""
    city: str = ""
    postal_code: str = ""


@dataclass
class QuoteLine:
    product: Product
    variant: ProductVariant | None
    group: ProducerGroup
    quantity: int
    unit_price_cents: int
    price_at_add_cents: int
    split: pricing.LineSplit | None = None

    @property
    def price_changed(self) -> bool:
        return self.unit_price_cents != self.price_at_add_cents


@dataclass
class Quote:
    lines: list[QuoteLine]
    shipping_by_group: dict[int, int]
    weight_by_group: dict[int, int]
    subtotal_cents: int
    shipping_cents: int
    total_cents: int
    commission_cents: int
    card_fee_cents: int

    @property
    def price_changed(self) -> bool:
        return any(line.price_changed for line in self.lines)


def _check_line(product: Product | None, variant: ProductVariant | None,
                variant_id: int | None, group: ProducerGroup | None, quantity: int) -> None:
    if product is None or product.status != ProductStatus.PUBLISHED or group is None or \
            group.status != GroupStatus.VERIFIED:
        raise ValidationFailed({"cart": _("A piece in your cart is no longer for sale.")})
    if variant_id and (variant is None or variant.product_id != product.id):
        raise ValidationFailed({"cart": _("A piece in your cart is no longer for sale.")})
    if not 1 <= quantity <= MAX_QUANTITY:
        raise ValidationFailed({"quantity": _("Choose a quantity from 1 to %(n)s.",
                                              n=MAX_QUANTITY)})


def quote(*, session: Session, settings: Settings, cart: Cart,
          address: Address | None = None) -> Quote:
    """Current prices, shipping per group and the split for a cart (prices re-read now)."""
    rows = list(session.exec(select(CartLine).where(CartLine.cart_id == cart.id)
                             .order_by(CartLine.id)))
    if not rows:
        raise ValidationFailed({"cart": _("Your cart is empty.")})
    lines = []
    for row in rows:
        product = session.get(Product, row.product_id)
        variant = session.get(ProductVariant, row.variant_id) if row.variant_id else None
        group = session.get(ProducerGroup, product.group_id) if product else None
        _check_line(product, variant, row.variant_id, group, row.quantity)
        unit = variant.price_cents if variant else product.price_cents
        lines.append(QuoteLine(product, variant, group, row.quantity, unit, row.unit_price_cents))
    weight_by_group: dict[int, int] = {}
    for line in lines:
        weight_by_group[line.group.id] = weight_by_group.get(line.group.id, 0) + \
            line.product.weight_grams * line.quantity
    shipping_by_group = dict.fromkeys(weight_by_group, 0)
    if address is not None:
        try:
            shipping_by_group = {
                group_id: shipping.rate(address.shipping_option, weight_grams=weight,
                                        country=address.country,
                                        province_code=address.province_code)
                for group_id, weight in weight_by_group.items()}
        except KeyError as exc:
            raise ValidationFailed({"shipping_option": _("Choose a shipping option for this "
                                                         "destination.")}) from exc
    totals = [line.unit_price_cents * line.quantity for line in lines]
    subtotal = sum(totals)
    shipping_total = sum(shipping_by_group.values())
    total = subtotal + shipping_total
    fee = pricing.card_fee(total, settings.card_fee_basis_points, settings.card_fee_fixed_cents)
    splits = pricing.split_lines(totals, commission_bp=settings.commission_basis_points,
                                 fee_total=fee)
    for line, split in zip(lines, splits, strict=True):
        line.split = split
    return Quote(lines, shipping_by_group, weight_by_group, subtotal, shipping_total, total,
                 sum(s.commission_cents for s in splits), fee)


def _existing(session: Session, user: User | None, cart: Cart, key: str | None) -> Order | None:
    if not key:
        return None
    owner = Order.user_id == user.id if user else Order.cart_id == cart.id
    return session.exec(select(Order).where(owner, Order.idempotency_key == key)).first()


def place_order(*, session: Session, settings: Settings, cart: Cart, user: User | None,
                address: Address, idempotency_key: str | None = None,
                expected_total_cents: int | None = None,
                client_ip: str | None = None) -> tuple[Order, bool]:
    """Create the order and hold its stock for ``reservation_minutes``.

    Returns (order, created). The same Idempotency-Key with the same request returns the
    first order unchanged; with another request it raises IdempotencyKeyReused. Raises
    TooManyUnpaidOrders past the unpaid limits (per cart, account, ``client_ip``) and
    PriceChanged when ``expected_total_cents`` no longer matches (nothing written).
    """
    client_ip = network_of(client_ip)[:45] if client_ip else None  # IPv6: its /64
    asked = idempotency.fingerprint(cart=cart, address=address,
                                    expected_total_cents=expected_total_cents)
    unpaid.serialize(session=session, cart=cart, user=user, client_ip=client_ip)
    existing = _existing(session, user, cart, idempotency_key)
    if existing:
        idempotency.check(existing, key=idempotency_key, expected=asked)
        return existing, False
    unpaid.check_room(session=session, settings=settings, cart=cart, user=user,
                      client_ip=client_ip)
    current = quote(session=session, settings=settings, cart=cart, address=address)
    if expected_total_cents is not None and expected_total_cents != current.total_cents:
        raise PriceChanged(total_cents=current.total_cents)
    now = utcnow()
    order = Order(
        number=f"tmp-{uuid4().hex[:16]}", user_id=user.id if user else None,
        cart_id=cart.id, idempotency_key=idempotency_key,
        idempotency_fingerprint=asked if idempotency_key else None, client_ip=client_ip,
        email=address.email.lower(),
        phone=address.phone, full_name=address.full_name, country=address.country.upper(),
        province_code=address.province_code, district_code=address.district_code,
        commune_code=address.commune_code, village_code=address.village_code,
        address_line=address.address_line, city=address.city, postal_code=address.postal_code,
        shipping_option=address.shipping_option, locale=user.locale if user else "en",
        subtotal_cents=current.subtotal_cents, shipping_cents=current.shipping_cents,
        total_cents=current.total_cents, commission_cents=current.commission_cents,
        card_fee_cents=current.card_fee_cents,
        reserved_until=now + timedelta(minutes=settings.reservation_minutes),
    )
    try:
        with session.begin_nested():  # added inside: a failed insert leaves nothing pending
            session.add(order)
            session.flush()
    except IntegrityError as exc:  # the same key raced in another request
        existing = _existing(session, user, cart, idempotency_key)
        if existing:
            idempotency.check(existing, key=idempotency_key, expected=asked)
            return existing, False
        raise Conflict() from exc
    order.number = f"MK-{now.year}-{order.id:06d}"
    fulfilments: dict[int, Fulfilment] = {}
    for group_id, cents in current.shipping_by_group.items():
        group = session.get(ProducerGroup, group_id)
        fulfilments[group_id] = Fulfilment(order_id=order.id, group_id=group_id,
                                           group_name=group.name, shipping_cents=cents,
                                           weight_grams=current.weight_by_group[group_id])
        session.add(fulfilments[group_id])
    session.flush()
    for line in current.lines:
        product, variant = line.product, line.variant
        session.add(OrderLine(
            order_id=order.id, fulfilment_id=fulfilments[line.group.id].id,
            product_id=product.id, variant_id=variant.id if variant else None,
            group_id=line.group.id, title=product.title, title_km=product.title_km,
            variant_label=" / ".join(v for v in (variant.colour, variant.size) if v)
            if variant else "", sku=variant.sku if variant else None,
            group_name=line.group.name, maker=", ".join(product.makers or [])[:300],
            certified_at_sale=bool(product.certified_until and product.certified_until > now),
            made_to_order=product.stock_mode == StockMode.MADE_TO_ORDER,
            lead_time_days=product.lead_time_days, quantity=line.quantity,
            unit_price_cents=line.unit_price_cents,
            line_total_cents=line.split.line_total_cents,
            commission_cents=line.split.commission_cents,
            card_fee_cents=line.split.card_fee_cents, producer_cents=line.split.producer_cents,
        ))
    stock.reserve(session=session, order_id=order.id,
                  items=[(line.product, line.variant.id if line.variant else None,
                          line.quantity) for line in current.lines],
                  expires_at=order.reserved_until)
    session.add(order)
    audit.record(session=session, actor=user, entity_type="order", entity_id=order.id,
                 action="placed", to_state=order.status)
    return order, True


def _set_status(session: Session, order: Order, to: OrderStatus, actor: User | None,
                reason: str | None = None) -> bool:
    """Move the order through the transition map with a conditional UPDATE; False if it
    had already moved (a replayed webhook, a concurrent request)."""
    current = OrderStatus(order.status)
    if to not in ORDER_TRANSITIONS.get(current, set()):
        raise InvalidTransition()
    values = {"status": to}
    if to == OrderStatus.PAID:
        values["paid_at"] = utcnow()
    if to == OrderStatus.CANCELLED:
        values["cancelled_at"] = utcnow()
    result = session.execute(update(Order).where(Order.id == order.id, Order.status == current)
                             .values(**values).execution_options(synchronize_session=False))
    if result.rowcount != 1:
        return False
    session.refresh(order)
    audit.record(session=session, actor=actor, entity_type="order", entity_id=order.id,
                 action=f"status_{to}", from_state=current, to_state=to, reason=reason)
    return True


def lines_of(*, session: Session, order_id: int) -> list[OrderLine]:
    return list(session.exec(select(OrderLine).where(OrderLine.order_id == order_id)
                             .order_by(OrderLine.id)))


def fulfilments_of(*, session: Session, order_id: int) -> list[Fulfilment]:
    return list(session.exec(select(Fulfilment).where(Fulfilment.order_id == order_id)
                             .order_by(Fulfilment.id)))


def mark_paid(*, session: Session, settings: Settings, order: Order,
              amount_cents: int | None = None) -> bool:
    """Payment succeeded (from the verified webhook only): stock sold, ledger written,
    fulfilments opened, cart emptied, confirmation queued. False if already done."""
    from marketplace.orders.notify import order_paid

    if order.status not in (OrderStatus.PENDING_PAYMENT, OrderStatus.CANCELLED):
        return False  # already paid: a replayed or duplicate event changes nothing
    if amount_cents is not None and amount_cents != order.total_cents:
        raise Conflict(_("The amount paid does not match the order."))
    if order.status == OrderStatus.CANCELLED:
        # Paid after its reservation expired: hold the stock again if it is still there.
        reopened = session.execute(update(Order).where(
            Order.id == order.id, Order.status == OrderStatus.CANCELLED).values(
            status=OrderStatus.PENDING_PAYMENT, cancelled_at=None)
            .execution_options(synchronize_session=False))
        session.refresh(order)
        if reopened.rowcount != 1:  # another path (webhook, worker) got here first
            return False
        items = [(session.get(Product, line.product_id), line.variant_id, line.quantity)
                 for line in lines_of(session=session, order_id=order.id)]
        stock.reserve(session=session, order_id=order.id, items=items,
                      expires_at=utcnow() + timedelta(minutes=settings.reservation_minutes))
    if not _set_status(session, order, OrderStatus.PAID, None):
        return False
    stock.convert(session=session, order_id=order.id)
    lines = lines_of(session=session, order_id=order.id)
    fulfilments = fulfilments_of(session=session, order_id=order.id)
    ledger.record_payment(session=session, order=order, lines=lines,
                          shipping_by_group={f.group_id: f.shipping_cents for f in fulfilments})
    for fulfilment in fulfilments:
        fulfilment.status = FulfilmentStatus.NEW
        fulfilment.updated_at = utcnow()
        session.add(fulfilment)
    if order.cart_id:
        _take_ordered_from_cart(session, order.cart_id, lines)
    order_paid(session=session, settings=settings, order=order, lines=lines,
               fulfilments=fulfilments)
    return True


def _take_ordered_from_cart(session: Session, cart_id: int, lines: list[OrderLine]) -> None:
    """Remove what was bought from the cart; pieces added since the order stay."""
    for line in lines:
        row = session.exec(select(CartLine).where(
            CartLine.cart_id == cart_id, CartLine.product_id == line.product_id,
            CartLine.variant_id == line.variant_id if line.variant_id
            else CartLine.variant_id.is_(None))).first()
        if row is None:
            continue
        if row.quantity <= line.quantity:
            session.delete(row)
        else:
            row.quantity -= line.quantity
            session.add(row)


def expire_unpaid(*, session: Session) -> int:
    """Cancel unpaid orders past their reservation and give their stock back."""
    due = list(session.exec(select(Order).where(
        Order.status == OrderStatus.PENDING_PAYMENT, Order.reserved_until < utcnow())))
    count = 0
    for order in due:
        if _set_status(session, order, OrderStatus.CANCELLED, None, "reservation expired"):
            stock.release(session=session, order_id=order.id)
            for fulfilment in fulfilments_of(session=session, order_id=order.id):
                fulfilment.status = FulfilmentStatus.CANCELLED
                session.add(fulfilment)
            count += 1
    return count


def cancel_unpaid(*, session: Session, actor: User | None, order: Order,
                  reason: str = "") -> Order:
    """Cancel an order that is not paid (an admin, or the buyer); stock comes back."""
    if not _set_status(session, order, OrderStatus.CANCELLED, actor, reason or None):
        raise InvalidTransition()
    stock.release(session=session, order_id=order.id)
    for fulfilment in fulfilments_of(session=session, order_id=order.id):
        fulfilment.status = FulfilmentStatus.CANCELLED
        session.add(fulfilment)
    return order


def get_by_number(*, session: Session, number: str) -> Order:
    order = session.exec(select(Order).where(Order.number == number)).first()
    if order is None:
        raise NotFound(_("No such order."))
    return order


def set_fulfilment_status(*, session: Session, settings: Settings, actor: User,
                          fulfilment: Fulfilment, to: FulfilmentStatus,
                          carrier: str | None = None,
                          tracking_number: str | None = None) -> Fulfilment:
    """A group member accepts, packs, ships (carrier and tracking) or delivers its parcel."""
    from marketplace.orders.notify import fulfilment_shipped
    from marketplace.producers.service import require_member

    require_member(session=session, user=actor, group_id=fulfilment.group_id)
    current = FulfilmentStatus(fulfilment.status)
    if to not in FULFILMENT_TRANSITIONS.get(current, set()):
        raise InvalidTransition()
    order = session.get(Order, fulfilment.order_id)
    if order is None or order.paid_at is None:
        raise InvalidTransition(_("This order is not paid."))
    if to == FulfilmentStatus.SHIPPED:
        errors = {}
        if not (carrier or "").strip():
            errors["carrier"] = _("Name the carrier.")
        if not (tracking_number or "").strip():
            errors["tracking_number"] = _("Enter the tracking number.")
        if errors:
            raise ValidationFailed(errors)
        fulfilment.carrier = carrier.strip()[:60]
        fulfilment.tracking_number = tracking_number.strip()[:80]
        fulfilment.shipped_at = utcnow()
    if to == FulfilmentStatus.DELIVERED:
        fulfilment.delivered_at = utcnow()
    result = session.execute(update(Fulfilment).where(
        Fulfilment.id == fulfilment.id, Fulfilment.status == current).values(
        status=to, updated_at=utcnow()).execution_options(synchronize_session=False))
    if result.rowcount != 1:
        raise InvalidTransition()
    fulfilment.status = to
    session.add(fulfilment)
    audit.record(session=session, actor=actor, entity_type="fulfilment", entity_id=fulfilment.id,
                 action=f"status_{to}", from_state=current, to_state=to,
                 data={"carrier": fulfilment.carrier, "tracking": fulfilment.tracking_number}
                 if to == FulfilmentStatus.SHIPPED else None)
    if to == FulfilmentStatus.SHIPPED:
        fulfilment_shipped(session=session, settings=settings, fulfilment=fulfilment)
    return fulfilment


# --- reading orders and parcels (JSON API) ----------------------------------------------------


def orders_of(*, session: Session, user: User, limit: int = 20,
              offset: int = 0) -> tuple[list[Order], int]:
    """The buyer's own orders, newest first, and how many there are."""
    from sqlalchemy import func

    mine = Order.user_id == user.id
    total = session.exec(select(func.count()).select_from(Order).where(mine)).one()
    rows = session.exec(select(Order).where(mine).order_by(Order.id.desc())
                        .offset(offset).limit(limit))
    return list(rows), total


def viewable_order(*, session: Session, number: str, user: User | None,
                   cart_token: str | None) -> Order:
    """The order for its buyer: the account that placed it or, for an order placed without an
    account, whoever holds its cart token. NotFound for anyone else (numbers are guessable)."""
    import secrets

    order = session.exec(select(Order).where(Order.number == number)).first()
    if order is not None:
        if user is not None and order.user_id == user.id:
            return order
        if order.user_id is None and cart_token and order.cart_id:
            cart = session.get(Cart, order.cart_id)
            if cart and secrets.compare_digest(cart.token.encode(), cart_token.encode()):
                return order
    raise NotFound(_("No such order."))


def details_of(*, session: Session, order_ids: list[int]
               ) -> tuple[dict[int, list[OrderLine]], dict[int, list[Fulfilment]]]:
    """Lines and fulfilments of many orders in two queries, keyed by order id."""
    lines: dict[int, list[OrderLine]] = {oid: [] for oid in order_ids}
    parcels: dict[int, list[Fulfilment]] = {oid: [] for oid in order_ids}
    if order_ids:
        for line in session.exec(select(OrderLine).where(OrderLine.order_id.in_(order_ids))
                                 .order_by(OrderLine.id)):
            lines[line.order_id].append(line)
        for parcel in session.exec(select(Fulfilment).where(Fulfilment.order_id.in_(order_ids))
                                   .order_by(Fulfilment.id)):
            parcels[parcel.order_id].append(parcel)
    return lines, parcels


def group_fulfilments(*, session: Session, actor: User, status: FulfilmentStatus | None = None,
                      fulfilment_id: int | None = None, limit: int = 20, offset: int = 0
                      ) -> tuple[list[tuple[Fulfilment, Order, list[OrderLine]]], int]:
    """Paid parcels of the groups ``actor`` may act for (oldest first), with their order and
    lines, and how many there are. Unpaid orders never show: nothing is owed to make yet."""
    from sqlalchemy import func

    from marketplace.producers.service import accessible_group_ids

    group_ids = accessible_group_ids(session=session, user=actor)
    where = [Fulfilment.group_id.in_(group_ids), Order.paid_at.is_not(None)]
    if status is not None:
        where.append(Fulfilment.status == status)
    if fulfilment_id is not None:
        where.append(Fulfilment.id == fulfilment_id)
    total = session.exec(select(func.count()).select_from(Fulfilment)
                         .join(Order, Order.id == Fulfilment.order_id).where(*where)).one()
    rows = list(session.exec(select(Fulfilment, Order).join(Order, Order.id == Fulfilment.order_id)
                             .where(*where).order_by(Fulfilment.id).offset(offset).limit(limit)))
    by_parcel: dict[int, list[OrderLine]] = {f.id: [] for f, _o in rows}
    if by_parcel:
        for line in session.exec(select(OrderLine).where(
                OrderLine.fulfilment_id.in_(list(by_parcel))).order_by(OrderLine.id)):
            by_parcel[line.fulfilment_id].append(line)
    return [(f, o, by_parcel[f.id]) for f, o in rows], total


def get_fulfilment(*, session: Session, fulfilment_id: int) -> Fulfilment:
    fulfilment = session.get(Fulfilment, fulfilment_id)
    if fulfilment is None:
        raise NotFound(_("No such parcel."))
    return fulfilment
