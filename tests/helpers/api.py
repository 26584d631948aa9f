"""The JSON API as a client uses it: a bearer token, a cart made through the API, an order
placed from it with an Idempotency-Key, and the problem+json field errors."""

from dataclasses import asdict

from sqlalchemy import func
from sqlmodel import select

from marketplace.models import Order, StockReservation
from tests.factories import DEFAULT_PASSWORD, address
from tests.helpers import fresh

API = "/api/v1"


def token_for(client, email, password=DEFAULT_PASSWORD):
    response = client.post("/api/v1/auth/token", data={"username": email, "password": password})
    assert response.status_code == 200, response.text
    return response.json()["access_token"]


def bearer(client, user) -> dict:
    return {"Authorization": f"Bearer {token_for(client, user.email)}"}


def problem(response, status: int) -> dict:
    """The problem+json body of a refused request, after checking its status."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    return response.json()


def fields(response) -> dict:
    assert response.headers["content-type"] == "application/problem+json", response.text
    return {e["field"]: e["message"] for e in response.json()["errors"]}


def cart_of(client, items, headers=None) -> str:
    """A cart made through the API holding (product, quantity) items; its token."""
    token = client.post(f"{API}/carts", headers=headers or {}).json()["token"]
    for product, quantity in items:
        response = client.post(f"{API}/carts/{token}/lines", headers=headers or {},
                               json={"product_id": product.id, "quantity": quantity})
        assert response.status_code == 200, response.text
    return token


def order_body(token: str, **overrides) -> dict:
    return {**asdict(address()), "cart_token": token, **overrides}


def place(client, token, key="key-1", headers=None, **overrides):
    return client.post(f"{API}/orders", json=order_body(token, **overrides),
                       headers={"Idempotency-Key": key, **(headers or {})})


def counts(session) -> tuple[int, int]:
    """(orders, stock reservations): failures must leave both as they were."""
    fresh(session)  # end the snapshot: see what the app committed
    return (session.exec(select(func.count()).select_from(Order)).one(),
            session.exec(select(func.count()).select_from(StockReservation)).one())
