"""The one way a status changes: the map, a guarded UPDATE, one audit row."""

import threading

import pytest
from sqlalchemy import update
from sqlmodel import select

from marketplace.core.status import Lifecycle
from marketplace.db import transaction
from marketplace.errors import InvalidTransition
from marketplace.models import AuditEvent, Product, ProductStatus
from tests.factories import create_product, create_user

DRAFT, PUBLISHED, ARCHIVED = ProductStatus.DRAFT, ProductStatus.PUBLISHED, ProductStatus.ARCHIVED
# A map of its own for these tests: a draft is published or archived, once.
ONCE = Lifecycle(Product, "product", {DRAFT: {PUBLISHED, ARCHIVED}},
                 refusal=lambda current, to: f"no {current} -> {to}")


def _events(session, product_id: int) -> list[AuditEvent]:
    session.expire_all()
    return list(session.exec(select(AuditEvent).where(
        AuditEvent.entity_type == "product", AuditEvent.entity_id == product_id)))


def test_a_move_in_the_map_updates_refreshes_and_audits(session):
    actor = create_user(session)
    product = create_product(session, status="draft")
    assert ONCE.change(session, product, PUBLISHED, actor=actor, reason="ready",
                       data={"note": 1}, values={"title": "Renamed"})
    assert (product.status, product.title) == ("published", "Renamed")  # refreshed
    session.commit()
    [event] = _events(session, product.id)
    assert (event.actor_id, event.action, event.from_state, event.to_state, event.reason,
            event.data) == (actor.id, "status_published", "draft", "published", "ready",
                            {"note": 1})
    assert session.get(Product, product.id).status == "published"


def test_a_move_outside_the_map_is_refused_and_writes_nothing(session):
    product = create_product(session, status="archived")  # final in this map
    with pytest.raises(InvalidTransition) as refused:
        ONCE.change(session, product, PUBLISHED, actor=None)
    assert refused.value.detail == "no archived -> published"
    assert ONCE.change(session, product, DRAFT, actor=None, when_illegal="lose") is False
    session.commit()
    assert session.get(Product, product.id).status == "archived"
    assert _events(session, product.id) == []


def test_a_move_from_a_status_read_before_another_change_loses(session):
    product = create_product(session, status="draft")
    session.execute(update(Product).where(Product.id == product.id)  # as another request
                    .values(status=ARCHIVED).execution_options(synchronize_session=False))
    assert product.status == "draft"  # what this caller read
    assert ONCE.change(session, product, PUBLISHED, actor=None) is False
    session.commit()
    session.refresh(product)
    assert product.status == "archived"
    assert _events(session, product.id) == []


def test_racing_moves_exactly_one_wins_with_one_audit_row(engine, session):
    """PostgreSQL: every racer reads "draft" first, so all but one lose on the guarded
    UPDATE. SQLite: writers queue (BEGIN IMMEDIATE), so the later ones read the winner's
    status and the map refuses them."""
    product = create_product(session, status="draft")
    racers = 8
    read_first = engine.dialect.name == "postgresql"
    barrier = threading.Barrier(racers)
    outcomes: list[str] = []

    def move(to: ProductStatus) -> None:
        if not read_first:
            barrier.wait()
        try:
            with transaction(engine) as db:
                target = db.get(Product, product.id)
                if read_first:
                    barrier.wait()
                outcomes.append("won" if ONCE.change(db, target, to, actor=None) else "lost")
        except InvalidTransition:
            outcomes.append("refused")

    threads = [threading.Thread(target=move, args=(PUBLISHED if n % 2 else ARCHIVED,))
               for n in range(racers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    loser = "lost" if read_first else "refused"
    assert sorted(outcomes) == [loser] * (racers - 1) + ["won"]
    [event] = _events(session, product.id)
    final = session.get(Product, product.id).status
    assert (event.from_state, event.to_state) == ("draft", final)
    assert final in ("published", "archived")
