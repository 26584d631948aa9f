"""Khmer-first producers (issue 14, item 2): a product written only in Khmer is accepted by
the dashboard form and the API; a product with no title at all gets one clear message naming
both languages; Khmer pages show the Khmer kind, materials, steps and care notes (English
pages the English ones, each falling back to the other); the Khmer dashboard lists Khmer
titles; a Khmer-only piece is named wherever a title is shown."""

import re

import pytest
from sqlmodel import select

from marketplace.models import OutboxMessage, Product
from marketplace.orders.service import notify
from tests.factories import (
    add_member,
    cart_with,
    create_group,
    create_product,
    create_user,
    placed_order,
)
from tests.helpers import form_post, login
from tests.helpers.api import token_for
from tests.helpers.catalog import PRODUCT

KM = {"Accept-Language": "km"}
NO_TITLE_EN = "Give the piece a title in English or Khmer."
KHMER_ONLY_FORM = {
    **PRODUCT, "title": "", "title_km": "កន្ត្រកឫស្សី", "description": "",
    "description_km": "ត្បាញដោយដៃ", "craft": "basketry", "category": "",
    "category_km": "កន្ត្រក", "material_0": "", "origin_0": "", "material_1": "",
    "origin_1": "", "step_0": "", "step_1": "", "care_notes": "",
    "km_material_0": "ឫស្សី", "km_origin_0": "ព្រៃភូមិ", "km_step_0": "ពុះឫស្សី",
    "km_method_0": "hand", "care_notes_km": "ជូតដោយក្រណាត់សើម",
}


def _fresh(session):
    session.rollback()
    session.expire_all()


@pytest.fixture
def member(client, session):
    """A verified group and one of its members (English interface), logged in."""
    group = create_group(session)
    user = add_member(session, group, create_user(session, email="maker@example.com"))
    login(client, "maker@example.com")
    return group, user


def _new(client, group, data):
    url = f"/dashboard/products/new?group_id={group.id}"
    return form_post(client, url, url, data)


# -- the title rule, on the dashboard form ------------------------------------------------

def test_the_form_accepts_a_piece_written_only_in_khmer(client, session, member):
    group, _user = member
    response = _new(client, group, KHMER_ONLY_FORM)
    assert response.status_code == 303, response.text
    _fresh(session)
    product = session.exec(select(Product)).one()
    assert product.title == "" and product.title_km == "កន្ត្រកឫស្សី"
    assert product.category_km == "កន្ត្រក" and product.care_notes_km == "ជូតដោយក្រណាត់សើម"
    assert product.materials == [] and product.techniques == []
    assert product.materials_km == [{"material": "ឫស្សី", "origin": "ព្រៃភូមិ"}]
    assert product.techniques_km == [{"step": "ពុះឫស្សី", "method": "hand"}]
    assert re.fullmatch(r"[a-z0-9-]+", product.slug) and product.slug == "basketry"
    assert "កន្ត្រកឫស្សី" in product.search_text and "ឫស្សី" in product.search_text
    assert "កន្ត្រក" in product.search_text

    edit = client.get(f"/dashboard/products/{product.id}/edit")  # English interface
    assert '<span lang="km">កន្ត្រកឫស្សី</span>' in edit.text  # the heading falls back
    assert 'value="ឫស្សី"' in edit.text and 'value="ពុះឫស្សី"' in edit.text
    saved = form_post(client, f"/dashboard/products/{product.id}/edit",
                      f"/dashboard/products/{product.id}/edit",
                      {**KHMER_ONLY_FORM, "km_step_1": "ត្បាញ", "km_method_1": "hand"})
    assert saved.status_code == 303
    _fresh(session)
    assert [s["step"] for s in session.get(Product, product.id).techniques_km] == [
        "ពុះឫស្សី", "ត្បាញ"]


