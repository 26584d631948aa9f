"""The ``marketplace`` command line against the test database."""

import pytest
from sqlmodel import select
from typer.testing import CliRunner

from marketplace.cli import app as cli
from marketplace.models import OutboxMessage, ProducerGroup, User, UserRole, utcnow
from tests.factories import create_user

runner = CliRunner()


@pytest.fixture(autouse=True)
def _env(cli_env):
    """The command line reads its settings from the environment: point it at the test run's."""


def test_help_lists_every_command():
    result = runner.invoke(cli, ["--help"])
    assert result.exit_code == 0
    for name in ("serve", "migrate", "demo-data", "users", "worker"):
        assert name in result.output
    users = runner.invoke(cli, ["users", "--help"])
    assert "create" in users.output and "grant" in users.output


def test_users_grant(session):
    user = create_user(session, email="officer@example.com")
    result = runner.invoke(cli, ["users", "grant", "officer@example.com", "officer"])
    assert result.exit_code == 0, result.output
    session.expire_all()
    assert session.exec(select(UserRole.role).where(UserRole.user_id == user.id)).all() == [
        "officer"]


def test_users_grant_unknown_role_or_email_fails_clearly(session):
    create_user(session, email="x@example.com")
    bad_role = runner.invoke(cli, ["users", "grant", "x@example.com", "emperor"])
    assert bad_role.exit_code == 2 and "Unknown role" in bad_role.output
    nobody = runner.invoke(cli, ["users", "grant", "nobody@example.com", "admin"])
    assert nobody.exit_code == 2 and "No account" in nobody.output


def test_users_create_makes_a_verified_account(session):
    result = runner.invoke(cli, ["users", "create", "staff@example.com", "--name", "Staff",
                                 "--password", "a long passphrase", "--role", "admin"])
    assert result.exit_code == 0, result.output
    user = session.exec(select(User).where(User.email == "staff@example.com")).one()
    assert user.email_verified_at is not None


def test_demo_data_is_idempotent(session):
    first = runner.invoke(cli, ["demo-data"])
    assert first.exit_code == 0, first.output
    counts = (len(session.exec(select(User)).all()), len(session.exec(select(ProducerGroup)).all()))
    second = runner.invoke(cli, ["demo-data"])
    assert second.exit_code == 0
    session.expire_all()
    assert counts == (len(session.exec(select(User)).all()),
                      len(session.exec(select(ProducerGroup)).all()))
    assert counts[0] >= 5


def test_worker_once_writes_eml_files(session, settings):
    session.add(OutboxMessage(payload={"to": "a@example.com", "subject": "Hi", "body": "Body"},
                              available_at=utcnow()))
    session.commit()
    result = runner.invoke(cli, ["worker", "--once"])
    assert result.exit_code == 0, result.output
    files = list(settings.mail_dir.glob("*.eml"))
    assert len(files) == 1 and b"Subject: Hi" in files[0].read_bytes()
    session.expire_all()
    assert session.exec(select(OutboxMessage)).one().sent_at is not None
