"""Catalog throughput of ONE uvicorn worker, measured with wrk against 127.0.0.1 only.

    .venv/bin/python bench/catalog.py [--database-url URL] [--products 10000]
                                      [--duration 10] [--connections 32] [--only ROWS]
    .venv/bin/python bench/catalog.py --products 100000          # the large catalog

Builds a fresh database (a SQLite file in a temporary folder, or the PostgreSQL database
given, whose ``public`` schema is dropped and created again; the database itself is created
when missing), migrates it, loads the demo data plus ``--products`` generated products, starts
one worker in production mode, warms every URL up, then runs wrk on each row in turn and
prints requests per second, the ratio to the bare /healthz endpoint measured in the same run,
p50 and p99 latency, errors, the worker's peak memory (VmHWM), and PASS/MISS against each
target; the ``peak MB`` column is the worker's VmHWM once each row has run. The server is
stopped at the end, also on Ctrl-C or an error.

Rows (``--only a,b`` runs a subset; ``bare`` always runs, every ratio needs it):

    bare             /healthz
    catalog          /catalog, anonymous                                   >= 0.25 x bare
    catalog-p50      /catalog?page=50, anonymous                           >= 0.25 x bare
    product          a product page from the middle of the catalog         >= 0.35 x bare
    search-word      /catalog?q=<the commonest of a few words>             >= 0.25 x bare
    api-list         /api/v1/products?limit=24                             >= 0.25 x bare
    signed-catalog   /catalog with the session cookie of a real log-in     >= 0.30 x bare
    signed-product   the product page, signed in                           >= 0.45 x bare
    search-latency   one client, one search at a time, distinct queries:   mean <= 10 ms
                     mean/p50/p99 (and /healthz timed the same way); the target is for
                     100,000 products
    search-distinct  /catalog?q=<a different query on every request>      >= 0.25 x bare
                     (bench/queries.lua) from a pool of >= 2,000, none sent twice
    mixed-catalog    anonymous /catalog while another client places        >= 0.80 x bare
                     orders at a steady --order-rate (2/s) through the JSON API
    wholesale        /wholesale, the wholesale catalog with tier prices, signed in as the
                     demo shop (shop@crafts.example)                       (printed only)
    wholesale-po     the demo shop's confirmed purchase order page (parts, dues, invoice)
    statement        the demo shop's statement of account (/business/statement)
    earnings         the Kuoy association's Earnings page, signed in as its leader
                     (producer@crafts.example): balances, payouts, each sale (printed only)

Signed-in rows log the demo buyer (marketplace/demo.py) in through the HTML form (GET
/auth/login for the CSRF token, POST /auth/login), pass the ``session`` cookie to wrk, and are
skipped with a note when the page is not personal (no log-out button). Search queries are drawn
from the ``title`` and ``title_km`` of the products in the database: single words, then word
pairs (adjacent first), then three words of one title to reach ``--queries``; each query is
sent once until all were used, and the report says how many were sent, distinct and repeated.
Orders in the mixed row follow bench/checkout.py: a cart, a line, ``POST /api/v1/orders``
with an Idempotency-Key and its own X-Forwarded-For (one buyer each), on in-stock products
without options, from the first catalog page and elsewhere.
"""

import argparse
import contextlib
import http.client
import itertools
import os
import random
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
BIN = ROOT / ".venv" / "bin"
HOST = "127.0.0.1"
QUERIES_LUA = Path(__file__).resolve().parent / "queries.lua"
SEARCH_WORDS = ("rattan", "basket", "silk", "cotton", "resin", "indigo", "clay")
WRK_THREADS = 2

# Targets: throughput as a share of the bare endpoint, latency, errors, memory.
RATIO_TARGETS = {
    "catalog": 0.25, "catalog-p50": 0.25, "product": 0.35, "search-word": 0.25,
    "api-list": 0.25, "signed-catalog": 0.30, "signed-product": 0.45,
    "search-distinct": 0.25, "mixed-catalog": 0.80,
}
ROWS = ("bare", "catalog", "catalog-p50", "product", "search-word", "api-list",
        "signed-catalog", "signed-product", "search-latency", "search-distinct",
        "mixed-catalog", "wholesale", "wholesale-po", "statement", "earnings")
SHOP_ROWS = ("wholesale", "wholesale-po", "statement")
PRODUCER_ROWS = ("earnings",)
P99_MS = 100.0
RSS_MB = 150.0
SEARCH_MS = 10.0
DISTINCT_QUERIES = 2000
WARM_QUERIES = 20

# As bench/checkout.py: a delivery address in Cambodia for the orders of the mixed row.
ADDRESS = {"email": "bench@example.com", "full_name": "Bench Buyer", "phone": "+85512345678",
           "country": "KH", "shipping_option": "courier", "province_code": "12",
           "district_code": "1201", "commune_code": "120101", "village_code": "12010101",
           "address_line": "House 12, Street 240"}


