"""Jinja2 environment (gettext, money and date filters) and the ``render`` helper."""

from functools import cache
from pathlib import Path

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup, escape

from marketplace import i18n
from marketplace.config import BASE_DIR
from marketplace.core import csrf

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
        LANGUAGE_NAMES=i18n.LANGUAGE_NAMES,
        current_locale=i18n.current_locale.get,
    )
    return env


def csrf_input(request: Request) -> Markup:
    """The hidden CSRF field every state-changing form carries."""
    token = csrf.get_token(request)
    return Markup('<input type="hidden" name="csrf_token" value="%s">') % escape(token)


def render(
    request: Request,
    name: str,
    context: dict | None = None,
    *,
    status_code: int = 200,
    headers: dict | None = None,
) -> HTMLResponse:
    """Render ``templates/name`` with the request, current user and flash messages."""
    ctx = {
        "request": request,
        "user": getattr(request.state, "user", None),
        "lang": i18n.current_locale.get(),
        "csrf_input": lambda: csrf_input(request),
        "flashes": pop_flashes(request),
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
