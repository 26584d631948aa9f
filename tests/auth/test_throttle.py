"""Log-in throttling by (account, client address) and by client address, with growing delays:
nobody can lock someone else out by typing wrong passwords for their address."""

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlmodel import select

from marketplace.models import LoginAttempt, utcnow
from tests.factories import DEFAULT_PASSWORD, create_user
from tests.helpers import form_post

ATTACKER = "198.51.100.66"
ADMIN_DESK = "203.0.113.10"


def from_address(app, address: str) -> TestClient:
    return TestClient(app, base_url="http://testserver", follow_redirects=False,
                      client=(address, 40000))


def html_login(client, email, password, **kwargs):
    return form_post(client, "/auth/login", "/auth/login",
                     {"email": email, "password": password}, **kwargs)


def api_login(client, email, password, **kwargs):
    return client.post("/api/v1/auth/token", data={"username": email, "password": password},
                       **kwargs)


def age_attempts(session, seconds: int) -> None:
    """Pretend every recorded failure happened ``seconds`` earlier."""
    session.expire_all()
    for attempt in session.exec(select(LoginAttempt)).all():
        attempt.created_at = attempt.created_at - timedelta(seconds=seconds)
        session.add(attempt)
    session.commit()


@pytest.mark.parametrize("attempt", [html_login, api_login], ids=["html", "api"])
def test_ten_wrong_passwords_from_one_address_do_not_lock_out_the_admin(app, session,
                                                                        attempt):
    create_user(session, email="admin@crafts.example", role=["admin"])
    with from_address(app, ATTACKER) as attacker:
        answers = [attempt(attacker, "admin@crafts.example", f"guess {i}").status_code
                   for i in range(10)]
    with from_address(app, ADMIN_DESK) as admin:
        response = attempt(admin, "admin@crafts.example", DEFAULT_PASSWORD)
        assert response.status_code in (200, 303), response.text
    assert set(answers) <= {401, 429} and 429 in answers  # while the guesser is slowed down


def test_after_a_few_failures_the_next_attempt_waits_and_the_wait_doubles(client, session,
                                                                          settings):
    create_user(session, email="typo@example.com")
    free = settings.login_free_failures
    for _ in range(free):
        assert api_login(client, "typo@example.com", "wrong").status_code == 401
    blocked = api_login(client, "typo@example.com", DEFAULT_PASSWORD)
    assert blocked.status_code == 429
    assert blocked.headers["content-type"] == "application/problem+json"
    first_wait = int(blocked.headers["retry-after"])
    assert 0 < first_wait <= settings.login_delay_seconds
    age_attempts(session, first_wait)
    assert api_login(client, "typo@example.com", "wrong again").status_code == 401
    second = api_login(client, "typo@example.com", DEFAULT_PASSWORD)
    assert second.status_code == 429
    assert int(second.headers["retry-after"]) > first_wait  # doubled
    age_attempts(session, settings.login_max_delay_seconds)
    assert api_login(client, "typo@example.com", DEFAULT_PASSWORD).status_code == 200


def test_the_wait_never_exceeds_the_cap(client, session, settings):
    create_user(session, email="capped@example.com")
    session.add_all([LoginAttempt(email="capped@example.com", ip="testclient",
                                  created_at=utcnow() - timedelta(seconds=1))
                     for _ in range(40)])
    session.commit()
    blocked = api_login(client, "capped@example.com", DEFAULT_PASSWORD)
    assert blocked.status_code == 429
    assert int(blocked.headers["retry-after"]) <= settings.login_max_delay_seconds


def test_a_successful_log_in_forgets_the_failures_of_that_browser(client, session, settings):
    create_user(session, email="clumsy@example.com")
    for _ in range(settings.login_free_failures - 1):
        assert api_login(client, "clumsy@example.com", "wrong").status_code == 401
    assert api_login(client, "clumsy@example.com", DEFAULT_PASSWORD).status_code == 200
    for _ in range(settings.login_free_failures - 1):
        assert api_login(client, "clumsy@example.com", "wrong").status_code == 401
    assert api_login(client, "clumsy@example.com", DEFAULT_PASSWORD).status_code == 200


