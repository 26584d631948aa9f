"""Where a log-in lands (issue 14, item 2): a member of a producer group on the dashboard,
unless the log-in page was given a ``next`` target; everybody else where they were before."""

from tests.factories import DEFAULT_PASSWORD, add_member, create_group, create_user
from tests.helpers import csrf_from


def _log_in(client, email: str, next_target: str | None = None):
    page = client.get("/auth/login" + (f"?next={next_target}" if next_target else ""))
    assert page.status_code == 200
    data = {"csrf_token": csrf_from(page.text), "email": email, "password": DEFAULT_PASSWORD}
    if 'name="next"' in page.text:
        data["next"] = next_target
    return client.post("/auth/login", data=data)


def test_a_producer_lands_on_the_dashboard(client, session):
    group = create_group(session)
    add_member(session, group, create_user(session, email="maker@example.com"))
    response = _log_in(client, "maker@example.com")
    assert response.status_code == 303 and response.headers["location"] == "/dashboard"
    assert client.get("/dashboard").status_code == 200


def test_a_producer_given_a_target_goes_there(client, session):
    group = create_group(session)
    add_member(session, group, create_user(session, email="maker2@example.com"))
    response = _log_in(client, "maker2@example.com", "/catalog?craft=weaving")
    assert response.headers["location"] == "/catalog?craft=weaving"


def test_other_users_land_where_they_did(client, session):
    create_user(session, email="buyer@example.com")
    assert _log_in(client, "buyer@example.com").headers["location"] == "/"
    client.cookies.clear()
    create_user(session, email="officer@example.com", role=["officer"])
    assert _log_in(client, "officer@example.com", "/officer/queue").headers["location"] == \
        "/officer/queue"
