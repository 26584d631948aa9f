"""Products as API schemas.

A page of products is serialised with three extra queries however long it is: the groups,
the photos and the variants of the whole page, each in one batch.
"""

from collections.abc import Sequence

from sqlmodel import Session, col, select

from marketplace.catalog.schemas import ProductPublic, VariantPublic
from marketplace.catalog.service import photos as photo_service
from marketplace.catalog.service import variants_of
from marketplace.config import Settings
from marketplace.i18n import usd_to_khr
from marketplace.media.storage import Storage
from marketplace.models import (
    ProducerGroup,
    Product,
    ProductImage,
    ProductVariant,
    StockMode,
    utcnow,
)


def _photos_by_product(session: Session, product_ids: list[int]) -> dict[int, list[ProductImage]]:
    result: dict[int, list[ProductImage]] = {pid: [] for pid in product_ids}
    if product_ids:
        for photo in session.exec(select(ProductImage).where(
                col(ProductImage.product_id).in_(product_ids))
                .order_by(ProductImage.product_id, ProductImage.position, ProductImage.id)):
            result[photo.product_id].append(photo)
    return result


def _groups(session: Session, group_ids: set[int]) -> dict[int, ProducerGroup]:
    if not group_ids:
        return {}
    rows = session.exec(select(ProducerGroup).where(col(ProducerGroup.id).in_(group_ids)))
    return {group.id: group for group in rows}


def _one(product: Product, *, group: ProducerGroup | None, photos: list[ProductImage],
         variants: list[ProductVariant], storage: Storage, rate: int, now) -> ProductPublic:
    stock = product.stock_mode == StockMode.STOCK
    return ProductPublic(
        id=product.id, group_id=product.group_id, group_name=group.name if group else None,
        slug=product.slug, title=product.title, title_km=product.title_km,
        description=product.description, description_km=product.description_km,
        craft=product.craft, category=product.category, category_km=product.category_km,
        materials=product.materials or [], materials_km=product.materials_km or [],
        techniques=product.techniques or [], techniques_km=product.techniques_km or [],
        makers=product.makers or [], dimensions=product.dimensions,
        weight_grams=product.weight_grams, care_notes=product.care_notes,
        care_notes_km=product.care_notes_km,
        price_cents=product.price_cents, price_khr=usd_to_khr(product.price_cents, rate),
        currency=product.currency, stock_mode=product.stock_mode,
        available=max(product.stock_on_hand - product.stock_allocated, 0) if stock else None,
        lead_time_days=product.lead_time_days, monthly_capacity=product.monthly_capacity,
        status=product.status, province_code=product.province_code,
        community=product.community,
        certified=product.certified_until is not None and product.certified_until > now,
        published_at=product.published_at, updated_at=product.updated_at,
        images=[photo_service.public(storage, photo) for photo in photos],
        variants=[VariantPublic.model_validate(v) for v in variants],
    )


def products_public(session: Session, storage: Storage, settings: Settings,
                    products: Sequence[Product]) -> list[ProductPublic]:
    """The products in order, with their group name, photos and variants fetched in batches."""
    ids = [p.id for p in products]
    groups = _groups(session, {p.group_id for p in products})
    photos = _photos_by_product(session, ids)
    variants = variants_of(session=session, product_ids=ids)
    now = utcnow()
    return [_one(p, group=groups.get(p.group_id), photos=photos[p.id], variants=variants[p.id],
                 storage=storage, rate=settings.khr_per_usd, now=now) for p in products]


def product_public(session: Session, storage: Storage, settings: Settings,
                   product: Product) -> ProductPublic:
    """One product with everything a product page shows."""
    return products_public(session, storage, settings, [product])[0]
