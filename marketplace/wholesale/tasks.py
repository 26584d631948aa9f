"""Wholesale's job in ``marketplace worker``: purchase order parts that a group did not
answer in time expire, and the stock they held goes back to sale."""

from sqlalchemy import Engine

from marketplace.config import Settings
from marketplace.db import transaction
from marketplace.wholesale import responses


def expire_parts(engine: Engine, settings: Settings) -> int:
    with transaction(engine) as session:
        return responses.expire_overdue(session=session, settings=settings)