@dataclass
class Result:
    name: str
    url: str
    headers: dict = field(default_factory=dict)
    paths_file: Path | None = None  # one path per request, cycled by bench/queries.lua
    rps: float = 0.0
    p50_ms: float | None = None
    p99_ms: float | None = None
    errors: int = 0
    requests: int = 0
    note: str = ""
    skipped: bool = False
    peak_mb: float | None = None  # the worker's VmHWM once the row has run
    sent: int | None = None  # with paths_file: requests sent, distinct paths, repeats
    distinct: int | None = None
    repeated: int | None = None
    available: int | None = None

    def add_note(self, text: str) -> None:
        self.note = f"{self.note}; {text}" if self.note else text


def find_wrk() -> str:
    """The wrk binary; installed with apt-get when missing and running as root."""
    path = shutil.which("wrk")
    if path:
        return path
    if hasattr(os, "geteuid") and os.geteuid() == 0 and shutil.which("apt-get"):
        print("wrk is missing: installing it with apt-get ...", flush=True)
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        if subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], env=env,
                          timeout=300).returncode != 0:
            subprocess.run(["apt-get", "update", "-qq"], env=env, timeout=300)
            subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], env=env, timeout=300)
        path = shutil.which("wrk")
        if path:
            return path
    print("This benchmark needs wrk (https://github.com/wg/wrk). Install it with\n"
          "  sudo apt-get install wrk      (Debian, Ubuntu)\n"
          "  brew install wrk              (macOS)", file=sys.stderr)
    sys.exit(2)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def run(cmd: list[str], env: dict, timeout: float) -> None:
    started = time.monotonic()
    subprocess.run(cmd, env=env, check=True, timeout=timeout, cwd=ROOT)
    print(f"  {Path(cmd[0]).name} {cmd[1]}: {time.monotonic() - started:.1f} s", flush=True)


