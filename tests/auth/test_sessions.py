"""Server-side sessions: logging out, a password change or reset ends them for real, and the
account page shows every signed-in browser with a way to sign it out."""

import re
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlmodel import select

from marketplace.models import User, UserSession, utcnow
from tests.factories import DEFAULT_PASSWORD, create_user
from tests.helpers import csrf_from, delivered_mail, form_post, link_in, login

FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
CHROME_ANDROID = ("Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like "
                  "Gecko) Chrome/126.0.0.0 Mobile Safari/537.36")


def browser(app, address="198.51.100.7", agent=FIREFOX) -> TestClient:
    return TestClient(app, base_url="http://testserver", follow_redirects=False,
                      client=(address, 40000), headers={"User-Agent": agent})


def api_token(client, email, password=DEFAULT_PASSWORD) -> dict:
    response = client.post("/api/v1/auth/token", data={"username": email, "password": password})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def signed_out(client) -> bool:
    response = client.get("/account")
    return response.status_code == 303 and response.headers["location"].startswith("/auth/login")


def test_a_cookie_copied_before_log_out_opens_nothing_after(client, app, session):
    create_user(session, email="copy@example.com", full_name="Copy Cat")
    login(client, "copy@example.com")
    stolen = client.cookies.get("session")
    page = client.get("/account")
    assert page.status_code == 200 and "Copy Cat" in page.text
    assert client.post("/auth/logout",
                       data={"csrf_token": csrf_from(page.text)}).status_code == 303
    with TestClient(app, follow_redirects=False, cookies={"session": stolen}) as thief:
        response = thief.get("/account")
        assert response.status_code == 303
        assert response.headers["location"].startswith("/auth/login")
        assert "Copy Cat" not in thief.get("/").text


def test_the_cookie_holds_a_random_token_the_database_only_its_hash(client, session):
    user = create_user(session, email="hash@example.com")
    login(client, "hash@example.com")
    [row] = session.exec(select(UserSession).where(UserSession.user_id == user.id)).all()
    assert len(row.token_hash) == 64
    cookie = client.cookies.get("session")
    assert row.token_hash not in cookie
    login(client, "hash@example.com")  # logging in again replaces this browser's session
    session.commit()  # end this test session's snapshot
    session.expire_all()
    rows = session.exec(select(UserSession).where(UserSession.user_id == user.id)).all()
    assert sorted(r.revoked_at is None for r in rows) == [False, True]


def test_password_change_ends_other_browsers_and_api_tokens(client, app, session):
    create_user(session, email="pw2@example.com")
    login(client, "pw2@example.com")
    with browser(app) as other:
        login(other, "pw2@example.com")
        token = api_token(other, "pw2@example.com")
        assert other.get("/api/v1/users/me", headers=token).status_code == 200
        response = form_post(client, "/account/password", "/account/password",
                             {"current_password": DEFAULT_PASSWORD,
                              "new_password": "a changed password"})
        assert response.status_code == 303
        assert client.get("/account").status_code == 200  # this browser stays signed in
        assert signed_out(other)
        assert other.get("/api/v1/users/me", headers=token).status_code == 401
    login(client, "pw2@example.com", "a changed password")


def test_password_reset_ends_every_session_and_api_token(client, app, engine, settings, session):
    create_user(session, email="lost@example.com")
    login(client, "lost@example.com")
    token = api_token(client, "lost@example.com")
    with browser(app) as stranger:
        form_post(stranger, "/auth/reset", "/auth/reset", {"email": "lost@example.com"})
        [mail] = delivered_mail(engine, settings)
        path = link_in(mail, "/auth/reset/")
        assert form_post(stranger, path, path,
                         {"new_password": "after the reset"}).status_code == 303
    assert signed_out(client)
    assert client.get("/api/v1/users/me", headers=token).status_code == 401
    login(client, "lost@example.com", "after the reset")


