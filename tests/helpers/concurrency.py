"""Helpers for tests that send many simultaneous requests to the live server: release them
at one instant, time every answer, and watch /healthz answer throughout."""

import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import httpx

ANSWER_WITHIN = 10.0  # seconds: every racing request is answered within this
HEALTHY_WITHIN = 1.0  # seconds: /healthz answers within this throughout


def browsers(base_url: str, count: int) -> list[httpx.Client]:
    """``count`` independent clients, each with its own cookie jar (one per person)."""
    return [httpx.Client(base_url=base_url, follow_redirects=False, timeout=60)
            for _ in range(count)]


@dataclass
class Timed:
    value: object
    seconds: float


def report(what: str, results: list[Timed], probe: "HealthProbe") -> None:
    """One line of figures for the log (shown with ``pytest -s``)."""
    print(f"\n{what}: {len(results)} requests, slowest answer "
          f"{max(r.seconds for r in results):.2f} s; /healthz answered {len(probe.timings)} "
          f"times, slowest {probe.slowest * 1000:.0f} ms")


def race(actions: list[Callable[[], object]]) -> list[Timed]:
    """Run every action in its own thread, all released at the same instant; their results
    (or the exception raised) with how long each took, in the order given."""
    barrier = threading.Barrier(len(actions))

    def run(action):
        barrier.wait()
        started = time.monotonic()
        try:
            value = action()
        except Exception as exc:  # noqa: BLE001 - reported to the test, which asserts on it
            value = exc
        return Timed(value, time.monotonic() - started)

    with ThreadPoolExecutor(max_workers=len(actions)) as pool:
        return list(pool.map(run, actions))


@dataclass
class HealthProbe:
    """Polls /healthz every ``interval`` seconds in a thread while the block runs; records
    the slowest answer and any failure (a timeout counts as one)."""

    base_url: str
    interval: float = 0.05
    timings: list[float] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)

    def __enter__(self) -> "HealthProbe":
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._poll, name="health-probe", daemon=True)
        self._thread.start()
        self._wait_for_answer_after(0)  # probing before the race starts
        return self

    def _wait_for_answer_after(self, seen: int) -> None:
        deadline = time.monotonic() + HEALTHY_WITHIN * 2
        while len(self.timings) <= seen and time.monotonic() < deadline:
            time.sleep(0.005)

    def __exit__(self, *_exc) -> None:
        self._wait_for_answer_after(len(self.timings))  # and one more after it
        self._stop.set()
        self._thread.join(timeout=HEALTHY_WITHIN * 3)

    def _poll(self) -> None:
        with httpx.Client(base_url=self.base_url, timeout=HEALTHY_WITHIN * 2) as client:
            while not self._stop.is_set():
                started = time.monotonic()
                try:
                    response = client.get("/healthz")
                    if response.status_code != 200:
                        self.failures.append(f"status {response.status_code}")
                except httpx.HTTPError as exc:
                    self.failures.append(type(exc).__name__)
                self.timings.append(time.monotonic() - started)
                self._stop.wait(self.interval)

    @property
    def slowest(self) -> float:
        return max(self.timings, default=0.0)

    def assert_healthy(self) -> None:
        assert len(self.timings) >= 2, f"the probe hardly ran: {self.timings} {self.failures}"
        assert not self.failures, f"/healthz failed: {self.failures}"
        assert self.slowest < HEALTHY_WITHIN, f"/healthz took {self.slowest:.2f}s"
