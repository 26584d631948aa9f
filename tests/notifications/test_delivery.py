"""The outbox worker: each email goes out exactly once, over SMTP or as an .eml file."""

import socket
import threading

from aiosmtpd.controller import Controller
from sqlmodel import select

from marketplace.models import OutboxMessage, utcnow
from marketplace.notifications.tasks import deliver_pending


def _queue(session, n):
    for i in range(n):
        session.add(OutboxMessage(payload={"to": f"u{i}@example.com", "subject": f"S{i}",
                                           "body": "Body"}, available_at=utcnow()))
    session.commit()


def test_parallel_workers_deliver_each_email_once(engine, settings, session):
    _queue(session, 40)
    totals = []
    barrier = threading.Barrier(4)

    def work():
        barrier.wait()
        totals.append(deliver_pending(engine, settings, limit=15))
        totals.append(deliver_pending(engine, settings, limit=40))

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(totals) == 40
    files = list(settings.mail_dir.glob("*.eml"))
    assert len(files) == 40
    assert all(m.sent_at for m in session.exec(select(OutboxMessage)))


class _Inbox:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, smtp_session, envelope):  # noqa: N802 - aiosmtpd API
        self.messages.append(envelope)
        return "250 OK"


def test_smtp_delivery_when_configured(engine, settings, session):
    inbox = _Inbox()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        smtp_settings = settings.model_copy(update={"smtp_url": f"smtp://127.0.0.1:{port}"})
        _queue(session, 2)
        assert deliver_pending(engine, smtp_settings) == 2
    finally:
        controller.stop()
    assert sorted(e.rcpt_tos[0] for e in inbox.messages) == ["u0@example.com", "u1@example.com"]


def test_failed_smtp_keeps_the_message_for_a_retry(engine, settings, session):
    broken = settings.model_copy(update={"smtp_url": "smtp://127.0.0.1:9"})
    _queue(session, 1)
    assert deliver_pending(engine, broken) == 0
    session.expire_all()
    message = session.exec(select(OutboxMessage)).one()
    assert message.sent_at is None and message.last_error and message.attempts == 1
    assert message.available_at > utcnow()
