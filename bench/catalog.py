"""Catalog throughput of ONE uvicorn worker, measured with wrk against 127.0.0.1 only.

    .venv/bin/python bench/catalog.py [--database-url URL] [--products 10000]
                                      [--duration 10] [--connections 32]

Builds a fresh database (a SQLite file in a temporary folder, or the PostgreSQL database
given, whose ``public`` schema is dropped and created again), migrates it, loads the demo
data plus ``--products`` generated products, starts one worker in production mode, warms
every URL up, then runs wrk on each in turn and prints requests per second, the ratio to the
bare /healthz endpoint, p50 and p99 latency, errors, the worker's peak memory, and whether
each figure meets its target. The server is stopped at the end, also on Ctrl-C or an error.
"""

import argparse
import contextlib
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = ROOT / ".venv" / "bin"
HOST = "127.0.0.1"
SEARCH_WORDS = ("rattan", "basket", "silk", "cotton", "resin", "indigo", "clay")

# Targets: throughput as a share of the bare endpoint, latency, errors, memory.
CATALOG_RATIO = 0.25
PRODUCT_RATIO = 0.35
P99_MS = 100.0
RSS_MB = 150.0


@dataclass
class Result:
    name: str
    url: str
    rps: float = 0.0
    p50_ms: float | None = None
    p99_ms: float | None = None
    errors: int = 0
    requests: int = 0
    note: str = ""


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
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


def build_database(url: str, products: int, env: dict) -> None:
    if url.startswith("postgresql"):
        print(f"Resetting the public schema of {redact(url)}", flush=True)
        reset_postgres(url)
    print("Migrating and loading demo data "
          f"(+{products} generated products) ...", flush=True)
    run([str(BIN / "marketplace"), "migrate"], env, timeout=300)
    run([str(BIN / "marketplace"), "demo-data", "--products", str(products)], env, timeout=900)


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


def fetch(url: str, timeout: float = 10) -> tuple[int, str]:
    """Status and final URL (after redirects) of a GET."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 - loopback
            response.read()
            return response.status, response.url
    except urllib.error.HTTPError as exc:
        exc.read()
        return exc.code, url


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


def warm_up(base: str, result: Result, rounds: int = 20) -> None:
    """Prime caches; follow a redirect once and measure its target instead."""
    status, final = fetch(base + result.url)
    if final != base + result.url and final.startswith(base):
        result.note = f"redirected from {result.url}"
        result.url = final[len(base):]
    if status >= 400:
        result.note = f"HTTP {status} before the run"
    for _ in range(rounds):
        fetch(base + result.url)


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


def run_wrk(wrk: str, base: str, result: Result, duration: int, connections: int) -> None:
    cmd = [wrk, "-t2", f"-c{connections}", f"-d{duration}s", "--latency", "--timeout", "5s",
           base + result.url]
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=duration + 30)
    except subprocess.TimeoutExpired:
        result.note = "wrk did not finish"
        result.errors += 1
        return
    parse_wrk(done.stdout, result)
    if done.returncode != 0 or not result.requests:
        result.note = (result.note + " " + done.stderr.strip()[:80]).strip()
        result.errors = max(result.errors, 1)


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


def report(results: list[Result], rss: float | None, started_rss: float | None,
           meta: str) -> bool:
    bare = results[0].rps or None
    print()
    print(meta)
    header = f"{'name':<14} {'req/s':>9} {'x bare':>7} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7}"
    print(header)
    print("-" * len(header))
    for r in results:
        ratio = r.rps / bare if bare else None
        print(f"{r.name:<14} {r.rps:>9.0f} {_fmt(ratio, '.2f'):>7} {_fmt(r.p50_ms):>8} "
              f"{_fmt(r.p99_ms):>8} {r.errors:>7}  {r.url}" + (f"  ({r.note})" if r.note else ""))
    print(f"worker peak RSS: {_fmt(rss)} MB (RSS once started: {_fmt(started_rss)} MB)")
    print()
    checks = []
    for r in results[1:]:
        ratio = r.rps / bare if bare else 0.0
        want = PRODUCT_RATIO if r.name == "product" else CATALOG_RATIO
        checks.append((f"{r.name}: >= {want:.2f} x bare", ratio >= want, f"{ratio:.2f}"))
    worst = max((r.p99_ms for r in results if r.p99_ms is not None), default=None)
    checks.append((f"p99 <= {P99_MS:.0f} ms on every URL",
                   all(r.p99_ms is not None and r.p99_ms <= P99_MS for r in results),
                   f"worst {_fmt(worst)} ms"))
    errors = sum(r.errors for r in results)
    checks.append(("no errors", errors == 0, f"{errors}"))
    checks.append((f"worker peak RSS <= {RSS_MB:.0f} MB", rss is not None and rss <= RSS_MB,
                   f"{_fmt(rss)} MB"))
    print("targets")
    for label, ok, value in checks:
        print(f"  {'PASS' if ok else 'MISS'}  {label:<34} {value}")
    return all(ok for _label, ok, _value in checks)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", help="PostgreSQL URL (its public schema is "
                        "DROPPED); default: a SQLite file in a temporary folder")
    parser.add_argument("--products", type=int, default=10_000,
                        help="generated products on top of the demo data (default 10000)")
    parser.add_argument("--duration", type=int, default=10, help="seconds per URL (default 10)")
    parser.add_argument("--connections", type=int, default=32, help="wrk connections")
    parser.add_argument("--query", help="search word (default: the commonest of a few)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = parser.parse_args()
    args.duration = max(1, min(args.duration, 120))

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
        port = free_port()
        base = f"http://{HOST}:{port}"
        server_env = {**env, "MARKETPLACE_ENVIRONMENT": "production",
                      "MARKETPLACE_SECRET_KEY": secrets.token_urlsafe(36)}
        log = tmp / "server.log"
        server = start_server(server_env, port, log)
        wait_healthy(base, server, log)
        started_rss = rss_mb(server.pid, "VmRSS")
        results = [
            Result("bare", "/healthz"),
            Result("catalog", "/catalog"),
            Result("catalog p50", "/catalog?page=50"),
            Result("product", f"/products/{product_id}"),
            Result("search", "/catalog?" + urllib.parse.urlencode({"q": word})),
            Result("api list", "/api/v1/products?limit=24"),
        ]
        print(f"Warming up {len(results)} URLs on {base} ...", flush=True)
        for result in results:
            warm_up(base, result)
        for result in results:
            print(f"wrk {result.name:<12} {result.url}", flush=True)
            run_wrk(wrk, base, result, args.duration, args.connections)
        rss = rss_mb(server.pid)
        database = "PostgreSQL" if url.startswith("postgresql") else "SQLite"
        meta = (f"{database}, {total} visible products, search '{word}' matches {matches}; "
                f"1 uvicorn worker, wrk -t2 -c{args.connections} -d{args.duration}s")
        report(results, rss, started_rss, meta)
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
