"""Log-in throttling that slows a guesser down without locking the owner out.

Failures are counted per (account, client address) and per client address. After
``login_free_failures`` failures for one account from one client, each next attempt from that
client must wait ``login_delay_seconds`` after the last failure, doubling with every further
failure up to ``login_max_delay_seconds``; ``login_client_free_failures`` (higher) does the
same for one client trying many accounts. The owner, from another address, is never slowed
down by someone else's guesses. A successful log-in forgets that client's failures for the
account. IPv6 clients are counted by their /64 network (one subscriber's block).
"""

import hashlib
import math
from datetime import datetime, timedelta

from sqlalchemy import delete, func, text
from sqlmodel import Session, select

from marketplace.config import Settings
from marketplace.core.clientip import network_of
from marketplace.errors import TooManyRequests
from marketplace.i18n import gettext as _
from marketplace.i18n import ngettext
from marketplace.models import LoginAttempt, utcnow


def client_key(ip: str) -> str:
    """What failures are counted by: the address, or an IPv6 address's /64 network."""
    return network_of(ip)


def _account(email: str) -> str:
    return email.strip().lower()[:254]


def _wait_seconds(settings: Settings, failures: int, free: int, last: datetime | None,
                  now: datetime) -> int:
    if failures < free or last is None:
        return 0
    last = last if last.tzinfo else last.replace(tzinfo=now.tzinfo)
    doublings = min(failures - free, 30)
    delay = min(settings.login_max_delay_seconds, settings.login_delay_seconds * 2 ** doublings)
    remaining = (last + timedelta(seconds=delay) - now).total_seconds()
    return math.ceil(remaining) if remaining > 0 else 0


def wait_message(seconds: int) -> str:
    """'Too many failed attempts. Please wait ... and try again.' in words."""
    if seconds < 120:
        span = ngettext("%(num)s second", "%(num)s seconds", seconds, num=seconds)
    else:
        minutes = math.ceil(seconds / 60)
        span = ngettext("%(num)s minute", "%(num)s minutes", minutes, num=minutes)
    return _("Too many failed attempts. Please wait %(time)s and try again.", time=span)


def _serialize(session: Session, email: str, key: str) -> None:
    """Simultaneous attempts for one (account, client) take turns until the request ends, so
    a burst of guesses cannot all pass the check before any failure is recorded. (SQLite: a
    log-in is a write transaction, and those already take turns.)"""
    if session.get_bind().dialect.name == "postgresql":
        digest = hashlib.sha256(f"login|{_account(email)}|{key}".encode()).digest()
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"),
                        {"key": int.from_bytes(digest[:8], "big", signed=True)})


def check(*, session: Session, settings: Settings, email: str, ip: str) -> None:
    """Raise TooManyRequests (with Retry-After) while this attempt must wait."""
    key = client_key(ip)
    _serialize(session, email, key)
    now = utcnow()
    since = now - timedelta(seconds=settings.login_window_seconds)
    recent = (LoginAttempt.ip == key, LoginAttempt.created_at >= since)
    stats = select(func.count(), func.max(LoginAttempt.created_at))
    pair_count, pair_last = session.exec(
        stats.where(LoginAttempt.email == _account(email), *recent)).one()
    client_count, client_last = session.exec(stats.where(*recent)).one()
    wait = max(
        _wait_seconds(settings, pair_count, settings.login_free_failures, pair_last, now),
        _wait_seconds(settings, client_count, settings.login_client_free_failures,
                      client_last, now),
    )
    if wait:
        raise TooManyRequests(wait, wait_message(wait))


def record_failure(*, session: Session, email: str, ip: str) -> None:
    session.add(LoginAttempt(email=_account(email), ip=client_key(ip)))


def forget_failures(*, session: Session, email: str, ip: str) -> None:
    """After a successful log-in: this client's failures for this account no longer count."""
    session.execute(delete(LoginAttempt).where(
        LoginAttempt.email == _account(email), LoginAttempt.ip == client_key(ip)))


def purge(*, session: Session, settings: Settings, now=None) -> int:
    """Delete failed log-ins older than the window: they no longer count (worker)."""
    now = now or utcnow()
    result = session.execute(delete(LoginAttempt).where(
        LoginAttempt.created_at < now - timedelta(seconds=settings.login_window_seconds)))
    return result.rowcount or 0