def test_the_form_without_any_title_says_so_in_both_languages(client, session, member):
    group, user = member
    typed = {**KHMER_ONLY_FORM, "title_km": "", "description_km": "ពិពណ៌នា"}
    response = _new(client, group, typed)
    assert response.status_code == 422
    assert NO_TITLE_EN in response.text and 'id="e-title"' in response.text
    assert 'value="ឫស្សី"' in response.text and ">ពិពណ៌នា</textarea>" in response.text
    client.cookies.set("lang", "km")
    khmer = _new(client, group, typed)
    assert khmer.status_code == 422
    assert "សូមដាក់ចំណងជើងជាភាសាអង់គ្លេស ឬភាសាខ្មែរ" in khmer.text
    _fresh(session)
    assert session.exec(select(Product)).all() == []


# -- the same rule, through the API --------------------------------------------------------

def _bearer(client, user) -> dict:
    return {"Authorization": f"Bearer {token_for(client, user.email)}"}


def test_the_api_accepts_khmer_only_and_names_the_missing_title(client, session):
    group = create_group(session)
    user = add_member(session, group)
    auth = _bearer(client, user)
    body = {"group_id": group.id, "title_km": "ក្រមាសូត្រ", "craft": "weaving",
            "category_km": "ក្រមា", "materials_km": [{"material": "សូត្រ"}],
            "techniques_km": [{"step": "ត្បាញ", "method": "hand"}],
            "care_notes_km": "បោកដោយដៃ", "price_cents": 3800, "stock_on_hand": 2}
    created = client.post("/api/v1/products", headers=auth, json=body)
    assert created.status_code == 201, created.text
    data = created.json()
    assert data["title"] == "" and data["title_km"] == "ក្រមាសូត្រ"
    assert data["category_km"] == "ក្រមា" and data["care_notes_km"] == "បោកដោយដៃ"
    assert data["materials_km"] == [{"material": "សូត្រ", "origin": ""}]
    assert data["techniques_km"] == [{"step": "ត្បាញ", "method": "hand"}]
    assert data["slug"] == "weaving"

    for missing in ({**body, "title_km": "  "}, {**body, "title": "", "title_km": ""}):
        refused = client.post("/api/v1/products", headers=auth, json=missing)
        assert refused.status_code == 422
        assert refused.headers["content-type"] == "application/problem+json"
        problem = refused.json()
        assert problem["detail"] == NO_TITLE_EN
        assert problem["errors"] == [{"field": "title", "message": NO_TITLE_EN}]
    khmer = client.post("/api/v1/products", headers={**auth, **KM},
                        json={**body, "title_km": ""})
    assert khmer.json()["errors"][0]["message"] == "សូមដាក់ចំណងជើងជាភាសាអង់គ្លេស ឬភាសាខ្មែរ។"

    url = f"/api/v1/products/{data['id']}"
    emptied = client.patch(url, headers=auth, json={"title_km": ""})  # would leave none
    assert emptied.status_code == 422 and emptied.json()["errors"][0]["field"] == "title"
    english = client.patch(url, headers=auth, json={"title": "Silk scarf", "title_km": ""})
    assert english.status_code == 200 and english.json()["slug"] == "silk-scarf"


# -- what buyers see -----------------------------------------------------------------------

KHMER_FIELDS = {
    "category": "back-basket", "category_km": "កញ្ជើ",
    "materials": [{"material": "rattan", "origin": "O'Yadav"}],
    "materials_km": [{"material": "ផ្ដៅ", "origin": "អូរយ៉ាដាវ"}],
    "techniques": [{"step": "splitting rattan", "method": "hand"}],
    "techniques_km": [{"step": "ពុះផ្ដៅ", "method": "hand"}],
    "care_notes": "Keep dry.", "care_notes_km": "ទុកកន្លែងស្ងួត",
}


