"""The accounts' job in ``marketplace worker``: forget what no longer counts."""

from sqlalchemy import Engine

from marketplace.auth.service import sessions, throttle
from marketplace.config import Settings
from marketplace.db import transaction


def purge(engine: Engine, settings: Settings, *, now=None) -> int:
    """Delete sessions ended long ago and failed log-ins older than the throttle window."""
    with transaction(engine) as session:
        return sessions.purge(session=session, now=now) + \
            throttle.purge(session=session, settings=settings, now=now)
