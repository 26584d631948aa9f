"""Bad input is refused before it costs anything: bodies over the configured size are a 413
before authentication or parsing; a NUL character anywhere is a 422 and nothing is stored."""

import http.client
import io
import socket
import time
from urllib.parse import urlsplit

import pytest
from fastapi.params import File
from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient
from PIL import Image
from sqlmodel import func, select

from marketplace.app import create_app
from marketplace.core import limits
from marketplace.models import Product, ProductImage, User
from tests.factories import add_member, create_group, create_product, create_user, png_bytes
from tests.helpers import form_post, login
from tests.helpers.api import token_for
from tests.helpers.catalog import PRODUCT

MB = 1024 * 1024
NEW = {"title": "Kuy silk scarf, indigo", "craft": "weaving", "price_cents": 1250,
       "stock_on_hand": 3}


def _count(session, model) -> int:
    session.rollback()  # see what the app committed
    return session.exec(select(func.count()).select_from(model)).one()


def _problem(response, status: int) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    return response.json()


def _fields(problem: dict) -> list[str]:
    return [error["field"] for error in problem.get("errors") or []]


@pytest.fixture
def member(session):
    group = create_group(session)
    return group, add_member(session, group)


def _auth(client, user) -> dict:
    return {"Authorization": f"Bearer {token_for(client, user.email)}"}


def _jpeg(size_bytes: int) -> bytes:
    """A real JPEG of about ``size_bytes`` (noise compresses badly)."""
    side = int((size_bytes / 1.2) ** 0.5)
    buf = io.BytesIO()
    Image.effect_noise((side, side), 100).convert("RGB").save(buf, "JPEG", quality=95)
    return buf.getvalue()


# -- body size ------------------------------------------------------------------------------

def test_json_body_over_1_mb_is_413_before_authentication(client, session, member):
    group, _user = member
    body = {**NEW, "group_id": group.id, "description": "x" * (MB + 10)}
    problem = _problem(client.post("/api/v1/products", json=body), 413)  # no token at all
    assert problem["type"].endswith("/content-too-large") and problem["max_bytes"] == MB
    assert "1 MB" in problem["detail"]
    assert _count(session, Product) == 0


def test_chunked_body_without_length_is_counted(client):
    def chunks():
        for _ in range(12):
            yield b"x" * 100_000

    response = client.post("/api/v1/users", content=chunks(),
                           headers={"Content-Type": "application/json"})
    _problem(response, 413)
    multipart = client.post("/api/v1/auth/token", content=chunks(),
                            headers={"Content-Type": "multipart/form-data; boundary=b"})
    _problem(multipart, 413)


def test_declared_length_over_the_limit_is_answered_without_reading_the_body(live_server):
    """The server answers at once: it does not wait for (or read) the 100 MB announced."""
    url = urlsplit(live_server)
    started = time.monotonic()
    with socket.create_connection((url.hostname, url.port), timeout=5) as sock:
        sock.sendall(b"POST /api/v1/users HTTP/1.1\r\nHost: x\r\nContent-Type: application/json"
                     b"\r\nContent-Length: 100000000\r\n\r\n{")
        reply = sock.recv(65536).decode("latin-1")
    assert reply.startswith("HTTP/1.1 413"), reply[:200]
    assert "application/problem+json" in reply
    assert time.monotonic() - started < 2


def test_chunked_upload_over_the_limit_is_413_on_the_real_server(live_server):
    url = urlsplit(live_server)
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=10)
    chunks = (b"x" * 65536 for _ in range(20))  # 1.25 MB, no Content-Length
    conn.request("POST", "/api/v1/users", body=chunks, encode_chunked=True,
                 headers={"Content-Type": "application/json"})
    response = conn.getresponse()
    assert response.status == 413
    assert response.getheader("content-type") == "application/problem+json"
    conn.close()


