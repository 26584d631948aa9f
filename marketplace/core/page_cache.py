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

import contextlib
import gzip
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

from marketplace.core import cache_tags, csrf, templating
from marketplace.db import transaction
from marketplace.i18n import current_locale

GZIP_MIN_BYTES = 800  # as the GZip middleware: smaller pages are sent as they are
GZIPPED_MAX_BYTES = 4 * 1024 * 1024

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
        """Bytes held: a page's body, or a fragment's text (UTF-8 of Khmer is 3 bytes a
        letter, CPython keeps it in 2), plus the key and bookkeeping."""
        if isinstance(value, str):
            return 2 * len(value) + 256
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


@dataclass(frozen=True, slots=True)
class Visitor:
    """Who holds a session cookie, as far as the header is concerned."""

    signed_in: bool
    roles: frozenset[str]


Visitors = Callable[[dict], Visitor | None]  # the decoded session -> Visitor, None: unknown
MEMBER = "member"  # the key's mark for the copy with personal marks (signed-in visitors)


class PageCacheMiddleware:
    """Answers a GET from the page cache on the event loop: a dictionary lookup and a few
    shared-memory reads, no thread and no query.

    An anonymous visitor gets the stored page. A visitor with a session cookie (placed
    inside the session middleware, which has decoded it) gets the copy stored with marks
    (``templating.MARKS``) filled in with their account links and CSRF token, when
    ``visitors`` knows who they are without the database, and the cart count their session
    keeps. Everything else (a miss, a flash
    message to show, an unknown session) goes on to the routes, which render and store."""

    def __init__(self, app, *, cache: PageCache, tags: cache_tags.TagVersions,
                 visitors: Visitors | None = None) -> None:
        self.app = app
        self.cache = cache
        self.tags = tags
        self.visitors = visitors
        self.gzipped: dict[str, bytes] = {}  # etag -> the stored body, gzipped once
        self.gzipped_bytes = 0

    def _gzipped(self, page: CachedPage) -> bytes:
        """The anonymous page gzipped, once per version (a hit must not compress again:
        that would halve what the cache serves). Dropped all at once past 4 MB."""
        found = self.gzipped.get(page.etag)
        if found is None:
            found = gzip.compress(page.body, compresslevel=6, mtime=0)
            if self.gzipped_bytes + len(found) > GZIPPED_MAX_BYTES:
                self.gzipped.clear()
                self.gzipped_bytes = 0
            self.gzipped[page.etag] = found
            self.gzipped_bytes += len(found)
        return found

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http" and scope["method"] == "GET" and await self._answer(
                scope, send):
            return
        await self.app(scope, receive, send)

    async def _answer(self, scope, send) -> bool:
        if_none_match = if_modified_since = None
        has_session = accepts_gzip = False
        for name, value in scope["headers"]:
            if name == b"accept-encoding":
                accepts_gzip = b"gzip" in value
            elif name == b"cookie":
                has_session = has_session or _has_session_cookie(value.decode("latin-1"))
            elif name == b"if-none-match":
                if_none_match = value.decode("latin-1")
            elif name == b"if-modified-since":
                if_modified_since = value.decode("latin-1")
        key = (current_locale.get(), _key_of(scope["path"], scope.get("query_string", b"")))
        if not has_session:
            page = _fresh(self.cache.get(key), self.tags)
            if page is None:
                return False
            gzipped = self._gzipped(page) if accepts_gzip and page.status == 200 \
                and len(page.body) >= GZIP_MIN_BYTES else None
            await _send(send, page, if_none_match, if_modified_since, gzipped)
            return True
        session = scope.get("session")
        if self.visitors is None or not isinstance(session, dict) or session.get("flash"):
            return False
        visitor = self.visitors(session)
        page = _fresh(self.cache.get((*key, MEMBER)), self.tags) if visitor else None
        if page is None:  # (JSON pages are never stored for members: page(personal=False))
            return False
        body = templating.personalize(page.body, signed_in=visitor.signed_in,
                                      roles=visitor.roles, csrf_token=csrf.token_of(session),
                                      flashes=[], cart_count=templating.cart_count_of(session))
        await _send_personal(send, page, body)
        return True


