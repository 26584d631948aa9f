"""CSRF protection for HTML forms: a synchronizer token kept in the signed session.

Every HTML router depends on ``verify_csrf``; a POST/PUT/PATCH/DELETE whose form field
``csrf_token`` (or header ``X-CSRF-Token``) does not match the session's token is refused.
"""

import hmac
import secrets

from fastapi import Request

from marketplace.db import SAFE_METHODS
from marketplace.errors import CsrfFailed

SESSION_KEY = "csrf"


def get_token(request: Request) -> str:
    """The session's CSRF token, created on first use."""
    return token_of(request.session)


def token_of(session: dict) -> str:
    """The CSRF token kept in a decoded session, created on first use."""
    token = session.get(SESSION_KEY)
    if not token or not isinstance(token, str):
        token = secrets.token_urlsafe(32)
        session[SESSION_KEY] = token
    return token


async def verify_csrf(request: Request) -> None:
    """Refuse an unsafe request whose CSRF token is missing or wrong."""
    if request.method in SAFE_METHODS:
        return
    expected = request.session.get(SESSION_KEY)
    sent = request.headers.get("x-csrf-token")
    if sent is None:
        content_type = request.headers.get("content-type", "")
        if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
            form = await request.form()  # cached by Starlette; the endpoint reads it again
            value = form.get("csrf_token")
            sent = value if isinstance(value, str) else None
    if not expected or not sent or not hmac.compare_digest(expected, sent):
        raise CsrfFailed()
