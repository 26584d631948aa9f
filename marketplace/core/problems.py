"""Error rendering: RFC 9457 problem+json under /api, friendly translated pages elsewhere."""

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from marketplace import errors
from marketplace.i18n import gettext as _

log = logging.getLogger("marketplace.errors")
PROBLEM_TYPE = "https://crafts.example/problems/"
API_PREFIX = "/api/"


class ProblemResponse(JSONResponse):
    media_type = "application/problem+json"


def is_api(path: str) -> bool:
    return path.startswith(API_PREFIX)


def problem(
    status: int,
    title: str,
    detail: str,
    *,
    slug: str,
    instance: str | None = None,
    headers: dict | None = None,
    **extra,
) -> ProblemResponse:
    """An RFC 9457 problem document."""
    body = {"type": PROBLEM_TYPE + slug, "title": title, "status": status, "detail": detail}
    if instance:
        body["instance"] = instance
    body.update({k: v for k, v in extra.items() if v is not None})
    return ProblemResponse(body, status_code=status, headers=headers)


def _status_title(status: int) -> str:
    titles = {
        400: _("Bad request"),
        401: _("Please log in"),
        403: _("Not allowed"),
        404: _("Page not found"),
        405: _("Method not allowed"),
        409: _("Conflict"),
        410: _("Link expired"),
        413: _("Too large"),
        415: _("Unsupported type"),
        422: _("Invalid input"),
        429: _("Too many attempts"),
        500: _("Something went wrong"),
        503: _("Busy, try again"),
    }
    return titles.get(status, _("Error"))


def _html_error(request: Request, status: int, detail: str, headers: dict | None = None):
    from marketplace.core.templating import render

    return render(
        request,
        "errors/error.html",
        {"status": status, "title": _status_title(status), "detail": detail},
        status_code=status,
        headers=headers,
    )


async def marketplace_error_handler(request: Request, exc: errors.MarketplaceError) -> Response:
    headers = None
    if isinstance(exc, errors.TooManyRequests):
        headers = {"Retry-After": str(exc.retry_after)}
    if isinstance(exc, errors.NotAuthenticated) and is_api(request.url.path):
        headers = {"WWW-Authenticate": "Bearer"}
    if is_api(request.url.path):
        field_errors = None
        if isinstance(exc, errors.ValidationFailed):
            field_errors = [{"field": k, "message": v} for k, v in exc.errors.items()]
        return problem(
            exc.status_code,
            _status_title(exc.status_code),
            exc.detail,
            slug=exc.slug,
            instance=request.url.path,
            headers=headers,
            errors=field_errors,
            **exc.extra,
        )
    if isinstance(exc, errors.NotAuthenticated):
        from urllib.parse import quote

        from fastapi.responses import RedirectResponse

        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/auth/login?next={quote(target)}", status_code=303)
    if isinstance(exc, errors.CsrfFailed) and exc.retry_url:
        from fastapi.responses import RedirectResponse

        return RedirectResponse(exc.retry_url, status_code=303)
    return _html_error(request, exc.status_code, exc.detail, headers)


async def http_error_handler(request: Request, exc: StarletteHTTPException) -> Response:
    detail = exc.detail if isinstance(exc.detail, str) else _status_title(exc.status_code)
    headers = getattr(exc, "headers", None)
    if exc.status_code == 404:
        detail = _("We could not find that page.")
    elif exc.status_code == 405:
        detail = _("This address does not accept that kind of request.")
        # Starlette names only the methods of the first route matching the path, while
        # FastAPI makes one route per method: list them all.
        from marketplace.core.openapi import allowed_methods

        methods = allowed_methods(request.app.routes, request.url.path)
        headers = {**(headers or {}), "Allow": ", ".join(sorted(methods))}
    if is_api(request.url.path):
        return problem(
            exc.status_code,
            _status_title(exc.status_code),
            detail,
            slug=f"http-{exc.status_code}",
            instance=request.url.path,
            headers=headers,
        )
    return _html_error(request, exc.status_code, detail, headers)


