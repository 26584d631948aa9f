"""Seal test fixtures: the app's photo storage and signed-in test clients."""

import pytest
from fastapi.testclient import TestClient

from marketplace.models import User
from tests.helpers import login


@pytest.fixture
def browser(app):
    """A fresh client (its own cookies), logged in as ``user`` when given."""

    def make(user: User | None = None) -> TestClient:
        client = TestClient(app, base_url="http://testserver", follow_redirects=False)
        if user is not None:
            login(client, user.email)
        return client

    return make
