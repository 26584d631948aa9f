"""Product, photo and search rules against the real database."""

import io

import pytest
from PIL import Image

from marketplace.catalog import service
from marketplace.catalog.schemas import ProductCreate, ProductUpdate
from marketplace.catalog.service import photos, search
from marketplace.errors import Conflict, Forbidden, ValidationFailed
from marketplace.media import images
from marketplace.models import Product
from tests.factories import add_member, create_group, create_product, create_user, png_bytes


def _create(session, actor, group, **overrides):
    data = {"group_id": group.id, "title": "Kreung back-basket", "craft": "basketry",
            "price_cents": 1800, "stock_on_hand": 2, **overrides}
    product = service.create_product(session=session, actor=actor,
                                     data=ProductCreate.model_validate(data))
    session.commit()
    return product


def test_member_creates_draft_and_publishes_after_a_photo(session, storage):
    group = create_group(session)
    member = add_member(session, group)
    product = _create(session, member, group)
    assert product.status == "draft" and not product.visible
    with pytest.raises(Conflict):
        service.set_status(session=session, actor=member, product=product, to="published")
    photos.add_photo(session=session, storage=storage, actor=member, product=product,
                     data=png_bytes(), alt_text="Basket on a wooden floor")
    service.set_status(session=session, actor=member, product=product, to="published")
    session.commit()
    assert product.visible and product.published_at is not None


def test_member_of_another_group_cannot_edit(session):
    group_a, group_b = create_group(session), create_group(session)
    member_a = add_member(session, group_a)
    product_b = create_product(session, group=group_b)
    with pytest.raises(Forbidden):
        service.update_product(session=session, actor=member_a, product=product_b,
                               data=ProductUpdate(price_cents=1))
    with pytest.raises(Forbidden):
        service.editable_product(session=session, actor=member_a, product_id=product_b.id)
    session.rollback()
    assert session.get(Product, product_b.id).price_cents == 2500


def test_made_to_order_needs_lead_time_and_capacity(session):
    group = create_group(session)
    leader = create_user(session)
    add_member(session, group, leader)
    with pytest.raises(ValidationFailed) as info:
        _create(session, leader, group, stock_mode="made_to_order", monthly_capacity=3)
    assert "lead_time_days" in info.value.errors


def test_stock_cannot_drop_below_reserved(session):
    group = create_group(session)
    member = add_member(session, group)
    product = create_product(session, group=group, stock_on_hand=5, stock_allocated=3)
    with pytest.raises(ValidationFailed):
        service.set_stock(session=session, actor=member, product=product, stock_on_hand=2)


def test_photo_is_stripped_of_exif_and_turned_upright(session, storage):
    group = create_group(session)
    member = add_member(session, group)
    product = create_product(session, group=group)
    photo = photos.add_photo(session=session, storage=storage, actor=member, product=product,
                             data=png_bytes(80, 40, exif_gps=True), alt_text="Scarf")
    assert (photo.width, photo.height) == (40, 80)  # rotated by the EXIF orientation
    for width in images.WIDTHS:
        stored = storage.path(images.rendition_key(photo.content_hash, width)).read_bytes()
        rendition = Image.open(io.BytesIO(stored))
        assert rendition.format == "WEBP" and not rendition.getexif()
    jpeg = Image.open(storage.path(images.rendition_key(photo.content_hash, 1280, "jpg")))
    assert jpeg.format == "JPEG" and not jpeg.getexif()


@pytest.mark.parametrize("data", [
    b"this is not an image at all",
    png_bytes(fmt="JPEG")[:200],
    b"GIF89a" + b"\0" * 100,
])
def test_bad_photos_are_refused_by_content(session, storage, data):
    group = create_group(session)
    member = add_member(session, group)
    product = create_product(session, group=group)
    with pytest.raises(ValidationFailed) as info:
        photos.add_photo(session=session, storage=storage, actor=member, product=product,
                         data=data, alt_text="x")
    assert "photo" in info.value.errors


def test_decompression_bomb_is_refused(session, storage):
    bomb = io.BytesIO()
    Image.new("1", (20000, 20000)).save(bomb, "PNG")
    with pytest.raises(ValidationFailed) as info:
        images.open_checked(bomb.getvalue())
    assert "40" in info.value.errors["photo"]


def test_at_most_eight_photos_and_alt_text_required(session, storage):
    group = create_group(session)
    member = add_member(session, group)
    product = create_product(session, group=group)
    with pytest.raises(ValidationFailed):
        photos.add_photo(session=session, storage=storage, actor=member, product=product,
                         data=png_bytes(), alt_text="  ")
    for i in range(8):
        photos.add_photo(session=session, storage=storage, actor=member, product=product,
                         data=png_bytes(color=(i * 20, 10, 10)), alt_text=f"Photo {i}")
    with pytest.raises(Conflict):
        photos.add_photo(session=session, storage=storage, actor=member, product=product,
                         data=png_bytes(color=(1, 2, 3)), alt_text="Ninth")


def test_reorder_photos(session, storage):
    group = create_group(session)
    member = add_member(session, group)
    product = create_product(session, group=group)
    ids = [photos.add_photo(session=session, storage=storage, actor=member, product=product,
                            data=png_bytes(color=(i, i, i)), alt_text=f"P{i}").id
           for i in range(3)]
    photos.reorder(session=session, actor=member, product=product, image_ids=ids[::-1])
    assert [p.id for p in photos.photos_of(session=session, product_id=product.id)] == ids[::-1]
    with pytest.raises(ValidationFailed):
        photos.reorder(session=session, actor=member, product=product, image_ids=ids[:2])


