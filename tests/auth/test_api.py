"""The accounts API: problem+json errors, bearer tokens, throttling."""

from tests.factories import DEFAULT_PASSWORD, create_user
from tests.helpers.api import token_for


def test_sign_up_is_accepted_and_the_account_waits_for_verification(client, session):
    body = {"email": "Api@Example.com", "full_name": "Api User", "password": "a long passphrase"}
    first = client.post("/api/v1/users", json=body)
    assert first.status_code == 202
    assert first.json()["email"] == "api@example.com"
    unverified = client.post("/api/v1/auth/token", data={
        "username": "api@example.com", "password": "a long passphrase"})
    assert unverified.status_code == 403


def test_invalid_fields_give_422_with_one_entry_per_field(client):
    response = client.post("/api/v1/users",
                           json={"email": "nope", "full_name": "", "password": "short"})
    assert response.status_code == 422
    problem = response.json()
    assert response.headers["content-type"] == "application/problem+json"
    assert {e["field"] for e in problem["errors"]} == {"email", "full_name", "password"}


def test_malformed_json_is_a_4xx_problem(client):
    response = client.post("/api/v1/users", content=b"{not json",
                           headers={"Content-Type": "application/json"})
    assert response.status_code in (400, 422)
    assert response.headers["content-type"] == "application/problem+json"


def test_oversized_fields_are_refused(client):
    response = client.post("/api/v1/users", json={
        "email": "a" * 300 + "@example.com", "full_name": "x" * 10_000, "password": "p" * 5000})
    assert response.status_code == 422


def test_token_issue_list_and_revoke(client, session):
    create_user(session, email="shop@example.com")
    token = token_for(client, "shop@example.com")
    auth = {"Authorization": f"Bearer {token}"}
    me = client.get("/api/v1/users/me", headers=auth)
    assert me.status_code == 200 and me.json()["email"] == "shop@example.com"
    listed = client.get("/api/v1/auth/tokens", headers=auth).json()
    assert listed["count"] == 1 and listed["data"][0]["prefix"] == token[:12]
    token_id = listed["data"][0]["id"]
    assert client.delete(f"/api/v1/auth/tokens/{token_id}", headers=auth).status_code == 204
    after = client.get("/api/v1/users/me", headers=auth)
    assert after.status_code == 401
    assert after.json()["status"] == 401 and after.headers["www-authenticate"] == "Bearer"


def test_cannot_revoke_someone_elses_token(client, session):
    create_user(session, email="a@example.com")
    create_user(session, email="b@example.com")
    a = {"Authorization": f"Bearer {token_for(client, 'a@example.com')}"}
    b = {"Authorization": f"Bearer {token_for(client, 'b@example.com')}"}
    b_token_id = client.get("/api/v1/auth/tokens", headers=b).json()["data"][0]["id"]
    assert client.delete(f"/api/v1/auth/tokens/{b_token_id}", headers=a).status_code == 404
    assert client.get("/api/v1/users/me", headers=b).status_code == 200


def test_wrong_password_is_401_then_429_with_retry_after(client, session, settings):
    create_user(session, email="slow@example.com")
    for _ in range(settings.login_free_failures):
        wrong = client.post("/api/v1/auth/token",
                            data={"username": "slow@example.com", "password": "nope"})
        assert wrong.status_code == 401
    blocked = client.post("/api/v1/auth/token",
                          data={"username": "slow@example.com", "password": DEFAULT_PASSWORD})
    assert blocked.status_code == 429
    assert int(blocked.headers["retry-after"]) > 0
    assert blocked.headers["content-type"] == "application/problem+json"


def test_unverified_account_gets_no_token(client, session):
    create_user(session, email="new@example.com", verified=False)
    response = client.post("/api/v1/auth/token",
                           data={"username": "new@example.com", "password": DEFAULT_PASSWORD})
    assert response.status_code == 403


def test_garbage_bearer_token_is_401(client):
    response = client.get("/api/v1/users/me", headers={"Authorization": "Bearer ' OR 1=1 --"})
    assert response.status_code == 401
