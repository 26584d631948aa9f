"""Account pages as a browser without JavaScript uses them (forms, cookies, redirects)."""

from marketplace.models import User
from tests.factories import DEFAULT_PASSWORD, create_user
from tests.helpers import csrf_from, delivered_mail, form_post, link_in, login


def test_signup_verify_login_logout(client, engine, settings, session):
    response = form_post(client, "/auth/signup", "/auth/signup", {
        "full_name": "Srey Pov", "email": "pov@example.com", "password": "a long passphrase"})
    assert response.status_code == 200 and "pov@example.com" in response.text
    [mail] = delivered_mail(engine, settings)
    assert mail["To"] == "pov@example.com"
    # log-in before verification is refused with a way to get the link again
    early = form_post(client, "/auth/login", "/auth/login",
                      {"email": "pov@example.com", "password": "a long passphrase"})
    assert early.status_code == 403 and "/auth/verify/resend" in early.text
    verified = client.get(link_in(mail, "/auth/verify/"))
    assert verified.status_code == 303
    login(client, "pov@example.com", "a long passphrase")
    assert "Srey Pov" in client.get("/account").text
    page = client.get("/account")
    out = client.post("/auth/logout", data={"csrf_token": csrf_from(page.text)})
    assert out.status_code == 303
    assert client.get("/account").headers["location"].startswith("/auth/login")


def test_session_cookie_is_httponly_and_lax(client, session):
    create_user(session, email="c@example.com")
    response = login(client, "c@example.com")
    cookie = response.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie


def test_bad_email_keeps_what_was_typed(client):
    response = form_post(client, "/auth/signup", "/auth/signup", {
        "full_name": "Chan Dara", "email": "not-an-email", "password": "a long passphrase"})
    assert response.status_code == 422
    assert 'value="Chan Dara"' in response.text
    assert 'id="e-email"' in response.text
    assert "a long passphrase" not in response.text  # passwords are never echoed


def test_duplicate_email_is_not_revealed(client, session):
    create_user(session, email="taken@example.com")
    response = form_post(client, "/auth/signup", "/auth/signup", {
        "full_name": "Two", "email": "Taken@Example.com", "password": "a long passphrase"})
    assert response.status_code == 200
    assert "Check your email" in response.text and "already exists" not in response.text


def test_hostile_name_is_stored_as_typed_and_shown_escaped(client, engine, settings, session):
    name = "<script>alert(1)</script>'; DROP TABLE user;--"
    form_post(client, "/auth/signup", "/auth/signup",
              {"full_name": name, "email": "x@example.com", "password": "a long passphrase"})
    stored = session.exec(User.__table__.select().where(User.email == "x@example.com")).one()
    assert stored.full_name == name
    [mail] = delivered_mail(engine, settings)
    client.get(link_in(mail, "/auth/verify/"))
    login(client, "x@example.com", "a long passphrase")
    page = client.get("/account").text
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_form_without_csrf_token_is_refused(client, session):
    create_user(session, email="csrf@example.com")
    response = client.post("/auth/login",
                           data={"email": "csrf@example.com", "password": DEFAULT_PASSWORD})
    assert response.status_code == 403
    assert "form has expired" in response.text


def test_wrong_passwords_then_a_friendly_429(client, session, settings):
    create_user(session, email="t@example.com")
    for _ in range(settings.login_free_failures):
        response = form_post(client, "/auth/login", "/auth/login",
                             {"email": "t@example.com", "password": "wrong password"})
        assert response.status_code == 401
        assert 'value="t@example.com"' in response.text
    blocked = form_post(client, "/auth/login", "/auth/login",
                        {"email": "t@example.com", "password": DEFAULT_PASSWORD},
                        headers={"Accept-Language": "km"})
    assert blocked.status_code == 429
    assert int(blocked.headers["retry-after"]) > 0
    assert '<html lang="km">' in blocked.text


def test_password_reset_by_email_link(client, engine, settings, session):
    create_user(session, email="forgot@example.com")
    form_post(client, "/auth/reset", "/auth/reset", {"email": "forgot@example.com"})
    [mail] = delivered_mail(engine, settings)
    path = link_in(mail, "/auth/reset/")
    response = form_post(client, path, path, {"new_password": "brand new secret"})
    assert response.status_code == 303
    login(client, "forgot@example.com", "brand new secret")
    again = client.get(path)
    assert again.status_code == 410


def test_password_change_keeps_this_session_and_ends_others(client, app, session):
    from fastapi.testclient import TestClient

    create_user(session, email="pw@example.com")
    login(client, "pw@example.com")
    with TestClient(app, follow_redirects=False) as other:
        login(other, "pw@example.com")
        response = form_post(client, "/account/password", "/account/password",
                             {"current_password": DEFAULT_PASSWORD,
                              "new_password": "changed password"})
        assert response.status_code == 303
        assert client.get("/account").status_code == 200
        assert other.get("/account").status_code == 303  # signed out


def test_next_parameter_cannot_redirect_off_site(client, session):
    create_user(session, email="n@example.com")
    page = client.get("/auth/login?next=//evil.example/x")
    response = client.post("/auth/login", data={
        "csrf_token": csrf_from(page.text), "email": "n@example.com",
        "password": DEFAULT_PASSWORD, "next": "//evil.example/x"})
    assert response.headers["location"] == "/"


def test_language_switch_sets_cookie_and_html_lang(client):
    response = client.get("/language?lang=km&next=/about")
    assert response.status_code == 303 and response.headers["location"] == "/about"
    page = client.get("/about")
    assert '<html lang="km">' in page.text
    assert page.headers["content-language"] == "km"


def test_accept_language_picks_khmer(client):
    page = client.get("/", headers={"Accept-Language": "km-KH,km;q=0.9,en;q=0.5"})
    assert '<html lang="km">' in page.text


def test_admin_grants_role_on_admin_page(client, session):
    create_user(session, email="boss@example.com", role=["admin"])
    target = create_user(session, email="officer@example.com")
    login(client, "boss@example.com")
    page = client.get("/admin/users")
    assert "officer@example.com" in page.text
    response = client.post(f"/admin/users/{target.id}/roles",
                           data={"csrf_token": csrf_from(page.text), "role": "officer",
                                 "action": "grant"})
    assert response.status_code == 303
    assert "Certification officer" in client.get("/admin/users").text


def test_non_admin_gets_403_on_admin_page(client, session):
    create_user(session, email="plain@example.com")
    login(client, "plain@example.com")
    assert client.get("/admin/users").status_code == 403


def test_api_token_created_and_revoked_on_account_page(client, session):
    create_user(session, email="tok@example.com")
    login(client, "tok@example.com")
    page = client.get("/account")
    created = client.post("/account/tokens",
                          data={"csrf_token": csrf_from(page.text), "name": "shop till"})
    raw = created.text.split('<code class="token">')[1].split("<")[0]
    assert client.get("/api/v1/users/me",
                      headers={"Authorization": f"Bearer {raw}"}).status_code == 200
