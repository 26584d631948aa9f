"""The schema is built only by Alembic, and the migrations match the models."""

import os

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlmodel import SQLModel

import marketplace.models  # noqa: F401
from marketplace.db import include_object, make_engine
from marketplace.ops import alembic_config


@pytest.fixture
def scratch_url(tmp_path):
    """A database of its own, so dropping everything does not touch the test database."""
    base = os.environ.get("MARKETPLACE_TEST_DATABASE_URL")
    if not base:
        yield f"sqlite:///{tmp_path / 'migrations.db'}"
        return
    name = "marketplace_migrations_check"
    admin = make_engine(base).execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = base.rsplit("/", 1)[0] + "/" + name
    yield url
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def test_upgrade_downgrade_upgrade_and_no_drift(scratch_url):
    config = alembic_config(scratch_url)
    command.upgrade(config, "head")
    command.downgrade(config, "base")
    engine = make_engine(scratch_url)
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    command.upgrade(config, "head")
    with engine.connect() as conn:
        context = MigrationContext.configure(
            conn, opts={"compare_type": True, "include_object": include_object})
        diff = compare_metadata(context, SQLModel.metadata)
    engine.dispose()
    assert diff == [], f"models and migrations differ: {diff}"


def test_the_head_the_service_reads_is_alembics():
    """/readyz compares the database with the head read from the migration files without
    Alembic (the web worker does not import it): it must be Alembic's head."""
    from alembic.script import ScriptDirectory

    from marketplace import ops

    assert ops.head_revision() == ScriptDirectory.from_config(
        ops.alembic_config()).get_current_head()
