"""Several worker processes, each with its own page cache: a price, stock or seal change made
through one of them (or by another process, as the CLI and the job worker do) shows on the
very next request of every page that shows it, on every worker."""

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from marketplace.certification.service import review
from marketplace.core import cache_tags
from marketplace.models import User
from tests.factories import (
    DEFAULT_PASSWORD,
    create_application,
    create_group,
    create_product,
    create_user,
    pass_everything,
)
from tests.fixtures.app import TEST_SECRET
from tests.helpers import fresh
from tests.helpers.api import order_body

WORKERS = 3
ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def workers(settings, tmp_path):
    """``WORKERS`` uvicorn processes on the test database and var folder, one port each."""
    env = {**os.environ,
           "MARKETPLACE_ENVIRONMENT": "test",
           "MARKETPLACE_DATABASE_URL": settings.database_url,
           "MARKETPLACE_VAR_DIR": str(settings.var_dir),
           "MARKETPLACE_SECRET_KEY": TEST_SECRET,
           "MARKETPLACE_STRIPE_SECRET_KEY": settings.stripe_secret_key,
           "MARKETPLACE_STRIPE_API_BASE": settings.stripe_api_base,
           "MARKETPLACE_LOG_LEVEL": "WARNING"}
    processes, bases = [], []
    for n in range(WORKERS):
        port = _free_port()
        log = (tmp_path / f"worker-{n}.log").open("wb")
        processes.append(subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "marketplace.app:create_app", "--factory",
             "--host", "127.0.0.1", "--port", str(port), "--no-access-log"],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT))
        bases.append(f"http://127.0.0.1:{port}")
    try:
        for base, process in zip(bases, processes, strict=True):
            deadline = time.monotonic() + 30
            while True:
                assert process.poll() is None, (tmp_path / "worker-0.log").read_text()
                try:
                    if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                assert time.monotonic() < deadline, "a worker did not start"
                time.sleep(0.1)
        yield bases
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=10)


def pages_of(product, group) -> dict[str, str]:
    word = product.title.split()[0]
    return {
        "catalog": "/catalog",
        "search": f"/catalog?q={word}",
        "product": f"/products/{product.id}-{product.slug}",
        "group": f"/groups/{group.slug}",
        "api list": "/api/v1/products",
        "api product": f"/api/v1/products/{product.id}",
    }


def everywhere(bases, pages) -> dict[tuple[str, str], str]:
    """Every page from every worker (the anonymous visitor's, so from the cache if any)."""
    seen = {}
    for base in bases:
        for name, url in pages.items():
            response = httpx.get(base + url)
            assert response.status_code == 200, (base, url, response.text[:300])
            seen[(base, name)] = response.text
    return seen


def test_a_change_through_one_worker_shows_on_every_worker_at_once(
        workers, session, storage, settings):
    group = create_group(session)
    product = create_product(session, group=group, title="Kreung rattan basket",
                             price_cents=2500, stock_on_hand=5)
    other = create_product(session, group=group, title="Bunong indigo scarf", price_cents=1800)
    cache_tags.touch(session)  # rows made by the factories: as a service would say
    session.commit()
    pages = pages_of(product, group)
    before = everywhere(workers, pages)
    assert all("25.00" in text or '"price_cents":2500' in text for text in before.values())
    assert everywhere(workers, pages) == before  # and now from each worker's cache

    # The price, changed through the first worker's API by the group's leader.
    first, second, third = (httpx.Client(base_url=base) for base in workers)
    leader = session.get(User, group.leader_id)
    token = first.post("/api/v1/auth/token", data={
        "username": leader.email, "password": DEFAULT_PASSWORD}).json()["access_token"]
    changed = first.patch(f"/api/v1/products/{product.id}", json={"price_cents": 3100},
                          headers={"Authorization": f"Bearer {token}"})
    assert changed.status_code == 200, changed.text
    for (base, name), text in everywhere(workers, pages).items():
        assert ("31.00" in text or '"price_cents":3100' in text), (base, name)
        assert "25.00" not in text and '"price_cents":2500' not in text, (base, name)

    # Stock: three pieces ordered through the second worker.
    cart = second.post("/api/v1/carts").json()["token"]
    assert second.post(f"/api/v1/carts/{cart}/lines",
                       json={"product_id": product.id, "quantity": 3}).status_code == 200
    placed = second.post("/api/v1/orders", json=order_body(cart),
                         headers={"Idempotency-Key": "fresh-across-workers"})
    assert placed.status_code == 201, placed.text
    seen = everywhere(workers, pages)
    for base in workers:
        assert "Only 2 left" in seen[(base, "product")], base
        assert f'"id":{product.id}' in seen[(base, "api list")]
        listed = httpx.get(base + "/api/v1/products").json()["data"]
        assert {p["id"]: p["available"] for p in listed}[product.id] == 2, base

    # The seal, granted by an officer in another process (this one).
    fresh(session)  # end this session's snapshot: the workers wrote meanwhile
    officer = create_user(session, role=["officer"])
    application = create_application(session, storage, group=group, products=[product])
    pass_everything(session, officer, application)
    review.decide(session=session, settings=settings, actor=officer, application=application,
                  decision="approve")
    session.commit()
    for (base, name), text in everywhere(workers, pages).items():
        if name.startswith("api"):
            assert '"certified":true' in text, (base, name)
        else:
            assert 'class="badge seal"' in text, (base, name)
    assert 'class="badge seal"' not in httpx.get(
        f"{workers[2]}/products/{other.id}-{other.slug}").text
    for client in (first, second, third):
        client.close()
