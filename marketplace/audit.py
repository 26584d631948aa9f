"""Append-only audit trail; rows are only ever inserted."""

from sqlmodel import Session, select

from marketplace.models import AuditEvent, User


def record(
    *,
    session: Session,
    actor: User | None,
    entity_type: str,
    entity_id: int,
    action: str,
    from_state: str | None = None,
    to_state: str | None = None,
    reason: str | None = None,
    data: dict | None = None,
) -> AuditEvent:
    """Write one audit event in the current transaction."""
    event = AuditEvent(
        actor_id=actor.id if actor else None,
        entity_type=entity_type,
        entity_id=entity_id,
        action=action,
        from_state=from_state,
        to_state=to_state,
        reason=reason,
        data=data or {},
    )
    session.add(event)
    return event


def history(*, session: Session, entity_type: str,
            entity_id: int) -> list[tuple[AuditEvent, User | None]]:
    """Every event of one entity with its actor, newest first."""
    return [(event, actor) for event, actor in session.exec(
        select(AuditEvent, User).outerjoin(User, AuditEvent.actor_id == User.id)
        .where(AuditEvent.entity_type == entity_type, AuditEvent.entity_id == entity_id)
        .order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc()))]
