"""The page cache: anonymous pages (the storefront, the home page, the product list API)
stored in an in-process LRU under (version, locale, path + sorted query), served with ETag
and Last-Modified.

Anonymous pages (no ``session`` cookie) are the same for everyone in one language. Every
write to what they show calls ``bump()``, which increments the version row in the same
transaction, so every worker stops serving a stale page at that commit; any domain may call
it. The key would work unchanged in Redis for many machines. A page is also stored with the
moment it stops being fresh (``fresh_until``: a seal on it ends), since expiry is a matter of
time, not of a write.

What a page shows is the caller's: a builder renders it (``page(request, build, ...)``).
"""

import contextlib
import hashlib
import queue
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from email.utils import format_datetime, parsedate_to_datetime
from urllib.parse import parse_qsl, urlencode

from fastapi import Request
from fastapi.responses import Response
from sqlalchemy import text, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from marketplace.db import ensure_off_event_loop, transaction
from marketplace.i18n import current_locale
from marketplace.models import CacheVersion

NAME = "catalog"  # the cache_version row every cached page is keyed by
SESSION_COOKIE = "session"
VARY = "Cookie, Accept-Language"
PUBLIC_CACHE = "public, max-age=0, must-revalidate"
PRIVATE_CACHE = "private, no-store"


# --- the version: bumped by every write to what cached pages show -------------------------

def bump(*, session: Session, name: str = NAME) -> None:
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


def current(connection_or_session, name: str = NAME) -> int:
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


# --- serving pages: anonymous cache, ETag, Last-Modified ----------------------------------

Builder = Callable[[Request, Session], tuple[Response, datetime | None]]
Freshness = Callable[[Session], float]  # until when (epoch seconds) what is shown holds
UserLoader = Callable[[Request, Session], object]  # signs the visitor in for a personal page


@dataclass(frozen=True, slots=True)
class CachedPage:
    body: bytes
    status: int
    headers: dict[str, str]
    etag: str
    last_modified: datetime | None
    fresh_until: float  # epoch seconds; a seal on the page (or in a list) ends then


def page_key(request: Request) -> str:
    """The path and the non-empty query parameters, sorted."""
    path = request.scope["path"]
    raw = request.scope.get("query_string", b"")
    if not raw:
        return path
    items = sorted((k, v) for k, v in parse_qsl(raw.decode("latin-1")) if v)
    return f"{path}?{urlencode(items)}" if items else path


def _etag(version: int, locale: str, key: str, fresh_until: float) -> str:
    digest = hashlib.blake2b(f"{locale}|{key}|{fresh_until}".encode(), digest_size=8)
    return f'W/"{version}-{digest.hexdigest()}"'


def _not_modified(request: Request, page: CachedPage) -> bool:
    if_none_match = request.headers.get("if-none-match")
    if if_none_match is not None:
        tags = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
        return "*" in tags or page.etag.removeprefix("W/") in tags
    if_modified_since = request.headers.get("if-modified-since")
    if if_modified_since and page.last_modified is not None:
        try:
            since = parsedate_to_datetime(if_modified_since)
        except (TypeError, ValueError):
            return False
        if since.tzinfo is None:
            return False
        return page.last_modified.replace(microsecond=0) <= since
    return False


def _respond(request: Request, page: CachedPage) -> Response:
    if page.status == 200 and _not_modified(request, page):
        headers = {k: v for k, v in page.headers.items() if k != "content-type"}
        return Response(status_code=304, headers=headers)
    return Response(page.body, status_code=page.status, headers=page.headers)


VERSION_SQL = "SELECT version FROM cache_version WHERE name = 'catalog'"  # current(NAME)


def _autocommit(dbapi) -> bool:
    """Put a psycopg connection in autocommit (SQLite's already is); True if changed."""
    if getattr(dbapi, "autocommit", None) is False:
        dbapi.autocommit = True
        return True
    return False


def _select_version(dbapi) -> int:
    cursor = dbapi.cursor()
    try:
        cursor.execute(VERSION_SQL)
        row = cursor.fetchone()
    finally:
        cursor.close()
    return row[0] if row else 0


def read_version(engine) -> int:
    """``cache.current`` on a pooled DBAPI connection in autocommit (no BEGIN, no ROLLBACK)."""
    raw = engine.raw_connection()
    try:
        toggled = _autocommit(raw.dbapi_connection)
        try:
            return _select_version(raw.dbapi_connection)
        finally:
            if toggled:
                raw.dbapi_connection.autocommit = False
    finally:
        raw.close()


