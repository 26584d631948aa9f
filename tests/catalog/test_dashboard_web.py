"""Product pages of the producer dashboard, used like a phone browser without JavaScript."""

import re

import pytest
from sqlmodel import select

from marketplace.catalog.forms import parse_price
from marketplace.errors import ValidationFailed
from marketplace.models import AuditEvent, Product, ProductImage
from tests.factories import add_member, create_group, create_product, create_user, png_bytes
from tests.helpers import csrf_from, form_post, login
from tests.helpers.catalog import PRODUCT


def _fresh(session):
    """See what the app committed since the test session last read."""
    session.rollback()
    session.expire_all()


@pytest.fixture
def member(client, session):
    """A verified group and one of its members, logged in."""
    group = create_group(session)
    user = add_member(session, group, create_user(session, email="member@example.com"))
    login(client, "member@example.com")
    return group, user


def _new(client, group, data):
    url = f"/dashboard/products/new?group_id={group.id}"
    return form_post(client, url, url, data)


def _edit_url(product):
    return f"/dashboard/products/{product.id}/edit"


def _post(client, product, path, data, **kwargs):
    return form_post(client, _edit_url(product), f"/dashboard/products/{product.id}{path}",
                     data, **kwargs)


@pytest.mark.parametrize(("typed", "cents"), [
    ("12.50", 1250), ("12", 1200), ("$7.5", 750), ("0.10", 10), ("19.99", 1999),
    ("1,200.00", 120000), (" 38 ", 3800), ("0", 0),
])
def test_price_in_dollars_becomes_exact_cents(typed, cents):
    assert parse_price(typed) == cents


@pytest.mark.parametrize("typed", ["-3", "-0.50", "abc", "12.345", "1,20", "", "12.5.0", "1e3"])
def test_malformed_or_negative_price_is_a_field_error(typed):
    with pytest.raises(ValidationFailed) as caught:
        parse_price(typed)
    assert set(caught.value.errors) == {"price"}


def test_create_product_with_price_in_dollars(client, session, member):
    group, _user = member
    page = client.get(f"/dashboard/products/new?group_id={group.id}")
    assert page.status_code == 200 and 'inputmode="decimal"' in page.text
    response = _new(client, group, PRODUCT)
    assert response.status_code == 303
    product = session.exec(select(Product)).one()
    assert response.headers["location"] == f"/dashboard/products/{product.id}/edit#photos"
    assert product.price_cents == 1250 and product.status == "draft" and not product.visible
    assert product.materials == [
        {"material": "silk", "origin": "raised in Kampong Thom"},
        {"material": "indigo", "origin": "village garden"}]
    assert product.techniques == [{"step": "dyeing with indigo", "method": "hand"},
                                  {"step": "spinning", "method": "machine"}]
    assert product.makers == ["Sreymom", "Dara", "Sophea"]
    assert product.stock_on_hand == 3 and product.weight_grams == 120
    edit = client.get(response.headers["location"])
    assert 'value="12.50"' in edit.text and 'value="raised in Kampong Thom"' in edit.text
    assert "The product is saved as a draft" in edit.text
    dashboard = client.get(f"/dashboard?group_id={group.id}").text
    assert "Kuy silk scarf, indigo" in dashboard and "$12.50" in dashboard


def test_negative_price_and_zero_lead_time_are_field_errors(client, session, member):
    group, _user = member
    negative = _new(client, group, {**PRODUCT, "price": "-3"})
    assert negative.status_code == 422
    assert 'id="e-price"' in negative.text and "cannot be negative" in negative.text
    assert 'value="Kuy silk scarf, indigo"' in negative.text and 'value="-3"' in negative.text
    assert 'value="raised in Kampong Thom"' in negative.text

    made_to_order = _new(client, group, {**PRODUCT, "stock_mode": "made_to_order",
                                         "lead_time_days": "0", "monthly_capacity": "4"})
    assert made_to_order.status_code == 422
    assert 'id="e-lead_time_days"' in made_to_order.text
    assert "lead time of 1 day or more" in made_to_order.text
    assert 'value="made_to_order" checked' in made_to_order.text

    malformed = _new(client, group, {**PRODUCT, "price": "twelve", "title": "", "title_km": ""})
    assert malformed.status_code == 422
    assert 'id="e-price"' in malformed.text and 'id="e-title"' in malformed.text
    assert session.exec(select(Product)).all() == []

    ok = _new(client, group, {**PRODUCT, "stock_mode": "made_to_order",
                              "lead_time_days": "45", "monthly_capacity": "2"})
    assert ok.status_code == 303
    _fresh(session)
    product = session.exec(select(Product)).one()
    assert product.stock_mode == "made_to_order" and product.lead_time_days == 45


def test_edit_keeps_typed_values_on_error_and_saves(client, session, member):
    group, _user = member
    product = create_product(session, group=group, status="draft", price_cents=2500)
    bad = _post(client, product, "/edit", {**PRODUCT, "price": "12.345"})
    assert bad.status_code == 422 and 'id="e-price"' in bad.text
    _fresh(session)
    assert session.get(Product, product.id).price_cents == 2500
    saved = _post(client, product, "/edit", {**PRODUCT, "price": "30"})
    assert saved.status_code == 303
    _fresh(session)
    changed = session.get(Product, product.id)
    assert changed.price_cents == 3000 and changed.title == "Kuy silk scarf, indigo"


