"""Account rules, exercised through the services against the real database."""

import pytest

from marketplace.auth import service
from marketplace.auth.schemas import SignupIn
from marketplace.auth.service import roles, sessions, throttle
from marketplace.core import security
from marketplace.errors import EmailTaken, Forbidden, Gone, TooManyRequests, ValidationFailed
from marketplace.models import AuditEvent, OutboxMessage, User
from tests.factories import DEFAULT_PASSWORD, create_user


def signup(session, settings, email="Mom@Example.com", name="Sreymom"):
    user = service.signup(session=session, settings=settings,
                          data=SignupIn(email=email, full_name=name, password="0123456789ab"))
    session.commit()
    return user


def test_signup_hashes_with_argon2id_and_queues_verification(session, settings):
    user = signup(session, settings)
    assert user.email == "mom@example.com"
    assert user.password_hash.startswith("$argon2id$")
    assert user.email_verified_at is None
    queued = session.exec(OutboxMessage.__table__.select()).all()
    assert len(queued) == 1 and queued[0].payload["to"] == "mom@example.com"


def test_duplicate_email_differs_only_by_case_is_refused(session, settings):
    signup(session, settings)
    with pytest.raises(EmailTaken):
        signup(session, settings, email="MOM@example.com")


def test_verification_link_verifies_once_and_rejects_tampering(session, settings):
    user = signup(session, settings)
    token = security.sign(settings.secret_key, service.VERIFY_PURPOSE,
                          {"uid": user.id, "e": user.email})
    with pytest.raises(Gone):
        service.verify_email(session=session, settings=settings, token=token[:-2] + "xx")
    verified = service.verify_email(session=session, settings=settings, token=token)
    assert verified.email_verified_at is not None


def test_password_reset_link_works_once(session, settings):
    user = create_user(session, email="reset@example.com")
    service.request_password_reset(session=session, settings=settings, email="reset@example.com")
    message = session.exec(OutboxMessage.__table__.select()).all()[-1]
    token = message.payload["body"].split("/auth/reset/")[1].split()[0]
    service.reset_password(session=session, settings=settings, token=token, new="new password 1")
    session.commit()
    assert security.verify_password(session.get(User, user.id).password_hash, "new password 1")
    with pytest.raises(Gone):
        service.reset_password(session=session, settings=settings, token=token,
                               new="another password")


def test_password_reset_link_expires(session, settings):
    user = create_user(session)
    token = security.sign(settings.secret_key, service.RESET_PURPOSE,
                          {"uid": user.id, "fp": security.digest(user.password_hash)[:16]})
    expired = settings.model_copy(update={"password_reset_max_age": -1})
    with pytest.raises(Gone):
        service.user_for_reset_token(session=session, settings=expired, token=token)


def test_unknown_email_reset_queues_nothing(session, settings):
    service.request_password_reset(session=session, settings=settings, email="nobody@example.com")
    assert session.exec(OutboxMessage.__table__.select()).all() == []


def test_change_password_needs_current_and_ends_every_session_and_token(session, settings):
    user = create_user(session)
    other = create_user(session)
    mine = sessions.create(session=session, settings=settings, user=user, ip="192.0.2.1",
                           user_agent="")
    theirs = sessions.create(session=session, settings=settings, user=other, ip="192.0.2.1",
                             user_agent="")
    _token, raw = service.create_api_token(session=session, settings=settings, user=user)
    session.commit()
    with pytest.raises(ValidationFailed) as info:
        service.change_password(session=session, user=user, current="wrong", new="x" * 12)
    assert "current_password" in info.value.errors
    assert sessions.live(session=session, raw=mine) is not None
    service.change_password(session=session, user=user, current=DEFAULT_PASSWORD, new="x" * 12)
    session.commit()
    assert sessions.live(session=session, raw=mine) is None
    assert service.user_for_api_token(session=session, raw=raw) is None
    assert sessions.live(session=session, raw=theirs) is not None  # other accounts untouched


def test_failures_from_many_addresses_do_not_throttle_the_owner(session, settings):
    create_user(session, email="victim@example.com")
    for i in range(settings.login_free_failures * 3):
        assert service.authenticate(session=session, settings=settings, email="victim@example.com",
                                    password="wrong", ip=f"10.0.0.{i}") is None
    session.commit()
    owner = service.authenticate(session=session, settings=settings, email="victim@example.com",
                                 password=DEFAULT_PASSWORD, ip="10.0.0.99")
    assert owner is not None


def test_throttle_after_failures_for_one_account_from_one_address(session, settings):
    create_user(session, email="victim@example.com")
    for _ in range(settings.login_free_failures):
        service.authenticate(session=session, settings=settings, email="victim@example.com",
                             password="wrong", ip="10.0.0.1")
    session.commit()
    with pytest.raises(TooManyRequests) as info:
        service.authenticate(session=session, settings=settings, email="victim@example.com",
                             password=DEFAULT_PASSWORD, ip="10.0.0.1")
    assert 0 < info.value.retry_after <= settings.login_delay_seconds


def test_throttle_after_many_failures_from_one_address(session, settings):
    for i in range(settings.login_client_free_failures):
        throttle.record_failure(session=session, email=f"u{i}@example.com", ip="192.0.2.7")
    session.commit()
    with pytest.raises(TooManyRequests):
        service.authenticate(session=session, settings=settings, email="other@example.com",
                             password="whatever", ip="192.0.2.7")


def test_ipv6_clients_are_counted_by_their_64_network(session, settings):
    for i in range(settings.login_free_failures):
        service.authenticate(session=session, settings=settings, email="v6@example.com",
                             password="wrong", ip=f"2001:db8:1:2::{i + 1:x}")
    session.commit()
    with pytest.raises(TooManyRequests):
        service.authenticate(session=session, settings=settings, email="v6@example.com",
                             password="wrong", ip="2001:db8:1:2:ffff::9")
    assert service.authenticate(session=session, settings=settings, email="v6@example.com",
                                password="wrong", ip="2001:db8:1:3::1") is None


def test_api_token_revoked_or_expired_stops_working(session, settings):
    user = create_user(session)
    token, raw = service.create_api_token(session=session, settings=settings, user=user)
    session.commit()
    assert service.user_for_api_token(session=session, raw=raw).id == user.id
    assert token.token_hash != raw and raw not in token.token_hash
    service.revoke_api_token(session=session, user=user, token_id=token.id)
    session.commit()
    assert service.user_for_api_token(session=session, raw=raw) is None


def test_grant_role_is_admin_only_and_audited(session):
    admin = create_user(session, role=["admin"])
    someone = create_user(session)
    other = create_user(session)
    with pytest.raises(Forbidden):
        roles.grant_role(session=session, actor=someone, user=other, role="officer")
    assert roles.grant_role(session=session, actor=admin, user=other, role="officer") is True
    assert roles.grant_role(session=session, actor=admin, user=other, role="officer") is False
    session.commit()
    assert roles.has_role(session=session, user=other, role="officer")
    events = session.exec(AuditEvent.__table__.select().where(AuditEvent.entity_id == other.id))
    assert [e.action for e in events] == ["role_granted"]


def test_admin_cannot_remove_own_admin_role(session):
    admin = create_user(session, role=["admin"])
    with pytest.raises(ValidationFailed):
        roles.revoke_role(session=session, actor=admin, user=admin, role="admin")


def test_unknown_role_is_refused(session):
    admin = create_user(session, role=["admin"])
    with pytest.raises(ValidationFailed):
        roles.grant_role(session=session, actor=admin, user=admin, role="emperor")
