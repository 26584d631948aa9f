"""The public storefront: catalog filters and search, product and group pages, the anonymous
page cache with ETag / Last-Modified, and the home page."""

import re
import time
from datetime import timedelta
from email.utils import format_datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event

from marketplace.catalog import service
from marketplace.catalog.schemas import ProductUpdate
from marketplace.catalog.service import photos
from marketplace.models import User, utcnow
from tests.factories import create_group, create_product, create_user, png_bytes
from tests.helpers import csrf_from, login

KM = {"Accept-Language": "km"}


@pytest.fixture(autouse=True)
def _empty_page_cache(app):
    """Tables are emptied between tests, so the catalog version starts again at 0."""
    app.state.page_cache.clear()
    yield
    app.state.page_cache.clear()


def titles(html: str) -> list[str]:
    """Titles of the product cards on a page, in order."""
    return re.findall(r'<h3(?: lang="\w+")?>([^<]+)</h3>\s*</a>', html)


def leader_of(session, group) -> User:
    return session.get(User, group.leader_id)


# --- catalog ------------------------------------------------------------------------------

def test_catalog_filters_by_craft_province_price_availability_and_seal(client, session):
    ratanakiri = create_group(session)
    mondulkiri = create_group(session, province_code="11", district_code="1101",
                              commune_code="110101", village_code="11010101",
                              community="bunong")
    create_product(session, group=ratanakiri, title="Cheap scarf", price_cents=500)
    create_product(session, group=ratanakiri, title="Rattan basket", craft="basketry",
                   price_cents=1500)
    create_product(session, group=mondulkiri, title="Ceremonial skirt", price_cents=9000,
                   stock_mode="made_to_order")
    create_product(session, group=mondulkiri, title="Sealed jar", craft="pottery",
                   price_cents=3000, certified_until=utcnow() + timedelta(days=300))
    create_product(session, group=mondulkiri, title="Expired jar", craft="pottery",
                   price_cents=3000, certified_until=utcnow() - timedelta(days=1))

    def shown(query: str) -> set[str]:
        response = client.get(f"/catalog?{query}")
        assert response.status_code == 200
        return set(titles(response.text))

    assert shown("craft=basketry") == {"Rattan basket"}
    assert shown("province=11") == {"Ceremonial skirt", "Sealed jar", "Expired jar"}
    assert shown("community=bunong&craft=pottery") == {"Sealed jar", "Expired jar"}
    assert shown("min_price=10&max_price=30") == {"Rattan basket", "Sealed jar", "Expired jar"}
    assert shown("max_price=$5.00") == {"Cheap scarf"}
    assert shown("availability=made_to_order") == {"Ceremonial skirt"}
    assert "Ceremonial skirt" not in shown("availability=in_stock")
    assert shown("certified=1") == {"Sealed jar"}
    assert len(shown("")) == 5
    # A province outside the programme's four is not a filter: everything is listed.
    assert len(shown("province=12")) == 5


def test_bad_prices_are_reported_not_a_server_error(client, session):
    create_product(session, title="Cheap scarf", price_cents=500)
    response = client.get("/catalog?min_price=lots&max_price=1e999&page=x&sort=weird")
    assert response.status_code == 200
    assert "Enter an amount in dollars" in response.text
    assert titles(response.text) == ["Cheap scarf"]
    # A lowest price above the highest is explained, and the highest is left out.
    page = client.get("/catalog?min_price=20&max_price=5").text
    assert "must not be below the lowest" in page
    for odd in ('"', "%", "\\", "_", "a" * 500, "NEAR(", "*"):
        assert client.get("/catalog", params={"q": odd}).status_code == 200, odd
    # A NUL character is refused before the search runs (tests/test_limits.py).
    assert client.get("/catalog", params={"q": "\x00scarf"}).status_code == 422


def test_khmer_word_inside_a_longer_khmer_title_is_found(client, session):
    create_product(session, title="Big bamboo basket", title_km="កន្ត្រកឫស្សីធំ",
                   craft="basketry")
    create_product(session, title="Indigo scarf", title_km="ក្រមាក្រណាត់ពណ៌ខៀវ")
    page = client.get("/catalog", params={"q": "ឫស្សី"}).text
    assert titles(page) == ["Big bamboo basket"]
    assert titles(client.get("/catalog?q=indigo").text) == ["Indigo scarf"]
    # In Khmer the card shows the Khmer title.
    assert titles(client.get("/catalog", params={"q": "ឫស្សី"}, headers=KM).text) == [
        "កន្ត្រកឫស្សីធំ"]


