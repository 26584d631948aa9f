"""Cross-cutting behaviour: health, security headers, error pages, settings."""

import json
import logging

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError

from marketplace.app import create_app
from marketplace.config import BASE_DIR, Settings


def test_healthz_and_readyz(client):
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["revision"] == ready.json()["head"]


def test_readyz_is_503_when_the_database_is_unreachable(settings, tmp_path):
    broken = settings.model_copy(update={"database_url": f"sqlite:///{tmp_path}/nowhere/x.db"})
    with TestClient(create_app(broken)) as c:
        assert c.get("/readyz").status_code == 503


def test_security_headers_on_every_response(client):
    for path in ("/", "/api/v1/users/me", "/static/css/site.css", "/no-such-page"):
        headers = client.get(path).headers
        csp = headers["content-security-policy"]
        assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["referrer-policy"]
        assert "strict-transport-security" not in headers
        assert len(headers["x-request-id"]) >= 8


def test_hsts_when_https_is_on(settings):
    with TestClient(create_app(settings.model_copy(update={"https": True}))) as c:
        assert "max-age" in c.get("/healthz").headers["strict-transport-security"]


def test_unexpected_error_shows_only_a_request_id(settings, caplog):
    app = create_app(settings)

    @app.get("/boom")
    def boom():
        raise RuntimeError("secret internals")

    @app.get("/api/v1/boom")
    def api_boom():
        raise RuntimeError("secret internals")

    with TestClient(app, raise_server_exceptions=False) as c, \
            caplog.at_level(logging.ERROR, logger="marketplace"):
        page = c.get("/boom", headers={"Accept-Language": "km"})
        api = c.get("/api/v1/boom")
    request_id = page.headers["x-request-id"]
    assert page.status_code == 500 and request_id in page.text
    assert "secret internals" not in page.text and "Traceback" not in page.text
    assert '<html lang="km">' in page.text
    assert api.status_code == 500 and api.json()["request_id"] == api.headers["x-request-id"]
    assert "secret internals" not in api.text
    assert any(getattr(r, "request_id", None) == request_id for r in caplog.records)


def test_request_log_is_structured(client, caplog):
    with caplog.at_level(logging.INFO, logger="marketplace.request"):
        response = client.get("/healthz")
    entries = [json.loads(r.getMessage()) for r in caplog.records
               if r.name == "marketplace.request"]
    assert entries[-1]["path"] == "/healthz" and entries[-1]["status"] == 200
    assert entries[-1]["request_id"] == response.headers["x-request-id"]
    assert set(entries[-1]) >= {"method", "path", "status", "duration_ms", "request_id"}


def test_html_404_is_a_friendly_page_in_the_users_language(client):
    page = client.get("/no-such-page", headers={"Accept-Language": "km"})
    assert page.status_code == 404
    assert page.headers["content-type"].startswith("text/html")
    assert '<html lang="km">' in page.text


def test_api_404_and_405_are_problems(client):
    assert client.get("/api/v1/nope").headers["content-type"] == "application/problem+json"
    wrong_method = client.put("/api/v1/users/me")
    assert wrong_method.status_code == 405
    assert wrong_method.json()["status"] == 405


def test_production_refuses_the_default_secret_key():
    with pytest.raises(ValidationError):
        Settings(environment="production")
    Settings(environment="production", secret_key="k" * 40)


def test_css_stays_under_15_kb_and_nothing_loads_from_elsewhere(client):
    css_files = list((BASE_DIR / "static" / "css").glob("*.css"))
    assert sum(f.stat().st_size for f in css_files) <= 15 * 1024
    home = client.get("/").text
    assert "http://" not in home.split("<body>")[0] and "https://" not in home.split("<body>")[0]
    assert "Noto Sans Khmer" in (BASE_DIR / "static/css/site.css").read_text()


def test_pages_use_the_base_layout_and_landmarks(client):
    page = client.get("/").text
    assert "<header" in page and '<main id="main"' in page and "<footer" in page
    assert 'href="#main"' in page  # skip link for keyboard users


def test_api_docs_are_served_without_a_cdn(client):
    docs = client.get("/docs")
    assert docs.status_code == 200
    assert "cdn." not in docs.text and "/docs-assets/swagger-ui-bundle.js" in docs.text
    assert client.get("/docs-assets/swagger-ui-bundle.js").status_code == 200
    spec = client.get("/openapi.json").json()
    token = spec["paths"]["/api/v1/auth/token"]["post"]
    assert token["summary"] and "429" in token["responses"]


def test_a_failed_request_writes_nothing(settings, session):
    from marketplace.db import SessionDep
    from marketplace.errors import Conflict
    from marketplace.models import User

    app = create_app(settings)

    @app.post("/api/v1/half-write")
    def half_write(db: SessionDep):
        db.add(User(email="half@example.com", full_name="Half", password_hash="x"))
        db.flush()
        raise Conflict()

    with TestClient(app) as c:
        assert c.post("/api/v1/half-write").status_code == 409
    assert session.exec(User.__table__.select()).all() == []


@pytest.mark.parametrize("path", [
    "/api/v1/products/10000000000000000000000",
    "/api/v1/products?min_price_cents=10000000000000000000000",
    "/api/v1/products?group_id=10000000000000000000000",
    "/api/v1/products?sort=price_asc&cursor=WyJwcmljZV9hc2MiLCAxZTIyLCAxXQ",
    "/api/v1/products?cursor=WyJuZXdlc3QiLCAiMjAyNC0wMS0wMVQwMDowMDowMCIsIDFd",
])
def test_huge_numbers_and_odd_cursors_are_4xx_not_500(client, path):
    assert client.get(path).status_code in (200, 404, 422)


def test_nul_character_in_text_is_a_422(client):
    response = client.post("/api/v1/users", json={
        "email": "nul@example.com", "full_name": "a\u0000b", "password": "a long passphrase"})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "full_name"