def test_account_page_lists_browsers_and_signs_one_out(client, app, session):
    create_user(session, email="many@example.com")
    login(client, "many@example.com")
    with browser(app, "203.0.113.50", CHROME_ANDROID) as phone, \
            browser(app, "203.0.113.51", FIREFOX) as laptop:
        login(phone, "many@example.com")
        login(laptop, "many@example.com")
        page = client.get("/account")
        assert page.status_code == 200
        assert "203.0.113.50" in page.text and "203.0.113.51" in page.text
        assert "Chrome on Android" in page.text and "Firefox on Linux" in page.text
        assert "This browser" in page.text
        phone_row = re.search(r"<tr[^>]*>(?:(?!</tr>).)*203\.0\.113\.50.*?</tr>", page.text,
                              re.S).group(0)
        action = re.search(r'action="(/account/sessions/\d+/revoke)"', phone_row).group(1)
        response = client.post(action, data={"csrf_token": csrf_from(page.text)})
        assert response.status_code == 303
        assert signed_out(phone)
        assert laptop.get("/account").status_code == 200
        page = client.get("/account")
        assert "203.0.113.50" not in page.text
        response = client.post("/account/sessions/revoke-others",
                               data={"csrf_token": csrf_from(page.text)})
        assert response.status_code == 303
        assert signed_out(laptop)
        assert client.get("/account").status_code == 200


def test_cannot_sign_out_someone_elses_browser(client, app, session):
    create_user(session, email="me@example.com")
    other = create_user(session, email="them@example.com")
    with browser(app) as theirs:
        login(theirs, "them@example.com")
    their_row = session.exec(select(UserSession).where(UserSession.user_id == other.id)).one()
    login(client, "me@example.com")
    page = client.get("/account")
    response = client.post(f"/account/sessions/{their_row.id}/revoke",
                           data={"csrf_token": csrf_from(page.text)})
    assert response.status_code == 404
    session.commit()
    session.refresh(their_row)
    assert their_row.revoked_at is None


def test_signing_out_needs_the_csrf_token(client, session):
    create_user(session, email="forged@example.com")
    login(client, "forged@example.com")
    assert client.post("/account/sessions/revoke-others").status_code == 403
    assert client.post("/auth/logout").status_code == 403
    assert client.get("/account").status_code == 200


def test_an_expired_session_is_refused_and_an_active_one_is_extended(client, session,
                                                                     settings):
    user = create_user(session, email="idle@example.com")
    login(client, "idle@example.com")
    row = session.exec(select(UserSession).where(UserSession.user_id == user.id)).one()
    # Used 10 minutes ago: the next request records it (and pushes the expiry out).
    row.last_seen_at = utcnow() - timedelta(minutes=10)
    row.expires_at = utcnow() + timedelta(minutes=1)
    session.add(row)
    session.commit()
    assert client.get("/account").status_code == 200
    session.refresh(row)
    assert row.last_seen_at > utcnow() - timedelta(minutes=1)
    assert row.expires_at > utcnow() + timedelta(seconds=settings.session_max_age - 60)
    row.expires_at = utcnow() - timedelta(seconds=1)
    session.add(row)
    session.commit()
    assert signed_out(client)


def test_a_deactivated_account_is_signed_out(client, session):
    user = create_user(session, email="gone@example.com")
    login(client, "gone@example.com")
    stored = session.get(User, user.id)
    stored.is_active = False
    session.add(stored)
    session.commit()
    assert signed_out(client)


def test_log_in_keeps_the_cart_of_the_browser(client, session):
    from tests.factories import create_product

    create_user(session, email="cart@example.com")
    product = create_product(session)
    page = client.get("/auth/login")
    added = client.post("/cart/add", data={"csrf_token": csrf_from(page.text),
                                           "product_id": product.id, "quantity": 1})
    assert added.status_code == 303
    login(client, "cart@example.com")
    assert product.title in client.get("/cart").text


def test_the_worker_forgets_dead_sessions_and_old_failed_log_ins(engine, session, settings):
    from sqlalchemy import func

    from marketplace import jobs
    from marketplace.models import LoginAttempt

    user = create_user(session)
    long_ago = utcnow() - timedelta(days=60)
    session.add(UserSession(user_id=user.id, token_hash="a" * 64, created_at=long_ago,
                            last_seen_at=long_ago, expires_at=long_ago + timedelta(days=14)))
    session.add(UserSession(user_id=user.id, token_hash="b" * 64,
                            expires_at=utcnow() + timedelta(days=14)))
    session.add(LoginAttempt(email=user.email, ip="203.0.113.9", created_at=long_ago))
    session.add(LoginAttempt(email=user.email, ip="203.0.113.9"))
    session.commit()
    done = jobs.run_once(engine, settings, None)
    assert done.purged == 2
    session.rollback()
    assert session.exec(select(func.count()).select_from(UserSession)).one() == 1
    assert session.exec(select(func.count()).select_from(LoginAttempt)).one() == 1