def test_photo_uploads_get_15_mb_other_routes_1_mb(client, session, member):
    group, user = member
    product = create_product(session, group=group)
    auth = _auth(client, user)
    photo = _jpeg(2 * MB)
    assert len(photo) > 1.5 * MB
    accepted = client.post(f"/api/v1/products/{product.id}/images", headers=auth,
                           files={"file": ("big.jpg", photo, "image/jpeg")},
                           data={"alt_text": "Scarf"})
    assert accepted.status_code == 201, accepted.text
    # The same bytes to a route that is not an upload route.
    _problem(client.post("/api/v1/auth/token", files={"file": ("big.jpg", photo)}), 413)
    # Over 15 MB, even the upload route refuses, before the token is looked at.
    huge = b"\xff\xd8\xff" + b"\0" * (15 * MB)
    for headers in ({}, auth):
        problem = _problem(client.post(
            f"/api/v1/products/{product.id}/images", headers=headers,
            files={"file": ("huge.jpg", huge, "image/jpeg")}, data={"alt_text": "x"}), 413)
        assert "15 MB" in problem["detail"]
    assert _count(session, ProductImage) == 1


def test_html_upload_over_the_limit_is_the_translated_error_page(client, session):
    group = create_group(session)
    add_member(session, group, create_user(session, email="member@example.com"))
    product = create_product(session, group=group)
    login(client, "member@example.com")
    client.cookies.set("lang", "km")
    response = client.post(f"/dashboard/products/{product.id}/photos",
                           files={"photo": ("huge.jpg", b"\0" * (15 * MB + 1), "image/jpeg")},
                           data={"alt_text": "x", "csrf_token": "not even checked"})
    assert response.status_code == 413
    assert response.headers["content-type"].startswith("text/html")
    assert "ធំពេក" in response.text  # "Too large"
    assert _count(session, ProductImage) == 0


def test_limits_follow_the_settings(settings, session, member):
    group, user = member
    product = create_product(session, group=group)
    strict = create_app(settings.model_copy(update={"max_body_bytes": 2000,
                                                    "max_image_pixels": 1_000_000}))
    try:
        with TestClient(strict) as client:
            _problem(client.post("/api/v1/users", json={"full_name": "x" * 2000}), 413)
            assert client.post("/api/v1/users", json={"full_name": "x"}).status_code == 422
            photo = io.BytesIO()
            Image.new("RGB", (1200, 1000)).save(photo, "PNG")
            refused = client.post(f"/api/v1/products/{product.id}/images",
                                  headers=_auth(client, user), data={"alt_text": "Scarf"},
                                  files={"file": ("p.png", photo.getvalue(), "image/png")})
            assert "more than 1 megapixels" in _problem(refused, 422)["errors"][0]["message"]
    finally:
        strict.state.engine.dispose()


def test_every_route_taking_a_file_gets_the_upload_limit_and_only_those(app):
    file_routes, posts = set(), set()
    for route in iter_route_contexts(app.routes):
        dependant = getattr(route, "dependant", None)
        if dependant is None or "POST" not in route.methods:
            continue
        posts.add(route.path)
        if any(isinstance(param.field_info, File) for param in dependant.body_params):
            file_routes.add(route.path)
    assert file_routes and all(limits.is_upload_route("POST", path) for path in file_routes)
    uploads = {path for path in posts if limits.is_upload_route("POST", path)}
    assert len(uploads) == len(limits.UPLOAD_ROUTES) == 6  # each pattern names a real route
    assert {path.rsplit("/", 1)[-1] for path in uploads} == {"images", "photos", "documents"}


# -- NUL characters -------------------------------------------------------------------------

@pytest.mark.parametrize("query", ["q=abc%00", "q=ab%00", "q=%00scarf&craft=weaving"])
def test_nul_in_the_search_is_422_naming_q(client, session, query):
    create_product(session, title="abc scarf")
    problem = _problem(client.get(f"/api/v1/products?{query}"), 422)
    assert _fields(problem) == ["q"]
    assert client.get("/catalog?q=abc%00").status_code == 422
    assert client.get("/api/v1/products?q=abc").status_code == 200


def test_nul_in_the_path_is_422(client):
    assert _fields(_problem(client.get("/api/v1/products/1%00"), 422)) == ["path"]
    assert client.get("/static/css/site%00.css").status_code == 422


