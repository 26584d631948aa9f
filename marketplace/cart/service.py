"""Cart rules: one cart per browser (its token in the signed session cookie) or per account,
merged into the account on log-in. Prices are re-read at checkout; the price when added is
kept to show a change."""

import secrets
from dataclasses import dataclass

from sqlalchemy import and_, delete, func, or_
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from marketplace.errors import Forbidden, NotFound, ValidationFailed
from marketplace.i18n import gettext as _
from marketplace.models import (
    Cart,
    CartLine,
    GroupStatus,
    ProducerGroup,
    Product,
    ProductStatus,
    ProductVariant,
    StockMode,
    User,
    utcnow,
)

MAX_QUANTITY = 100


def new_cart(*, session: Session, user: User | None = None) -> Cart:
    cart = Cart(token=secrets.token_urlsafe(24), user_id=user.id if user else None)
    session.add(cart)
    session.flush()
    return cart


def by_token(*, session: Session, token: str | None, user: User | None) -> Cart | None:
    """The cart behind ``token``; another account's cart is Forbidden."""
    if not token:
        return None
    cart = session.exec(select(Cart).where(Cart.token == token)).first()
    if cart is None:
        return None
    if cart.user_id is not None and (user is None or cart.user_id != user.id):
        raise Forbidden(_("This cart belongs to another account."))
    return cart


def for_user(*, session: Session, user: User) -> Cart | None:
    return session.exec(select(Cart).where(Cart.user_id == user.id)
                        .order_by(Cart.id.desc())).first()


def current(*, session: Session, token: str | None, user: User | None,
            create: bool = False) -> Cart | None:
    """The cart to show: the account's (merging an anonymous one in), else the browser's."""
    anonymous = by_token(session=session, token=token, user=user)
    if user is None:
        return anonymous or (new_cart(session=session) if create else None)
    mine = for_user(session=session, user=user)
    if anonymous is not None and anonymous.user_id is None:
        if mine is None:
            anonymous.user_id = user.id
            session.add(anonymous)
            return anonymous
        merge(session=session, source=anonymous, target=mine)
    if mine is None and create:
        mine = new_cart(session=session, user=user)
    return mine


def pieces(*, session: Session, token: str | None, user: User | None) -> int:
    """How many pieces the cart a page shows holds: the browser's cart (``token``, when it
    belongs to no other account) plus the account's, as they will be once merged."""
    carts = []
    if token:
        carts.append(and_(Cart.token == token, or_(Cart.user_id.is_(None),
                                                    Cart.user_id == (user.id if user else -1))))
    if user is not None:
        carts.append(Cart.user_id == user.id)
    if not carts:
        return 0
    total = session.exec(select(func.coalesce(func.sum(CartLine.quantity), 0))
                         .join(Cart, Cart.id == CartLine.cart_id).where(or_(*carts))).one()
    return int(total)


def merge(*, session: Session, source: Cart, target: Cart) -> None:
    """Move the anonymous cart's lines into the account's cart (quantities add up)."""
    for line in session.exec(select(CartLine).where(CartLine.cart_id == source.id)).all():
        existing = _line(session, target, line.product_id, line.variant_id)
        if existing:
            existing.quantity = min(MAX_QUANTITY, existing.quantity + line.quantity)
            session.add(existing)
        else:
            session.add(CartLine(cart_id=target.id, product_id=line.product_id,
                                 variant_id=line.variant_id, quantity=line.quantity,
                                 unit_price_cents=line.unit_price_cents))
    session.execute(delete(CartLine).where(CartLine.cart_id == source.id))
    session.delete(source)
    session.flush()


def _line(session: Session, cart: Cart, product_id: int, variant_id: int | None):
    return session.exec(select(CartLine).where(
        CartLine.cart_id == cart.id, CartLine.product_id == product_id,
        CartLine.variant_id == variant_id if variant_id else CartLine.variant_id.is_(None),
    )).first()


