"""Account rules: sign-up, verification, log-in with throttling, passwords, API tokens."""

from datetime import timedelta

from sqlalchemy import or_, update
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlmodel import Session, select

from marketplace.auth.schemas import SignupIn
from marketplace.auth.service import sessions, throttle
from marketplace.config import Settings
from marketplace.core import security
from marketplace.errors import EmailTaken, Gone, NotFound, ValidationFailed
from marketplace.i18n import gettext as _
from marketplace.models import ApiToken, User, UserRole, utcnow
from marketplace.notifications.service import queue_email

VERIFY_PURPOSE = "verify-email"
RESET_PURPOSE = "password-reset"


def normalize_email(email: str) -> str:
    return email.strip().lower()


def get_by_email(*, session: Session, email: str) -> User | None:
    """The user with this email, case-insensitively."""
    return session.exec(select(User).where(User.email == normalize_email(email))).first()


def roles_of(*, session: Session, user: User) -> set[str]:
    """Every role the user holds (``buyer`` always)."""
    rows = session.exec(select(UserRole.role).where(UserRole.user_id == user.id))
    return {"buyer", *rows}


def signup(*, session: Session, settings: Settings, data: SignupIn) -> User:
    """Create an account and queue the verification email (EmailTaken if it exists)."""
    email = normalize_email(data.email)
    if get_by_email(session=session, email=email):
        raise EmailTaken()
    user = User(
        email=email,
        full_name=data.full_name,
        password_hash=security.hash_password(data.password),
        locale=data.locale,
    )
    try:
        with session.begin_nested():  # added inside: a lost race leaves the session usable
            session.add(user)
            session.flush()
    except IntegrityError as exc:  # two sign-ups racing for one address
        raise EmailTaken() from exc
    send_verification(session=session, settings=settings, user=user)
    return user


def request_signup(*, session: Session, settings: Settings, data: SignupIn) -> str:
    """Sign-up as the public sees it: it never tells whether the address has an account.

    A new address gets an account and the verification email; the holder of an existing
    account is emailed that someone tried to sign up, with links to log in and to choose a
    new password. Returns the normalised address, the same either way.
    """
    email = normalize_email(data.email)
    existing = get_by_email(session=session, email=email)
    if existing is None:
        try:
            return signup(session=session, settings=settings, data=data).email
        except EmailTaken:  # a concurrent sign-up won
            existing = get_by_email(session=session, email=email)
    else:
        security.hash_password(data.password)  # the same work (and time) as a real sign-up
    if existing is not None and existing.is_active:
        queue_email(
            session=session,
            to=existing.email,
            template="signup_existing",
            context={
                "user": existing,
                "login_url": f"{settings.base_url}/auth/login",
                "reset_url": _reset_url(settings, existing),
                "minutes": settings.password_reset_max_age // 60,
            },
            locale=existing.locale,
        )
    return email


def send_verification(*, session: Session, settings: Settings, user: User) -> None:
    """Queue an email with a link that verifies the address."""
    token = security.sign(settings.secret_key, VERIFY_PURPOSE, {"uid": user.id, "e": user.email})
    queue_email(
        session=session,
        to=user.email,
        template="verify_email",
        context={"user": user, "url": f"{settings.base_url}/auth/verify/{token}"},
        locale=user.locale,
    )


def resend_verification(*, session: Session, settings: Settings, email: str) -> None:
    """Send the link again to an unverified account; silent for unknown addresses."""
    user = get_by_email(session=session, email=email)
    if user and user.email_verified_at is None:
        send_verification(session=session, settings=settings, user=user)


def verify_email(*, session: Session, settings: Settings, token: str) -> User:
    """Mark the address verified; an expired, altered or stale link is Gone."""
    try:
        payload = security.unsign(
            settings.secret_key, VERIFY_PURPOSE, token, settings.email_token_max_age
        )
    except (security.TokenExpired, security.TokenInvalid) as exc:
        raise Gone(_("This verification link has expired or is not valid.")) from exc
    user = session.get(User, payload.get("uid"))
    if user is None or user.email != payload.get("e"):
        raise Gone(_("This verification link has expired or is not valid."))
    if user.email_verified_at is None:
        user.email_verified_at = utcnow()
        session.add(user)
    return user


def authenticate(
    *, session: Session, settings: Settings, email: str, password: str, ip: str
) -> User | None:
    """The user for these credentials, or None (the failure is recorded for throttling).

    Returns instead of raising so the request still commits the recorded failure; raises
    TooManyRequests while this client must wait (see ``throttle``).
    """
    throttle.check(session=session, settings=settings, email=email, ip=ip)
    user = get_by_email(session=session, email=email)
    if user is None:
        security.verify_password(security.dummy_hash(), password)  # same cost as a real check
    elif user.is_active and security.verify_password(user.password_hash, password):
        if security.needs_rehash(user.password_hash):
            user.password_hash = security.hash_password(password)
            session.add(user)
        throttle.forget_failures(session=session, email=email, ip=ip)
        return user
    throttle.record_failure(session=session, email=email, ip=ip)
    return None


