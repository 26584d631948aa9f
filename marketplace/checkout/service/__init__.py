"""Checkout: the current price of a cart for a destination (``quote``) and placing the order
(``place_order``): prices re-read, every line split, one parcel per producer group, stock or
made-to-order capacity held for ``reservation_minutes``, and the Idempotency-Key honoured.

Checkout uses the cart (what is being bought) and creates the rows of the orders domain; the
orders domain (payment, parcels, refunds) never reaches back here.
"""

from dataclasses import dataclass
from datetime import timedelta
from uuid import uuid4

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from marketplace import audit
from marketplace.cart import service as carts
from marketplace.cart.service import MAX_QUANTITY
from marketplace.checkout.service import idempotency, shipping
from marketplace.checkout.service.address import Address
from marketplace.config import Settings
from marketplace.core.clientip import network_of
from marketplace.errors import Conflict, ValidationFailed
from marketplace.i18n import gettext as _
from marketplace.models import (
    Cart,
    Fulfilment,
    GroupStatus,
    Order,
    OrderLine,
    ProducerGroup,
    Product,
    ProductStatus,
    ProductVariant,
    StockMode,
    User,
    utcnow,
)
from marketplace.orders.service import stock, unpaid
from marketplace.payments import pricing

__all__ = ["Address", "PriceChanged", "Quote", "QuoteLine", "place_order", "quote"]


class PriceChanged(Conflict):
    slug = "price-changed"

    def default_detail(self) -> str:
        return _("Prices changed since you added these pieces. Check the new total, "
                 "then confirm again.")


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
    """The price of a cart for a destination. ``shipping_by_group`` is what each group is
    paid for its parcel: to the buyer in Cambodia, or to the packing point when the order
    goes abroad (``consolidated``), where ``shipping_cents`` is the one international
    shipment by total weight. ``total_cents`` = pieces + shipping + small-order fee."""
    lines: list[QuoteLine]
    shipping_by_group: dict[int, int]
    weight_by_group: dict[int, int]
    subtotal_cents: int
    shipping_cents: int
    total_cents: int
    commission_cents: int
    card_fee_cents: int
    small_order_fee_cents: int = 0
    consolidated: bool = False

    @property
    def price_changed(self) -> bool:
        return any(line.price_changed for line in self.lines)

    @property
    def weight_grams(self) -> int:
        return sum(self.weight_by_group.values())

    @property
    def producers_cents(self) -> int:
        """What the producer groups receive: their pieces less commission, and their parcels."""
        return sum(line.split.producer_cents for line in self.lines) + \
            sum(self.shipping_by_group.values())

    @property
    def packing_point_cents(self) -> int:
        """What pays the international carrier (the shipment less the groups' parcels)."""
        return self.shipping_cents - sum(self.shipping_by_group.values())

    @property
    def marketplace_cents(self) -> int:
        """Commission plus small-order fee: what the marketplace keeps before the card fee."""
        return self.commission_cents + self.small_order_fee_cents


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
    rows = carts.lines_with_products(session=session, cart=cart)
    if not rows:
        raise ValidationFailed({"cart": _("Your cart is empty.")})
    lines = []
    for row, product, variant, group in rows:
        _check_line(product, variant, row.variant_id, group, row.quantity)
        unit = variant.price_cents if variant else product.price_cents
        lines.append(QuoteLine(product, variant, group, row.quantity, unit, row.unit_price_cents))
    weight_by_group: dict[int, int] = {}
    for line in lines:
        weight_by_group[line.group.id] = weight_by_group.get(line.group.id, 0) + \
            line.product.weight_grams * line.quantity
    shipping_by_group, shipping_total, consolidated = _shipping(
        settings, address, lines, weight_by_group)
    totals = [line.unit_price_cents * line.quantity for line in lines]
    subtotal = sum(totals)
    commission = sum(pricing.share(t, settings.commission_basis_points) for t in totals)
    small = pricing.small_order_fee(subtotal + shipping_total, commission,
                                    basis_points=settings.card_fee_basis_points,
                                    fixed_cents=settings.card_fee_fixed_cents)
    total = subtotal + shipping_total + small
    fee = pricing.card_fee(total, settings.card_fee_basis_points, settings.card_fee_fixed_cents)
    splits = pricing.split_lines(totals, commission_bp=settings.commission_basis_points,
                                 fee_total=fee)
    for line, split in zip(lines, splits, strict=True):
        line.split = split
    return Quote(lines, shipping_by_group, weight_by_group, subtotal, shipping_total, total,
                 commission, fee, small, consolidated)


def _shipping(settings: Settings, address: Address | None, lines: list[QuoteLine],
              weight_by_group: dict[int, int]) -> tuple[dict[int, int], int, bool]:
    """(each group's parcel, shipping the buyer pays, consolidated) for the destination."""
    if address is None:
        return dict.fromkeys(weight_by_group, 0), 0, False
    try:
        if not shipping.is_international(address.country):
            by_group = {group_id: shipping.rate(address.shipping_option, weight_grams=weight,
                                                country=address.country,
                                                province_code=address.province_code)
                        for group_id, weight in weight_by_group.items()}
            return by_group, sum(by_group.values()), False
        total = shipping.international_rate(
            address.shipping_option, weight_grams=sum(weight_by_group.values()),
            country=address.country, settings=settings)
    except KeyError as exc:
        raise ValidationFailed({"shipping_option": _("Choose a shipping option for this "
                                                     "destination.")}) from exc
    provinces = {line.group.id: line.group.province_code for line in lines}
    legs = {group_id: shipping.leg_to_packing_point(weight_grams=weight,
                                                    group_province=provinces[group_id])
            for group_id, weight in weight_by_group.items()}
    # Light pieces from many groups: the parcels to Phnom Penh can cost more than the one
    # shipment abroad. The buyer then pays the parcels, never less than the groups are paid.
    return legs, max(total, sum(legs.values())), True


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
        address_line=address.address_line, landmark=address.landmark, city=address.city,
        postal_code=address.postal_code,
        shipping_option=address.shipping_option, locale=user.locale if user else "en",
        subtotal_cents=current.subtotal_cents, shipping_cents=current.shipping_cents,
        total_cents=current.total_cents, commission_cents=current.commission_cents,
        card_fee_cents=current.card_fee_cents,
        small_order_fee_cents=current.small_order_fee_cents,
        consolidated=current.consolidated,
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
    audit.record(session=session, actor=user, entity_type="order", entity_id=order.id,
                 action="placed", to_state=order.status)
    # Last: the stock's row locks are held from here until the request commits.
    stock.reserve(session=session, order_id=order.id,
                  items=[(line.product, line.variant.id if line.variant else None,
                          line.quantity) for line in current.lines],
                  expires_at=order.reserved_until)
    return order, True
