"""Checkout throughput: "place order + reserve stock" through the JSON API, under 32 clients.

    .venv/bin/python bench/checkout.py                       # SQLite in a temporary folder
    .venv/bin/python bench/checkout.py --database-url postgresql+psycopg://u@127.0.0.1/db --reset

Starts ONE uvicorn worker of the app (production settings, a random secret key, log level
WARNING) on 127.0.0.1, seeds verified groups with plentiful products and one scarce product
straight into the database, then runs a bounded load from this process (threads, one httpx
client each): first the bare /healthz endpoint, then checkouts, each one
``POST /api/v1/carts`` -> ``POST /api/v1/carts/{token}/lines`` -> ``POST /api/v1/orders`` with a
fresh Idempotency-Key. Only the order POST is timed. No payment is taken: the Stripe call is
not part of this path, orders stay ``pending_payment`` holding their stock.

At the end the database is checked for oversell: for the scarce product
``stock_allocated + sold <= initial stock``, and the orders holding a reservation for it number
exactly ``min(stock, attempts)``. Traffic goes only to 127.0.0.1; the server is stopped at the end.
Prints figures; asserts nothing about speed.
"""

import argparse
import os
import random
import secrets
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from alembic import command  # noqa: E402
from sqlalchemy import func, text  # noqa: E402
from sqlmodel import Session, select  # noqa: E402

from marketplace.catalog.service import refresh_search_text  # noqa: E402
from marketplace.db import make_engine  # noqa: E402
from marketplace.models import (  # noqa: E402
    GroupMembership,
    GroupRole,
    Order,
    ProducerGroup,
    Product,
    StockReservation,
    User,
    utcnow,
)
from marketplace.ops import alembic_config  # noqa: E402

ADDRESS = {"email": "bench@example.com", "full_name": "Bench Buyer", "phone": "+85512345678",
           "country": "KH", "shipping_option": "courier", "province_code": "12",
           "district_code": "1201", "commune_code": "120101", "village_code": "12010101",
           "address_line": "House 12, Street 240"}


# --- database -------------------------------------------------------------------------------


def prepare_database(url: str, reset: bool) -> None:
    """An empty schema at the latest migration."""
    if url.startswith("postgresql"):
        engine = make_engine(url)
        with engine.begin() as conn:
            tables = conn.execute(text(
                "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'"
            )).scalar_one()
            if tables and not reset:
                sys.exit(f"{url} is not empty: pass --reset to drop its public schema first")
            if reset:
                conn.execute(text("DROP SCHEMA public CASCADE"))
                conn.execute(text("CREATE SCHEMA public"))
        engine.dispose()
    command.upgrade(alembic_config(url), "head")


@dataclass
class Seeded:
    scarce_id: int
    scarce_stock: int
    plentiful_ids: list[int]


def seed(url: str, *, groups: int, products_per_group: int, scarce_stock: int) -> Seeded:
    """Verified groups, each with plentiful products; the first group also has the scarce one."""
    engine = make_engine(url)

    with Session(engine) as session:
        leader = User(email="leader@bench.example", full_name="Bench Leader",
                      password_hash="!unusable",  # noqa: S106 - cannot log in
                      email_verified_at=utcnow())
        session.add(leader)
        session.flush()
        made = []
        for g in range(groups):
            group = ProducerGroup(
                slug=f"bench-group-{g}", name=f"Bench Weavers {g}", name_km=f"ក្រុមត្បាញ {g}",
                community="kuy", crafts=["weaving"], province_code="06", district_code="0601",
                commune_code="060101", village_code="06010101", phone="+85512345678",
                members_count=12, women_count=10, leader_id=leader.id, status="verified",
                verified_at=utcnow())
            session.add(group)
            session.flush()
            session.add(GroupMembership(group_id=group.id, user_id=leader.id,
                                        role=GroupRole.LEADER))
            for p in range(products_per_group + (1 if g == 0 else 0)):
                scarce = g == 0 and p == products_per_group
                product = Product(
                    group_id=group.id, slug=f"piece-{g}-{p}",
                    title="Scarce silk scarf" if scarce else f"Cotton krama {g}-{p}",
                    craft="weaving", price_cents=2500 + 100 * p, weight_grams=300,
                    status="published", stock_mode="stock",
                    stock_on_hand=scarce_stock if scarce else 1_000_000,
                    province_code=group.province_code, community=group.community,
                    visible=True, published_at=utcnow())
                refresh_search_text(product, group)
                session.add(product)
                session.flush()
                made.append((product.id, scarce))
        session.commit()
    engine.dispose()
    scarce_id = next(pid for pid, scarce in made if scarce)
    plentiful = [pid for pid, scarce in made if not scarce]
    return Seeded(scarce_id, scarce_stock, plentiful)


