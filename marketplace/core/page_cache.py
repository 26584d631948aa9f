"""The page cache: anonymous pages (the storefront, the home page, the product list API)
kept in an in-process LRU under (locale, path + query) and answered on the event loop,
before routing, sessions or the database; with ETag and Last-Modified.

Anonymous pages (no ``session`` cookie) are the same for everyone in one language. A builder
renders a page (``page(request, build, ...)``) and names what it shows with ``shows()``
(tags: ``catalog``, ``product:12`` ...); a write names what it changes with
``cache_tags.touch()``. A stored page is served while the counters of its tags are what they
were when it was rendered (``core.cache_tags``: shared memory, no query), and until the moment
something on it stops being true by itself (``fresh_until``: a seal on it ends).
"""

import hashlib
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from email.utils import format_datetime, parsedate_to_datetime

from fastapi import Request
from fastapi.responses import Response
from sqlmodel import Session

from marketplace.core import cache_tags
from marketplace.db import transaction
from marketplace.i18n import current_locale

SESSION_COOKIE = "session"
VARY = "Cookie, Accept-Language"
PUBLIC_CACHE = "public, max-age=0, must-revalidate"
PRIVATE_CACHE = "private, no-store"
_TAGS = "page_tags"  # the request state's key for what the page shows


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
    headers: list[tuple[bytes, bytes]]
    etag: str
    last_modified: datetime | None
    fresh_until: float  # epoch seconds; a seal on the page (or in a list) ends then
    slots: tuple[int, ...]  # the counters of what the page shows (``cache_tags``)
    stamp: int  # their sum when the page was rendered


def shows(request: Request, *tags: str) -> None:
    """The page being built shows ``tags`` (``cache_tags.product(id)`` ...): it is stored
    only when its builder names what it shows, and served until one of them changes."""
    request.scope.setdefault("state", {}).setdefault(_TAGS, set()).update(tags)


def _key_of(path: str, raw_query: bytes) -> str:
    """The path and the query exactly as sent: two addresses share a page only when the
    route would see the same parameters (a page is stored only after they were valid)."""
    return f"{path}?{raw_query.decode('latin-1')}" if raw_query else path


def page_key(request: Request) -> str:
    return _key_of(request.scope["path"], request.scope.get("query_string", b""))


def _etag(body: bytes, status: int) -> str:
    """The same in every worker and after a restart: a digest of what is sent."""
    return f'W/"{hashlib.blake2b(body, digest_size=10, key=bytes([status % 256])).hexdigest()}"'


def _not_modified(if_none_match: str | None, if_modified_since: str | None,
                  page: CachedPage) -> bool:
    if if_none_match is not None:
        tags = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
        return "*" in tags or page.etag.removeprefix("W/") in tags
    if if_modified_since and page.last_modified is not None:
        try:
            since = parsedate_to_datetime(if_modified_since)
        except (TypeError, ValueError):
            return False
        if since.tzinfo is None:
            return False
        return page.last_modified.replace(microsecond=0) <= since
    return False


def _has_session_cookie(cookie_header: str) -> bool:
    for part in cookie_header.split(";"):
        name = part.split("=", 1)[0].strip()
        if name == SESSION_COOKIE:
            return True
    return False


class PageCacheMiddleware:
    """Answers an anonymous GET from the page cache on the event loop: a dictionary lookup
    and a few shared-memory reads, no thread, no session, no query. Everything else (a
    miss, a signed-in visitor) goes on to the routes, which render and store."""

    def __init__(self, app, *, cache: PageCache, tags: cache_tags.TagVersions) -> None:
        self.app = app
        self.cache = cache
        self.tags = tags

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http" and scope["method"] == "GET":
            page, conditional = self._lookup(scope)
            if page is not None:
                await self._send(page, conditional, send)
                return
        await self.app(scope, receive, send)

    def _lookup(self, scope) -> tuple[CachedPage | None, tuple[str | None, str | None]]:
        if_none_match = if_modified_since = None
        for name, value in scope["headers"]:
            if name == b"cookie" and _has_session_cookie(value.decode("latin-1")):
                return None, (None, None)
            if name == b"if-none-match":
                if_none_match = value.decode("latin-1")
            elif name == b"if-modified-since":
                if_modified_since = value.decode("latin-1")
        key = (current_locale.get(), _key_of(scope["path"], scope.get("query_string", b"")))
        page = self.cache.get(key)
        if page is None or page.fresh_until <= time.time() \
                or self.tags.stamp(page.slots) != page.stamp:
            return None, (None, None)
        return page, (if_none_match, if_modified_since)

    @staticmethod
    async def _send(page: CachedPage, conditional: tuple[str | None, str | None],
                    send) -> None:
        if page.status == 200 and _not_modified(*conditional, page):
            headers = [(k, v) for k, v in page.headers if k != b"content-type"]
            await send({"type": "http.response.start", "status": 304, "headers": headers})
            await send({"type": "http.response.body", "body": b""})
            return
        headers = [*page.headers, (b"content-length", str(len(page.body)).encode())]
        await send({"type": "http.response.start", "status": page.status, "headers": headers})
        await send({"type": "http.response.body", "body": page.body})


def page(request: Request, build: Builder, *, fresh_until: Freshness,
         load_user: UserLoader) -> Response:
    """Render with ``build`` (given the request and a read-only session). For an anonymous
    visitor the page is stored (``PageCacheMiddleware`` answers the next one) when the
    builder named what it shows, fresh until ``fresh_until(session)``; a signed-in visitor
    (``load_user``) gets it uncached. Called from plain ``def`` routes (the thread pool)."""
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
    tags = request.app.state.page_tags
    # The counters are read before the data: a page is never older than the counters it is
    # stored under (a write committed in between makes it newer, which is harmless).
    before = tags.snapshot()
    with transaction(engine, write=False) as session:
        response, modified = build(anonymous, session)
        until = fresh_until(session)
    shown = request.scope.get("state", {}).get(_TAGS)
    if not shown or response.status_code not in (200, 301):
        return response
    slots = tuple(sorted({cache_tags.slot(tag) for tag in (*shown, cache_tags.ALL)}))
    stored = _to_cache(response, modified, until, slots, tags.stamp_of(before, slots))
    request.app.state.page_cache.put((current_locale.get(), page_key(request)), stored)
    return _respond(request, stored)


def _respond(request: Request, page: CachedPage) -> Response:
    headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in page.headers}
    if page.status == 200 and _not_modified(request.headers.get("if-none-match"),
                                            request.headers.get("if-modified-since"), page):
        headers.pop("content-type", None)
        return Response(status_code=304, headers=headers)
    return Response(page.body, status_code=page.status, headers=headers)


def _to_cache(response: Response, modified: datetime | None, fresh_until: float,
              slots: tuple[int, ...], stamp: int) -> CachedPage:
    body = bytes(response.body)
    etag = _etag(body, response.status_code)
    headers = {"content-type": response.headers.get("content-type", "text/html"),
               "cache-control": PUBLIC_CACHE, "vary": VARY}
    if response.status_code == 301:
        headers["location"] = response.headers["location"]
    else:
        headers["etag"] = etag
        if modified is not None:
            headers["last-modified"] = format_datetime(modified, usegmt=True)
    return CachedPage(body=body, status=response.status_code,
                      headers=[(k.encode("latin-1"), v.encode("latin-1"))
                               for k, v in headers.items()],
                      etag=etag, last_modified=modified, fresh_until=fresh_until,
                      slots=slots, stamp=stamp)