def reset_postgres(url: str) -> None:
    """Drop and create the public schema; create the database first when it is missing."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import OperationalError

    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    except OperationalError as exc:
        if "does not exist" not in str(exc):
            raise
        name = make_url(url).database
        print(f"  creating the database {name}", flush=True)
        admin = create_engine(make_url(url).set(database="postgres"),
                              isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
    finally:
        engine.dispose()


def build_database(url: str, products: int, env: dict) -> None:
    if url.startswith("postgresql"):
        print(f"Resetting the public schema of {redact(url)}", flush=True)
        reset_postgres(url)
    print("Migrating and loading demo data "
          f"(+{products} generated products) ...", flush=True)
    run([str(BIN / "marketplace"), "migrate"], env, timeout=300)
    run([str(BIN / "marketplace"), "demo-data", "--products", str(products)], env,
        timeout=max(900, products // 50))


def redact(url: str) -> str:
    return re.sub(r"://([^:/@]+):[^@]*@", r"://\1:***@", url)


def pick_targets(url: str, query: str | None) -> tuple[int, str, int, int]:
    """A product id from the middle of the catalog, the search word, its matches, total."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.connect() as conn:
        total = conn.execute(text("SELECT count(*) FROM product WHERE visible")).scalar_one()
        product_id = conn.execute(text(
            "SELECT id FROM product WHERE visible ORDER BY published_at DESC, id DESC "
            "LIMIT 1 OFFSET :n"), {"n": total // 2}).scalar_one()
        counts = {}
        for word in ([query] if query else SEARCH_WORDS):
            counts[word] = conn.execute(text(
                "SELECT count(*) FROM product WHERE visible AND search_text LIKE :p"),
                {"p": f"%{word.casefold()}%"}).scalar_one()
    engine.dispose()
    word = query or max(counts, key=counts.get)
    return product_id, word, counts[word], total


# --- distinct search queries ----------------------------------------------------------------

WORD = re.compile(r"[^\s,.;:!?()\[\]\"'/«»“”‘’។៕]+")
KHMER = re.compile(r"[\u1780-\u17ff]")


@dataclass
class Queries:
    """Distinct search queries drawn from product titles, by kind."""

    items: list[str]
    kinds: dict[str, int]

    def describe(self) -> str:
        return ", ".join(f"{kind} {n}" for kind, n in self.kinds.items() if n)


def draw_queries(url: str, limit: int, max_words: int, seed: int = 7) -> Queries:
    """Up to ``limit`` distinct queries (by their set of words, case-folded) from the titles
    of visible products, English and Khmer: every single word and every pair of words of one
    title (adjacent pairs first), then three words of one title (at random) to reach
    ``limit``; shuffled, so the languages and kinds are mixed."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.connect() as conn:
        titles = set()
        for title, title_km in conn.execute(text(
                "SELECT DISTINCT title, title_km FROM product WHERE visible")):
            titles.update(t for t in (title, title_km) if t)
    engine.dispose()
    word_lists = sorted({tuple(w for w in WORD.findall(t.casefold()) if len(w) >= 3)
                         for t in titles})
    seen: set[frozenset] = set()
    tiers: dict[str, list[str]] = {}

    def add(tier: str, words: tuple[str, ...]) -> None:
        key = frozenset(words)
        if len(key) == len(words) and key not in seen:
            seen.add(key)
            lang = "km" if KHMER.search(" ".join(words)) else "en"
            tiers.setdefault(f"{lang} {tier}", []).append(" ".join(words))

    for words in word_lists:
        for word in words:
            add("1-word", (word,))
    if max_words >= 2:
        for words in word_lists:
            for pair in zip(words, words[1:], strict=False):
                add("2-word adjacent", pair)
        for words in word_lists:
            for pair in itertools.combinations(words, 2):
                add("2-word", pair)
    rng = random.Random(seed)
    chosen = [q for tier in tiers.values() for q in tier]
    if len(chosen) > limit:  # keep every kind in proportion
        chosen = rng.sample(chosen, limit)
    elif max_words >= 3:
        triples = sorted({t for words in word_lists for t in itertools.combinations(words, 3)})
        rng.shuffle(triples)
        for triple in triples:
            if len(seen) >= limit:
                break
            add("3-word", triple)
        chosen = [q for tier in tiers.values() for q in tier]
    picked = set(chosen)
    kinds = {tier: sum(q in picked for q in items) for tier, items in sorted(tiers.items())}
    rng.shuffle(chosen)
    return Queries(chosen, kinds)


def search_path(query: str) -> str:
    return "/catalog?" + urllib.parse.urlencode({"q": query})


# --- server ---------------------------------------------------------------------------------


def start_server(env: dict, port: int, log: Path) -> subprocess.Popen:
    cmd = [str(BIN / "uvicorn"), "marketplace.app:create_app", "--factory", "--workers", "1",
           "--host", HOST, "--port", str(port), "--no-access-log", "--log-level", "warning"]
    with log.open("wb") as out:
        return subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True)


def stop_server(server: subprocess.Popen | None) -> None:
    if server is None or server.poll() is not None:
        return
    try:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=10)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(server.pid, signal.SIGKILL)
        server.wait(timeout=5)


def fetch(url: str, timeout: float = 10, headers: dict | None = None) -> tuple[int, str, str]:
    """Status, final URL (after redirects) and body of a GET."""
    request = urllib.request.Request(url, headers=headers or {})  # noqa: S310 - loopback
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            return response.status, response.url, response.read().decode(errors="replace")
    except urllib.error.HTTPError as exc:
        body = exc.read().decode(errors="replace")
        return exc.code, url, body


def wait_healthy(base: str, server: subprocess.Popen, log: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"the server exited ({server.returncode}):\n"
                               + log.read_text(errors="replace")[-3000:])
        try:
            if fetch(base + "/healthz", timeout=2)[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError("the server did not answer /healthz in time")


def warm_up(base: str, result: Result, rounds: int = 20) -> str:
    """Prime caches; follow a redirect once and measure its target instead. The body."""
    status, final, body = fetch(base + result.url, headers=result.headers)
    if final != base + result.url and final.startswith(base):
        result.add_note(f"redirected from {result.url}")
        result.url = final[len(base):]
    if status >= 400:
        result.add_note(f"HTTP {status} before the run")
    for _ in range(rounds):
        fetch(base + result.url, headers=result.headers)
    return body


# --- signed in ------------------------------------------------------------------------------


def demo_buyer() -> tuple[str, str]:
    """The demo buyer's email (the demo account without a role) and the demo password."""
    sys.path.insert(0, str(ROOT))
    from marketplace.demo import DEMO_PASSWORD, DEMO_USERS

    buyer = next(u for u in DEMO_USERS if u.role is None)
    return buyer.email, DEMO_PASSWORD


def demo_shop() -> tuple[str, str]:
    """The demo shop's owner (a verified business on net-30) and the demo password."""
    sys.path.insert(0, str(ROOT))
    from marketplace.demo import DEMO_PASSWORD

    return "shop@crafts.example", DEMO_PASSWORD


def kuoy_group(url: str) -> int | None:
    """The demo producer's group (the Kuoy association)."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.connect() as conn:
        found = conn.execute(text(
            "SELECT id FROM producer_group WHERE slug = "
            "'kuoy-community-handicraft-association'")).scalar()
    engine.dispose()
    return found


def shop_order(url: str) -> int | None:
    """The demo shop's first confirmed purchase order."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.connect() as conn:
        found = conn.execute(text(
            "SELECT min(id) FROM purchase_order WHERE status = 'confirmed'")).scalar()
    engine.dispose()
    return found


def log_in(base: str, who: tuple[str, str] | None = None) -> str:
    """The ``Cookie`` header of a session opened through the HTML log-in form."""
    email, password = who or demo_buyer()
    with httpx.Client(base_url=base, timeout=15, follow_redirects=False) as client:
        form = client.get("/auth/login")
        match = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
        if form.status_code != 200 or not match:
            raise RuntimeError(f"GET /auth/login answered {form.status_code} without a "
                               "CSRF token")
        cookie = form.cookies.get("session") or client.cookies.get("session")
        answer = client.post("/auth/login", data={
            "csrf_token": match.group(1), "email": email, "password": password,
            "next": "/catalog"}, headers={"Cookie": f"session={cookie}"} if cookie else {})
        if answer.status_code not in (302, 303):
            raise RuntimeError(f"POST /auth/login as {email} answered {answer.status_code}")
        session = answer.cookies.get("session")
        if not session:
            raise RuntimeError("POST /auth/login set no session cookie")
    return f"session={session}"


def is_personal(body: str) -> bool:
    """The page shows the log-out button, which only a signed-in visitor sees."""
    return 'action="/auth/logout"' in body


# --- orders while browsing ------------------------------------------------------------------


def pick_order_products(url: str, per_product: int = 2, others: int = 200) -> list[int]:
    """In-stock products without options: those of the first catalog page, then others at
    random; each as many times as it has pieces free (at most ``per_product``), shuffled."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    free = ("visible AND stock_mode = 'stock' AND stock_on_hand - stock_allocated >= 1 "
            "AND NOT EXISTS (SELECT 1 FROM product_variant v WHERE v.product_id = product.id)")
    with engine.connect() as conn:
        rows = conn.execute(text(
            f"SELECT id, stock_on_hand - stock_allocated FROM product WHERE {free} "  # noqa: S608
            "AND id IN (SELECT id FROM product WHERE visible "
            "ORDER BY published_at DESC, id DESC LIMIT 24)")).all()
        rows += conn.execute(text(
            f"SELECT id, stock_on_hand - stock_allocated FROM product WHERE {free} "  # noqa: S608
            "ORDER BY random() LIMIT :n"), {"n": others}).all()
    engine.dispose()
    slots, seen = [], set()
    for product_id, pieces in rows:
        if product_id not in seen:
            seen.add(product_id)
            slots += [product_id] * min(pieces, per_product)
    random.Random(11).shuffle(slots)
    return slots


@dataclass
class OrderTally:
    started: int = 0
    placed: int = 0
    sold_out: int = 0
    failed: int = 0
    latencies: list[float] = field(default_factory=list)
    samples: list[str] = field(default_factory=list)
    elapsed: float = 0.0
    late_s: float = 0.0  # the latest an order began after its turn
    lock: threading.Lock = field(default_factory=threading.Lock)

    def fail(self, what: str) -> None:
        with self.lock:
            self.failed += 1
            if len(self.samples) < 3:
                self.samples.append(what[:200])


class OrderLoad:
    """Places orders at a steady rate from a few threads, as bench/checkout.py does one."""

    def __init__(self, base: str, slots: list[int], rate: float) -> None:
        self.base, self.slots, self.rate = base, slots, rate
        self.tally = OrderTally()
        self._stop = threading.Event()
        self._local = threading.local()
        self._clients: list = []
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> "OrderLoad":
        self._thread.start()
        return self

    def __exit__(self, *_exc) -> None:
        self._stop.set()
        self._thread.join(timeout=60)
        for client in self._clients:
            client.close()

    def _client(self) -> httpx.Client:
        client = getattr(self._local, "client", None)
        if client is None:
            client = self._local.client = httpx.Client(base_url=self.base, timeout=30)
            self._clients.append(client)
        return client

    def _run(self) -> None:
        begin = time.monotonic()
        with ThreadPoolExecutor(max_workers=4) as pool:
            for k in itertools.count():
                if self._stop.wait(max(0.0, begin + k / self.rate - time.monotonic())):
                    self.tally.elapsed = time.monotonic() - begin
                    break
                with self.tally.lock:
                    self.tally.started += 1
                pool.submit(self._place, k, begin + k / self.rate)

    def _place(self, k: int, due: float) -> None:
        with self.tally.lock:
            self.tally.late_s = max(self.tally.late_s, time.monotonic() - due)
        client = self._client()
        product_id = self.slots[k % len(self.slots)]
        # One buyer per order: the server believes X-Forwarded-For from 127.0.0.1.
        buyer = {"X-Forwarded-For": f"10.77.{(k // 250) % 250}.{k % 250 + 1}"}
        try:
            cart = client.post("/api/v1/carts", headers=buyer)
            if cart.status_code != 201:
                self.tally.fail(f"cart {cart.status_code} {cart.text}")
                return
            token = cart.json()["token"]
            line = client.post(f"/api/v1/carts/{token}/lines", headers=buyer,
                               json={"product_id": product_id, "quantity": 1})
            if line.status_code != 200:
                self.tally.fail(f"line {line.status_code} {line.text}")
                return
            t0 = time.perf_counter()
            order = client.post("/api/v1/orders", json={**ADDRESS, "cart_token": token},
                                headers={**buyer, "Idempotency-Key": str(uuid.uuid4())})
            elapsed = time.perf_counter() - t0
        except (httpx.HTTPError, ValueError, KeyError) as exc:
            self.tally.fail(repr(exc))
            return
        if order.status_code == 201:
            with self.tally.lock:
                self.tally.placed += 1
                self.tally.latencies.append(elapsed)
        elif order.status_code == 409 and "insufficient-stock" in order.text:
            with self.tally.lock:
                self.tally.sold_out += 1
        else:
            self.tally.fail(f"order {order.status_code} {order.text}")


# --- wrk and the one-client search probe ----------------------------------------------------

DURATION = re.compile(r"^\s*([\d.]+)(us|ms|s|m)\s*$")
UNIT_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def _ms(text: str) -> float | None:
    match = DURATION.match(text)
    return float(match.group(1)) * UNIT_MS[match.group(2)] if match else None


def parse_wrk(output: str, result: Result) -> None:
    if match := re.search(r"Requests/sec:\s+([\d.]+)", output):
        result.rps = float(match.group(1))
    if match := re.search(r"(\d+) requests in", output):
        result.requests = int(match.group(1))
    for line in output.splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[0] in ("50%", "99%"):
            value = _ms(parts[1])
            if parts[0] == "50%":
                result.p50_ms = value
            else:
                result.p99_ms = value
    if match := re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output):
        result.errors += int(match.group(1))
    if match := re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), "
                          r"timeout (\d+)", output):
        result.errors += sum(int(n) for n in match.groups())
    if match := re.search(r"queries: sent (\d+), distinct (\d+), repeated (\d+), "
                          r"available (\d+)", output):
        result.sent, result.distinct, result.repeated, result.available = (
            int(n) for n in match.groups())


def run_wrk(wrk: str, base: str, result: Result, duration: int, connections: int) -> None:
    cmd = [wrk, f"-t{WRK_THREADS}", f"-c{connections}", f"-d{duration}s", "--latency",
           "--timeout", "5s"]
    for name, value in result.headers.items():
        cmd += ["-H", f"{name}: {value}"]
    if result.paths_file:
        cmd += ["-s", str(QUERIES_LUA), base, "--", str(result.paths_file), str(WRK_THREADS)]
    else:
        cmd.append(base + result.url)
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=duration + 30)
    except subprocess.TimeoutExpired:
        result.add_note("wrk did not finish")
        result.errors += 1
        return
    parse_wrk(done.stdout, result)
    if done.returncode != 0 or not result.requests:
        result.add_note(done.stderr.strip()[:80] or f"wrk exited {done.returncode}")
        result.errors = max(result.errors, 1)


@dataclass
class Probe:
    """Sequential requests of one client: milliseconds each, failures."""

    times_ms: list[float] = field(default_factory=list)
    failures: int = 0

    def line(self) -> str:
        if not self.times_ms:
            return "no answer"
        return (f"mean {statistics.fmean(self.times_ms):.2f} ms, "
                f"p50 {percentile(self.times_ms, 50):.2f}, "
                f"p99 {percentile(self.times_ms, 99):.2f} ms over {len(self.times_ms)}")

    @property
    def mean(self) -> float | None:
        return statistics.fmean(self.times_ms) if self.times_ms else None


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def probe(port: int, paths: list[str], seconds: float = 60) -> Probe:
    """GET each path in turn on one kept-alive connection, timing each (stops after
    ``seconds``)."""
    result = Probe()
    conn = http.client.HTTPConnection(HOST, port, timeout=30)
    deadline = time.monotonic() + seconds
    try:
        for path in paths:
            if time.monotonic() > deadline:
                break
            t0 = time.perf_counter()
            try:
                conn.request("GET", path)
                response = conn.getresponse()
                response.read()
            except (OSError, http.client.HTTPException):
                result.failures += 1
                conn.close()
                conn = http.client.HTTPConnection(HOST, port, timeout=30)
                continue
            elapsed = (time.perf_counter() - t0) * 1000
            if response.status == 200:
                result.times_ms.append(elapsed)
            else:
                result.failures += 1
    finally:
        conn.close()
    return result


# --- report ---------------------------------------------------------------------------------


def rss_mb(pid: int, field: str = "VmHWM") -> float | None:
    """The process's peak (VmHWM) or current (VmRSS) resident memory, from /proc."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    match = re.search(rf"{field}:\s+(\d+) kB", status)
    return int(match.group(1)) / 1024 if match else None


def _fmt(value: float | None, spec: str = ".1f") -> str:
    return "-" if value is None else format(value, spec)


@dataclass
class Extras:
    """What the rows outside the wrk table found."""

    products: int = 0
    queries: Queries | None = None
    search: Probe | None = None
    bare: Probe | None = None
    orders: OrderTally | None = None
    order_rate: float = 2.0


def report(results: list[Result], rss: float | None, started_rss: float | None,
           meta: str, extras: Extras) -> bool:
    bare = results[0].rps or None
    print()
    print(meta)
    header = (f"{'name':<16} {'req/s':>9} {'x bare':>7} {'p50 ms':>8} {'p99 ms':>8} "
              f"{'errors':>7} {'peak MB':>8}")
    print(header)
    print("-" * len(header))
    for r in results:
        ratio = r.rps / bare if bare and not r.skipped else None
        print(f"{r.name:<16} {r.rps:>9.0f} {_fmt(ratio, '.2f'):>7} {_fmt(r.p50_ms):>8} "
              f"{_fmt(r.p99_ms):>8} {r.errors:>7} {_fmt(r.peak_mb):>8}  {r.url}"
              + (f"  ({r.note})" if r.note else ""))
    distinct = next((r for r in results if r.name == "search-distinct"), None)
    if extras.queries is not None:
        print(f"search queries drawn: {len(extras.queries.items)} distinct "
              f"({extras.queries.describe()})")
    if distinct is not None and distinct.sent is not None:
        print(f"search-distinct: {distinct.sent} sent, {distinct.distinct} distinct, "
              f"{distinct.repeated} repeated, of {distinct.available} available")
    if extras.search is not None:
        print(f"search latency, one client, distinct queries: {extras.search.line()}"
              + (f", {extras.search.failures} failed" if extras.search.failures else ""))
        if extras.bare is not None:
            print(f"  /healthz timed the same way: {extras.bare.line()}")
    orders = extras.orders
    if orders is not None:
        order_ms = (f", order POST p50 {percentile(orders.latencies, 50) * 1000:.0f} ms, "
                    f"p99 {percentile(orders.latencies, 99) * 1000:.0f} ms"
                    if orders.latencies else "")
        print(f"mixed-catalog orders: {orders.placed} placed of {orders.started} started "
              f"one every {1 / extras.order_rate:g} s for {orders.elapsed:.1f} s (each at most "
              f"{orders.late_s * 1000:.0f} ms after its turn), {orders.sold_out} sold out, "
              f"{orders.failed} failed{order_ms}")
        for sample in orders.samples:
            print(f"  order failure: {sample}")
    print(f"worker peak RSS: {_fmt(rss)} MB (RSS once started: {_fmt(started_rss)} MB)")
    print()
    checks = []
    for r in results[1:]:
        want = RATIO_TARGETS.get(r.name)
        if want is None:
            continue
        ratio = r.rps / bare if bare and not r.skipped else 0.0
        checks.append((f"{r.name}: >= {want:.2f} x bare", ratio >= want,
                       f"{ratio:.2f}" + (" (skipped)" if r.skipped else "")))
    if distinct is not None and not distinct.skipped:
        pool, repeats = distinct.available or 0, distinct.repeated or 0
        checks.append((f"search-distinct: pool >= {DISTINCT_QUERIES} queries, none repeated",
                       pool >= DISTINCT_QUERIES and repeats == 0 and bool(distinct.sent),
                       f"pool {pool}, sent {distinct.sent or 0}, repeats {repeats}"))
    if extras.search is not None:
        mean = extras.search.mean
        checks.append((f"search latency mean <= {SEARCH_MS:.0f} ms (at 100,000 products)",
                       mean is not None and mean <= SEARCH_MS and not extras.search.failures,
                       f"{_fmt(mean, '.2f')} ms at {extras.products} products"))
    if orders is not None:
        want_orders = int(extras.order_rate * orders.elapsed * 0.9)
        checks.append((f"mixed-catalog: orders at {extras.order_rate:g}/s, none failed",
                       orders.failed == 0 and orders.placed + orders.sold_out >= want_orders,
                       f"{orders.placed} placed, {orders.failed} failed"))
    ran = [r for r in results if not r.skipped]
    worst = max((r.p99_ms for r in ran if r.p99_ms is not None), default=None)
    checks.append((f"p99 <= {P99_MS:.0f} ms on every URL",
                   all(r.p99_ms is not None and r.p99_ms <= P99_MS for r in ran),
                   f"worst {_fmt(worst)} ms"))
    errors = sum(r.errors for r in results)
    checks.append(("no errors", errors == 0, f"{errors}"))
    checks.append((f"worker peak RSS <= {RSS_MB:.0f} MB", rss is not None and rss <= RSS_MB,
                   f"{_fmt(rss)} MB"))
    print("targets")
    for label, ok, value in checks:
        print(f"  {'PASS' if ok else 'MISS'}  {label:<56} {value}")
    return all(ok for _label, ok, _value in checks)


# --- main -----------------------------------------------------------------------------------


def parse_only(text: str | None) -> list[str]:
    if not text:
        return list(ROWS)
    wanted = {name.strip() for name in text.split(",") if name.strip()}
    unknown = wanted - set(ROWS)
    if unknown:
        sys.exit(f"--only: unknown rows {', '.join(sorted(unknown))}; "
                 f"the rows are {', '.join(ROWS)}")
    return [name for name in ROWS if name in wanted or name == "bare"]


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        epilog="rows: " + ", ".join(ROWS))
    parser.add_argument("--database-url", help="PostgreSQL URL (its public schema is "
                        "DROPPED); default: a SQLite file in a temporary folder")
    parser.add_argument("--products", type=int, default=10_000,
                        help="generated products on top of the demo data (default 10000; "
                        "100000 for the large catalog)")
    parser.add_argument("--duration", type=int, default=10, help="seconds per URL (default 10)")
    parser.add_argument("--connections", type=int, default=32, help="wrk connections")
    parser.add_argument("--query", help="search word (default: the commonest of a few)")
    parser.add_argument("--only", help="comma-separated rows to run (bare always runs)")
    parser.add_argument("--queries", type=int, default=20_000,
                        help="distinct search queries to draw (default 20000, fewer when "
                        "the titles do not give so many)")
    parser.add_argument("--max-words", type=int, default=3, choices=(1, 2, 3),
                        help="longest query in words (default 3: single words and pairs "
                        "first, three words only to reach --queries)")
    parser.add_argument("--latency-searches", type=int, default=200,
                        help="distinct searches timed one at a time (default 200)")
    parser.add_argument("--order-rate", type=float, default=2.0,
                        help="orders per second during mixed-catalog (default 2)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = parser.parse_args()
    args.duration = max(1, min(args.duration, 120))
    rows = parse_only(args.only)

    wrk = find_wrk()
    tmp = Path(tempfile.mkdtemp(prefix="bench-catalog-"))
    url = args.database_url or f"sqlite:///{tmp / 'bench.db'}"
    env = {**os.environ, "MARKETPLACE_DATABASE_URL": url, "MARKETPLACE_VAR_DIR": str(tmp),
           "MARKETPLACE_LOG_LEVEL": "WARNING"}
    env.pop("MARKETPLACE_ENVIRONMENT", None)
    server = None
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    try:
        build_database(url, args.products, env)
        product_id, word, matches, total = pick_targets(url, args.query)
        extras = Extras(products=total, order_rate=args.order_rate)
        probe_paths: list[str] = []
        warm_paths: list[str] = []
        paths_file = tmp / "queries.txt"
        if "search-distinct" in rows or "search-latency" in rows:
            started = time.monotonic()
            extras.queries = draw_queries(url, args.queries + args.latency_searches
                                          + WARM_QUERIES, args.max_words)
            paths = [search_path(q) for q in extras.queries.items]
            if "search-latency" in rows:
                probe_paths, paths = (paths[:args.latency_searches],
                                      paths[args.latency_searches:])
            warm_paths, paths = paths[:WARM_QUERIES], paths[WARM_QUERIES:]
            paths_file.write_text("\n".join(paths) + "\n")
            print(f"Drew {len(extras.queries.items)} distinct search queries in "
                  f"{time.monotonic() - started:.1f} s ({extras.queries.describe()})",
                  flush=True)
        slots = pick_order_products(url) if "mixed-catalog" in rows else []
        port = free_port()
        base = f"http://{HOST}:{port}"
        server_env = {**env, "MARKETPLACE_ENVIRONMENT": "production", "MALLOC_ARENA_MAX": "2",
                      "MARKETPLACE_SECRET_KEY": secrets.token_urlsafe(36),
                      "MARKETPLACE_BASE_URL": base,
                      # Each order of the mixed row stands for another buyer (its own
                      # X-Forwarded-For), believed from loopback as from a reverse proxy.
                      "MARKETPLACE_TRUSTED_PROXIES": "127.0.0.1"}
        log = tmp / "server.log"
        server = start_server(server_env, port, log)
        wait_healthy(base, server, log)
        started_rss = rss_mb(server.pid, "VmRSS")

        cookie = shop_cookie = None
        login_note = shop_note = ""
        if "signed-catalog" in rows or "signed-product" in rows:
            try:
                cookie = log_in(base)
            except (RuntimeError, OSError, ImportError, httpx.HTTPError) as exc:
                login_note = f"not signed in: {exc}"
        if set(SHOP_ROWS) & set(rows):
            try:
                shop_cookie = log_in(base, demo_shop())
            except (RuntimeError, OSError, ImportError, httpx.HTTPError) as exc:
                shop_note = f"not signed in: {exc}"
        po_id = shop_order(url) if "wholesale-po" in rows else None
        producer_cookie = producer_note = None
        if "earnings" in rows:
            try:
                producer_cookie = log_in(base, ("producer@crafts.example", demo_shop()[1]))
            except (RuntimeError, OSError, ImportError, httpx.HTTPError) as exc:
                producer_note = f"not signed in: {exc}"
        group_id = kuoy_group(url) if "earnings" in rows else None
        urls = {
            "bare": "/healthz", "catalog": "/catalog", "catalog-p50": "/catalog?page=50",
            "product": f"/products/{product_id}", "search-word": search_path(word),
            "api-list": "/api/v1/products?limit=24", "signed-catalog": "/catalog",
            "signed-product": f"/products/{product_id}", "search-distinct": "/catalog?q=...",
            "mixed-catalog": "/catalog", "wholesale": "/wholesale",
            "wholesale-po": f"/business/purchase-orders/{po_id}",
            "statement": "/business/statement",
            "earnings": f"/dashboard/groups/{group_id}/earnings",
        }
        results = []
        for name in rows:
            if name == "search-latency":
                continue
            result = Result(name, urls[name])
            if name.startswith("signed-"):
                result.headers = {"Cookie": cookie} if cookie else {}
            if name in SHOP_ROWS:
                result.headers = {"Cookie": shop_cookie} if shop_cookie else {}
            if name in PRODUCER_ROWS:
                result.headers = {"Cookie": producer_cookie} if producer_cookie else {}
            if name == "search-distinct":
                result.paths_file = paths_file
            results.append(result)

        print(f"Warming up {len(results)} rows on {base} ...", flush=True)
        for result in results:
            try:
                if result.name.startswith("signed-") and not cookie:
                    result.skipped = True
                    result.add_note(login_note or "not signed in")
                    continue
                if result.name in SHOP_ROWS and not shop_cookie:
                    result.skipped = True
                    result.add_note(shop_note or "not signed in")
                    continue
                if result.name in PRODUCER_ROWS and not producer_cookie:
                    result.skipped = True
                    result.add_note(producer_note or "not signed in")
                    continue
                if result.paths_file:
                    for path in warm_paths:
                        fetch(base + path)
                    continue
                body = warm_up(base, result)
                if (result.name.startswith("signed-") or result.name in SHOP_ROWS
                        or result.name in PRODUCER_ROWS) \
                        and not is_personal(body):
                    result.skipped = True
                    result.add_note("the page is not personal (no log-out button): the "
                                    "session cookie was not accepted")
            except (OSError, http.client.HTTPException) as exc:
                result.add_note(f"warm-up failed: {exc}")

        for name in rows:
            if name == "search-latency":
                if server.poll() is None:
                    print(f"search latency: {len(probe_paths)} distinct searches, one at a "
                          "time ...", flush=True)
                    extras.bare = probe(port, ["/healthz"] * len(probe_paths))
                    extras.search = probe(port, probe_paths)
                continue
            result = next(r for r in results if r.name == name)
            if result.skipped:
                continue
            if server.poll() is not None:
                result.skipped = True
                result.add_note(f"the server exited ({server.returncode})")
                continue
            print(f"wrk {result.name:<16} {result.url}", flush=True)
            if name == "mixed-catalog" and not slots:
                result.add_note("no product in stock to order: browsing only")
                run_wrk(wrk, base, result, args.duration, args.connections)
            elif name == "mixed-catalog":
                with OrderLoad(base, slots, args.order_rate) as load:
                    run_wrk(wrk, base, result, args.duration, args.connections)
                extras.orders = load.tally
            else:
                run_wrk(wrk, base, result, args.duration, args.connections)
            result.peak_mb = rss_mb(server.pid)
        rss = rss_mb(server.pid)
        database = "PostgreSQL" if url.startswith("postgresql") else "SQLite"
        meta = (f"{database}, {total} visible products, search '{word}' matches {matches}; "
                f"1 uvicorn worker, wrk -t{WRK_THREADS} -c{args.connections} "
                f"-d{args.duration}s")
        report(results, rss, started_rss, meta, extras)
        if server.poll() is not None:
            print(f"the server exited ({server.returncode}) during the run; its log:\n"
                  + log.read_text(errors="replace")[-2000:])
        return 0
    except subprocess.CalledProcessError as exc:
        print(f"failed: {exc}", file=sys.stderr)
        return 1
    except RuntimeError as exc:
        print(f"failed: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\ninterrupted", file=sys.stderr)
        return 130
    finally:
        stop_server(server)
        if args.keep:
            print(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
