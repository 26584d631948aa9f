"""The products API: creating and editing, status, photos, and the searchable catalog."""

import io
from datetime import timedelta

import pytest
from PIL import Image
from sqlalchemy import event

from marketplace.core import cache_tags
from marketplace.models import Product, ProductImage, ProductVariant, utcnow
from tests.factories import add_member, create_group, create_product, create_user, png_bytes
from tests.helpers.api import token_for


def bearer(client, user) -> dict:
    return {"Authorization": f"Bearer {token_for(client, user.email)}"}


def fields(response) -> dict:
    assert response.headers["content-type"] == "application/problem+json", response.text
    return {e["field"]: e["message"] for e in response.json()["errors"]}


def upload(client, headers, product_id, data, *, name="photo.jpg", alt="Scarf on a loom"):
    return client.post(f"/api/v1/products/{product_id}/images", headers=headers,
                       files={"file": (name, data, "image/jpeg")}, data={"alt_text": alt})


@pytest.fixture
def member(session):
    """A verified group and one of its members."""
    group = create_group(session, name="Tampuan Weavers")
    return group, add_member(session, group)


NEW = {"title": "Kuy silk scarf, indigo", "title_km": "ក្រមាសូត្រកួយ ពណ៌ខៀវ",
       "craft": "weaving", "price_cents": 3800, "stock_on_hand": 3,
       "materials": [{"material": "silk", "origin": "Kampong Thom"}], "makers": ["Sreymom"]}


def test_create_refuses_bad_fields_naming_each(client, session, member):
    group, user = member
    auth = bearer(client, user)
    negative = client.post("/api/v1/products", headers=auth,
                           json={**NEW, "group_id": group.id, "price_cents": -100})
    assert negative.status_code == 422 and list(fields(negative)) == ["price_cents"]
    zero_days = client.post("/api/v1/products", headers=auth, json={
        **NEW, "group_id": group.id, "stock_mode": "made_to_order", "lead_time_days": 0,
        "monthly_capacity": 4})
    assert zero_days.status_code == 422 and "lead_time_days" in fields(zero_days)
    no_days = client.post("/api/v1/products", headers=auth, json={
        **NEW, "group_id": group.id, "stock_mode": "made_to_order", "monthly_capacity": 4})
    assert no_days.status_code == 422 and list(fields(no_days)) == ["lead_time_days"]
    assert session.exec(Product.__table__.select()).first() is None


def test_members_create_drafts_only_they_can_see(client, session, member):
    group, user = member
    outsider = bearer(client, create_user(session))
    refused = client.post("/api/v1/products", headers=outsider,
                          json={**NEW, "group_id": group.id})
    assert refused.status_code == 403
    assert client.post("/api/v1/products", json={**NEW, "group_id": group.id}).status_code == 401

    auth = bearer(client, user)
    created = client.post("/api/v1/products", headers=auth, json={
        **NEW, "group_id": group.id,
        "variants": [{"sku": "KUY-IND-S", "size": "S", "price_cents": 3500, "stock_on_hand": 1}]})
    assert created.status_code == 201, created.text
    product = created.json()
    assert product["status"] == "draft" and product["group_name"] == "Tampuan Weavers"
    assert product["price_khr"] == 155_800 and product["available"] == 3
    assert [v["sku"] for v in product["variants"]] == ["KUY-IND-S"]
    url = f"/api/v1/products/{product['id']}"
    assert client.get(url).status_code == 404
    assert client.get(url, headers=outsider).status_code == 404
    assert client.get(url, headers=auth).json()["title"] == NEW["title"]


def test_member_of_another_group_cannot_change_a_product(client, session, member):
    _group, user = member
    other = create_product(session, group=create_group(session), price_cents=2500)
    url = f"/api/v1/products/{other.id}"
    auth = bearer(client, user)
    assert client.patch(url, headers=auth, json={"price_cents": 1}).status_code == 403
    assert client.put(f"{url}/stock", headers=auth, json={"stock_on_hand": 0}).status_code == 403
    assert client.post(f"{url}/archive", headers=auth).status_code == 403
    assert upload(client, auth, other.id, png_bytes()).status_code == 403
    after = client.get(url).json()
    assert after["price_cents"] == 2500 and after["status"] == "published"
    assert after["available"] == 5 and after["images"] == []


def test_patch_and_stock(client, session, member):
    group, user = member
    product = create_product(session, group=group, stock_on_hand=5, stock_allocated=2)
    made = create_product(session, group=group, stock_mode="made_to_order")
    auth = bearer(client, user)
    url = f"/api/v1/products/{product.id}"

    changed = client.patch(url, headers=auth, json={"title": "Indigo scarf, long",
                                                    "price_cents": 4100})
    assert changed.status_code == 200
    assert changed.json()["slug"] == "indigo-scarf-long" and changed.json()["price_cents"] == 4100
    assert client.get(url).json()["title"] == "Indigo scarf, long"
    assert client.patch(url, headers=auth, json={"price_cents": -1}).status_code == 422

    stocked = client.put(f"{url}/stock", headers=auth, json={"stock_on_hand": 9})
    assert stocked.status_code == 200 and stocked.json()["available"] == 7
    below = client.put(f"{url}/stock", headers=auth, json={"stock_on_hand": 1})
    assert below.status_code == 422 and "stock_on_hand" in fields(below)
    no_stock = client.put(f"/api/v1/products/{made.id}/stock", headers=auth,
                          json={"stock_on_hand": 3})
    assert no_stock.status_code == 409
    assert client.get(f"/api/v1/products/{made.id}").json()["available"] is None


