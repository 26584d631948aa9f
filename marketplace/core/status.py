"""One way to change a status: the transition map, a guarded UPDATE, one audit row.

Each domain writes its map down next to its service, as a ``Lifecycle``: the table, the
audit entity type, and every move allowed from each status, the ones people make and the
ones the system makes (expiry, a late payment, a refund the processor refused). Statuses
missing from the map are final. Every status change in the code goes through
``Lifecycle.change``:

1. the move must be in the map, else ``InvalidTransition`` (409);
2. ``UPDATE <table> SET status = :to, <values> WHERE id = :id AND status = :from``, where
   ``:from`` is the status the caller read: of two changes racing from the same status,
   exactly one matches the row;
3. the loser gets False and nothing is written: the caller decides whether losing is an
   error (a 409: ``must_change``) or a no-op (a replayed webhook, a second worker);
4. the winner's object is refreshed and one audit row is written (actor, from, to, reason,
   data) in the same transaction.
"""

from collections.abc import Callable, Iterable, Mapping
from typing import Literal

from sqlalchemy import update
from sqlmodel import Session, SQLModel

from marketplace import audit
from marketplace.errors import Conflict, InvalidTransition
from marketplace.models import User, utcnow


class Lifecycle:
    """The statuses of one table and the moves allowed between them."""

    def __init__(self, model: type[SQLModel], entity_type: str,
                 moves: Mapping[str, Iterable[str]],
                 refusal: Callable[[str, str], str] | None = None,
                 audited: bool = True) -> None:
        """``moves`` maps a status to the statuses it may move to; ``refusal(from, to)``
        words the InvalidTransition of an illegal move (the generic message otherwise).
        ``audited`` False: bookkeeping rows whose owner's audit already tells the story
        (a stock reservation follows its order) write no audit row of their own."""
        self.audited = audited
        self.model = model
        self.entity_type = entity_type
        self.moves = {str(s): frozenset(str(t) for t in targets) for s, targets in moves.items()}
        self.refusal = refusal

    def allowed(self, current: str) -> frozenset[str]:
        """The statuses ``current`` may move to (none for a final status)."""
        return self.moves.get(str(current), frozenset())

    def check(self, current: str, to: str) -> None:
        """InvalidTransition unless ``current`` may move to ``to``."""
        if str(to) not in self.allowed(current):
            raise InvalidTransition(self.refusal(str(current), str(to)) if self.refusal
                                    else None)

    def change(self, session: Session, obj: SQLModel, to: str, *, actor: User | None,
               action: str | None = None, reason: str | None = None,
               data: dict | None = None, values: Mapping | None = None,
               audit_as: tuple[str, int] | None = None,
               when_illegal: Literal["raise", "lose"] = "raise") -> bool:
        """Move ``obj`` from the status it holds to ``to``; True if this change won.

        ``values``: other columns to set in the same UPDATE (``updated_at`` is set when the
        table has one). ``action`` names the audit row (``status_<to>`` by default);
        ``audit_as`` = (entity type, id) files it under another entity. ``when_illegal``
        "lose": a move the map refuses returns False instead of raising (the object has
        already moved on, and the caller treats that as done)."""
        if not isinstance(obj, self.model):
            raise TypeError(f"{type(obj).__name__} is not a {self.model.__name__}")
        current, to = str(obj.status), str(to)
        try:
            self.check(current, to)
        except InvalidTransition:
            if when_illegal == "lose":
                return False
            raise
        session.flush()  # the caller's pending edits first: the refresh below keeps them
        table = self.model
        columns = {"status": to, **(values or {})}
        if "updated_at" in table.__table__.c and "updated_at" not in columns:
            columns["updated_at"] = utcnow()
        result = session.execute(
            update(table).where(table.id == obj.id, table.status == current)
            .values(**columns).execution_options(synchronize_session=False))
        if result.rowcount != 1:
            return False
        session.refresh(obj)
        if not self.audited:
            return True
        entity_type, entity_id = audit_as or (self.entity_type, obj.id)
        audit.record(session=session, actor=actor, entity_type=entity_type,
                     entity_id=entity_id, action=action or f"status_{to}",
                     from_state=current, to_state=to,
                     reason=reason[:1000] if reason else None, data=data)
        return True

    def must_change(self, session: Session, obj: SQLModel, to: str, *, actor: User | None,
                    lost: str, values: Mapping | None = None, **audit_fields) -> None:
        """``change`` a person asked for: Conflict with ``lost`` (e.g. "somebody else
        answered first") when another change of the same row came first."""
        if not self.change(session, obj, to, actor=actor, values=values, **audit_fields):
            raise Conflict(lost)
