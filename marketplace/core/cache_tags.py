"""What cached pages show, and when it last changed: tag versions every process can read
without a query.

A cached page is stored with the tags of what it shows (``catalog``, ``product:12``,
``group:3`` ...). A write names the tags it changes (``touch(session, ...)``); when its
transaction commits, each tag's counter goes up, and every page stored with that tag stops
being served. Counters live in a small file mapped into memory and shared by every process
using the same database on this machine (the web workers, the job worker, the CLI), so a
check is a few memory reads: no query, no lock, nothing that waits, and it is safe on the
event loop.

Tags hash into ``SLOTS`` counters; two tags sharing a slot only make a page expire a little
more often. Counters only go up, so a page is still valid exactly when the sum of its slots'
counters is what it was when the page was rendered.

A write bumps its tags after its commit: a page rendered meanwhile from the old rows is
stored under the old counters and never served once the bump lands. Several machines would
need the counters in a shared store (Redis ``INCR``) behind the same three calls.
"""

import fcntl
import hashlib
import logging
import mmap
import os
import threading
from collections.abc import Iterable
from pathlib import Path

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

SLOTS = 8192
ALL = "all"  # every cached page shows "everything": a bump of ALL empties the cache
CATALOG = "catalog"  # which products a list shows, in which order, and their cards
IN_STOCK = "in-stock"  # which products have stock (lists filtered on availability)
_SESSION_KEY = "page_cache_tags"
log = logging.getLogger("marketplace.cache")


def product(product_id: int) -> str:
    return f"product:{product_id}"


def group(group_id: int) -> str:
    return f"group:{group_id}"


def user(user_id: int) -> str:
    """An account's sessions and roles (what the header shows a signed-in visitor)."""
    return f"user:{user_id}"


def slot(tag: str) -> int:
    """The counter a tag maps to: the same in every process (not ``hash()``)."""
    digest = hashlib.blake2b(tag.encode(), digest_size=4).digest()
    return int.from_bytes(digest, "little") % SLOTS


class TagVersions:
    """``SLOTS`` 64-bit counters in a file mapped into memory (shared by processes)."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        size = SLOTS * 8
        if os.fstat(self._fd).st_size < size:
            fcntl.flock(self._fd, fcntl.LOCK_EX)
            try:
                if os.fstat(self._fd).st_size < size:
                    os.ftruncate(self._fd, size)
            finally:
                fcntl.flock(self._fd, fcntl.LOCK_UN)
        self._map = mmap.mmap(self._fd, size)
        self._counters = memoryview(self._map).cast("Q")
        self._lock = threading.Lock()  # flock does not exclude threads sharing the file

    def stamp(self, slots: Iterable[int]) -> int:
        """The sum of these counters: it changes when any of them is bumped."""
        counters = self._counters
        return sum(counters[i] for i in slots)

    def snapshot(self) -> bytes:
        """Every counter now, to stamp a page with once it knows its tags."""
        return self._map[:]

    @staticmethod
    def stamp_of(snapshot: bytes, slots: Iterable[int]) -> int:
        view = memoryview(snapshot).cast("Q")
        return sum(view[i] for i in slots)

    def bump(self, tags: Iterable[str]) -> None:
        slots = sorted({slot(tag) for tag in tags})
        if not slots:
            return
        with self._lock:
            fcntl.flock(self._fd, fcntl.LOCK_EX)
            try:
                for i in slots:
                    self._counters[i] += 1
            finally:
                fcntl.flock(self._fd, fcntl.LOCK_UN)


# --- one store per database -------------------------------------------------------------------

_stores: dict[str, TagVersions] = {}
_stores_lock = threading.Lock()


def _database_key(url) -> str:
    """One spelling per database, whether given as the settings' string or an engine's URL
    (which sorts its query parameters)."""
    return make_url(url).render_as_string(hide_password=False)


def store_path(var_dir: Path, database_url) -> Path:
    """Where the counters of ``database_url`` live: every process using that database on
    this machine (with the same ``var_dir``) maps the same file."""
    digest = hashlib.blake2b(_database_key(database_url).encode(), digest_size=8).hexdigest()
    return Path(var_dir) / "run" / f"page-tags-{digest}"


def attach(database_url, var_dir: Path) -> TagVersions:
    """The store for ``database_url``, opened once per process."""
    key = _database_key(database_url)
    with _stores_lock:
        store = _stores.get(key)
        if store is None:
            store = _stores[key] = TagVersions(store_path(var_dir, database_url))
        return store


def store_for(session: Session) -> TagVersions:
    """The store of the database ``session`` writes to (the settings' folder when no app or
    worker attached it in this process, e.g. a CLI command)."""
    url = session.get_bind().url
    store = _stores.get(_database_key(url))
    if store is None:
        from marketplace.config import get_settings

        store = attach(url, get_settings().var_dir)
    return store


# --- writes name what they change; the bump follows the commit -------------------------------

def touch(session: Session, *tags: str) -> None:
    """Pages showing ``tags`` change when this session's transaction commits (nothing
    changes if it rolls back). Without tags, every cached page changes."""
    session.info.setdefault(_SESSION_KEY, set()).update(tags or (ALL,))


@event.listens_for(Session, "after_commit")
def _bump_after_commit(session: Session) -> None:
    if session.in_nested_transaction():
        return  # a savepoint: the outer transaction may still roll back
    tags = session.info.pop(_SESSION_KEY, None)
    if not tags:
        return
    try:
        store_for(session).bump(tags)
    except OSError:  # the write is committed: say so loudly, do not fail the request
        log.exception("cache tags not bumped after commit: %s", sorted(tags))


@event.listens_for(Session, "after_transaction_end")
def _forget_at_the_end(session: Session, transaction) -> None:
    if transaction.parent is None:  # the outermost one: committed (bumped) or rolled back
        session.info.pop(_SESSION_KEY, None)