def test_catalog_pages_through_24_at_a_time(client, session):
    group = create_group(session)
    for n in range(30):
        create_product(session, group=group, title=f"Scarf {n:02d}", price_cents=100 + n)
    first = client.get("/catalog?sort=price_asc").text
    assert titles(first) == [f"Scarf {n:02d}" for n in range(24)]
    assert "30 pieces" in first
    assert 'href="/catalog?sort=price_asc&amp;page=2" rel="next"' in first
    second = client.get("/catalog?sort=price_asc&page=2").text
    assert titles(second) == [f"Scarf {n:02d}" for n in range(24, 30)]
    assert 'href="/catalog?sort=price_asc" rel="prev"' in second
    beyond = client.get("/catalog?sort=price_asc&page=9")
    assert beyond.status_code == 200
    assert titles(beyond.text) == [] and "There is nothing on this page." in beyond.text


def test_cards_show_photo_riel_lead_time_and_seal(client, session, app):
    group = create_group(session)
    with_photo = create_product(session, group=group, title="Scarf with photo",
                                price_cents=2500)
    photos.add_photo(session=session, storage=app.state.storage, actor=leader_of(session, group),
                     product=with_photo, data=png_bytes(800, 600), alt_text="Blue scarf on a loom")
    session.commit()
    create_product(session, group=group, title="Skirt", stock_mode="made_to_order",
                   lead_time_days=45, certified_until=utcnow() + timedelta(days=30))
    page = client.get("/catalog").text
    img = re.search(r"<img [^>]+>", page).group(0)
    assert 'alt="Blue scarf on a loom"' in img and 'loading="lazy"' in img
    assert "320w" in img and "640w" in img and 'width="800"' in img and 'height="600"' in img
    assert "photo-placeholder" in page  # the skirt has no photo yet
    assert "$25.00" in page and "102,500" in page  # 4,100 riel to the dollar
    assert "Made to order: ships in 45 days" in page
    assert page.count("Seal of Excellence</p>") == 1


# --- product page -------------------------------------------------------------------------

def test_product_page_shows_riel_lead_time_and_making(client, session):
    group = create_group(session, name="Kuy Weavers")
    product = create_product(
        session, group=group, title="Ceremonial skirt", price_cents=10000,
        stock_mode="made_to_order", lead_time_days=60, description="Woven over two months.",
        materials=[{"material": "silk", "origin": "Kampong Thom"}],
        techniques=[{"step": "Dyeing", "method": "hand"}, {"step": "Spinning",
                                                         "method": "machine"}],
        makers=["Sreymom"], dimensions="120 x 90 cm", weight_grams=450,
        care_notes="Wash cold by hand.")
    page = client.get(f"/products/{product.id}-{product.slug}")
    assert page.status_code == 200
    html = page.text
    assert "Ceremonial skirt" in html and "Woven over two months." in html
    assert "$100.00" in html and "410,000" in html
    assert "Made to order: ships in 60 days" in html
    assert "silk — from Kampong Thom" in html
    assert "Dyeing: By hand" in html and "Spinning: By machine" in html
    assert "Sreymom" in html and "120 x 90 cm" in html and "450 g" in html
    assert "Wash cold by hand." in html
    assert f'href="/groups/{group.slug}"' in html and "Ratanak" in html  # province name


def test_product_page_stock_states_variants_and_khmer(client, session):
    from marketplace.models import ProductVariant

    product = create_product(session, title="Scarf", title_km="ក្រមា", stock_on_hand=2,
                             description="English words", description_km="")
    session.add(ProductVariant(product_id=product.id, sku="SC-RED-L", colour="red",
                               size="large", price_cents=2700))
    session.commit()
    url = f"/products/{product.id}-{product.slug}"
    html = client.get(url).text
    assert "Only 2 left" in html
    assert "SC-RED-L" in html and "red" in html and "$27.00" in html
    assert ">$24.30</td>" in html  # the variant's own share for the group: $27 less 10%
    khmer = client.get(url, headers=KM).text
    assert '<h1 id="product-h">ក្រមា</h1>' in khmer
    assert '<p class="prose" lang="en">English words</p>' in khmer  # falls back to English
    sold_out = create_product(session, title="Gone", stock_on_hand=0)
    assert "Sold out" in client.get(f"/products/{sold_out.id}-piece").text


