"""Light on the wire: pages, CSS, JS and JSON gzipped when the client accepts it; static
files under content-hashed names cached for a year, plain names for five minutes."""


from marketplace.core.static import STATIC_DIR, hashed_name, static_url


def test_pages_css_and_json_are_gzipped_for_clients_that_accept_it(client):
    page = client.get("/about", headers={"Accept-Encoding": "gzip"})
    assert page.status_code == 200
    assert page.headers["content-encoding"] == "gzip"
    assert "accept-encoding" in page.headers["vary"].lower()
    assert int(page.headers["content-length"]) < len(page.content)  # sent compressed
    plain = client.get("/about", headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers and plain.text == page.text
    css = client.get(static_url("css/site.css"), headers={"Accept-Encoding": "gzip"})
    assert css.headers["content-encoding"] == "gzip"
    assert css.content == (STATIC_DIR / "css" / "site.css").read_bytes()  # decoded again
    api = client.get("/api/v1/products?limit=24", headers={"Accept-Encoding": "gzip"})
    assert api.status_code == 200


def test_static_files_carry_their_content_hash_and_a_long_cache(client):
    url = static_url("css/site.css")
    content = (STATIC_DIR / "css" / "site.css").read_bytes()
    assert url == "/static/" + hashed_name("css/site.css", content) != "/static/css/site.css"
    page = client.get("/about")
    assert url in page.text and static_url("img/favicon.svg") in page.text
    hashed = client.get(url)
    assert hashed.status_code == 200 and hashed.content == content
    assert hashed.headers["cache-control"] == "public, max-age=31536000, immutable"
    plain = client.get("/static/css/site.css")
    assert plain.status_code == 200 and plain.headers["cache-control"] == "public, max-age=300"
    stale = url.replace(url.split(".")[-2], "0123456789")
    assert client.get(stale).status_code == 404  # a name no file has: never a wrong file


def test_a_cached_page_is_gzipped_once_and_served_as_stored(client, session):
    from tests.factories import create_product

    create_product(session, title="Kuy silk scarf")
    first = client.get("/catalog", headers={"Accept-Encoding": "gzip"})  # rendered, stored
    app = client.app
    hit = client.get("/catalog", headers={"Accept-Encoding": "gzip"})  # from the page cache
    assert hit.headers["content-encoding"] == "gzip" and hit.text == first.text
    assert hit.headers["etag"] == first.headers["etag"]
    assert hit.headers["vary"] == "Cookie, Accept-Language, Accept-Encoding"
    middleware = next(m for m in _middlewares(app) if hasattr(m, "gzipped"))
    stored = middleware.gzipped[first.headers["etag"]]  # compressed once, for every visitor
    assert client.get("/catalog").headers["etag"] == first.headers["etag"]
    assert middleware.gzipped[first.headers["etag"]] is stored
    plain = client.get("/catalog", headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers and plain.text == first.text
    again = client.get("/catalog", headers={"Accept-Encoding": "gzip",
                                            "If-None-Match": first.headers["etag"]})
    assert again.status_code == 304


def _middlewares(app):
    layer = app.middleware_stack
    while layer is not None:
        yield layer
        layer = getattr(layer, "app", None)
