"""HTML pages for accounts: sign up, verify, log in and out, passwords, language."""

from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse

from marketplace import access
from marketplace.auth import service
from marketplace.auth.deps import CurrentUser, OptionalUser
from marketplace.auth.schemas import EmailIn, LoginIn, PasswordChangeIn, PasswordResetIn, SignupIn
from marketplace.auth.service import sessions
from marketplace.cart.views import remember_count
from marketplace.core.clientip import client_ip
from marketplace.core.deps import SettingsDep
from marketplace.core.forms import FormDep, form_values, parse_form
from marketplace.core.middleware import LANG_COOKIE
from marketplace.core.templating import flash, render
from marketplace.core.urls import safe_next
from marketplace.db import SessionDep
from marketplace.errors import Gone, TooManyRequests, ValidationFailed
from marketplace.i18n import LOCALES, current_locale
from marketplace.i18n import gettext as _

router = APIRouter(tags=["pages"], include_in_schema=False)


def start_session(request: Request, session, settings, user) -> None:
    """Begin a fresh server-side session for ``user`` in this browser (a new CSRF token with
    it); the browser's previous session ends. The browser's cart (merged into the account's
    on the next cart page) and its orders are kept."""
    end_session(request, session)
    kept = {key: request.session[key] for key in ("cart", "orders") if key in request.session}
    request.session.clear()
    request.session.update(kept)
    request.session[sessions.COOKIE_KEY] = sessions.create(
        session=session, settings=settings, user=user, ip=client_ip(request),
        user_agent=request.headers.get("user-agent", ""))
    remember_count(request, session, user)  # the header's count: this cart and the account's


def end_session(request: Request, session) -> None:
    """End this browser's server-side session, if it has one."""
    raw = request.session.get(sessions.COOKIE_KEY)
    if raw and isinstance(raw, str):
        sessions.revoke_token(session=session, raw=raw)


def _redirect(url: str, lang: str | None = None) -> RedirectResponse:
    response = RedirectResponse(url, status_code=303)
    if lang:
        response.set_cookie(LANG_COOKIE, lang, max_age=365 * 24 * 3600, samesite="lax")
    return response


@router.get("/auth/signup")
def signup_form(request: Request, user: OptionalUser):
    return render(request, "auth/signup.html")


@router.post("/auth/signup")
def signup(request: Request, form: FormDep, session: SessionDep, settings: SettingsDep,
           user: OptionalUser):
    values = form_values(form)
    data = {**values, "password": form.get("password", ""),
            "locale": values.get("locale") or current_locale.get()}
    try:
        parsed = parse_form(SignupIn, data)
    except ValidationFailed as exc:
        return render(request, "auth/signup.html", {"form": values, "errors": exc.errors},
                      status_code=422)
    # The same page whether or not the address has an account (the holder gets an email).
    email = service.request_signup(session=session, settings=settings, data=parsed)
    return render(request, "auth/check_email.html", {"email": email})


@router.get("/auth/verify/{token}")
def verify(token: str, request: Request, session: SessionDep, settings: SettingsDep,
           user: OptionalUser):
    try:
        service.verify_email(session=session, settings=settings, token=token)
    except Gone as exc:
        return render(request, "auth/verify_failed.html", {"detail": exc.detail}, status_code=410)
    flash(request, _("Your email address is verified. You can log in now."), "success")
    return _redirect("/auth/login")


@router.post("/auth/verify/resend")
def resend(request: Request, session: SessionDep, settings: SettingsDep,
           email: Annotated[str, Form(max_length=254)] = ""):
    try:
        parsed = parse_form(EmailIn, {"email": email})
        service.resend_verification(session=session, settings=settings, email=parsed.email)
    except ValidationFailed:
        pass
    return render(request, "auth/check_email.html", {"email": email})


@router.get("/auth/login")
def login_form(request: Request, user: OptionalUser, next: str | None = None):  # noqa: A002
    return render(request, "auth/login.html", {"next": safe_next(next, default="")})