@pytest.mark.parametrize("kind", ["draft", "archived", "applied_group", "suspended_group"])
def test_hidden_products_are_404(client, session, kind):
    if kind in ("draft", "archived"):
        product = create_product(session, status=kind)
    else:
        group = create_group(session, status=kind.removesuffix("_group"))
        product = create_product(session, group=group)
    assert client.get(f"/products/{product.id}-{product.slug}").status_code == 404
    assert client.get(f"/products/{product.id}").status_code == 404


def test_missing_or_wrong_slug_redirects_to_the_canonical_address(client, session):
    product = create_product(session)
    product.slug = "indigo-scarf"
    session.add(product)
    session.commit()
    for wrong in (f"/products/{product.id}", f"/products/{product.id}-old-name"):
        response = client.get(wrong)
        assert response.status_code == 301
        assert response.headers["location"] == f"/products/{product.id}-indigo-scarf"
    assert client.get(f"/products/{product.id}-indigo-scarf").status_code == 200
    assert client.get("/products/not-a-number").status_code == 404
    assert client.get("/products/99999999999").status_code == 404


# --- group page ---------------------------------------------------------------------------

def test_group_page_lists_only_its_visible_products(client, session):
    group = create_group(session, name="Kreung Basket Makers", community="kreung",
                         moc_registration="MOC-2010-77", story="We weave rattan.",
                         story_km="យើងត្បាញផ្តៅ។")
    group.name_km, group.members_count, group.women_count = "ក្រុមកន្ត្រក", 20, 14
    session.add(group)
    session.commit()
    other = create_group(session)
    create_product(session, group=group, title="Back-basket")
    create_product(session, group=group, title="Draft basket", status="draft")
    create_product(session, group=group, title="Old basket", status="archived")
    create_product(session, group=other, title="Someone else's scarf")
    page = client.get(f"/groups/{group.slug}")
    assert page.status_code == 200
    html = page.text
    assert titles(html) == ["Back-basket"]
    assert "Kreung Basket Makers" in html and "ក្រុមកន្ត្រក" in html
    assert "20 members, 14 of them women" in html and "MOC-2010-77" in html
    assert "We weave rattan." in html and "Kreung" in html
    assert "យើងត្បាញផ្តៅ។" in client.get(f"/groups/{group.slug}", headers=KM).text
    assert page.headers["last-modified"]


def test_unverified_or_suspended_group_page_is_404(client, session):
    for status in ("applied", "suspended"):
        group = create_group(session, status=status)
        assert client.get(f"/groups/{group.slug}").status_code == 404


def test_group_page_paginates(client, session):
    group = create_group(session)
    for n in range(26):
        create_product(session, group=group, title=f"Pot {n}", craft="pottery")
    assert len(titles(client.get(f"/groups/{group.slug}").text)) == 24
    second = client.get(f"/groups/{group.slug}?page=2").text
    assert len(titles(second)) == 2 and "26 pieces for sale" in second


# --- caching ------------------------------------------------------------------------------

