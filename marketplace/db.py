"""Engine, one-transaction-per-request sessions, and the ``SessionDep`` alias.

SQLite (the default) runs in WAL mode with foreign keys and a busy timeout. Requests that
may write (POST, PUT, PATCH, DELETE) open their SQLite transaction with ``BEGIN IMMEDIATE``
so two writers queue on the busy timeout instead of failing on a stale snapshot.
PostgreSQL uses a connection pool, and the service's connections carry ``lock_timeout``,
``statement_timeout`` and ``idle_in_transaction_session_timeout``: a request stuck behind a
lock becomes a 503 (``core.problems``), never a dead worker.

No query or commit may run on the event loop: a blocked loop stops every request of the
process. The engine refuses them (``BlockingCallOnEventLoop``); routes that touch the
database are plain ``def`` (the thread pool), and read forms through ``core.forms.FormDep``.
"""

import asyncio
import weakref
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy import Engine, event
from sqlmodel import Session, create_engine

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
SQLITE_BUSY_TIMEOUT_MS = 30_000  # tools and migrations; the service uses its lock timeout
# Page cache of each SQLite connection (the default is 2 MB): a worker holds up to 20
# connections, and the operating system caches the file for all of them anyway.
SQLITE_CACHE_KIB = 512


@dataclass(frozen=True)
class Timeouts:
    """How long the service's connections wait, in milliseconds (0: no limit)."""

    lock_ms: int = 5_000  # PostgreSQL lock_timeout; SQLite busy_timeout
    statement_ms: int = 30_000  # PostgreSQL statement_timeout
    idle_in_transaction_ms: int = 60_000  # PostgreSQL idle_in_transaction_session_timeout


class BlockingCallOnEventLoop(RuntimeError):
    """A database (or card processor) call was made on the event loop."""


def ensure_off_event_loop(what: str) -> None:
    """Raise when called on a thread that runs an event loop: the call would block it."""
    if asyncio._get_running_loop() is not None:
        raise BlockingCallOnEventLoop(
            f"{what} on the event loop: make the route a plain def (see marketplace/db.py)")


# Search structures the migrations create by hand (FTS5 table and its shadow tables, trigram
# index); autogenerate must not propose to drop them.
UNMODELLED_SCHEMA = ("product_fts", "ix_product_search_trgm")


def include_object(obj, name, type_, reflected, compare_to) -> bool:
    """Alembic filter: compare only what the models describe."""
    return not (name or "").startswith(UNMODELLED_SCHEMA)


def make_engine(url: str, *, pool_size: int = 10, echo: bool = False,
                timeouts: Timeouts | None = None) -> Engine:
    """Create the engine for ``url`` with the pragmas or pool this service expects.

    ``timeouts`` (the service and its worker pass the settings' values) bound every wait;
    without them (migrations, tools) only SQLite's default busy timeout applies."""
    if url.startswith("sqlite"):
        busy_ms = timeouts.lock_ms if timeouts and timeouts.lock_ms else SQLITE_BUSY_TIMEOUT_MS
        engine = create_engine(
            url,
            echo=echo,
            pool_size=pool_size,
            max_overflow=pool_size,
            connect_args={"check_same_thread": False, "timeout": busy_ms / 1000},
        )
        _configure_sqlite(engine, busy_ms)
    else:
        connect_args = {}
        if timeouts is not None:
            connect_args["options"] = " ".join((
                f"-c lock_timeout={timeouts.lock_ms}",
                f"-c statement_timeout={timeouts.statement_ms}",
                f"-c idle_in_transaction_session_timeout={timeouts.idle_in_transaction_ms}"))
        engine = create_engine(url, echo=echo, pool_size=pool_size, max_overflow=pool_size,
                               pool_pre_ping=True, connect_args=connect_args)
    _refuse_event_loop(engine)
    return engine


def service_engine(settings) -> Engine:
    """The engine of the web service and the worker, with the settings' pool and timeouts."""
    return make_engine(settings.database_url, pool_size=settings.database_pool_size,
                       timeouts=Timeouts(
                           lock_ms=settings.database_lock_timeout_ms,
                           statement_ms=settings.database_statement_timeout_ms,
                           idle_in_transaction_ms=settings.database_idle_in_transaction_timeout_ms))


