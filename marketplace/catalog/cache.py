"""Cache of anonymous storefront pages, keyed by a version that every catalog write bumps
in its own transaction, so every worker stops serving a stale page at the same commit.

One process keeps an in-memory LRU; the key (version, locale, path) would work unchanged
in Redis for many machines.
"""

import threading
from collections import OrderedDict

from sqlalchemy import text, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from marketplace.models import CacheVersion

CATALOG = "catalog"


def bump(*, session: Session, name: str = CATALOG) -> None:
    """Invalidate every cached page of ``name`` when this transaction commits."""
    result = session.execute(
        update(CacheVersion).where(CacheVersion.name == name)
        .values(version=CacheVersion.version + 1)
    )
    if result.rowcount:
        return
    try:
        with session.begin_nested():
            session.add(CacheVersion(name=name, version=1))
            session.flush()
    except IntegrityError:  # created by a concurrent writer meanwhile
        session.execute(update(CacheVersion).where(CacheVersion.name == name)
                        .values(version=CacheVersion.version + 1))


def current(connection_or_session, name: str = CATALOG) -> int:
    """The committed version of ``name`` (0 before the first write)."""
    row = connection_or_session.execute(
        text("SELECT version FROM cache_version WHERE name = :name"), {"name": name}
    ).first()
    return row[0] if row else 0


class PageCache:
    """A small thread-safe LRU of rendered responses, bounded by entries and by bytes."""

    def __init__(self, max_entries: int = 2048, max_bytes: int = 24 * 1024 * 1024) -> None:
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self.bytes = 0
        self._data: OrderedDict = OrderedDict()
        self._lock = threading.Lock()

    @staticmethod
    def _size(value) -> int:
        return len(getattr(value, "body", b"") or b"") + 512

    def get(self, key):
        with self._lock:
            value = self._data.get(key)
            if value is not None:
                self._data.move_to_end(key)
            return value

    def put(self, key, value) -> None:
        size = self._size(value)
        if size > self.max_bytes // 8:
            return  # one huge page must not push out everything else
        with self._lock:
            previous = self._data.pop(key, None)
            if previous is not None:
                self.bytes -= self._size(previous)
            self._data[key] = value
            self.bytes += size
            while len(self._data) > self.max_entries or self.bytes > self.max_bytes:
                _key, evicted = self._data.popitem(last=False)
                self.bytes -= self._size(evicted)

    def clear(self) -> None:
        with self._lock:
            self._data.clear()
            self.bytes = 0
