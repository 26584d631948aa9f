"""The first "Add to cart" on a cached product page works in one click (issue 14, item 4):
the product page is shared by every anonymous visitor (core.page_cache), so its form cannot
carry a token tied to one visitor's session. Its form carries the site's public token for
that form, and the browser's own statement of where the post comes from (Sec-Fetch-Site,
Origin) is what a cross-site page cannot forge."""

import re

from sqlmodel import select

from marketplace.models import CartLine
from tests.factories import create_product
from tests.helpers import csrf_from

FORM_RE = re.compile(r'<form method="([a-z]+)" action="/cart/add" class="row add-to-cart">'
                     r'(.*?)</form>', re.S)
SAME_ORIGIN = {"Origin": "http://testserver", "Sec-Fetch-Site": "same-origin"}


def _lines(session):
    session.rollback()
    session.expire_all()
    return list(session.exec(select(CartLine).order_by(CartLine.id)))


def product_page(client, product):
    """The product page at its canonical address (/products/<id>-<slug>)."""
    page = client.get(f"/products/{product.id}")
    if page.status_code == 301:
        page = client.get(page.headers["location"])
    assert page.status_code == 200
    return page


def add_form(html: str) -> tuple[str, dict]:
    """The product page's add-to-cart form: its method and the fields a browser sends."""
    match = FORM_RE.search(html)
    assert match, "no add-to-cart form"
    fields = dict(re.findall(r'<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"', match.group(2)))
    return match.group(1), fields


def test_a_new_visitor_adds_from_the_cached_product_page_in_one_click(signed_in, session):
    product = create_product(session, title="Indigo cotton scarf", stock_on_hand=5)
    first, second = signed_in(), signed_in()  # two browsers without cookies
    rendered = product_page(first, product)
    cached = product_page(second, product)
    assert cached.text == rendered.text  # the shared page
    assert "session" not in second.cookies
    method, fields = add_form(cached.text)
    assert method == "post" and fields["csrf_token"]

    added = second.post("/cart/add", data={**fields, "quantity": "2"}, headers=SAME_ORIGIN)
    assert added.status_code == 303 and added.headers["location"] == "/cart"
    assert [line.quantity for line in _lines(session)] == [2]
    assert "“Indigo cotton scarf” is in your cart." in second.get("/cart").text

    # The first browser's click works too (it posts with the Origin header only).
    again = first.post("/cart/add", data=fields, headers={"Origin": "http://testserver"})
    assert again.status_code == 303
    assert sorted(line.quantity for line in _lines(session)) == [1, 2]

    # Behind a proxy that rewrites Host, the Origin is the public address (base_url).
    public = first.app.state.settings.base_url
    proxied = first.post("/cart/add", data=fields,
                         headers={"Origin": public, "Host": "127.0.0.1:8000"})
    assert proxied.status_code == 303


def test_the_public_token_does_not_let_another_site_post(signed_in, session):
    product = create_product(session)
    visitor = signed_in()
    _method, fields = add_form(product_page(visitor, product).text)
    for headers in ({"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"},
                    {"Sec-Fetch-Site": "same-site"}, {"Origin": "https://evil.example"},
                    {"Origin": "null"}):
        refused = visitor.post("/cart/add", data=fields, headers=headers)
        assert refused.status_code == 403, headers
    assert _lines(session) == []
    # The public token is only for this form: another form refuses it even from this site.
    other = visitor.post("/auth/login", data={"csrf_token": fields["csrf_token"],
                                              "email": "a@example.com", "password": "x"},
                         headers=SAME_ORIGIN)
    assert other.status_code == 403


def test_a_browser_that_says_nothing_of_the_origin_gets_the_small_add_page(signed_in,
                                                                            session):
    product = create_product(session, title="Rattan basket")
    visitor = signed_in()
    _method, fields = add_form(product_page(visitor, product).text)
    sent = visitor.post("/cart/add", data={**fields, "quantity": "3"})
    # Nothing proves where the post came from: the add page, with what was chosen, whose
    # form carries this browser's own session token.
    assert sent.status_code == 303
    assert sent.headers["location"] == f"/cart/add?product_id={product.id}&quantity=3"
    page = visitor.get(sent.headers["location"])
    assert page.status_code == 200 and 'value="3"' in page.text
    added = visitor.post("/cart/add", data={"csrf_token": csrf_from(page.text),
                                            "product_id": str(product.id), "quantity": "3"})
    assert added.status_code == 303
    assert [line.quantity for line in _lines(session)] == [3]


def cart_count(html: str) -> str | None:
    """The count the header shows next to "Cart" (None: no count)."""
    match = re.search(r'<a href="/cart" class="cart-link">Cart(?: <span class="cart-count">'
                      r'(\d+)<span class="sr-only"> pieces?</span></span>)?</a>', html)
    assert match, "no cart link in the header"
    return match.group(1)


def test_the_header_shows_the_pieces_in_the_cart_on_cached_pages_too(signed_in, session,
                                                                     engine):
    from tests.catalog.test_web import Queries

    scarf = create_product(session, title="Scarf", stock_on_hand=9)
    basket = create_product(session, title="Basket", stock_on_hand=9)
    visitor, other = signed_in(), signed_in()
    assert cart_count(product_page(visitor, scarf).text) is None
    _method, fields = add_form(product_page(visitor, scarf).text)
    visitor.post("/cart/add", data={**fields, "quantity": "2"}, headers=SAME_ORIGIN)
    assert cart_count(visitor.get("/cart").text) == "2"
    _method, fields = add_form(product_page(visitor, basket).text)
    assert visitor.post("/cart/add", data=fields, headers=SAME_ORIGIN).status_code == 303
    # The catalog and product pages come from the shared cache, without a query, with the
    # count this browser's session keeps; another visitor sees no count.
    for url in ("/catalog", product_page(visitor, scarf).url.path):
        visitor.get(url)
        with Queries(engine) as statements:
            page = visitor.get(url)
        assert statements == [] and cart_count(page.text) == "3", url
        assert page.headers["cache-control"] == "private, no-store"
        assert cart_count(other.get(url).text) is None
    line = _lines(session)[0]
    cart = visitor.get("/cart").text
    visitor.post(f"/cart/lines/{line.id}/remove", data={"csrf_token": csrf_from(cart)})
    assert cart_count(visitor.get("/cart").text) == "1"
    assert cart_count(visitor.get("/catalog").text) == "1"


def test_logging_in_shows_the_account_cart_count_and_logging_out_forgets_it(signed_in, session):
    from tests.factories import cart_with, create_user
    from tests.helpers import login

    buyer = create_user(session, email="count@example.com")
    scarf = create_product(session, title="Scarf", stock_on_hand=9)
    cart_with(session, [(scarf, 4)], user=buyer)
    browser = signed_in()
    login(browser, "count@example.com")
    assert cart_count(browser.get("/catalog").text) == "4"
    browser.post("/auth/logout", data={"csrf_token": csrf_from(browser.get("/account").text)})
    assert cart_count(browser.get("/catalog").text) is None