def _refuse_event_loop(engine: Engine) -> None:
    @event.listens_for(engine, "before_cursor_execute")
    def _before_execute(_conn, _cursor, statement, *_args):
        ensure_off_event_loop(f"SQL {statement[:60]!r}")

    @event.listens_for(engine, "commit")
    def _before_commit(_conn):
        ensure_off_event_loop("COMMIT")


def _configure_sqlite(engine: Engine, busy_ms: int) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):  # pragma: no cover - exercised by every test
        dbapi_connection.isolation_level = None  # we emit BEGIN ourselves
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={busy_ms}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute(f"PRAGMA cache_size=-{SQLITE_CACHE_KIB}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        immediate = conn.get_execution_options().get("sqlite_immediate", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def writer(engine: Engine) -> Engine:
    """The same engine, but SQLite transactions take the write lock when they begin."""
    if engine.dialect.name == "sqlite":
        return engine.execution_options(sqlite_immediate=True)
    return engine


@contextmanager
def transaction(engine: Engine, *, write: bool = True) -> Iterator[Session]:
    """A session that commits when the block ends and rolls back on error (CLI, worker)."""
    session = Session(writer(engine) if write else engine, expire_on_commit=False)
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def pool_capacity(engine: Engine) -> int:
    """How many connections the pool hands out at most."""
    pool = engine.pool
    size = getattr(pool, "size", lambda: 5)()
    return size + max(getattr(pool, "_max_overflow", 0), 0)


_slots: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


async def db_slot(request: Request) -> AsyncIterator[None]:
    """Wait (without holding a worker thread) until a database connection is free.

    A request keeps its session across thread-pool hops (handler, then commit). Without this
    gate, a burst larger than the thread pool fills every thread with requests waiting for a
    connection while the requests holding connections wait for a thread to commit: a stall
    until the pool times out. With at most ``pool_capacity`` sessions open, a session never
    waits for the pool.
    """
    loop = asyncio.get_running_loop()
    per_app = _slots.setdefault(loop, {})
    engine: Engine = request.app.state.engine
    semaphore = per_app.get(id(engine))
    if semaphore is None:
        semaphore = per_app[id(engine)] = asyncio.Semaphore(pool_capacity(engine))
    slot = _Slot(semaphore)
    await slot.take()
    request.state.db_slot = slot
    try:
        yield
    finally:
        slot.give_back()


class _Slot:
    """The request's place at the ``db_slot`` gate (only touched on the event loop)."""

    def __init__(self, semaphore: asyncio.Semaphore) -> None:
        self.semaphore, self.held = semaphore, False

    async def take(self) -> None:
        await self.semaphore.acquire()
        self.held = True

    def give_back(self) -> None:
        if self.held:
            self.held = False
            self.semaphore.release()


@contextmanager
def all_or_nothing(session: Session) -> Iterator[Session]:
    """Run service calls so that, if they raise, nothing they wrote stays in the request's
    transaction (a savepoint) and no half-changed object is shown: a route catches the
    error and shows the form again, and the request's commit saves nothing of it."""
    try:
        with session.begin_nested():
            yield session
    except BaseException:
        session.expire_all()  # objects changed in memory are read again from the database
        raise


@contextmanager
def slot_released(request: Request) -> Iterator[None]:
    """From a plain ``def`` route: give the request's ``db_slot`` back while it waits on
    something slow outside the database (a Stripe call), and take it again after, so a slow
    processor cannot hold every slot and stall the pages. The request's session must hold
    no connection meanwhile: commit first (``orders.flows`` does)."""
    import anyio.from_thread

    slot = getattr(request.state, "db_slot", None)
    if slot is None or not slot.held:
        yield
        return
    anyio.from_thread.run_sync(slot.give_back)
    try:
        yield
    finally:
        anyio.from_thread.run(slot.take)


def get_session(
    request: Request, _slot: Annotated[None, Depends(db_slot, scope="function")]
) -> Iterator[Session]:
    """One request, one transaction: commit on success, roll back on error."""
    engine: Engine = request.app.state.engine
    write = request.method not in SAFE_METHODS
    with transaction(engine, write=write) as session:
        yield session


# scope="function": the commit runs before the response is sent, so a failed commit is an
# error response, never a 200 for work that was not saved.
SessionDep = Annotated[Session, Depends(get_session, scope="function")]
