"""Server-side sessions: one ``user_session`` row per signed-in browser.

The browser's (signed) session cookie carries a random token; the row keeps only its SHA-256.
A session is live while it is neither revoked nor expired; every use pushes its expiry
``session_max_age`` seconds out (recorded at most every few minutes). Logging out revokes the
row, so a copy of the cookie taken before stops working at once.
"""

import re
import secrets
from datetime import datetime, timedelta

from sqlalchemy import delete, or_, update
from sqlalchemy.exc import OperationalError
from sqlmodel import Session, select

from marketplace.config import Settings
from marketplace.core import cache_tags, security
from marketplace.errors import NotFound
from marketplace.i18n import gettext as _
from marketplace.models import User, UserSession, utcnow

COOKIE_KEY = "sid"  # the raw token's key in the signed session cookie
TOUCH_EVERY = timedelta(minutes=5)
FORGET_AFTER = timedelta(days=30)  # revoked or expired rows are deleted after this


def _age(settings: Settings) -> timedelta:
    return timedelta(seconds=settings.session_max_age)


def create(*, session: Session, settings: Settings, user: User, ip: str,
           user_agent: str) -> str:
    """A new session for ``user``; returns the raw token for the cookie (never stored)."""
    raw = secrets.token_urlsafe(32)
    now = utcnow()
    session.add(UserSession(
        user_id=user.id, token_hash=security.digest(raw), created_at=now, last_seen_at=now,
        expires_at=now + _age(settings), ip=ip[:45], user_agent=(user_agent or "")[:200],
    ))
    session.execute(delete(UserSession).where(  # tidy up this account's dead sessions
        UserSession.user_id == user.id,
        or_(UserSession.expires_at < now - FORGET_AFTER,
            UserSession.revoked_at < now - FORGET_AFTER)))
    return raw


def live(*, session: Session, raw: str) -> UserSession | None:
    """The live session for the cookie's token, or None."""
    found = live_with_user(session=session, raw=raw)
    return found[0] if found else None


def live_with_user(*, session: Session, raw: str) -> tuple[UserSession, User] | None:
    """The live session for the cookie's token and its active user, in one query (every
    signed-in request asks), or None."""
    return session.exec(select(UserSession, User).join(User, User.id == UserSession.user_id)
                        .where(UserSession.token_hash == security.digest(raw),
                               UserSession.revoked_at.is_(None),
                               UserSession.expires_at > utcnow(),
                               User.is_active)).first()


def touch(*, session: Session, settings: Settings, row: UserSession,
          ip: str) -> tuple[datetime, datetime]:
    """Record that the session is in use (at most every few minutes), pushing its expiry out.
    Best effort: a busy database never fails the request over this. Returns when it was
    last recorded in use and when it expires."""
    now = utcnow()
    if row.last_seen_at > now - TOUCH_EVERY:
        return row.last_seen_at, row.expires_at
    try:
        with session.begin_nested():
            session.execute(
                update(UserSession)
                .where(UserSession.id == row.id, UserSession.last_seen_at < now - TOUCH_EVERY)
                .values(last_seen_at=now, expires_at=now + _age(settings), ip=ip[:45])
                .execution_options(synchronize_session=False)
            )
    except OperationalError:
        return row.last_seen_at, row.expires_at
    return now, now + _age(settings)


def revoke_token(*, session: Session, raw: str) -> None:
    """Log out: the session with this token ends."""
    ended = session.execute(
        update(UserSession)
        .where(UserSession.token_hash == security.digest(raw), UserSession.revoked_at.is_(None))
        .values(revoked_at=utcnow())
        .returning(UserSession.user_id)
        .execution_options(synchronize_session=False)
    ).scalars().all()
    cache_tags.touch(session, *map(cache_tags.user, ended))


def revoke_all(*, session: Session, user: User, keep_id: int | None = None) -> int:
    """End every session of ``user`` (but ``keep_id``); returns how many ended."""
    query = update(UserSession).where(UserSession.user_id == user.id,
                                      UserSession.revoked_at.is_(None))
    if keep_id is not None:
        query = query.where(UserSession.id != keep_id)
    result = session.execute(query.values(revoked_at=utcnow())
                             .execution_options(synchronize_session=False))
    cache_tags.touch(session, cache_tags.user(user.id))
    return result.rowcount or 0


def revoke_one(*, session: Session, user: User, session_id: int) -> None:
    """End one of the user's own sessions (another account's is NotFound)."""
    row = session.exec(select(UserSession).where(
        UserSession.id == session_id, UserSession.user_id == user.id)).first()
    if row is None:
        raise NotFound(_("No such session."))
    if row.revoked_at is None:
        row.revoked_at = utcnow()
        session.add(row)
        cache_tags.touch(session, cache_tags.user(user.id))


def list_live(*, session: Session, user: User) -> list[UserSession]:
    """The user's signed-in browsers, most recently used first."""
    return list(session.exec(
        select(UserSession)
        .where(UserSession.user_id == user.id, UserSession.revoked_at.is_(None),
               UserSession.expires_at > utcnow())
        .order_by(UserSession.last_seen_at.desc(), UserSession.id.desc())
    ))


_BROWSERS = (("Edg/", "Edge"), ("OPR/", "Opera"), ("SamsungBrowser", "Samsung Internet"),
             ("Firefox/", "Firefox"), ("Chrome/", "Chrome"), ("CriOS/", "Chrome"),
             ("Safari/", "Safari"), ("curl/", "curl"))
_SYSTEMS = (("Android", "Android"), ("iPhone", "iOS"), ("iPad", "iPadOS"),
            ("Windows", "Windows"), ("Mac OS X", "macOS"), ("CrOS", "ChromeOS"),
            ("Linux", "Linux"))


def describe_agent(user_agent: str) -> str:
    """'Firefox on Linux' for a user agent string; the string itself when unknown."""
    browser = next((name for key, name in _BROWSERS if key in user_agent), None)
    system = next((name for key, name in _SYSTEMS if key in user_agent), None)
    if browser and system:
        return _("%(browser)s on %(system)s", browser=browser, system=system)
    if browser or system:
        return browser or system
    return re.sub(r"\s+", " ", user_agent).strip()[:80] or _("Unknown browser")


def purge(*, session: Session, now=None) -> int:
    """Delete every account's sessions that ended more than FORGET_AFTER ago (worker)."""
    now = now or utcnow()
    result = session.execute(delete(UserSession).where(
        or_(UserSession.expires_at < now - FORGET_AFTER,
            UserSession.revoked_at < now - FORGET_AFTER)))
    return result.rowcount or 0