def end_all_access(*, session: Session, user: User) -> None:
    """Sign the account out everywhere: every browser session and every API token end.
    (Also what deactivating an account should call.)"""
    sessions.revoke_all(session=session, user=user)
    session.execute(
        update(ApiToken)
        .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=utcnow())
        .execution_options(synchronize_session=False)
    )


def change_password(*, session: Session, user: User, current: str, new: str) -> User:
    """Set a new password after checking the current one. Every session and API token of
    the account ends (the caller starts a fresh session for the browser that changed it)."""
    if not security.verify_password(user.password_hash, current):
        raise ValidationFailed({"current_password": _("The current password is not correct.")})
    user.password_hash = security.hash_password(new)
    session.add(user)
    end_all_access(session=session, user=user)
    return user


def _reset_fingerprint(user: User) -> str:
    return security.digest(user.password_hash)[:16]


def _reset_url(settings: Settings, user: User) -> str:
    """A one-time link that sets a new password (it stops working once the password changes)."""
    token = security.sign(
        settings.secret_key, RESET_PURPOSE, {"uid": user.id, "fp": _reset_fingerprint(user)}
    )
    return f"{settings.base_url}/auth/reset/{token}"


def request_password_reset(*, session: Session, settings: Settings, email: str) -> None:
    """Email a one-time reset link if the account exists (the answer is the same either way)."""
    user = get_by_email(session=session, email=email)
    if user is None or not user.is_active:
        return
    queue_email(
        session=session,
        to=user.email,
        template="password_reset",
        context={
            "user": user,
            "url": _reset_url(settings, user),
            "minutes": settings.password_reset_max_age // 60,
        },
        locale=user.locale,
    )


def user_for_reset_token(*, session: Session, settings: Settings, token: str) -> User:
    """The user a reset link belongs to; Gone once expired or used (the password changed)."""
    try:
        payload = security.unsign(
            settings.secret_key, RESET_PURPOSE, token, settings.password_reset_max_age
        )
    except (security.TokenExpired, security.TokenInvalid) as exc:
        raise Gone(_("This password reset link has expired or was already used.")) from exc
    user = session.get(User, payload.get("uid"))
    if user is None or payload.get("fp") != _reset_fingerprint(user):
        raise Gone(_("This password reset link has expired or was already used."))
    return user


def reset_password(*, session: Session, settings: Settings, token: str, new: str) -> User:
    """Set the password from a reset link; the link stops working, and every session and
    API token of the account ends."""
    user = user_for_reset_token(session=session, settings=settings, token=token)
    user.password_hash = security.hash_password(new)
    if user.email_verified_at is None:
        user.email_verified_at = utcnow()  # the link proved the address
    session.add(user)
    end_all_access(session=session, user=user)
    return user


def set_locale(*, session: Session, user: User, locale: str) -> None:
    """Remember the user's language (emails are written in it)."""
    if locale in ("en", "km") and user.locale != locale:
        user.locale = locale
        session.add(user)


def create_api_token(
    *, session: Session, settings: Settings, user: User, name: str = "api"
) -> tuple[ApiToken, str]:
    """A new bearer token; the raw value is returned once and only its hash is kept."""
    raw = security.new_api_token()
    token = ApiToken(
        user_id=user.id,
        name=(name or "api")[:80],
        token_hash=security.digest(raw),
        prefix=raw[:12],
        expires_at=utcnow() + timedelta(days=settings.api_token_days),
    )
    session.add(token)
    session.flush()
    return token, raw


def list_api_tokens(*, session: Session, user: User) -> list[ApiToken]:
    """The user's own tokens, newest first."""
    return list(
        session.exec(
            select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.id.desc())
        )
    )


def revoke_api_token(*, session: Session, user: User, token_id: int) -> ApiToken:
    """Revoke one of the user's own tokens (another user's token is NotFound)."""
    token = session.exec(
        select(ApiToken).where(ApiToken.id == token_id, ApiToken.user_id == user.id)
    ).first()
    if token is None:
        raise NotFound(_("No such token."))
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        session.add(token)
    return token


def user_for_api_token(*, session: Session, raw: str) -> User | None:
    """The active user behind a bearer token that is neither expired nor revoked."""
    now = utcnow()
    token = session.exec(
        select(ApiToken).where(
            ApiToken.token_hash == security.digest(raw),
            ApiToken.revoked_at.is_(None),
            ApiToken.expires_at > now,
        )
    ).first()
    if token is None:
        return None
    user = session.get(User, token.user_id)
    if user is None or not user.is_active:
        return None
    if token.last_used_at is None or token.last_used_at < now - timedelta(minutes=10):
        try:  # best effort: a busy database never fails the request over this
            with session.begin_nested():
                session.execute(
                    update(ApiToken)
                    .where(ApiToken.id == token.id)
                    .where(or_(ApiToken.last_used_at.is_(None), ApiToken.last_used_at < now))
                    .values(last_used_at=now)
                    .execution_options(synchronize_session=False)
                )
        except OperationalError:
            pass
    return user
