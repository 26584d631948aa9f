"""Account rules: sign-up, verification, log-in with throttling, passwords, API tokens."""

from datetime import timedelta

from sqlalchemy import func, or_, update
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlmodel import Session, select

from marketplace.auth.schemas import SignupIn
from marketplace.config import Settings
from marketplace.core import security
from marketplace.errors import (
    EmailTaken,
    Gone,
    NotFound,
    TooManyRequests,
    ValidationFailed,
)
from marketplace.i18n import gettext as _
from marketplace.models import ApiToken, LoginAttempt, User, UserRole, utcnow
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
    """Create an account and queue the verification email."""
    email = normalize_email(data.email)
    if get_by_email(session=session, email=email):
        raise EmailTaken()
    user = User(
        email=email,
        full_name=data.full_name,
        password_hash=security.hash_password(data.password),
        locale=data.locale,
    )
    session.add(user)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError as exc:  # two sign-ups racing for one address
        raise EmailTaken() from exc
    send_verification(session=session, settings=settings, user=user)
    return user


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


def check_throttle(*, session: Session, settings: Settings, email: str, ip: str) -> None:
    """Refuse with 429 once an account or an address has too many recent failures."""
    since = utcnow() - timedelta(seconds=settings.login_window_seconds)
    for column, value in ((LoginAttempt.email, normalize_email(email)), (LoginAttempt.ip, ip)):
        count, oldest = session.exec(
            select(func.count(), func.min(LoginAttempt.created_at)).where(
                column == value, LoginAttempt.created_at >= since
            )
        ).one()
        if count >= settings.login_max_failures:
            oldest = oldest if oldest.tzinfo else oldest.replace(tzinfo=since.tzinfo)
            retry = (oldest + timedelta(seconds=settings.login_window_seconds)) - utcnow()
            raise TooManyRequests(int(retry.total_seconds()) + 1)


def authenticate(
    *, session: Session, settings: Settings, email: str, password: str, ip: str
) -> User | None:
    """The user for these credentials, or None (the failure is recorded for throttling).

    Returns instead of raising so the request still commits the recorded failure.
    """
    check_throttle(session=session, settings=settings, email=email, ip=ip)
    user = get_by_email(session=session, email=email)
    if user is None:
        security.verify_password(security.dummy_hash(), password)  # same cost as a real check
    elif user.is_active and security.verify_password(user.password_hash, password):
        if security.needs_rehash(user.password_hash):
            user.password_hash = security.hash_password(password)
            session.add(user)
        return user
    session.add(LoginAttempt(email=normalize_email(email)[:254], ip=ip[:45]))
    return None


def change_password(*, session: Session, user: User, current: str, new: str) -> User:
    """Set a new password after checking the current one; other sessions end."""
    if not security.verify_password(user.password_hash, current):
        raise ValidationFailed({"current_password": _("The current password is not correct.")})
    user.password_hash = security.hash_password(new)
    user.session_version += 1
    session.add(user)
    return user


def _reset_fingerprint(user: User) -> str:
    return security.digest(user.password_hash)[:16]


def request_password_reset(*, session: Session, settings: Settings, email: str) -> None:
    """Email a one-time reset link if the account exists (the answer is the same either way)."""
    user = get_by_email(session=session, email=email)
    if user is None or not user.is_active:
        return
    token = security.sign(
        settings.secret_key, RESET_PURPOSE, {"uid": user.id, "fp": _reset_fingerprint(user)}
    )
    queue_email(
        session=session,
        to=user.email,
        template="password_reset",
        context={
            "user": user,
            "url": f"{settings.base_url}/auth/reset/{token}",
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
    """Set the password from a reset link; the link stops working and sessions end."""
    user = user_for_reset_token(session=session, settings=settings, token=token)
    user.password_hash = security.hash_password(new)
    user.session_version += 1
    if user.email_verified_at is None:
        user.email_verified_at = utcnow()  # the link proved the address
    session.add(user)
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