def test_publishing_needs_a_photo_and_follows_the_transitions(client, session, member):
    group, user = member
    auth = bearer(client, user)
    product = client.post("/api/v1/products", headers=auth,
                          json={**NEW, "group_id": group.id}).json()
    url = f"/api/v1/products/{product['id']}"

    early = client.post(f"{url}/publish", headers=auth)
    assert early.status_code == 409
    assert early.json()["detail"] == "Add at least one photo before publishing."
    assert upload(client, auth, product["id"], png_bytes()).status_code == 201
    published = client.post(f"{url}/publish", headers=auth)
    assert published.status_code == 200 and published.json()["published_at"] is not None
    assert client.get(url).json()["status"] == "published"
    again = client.post(f"{url}/publish", headers=auth)
    assert again.status_code == 409 and again.json()["type"].endswith("/invalid-transition")

    assert client.post(f"{url}/archive", headers=auth).json()["status"] == "archived"
    assert client.get(url).status_code == 404
    assert client.post(f"{url}/draft", headers=auth).json()["status"] == "draft"
    assert client.post("/api/v1/products/999999/publish", headers=auth).status_code == 404


@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "WEBP"])
def test_photos_in_each_format_are_accepted(client, session, member, fmt):
    group, user = member
    product = create_product(session, group=group)
    response = upload(client, bearer(client, user), product.id,
                      png_bytes(120, 80, fmt=fmt), name=f"photo.{fmt.lower()}")
    assert response.status_code == 201, response.text
    photo = response.json()
    assert (photo["width"], photo["height"]) == (120, 80) and photo["position"] == 0
    assert photo["alt_text"] == "Scarf on a loom"
    assert client.get(photo["url"]).status_code == 200
    assert client.get(photo["srcset"].split()[0]).headers["content-type"] == "image/webp"