def test_etag_and_last_modified_round_trip(client, session):
    product = create_product(session)
    url = f"/products/{product.id}-{product.slug}"
    first = client.get(url)
    etag = first.headers["etag"]
    assert etag.startswith('W/"')
    assert first.headers["cache-control"] == "public, max-age=0, must-revalidate"
    assert first.headers["vary"] == "Cookie, Accept-Language, Accept-Encoding"
    again = client.get(url, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    assert again.headers["etag"] == etag
    since = client.get(url, headers={"If-Modified-Since": first.headers["last-modified"]})
    assert since.status_code == 304
    older = format_datetime(product.updated_at - timedelta(days=1), usegmt=True)
    assert client.get(url, headers={"If-Modified-Since": older}).status_code == 200
    # Another language is another page with another tag.
    khmer = client.get(url, headers={**KM, "If-None-Match": etag})
    assert khmer.status_code == 200 and khmer.headers["etag"] != etag


def test_cached_pages_show_a_new_price_at_once(client, session):
    group = create_group(session)
    product = create_product(session, group=group, title="Scarf", price_cents=2500)
    url = f"/products/{product.id}-{product.slug}"
    product_page, catalog_page = client.get(url), client.get("/catalog")
    assert "$25.00" in product_page.text and "$25.00" in catalog_page.text
    assert "$25.00" in client.get("/catalog").text  # served from the cache

    service.update_product(session=session, actor=leader_of(session, group),
                           product=product, data=ProductUpdate(price_cents=3100))
    session.commit()

    assert "$31.00" in client.get("/catalog").text and "$25.00" not in client.get(
        "/catalog").text
    fresh = client.get(url, headers={"If-None-Match": product_page.headers["etag"]})
    assert fresh.status_code == 200 and "$31.00" in fresh.text and "$25.00" not in fresh.text


class Queries:
    """Counts the statements the app runs while in the block."""

    def __init__(self, engine) -> None:
        self.engine = engine
        self.statements: list[str] = []

    def _record(self, conn, cursor, statement, *args) -> None:
        self.statements.append(statement)

    def __enter__(self):
        event.listen(self.engine, "before_cursor_execute", self._record)
        return self.statements

    def __exit__(self, *exc) -> None:
        event.remove(self.engine, "before_cursor_execute", self._record)


def test_a_cache_hit_runs_no_query_at_all(client, session, engine):
    create_product(session, title="Scarf")
    assert titles(client.get("/catalog").text) == ["Scarf"]
    with Queries(engine) as statements:
        assert titles(client.get("/catalog").text) == ["Scarf"]
    assert statements == []


def test_an_order_changes_only_the_pages_showing_that_piece(client, session, engine):
    """An order changes the piece's stock: its page and the API list showing its stock are
    rendered again, while the catalog and the other pieces' pages stay in the cache."""
    from tests.helpers.api import cart_of, place

    group = create_group(session)
    sold = create_product(session, group=group, title="Jar", stock_on_hand=5)
    other = create_product(session, group=group, title="Bowl", stock_on_hand=5)
    sold_url, other_url = (f"/products/{p.id}-{p.slug}" for p in (sold, other))
    for url in ("/catalog", sold_url, other_url, "/api/v1/products"):
        assert client.get(url).status_code == 200
    assert "In stock" in client.get(sold_url).text

    response = place(client, cart_of(client, [(sold, 3)]))
    assert response.status_code == 201, response.text

    assert "Only 2 left" in client.get(sold_url).text
    listed = {p["id"]: p["available"] for p in client.get("/api/v1/products").json()["data"]}
    assert listed[sold.id] == 2 and listed[other.id] == 5
    with Queries(engine) as statements:
        assert titles(client.get("/catalog").text) == ["Bowl", "Jar"]
        assert "In stock" in client.get(other_url).text
    assert statements == []


def test_the_last_piece_sold_leaves_the_in_stock_list(client, session):
    from tests.helpers.api import cart_of, place

    group = create_group(session)
    create_product(session, group=group, title="Jar", stock_on_hand=1)
    last = create_product(session, group=group, title="Bowl", stock_on_hand=1)
    create_product(session, group=group, title="Mat", stock_on_hand=4)
    in_stock = "/catalog?availability=in_stock"
    assert titles(client.get(in_stock).text) == ["Mat", "Bowl", "Jar"]

    assert place(client, cart_of(client, [(last, 1)])).status_code == 201
    assert titles(client.get(in_stock).text) == ["Mat", "Jar"]
    assert titles(client.get("/catalog").text) == ["Mat", "Bowl", "Jar"]


def test_a_seal_that_ends_leaves_the_cached_page(client, session):
    create_product(session, title="Jar", certified_until=utcnow() + timedelta(seconds=1.5))
    assert "Seal of Excellence</p>" in client.get("/catalog").text
    time.sleep(1.6)
    assert "Seal of Excellence</p>" not in client.get("/catalog").text


def test_logged_in_visitors_never_get_the_anonymous_page(client, session):
    product = create_product(session, title="Scarf")
    product_url = f"/products/{product.id}-{product.slug}"
    anonymous = client.get("/catalog")
    assert "Log in" in anonymous.text and "public" in anonymous.headers["cache-control"]
    shared = client.get(product_url).text
    # no session's token in the shared page: only the public one of "Add to cart"
    assert set(re.findall(r'name="csrf_token" value="([a-z]+)\.', shared)) == {"public"}
    assert "set-cookie" not in client.get(
        product_url).headers
    user = create_user(session)
    login(client, user.email)
    mine = client.get("/catalog")
    assert mine.status_code == 200
    assert "My account" in mine.text and "Log out" in mine.text
    assert mine.headers["cache-control"] == "private, no-store"
    assert "etag" not in mine.headers and "Cookie" in mine.headers["vary"]
    assert titles(mine.text) == ["Scarf"]
    own = client.get(product_url)
    assert "Log out" in own.text and own.headers["cache-control"] == "private, no-store"


def signed_in(app, email: str) -> TestClient:
    browser = TestClient(app, base_url="http://testserver", follow_redirects=False)
    login(browser, email)
    return browser


def test_signed_in_visitors_get_the_shared_page_with_their_own_header(app, session, engine):
    """After the first signed-in visit, the catalog comes from the cache without a query,
    with each visitor's own account links and CSRF token in it."""
    create_product(session, title="Scarf")
    create_user(session, email="maker@example.com", role=["producer"])
    create_user(session, email="tourist@example.com")
    maker, tourist = signed_in(app, "maker@example.com"), signed_in(app, "tourist@example.com")
    for browser in (maker, tourist):
        assert titles(browser.get("/catalog").text) == ["Scarf"]
    with Queries(engine) as statements:
        mine, theirs = maker.get("/catalog"), tourist.get("/catalog")
    assert statements == []
    assert mine.headers["cache-control"] == theirs.headers["cache-control"] == "private, no-store"
    assert "Producer dashboard" in mine.text and "Producer dashboard" not in theirs.text
    assert "Log out" in mine.text and "Log in" not in theirs.text
    assert titles(mine.text) == titles(theirs.text) == ["Scarf"]
    assert csrf_from(mine.text) != csrf_from(theirs.text)
    # The token in the shared page is the visitor's own: logging out with it works.
    assert maker.post("/auth/logout", data={"csrf_token": csrf_from(mine.text)}
                      ).status_code == 303
    assert "Log in" in maker.get("/catalog").text


def test_a_role_granted_or_a_log_out_elsewhere_shows_on_the_next_shared_page(app, session):
    from marketplace.auth.service.roles import grant_role

    user = create_user(session, email="sam@example.com")
    browser = signed_in(app, "sam@example.com")
    stolen = browser.cookies.get("session")
    assert "Review queue" not in browser.get("/catalog").text
    assert "Review queue" not in browser.get("/catalog").text  # from the cache
    grant_role(session=session, actor=None, user=user, role="officer")
    session.commit()
    assert "Review queue" in browser.get("/catalog").text

    page = browser.get("/account")
    assert browser.post("/auth/logout", data={"csrf_token": csrf_from(page.text)}
                        ).status_code == 303
    with TestClient(app, cookies={"session": stolen}) as thief:
        copied = thief.get("/catalog").text
    assert "Log in" in copied and "Log out" not in copied and "Review queue" not in copied


def test_a_flash_message_reaches_the_shared_page_once(app, session):
    create_user(session, email="kim@example.com")
    browser = signed_in(app, "kim@example.com")
    for _ in range(2):
        home = browser.get("/")
        assert "Log out" in home.text and 'class="flash' not in home.text
    browser.post("/auth/logout", data={"csrf_token": csrf_from(home.text)})
    shown = browser.get("/").text
    assert "You are logged out." in shown and "Log in" in shown
    assert "You are logged out." not in browser.get("/").text


def test_personal_marks_cannot_be_planted_by_a_title_or_a_query(app, session):
    """What a producer types or a link carries is escaped: it can never become the place
    where a visitor's account links or CSRF token are put, in HTML or in JSON."""
    create_product(session, title='<!--personal:account--> <input type="hidden" '
                   'name="csrf_token" data-personal-mark>')
    create_user(session, email="ana@example.com")
    browser = signed_in(app, "ana@example.com")
    planted = '<input type="hidden" name="csrf_token" data-personal-mark>'
    for _ in range(2):  # rendered, then from the cache
        page = browser.get("/catalog", params={"q": planted}).text
        token = csrf_from(page)
        assert page.count(token) == page.count('name="csrf_token"') == 1  # the log-out form
        assert page.count("Log out") == 1
        listed = browser.get("/api/v1/products")
        assert listed.status_code == 200 and listed.json()["data"][0]["title"].startswith(
            "<!--personal:account-->")


def test_a_signed_in_visitors_error_page_keeps_their_header(app, session):
    create_user(session, email="lee@example.com")
    browser = signed_in(app, "lee@example.com")
    missing = browser.get("/products/999999")
    assert missing.status_code == 404
    assert "Log out" in missing.text and "data-personal-mark" not in missing.text


# --- home page ----------------------------------------------------------------------------

def test_home_page_shows_certified_crafts_provinces_and_newest(client, session):
    page = client.get("/").text
    assert "No piece holds the Seal of Excellence at the moment." in page
    assert 'href="/catalog?craft=weaving"' in page and 'href="/catalog?province=16"' in page
    for province in ("Mondul Kiri", "Preah Vihear", "Kampong Thom"):
        assert province in page
    assert "រតនគិរី" in client.get("/", headers=KM).text

    create_product(session, title="Sealed jar", certified_until=utcnow() + timedelta(days=9))
    create_product(session, title="New scarf")
    service_bump(session)
    page = client.get("/").text
    certified = page.split('id="certified-h"')[1].split('id="crafts-h"')[0]
    newest = page.split('id="newest-h"')[1]
    assert titles(certified) == ["Sealed jar"]
    assert titles(newest) == ["New scarf", "Sealed jar"]


def service_bump(session) -> None:
    """Factories write rows directly; services name what they change, so do it here."""
    from marketplace.core import cache_tags

    cache_tags.touch(session)
    session.commit()


def test_a_search_with_no_result_suggests_crafts_and_provinces_with_pieces(client, session):
    group = create_group(session)  # in Ratanakiri (16)
    create_product(session, group=group, title="Rattan basket", craft="basketry")
    create_product(session, group=group, title="Clay jar", craft="pottery")
    page = client.get("/catalog?q=teapot")
    assert "No pieces match these filters yet." in page.text
    assert 'href="/catalog?craft=basketry"' in page.text
    assert 'href="/catalog?craft=pottery"' in page.text
    assert 'href="/catalog?craft=resin"' not in page.text  # no resin pieces: not offered
    assert 'href="/catalog?province=16"' in page.text
    assert "These have pieces now" not in client.get("/catalog?q=basket").text


def test_meet_the_makers_lists_verified_groups_by_province(client, session):
    weavers = create_group(session, name="Kuoy Weavers", crafts=("weaving",),
                           province_code="06", district_code="0601", commune_code="060101",
                           village_code="06010101")
    potters = create_group(session, name="Andoung Meas Potters", crafts=("pottery",))
    create_group(session, name="Waiting Group", status="applied")
    create_product(session, group=weavers, title="Scarf")
    create_product(session, group=potters, title="Jar", craft="pottery")
    page = client.get("/makers")
    assert page.status_code == 200 and 'href="/makers"' in page.text
    assert "Kuoy Weavers" in page.text and "Andoung Meas Potters" in page.text
    assert "Waiting Group" not in page.text
    assert "12 members, 10 women" in page.text
    assert page.text.index("Kampong Thom") < page.text.index("Kuoy Weavers")
    only_pottery = client.get("/makers?craft=pottery").text
    assert "Andoung Meas Potters" in only_pottery and "Kuoy Weavers" not in only_pottery
    khmer = client.get("/makers", headers=KM).text
    assert weavers.name_km in khmer


def test_the_pages_a_buyer_looks_for_are_linked_from_every_page(client, settings):
    home = client.get("/about").text
    for path in ("/help/contact", "/help/shipping-returns", "/help/privacy", "/help/terms"):
        assert f'href="{path}"' in home
        assert client.get(path).status_code == 200
        assert client.get(path, headers=KM).status_code == 200
    returns = client.get("/help/shipping-returns").text
    assert f"within {settings.payout_refund_window_days} days" in returns
    assert settings.support_email in client.get("/help/contact").text
    assert "10%" in client.get("/help/terms").text  # the commission the code takes
    assert client.get("/help/nothing").status_code == 404
