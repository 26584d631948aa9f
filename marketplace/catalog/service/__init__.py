"""Product rules: create, edit, publish / archive, stock, variants.

Only members of the owning group may change a product; every function checks it here.
"""

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from marketplace import audit
from marketplace.access import membership, require_member
from marketplace.catalog.schemas import ProductCreate, ProductUpdate, VariantIn
from marketplace.core import cache_tags
from marketplace.core.status import Lifecycle
from marketplace.core.text import slugify
from marketplace.errors import Conflict, InvalidTransition, NotFound, ValidationFailed
from marketplace.i18n import gettext as _
from marketplace.models import (
    GroupStatus,
    ProducerGroup,
    Product,
    ProductImage,
    ProductStatus,
    ProductVariant,
    StockMode,
    User,
    utcnow,
)

# Every move is made by a member of the group; publishing needs a photo (``set_status``).
PRODUCT_STATUS = Lifecycle(Product, "product", {
    ProductStatus.DRAFT: {ProductStatus.PUBLISHED, ProductStatus.ARCHIVED},
    ProductStatus.PUBLISHED: {ProductStatus.ARCHIVED, ProductStatus.DRAFT},
    ProductStatus.ARCHIVED: {ProductStatus.PUBLISHED, ProductStatus.DRAFT},
})


def refresh_search_text(product: Product, group: ProducerGroup | None) -> None:
    """Lower-cased words from both languages, the materials, makers and the group."""
    parts = [product.title, product.title_km, product.description, product.description_km,
             product.craft, product.category, product.category_km,
             " ".join(product.makers or [])]
    parts += [f"{m.get('material', '')} {m.get('origin', '')}"
              for m in [*(product.materials or []), *(product.materials_km or [])]]
    if group is not None:
        parts += [group.name, group.name_km, group.community]
    product.search_text = " ".join(p for p in parts if p).casefold()[:20000]


def title_missing() -> str:
    return _("Give the piece a title in English or Khmer.")


def check_title(title: str | None, title_km: str | None) -> None:
    """A piece needs a title in at least one of the two languages, either one."""
    if not (title or "").strip() and not (title_km or "").strip():
        message = title_missing()
        raise ValidationFailed({"title": message}, detail=message)


def product_slug(product: Product) -> str:
    """The URL words after the id: from the English title, else the English kind of
    product, else the craft (a Khmer-only title has no ASCII letters). The id before it
    keeps the address unique."""
    return slugify(product.title, slugify(product.category, product.craft or "piece"))


def _check_stock_mode(product: Product) -> None:
    if product.stock_mode == StockMode.MADE_TO_ORDER:
        errors = {}
        if not product.lead_time_days or product.lead_time_days < 1:
            errors["lead_time_days"] = _("A made-to-order piece needs a lead time of 1 day "
                                         "or more.")
        if not product.monthly_capacity or product.monthly_capacity < 1:
            errors["monthly_capacity"] = _("Say how many you can make in a month.")
        if errors:
            raise ValidationFailed(errors)
    elif product.stock_on_hand < product.stock_allocated:
        raise ValidationFailed({"stock_on_hand": _("Stock cannot be less than what is "
                                                   "already reserved by orders.")})


def copy_group_facts(product: Product, group: ProducerGroup) -> None:
    """What a product takes from its group: whether buyers see it (published, and the group
    verified), the province and community filters, and the words search finds."""
    product.visible = (product.status == ProductStatus.PUBLISHED
                       and group.status == GroupStatus.VERIFIED)
    product.province_code = group.province_code
    product.community = group.community
    refresh_search_text(product, group)


def _touch(session: Session, product: Product, group: ProducerGroup) -> None:
    product.updated_at = utcnow()
    copy_group_facts(product, group)
    session.add(product)
    cache_tags.touch(session, cache_tags.CATALOG, cache_tags.product(product.id))


def get_product(*, session: Session, product_id: int) -> Product:
    product = session.get(Product, product_id)
    if product is None:
        raise NotFound(_("No such product."))
    return product


def get_visible_product(*, session: Session, product_id: int) -> Product:
    """A product buyers may see (published, group verified)."""
    product = session.get(Product, product_id)
    if product is None or not product.visible:
        raise NotFound(_("No such product."))
    return product


def viewable_product(*, session: Session, actor: User | None, product_id: int) -> Product:
    """A visible product, or any product of a group ``actor`` belongs to (drafts included)."""
    product = session.get(Product, product_id)
    if product is None or not (product.visible or membership(
            session=session, user=actor, group_id=product.group_id)):
        raise NotFound(_("No such product."))
    return product