def test_khmer_pages_show_the_khmer_details_and_english_pages_the_english(client, session):
    product = create_product(session, title="Back-basket", title_km="កញ្ជើផ្ដៅ",
                             craft="basketry", **KHMER_FIELDS)
    url = f"/products/{product.id}-{product.slug}"
    english = client.get(url).text
    for word in ("back-basket", "rattan", "splitting rattan", "Keep dry."):
        assert word in english
    for word in ("កញ្ជើ", "ផ្ដៅ", "ពុះផ្ដៅ", "ទុកកន្លែងស្ងួត"):
        assert word not in english
    khmer = client.get(url, headers=KM).text
    for word in ("កញ្ជើ", "ផ្ដៅ", "អូរយ៉ាដាវ", "ពុះផ្ដៅ", "ទុកកន្លែងស្ងួត"):
        assert word in khmer
    for word in ("back-basket", "splitting rattan", "Keep dry."):
        assert word not in khmer

    english_only = create_product(session, title="Jar", title_km="", craft="pottery",
                                  category="jar", care_notes="Hand wash.",
                                  materials=[{"material": "clay", "origin": ""}])
    khmer = client.get(f"/products/{english_only.id}-{english_only.slug}", headers=KM).text
    assert '<h1 id="product-h" lang="en">Jar</h1>' in khmer  # each falls back to English
    assert '<span lang="en">jar</span>' in khmer and "clay" in khmer
    assert '<p class="prose" lang="en">Hand wash.</p>' in khmer


def test_a_khmer_only_piece_is_named_on_english_pages_and_found(client, session):
    product = create_product(session, title="", title_km="កន្ត្រកឫស្សី", craft="basketry",
                             slug="basketry", materials_km=[{"material": "ឫស្សី"}])
    page = client.get(f"/products/{product.id}-basketry")
    assert page.status_code == 200
    assert '<h1 id="product-h" lang="km">កន្ត្រកឫស្សី</h1>' in page.text
    assert "<title>កន្ត្រកឫស្សី" in page.text
    found = client.get("/catalog", params={"q": "ឫស្សី"}).text
    assert '<h3 lang="km">កន្ត្រកឫស្សី</h3>' in found
    api = client.get("/api/v1/products", params={"q": "កន្ត្រក"}).json()
    assert [p["id"] for p in api["data"]] == [product.id]


def test_a_khmer_only_piece_is_named_in_the_cart_order_and_emails(client, session, settings):
    product = create_product(session, title="", title_km="កន្ត្រកឫស្សី", slug="basketry")
    cart = cart_with(session, [(product, 1)])
    order = placed_order(session, settings, cart)
    from marketplace.models import Fulfilment, OrderLine

    lines = session.exec(select(OrderLine).where(OrderLine.order_id == order.id)).all()
    fulfilments = session.exec(select(Fulfilment).where(Fulfilment.order_id == order.id)).all()
    notify.order_paid(session=session, settings=settings, order=order, lines=lines,
                      fulfilments=fulfilments)
    session.commit()
    bodies = [str(m.payload) for m in session.exec(select(OutboxMessage)).all()]
    assert any("1 × កន្ត្រកឫស្សី" in body for body in bodies)  # the buyer's confirmation

    from marketplace.i18n import current_locale, localized
    token = current_locale.set("en")
    try:
        assert localized(lines[0].title, lines[0].title_km) == ("កន្ត្រកឫស្សី", "km")
    finally:
        current_locale.reset(token)


# -- the producer dashboard ---------------------------------------------------------------

def test_the_khmer_dashboard_lists_khmer_titles(client, session, member):
    group, _user = member
    create_product(session, group=group, title="Indigo scarf", title_km="ក្រមាពណ៌ខៀវ")
    create_product(session, group=group, title="Clay jar", title_km="")
    english = client.get(f"/dashboard?group_id={group.id}").text
    assert "<strong>Indigo scarf</strong>" in english and "ក្រមាពណ៌ខៀវ" not in english
    client.cookies.set("lang", "km")
    khmer = client.get(f"/dashboard?group_id={group.id}").text
    assert "<strong>ក្រមាពណ៌ខៀវ</strong>" in khmer and "Indigo scarf" not in khmer
    assert '<strong lang="en">Clay jar</strong>' in khmer  # no Khmer title: English
