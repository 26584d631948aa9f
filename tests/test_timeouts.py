"""A request stuck behind a lock becomes a clear 503 within the lock timeout, never a hung
worker, and nothing it started is saved."""

import time

from fastapi.testclient import TestClient
from sqlalchemy import func, text, update
from sqlmodel import select

from marketplace.app import create_app
from marketplace.db import writer
from marketplace.models import Order, Product
from tests.factories import create_product
from tests.helpers.checkout import fill_cart, place, review

LOCK_MS = 400


def test_the_service_connections_carry_the_timeouts(settings):
    app = create_app(settings.model_copy(update={
        "database_lock_timeout_ms": LOCK_MS, "database_statement_timeout_ms": 7000,
        "database_idle_in_transaction_timeout_ms": 9000}))
    engine = app.state.engine
    with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            shown = {name: conn.execute(text(f"SHOW {name}")).scalar() for name in (
                "lock_timeout", "statement_timeout", "idle_in_transaction_session_timeout")}
            assert shown == {"lock_timeout": f"{LOCK_MS}ms", "statement_timeout": "7s",
                             "idle_in_transaction_session_timeout": "9s"}
        else:
            assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == LOCK_MS
    engine.dispose()


def test_a_checkout_stuck_behind_a_lock_is_told_to_retry(settings, session, engine):
    product = create_product(session, stock_on_hand=2)
    app = create_app(settings.model_copy(update={"database_lock_timeout_ms": LOCK_MS}))
    with TestClient(app, follow_redirects=False) as client:
        fill_cart(client, product)
        summary = review(client).text
        with writer(engine).connect() as holder:  # another request holds the product row
            holder.execute(update(Product).where(Product.id == product.id)
                           .values(stock_allocated=Product.stock_allocated))
            started = time.monotonic()
            response = place(client, summary)
            waited = time.monotonic() - started
            holder.rollback()
        assert response.status_code == 503, response.text
        assert response.headers["retry-after"] == "2"
        assert "nothing was saved" in response.text and "try" in response.text
        assert waited < 5
        session.rollback()
        assert session.exec(select(func.count()).select_from(Order)).one() == 0
        assert place(client, summary).status_code == 303  # once the lock is gone, it works
    app.state.engine.dispose()