def editable_product(*, session: Session, actor: User | None, product_id: int) -> Product:
    """The product if ``actor`` belongs to its group; Forbidden for others."""
    product = get_product(session=session, product_id=product_id)
    require_member(session=session, user=actor, group_id=product.group_id)
    return product


def _add_variants(session: Session, product: Product, variants: list[VariantIn]) -> None:
    for position, variant in enumerate(variants):
        session.add(ProductVariant(product_id=product.id, position=position,
                                   **variant.model_dump()))
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError as exc:
        raise ValidationFailed({"variants": _("Each variant needs its own SKU.")}) from exc


def create_product(*, session: Session, actor: User, data: ProductCreate) -> Product:
    """A draft product of one of the actor's groups."""
    require_member(session=session, user=actor, group_id=data.group_id)
    check_title(data.title, data.title_km)
    group = session.get(ProducerGroup, data.group_id)
    fields = data.model_dump(exclude={"group_id", "variants"})
    product = Product(**fields, group_id=group.id, status=ProductStatus.DRAFT)
    product.slug = product_slug(product)
    if product.stock_mode == StockMode.MADE_TO_ORDER:
        product.stock_on_hand = 0
    _check_stock_mode(product)
    _touch(session, product, group)
    session.flush()
    _add_variants(session, product, data.variants)
    audit.record(session=session, actor=actor, entity_type="product", entity_id=product.id,
                 action="created", to_state=ProductStatus.DRAFT)
    return product


def update_product(*, session: Session, actor: User, product: Product,
                   data: ProductUpdate) -> Product:
    """Change a product's fields (members of its group only)."""
    require_member(session=session, user=actor, group_id=product.group_id)
    changes = data.model_dump(exclude_unset=True, exclude_none=True)
    check_title(changes.get("title", product.title), changes.get("title_km", product.title_km))
    for key, value in changes.items():
        setattr(product, key, value)
    if changes.keys() & {"title", "category", "craft"}:
        product.slug = product_slug(product)
    if product.stock_mode == StockMode.MADE_TO_ORDER:
        product.stock_on_hand = max(product.stock_allocated, 0)
    _check_stock_mode(product)
    _touch(session, product, session.get(ProducerGroup, product.group_id))
    audit.record(session=session, actor=actor, entity_type="product", entity_id=product.id,
                 action="updated", data={"fields": sorted(changes)})
    return product


def set_status(*, session: Session, actor: User, product: Product,
               to: ProductStatus) -> Product:
    """Publish, archive or return to draft, through the transition map."""
    require_member(session=session, user=actor, group_id=product.group_id)
    PRODUCT_STATUS.check(product.status, to)
    values = {}
    if to == ProductStatus.PUBLISHED:
        has_photo = session.exec(select(ProductImage.id).where(
            ProductImage.product_id == product.id)).first()
        if not has_photo:
            raise Conflict(_("Add at least one photo before publishing."))
        values["published_at"] = product.published_at or utcnow()
    if not PRODUCT_STATUS.change(session, product, to, actor=actor, values=values):
        raise InvalidTransition()  # another member moved it meanwhile
    _touch(session, product, session.get(ProducerGroup, product.group_id))
    return product


def set_stock(*, session: Session, actor: User, product: Product, stock_on_hand: int) -> Product:
    """Set how many pieces are held (never below what orders have reserved)."""
    require_member(session=session, user=actor, group_id=product.group_id)
    if product.stock_mode != StockMode.STOCK:
        raise Conflict(_("This piece is made to order; it has no stock."))
    previous = product.stock_on_hand
    product.stock_on_hand = stock_on_hand
    _check_stock_mode(product)
    _touch(session, product, session.get(ProducerGroup, product.group_id))
    audit.record(session=session, actor=actor, entity_type="product", entity_id=product.id,
                 action="stock_set", from_state=str(previous), to_state=str(stock_on_hand))
    return product


def products_of_group(*, session: Session, actor: User, group_id: int) -> list[Product]:
    """Every product of a group the actor belongs to, drafts included."""
    require_member(session=session, user=actor, group_id=group_id)
    return list(session.exec(select(Product).where(Product.group_id == group_id)
                             .order_by(Product.updated_at.desc())))


def variants_of(*, session: Session, product_ids: list[int]) -> dict[int, list[ProductVariant]]:
    result: dict[int, list[ProductVariant]] = {pid: [] for pid in product_ids}
    if product_ids:
        for variant in session.exec(select(ProductVariant).where(
                ProductVariant.product_id.in_(product_ids)).order_by(ProductVariant.position)):
            result[variant.product_id].append(variant)
    return result
