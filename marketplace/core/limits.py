"""Bad input is refused before it costs anything.

One pure-ASGI middleware, inside the session middleware and before routing, so before
authentication, form or JSON parsing and any database work:

- a body over the limit is a 413: ``max_upload_bytes`` for the photo upload routes,
  ``max_body_bytes`` for everything else. A declared ``Content-Length`` over the limit is
  answered at once; bodies without one (chunked) are counted as they stream in;
- a NUL character is a 422 naming the field, wherever it is: the path, the query string, a
  JSON body (a ``\\u0000`` escape), a urlencoded form (``%00``) or a text field of a
  multipart form (file contents may hold any bytes). PostgreSQL refuses NUL in text and
  SQLite cuts strings at it: nothing with a NUL reaches a service.

The photo limits (pixels, decode budget) travel with the app's media store
(``media.storage.ImageLimits``), checked when a photo is decoded.
Errors render like every other: problem+json under /api, the translated page elsewhere.
"""

import json
import re
from urllib.parse import parse_qsl

from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.exceptions import HTTPException
from starlette.requests import Request

from marketplace.core import problems
from marketplace.errors import MarketplaceError, ValidationFailed
from marketplace.i18n import gettext as _

MEGABYTE = 1024 * 1024
# POST routes that receive a photo: they get the upload limit.
UPLOAD_ROUTES = tuple(re.compile(pattern) for pattern in (
    r"/api/v1/products/[^/]+/images",
    r"/api/v1/certifications/applications/[^/]+/photos",
    r"/dashboard/products/[^/]+/photos",
    r"/dashboard/seal/[^/]+/photos",
    r"/api/v1/businesses/[^/]+/documents",
    r"/business/documents",
))


class ContentTooLarge(MarketplaceError):
    status_code = 413
    slug = "content-too-large"

    def __init__(self, limit: int) -> None:
        size = f"{limit / MEGABYTE:.3g}"
        super().__init__(_("The request is larger than %(size)s MB, the most accepted here.",
                           size=size), max_bytes=limit)


def nul_refused(field: str) -> ValidationFailed:
    return ValidationFailed(
        {field or "body": _("Remove the invalid NUL character from this text.")},
        _("What you sent contains a NUL character, which is not allowed."))


class InputRefused(HTTPException):
    """Raised while the body streams in: an HTTPException, so the body readers of Starlette
    and FastAPI let it through unchanged; rendered as the error it carries."""

    def __init__(self, error: MarketplaceError) -> None:
        super().__init__(error.status_code, error.detail)
        self.error = error


async def input_refused_handler(request: Request, exc: InputRefused):
    return await problems.marketplace_error_handler(request, exc.error)


def is_upload_route(method: str, path: str) -> bool:
    return method == "POST" and any(route.fullmatch(path) for route in UPLOAD_ROUTES)


def _nul_in_pairs(text: str) -> str | None:
    """The field of the first ``key=value`` pair (query string, urlencoded form) with a
    NUL character, or None."""
    for key, value in parse_qsl(text, keep_blank_values=True):
        if "\x00" in key or "\x00" in value:
            return key.replace("\x00", "") or "form"
    return None


def _nul_in_url(scope) -> str | None:
    if "\x00" in scope["path"]:
        return "path"
    query = scope.get("query_string", b"")
    if b"%00" in query or b"\x00" in query:
        return _nul_in_pairs(query.decode("latin-1"))
    return None


def _nul_path(document) -> tuple | None:
    """The path (keys and indexes) to the first text holding a NUL, or None. Iterative: a
    deeply nested document cannot exhaust the stack."""
    stack = [((), document)]
    while stack:
        path, value = stack.pop()
        if isinstance(value, str):
            if "\x00" in value:
                return path
            continue
        items = value.items() if isinstance(value, dict) else \
            enumerate(value) if isinstance(value, list) else ()
        children = []
        for key, item in items:
            if isinstance(key, str) and "\x00" in key:
                return (*path, key.replace("\x00", ""))
            children.append(((*path, key), item))
        stack.extend(reversed(children))
    return None


def _is_utf8(body: bytes) -> bool:
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _nul_in_json(body: bytes) -> str | None:
    # A UTF-8 body can only hold a NUL as the escape \u0000. A body with NUL bytes (or not
    # UTF-8 at all) may be UTF-16 or UTF-32, which the JSON parser also reads: parse it.
    if b"\\u0000" not in body and b"\x00" not in body and _is_utf8(body):
        return None
    try:
        found = _nul_path(json.loads(body))
    except (ValueError, RecursionError):
        return None  # not JSON, or nested too deep: the route answers 400
    return None if found is None else ".".join(str(part) for part in found) or "body"


def _nul_in_form(body: bytes) -> str | None:
    if b"%00" not in body and b"\x00" not in body:
        return None
    return _nul_in_pairs(body.decode("latin-1"))


