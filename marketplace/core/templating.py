"""Jinja2 environment (gettext, money and date filters) and the ``render`` helper."""

from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup, escape

from marketplace import i18n
from marketplace.config import BASE_DIR
from marketplace.core import csrf
from marketplace.core.static import static_url

TEMPLATE_DIR = BASE_DIR / "templates"


@cache
def environment(template_dir: Path = TEMPLATE_DIR) -> Environment:
    """The one Jinja environment; translations follow the request's locale."""
    env = Environment(
        loader=FileSystemLoader(str(template_dir)),
        autoescape=select_autoescape(["html", "xml"]),
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,
    )
    env.install_gettext_callables(  # type: ignore[attr-defined]
        lambda message: i18n.translations(i18n.current_locale.get()).gettext(message),
        lambda s, p, n: i18n.translations(i18n.current_locale.get()).ngettext(s, p, n),
        newstyle=True,
    )
    env.filters.update(
        usd=i18n.format_usd,
        khr=i18n.format_khr,
        datetime=i18n.format_datetime,
        date=i18n.format_date,
        number=i18n.format_number,
    )
    env.globals.update(
        static=static_url,
        LANGUAGE_NAMES=i18n.LANGUAGE_NAMES,
        current_locale=i18n.current_locale.get,
        localized=i18n.localized,
        in_language=i18n.localized_text,
    )
    return env


def compile_all() -> None:
    """Compile every template now (about half a second). Jinja compiles a template on first
    use and does not lock: the first 32 visitors of a new worker would each compile the
    same pages at once, for seconds and hundreds of megabytes."""
    env = environment()
    for name in env.list_templates(extensions=["html"]):
        env.get_template(name)


def csrf_input(request: Request) -> Markup:
    """The hidden CSRF field every state-changing form carries."""
    if getattr(request.state, "personal_marks", False):
        return _CSRF_FIELD_MARK
    return _csrf_field(csrf.get_token(request))


def public_csrf_input(request: Request, path: str) -> Markup:
    """The hidden field of a form on a page shared by every visitor (``csrf.PUBLIC_FORMS``):
    the same for everyone, so a cached page can carry it."""
    return _csrf_field(csrf.public_token(request.app.state.settings.secret_key, path))


def _csrf_field(token: str) -> Markup:
    return Markup('<input type="hidden" name="csrf_token" value="%s">') % escape(token)


# --- one page for every signed-in visitor, with marks where the personal parts go --------

# Marks are whole tags: escaped content (a title, a query echoed in a link) cannot contain
# "<", so it can never produce one.
_CSRF_FIELD_MARK = Markup('<input type="hidden" name="csrf_token" data-personal-mark>')


@dataclass(frozen=True)
class PersonalMarks:
    account: Markup = Markup("<!--personal:account-->")
    flashes: Markup = Markup("<!--personal:flashes-->")
    cart: Markup = Markup("<!--personal:cart-->")


# The header's cart count: the pieces in this browser's cart, kept in its signed session by
# the cart pages (cart.views.remember_count) whenever they change or show the cart, so a
# page from the shared cache is given it without a query. No session cookie, no cart.
CART_COUNT_KEY = "cart_count"
MAX_CART_COUNT = 9999


MARKS = PersonalMarks()


@lru_cache(maxsize=64)
def _account_links(locale: str, signed_in: bool, roles: frozenset[str]) -> bytes:
    """The header's account links for this kind of visitor (the CSRF token still a mark)."""
    module = environment().get_template("partials/account.html").module
    return str(module.account_links(signed_in, roles, lambda: _CSRF_FIELD_MARK)).encode()


def cart_count_of(session: dict | None) -> int:
    """The pieces in the cart, as the session remembers them (0 when it does not)."""
    count = session.get(CART_COUNT_KEY) if isinstance(session, dict) else None
    return count if isinstance(count, int) and 0 < count <= MAX_CART_COUNT else 0


@lru_cache(maxsize=256)
def _cart_count(locale: str, count: int) -> bytes:
    module = environment().get_template("partials/account.html").module
    return str(module.cart_count(count)).encode()


def personalize(body: bytes, *, signed_in: bool, roles: frozenset[str], csrf_token: str,
                flashes: list, cart_count: int = 0) -> bytes:
    """A page rendered with ``MARKS`` (``render`` with ``request.state.personal_marks``),
    made this visitor's: their account links, cart count, flash messages and CSRF token."""
    locale = i18n.current_locale.get()
    links = _account_links(locale, signed_in, roles)
    shown = b""
    if flashes:
        module = environment().get_template("partials/account.html").module
        shown = str(module.flash_messages(flashes)).encode()
    return (body.replace(MARKS.account.encode(), links, 1)
            .replace(MARKS.cart.encode(), _cart_count(locale, cart_count), 1)
            .replace(MARKS.flashes.encode(), shown, 1)
            .replace(str(_CSRF_FIELD_MARK).encode(), str(_csrf_field(csrf_token)).encode()))


def render(
    request: Request,
    name: str,
    context: dict | None = None,
    *,
    status_code: int = 200,
    headers: dict | None = None,
) -> HTMLResponse:
    """Render ``templates/name`` with the request, current user and flash messages."""
    marks = getattr(request.state, "personal_marks", False)
    ctx = {
        "request": request,
        "user": getattr(request.state, "user", None),
        "lang": i18n.current_locale.get(),
        "csrf_input": lambda: csrf_input(request),
        "public_csrf_input": lambda path: public_csrf_input(request, path),
        "flashes": [] if marks else pop_flashes(request),
        "cart_count": 0 if marks or "session" not in request.scope
        else cart_count_of(request.session),
        "personal_marks": MARKS if marks else None,
        "errors": {},
        "form": {},
    }
    if context:
        ctx.update(context)
    html = environment().get_template(name).render(ctx)
    return HTMLResponse(html, status_code=status_code, headers=headers)


def flash(request: Request, message: str, category: str = "info") -> None:
    """Show ``message`` on the next page this browser renders."""
    request.session.setdefault("flash", []).append([category, message])
    request.session["flash"] = request.session["flash"]


def pop_flashes(request: Request) -> list:
    if "session" not in request.scope or "flash" not in request.session:
        return []
    return request.session.pop("flash")


def khr(request: Request):
    """Cents to riel at the configured rate, for templates: ``to_khr(cents)|khr``."""
    from marketplace.i18n import usd_to_khr

    rate = request.app.state.settings.khr_per_usd
    return lambda cents: usd_to_khr(cents, rate)
