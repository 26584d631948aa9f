"""Test fixtures: one database built by Alembic per run, emptied after every test.

SQLite by default; PostgreSQL when MARKETPLACE_TEST_DATABASE_URL is set (CI runs both).
The app runs exactly as in production (real commits), so live-server browser tests and
concurrency tests see the same data as the test that wrote it.
"""

import os
import re
from pathlib import Path

import pytest
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
def settings(database_url, tmp_path_factory) -> Settings:
    return Settings(
        environment="test",
        database_url=database_url,
        secret_key=TEST_SECRET,
        var_dir=tmp_path_factory.mktemp("var"),
        base_url="http://testserver",
        log_level="WARNING",
    )


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
    if settings.mail_dir.exists():
        for eml in settings.mail_dir.glob("*.eml"):
            eml.unlink()


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