def test_one_address_trying_many_accounts_is_slowed_down(app, session, settings):
    create_user(session, email="real@example.com")
    limit = settings.login_client_free_failures
    session.add_all([LoginAttempt(email=f"user{i}@example.com", ip=ATTACKER)
                     for i in range(limit)])
    session.commit()
    with from_address(app, ATTACKER) as attacker:
        blocked = api_login(attacker, "real@example.com", DEFAULT_PASSWORD)
        assert blocked.status_code == 429 and int(blocked.headers["retry-after"]) > 0
    with from_address(app, ADMIN_DESK) as elsewhere:
        assert api_login(elsewhere, "real@example.com", DEFAULT_PASSWORD).status_code == 200


def test_html_log_in_explains_the_wait_on_the_form(client, session, settings):
    create_user(session, email="form@example.com")
    for _ in range(settings.login_free_failures):
        assert html_login(client, "form@example.com", "wrong").status_code == 401
    blocked = html_login(client, "form@example.com", DEFAULT_PASSWORD,
                         headers={"Accept-Language": "km"})
    assert blocked.status_code == 429
    assert int(blocked.headers["retry-after"]) > 0
    assert '<html lang="km">' in blocked.text
    assert 'value="form@example.com"' in blocked.text  # the form again, with the email
    assert 'action="/auth/login"' in blocked.text
    english = html_login(client, "form@example.com", DEFAULT_PASSWORD)
    assert "Too many failed attempts" in english.text


def test_a_forged_x_forwarded_for_does_not_escape_the_throttle(client, session, settings):
    create_user(session, email="spoof@example.com")
    for i in range(settings.login_free_failures):
        response = api_login(client, "spoof@example.com", "wrong",
                             headers={"X-Forwarded-For": f"192.0.2.{i}"})
        assert response.status_code == 401
    blocked = api_login(client, "spoof@example.com", DEFAULT_PASSWORD,
                        headers={"X-Forwarded-For": "192.0.2.200"})
    assert blocked.status_code == 429


def test_behind_a_trusted_proxy_each_forwarded_client_counts_alone(app, session, settings,
                                                                    monkeypatch):
    monkeypatch.setattr(settings, "trusted_proxies", "10.0.0.0/8")
    create_user(session, email="proxied@example.com")
    with from_address(app, "10.1.2.3") as proxy:
        for _ in range(settings.login_free_failures + 2):
            api_login(proxy, "proxied@example.com", "wrong",
                      headers={"X-Forwarded-For": f"{ATTACKER}, 10.9.9.9"})
        assert api_login(proxy, "proxied@example.com", DEFAULT_PASSWORD,
                         headers={"X-Forwarded-For": ATTACKER}).status_code == 429
        assert api_login(proxy, "proxied@example.com", DEFAULT_PASSWORD,
                         headers={"X-Forwarded-For": ADMIN_DESK}).status_code == 200
    attempts = session.exec(LoginAttempt.__table__.select()).all()
    assert {a.ip for a in attempts} == {ATTACKER}


def test_a_burst_of_simultaneous_guesses_gets_no_more_tries(live_server, session, settings):
    from tests.helpers.concurrency import ANSWER_WITHIN, browsers, race

    create_user(session, email="burst@example.com")
    clients = browsers(live_server, 12)
    try:
        results = race([lambda c=c: api_login(c, "burst@example.com", "wrong")
                        for c in clients])
    finally:
        for c in clients:
            c.close()
    answers = sorted(r.value.status_code for r in results)
    assert answers == [401] * settings.login_free_failures + \
        [429] * (12 - settings.login_free_failures), answers
    assert max(r.seconds for r in results) < ANSWER_WITHIN