class _TextPartScanner:
    """Follows a multipart body as it streams in and notes a NUL character in a text field
    (a part without a file name). A malformed body is left to Starlette's own parser."""

    def __init__(self, boundary: bytes) -> None:
        self.found: str | None = None
        self.broken = False
        self._header, self._value = b"", b""
        self._disposition = b""
        self._text_field: str | None = None
        self.parser = MultipartParser(boundary, {
            "on_part_begin": self._part_begin,
            "on_header_field": self._header_field,
            "on_header_value": self._header_value,
            "on_header_end": self._header_end,
            "on_headers_finished": self._headers_finished,
            "on_part_data": self._part_data,
        })

    def _part_begin(self) -> None:
        self._disposition, self._text_field = b"", None

    def _header_field(self, data: bytes, start: int, end: int) -> None:
        self._header += data[start:end]

    def _header_value(self, data: bytes, start: int, end: int) -> None:
        self._value += data[start:end]

    def _header_end(self) -> None:
        if self._header.lower() == b"content-disposition":
            self._disposition = self._value
        self._header, self._value = b"", b""

    def _headers_finished(self) -> None:
        _, params = parse_options_header(self._disposition)
        if b"filename" not in params:
            self._text_field = params.get(b"name", b"").decode("utf-8", "replace")

    def _part_data(self, data: bytes, start: int, end: int) -> None:
        if self._text_field is not None and self.found is None and b"\x00" in data[start:end]:
            self.found = self._text_field.replace("\x00", "") or "form"

    def feed(self, chunk: bytes) -> None:
        if self.broken or not chunk:
            return
        try:
            self.parser.write(chunk)
        except Exception:  # noqa: BLE001 - malformed: Starlette answers 400 for it
            self.broken = True
        if self.found is not None:
            raise InputRefused(nul_refused(self.found))


class _CountedReceive:
    """``receive`` that refuses a body growing past ``limit`` bytes and scans multipart
    text fields for NUL characters as they arrive."""

    def __init__(self, receive, limit: int, scanner: _TextPartScanner | None) -> None:
        self.receive, self.limit, self.scanner, self.total = receive, limit, scanner, 0

    async def __call__(self):
        message = await self.receive()
        if message["type"] == "http.request":
            chunk = message.get("body", b"")
            self.total += len(chunk)
            if self.total > self.limit:
                raise InputRefused(ContentTooLarge(self.limit))
            if self.scanner is not None:
                self.scanner.feed(chunk)
        return message


def _replay(messages: list, receive):
    pending = list(messages)

    async def replayed():
        return pending.pop(0) if pending else await receive()

    return replayed


def _header(scope, name: bytes) -> bytes | None:
    for key, value in scope["headers"]:
        if key.lower() == name:
            return value
    return None


def _content_length(scope) -> int | None:
    value = _header(scope, b"content-length")
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


class InputLimitsMiddleware:
    def __init__(self, app, *, max_body_bytes: int, max_upload_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.max_upload_bytes = max_upload_bytes

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        await self._guarded(scope, receive, send)

    async def _guarded(self, scope, receive, send) -> None:
        field = _nul_in_url(scope)
        if field is not None:
            await _respond(scope, receive, send, nul_refused(field))
            return
        limit = self.max_upload_bytes if is_upload_route(scope["method"], scope["path"]) \
            else self.max_body_bytes
        length = _content_length(scope)
        if length is not None and length > limit:
            await _respond(scope, receive, send, ContentTooLarge(limit))
            return
        content_type, params = parse_options_header(_header(scope, b"content-type") or b"")
        is_json = content_type == b"application/json" or (
            content_type.startswith(b"application/") and content_type.endswith(b"+json"))
        if is_json or content_type == b"application/x-www-form-urlencoded":
            messages, body = await _read_body(receive, limit)
            if messages is None:
                await _respond(scope, receive, send, ContentTooLarge(limit))
                return
            field = _nul_in_json(body) if is_json else _nul_in_form(body)
            if field is not None:
                await _respond(scope, receive, send, nul_refused(field))
                return
            receive = _replay(messages, receive)
        else:
            boundary = params.get(b"boundary") if content_type == b"multipart/form-data" \
                else None
            receive = _CountedReceive(receive, limit, boundary and _TextPartScanner(boundary))
        started = False

        async def watched_send(message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, watched_send)
        except InputRefused as exc:  # raised where no exception handler saw it
            if started:
                raise
            await _respond(scope, receive, send, exc.error)


async def _read_body(receive, limit: int) -> tuple[list | None, bytes]:
    """Every message of a small body (None when it grows past ``limit``) and its bytes."""
    messages, chunks, total = [], [], 0
    while True:
        message = await receive()
        messages.append(message)
        if message["type"] != "http.request":
            break  # the client left; the app sees that too
        chunk = message.get("body", b"")
        total += len(chunk)
        if total > limit:
            return None, b""
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return messages, b"".join(chunks)


async def _respond(scope, receive, send, error: MarketplaceError) -> None:
    response = await problems.marketplace_error_handler(Request(scope, receive), error)
    await response(scope, receive, send)


def install(app, settings) -> None:
    """Add the middleware (call before the session middleware is added, so it runs inside
    it: the HTML error page needs the session) and the handler for refusals mid-body."""
    app.add_middleware(
        InputLimitsMiddleware,
        max_body_bytes=settings.max_body_bytes,
        max_upload_bytes=settings.max_upload_bytes,
    )
    app.add_exception_handler(InputRefused, input_refused_handler)
