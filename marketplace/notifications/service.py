"""Queue emails in the outbox, rendered in the recipient's language."""

from contextlib import contextmanager
from datetime import timedelta

from sqlmodel import Session

from marketplace import i18n
from marketplace.models import OutboxMessage, utcnow


@contextmanager
def in_locale(locale: str):
    """Translate in ``locale`` inside the block (emails follow the recipient's language)."""
    token = i18n.current_locale.set(locale if locale in i18n.LOCALES else "en")
    try:
        yield
    finally:
        i18n.current_locale.reset(token)


def render_email(template: str, context: dict, locale: str) -> tuple[str, str]:
    """Subject and plain-text body of ``templates/emails/<template>.txt``.

    The template's first line is ``Subject: ...``; the rest is the body.
    """
    from marketplace.core.templating import environment

    with in_locale(locale):
        text = environment().get_template(f"emails/{template}.txt").render(context)
    first, _sep, body = text.partition("\n")
    subject = first.removeprefix("Subject:").strip()
    return subject, body.strip() + "\n"


def queue_email(
    *, session: Session, to: str, template: str, context: dict, locale: str = "en"
) -> OutboxMessage:
    """Write an email to the outbox in the current transaction."""
    subject, body = render_email(template, context, locale)
    message = OutboxMessage(
        kind="email",
        payload={"to": to, "subject": subject, "body": body, "template": template},
        available_at=utcnow(),
    )
    session.add(message)
    return message


def retry_delay(attempts: int) -> timedelta:
    """Back off 1, 2, 4 ... minutes, at most an hour."""
    return timedelta(minutes=min(60, 2 ** max(0, attempts - 1)))