def test_nul_in_a_json_body_is_422_naming_the_field_and_nothing_is_stored(client, session,
                                                                          member):
    group, user = member
    auth = _auth(client, user)
    body = {**NEW, "group_id": group.id, "title": "Kuy silk\u0000 scarf"}
    problem = _problem(client.post("/api/v1/products", headers=auth, json=body), 422)
    assert _fields(problem) == ["title"]
    nested = {**NEW, "group_id": group.id, "materials": [{"material": "silk\u0000"}]}
    assert _fields(_problem(client.post("/api/v1/products", headers=auth, json=nested),
                            422)) == ["materials.0.material"]
    users = _count(session, User)
    signup = client.post("/api/v1/users", json={
        "email": "nul@example.com", "full_name": "a\u0000b", "password": "a long passphrase"})
    assert _fields(_problem(signup, 422)) == ["full_name"]
    assert _count(session, Product) == 0 and _count(session, User) == users
    # A backslash followed by "u0000" is ordinary text, not a NUL.
    escaped = b'{"title": "a\\\\u0000b", "craft": "weaving", "price_cents": 100, "group_id": '
    ok = client.post("/api/v1/products", headers={**auth, "Content-Type": "application/json"},
                     content=escaped + str(group.id).encode() + b"}")
    assert ok.status_code == 201 and ok.json()["title"] == "a\\u0000b"


def test_nul_in_json_of_another_encoding_or_deeply_nested_is_never_stored(client, session):
    import json

    users = _count(session, User)
    person = {"email": "utf16@example.com", "full_name": "Sok\u0000ha",
              "password": "a long passphrase"}
    for encoding in ("utf-16", "utf-16-le", "utf-32"):  # JSON parsers read these too
        sent = client.post("/api/v1/users", content=json.dumps(person).encode(encoding),
                           headers={"Content-Type": "application/json"})
        assert _fields(_problem(sent, 422)) == ["full_name"], encoding
    deep = b"[" * 20000 + b'"\\u0000"' + b"]" * 20000
    nested = client.post("/api/v1/users", content=deep,
                         headers={"Content-Type": "application/json"})
    assert nested.status_code in (400, 422), nested.text  # refused, never a 500
    assert _count(session, User) == users


def test_nul_in_a_form_post_is_422_and_nothing_is_stored(client, session):
    group = create_group(session)
    add_member(session, group, create_user(session, email="member@example.com"))
    login(client, "member@example.com")
    url = f"/dashboard/products/new?group_id={group.id}"
    response = form_post(client, url, url, {**PRODUCT, "title": "Kuy silk scarf\x00"})
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("text/html")
    assert _count(session, Product) == 0
    assert form_post(client, url, url, PRODUCT).status_code == 303  # the same form, no NUL


def test_nul_in_a_multipart_text_field_is_422_but_files_may_hold_nul_bytes(client, session,
                                                                          member):
    group, user = member
    product = create_product(session, group=group)
    photo = png_bytes(fmt="JPEG")
    assert b"\x00" in photo
    url = f"/api/v1/products/{product.id}/images"
    refused = client.post(url, headers=_auth(client, user), data={"alt_text": "Scarf\x00"},
                          files={"file": ("photo.jpg", photo, "image/jpeg")})
    assert _fields(_problem(refused, 422)) == ["alt_text"]
    assert _count(session, ProductImage) == 0
    accepted = client.post(url, headers=_auth(client, user), data={"alt_text": "Scarf"},
                           files={"file": ("photo.jpg", photo, "image/jpeg")})
    assert accepted.status_code == 201, accepted.text


def test_nul_in_an_html_multipart_field_is_refused(client, session):
    group = create_group(session)
    add_member(session, group, create_user(session, email="member@example.com"))
    product = create_product(session, group=group)
    login(client, "member@example.com")
    page = f"/dashboard/products/{product.id}/edit"
    response = form_post(client, page, f"/dashboard/products/{product.id}/photos",
                         {"alt_text": "Scarf\x00"},
                         files={"photo": ("p.jpg", png_bytes(fmt="JPEG"), "image/jpeg")})
    assert response.status_code == 422
    assert _count(session, ProductImage) == 0