@router.post("/auth/login")
def login(request: Request, form: FormDep, session: SessionDep, settings: SettingsDep,
          user: OptionalUser):
    values = form_values(form)
    target = safe_next(values.get("next"), default="")
    try:
        creds = parse_form(LoginIn, {**values, "password": form.get("password", "")})
    except ValidationFailed as exc:
        return render(request, "auth/login.html",
                      {"form": values, "errors": exc.errors, "next": target}, status_code=422)
    try:
        found = service.authenticate(session=session, settings=settings, email=creds.email,
                                     password=creds.password, ip=client_ip(request))
    except TooManyRequests as exc:
        return render(request, "auth/login.html",
                      {"form": values, "next": target, "errors": {"form": exc.detail}},
                      status_code=429, headers={"Retry-After": str(exc.retry_after)})
    if found is None:
        return render(request, "auth/login.html", {
            "form": values, "next": target,
            "errors": {"form": _("The email address or password is not correct.")},
        }, status_code=401)
    if found.email_verified_at is None:
        return render(request, "auth/login.html", {
            "form": values, "next": target, "unverified": True,
            "errors": {"form": _("Please verify your email address first: "
                                 "follow the link we sent you.")},
        }, status_code=403)
    start_session(request, session, settings, found)
    lang = request.cookies.get(LANG_COOKIE) or found.locale
    return _redirect(target or landing_page(session, found),
                     lang if lang != request.cookies.get(LANG_COOKIE) else None)


def landing_page(session, user) -> str:
    """Where a log-in without a ``next`` target lands: a member of a producer group on the
    dashboard (their products, orders and Seal applications), everybody else on the home
    page."""
    return "/dashboard" if access.accessible_group_ids(session=session, user=user) else "/"


@router.post("/auth/logout")
def logout(request: Request, session: SessionDep):
    end_session(request, session)  # a copy of the cookie no longer opens the account
    request.session.clear()
    flash(request, _("You are logged out."), "info")
    return _redirect("/")


@router.get("/auth/reset")
def reset_request_form(request: Request, user: OptionalUser):
    return render(request, "auth/reset_request.html")


@router.post("/auth/reset")
def reset_request(request: Request, form: FormDep, session: SessionDep, settings: SettingsDep,
                  user: OptionalUser):
    values = form_values(form)
    try:
        parsed = parse_form(EmailIn, {"email": values.get("email", "")})
    except ValidationFailed as exc:
        return render(request, "auth/reset_request.html", {"form": values, "errors": exc.errors},
                      status_code=422)
    service.request_password_reset(session=session, settings=settings, email=parsed.email)
    return render(request, "auth/reset_sent.html", {"email": parsed.email})


@router.get("/auth/reset/{token}")
def reset_form(token: str, request: Request, session: SessionDep, settings: SettingsDep,
               user: OptionalUser):
    try:
        service.user_for_reset_token(session=session, settings=settings, token=token)
    except Gone as exc:
        return render(request, "auth/verify_failed.html", {"detail": exc.detail}, status_code=410)
    return render(request, "auth/reset_form.html", {"token": token})


@router.post("/auth/reset/{token}")
def reset(token: str, request: Request, form: FormDep, session: SessionDep, settings: SettingsDep,
          user: OptionalUser):
    try:
        parsed = parse_form(PasswordResetIn, {"new_password": form.get("new_password", "")})
        service.reset_password(session=session, settings=settings, token=token,
                               new=parsed.new_password)
    except ValidationFailed as exc:
        return render(request, "auth/reset_form.html", {"token": token, "errors": exc.errors},
                      status_code=422)
    except Gone as exc:
        return render(request, "auth/verify_failed.html", {"detail": exc.detail}, status_code=410)
    request.session.clear()  # every session of the account ended, this browser's too
    flash(request, _("Your password is changed. Log in with the new one."), "success")
    return _redirect("/auth/login")


@router.get("/account/password")
def password_form(request: Request, user: CurrentUser):
    return render(request, "account/password.html")


@router.post("/account/password")
def password_change(request: Request, form: FormDep, session: SessionDep, settings: SettingsDep,
                    user: CurrentUser):
    try:
        parsed = parse_form(PasswordChangeIn, {
            "current_password": form.get("current_password", ""),
            "new_password": form.get("new_password", ""),
        })
        service.change_password(session=session, user=user, current=parsed.current_password,
                                new=parsed.new_password)
    except ValidationFailed as exc:
        return render(request, "account/password.html", {"errors": exc.errors}, status_code=422)
    # Every session and API token ended; this browser stays signed in with a fresh session.
    start_session(request, session, settings, user)
    flash(request, _("Your password is changed."), "success")
    return _redirect("/account")


@router.get("/language")
def switch_language(
    request: Request,
    lang: Annotated[str, Query(max_length=5)] = "en",
    next: Annotated[str | None, Query(max_length=2000)] = None,  # noqa: A002
):
    """Switch language with a plain link or GET form (no JavaScript, no session needed)."""
    chosen = lang if lang in LOCALES else "en"
    return _redirect(safe_next(next), chosen)