def oversell_check(url: str, seeded: Seeded, attempts: int, placed_scarce: int) -> tuple[bool, str]:
    engine = make_engine(url)
    with Session(engine) as session:
        product = session.get(Product, seeded.scarce_id)
        sold = seeded.scarce_stock - product.stock_on_hand
        holding = session.exec(select(func.count(func.distinct(StockReservation.order_id)))
                               .where(StockReservation.product_id == seeded.scarce_id,
                                      StockReservation.status == "held")).one()
        orders = session.exec(select(func.count()).select_from(Order)).one()
        reservations = session.exec(select(func.count()).select_from(StockReservation)).one()
    engine.dispose()
    expected = min(seeded.scarce_stock, attempts)
    ok = (product.stock_allocated + sold <= seeded.scarce_stock and holding == expected
          and placed_scarce == expected and reservations == orders)
    detail = (f"scarce: stock {seeded.scarce_stock}, attempts {attempts}, allocated "
              f"{product.stock_allocated}, sold {sold}, orders holding it {holding} "
              f"(expected {expected}), 201s for it {placed_scarce}; all orders {orders}, "
              f"reservations {reservations}")
    return ok, detail


# --- server ---------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(url: str, var_dir: Path, port: int) -> subprocess.Popen:
    env = {**os.environ,
           "MARKETPLACE_ENVIRONMENT": "production", "MALLOC_ARENA_MAX": "2",
           "MARKETPLACE_SECRET_KEY": secrets.token_urlsafe(36),  # 48 characters
           "MARKETPLACE_DATABASE_URL": url,
           "MARKETPLACE_VAR_DIR": str(var_dir),
           "MARKETPLACE_BASE_URL": f"http://127.0.0.1:{port}",
           # The load comes from one address but stands for many buyers: each checkout sends
           # its own X-Forwarded-For, believed from loopback as from a reverse proxy, so the
           # per-address limit on unpaid orders applies per simulated buyer.
           "MARKETPLACE_TRUSTED_PROXIES": "127.0.0.1",
           "MARKETPLACE_LOG_LEVEL": "WARNING"}
    server = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "marketplace.app:create_app", "--factory",
         "--host", "127.0.0.1", "--port", str(port), "--workers", "1",
         "--log-level", "warning", "--no-access-log"],
        cwd=ROOT, env=env)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if server.poll() is not None:
            sys.exit(f"the server exited with {server.returncode}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return server
        except httpx.HTTPError:
            time.sleep(0.1)
    stop_server(server)
    sys.exit("the server did not answer /healthz within 30 s")


def stop_server(server: subprocess.Popen) -> None:
    server.terminate()
    try:
        server.wait(timeout=10)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


def peak_rss_mb(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


# --- load -----------------------------------------------------------------------------------


@dataclass
class Tally:
    latencies: list[float] = field(default_factory=list)
    placed: int = 0
    sold_out: int = 0
    errors: int = 0
    scarce_attempts: int = 0
    scarce_placed: int = 0
    error_samples: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def error(self, what: str) -> None:
        with self.lock:
            self.errors += 1
            if len(self.error_samples) < 5:
                self.error_samples.append(what[:300])


def run_clients(clients: int, seconds: float, limit: int, work) -> float:
    """Run ``work(client, rng)`` in ``clients`` threads until ``seconds`` pass or ``limit``
    iterations were started; the elapsed seconds."""
    started = [0]
    lock = threading.Lock()
    barrier = threading.Barrier(clients + 1)
    deadline = [0.0]

    def loop(n: int) -> None:
        rng = random.Random(n)
        with httpx.Client(base_url=BASE[0], timeout=60) as client:
            client.get("/healthz")  # connect before the clock starts
            barrier.wait()
            while time.monotonic() < deadline[0]:
                with lock:
                    if started[0] >= limit:
                        return
                    started[0] += 1
                work(client, rng)

    threads = [threading.Thread(target=loop, args=(n,)) for n in range(clients)]
    for t in threads:
        t.start()
    deadline[0] = time.monotonic() + 3600
    barrier.wait()
    begin = time.monotonic()
    deadline[0] = begin + seconds
    for t in threads:
        t.join()
    return time.monotonic() - begin


BASE = [""]


def bare(tally: Tally):
    def work(client: httpx.Client, _rng) -> None:
        t0 = time.perf_counter()
        try:
            response = client.get("/healthz")
        except httpx.HTTPError as exc:
            tally.error(repr(exc))
            return
        elapsed = time.perf_counter() - t0
        with tally.lock:
            if response.status_code == 200:
                tally.placed += 1
                tally.latencies.append(elapsed)
            else:
                tally.errors += 1
    return work


def checkout(tally: Tally, seeded: Seeded, scarce_share: float):
    def work(client: httpx.Client, rng: random.Random) -> None:
        scarce = rng.random() < scarce_share
        product_id = seeded.scarce_id if scarce else rng.choice(seeded.plentiful_ids)
        client.headers["X-Forwarded-For"] = \
            f"10.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(1, 255)}"
        try:
            cart = client.post("/api/v1/carts")
            if cart.status_code != 201:
                tally.error(f"cart {cart.status_code} {cart.text}")
                return
            token = cart.json()["token"]
            line = client.post(f"/api/v1/carts/{token}/lines",
                               json={"product_id": product_id, "quantity": 1})
            if line.status_code != 200:
                tally.error(f"line {line.status_code} {line.text}")
                return
            t0 = time.perf_counter()
            order = client.post("/api/v1/orders", json={**ADDRESS, "cart_token": token},
                                headers={"Idempotency-Key": str(uuid.uuid4())})
            elapsed = time.perf_counter() - t0
        except httpx.HTTPError as exc:
            tally.error(repr(exc))
            return
        sold_out = order.status_code == 409 and \
            order.json().get("type", "").endswith("/insufficient-stock")
        with tally.lock:
            tally.latencies.append(elapsed)
            tally.scarce_attempts += scarce
            if order.status_code == 201:
                tally.placed += 1
                tally.scarce_placed += scarce
                return
            if sold_out and scarce:
                tally.sold_out += 1
                return
        tally.error(f"order {order.status_code} {order.text}")
    return work


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


# --- main -----------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", help="PostgreSQL URL (default: a temporary SQLite "
                        "file built with alembic upgrade head)")
    parser.add_argument("--reset", action="store_true",
                        help="drop the public schema of --database-url first (it is emptied)")
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=10.0, help="length of the order phase")
    parser.add_argument("--bare-seconds", type=float, default=5.0,
                        help="length of the /healthz phase")
    parser.add_argument("--max-orders", type=int, default=20_000,
                        help="stop the order phase after this many checkouts")
    parser.add_argument("--scarce-stock", type=int, default=50)
    parser.add_argument("--scarce-share", type=float, default=0.2,
                        help="share of checkouts that try the scarce product")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench-checkout-") as tmp:
        url = args.database_url or f"sqlite:///{Path(tmp) / 'bench.db'}"
        kind = "PostgreSQL" if url.startswith("postgresql") else "SQLite"
        print("Checkout benchmark: POST /api/v1/orders = place order + reserve stock.")
        print("The Stripe call is excluded (no payment is taken; orders stay pending_payment).")
        print(f"{kind}; one uvicorn worker (production settings); {args.clients} concurrent "
              f"clients on 127.0.0.1; order phase {args.seconds:g} s (at most "
              f"{args.max_orders} checkouts), /healthz phase {args.bare_seconds:g} s.")
        print("Each checkout: create a cart, add a line, place the order; only the order POST "
              f"is timed. {args.scarce_share:.0%} of checkouts try a product with "
              f"{args.scarce_stock} in stock.\n")
        prepare_database(url, args.reset)
        seeded = seed(url, groups=4, products_per_group=5, scarce_stock=args.scarce_stock)
        port = free_port()
        BASE[0] = f"http://127.0.0.1:{port}"
        server = start_server(url, Path(tmp) / "var", port)
        try:
            health = Tally()
            bare_elapsed = run_clients(args.clients, args.bare_seconds, 10**9, bare(health))
            tally = Tally()
            elapsed = run_clients(args.clients, args.seconds, args.max_orders,
                                  checkout(tally, seeded, args.scarce_share))
            rss = peak_rss_mb(server.pid)
        finally:
            stop_server(server)
        ok, detail = oversell_check(url, seeded, tally.scarce_attempts, tally.scarce_placed)

    bare_rate = health.placed / bare_elapsed
    answered = tally.placed + tally.sold_out
    rate = answered / elapsed
    header = ("database", "orders/s", "vs bare", "p50 ms", "p99 ms", "placed", "sold-out",
              "errors", "oversell")
    row = (kind, f"{rate:.1f}", f"{rate / bare_rate:.3f}",
           f"{percentile(tally.latencies, 50) * 1000:.1f}",
           f"{percentile(tally.latencies, 99) * 1000:.1f}", str(tally.placed),
           str(tally.sold_out), str(tally.errors), "PASS" if ok else "FAIL")
    bare_row = ("/healthz", f"{bare_rate:.1f}", "1.000",
                f"{percentile(health.latencies, 50) * 1000:.1f}",
                f"{percentile(health.latencies, 99) * 1000:.1f}", str(health.placed), "-",
                str(health.errors), "-")
    widths = [max(len(h), len(r), len(b)) for h, r, b in zip(header, row, bare_row, strict=True)]
    for cells in (header, tuple("-" * w for w in widths), row, bare_row):
        print(" | ".join(c.rjust(w) for c, w in zip(cells, widths, strict=True)))
    print(f"\norders/s = order POSTs answered (201 placed or 409 sold out) per second of the "
          f"order phase ({elapsed:.1f} s); /healthz row = requests/s of the bare phase.")
    print(f"oversell check: {'PASS' if ok else 'FAIL'} ({detail})")
    if tally.scarce_attempts <= seeded.scarce_stock:
        print("note: the scarce product did not sell out, so no buyer was turned away; rerun "
              "with a lower --scarce-stock, a higher --scarce-share or more --seconds")
    print(f"server peak RSS (VmHWM): {rss:.1f} MiB" if rss else "server peak RSS: unknown")
    print("machine load average (1, 5, 15 min) at the end: "
          + ", ".join(f"{x:.2f}" for x in os.getloadavg())
          + f" on {os.cpu_count()} CPUs; the load generator shares them with the server")
    for sample in tally.error_samples + health.error_samples:
        print(f"error sample: {sample}")
    if not ok:
        sys.exit(1)


if __name__ == "__main__":
    main()