def test_photos_upload_refuse_reorder_delete_and_publish(client, session, member):
    group, _user = member
    product = create_product(session, group=group, status="draft")

    early = _post(client, product, "/status", {"to": "published"})
    assert early.status_code == 303
    page = client.get(early.headers["location"])
    assert page.status_code == 200 and "Add at least one photo before publishing." in page.text
    assert 'capture="environment"' in page.text and 'accept="image/jpeg,image/png,image/webp"' \
        in page.text

    fake = _post(client, product, "/photos", {"alt_text": "Scarf on a table"},
                 files={"photo": ("scarf.jpg", b"GIF89a this is not a photo", "image/jpeg")})
    assert fake.status_code == 422
    assert 'id="e-photo"' in fake.text and "not a photo we can read" in fake.text
    assert 'value="Scarf on a table"' in fake.text
    no_alt = _post(client, product, "/photos", {"alt_text": " "},
                   files={"photo": ("scarf.png", png_bytes(), "image/png")})
    assert no_alt.status_code == 422 and 'id="e-alt_text"' in no_alt.text

    for color, alt in (((180, 90, 40), "Scarf folded"), ((20, 40, 160), "Scarf worn")):
        added = _post(client, product, "/photos", {"alt_text": alt},
                      files={"photo": ("p.png", png_bytes(color=color), "image/png")})
        assert added.status_code == 303
    edit = client.get(_edit_url(product)).text
    thumbs = re.findall(r'<img src="(/media/[^"]+)"[^>]*alt="([^"]*)"', edit)
    assert [alt for _src, alt in thumbs] == ["Scarf folded", "Scarf worn"]
    assert client.get(thumbs[0][0]).status_code == 200

    first, second = session.exec(select(ProductImage).order_by(ProductImage.position)).all()
    _post(client, product, f"/photos/{second.id}/move", {"direction": "up"})
    _fresh(session)
    assert session.get(ProductImage, second.id).position == 0
    _post(client, product, f"/photos/{second.id}/delete", {})
    _fresh(session)
    assert [p.id for p in session.exec(select(ProductImage)).all()] == [first.id]

    published = _post(client, product, "/status", {"to": "published"})
    assert published.status_code == 303
    _fresh(session)
    stored = session.get(Product, product.id)
    assert stored.status == "published" and stored.visible
    assert "Buyers can see and buy this product." in client.get(_edit_url(product)).text
    _post(client, product, "/status", {"to": "archived"})
    _fresh(session)
    assert session.get(Product, product.id).visible is False


def test_quick_stock_form(client, session, member):
    group, _user = member
    product = create_product(session, group=group, stock_on_hand=2)
    assert _post(client, product, "/stock", {"quantity": "7"}).status_code == 303
    _fresh(session)
    assert session.get(Product, product.id).stock_on_hand == 7
    bad = _post(client, product, "/stock", {"quantity": "-1"})
    assert bad.status_code == 422 and 'id="e-quantity"' in bad.text
    _fresh(session)
    assert session.get(Product, product.id).stock_on_hand == 7


def test_member_of_another_group_gets_403_and_nothing_changes(client, session, member):
    _group_a, _user = member
    group_b = create_group(session, name="Other Group")
    product_b = create_product(session, group=group_b, status="draft", price_cents=2500)
    edit_b = f"/dashboard/products/{product_b.id}/edit"
    assert client.get(edit_b).status_code == 403
    assert client.get(f"/dashboard/products/new?group_id={group_b.id}").status_code == 403

    token = csrf_from(client.get("/dashboard").text)
    attempts = [
        (edit_b, {**PRODUCT, "price": "1.00"}, None),
        (f"/dashboard/products/{product_b.id}/status", {"to": "archived"}, None),
        (f"/dashboard/products/{product_b.id}/stock", {"quantity": "99"}, None),
        (f"/dashboard/products/{product_b.id}/photos", {"alt_text": "mine now"},
         {"photo": ("p.png", png_bytes(), "image/png")}),
        (f"/dashboard/products/new?group_id={group_b.id}", PRODUCT, None),
    ]
    for url, data, files in attempts:
        response = client.post(url, data={"csrf_token": token, **data}, files=files)
        assert response.status_code == 403, url
        assert "not allowed" in response.text.lower() or "only members" in response.text.lower()

    _fresh(session)
    unchanged = session.get(Product, product_b.id)
    assert (unchanged.price_cents, unchanged.status, unchanged.stock_on_hand,
            unchanged.title) == (2500, "draft", 5, "Indigo cotton scarf")
    assert session.exec(select(Product)).all() == [unchanged]
    assert session.exec(select(ProductImage)).all() == []
    assert session.exec(select(AuditEvent).where(AuditEvent.entity_type == "product")).all() \
        == []
