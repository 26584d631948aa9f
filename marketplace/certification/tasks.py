"""The Seal of Excellence's nightly job (``marketplace certifications expire``)."""

from sqlalchemy import Engine

from marketplace.certification.service.certificates import expire_due
from marketplace.config import Settings
from marketplace.db import transaction


def expire(engine: Engine, settings: Settings) -> tuple[int, int]:
    """Expire certificates past their date and queue the 90- and 30-day renewal reminders:
    (expired, reminders). Safe to run twice, or on two machines at once."""
    with transaction(engine) as session:
        return expire_due(session=session, settings=settings)