class VersionReader:
    """Reads the version for cache hits: a few connections of its own, outside the
    pool, in autocommit, so a read is one round trip with no checkout, ping or open
    transaction. At most ``size`` connections (threads beyond that wait their turn); a
    broken connection is replaced once."""

    def __init__(self, engine, size: int = 4) -> None:
        self.engine = engine
        self.errors = engine.dialect.loaded_dbapi.Error
        self.idle: queue.LifoQueue = queue.LifoQueue()
        self.slots = threading.BoundedSemaphore(size)

    def _connect(self):
        raw = self.engine.raw_connection()
        raw.detach()  # kept by this reader, never returned to the pool
        _autocommit(raw.dbapi_connection)
        return raw

    def read(self) -> int:
        ensure_off_event_loop("page cache version read")
        with self.slots:
            try:
                raw = self.idle.get_nowait()
            except queue.Empty:
                raw = self._connect()
            try:
                version = _select_version(raw.dbapi_connection)
            except self.errors:
                with contextlib.suppress(self.errors):
                    raw.dbapi_connection.close()
                raw = self._connect()
                version = _select_version(raw.dbapi_connection)
            self.idle.put(raw)
            return version


def version_reader(app) -> VersionReader:
    reader = getattr(app.state, "page_version_reader", None)
    if reader is None or reader.engine is not app.state.engine:
        reader = app.state.page_version_reader = VersionReader(app.state.engine)
    return reader


def cached(request: Request) -> Response | None:
    """The stored page (or a 304) for an anonymous visitor, or None to render it."""
    if SESSION_COOKIE in request.cookies:
        return None
    version = version_reader(request.app).read()
    page = request.app.state.page_cache.get((version, current_locale.get(), page_key(request)))
    if page is None or page.fresh_until <= time.time():
        return None
    return _respond(request, page)


def page(request: Request, build: Builder, *, fresh_until: Freshness,
         load_user: UserLoader) -> Response:
    """Answer an anonymous visitor from the page cache, or render the page. Called from
    plain ``def`` routes, so in the thread pool: the version read is a query too."""
    hit = cached(request)
    if hit is not None:
        return hit
    return serve(request, build, fresh_until=fresh_until, load_user=load_user)


def serve(request: Request, build: Builder, *, fresh_until: Freshness,
          load_user: UserLoader) -> Response:
    """Render with ``build`` (given the request and a read-only session); for an anonymous
    visitor, store the page under the version read before any data, fresh until
    ``fresh_until(session)``; a signed-in visitor (``load_user``) gets it uncached."""
    engine = request.app.state.engine
    if SESSION_COOKIE in request.cookies:
        with transaction(engine, write=False) as session:
            load_user(request, session)
            response, _modified = build(request, session)
        response.headers["Cache-Control"] = PRIVATE_CACHE
        response.headers["Vary"] = "Accept-Language"  # the session middleware adds Cookie
        return response

    request.state.user = None
    # Rendered without the session in scope: nothing personal (a flash message) can reach
    # the shared page, and the response does not vary on a cookie read for nothing.
    anonymous = Request({k: v for k, v in request.scope.items() if k != "session"})
    # The version is read before the data: a page is never older than the version it is
    # stored under (a write committed in between makes it newer, which is harmless).
    key = (read_version(engine), current_locale.get(), page_key(request))
    with transaction(engine, write=False) as session:
        response, modified = build(anonymous, session)
        until = fresh_until(session)
    stored = _to_cache(response, key, modified, until)
    if stored is None:
        return response
    request.app.state.page_cache.put(key, stored)
    return _respond(request, stored)


def _to_cache(response: Response, key: tuple[int, str, str], modified: datetime | None,
              fresh_until: float) -> CachedPage | None:
    if response.status_code not in (200, 301):
        return None
    etag = _etag(*key, fresh_until)
    headers = {"content-type": response.headers.get("content-type", "text/html"),
               "Cache-Control": PUBLIC_CACHE, "Vary": VARY}
    if response.status_code == 301:
        headers["Location"] = response.headers["location"]
    else:
        headers["ETag"] = etag
        if modified is not None:
            headers["Last-Modified"] = format_datetime(modified, usegmt=True)
    return CachedPage(body=bytes(response.body), status=response.status_code, headers=headers,
                      etag=etag, last_modified=modified, fresh_until=fresh_until)
