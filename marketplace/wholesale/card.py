"""Paying a purchase order's deposit or balance by card, and finishing what a request left.

The flow is the retail one (``orders.service.flows.pay``): record the charge and commit,
create the PaymentIntent with the charge's idempotency key outside any transaction,
remember it and commit, confirm it, and apply a success at once (the webhook, arriving too,
finds it applied). The session passed in is the request's: ``pay`` commits it.

``reconcile`` (in ``marketplace worker``) closes charges left ``creating`` (no intent was
confirmed, so nothing was charged) and asks Stripe about those left ``created``.
"""

import logging
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from datetime import timedelta

from sqlalchemy import Engine, update
from sqlmodel import Session, col, select

from marketplace.config import Settings
from marketplace.db import transaction
from marketplace.models import ChargeStatus, PurchaseOrder, User, WholesaleCharge, utcnow
from marketplace.payments.gateway import (
    CardDeclined,
    GatewayUnavailable,
    PaymentGateway,
    ProcessorRefused,
)
from marketplace.wholesale import charges

log = logging.getLogger("marketplace.payments")
STALE = timedelta(minutes=3)  # longer than a request's calls to the processor can take
Waiting = Callable[[], AbstractContextManager]


def pay(*, session: Session, settings: Settings, gateway: PaymentGateway, actor: User,
        order: PurchaseOrder, due_key: str, payment_method: str, idempotency_key: str,
        waiting: Waiting = nullcontext) -> WholesaleCharge:
    """Charge what ``due_key`` names, once. Returns the charge (``succeeded``, or
    ``created`` while the processor is still working on it). Raises what ``charges.begin``
    raises, CardDeclined (the charge is ``failed``; another card may be tried) and
    GatewayUnavailable."""
    start = charges.begin(session=session, actor=actor, order=order, due_key=due_key,
                          payment_method=payment_method, idempotency_key=idempotency_key)
    charge = start.charge
    session.commit()
    if start.repeated:
        return charge
    try:
        with waiting():
            intent = gateway.create_intent(
                amount_cents=charge.amount_cents, currency="usd", order_number=order.number,
                payment_method=charge.payment_method, idempotency_key=charge.idempotency_key)
    except GatewayUnavailable:  # an intent that may exist is never confirmed: no charge
        charges.move(session, charge.id, ChargeStatus.ABANDONED,
                     error="the intent could not be created")
        session.commit()
        raise
    try:
        charges.intent_created(session=session, charge_id=charge.id, intent=intent)
    finally:
        session.commit()
    if intent.status == "requires_confirmation":
        try:
            with waiting():
                intent = gateway.confirm_intent(intent.id)
        except CardDeclined as exc:
            charges.failed(session=session, charge=charge,
                           intent_status="requires_payment_method", error=exc.message)
            session.commit()
            raise
        # GatewayUnavailable propagates: the charge stays "created" and the worker asks.
    _record(session, settings, charge, intent)
    session.commit()
    session.refresh(charge)
    return charge


def _record(session: Session, settings: Settings, charge: WholesaleCharge, intent) -> None:
    if intent.status == "succeeded":
        outcome = charges.apply_succeeded(session=session, settings=settings, charge=charge,
                                          intent_id=intent.id, amount_cents=intent.amount_cents,
                                          currency=intent.currency)
        log.info("wholesale charge %s (%s): %s", charge.id, intent.id, outcome)
    elif intent.status in ("requires_payment_method", "canceled"):
        charges.failed(session=session, charge=charge, intent_status=intent.status)
    elif intent.status != charge.intent_status:
        session.execute(update(WholesaleCharge).where(WholesaleCharge.id == charge.id)
                        .values(intent_status=intent.status[:40], updated_at=utcnow()))


def reconcile(engine: Engine, settings: Settings, gateway: PaymentGateway, *,
              now=None) -> int:
    """One pass over charges a request left unfinished; returns how many it settled."""
    now = now or utcnow()
    with transaction(engine, write=False) as session:
        ids = list(session.exec(select(WholesaleCharge.id).where(
            col(WholesaleCharge.status).in_(charges.IN_PROGRESS),
            WholesaleCharge.updated_at < now - STALE).order_by(WholesaleCharge.id).limit(100)))
    done = 0
    for charge_id in ids:
        with transaction(engine) as session:
            charge = session.get(WholesaleCharge, charge_id)
            # claim it for this pass: of several workers, one asks
            claimed = session.execute(update(WholesaleCharge).where(
                WholesaleCharge.id == charge_id,
                WholesaleCharge.updated_at == charge.updated_at).values(updated_at=now))
            if claimed.rowcount != 1:
                continue
            if charge.status == ChargeStatus.CREATING or not charge.intent_id:
                done += charges.move(session, charge_id, ChargeStatus.ABANDONED,
                                     error="left unfinished; never confirmed, so nothing "
                                           "was charged")
                continue
        try:
            intent = gateway.retrieve_intent(charge.intent_id)
        except ProcessorRefused:
            with transaction(engine) as session:
                done += charges.move(session, charge_id, ChargeStatus.ABANDONED,
                                     error="the card processor does not know its intent")
            continue
        except GatewayUnavailable:
            continue
        with transaction(engine) as session:
            charge = session.get(WholesaleCharge, charge_id)
            if intent.status == "requires_confirmation":
                done += charges.move(session, charge_id, ChargeStatus.ABANDONED,
                                     error="never confirmed")
                continue
            _record(session, settings, charge, intent)
            done += intent.status in ("succeeded", "requires_payment_method", "canceled")
    return done
