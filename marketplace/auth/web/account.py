"""The account page: profile, roles, preferred language, signed-in browsers, API tokens."""

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse

from marketplace.auth import service
from marketplace.auth.deps import CurrentUser
from marketplace.auth.service import sessions
from marketplace.auth.service.roles import ROLE_LABELS
from marketplace.core.deps import SettingsDep
from marketplace.core.middleware import LANG_COOKIE
from marketplace.core.templating import flash, render
from marketplace.db import SessionDep
from marketplace.i18n import LOCALES, ngettext
from marketplace.i18n import gettext as _

router = APIRouter(tags=["pages"], include_in_schema=False)


def _page(request: Request, session, user, **extra):
    tokens = service.list_api_tokens(session=session, user=user)
    roles = sorted(request.state.roles)
    this_session = getattr(request.state, "session_id", None)
    browsers = sorted(sessions.list_live(session=session, user=user),
                      key=lambda row: row.id != this_session)  # this browser first
    return render(request, "account/index.html", {
        "tokens": tokens, "roles": roles, "role_labels": ROLE_LABELS,
        "sessions": browsers, "this_session": this_session,
        "describe_agent": sessions.describe_agent, **extra,
    })


@router.get("/account")
def account(request: Request, session: SessionDep, user: CurrentUser):
    return _page(request, session, user)


@router.post("/account/language")
def account_language(request: Request, session: SessionDep, user: CurrentUser,
                     locale: Annotated[str, Form(max_length=5)]):
    chosen = locale if locale in LOCALES else "en"
    service.set_locale(session=session, user=user, locale=chosen)
    response = RedirectResponse("/account", status_code=303)
    response.set_cookie(LANG_COOKIE, chosen, max_age=365 * 24 * 3600, samesite="lax")
    return response


@router.post("/account/tokens")
def create_token(request: Request, session: SessionDep, settings: SettingsDep, user: CurrentUser,
                 name: Annotated[str, Form(max_length=80)] = "api"):
    _token, raw = service.create_api_token(
        session=session, settings=settings, user=user, name=name.strip() or "api"
    )
    return _page(request, session, user, new_token=raw)


@router.post("/account/tokens/{token_id}/revoke")
def revoke_token(token_id: int, request: Request, session: SessionDep, user: CurrentUser):
    service.revoke_api_token(session=session, user=user, token_id=token_id)
    flash(request, _("The token is revoked."), "success")
    return RedirectResponse("/account", status_code=303)


@router.post("/account/sessions/{session_id}/revoke")
def revoke_session(session_id: int, request: Request, session: SessionDep, user: CurrentUser):
    """Sign one browser out (this one too, if chosen: then the log-in page follows)."""
    sessions.revoke_one(session=session, user=user, session_id=session_id)
    flash(request, _("That browser is signed out."), "success")
    return RedirectResponse("/account", status_code=303)


@router.post("/account/sessions/revoke-others")
def revoke_other_sessions(request: Request, session: SessionDep, user: CurrentUser):
    ended = sessions.revoke_all(session=session, user=user,
                                keep_id=getattr(request.state, "session_id", None))
    flash(request, ngettext("%(num)s other browser is signed out.",
                            "%(num)s other browsers are signed out.", ended), "success")
    return RedirectResponse("/account", status_code=303)