def _sellable(session: Session, product_id: int,
              variant_id: int | None) -> tuple[Product, ProductVariant | None]:
    product = session.get(Product, product_id)
    group = session.get(ProducerGroup, product.group_id) if product else None
    if product is None or product.status != ProductStatus.PUBLISHED or group is None or \
            group.status != GroupStatus.VERIFIED:
        raise NotFound(_("This piece is not for sale."))
    variant = None
    if variant_id is not None:
        variant = session.get(ProductVariant, variant_id)
        if variant is None or variant.product_id != product.id:
            raise ValidationFailed({"variant_id": _("Choose one of this piece's options.")})
    return product, variant


def _check_quantity(quantity: int) -> None:
    if not isinstance(quantity, int) or not 1 <= quantity <= MAX_QUANTITY:
        raise ValidationFailed({"quantity": _("Choose a quantity from 1 to %(n)s.",
                                              n=MAX_QUANTITY)})


def add(*, session: Session, cart: Cart, product_id: int, variant_id: int | None = None,
        quantity: int = 1) -> CartLine:
    """Add a piece (or more of it); the quantity must be 1 to 100 and available."""
    _check_quantity(quantity)
    product, variant = _sellable(session, product_id, variant_id)
    line = _line(session, cart, product.id, variant_id)
    wanted = quantity + (line.quantity if line else 0)
    _check_quantity(wanted)
    price = variant.price_cents if variant else product.price_cents
    if line is None:
        line = CartLine(cart_id=cart.id, product_id=product.id, variant_id=variant_id,
                        quantity=wanted, unit_price_cents=price)
    else:
        line.quantity = wanted
    session.add(line)
    cart.updated_at = utcnow()
    session.add(cart)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:  # the same piece added twice at once
        session.expire_all()
        line = _line(session, cart, product.id, variant_id)
    return line


def set_quantity(*, session: Session, cart: Cart, line_id: int, quantity: int) -> None:
    """Change a line's quantity; 0 removes it."""
    line = session.get(CartLine, line_id)
    if line is None or line.cart_id != cart.id:
        raise NotFound(_("This piece is not in your cart."))
    if quantity == 0:
        session.delete(line)
        return
    _check_quantity(quantity)
    line.quantity = quantity
    session.add(line)


def remove(*, session: Session, cart: Cart, line_id: int) -> None:
    set_quantity(session=session, cart=cart, line_id=line_id, quantity=0)


@dataclass
class CartView:
    line: CartLine
    product: Product
    variant: ProductVariant | None
    group: ProducerGroup
    unit_price_cents: int
    available: int | None
    warning: str | None

    @property
    def total_cents(self) -> int:
        return self.unit_price_cents * self.line.quantity

    @property
    def price_changed(self) -> bool:
        return self.unit_price_cents != self.line.unit_price_cents


def lines_with_products(*, session: Session, cart: Cart) -> list[tuple]:
    """Each line with its product, variant and group (None when gone), in one query."""
    return list(session.exec(
        select(CartLine, Product, ProductVariant, ProducerGroup)
        .outerjoin(Product, Product.id == CartLine.product_id)
        .outerjoin(ProductVariant, ProductVariant.id == CartLine.variant_id)
        .outerjoin(ProducerGroup, ProducerGroup.id == Product.group_id)
        .where(CartLine.cart_id == cart.id).order_by(CartLine.id)).all())


def view(*, session: Session, cart: Cart | None) -> list[CartView]:
    """The lines with current prices, the group, made-to-order facts and stock warnings."""
    if cart is None:
        return []
    result = []
    for line, product, variant, group in lines_with_products(session=session, cart=cart):
        price = variant.price_cents if variant else product.price_cents
        available, warning = None, None
        if product.status != ProductStatus.PUBLISHED or group.status != GroupStatus.VERIFIED:
            warning = _("No longer for sale: remove it to check out.")
        elif product.stock_mode == StockMode.STOCK:
            holder = variant or product
            available = holder.stock_on_hand - holder.stock_allocated
            if available <= 0:
                warning = _("Sold out.")
            elif available < line.quantity:
                warning = _("Only %(n)s left.", n=available)
        result.append(CartView(line, product, variant, group, price, available, warning))
    return result