def _field_name(loc: tuple) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header", "cookie")]
    return ".".join(parts) or "body"


def _malformed_body(exc: RequestValidationError) -> bool:
    """The body could not be decoded at all (not JSON), as opposed to decoded but invalid."""
    return any(err.get("type") == "json_invalid" for err in exc.errors())


async def validation_error_handler(request: Request, exc: RequestValidationError) -> Response:
    if _malformed_body(exc):
        detail = _("The request body is not valid JSON.")
        if is_api(request.url.path):
            return problem(400, _status_title(400), detail, slug="malformed-body",
                           instance=request.url.path)
        return _html_error(request, 400, detail)
    field_errors = [
        {"field": _field_name(tuple(err.get("loc", ()))), "message": err.get("msg", "")}
        for err in exc.errors()
    ]
    detail = _("Some fields need your attention.")
    if is_api(request.url.path):
        return problem(
            422,
            _status_title(422),
            detail,
            slug="validation-failed",
            instance=request.url.path,
            errors=field_errors,
        )
    return _html_error(request, 400, detail)


def internal_error_response(path: str, request_id: str) -> Response:
    """The last-resort 500: the request id to quote, never a traceback."""
    detail = _("An unexpected error happened. If you contact us, quote this reference: %(id)s")
    detail = detail % {"id": request_id}
    if is_api(path):
        return problem(
            500, _status_title(500), detail, slug="internal-error", request_id=request_id
        )
    from marketplace.core.templating import environment

    try:
        html = (
            environment()
            .get_template("errors/500.html")
            .render(request_id=request_id, detail=detail, title=_status_title(500))
        )
    except Exception:  # noqa: BLE001 - the error page itself must never fail
        log.exception("error page failed")
        html = f"<!doctype html><title>Error</title><p>Error. Reference: {request_id}</p>"
    return HTMLResponse(html, status_code=500)


async def unstorable_input_handler(request: Request, exc: Exception) -> Response:
    """A number too large for the database, or text it refuses (a NUL character on
    PostgreSQL): the request is malformed, not a server fault."""
    log.info("refused unstorable input on %s: %s", request.url.path, type(exc).__name__)
    detail = _("Some of what you sent cannot be used: a number is too large or the text "
               "contains an invalid character.")
    if is_api(request.url.path):
        return problem(422, _status_title(422), detail, slug="unstorable-input",
                       instance=request.url.path)
    return _html_error(request, 400, detail)


BUSY_RETRY_SECONDS = 2


async def database_busy_handler(request: Request, exc: Exception) -> Response:
    """A lock or statement timeout, a locked SQLite file, no free connection: the request
    waited as long as it may. Nothing was saved (the transaction rolled back); say so and
    ask for a retry instead of hanging or answering 500."""
    log.warning("database busy on %s: %s", request.url.path, str(exc).splitlines()[0][:200])
    detail = _("The marketplace is very busy right now and nothing was saved. Please try "
               "again in a moment.")
    headers = {"Retry-After": str(BUSY_RETRY_SECONDS)}
    if is_api(request.url.path):
        return problem(503, _status_title(503), detail, slug="busy", instance=request.url.path,
                       headers=headers)
    return _html_error(request, 503, detail, headers)


def install(app: FastAPI) -> None:
    """Register the handlers on ``app``."""
    from sqlalchemy.exc import DataError, OperationalError
    from sqlalchemy.exc import TimeoutError as PoolTimeout

    app.add_exception_handler(OperationalError, database_busy_handler)
    app.add_exception_handler(PoolTimeout, database_busy_handler)
    app.add_exception_handler(OverflowError, unstorable_input_handler)
    app.add_exception_handler(DataError, unstorable_input_handler)
    app.add_exception_handler(errors.MarketplaceError, marketplace_error_handler)
    app.add_exception_handler(StarletteHTTPException, http_error_handler)
    app.add_exception_handler(RequestValidationError, validation_error_handler)
