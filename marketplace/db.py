"""Engine, one-transaction-per-request sessions, and the ``SessionDep`` alias.

SQLite (the default) runs in WAL mode with foreign keys and a busy timeout. Requests that
may write (POST, PUT, PATCH, DELETE) open their SQLite transaction with ``BEGIN IMMEDIATE``
so two writers queue on the busy timeout instead of failing on a stale snapshot.
PostgreSQL uses a connection pool.
"""

import asyncio
import weakref
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy import Engine, event
from sqlmodel import Session, create_engine

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
SQLITE_BUSY_TIMEOUT_MS = 30_000


# Search structures the migrations create by hand (FTS5 table and its shadow tables, trigram
# index); autogenerate must not propose to drop them.
UNMODELLED_SCHEMA = ("product_fts", "ix_product_search_trgm")


def include_object(obj, name, type_, reflected, compare_to) -> bool:
    """Alembic filter: compare only what the models describe."""
    return not (name or "").startswith(UNMODELLED_SCHEMA)


def make_engine(url: str, *, pool_size: int = 10, echo: bool = False) -> Engine:
    """Create the engine for ``url`` with the pragmas or pool this service expects."""
    if url.startswith("sqlite"):
        engine = create_engine(
            url,
            echo=echo,
            pool_size=pool_size,
            max_overflow=pool_size,
            connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000},
        )
        _configure_sqlite(engine)
        return engine
    return create_engine(
        url, echo=echo, pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=True
    )


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):  # pragma: no cover - exercised by every test
        dbapi_connection.isolation_level = None  # we emit BEGIN ourselves
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA synchronous=NORMAL")
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
    async with semaphore:
        yield


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
