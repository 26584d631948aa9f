"""Signed-in browsers this process has recently checked against the database, so a page
shared by every signed-in visitor (``core.page_cache``) can be answered on the event loop
with that visitor's header without a query.

An entry is trusted only while all of these hold, else the request goes the long way (the
thread pool, ``auth.deps``), which checks the session in the database and remembers it again:
- the account's tag (``cache_tags.user``) is unchanged: logging out, ending sessions and
  changing roles bump it, in every process;
- the session has not expired, and its use need not be recorded yet (``sessions.touch``);
- it was checked less than ``RECHECK_AFTER`` seconds ago.
Nothing here decides what a visitor may do: every action still goes through the routes and
services; this only chooses which account links the header shows.
"""

import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime

from marketplace.auth.service.sessions import COOKIE_KEY
from marketplace.core import cache_tags, security
from marketplace.core.page_cache import Visitor

RECHECK_AFTER = 60.0
SIGNED_OUT = Visitor(signed_in=False, roles=frozenset())


@dataclass(frozen=True, slots=True)
class _Known:
    roles: frozenset[str]
    until: float  # epoch seconds: expiry, the next recorded use, or the next check
    slot: int
    stamp: int


class Visitors:
    """A bounded map from a session token's digest to the account's roles."""

    def __init__(self, tags: cache_tags.TagVersions, max_entries: int = 20_000) -> None:
        self.tags = tags
        self.max_entries = max_entries
        self._known: OrderedDict[str, _Known] = OrderedDict()
        self._lock = threading.Lock()

    def before_check(self) -> bytes:
        """The tag counters, read before the session is checked in the database."""
        return self.tags.snapshot()

    def remember(self, raw: str, *, user_id: int, roles: set[str], before: bytes,
                 touch_after: datetime, expires_at: datetime) -> None:
        slot = cache_tags.slot(cache_tags.user(user_id))
        until = min(touch_after.timestamp(), expires_at.timestamp(),
                    time.time() + RECHECK_AFTER)
        known = _Known(frozenset(roles), until, slot,
                       cache_tags.TagVersions.stamp_of(before, (slot,)))
        key = security.digest(raw)
        with self._lock:
            self._known[key] = known
            self._known.move_to_end(key)
            while len(self._known) > self.max_entries:
                self._known.popitem(last=False)

    def forget(self, raw: str) -> None:
        with self._lock:
            self._known.pop(security.digest(raw), None)

    def lookup(self, session: dict) -> Visitor | None:
        """Who the session belongs to, or None when only the database can tell."""
        raw = session.get(COOKIE_KEY)
        if not raw:
            return SIGNED_OUT
        if not isinstance(raw, str):
            return None
        known = self._known.get(security.digest(raw))
        if known is None or known.until <= time.time() \
                or self.tags.stamp((known.slot,)) != known.stamp:
            return None
        return Visitor(signed_in=True, roles=known.roles)
