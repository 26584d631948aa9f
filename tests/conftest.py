"""Test fixtures: one database built by Alembic per run, emptied after every test.

SQLite by default; PostgreSQL when MARKETPLACE_TEST_DATABASE_URL is set (CI runs both).
The app runs exactly as in production (real commits), so live-server browser tests and
concurrency tests see the same data as the test that wrote it.
"""

import os
import re
import socket
import threading
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import pytest
import uvicorn
from alembic import command
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlmodel import Session, SQLModel

from marketplace.app import create_app
from marketplace.config import Settings
from marketplace.db import make_engine
from marketplace.ops import alembic_config
from tests.factories import create_user  # noqa: F401 - re-exported for tests

TEST_SECRET = "test-secret-key-that-is-long-enough-0123456789"  # noqa: S105
SERVER_START_TIMEOUT = 15.0
STRIPE_WEBHOOK_SECRET = "whsec_test_5f0c1d2e3a4b5c6d7e8f9a0b1c2d3e4f"  # noqa: S105


def _test_database_url(tmp_dir: Path) -> str:
    return os.environ.get("MARKETPLACE_TEST_DATABASE_URL") or f"sqlite:///{tmp_dir / 'test.db'}"


def reset_postgres_schema(url: str) -> None:
    """Drop everything in the public schema so Alembic builds it from nothing."""
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> str:
    url = _test_database_url(tmp_path_factory.mktemp("db"))
    if url.startswith("postgresql"):
        reset_postgres_schema(url)
    command.upgrade(alembic_config(url), "head")
    return url


@pytest.fixture(scope="session")
def localstripe_socket():
    """A free loopback port kept for this session's localstripe: bound but not listening,
    so it refuses connections until a test asks for the ``localstripe`` fixture."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    yield sock
    sock.close()


@pytest.fixture(scope="session")
def settings(database_url, tmp_path_factory, localstripe_socket) -> Settings:
    stripe_base = f"http://127.0.0.1:{localstripe_socket.getsockname()[1]}"
    return Settings(
        environment="test",
        database_url=database_url,
        secret_key=TEST_SECRET,
        var_dir=tmp_path_factory.mktemp("var"),
        base_url="http://testserver",
        log_level="WARNING",
        stripe_secret_key="sk_test_localstripe",
        stripe_publishable_key="pk_test_localstripe",
        stripe_webhook_secret=STRIPE_WEBHOOK_SECRET,
        stripe_api_base=stripe_base,
        stripe_js_url=f"{stripe_base}/js.stripe.com/v3/",
        localstripe_port=localstripe_socket.getsockname()[1],
    )


@pytest.fixture(scope="session")
def localstripe(settings, localstripe_socket, tmp_path_factory):
    """One localstripe for the whole session (started on first use, on the reserved port,
    with its state in a fresh file; stopped at the end). Yields its base URL."""
    from marketplace.integrations.stripe import localstripe as server

    folder = tmp_path_factory.mktemp("localstripe")
    process = server.spawn(state=folder / "state.pickle", sock=localstripe_socket,
                           log_path=folder / "localstripe.log")
    try:
        server.wait_until_up(settings.stripe_api_base, process)
    except RuntimeError as exc:
        server.stop(process)
        log = (folder / "localstripe.log").read_text(errors="replace")[-2000:]
        pytest.fail(f"{exc}\n{log}")
    yield settings.stripe_api_base
    server.stop(process)


@pytest.fixture(scope="session")
def app(settings):
    return create_app(settings)


@pytest.fixture(scope="session")
def engine(app):
    return app.state.engine


def _empty_all_tables(engine) -> None:
    tables = [t.name for t in reversed(SQLModel.metadata.sorted_tables)]
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            quoted = ", ".join(f'"{name}"' for name in tables)
            conn.execute(text(f"TRUNCATE {quoted} RESTART IDENTITY CASCADE"))
        else:
            for name in tables:
                conn.execute(text(f'DELETE FROM "{name}"'))  # noqa: S608 - our table names


@pytest.fixture(autouse=True)
def _isolated(request, settings):
    """Every test starts with empty tables and an empty mail folder."""
    uses_db = {"engine", "app", "session", "client"} & set(request.fixturenames)
    engine = request.getfixturevalue("engine") if uses_db else None
    yield
    if engine is not None:
        _empty_all_tables(engine)
        # The catalog version starts again at 0: pages cached by this test must not be served
        # to the next one.
        request.getfixturevalue("app").state.page_cache.clear()
    if settings.mail_dir.exists():
        for eml in settings.mail_dir.glob("*.eml"):
            eml.unlink()


@pytest.fixture
def storage(app):
    """Where the app keeps photos (a folder under the session's var dir)."""
    return app.state.storage


@pytest.fixture
def session(engine):
    """A session for arranging and checking data; commit to make rows visible to the app."""
    with Session(engine, expire_on_commit=False) as db:
        yield db


@pytest.fixture
def client(app):
    with TestClient(app, base_url="http://testserver", follow_redirects=False) as test_client:
        yield test_client


CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_from(html: str) -> str:
    match = CSRF_RE.search(html)
    assert match, "page has no CSRF field"
    return match.group(1)


@pytest.fixture
def cli_env(monkeypatch, settings):
    """Environment for the ``marketplace`` command line pointing at the test database."""
    from marketplace.config import get_settings

    monkeypatch.setenv("MARKETPLACE_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("MARKETPLACE_VAR_DIR", str(settings.var_dir))
    monkeypatch.setenv("MARKETPLACE_SECRET_KEY", settings.secret_key)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@contextmanager
def served(app, *, name: str = "live-server"):
    """``app`` served by uvicorn (in a thread, with its lifespan) on 127.0.0.1 and a free
    port, with the proxy options ``marketplace serve`` gives uvicorn; yields the base URL."""
    from marketplace.core.clientip import uvicorn_proxy_options

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))  # port 0: the OS picks a free port, and we keep it bound
    base_url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="on",
                            **uvicorn_proxy_options(app.state.settings))
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name=name,
                              daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + SERVER_START_TIMEOUT
        while not answers(f"{base_url}/healthz"):
            if not thread.is_alive():
                pytest.fail("the live server thread stopped before /healthz answered")
            if time.monotonic() > deadline:
                pytest.fail(f"the live server did not answer {base_url}/healthz "
                            f"within {SERVER_START_TIMEOUT:.0f}s")
            time.sleep(0.05)
        yield base_url
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


def answers(url: str) -> bool:
    """True when ``url`` answers 200 within a second."""
    try:
        with urllib.request.urlopen(url, timeout=1) as response:  # noqa: S310 - our own server
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


@pytest.fixture(scope="session")
def live_server(app):
    """The session's app served by uvicorn on 127.0.0.1 and a free port; yields the base URL.

    The app's ``settings.base_url`` stays "http://testserver", so take the path from an
    email link (``tests.helpers.link_in``) and open ``live_server + path``.
    """
    with served(app) as base_url:
        yield base_url
