"""CSRF protection for HTML forms: a synchronizer token kept in the signed session, and for
the few forms on pages shared by every visitor, the browser's word on where a post comes from.

Every HTML router depends on ``verify_csrf``; a POST/PUT/PATCH/DELETE whose form field
``csrf_token`` (or header ``X-CSRF-Token``) does not match the session's token is refused.

**Forms on shared pages** (``PUBLIC_FORMS``: "Add to cart" on the product page). A page in
the shared cache (``core.page_cache``) is the same bytes for every anonymous visitor, so it
cannot carry a token tied to one visitor's session: a new visitor has no session yet. Such a
form carries ``public_token(path)``, an HMAC of its address under the secret key, the same
for everyone. It proves nothing about the visitor (anyone can read it on the page); it only
says "the public form at this address", so no other form can be posted with it. What
protects the post is what a browser says of it and a page cannot forge: ``Sec-Fetch-Site``
(Fetch Metadata, every current browser) must be ``same-origin``, or, where it is missing,
``Origin`` must be this site. A cross-site form or script gets ``cross-site`` and its own
origin, and is refused. A browser that sends neither (very old, or a proxy that strips them)
proves nothing: it is sent to the form's own page (``GET`` at the same address, with what
was chosen), whose form carries its session's token, so nothing typed is lost.
"""

import base64
import hashlib
import hmac
import secrets
from urllib.parse import urlencode, urlsplit

from fastapi import Request

from marketplace.db import SAFE_METHODS
from marketplace.errors import CsrfFailed

SESSION_KEY = "csrf"
PUBLIC_PREFIX = "public."
# Forms shown on pages shared by every visitor: only what a new visitor does first, and
# nothing that touches an account. Their own GET page shows the form with a session token.
PUBLIC_FORMS = frozenset({"/cart/add"})
RETRY_FIELDS = 10  # at most this many fields are carried to the form's own page


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


def public_token(secret_key: str, path: str) -> str:
    """The token of the public form posting to ``path`` (the same for every visitor)."""
    mac = hmac.new(secret_key.encode(), f"csrf-public-form:{path}".encode(), hashlib.sha256)
    return PUBLIC_PREFIX + base64.urlsafe_b64encode(mac.digest()[:24]).decode()


def same_origin(request: Request) -> bool | None:
    """Whether the browser says this request comes from one of this site's pages: True,
    False (another site, or an opaque origin), None when it says nothing."""
    site = request.headers.get("sec-fetch-site")
    if site is not None:
        return site in ("same-origin", "none")  # "none": the person typed or bookmarked it
    origin = request.headers.get("origin")
    if not origin:
        return None
    parts = urlsplit(origin)
    if not parts.netloc:
        return False
    if parts.netloc == request.headers.get("host") and parts.scheme == request.url.scheme:
        return True
    public = urlsplit(request.app.state.settings.base_url)  # behind a proxy rewriting Host
    return (parts.scheme, parts.netloc) == (public.scheme, public.netloc)


async def verify_csrf(request: Request) -> None:
    """Refuse an unsafe request whose CSRF token is missing or wrong."""
    if request.method in SAFE_METHODS:
        return
    expected = request.session.get(SESSION_KEY)
    sent = request.headers.get("x-csrf-token")
    form = None
    if sent is None:
        content_type = request.headers.get("content-type", "")
        if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
            form = await request.form()  # cached by Starlette; the endpoint reads it again
            value = form.get("csrf_token")
            sent = value if isinstance(value, str) else None
    if expected and sent and hmac.compare_digest(expected, sent):
        return
    path = request.url.path
    if sent and path in PUBLIC_FORMS and hmac.compare_digest(
            public_token(request.app.state.settings.secret_key, path), sent):
        said = same_origin(request)
        if said:
            return
        if said is None:
            raise CsrfFailed(retry_url=_retry_url(path, form))
    raise CsrfFailed()


def _retry_url(path: str, form) -> str:
    """The public form's own page with what was chosen (text fields, never the token)."""
    fields = [(key, value) for key, value in (form.multi_items() if form else ())
              if key != "csrf_token" and isinstance(value, str) and len(value) <= 200]
    query = urlencode(fields[:RETRY_FIELDS])
    return f"{path}?{query}" if query else path
