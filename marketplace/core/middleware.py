"""One pure-ASGI middleware for what every request needs: a request id, the locale,
security headers, a structured access log, and a last-resort 500 that shows only the id."""

import json
import logging
import re
import time
import uuid
from http.cookies import SimpleCookie

from marketplace import i18n

log = logging.getLogger("marketplace.request")
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
LANG_COOKIE = "lang"


PAY_PAGE = re.compile(r"^/(orders/[^/]+|business/purchase-orders/[0-9]+)/pay$")  # card pages: Stripe.js


def _csp(path: str, payment_sources: dict[str, tuple[str, ...]] | None = None) -> str:
    if path == "/docs":  # Swagger UI starts itself with an inline script
        return (
            "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
            "script-src 'self' 'unsafe-inline'; frame-ancestors 'none'"
        )
    if payment_sources and PAY_PAGE.match(path):
        def sources(kind: str) -> str:
            return "".join(" " + origin for origin in payment_sources.get(kind, ()))

        return (
            "default-src 'self'; img-src 'self' data:; style-src 'self'; "
            f"script-src 'self'{sources('script')}; connect-src 'self'{sources('connect')}; "
            f"frame-src 'self'{sources('frame')}; "
            "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
        )
    return (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
    )


class RequestContextMiddleware:
    def __init__(self, app, *, https: bool = False, default_locale: str = "en",
                 payment_sources: dict[str, tuple[str, ...]] | None = None) -> None:
        self.app = app
        self.https = https
        self.default_locale = default_locale
        self.payment_sources = payment_sources  # Stripe.js origins, for the card page only

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        incoming = headers.get("x-request-id", "")
        request_id = incoming if _REQUEST_ID.match(incoming) else uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id
        locale = self._locale(headers)
        token = i18n.current_locale.set(locale)
        started = time.perf_counter()
        status = {"code": 500, "started": False}
        path = scope["path"]
        extra = self._security_headers(path) + [
            (b"x-request-id", request_id.encode()),
            (b"content-language", locale.encode()),
        ]

        async def send_wrapper(message):
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
                status["started"] = True
                existing = {k.lower() for k, _ in message.get("headers", [])}
                message["headers"] = list(message.get("headers", [])) + [
                    (k, v) for k, v in extra if k not in existing
                ]
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        except Exception:
            log.exception("unhandled error", extra={"request_id": request_id, "path": path})
            if not status["started"]:
                from marketplace.core.problems import internal_error_response

                response = internal_error_response(path, request_id)
                await response(scope, receive, send_wrapper)
        finally:
            i18n.current_locale.reset(token)
            duration_ms = round((time.perf_counter() - started) * 1000, 2)
            log.info(
                json.dumps(
                    {
                        "event": "request",
                        "method": scope["method"],
                        "path": path,
                        "status": status["code"],
                        "duration_ms": duration_ms,
                        "request_id": request_id,
                    }
                )
            )

    def _locale(self, headers: dict[str, str]) -> str:
        cookie_header = headers.get("cookie")
        if cookie_header and LANG_COOKIE + "=" in cookie_header:
            cookie = SimpleCookie()
            try:
                cookie.load(cookie_header)
            except Exception:  # noqa: BLE001 - a malformed cookie falls back to the header
                cookie = SimpleCookie()
            morsel = cookie.get(LANG_COOKIE)
            if morsel and morsel.value in i18n.LOCALES:
                return morsel.value
        return i18n.negotiate(headers.get("accept-language"), self.default_locale)

    def _security_headers(self, path: str) -> list[tuple[bytes, bytes]]:
        headers = [
            (b"content-security-policy", _csp(path, self.payment_sources).encode()),
            (b"x-content-type-options", b"nosniff"),
            (b"referrer-policy", b"strict-origin-when-cross-origin"),
            (b"x-frame-options", b"DENY"),
            (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
        ]
        if self.https:
            headers.append((b"strict-transport-security", b"max-age=63072000; includeSubDomains"))
        return headers
