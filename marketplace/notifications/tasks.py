"""Deliver queued emails: over SMTP when ``MARKETPLACE_SMTP_URL`` is set, else as .eml files.

Safe on several workers at once: each message is claimed with a conditional UPDATE (and
``FOR UPDATE SKIP LOCKED`` on PostgreSQL) before it is sent.
"""

import logging
import smtplib
import ssl
from datetime import timedelta
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path
from urllib.parse import unquote, urlsplit

from sqlalchemy import Engine, or_, update
from sqlmodel import select

from marketplace.config import Settings
from marketplace.db import transaction
from marketplace.models import OutboxMessage, utcnow
from marketplace.notifications.service import retry_delay

log = logging.getLogger("marketplace.outbox")
CLAIM_SECONDS = 120
MAX_ATTEMPTS = 8


def build_message(settings: Settings, payload: dict) -> EmailMessage:
    message = EmailMessage()
    message["From"] = settings.mail_from
    message["To"] = payload["to"]
    message["Subject"] = payload["subject"]
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain="crafts.example")
    message.set_content(payload["body"])
    return message


def _write_eml(settings: Settings, message_id: int, message: EmailMessage) -> Path:
    settings.mail_dir.mkdir(parents=True, exist_ok=True)
    path = settings.mail_dir / f"{utcnow():%Y%m%dT%H%M%S}-{message_id:06d}.eml"
    tmp = path.with_suffix(".tmp")
    tmp.write_bytes(bytes(message))
    tmp.rename(path)  # readers never see a half-written file
    return path


def _send_smtp(url: str, message: EmailMessage) -> None:
    parts = urlsplit(url)
    host = parts.hostname or "localhost"
    if parts.scheme == "smtps":
        client = smtplib.SMTP_SSL(host, parts.port or 465, context=ssl.create_default_context())
    else:
        client = smtplib.SMTP(host, parts.port or 25, timeout=30)
    with client:
        if parts.scheme == "smtp+starttls":
            client.starttls(context=ssl.create_default_context())
        if parts.username:
            client.login(unquote(parts.username), unquote(parts.password or ""))
        client.send_message(message)


def _claim_ids(engine: Engine, limit: int) -> list[int]:
    now = utcnow()
    with transaction(engine) as session:
        query = (
            select(OutboxMessage.id)
            .where(OutboxMessage.sent_at.is_(None))
            .where(OutboxMessage.available_at <= now)
            .where(OutboxMessage.attempts < MAX_ATTEMPTS)
            .where(or_(OutboxMessage.locked_until.is_(None), OutboxMessage.locked_until < now))
            .order_by(OutboxMessage.id)
            .limit(limit)
        )
        if engine.dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)
        candidates = list(session.exec(query))
        claimed = []
        for message_id in candidates:
            result = session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id == message_id)
                .where(or_(OutboxMessage.locked_until.is_(None), OutboxMessage.locked_until < now))
                .where(OutboxMessage.sent_at.is_(None))
                .values(
                    locked_until=now + timedelta(seconds=CLAIM_SECONDS),
                    attempts=OutboxMessage.attempts + 1,
                )
            )
            if result.rowcount == 1:
                claimed.append(message_id)
    return claimed


def deliver_pending(engine: Engine, settings: Settings, limit: int = 100) -> int:
    """Send up to ``limit`` due messages; returns how many were sent."""
    sent = 0
    for message_id in _claim_ids(engine, limit):
        with transaction(engine) as session:
            row = session.get(OutboxMessage, message_id)
            if row is None or row.sent_at is not None:
                continue
            try:
                message = build_message(settings, row.payload)
                if settings.smtp_url:
                    _send_smtp(settings.smtp_url, message)
                else:
                    _write_eml(settings, message_id, message)
            except Exception as exc:  # noqa: BLE001 - keep the message for a retry
                log.warning("delivery of outbox message %s failed: %s", message_id, exc)
                row.last_error = str(exc)[:500]
                row.available_at = utcnow() + retry_delay(row.attempts)
                row.locked_until = None
                session.add(row)
                continue
            row.sent_at = utcnow()
            row.locked_until = None
            session.add(row)
            sent += 1
    return sent