async def _send(send, page: CachedPage, if_none_match: str | None,
                if_modified_since: str | None, gzipped: bytes | None = None) -> None:
    if page.status == 200 and _not_modified(if_none_match, if_modified_since, page):
        headers = [(k, v) for k, v in page.headers if k != b"content-type"]
        await send({"type": "http.response.start", "status": 304, "headers": headers})
        await send({"type": "http.response.body", "body": b""})
        return
    body, headers = page.body, list(page.headers)
    if gzipped is not None:  # the GZip middleware passes an encoded body through as it is
        body = gzipped  # (and adds "Vary: Accept-Encoding" itself to a body it leaves)
        headers = [(k, v + b", Accept-Encoding" if k == b"vary" else v) for k, v in headers]
        headers.append((b"content-encoding", b"gzip"))
    headers.append((b"content-length", str(len(body)).encode()))
    await send({"type": "http.response.start", "status": page.status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def _personal_headers(page: CachedPage, body: bytes) -> list[tuple[bytes, bytes]]:
    kept = [(k, v) for k, v in page.headers if k in (b"content-type", b"location")]
    return [*kept, (b"cache-control", PRIVATE_CACHE.encode()),
            (b"vary", b"Accept-Language"),  # the session middleware adds Cookie
            (b"content-length", str(len(body)).encode())]


async def _send_personal(send, page: CachedPage, body: bytes) -> None:
    await send({"type": "http.response.start", "status": page.status,
                "headers": _personal_headers(page, body)})
    await send({"type": "http.response.body", "body": body})


class _OneAtATime:
    """A lock per page key: when many visitors ask for a page nobody has stored yet, one
    renders it and the others wait for it, instead of each rendering the same page at once
    (for a few seconds and a few megabytes each)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._held: dict = {}

    @contextlib.contextmanager
    def hold(self, key):
        with self._lock:
            entry = self._held.setdefault(key, [threading.Lock(), 0])
            entry[1] += 1
        try:
            with entry[0]:
                yield
        finally:
            with self._lock:
                entry[1] -= 1
                if not entry[1]:
                    del self._held[key]


_rendering = _OneAtATime()
# Rendering is Python work under one lock (the GIL): more renders at once than cores only
# add memory (each holds its rows, its page and its query buffers), not speed.
RENDERS_AT_ONCE = 2
_render_turns = threading.BoundedSemaphore(RENDERS_AT_ONCE)


def page(request: Request, build: Builder, *, fresh_until: Freshness,
         load_user: UserLoader, personal: bool = True) -> Response:
    """Render with ``build`` (given the request and a read-only session) and store the page
    when the builder named what it shows, fresh until ``fresh_until(session)``;
    ``PageCacheMiddleware`` answers the next visitor. Called from plain ``def`` routes (the
    thread pool).

    An anonymous visitor's page is stored as sent. For a visitor with a session cookie
    (``load_user`` signs them in), the page is rendered once with marks where the personal
    parts go, stored, and filled in for each of them. ``personal=False`` (JSON, the same
    for everyone): every visitor gets the anonymous page."""
    key = (current_locale.get(), page_key(request))
    if personal and SESSION_COOKIE in request.cookies:
        with transaction(request.app.state.engine, write=False) as session:
            user = load_user(request, session)
        shown = _stored_or_rendered(request, (*key, MEMBER), request, build, fresh_until,
                                    marked=True)
        return _personal(request, shown, user)

    request.state.user = None
    # Rendered without the session in scope: nothing personal (a flash message) can reach
    # the shared page, and the response does not vary on a cookie read for nothing.
    anonymous = Request({k: v for k, v in request.scope.items() if k != "session"})
    shown = _stored_or_rendered(request, key, anonymous, build, fresh_until)
    return _respond(request, shown) if isinstance(shown, CachedPage) else shown


def _stored_or_rendered(request: Request, key: tuple, build_request: Request, build: Builder,
                        fresh_until: Freshness, *, marked: bool = False
                        ) -> CachedPage | Response:
    """The stored page under ``key``, or ``build`` it (one render per key at a time, two
    renders at once in all) and store it; a page that cannot be stored comes back as the
    response itself."""
    tags = request.app.state.page_tags
    with _rendering.hold(key):
        stored = _fresh(request.app.state.page_cache.get(key), tags)
        if stored is not None:
            return stored
        # The counters are read before the data: a page is never older than the counters
        # it is stored under (a write committed in between makes it newer: harmless).
        before = tags.snapshot()
        with _marked(request) if marked else contextlib.nullcontext(), _render_turns, \
                transaction(request.app.state.engine, write=False) as session:
            response, modified = build(build_request, session)
            until = fresh_until(session)
        return _store(request, response, modified, until, before, key) or response


@contextlib.contextmanager
def _marked(request: Request):
    """Render the copy shared by every signed-in visitor: marks where the personal parts
    go, and no account in sight of the templates (put back after, also on an error, whose
    page is then this visitor's own)."""
    user, roles = getattr(request.state, "user", None), getattr(request.state, "roles", None)
    request.state.personal_marks, request.state.user, request.state.roles = True, None, set()
    try:
        yield
    finally:
        request.state.personal_marks, request.state.user = False, user
        if roles is None:
            del request.state.roles
        else:
            request.state.roles = roles


def _fresh(page: CachedPage | None, tags: cache_tags.TagVersions) -> CachedPage | None:
    if page is None or page.fresh_until <= time.time() or tags.stamp(page.slots) != page.stamp:
        return None
    return page


def _store(request: Request, response: Response, modified: datetime | None,
           until: float, before: bytes, key: tuple) -> CachedPage | None:
    shown = request.scope.get("state", {}).get(_TAGS)
    if not shown or response.status_code not in (200, 301):
        return None
    slots = tuple(sorted({cache_tags.slot(tag) for tag in (*shown, cache_tags.ALL)}))
    stored = _to_cache(response, modified, until, slots,
                       cache_tags.TagVersions.stamp_of(before, slots))
    request.app.state.page_cache.put(key, stored)
    return stored


def _personal(request: Request, page: CachedPage | Response, user) -> Response:
    """The page with this visitor's account links, flash messages and CSRF token."""
    roles = frozenset(getattr(request.state, "roles", ())) if user is not None else frozenset()
    body = templating.personalize(
        bytes(page.body), signed_in=user is not None, roles=roles,
        csrf_token=csrf.get_token(request), flashes=templating.pop_flashes(request),
        cart_count=templating.cart_count_of(request.session))
    if isinstance(page, CachedPage):
        headers = _personal_headers(page, body)
        return Response(body, status_code=page.status,
                        headers={k.decode("latin-1"): v.decode("latin-1")
                                 for k, v in headers if k != b"content-length"})
    headers = {k: v for k, v in page.headers.items() if k.lower() in ("content-type",
                                                                       "location")}
    headers.update({"Cache-Control": PRIVATE_CACHE, "Vary": "Accept-Language"})
    return Response(body, status_code=page.status_code, headers=headers)


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