def _truncated_jpeg() -> bytes:
    noise = Image.effect_noise((400, 300), 80).convert("RGB")
    buf = io.BytesIO()
    noise.save(buf, "JPEG", quality=90)
    return buf.getvalue()[: len(buf.getvalue()) // 2]


def _huge_png() -> bytes:
    buf = io.BytesIO()
    Image.new("1", (20000, 20000)).save(buf, "PNG")
    return buf.getvalue()


@pytest.mark.parametrize("data", [
    pytest.param(b"Dear buyer, this is a text file.", id="text-renamed-jpg"),
    pytest.param(_truncated_jpeg(), id="truncated-jpeg"),
    pytest.param(_huge_png(), id="20000x20000-png"),
    # Over 15 MB the whole request is a 413 before it is read: tests/test_limits.py
])
def test_bad_files_are_422_naming_the_file_field(client, session, member, data):
    group, user = member
    product = create_product(session, group=group)
    response = upload(client, bearer(client, user), product.id, data)
    assert response.status_code == 422
    assert list(fields(response)) == ["file"]
    assert session.exec(ProductImage.__table__.select()).first() is None


def test_photo_needs_a_file_and_alt_text(client, session, member):
    group, user = member
    product = create_product(session, group=group)
    auth = bearer(client, user)
    no_alt = upload(client, auth, product.id, png_bytes(), alt="  ")
    assert no_alt.status_code == 422 and list(fields(no_alt)) == ["alt_text"]
    no_file = client.post(f"/api/v1/products/{product.id}/images", headers=auth,
                          data={"alt_text": "Basket"})
    assert no_file.status_code == 422 and "file" in fields(no_file)


def test_reorder_and_delete_photos(client, session, member):
    group, user = member
    product = create_product(session, group=group)
    auth = bearer(client, user)
    ids = [upload(client, auth, product.id, png_bytes(color=(i * 60, 20, 20)),
                  alt=f"Photo {i}").json()["id"] for i in range(3)]
    url = f"/api/v1/products/{product.id}/images"

    reordered = client.put(f"{url}/order", headers=auth, json={"image_ids": ids[::-1]})
    assert reordered.status_code == 200
    assert [(p["id"], p["position"]) for p in reordered.json()] == [
        (ids[2], 0), (ids[1], 1), (ids[0], 2)]
    shown = client.get(f"/api/v1/products/{product.id}").json()["images"]
    assert [p["alt_text"] for p in shown] == ["Photo 2", "Photo 1", "Photo 0"]
    partial = client.put(f"{url}/order", headers=auth, json={"image_ids": ids[:2]})
    assert partial.status_code == 422 and "image_ids" in fields(partial)

    assert client.delete(f"{url}/{ids[1]}", headers=auth).status_code == 204
    left = client.get(f"/api/v1/products/{product.id}").json()["images"]
    assert [(p["id"], p["position"]) for p in left] == [(ids[2], 0), (ids[0], 1)]
    assert client.delete(f"{url}/{ids[1]}", headers=auth).status_code == 404
    outsider = bearer(client, create_user(session))
    assert client.delete(f"{url}/{ids[0]}", headers=outsider).status_code == 403


def test_catalog_filters_and_khmer_search(client, session):
    mondulkiri = create_group(session, province_code="11", district_code="1101",
                              commune_code="110101", village_code="11010101",
                              community="bunong")
    ratanakiri = create_group(session)
    basket = create_product(session, group=mondulkiri, title="Rattan back-basket",
                            title_km="កន្ត្រកផ្ដៅធ្វើដោយដៃពីភូមិ", craft="basketry",
                            price_cents=1800, certified_until=utcnow() + timedelta(days=300))
    jar = create_product(session, group=ratanakiri, title="Clay water jar", title_km="ពាងដី",
                         craft="pottery", price_cents=4200, stock_mode="made_to_order")
    scarf = create_product(session, group=ratanakiri, price_cents=2500, stock_on_hand=0)
    create_product(session, group=ratanakiri, title="Draft rattan", status="draft")

    def ids(**params):
        response = client.get("/api/v1/products", params=params)
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["count"] == len(body["data"])
        return [p["id"] for p in body["data"]]

    assert sorted(ids()) == sorted([basket.id, jar.id, scarf.id])
    assert ids(q="ផ្ដៅ") == [basket.id]
    assert ids(q="ធ្វើដោយដៃ") == [basket.id]
    assert ids(q="rattan") == [basket.id]
    assert ids(craft="pottery") == [jar.id]
    assert ids(province="11") == [basket.id] and ids(community="bunong") == [basket.id]
    assert ids(min_price_cents=2000, max_price_cents=5000, sort="price_asc") == [scarf.id, jar.id]
    assert ids(availability="made_to_order") == [jar.id]
    assert ids(availability="in_stock") == [basket.id]
    assert ids(certified_only="true") == [basket.id]
    assert ids(group_id=ratanakiri.id, sort="price_desc") == [jar.id, scarf.id]

    listed = {p["id"]: p for p in client.get("/api/v1/products").json()["data"]}
    assert listed[basket.id]["certified"] is True and listed[jar.id]["certified"] is False
    assert listed[basket.id]["price_khr"] == 73_800 and listed[jar.id]["available"] is None
    assert listed[basket.id]["group_name"] == mondulkiri.name


def test_catalog_refuses_bad_query_parameters(client):
    bad = client.get("/api/v1/products", params={"sort": "cheapest", "limit": 101,
                                                 "craft": "plastic", "min_price_cents": -1})
    assert bad.status_code == 422
    assert set(fields(bad)) == {"sort", "limit", "craft", "min_price_cents"}
    assert client.get("/api/v1/products", params={"limit": 0}).status_code == 422


@pytest.mark.parametrize("sort", ["newest", "price_asc", "price_desc"])
def test_cursor_pages_neither_repeat_nor_skip(client, session, sort):
    group = create_group(session)
    made = [create_product(session, group=group, price_cents=1000 + 100 * (n % 3)).id
            for n in range(8)]
    seen, cursor, pages = [], None, 0
    while True:
        params = {"limit": 3, "sort": sort} | ({"cursor": cursor} if cursor else {})
        body = client.get("/api/v1/products", params=params).json()
        assert body["count"] == 8
        seen += [p["id"] for p in body["data"]]
        cursor, pages = body["next"], pages + 1
        if cursor is None:
            break
    assert pages == 3 and len(seen) == 8 and sorted(seen) == sorted(made)
    prices = [client.get(f"/api/v1/products/{i}").json()["price_cents"] for i in seen]
    if sort != "newest":
        assert prices == sorted(prices, reverse=sort == "price_desc")
    second = client.get("/api/v1/products", params={"limit": 3, "sort": sort, "page": 2})
    assert [p["id"] for p in second.json()["data"]] == seen[3:6]


def test_listing_a_page_costs_the_same_queries_for_2_or_12_products(client, session, engine):
    def queries_for_listing() -> tuple[int, int]:
        statements = []

        def count(*_args):
            statements.append(1)

        event.listen(engine, "before_cursor_execute", count)
        try:
            response = client.get("/api/v1/products", params={"limit": 50})
        finally:
            event.remove(engine, "before_cursor_execute", count)
        assert response.status_code == 200
        return len(statements), len(response.json()["data"])

    def add(n):
        for _ in range(n):
            product = create_product(session, group=create_group(session))
            session.add(ProductVariant(product_id=product.id, sku=f"SKU-{product.id}",
                                       price_cents=100))
            session.commit()
            session.add(ProductImage(product_id=product.id, content_hash=f"{product.id:064d}",
                                     alt_text="Photo", width=64, height=48))
            cache_tags.touch(session)  # rows made by hand: say what changed, as services do
            session.commit()

    add(2)
    few, shown = queries_for_listing()
    assert shown == 2
    add(10)
    many, shown = queries_for_listing()
    assert shown == 12 and many == few
