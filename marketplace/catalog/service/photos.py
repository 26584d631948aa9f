"""Product photos: up to 8 per product, alt text required, reorderable."""

from sqlalchemy import func
from sqlmodel import Session, select

from marketplace import audit
from marketplace.access import require_member
from marketplace.catalog.schemas import ImagePublic
from marketplace.core import cache_tags
from marketplace.errors import Conflict, NotFound, ValidationFailed
from marketplace.i18n import gettext as _
from marketplace.media import images
from marketplace.media.storage import Storage
from marketplace.models import Product, ProductImage, User, utcnow

MAX_PHOTOS = 8


def add_photo(*, session: Session, storage: Storage, actor: User, product: Product,
              data: bytes, alt_text: str) -> ProductImage:
    """Validate, strip and store a photo, then attach it at the end of the product's list."""
    require_member(session=session, user=actor, group_id=product.group_id)
    alt_text = (alt_text or "").strip()
    if not alt_text:
        raise ValidationFailed({"alt_text": _("Describe the photo for people who cannot see "
                                              "it.")})
    if len(alt_text) > 300:
        raise ValidationFailed({"alt_text": _("Use at most %(n)s characters.", n=300)})
    count = session.exec(select(func.count()).where(ProductImage.product_id == product.id)).one()
    if count >= MAX_PHOTOS:
        raise Conflict(_("A product can have at most 8 photos."))
    processed = images.process(data, storage)
    duplicate = session.exec(select(ProductImage).where(
        ProductImage.product_id == product.id,
        ProductImage.content_hash == processed.content_hash)).first()
    if duplicate:
        raise ValidationFailed({"photo": _("This photo is already on the product.")})
    photo = ProductImage(product_id=product.id, content_hash=processed.content_hash,
                         alt_text=alt_text, width=processed.width, height=processed.height,
                         position=count)
    session.add(photo)
    session.flush()
    product.updated_at = utcnow()
    session.add(product)
    audit.record(session=session, actor=actor, entity_type="product", entity_id=product.id,
                 action="photo_added", data={"image_id": photo.id})
    cache_tags.touch(session, cache_tags.CATALOG, cache_tags.product(product.id))
    return photo


def _photo(session: Session, product: Product, image_id: int) -> ProductImage:
    photo = session.get(ProductImage, image_id)
    if photo is None or photo.product_id != product.id:
        raise NotFound(_("No such photo."))
    return photo


def delete_photo(*, session: Session, actor: User, product: Product, image_id: int) -> None:
    """Remove a photo; the others close the gap. (Files stay: others may share the hash.)"""
    require_member(session=session, user=actor, group_id=product.group_id)
    session.delete(_photo(session, product, image_id))
    session.flush()
    for position, photo in enumerate(photos_of(session=session, product_id=product.id)):
        photo.position = position
        session.add(photo)
    product.updated_at = utcnow()
    session.add(product)
    audit.record(session=session, actor=actor, entity_type="product", entity_id=product.id,
                 action="photo_deleted", data={"image_id": image_id})
    cache_tags.touch(session, cache_tags.CATALOG, cache_tags.product(product.id))


def reorder(*, session: Session, actor: User, product: Product, image_ids: list[int]) -> None:
    """Put the photos in the given order; the list must name each photo once."""
    require_member(session=session, user=actor, group_id=product.group_id)
    current = photos_of(session=session, product_id=product.id)
    if sorted(image_ids) != sorted(p.id for p in current):
        raise ValidationFailed({"image_ids": _("List every photo of the product once.")})
    by_id = {p.id: p for p in current}
    for position, image_id in enumerate(image_ids):
        by_id[image_id].position = position
        session.add(by_id[image_id])
    product.updated_at = utcnow()
    session.add(product)
    cache_tags.touch(session, cache_tags.CATALOG, cache_tags.product(product.id))


def move(*, session: Session, actor: User, product: Product, image_id: int, step: int) -> None:
    """Move one photo earlier (-1) or later (+1): the no-JavaScript way to reorder."""
    ids = [p.id for p in photos_of(session=session, product_id=product.id)]
    if image_id not in ids:
        raise NotFound(_("No such photo."))
    i = ids.index(image_id)
    j = max(0, min(len(ids) - 1, i + step))
    ids[i], ids[j] = ids[j], ids[i]
    reorder(session=session, actor=actor, product=product, image_ids=ids)


def photos_of(*, session: Session, product_id: int) -> list[ProductImage]:
    return list(session.exec(select(ProductImage).where(ProductImage.product_id == product_id)
                             .order_by(ProductImage.position, ProductImage.id)))


def first_photos(*, session: Session, product_ids: list[int]) -> dict[int, ProductImage]:
    """The cover photo of each product."""
    result: dict[int, ProductImage] = {}
    if product_ids:
        for photo in session.exec(select(ProductImage).where(
                ProductImage.product_id.in_(product_ids))
                .order_by(ProductImage.product_id, ProductImage.position, ProductImage.id)):
            result.setdefault(photo.product_id, photo)
    return result


def public(storage: Storage, photo: ProductImage) -> ImagePublic:
    return ImagePublic(
        id=photo.id, alt_text=photo.alt_text, width=photo.width, height=photo.height,
        position=photo.position,
        url=storage.url(images.rendition_key(photo.content_hash, images.FALLBACK_WIDTH, "jpg")),
        srcset=images.srcset(storage, photo.content_hash, photo.width),
    )