def test_search_finds_khmer_word_inside_a_phrase(session):
    group = create_group(session)
    create_product(session, group=group, title="Rattan basket", craft="basketry",
                   title_km="កន្ត្រកផ្ដៅធ្វើដោយដៃពីភូមិ")
    create_product(session, group=group, title="Clay jar", craft="pottery", title_km="ពាងដី")
    for word in ("ផ្ដៅ", "rattan", "RATTAN bas"):
        found, total, _ = search.search(session=session, query=search.CatalogQuery(q=word))
        assert [p.title for p in found] == ["Rattan basket"] and total == 1, word


def test_plurals_and_common_forms_find_what_the_singular_finds(session):
    group = create_group(session)
    create_product(session, group=group, title="Rattan basket", craft="basketry")
    create_product(session, group=group, title="Indigo silk scarf", craft="weaving")
    create_product(session, group=group, title="Two resin boxes", craft="resin")
    create_product(session, group=group, title="Clay jar", craft="pottery",
                   title_km="ពាងដី")

    def titles(q):
        found, _total, _ = search.search(session=session, query=search.CatalogQuery(q=q))
        return sorted(p.title for p in found)

    assert titles("baskets") == titles("basket") == ["Rattan basket"]
    assert titles("scarves") == titles("scarf") == ["Indigo silk scarf"]
    assert titles("box") == titles("boxes") == ["Two resin boxes"]
    assert titles("ពាង") == ["Clay jar"]  # Khmer still found inside a word, as typed
    assert titles("glass") == []  # "glass" is not a plural of "glas"


def test_filters_sort_and_cursor(session):
    group = create_group(session, province_code="11", district_code="1101",
                         commune_code="110101", village_code="11010101", community="bunong")
    other = create_group(session)
    for price in (500, 1500, 2500, 3500):
        create_product(session, group=group, price_cents=price)
    create_product(session, group=other, price_cents=100, craft="pottery")
    create_product(session, group=other, price_cents=100, status="draft")
    create_product(session, group=other, price_cents=900, stock_mode="made_to_order")
    query = search.CatalogQuery(province="11", sort="price_asc", limit=3)
    page, total, cursor = search.search(session=session, query=query)
    assert total == 4 and [p.price_cents for p in page] == [500, 1500, 2500]
    query.cursor = cursor
    rest, _total, last = search.search(session=session, query=query)
    assert [p.price_cents for p in rest] == [3500] and last is None
    made, _t, _c = search.search(session=session,
                                 query=search.CatalogQuery(availability="made_to_order"))
    assert [p.price_cents for p in made] == [900]
    cheap, _t, _c = search.search(session=session, query=search.CatalogQuery(
        min_price_cents=1000, max_price_cents=3000, community="bunong"))
    assert sorted(p.price_cents for p in cheap) == [1500, 2500]


def test_suspending_a_group_hides_its_products(session):
    from marketplace.producers import service as groups

    admin = create_user(session, role=["admin"])
    group = create_group(session)
    create_product(session, group=group)
    groups.transition(session=session, actor=admin, group=group, to="suspended",
                      reason="complaint upheld")
    session.commit()
    found, total, _ = search.search(session=session, query=search.CatalogQuery())
    assert total == 0


def test_page_cache_stays_within_its_byte_budget():
    from types import SimpleNamespace

    from marketplace.core.page_cache import PageCache

    cache = PageCache(max_entries=100, max_bytes=64 * 1024)
    for i in range(50):
        cache.put(i, SimpleNamespace(body=b"x" * 4000))
    assert cache.bytes <= 64 * 1024
    assert cache.get(49) is not None and cache.get(0) is None


def test_a_broad_search_counts_to_the_limit_and_a_narrow_one_exactly(session, monkeypatch):
    """Past COUNT_LIMIT matches a search says "more than" instead of counting them all,
    and still pages through them newest first; a narrow one is counted exactly."""
    monkeypatch.setattr(search, "COUNT_LIMIT", 3)
    group = create_group(session)
    baskets = [create_product(session, group=group, title=f"Rattan basket {size}")
               for size in ("xs", "s", "m", "l", "xl")]
    create_product(session, group=group, title="Rattan mat")
    create_product(session, group=group, title="Clay jar", status="draft")

    found, total, cursor = search.search(session=session, query=search.CatalogQuery(
        q="basket", limit=2))
    assert total == 4  # COUNT_LIMIT + 1: more than 3
    assert [p.id for p in found] == [baskets[4].id, baskets[3].id] and cursor
    found, total, _ = search.search(session=session, query=search.CatalogQuery(
        q="basket", limit=2, page=3))
    assert [p.id for p in found] == [baskets[0].id]
    found, total, _ = search.search(session=session, query=search.CatalogQuery(q="mat"))
    assert total == 1 and [p.title for p in found] == ["Rattan mat"]
    _, total, _ = search.search(session=session, query=search.CatalogQuery(q="jar"))
    assert total == 0  # a draft is not found
    found, total, _ = search.search(session=session, query=search.CatalogQuery(
        q="rattan xl"))  # a short word with a broad one
    assert total == 1 and [p.id for p in found] == [baskets[4].id]
