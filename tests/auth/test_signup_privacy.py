"""Sign-up does not tell a stranger whether an email address has an account: the answer is
the same either way, and the holder of the address is told by email."""

import re

from sqlmodel import func, select

from marketplace.models import User
from tests.factories import DEFAULT_PASSWORD, create_user
from tests.helpers import delivered_mail, form_post, link_in, login

BODY = {"full_name": "Someone Else", "password": "a long passphrase"}


def main_text(html: str, email: str) -> str:
    main = re.search(r"<main.*?</main>", html, re.S).group(0)
    return main.replace(email, "EMAIL")


def accounts(session, email: str) -> int:
    return session.exec(select(func.count()).select_from(User).where(User.email == email)).one()


def test_html_sign_up_answers_the_same_for_a_taken_address(client, engine, settings, session):
    create_user(session, email="taken@example.com", full_name="Bopha Sao")
    new = form_post(client, "/auth/signup", "/auth/signup",
                    {**BODY, "email": "fresh@example.com"})
    taken = form_post(client, "/auth/signup", "/auth/signup",
                      {**BODY, "email": "Taken@Example.com"})
    assert taken.status_code == new.status_code == 200
    assert main_text(taken.text, "taken@example.com") == main_text(new.text,
                                                                    "fresh@example.com")
    assert "already" not in taken.text
    assert accounts(session, "taken@example.com") == 1
    mails = {m["To"]: m for m in delivered_mail(engine, settings)}
    assert set(mails) == {"fresh@example.com", "taken@example.com"}
    notice = mails["taken@example.com"]
    body = notice.get_content()
    assert "Bopha Sao" in body and "/auth/login" in body
    assert "a long passphrase" not in body
    # The reset link in the notice works: the holder can choose a new password at once.
    path = link_in(notice, "/auth/reset/")
    assert form_post(client, path, path, {"new_password": "my own new one"}).status_code == 303
    login(client, "taken@example.com", "my own new one")


def test_api_sign_up_answers_the_same_for_a_taken_address(client, engine, settings, session):
    create_user(session, email="holder@example.com")
    new = client.post("/api/v1/users", json={**BODY, "email": "brand.new@example.com"})
    taken = client.post("/api/v1/users", json={**BODY, "email": "HOLDER@example.com"})
    assert new.status_code == taken.status_code == 202
    assert set(new.json()) == set(taken.json())
    assert taken.json()["email"] == "holder@example.com"
    assert new.json()["detail"] == taken.json()["detail"]
    assert accounts(session, "holder@example.com") == 1
    # The existing password still works, and the holder was told.
    assert client.post("/api/v1/auth/token", data={
        "username": "holder@example.com", "password": DEFAULT_PASSWORD}).status_code == 200
    [notice] = [m for m in delivered_mail(engine, settings) if m["To"] == "holder@example.com"]
    assert "/auth/reset/" in notice.get_content()


def test_an_unverified_holder_can_finish_through_the_notice(client, engine, settings,
                                                            session):
    create_user(session, email="half@example.com", verified=False)
    form_post(client, "/auth/signup", "/auth/signup", {**BODY, "email": "half@example.com"})
    [notice] = delivered_mail(engine, settings)
    path = link_in(notice, "/auth/reset/")
    form_post(client, path, path, {"new_password": "finally verified"})
    login(client, "half@example.com", "finally verified")


def test_sign_up_for_a_deactivated_account_sends_nothing(client, engine, settings, session):
    user = create_user(session, email="closed@example.com")
    user.is_active = False
    session.add(user)
    session.commit()
    response = client.post("/api/v1/users", json={**BODY, "email": "closed@example.com"})
    assert response.status_code == 202
    assert delivered_mail(engine, settings) == []


def test_losing_a_sign_up_race_answers_the_same_and_saves_the_notice(session, settings,
                                                                     monkeypatch):
    from marketplace.auth import service
    from marketplace.auth.schemas import SignupIn
    from marketplace.models import OutboxMessage

    create_user(session, email="race@example.com")
    real = service.get_by_email
    calls = iter(range(100))
    # The other sign-up commits between our checks and our insert.
    monkeypatch.setattr(service, "get_by_email",
                        lambda **kw: None if next(calls) < 2 else real(**kw))
    email = service.request_signup(session=session, settings=settings,
                                   data=SignupIn(email="race@example.com", **BODY))
    session.commit()
    assert email == "race@example.com"
    assert accounts(session, "race@example.com") == 1
    [notice] = session.exec(select(OutboxMessage)).all()
    assert notice.payload["template"] == "signup_existing"
