"""Payout runs: made by one administrator, approved by another, exported one file per rail,
each payout then marked sent (with the bank's reference) or failed (with a reason).

Ledger (``A`` the entries a payout pays, ``C`` the same in cents of what is sent):

    run made     producer:<group> -A   payouts_clearing +C   payout_rounding +(A - C)
    sent         payouts_clearing -C   bank +C
    failed       the booking reversed (from the bank when it had been sent); its entries
                 are released, so the group's balance has them again for the next run

``C`` differs from ``A`` only for a KHR payout: the riel sent are rounded to 100 at the
run's rate, and the difference is booked to ``payout_rounding``, never lost.
"""

import csv
import io
from collections.abc import Callable
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from marketplace import audit
from marketplace.auth.service.roles import has_role
from marketplace.config import Settings
from marketplace.core.status import Lifecycle
from marketplace.errors import Conflict, Forbidden, NotFound, ValidationFailed
from marketplace.i18n import gettext as _
from marketplace.models import (
    GroupMembership,
    GroupStatus,
    Payout,
    PayoutItem,
    PayoutRun,
    PayoutRunStatus,
    PayoutStatus,
    ProducerGroup,
    Role,
    User,
    utcnow,
)
from marketplace.notifications.service import queue_email
from marketplace.payments import ledger
from marketplace.payouts import earnings

CLEARING, ROUNDING, BANK = "payouts_clearing", "payout_rounding", "bank"
RUN_STATUS = Lifecycle(PayoutRun, "payout_run", {
    PayoutRunStatus.DRAFT: {PayoutRunStatus.APPROVED, PayoutRunStatus.CANCELLED},
    PayoutRunStatus.APPROVED: {PayoutRunStatus.CLOSED},
})
PAYOUT_STATUS = Lifecycle(Payout, "payout", {
    PayoutStatus.PENDING: {PayoutStatus.SENT, PayoutStatus.FAILED},
    PayoutStatus.SENT: {PayoutStatus.FAILED},  # the bank sent the money back
}, refusal=lambda current, to: _("This payout is already %(status)s.", status=current))
RAILS = ("bank", "bakong", "cash")
CSV_COLUMNS = ("payout_id", "group_id", "group_name", "rail", "bank", "account_name",
               "account_number", "currency", "amount_minor", "amount", "reference")


def _require_admin(session: Session, actor: User | None) -> None:
    if not has_role(session=session, user=actor, role=Role.ADMIN):
        raise Forbidden()


def rail_of(group: ProducerGroup) -> str:
    return {"bakong": "bakong", "cash": "cash"}.get(group.payout_method or "", "bank")


def riel(cents: int, khr_per_usd: int) -> int:
    """``cents`` in riel at the rate, rounded half up to 100 riel (the smallest note)."""
    exact = Decimal(cents) * khr_per_usd / 100
    return int((exact / 100).quantize(Decimal(1), rounding=ROUND_HALF_UP)) * 100


def cents_of_riel(amount: int, khr_per_usd: int) -> int:
    return int((Decimal(amount) * 100 / khr_per_usd).quantize(Decimal(1),
                                                              rounding=ROUND_HALF_UP))


def payable_groups(session: Session, settings: Settings, now) -> list[ProducerGroup]:
    """Verified groups with a verified destination not changed within the hold."""
    held_since = now - timedelta(days=settings.payout_hold_days)
    return list(session.exec(select(ProducerGroup).where(
        ProducerGroup.status == GroupStatus.VERIFIED,
        col(ProducerGroup.payout_method).is_not(None),
        col(ProducerGroup.payout_verified_at).is_not(None),
        (col(ProducerGroup.payout_changed_at).is_(None))
        | (col(ProducerGroup.payout_changed_at) <= held_since)).order_by(ProducerGroup.id)))


def create_run(*, session: Session, settings: Settings, actor: User,
               khr_per_usd: int | None = None,
               progress: Callable[[int, int], None] | None = None) -> PayoutRun:
    """One payout per group whose available balance, less the reserve, reaches the minimum.
    Each group's row is locked while its entries are taken (groups in id order), so a run
    made at the same moment waits, then finds them taken. Conflict when nothing is due;
    ValidationFailed when a group is paid in riel and no rate is given."""
    _require_admin(session, actor)
    if khr_per_usd is not None and not 1000 <= khr_per_usd <= 10000:
        raise ValidationFailed({"khr_per_usd": _("Enter the riel per dollar, e.g. 4100.")})
    now = utcnow()
    groups = payable_groups(session, settings, now)
    run = PayoutRun(created_by_id=actor.id, khr_per_usd=khr_per_usd)
    session.add(run)
    session.flush()
    total = 0
    held_since = now - timedelta(days=settings.payout_hold_days)
    for done, group in enumerate(groups, start=1):
        group = session.exec(select(ProducerGroup).where(ProducerGroup.id == group.id)
                             .with_for_update().execution_options(populate_existing=True)).one()
        if group.payout_verified_at is None or (group.payout_changed_at is not None
                                                and group.payout_changed_at > held_since):
            continue  # its destination changed meanwhile: it waits like the others
        chosen = earnings.to_pay(earnings.unclaimed(session, settings, group.id), now,
                                 settings.payout_reserve_cents)
        amount = sum(e.amount_cents for e in chosen)
        if amount >= settings.payout_minimum_cents:
            total += _payout(session, run, group, chosen, amount)
        if progress:
            progress(done, len(groups))
    if total == 0:
        raise Conflict(_("No group has enough available to be paid now."))
    run.total_cents = total
    session.add(run)
    audit.record(session=session, actor=actor, entity_type="payout_run", entity_id=run.id,
                 action="created", to_state=run.status, data={"total_cents": total})
    return run


def _payout(session: Session, run: PayoutRun, group: ProducerGroup,
            chosen: list[earnings.Earning], amount: int) -> int:
    currency = group.payout_currency or "USD"
    if currency == "KHR" and not run.khr_per_usd:
        raise ValidationFailed({"khr_per_usd": _(
            "%(group)s is paid in riel: enter the rate for this run.", group=group.name)})
    minor = riel(amount, run.khr_per_usd) if currency == "KHR" else amount
    sent_cents = cents_of_riel(minor, run.khr_per_usd) if currency == "KHR" else amount
    payout = Payout(run_id=run.id, group_id=group.id, amount_cents=amount, currency=currency,
                    amount_minor=minor, rounding_cents=amount - sent_cents, rail=rail_of(group),
                    destination={"method": group.payout_method,
                                 "account_name": group.payout_account_name,
                                 "account_number": group.payout_account_number,
                                 "bank": group.payout_bank_name or group.payout_method})
    session.add(payout)
    session.flush()
    try:
        with session.begin_nested():  # the unique index: an entry another payout holds
            session.add_all([PayoutItem(payout_id=payout.id, entry_id=e.entry_id,
                                        amount_cents=e.amount_cents) for e in chosen])
            session.flush()
    except IntegrityError as exc:
        raise Conflict(_("Another payout run took these earnings at the same moment. "
                         "Reload and try again.")) from exc
    txn = ledger.post(session=session, kind="payout", description=f"Payout {payout.id}",
                      entries=[(ledger.producer_account(group.id), group.id, -amount),
                               (CLEARING, None, sent_cents), (ROUNDING, None, amount - sent_cents)])
    payout.transaction_id = txn.id
    session.add(payout)
    return amount


def get_run(session: Session, actor: User | None, run_id: int) -> PayoutRun:
    _require_admin(session, actor)
    run = session.get(PayoutRun, run_id)
    if run is None:
        raise NotFound(_("No such payout run."))
    return run


def payouts_of(session: Session, run: PayoutRun) -> list[Payout]:
    return list(session.exec(select(Payout).where(Payout.run_id == run.id)
                             .order_by(Payout.id)))


def approve(*, session: Session, actor: User, run: PayoutRun) -> PayoutRun:
    """A second administrator approves the run; its creator cannot."""
    _require_admin(session, actor)
    if run.created_by_id == actor.id:
        raise Forbidden(_("Another administrator must approve a run you made."))
    RUN_STATUS.must_change(session, run, PayoutRunStatus.APPROVED, actor=actor,
                           values={"approved_by_id": actor.id, "approved_at": utcnow()},
                           lost=_("This run was approved or cancelled meanwhile."))
    _close_if_done(session, run)
    return run


def cancel(*, session: Session, actor: User, run: PayoutRun) -> PayoutRun:
    """Give up a run before approval: every payout is reversed and its entries released."""
    _require_admin(session, actor)
    RUN_STATUS.must_change(session, run, PayoutRunStatus.CANCELLED, actor=actor,
                           lost=_("This run was approved or cancelled meanwhile."))
    for payout in payouts_of(session, run):
        if payout.status != PayoutStatus.FAILED:
            _reverse(session, payout, actor, _("The run was cancelled."))
    return run


def export(*, session: Session, actor: User, run: PayoutRun, rail: str) -> str:
    """The CSV for one rail: amounts in minor units and as text, never floats."""
    _require_admin(session, actor)
    if rail not in RAILS:
        raise NotFound(_("No such rail."))
    if run.status not in (PayoutRunStatus.APPROVED, PayoutRunStatus.CLOSED):
        raise Conflict(_("Export a run once another administrator has approved it."))
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    names = dict(session.exec(select(ProducerGroup.id, ProducerGroup.name)).all())
    for payout in payouts_of(session, run):
        if payout.rail != rail or payout.status == PayoutStatus.FAILED:
            continue
        whole, part = divmod(payout.amount_minor, 100)
        amount = str(payout.amount_minor) if payout.currency == "KHR" else f"{whole}.{part:02d}"
        writer.writerow((payout.id, payout.group_id, _cell(names.get(payout.group_id, "")),
                         payout.rail, _cell(payout.destination.get("bank") or ""),
                         _cell(payout.destination.get("account_name") or ""),
                         _cell(payout.destination.get("account_number") or ""),
                         payout.currency, str(payout.amount_minor), amount,
                         f"PAYOUT-{payout.id}"))
    run.exported_at = run.exported_at or utcnow()
    session.add(run)
    audit.record(session=session, actor=actor, entity_type="payout_run", entity_id=run.id,
                 action="exported", data={"rail": rail})
    return out.getvalue()


def _cell(text: str) -> str:
    """A text typed by a group, made safe for a spreadsheet (no formula runs)."""
    return f"'{text}" if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def get_payout(session: Session, actor: User | None, payout_id: int) -> Payout:
    _require_admin(session, actor)
    payout = session.get(Payout, payout_id)
    if payout is None:
        raise NotFound(_("No such payout."))
    return payout


def mark_sent(*, session: Session, settings: Settings, actor: User, payout: Payout,
              reference: str) -> Payout:
    """The bank (or partner) sent it: its reference, once for any payout."""
    _require_admin(session, actor)
    reference = " ".join(reference.split()).upper()
    if not reference:
        raise ValidationFailed({"reference": _("Enter the bank's reference.")})
    if len(reference) > 80:
        raise ValidationFailed({"reference": _("The reference is at most 80 characters.")})
    run = _lock_run(session, payout.run_id)
    if run.status != PayoutRunStatus.APPROVED:
        raise Conflict(_("Mark payouts sent once the run is approved."))
    try:
        with session.begin_nested():
            PAYOUT_STATUS.must_change(session, payout, PayoutStatus.SENT, actor=actor,
                                      values={"reference": reference, "sent_at": utcnow()},
                                      lost=_("This payout was marked meanwhile."))
    except IntegrityError as exc:
        raise Conflict(_("The reference %(ref)s is already recorded for another payout.",
                         ref=reference)) from exc
    sent = payout.amount_cents - payout.rounding_cents
    ledger.post(session=session, kind="payout_sent", description=f"Payout {payout.id} sent",
                entries=[(CLEARING, None, -sent), (BANK, None, sent)])
    _tell_members(session, settings, payout)
    _close_if_done(session, run)
    return payout


def mark_failed(*, session: Session, actor: User, payout: Payout, reason: str) -> Payout:
    """The payout did not reach the group: its booking is reversed and its entries are
    available again, for the next run."""
    _require_admin(session, actor)
    if not reason.strip():
        raise ValidationFailed({"reason": _("Say why it failed.")})
    run = _lock_run(session, payout.run_id)
    if run.status not in (PayoutRunStatus.APPROVED, PayoutRunStatus.CLOSED):
        raise Conflict(_("A payout fails once its run is approved; cancel a draft run "
                         "instead."))
    _reverse(session, payout, actor, reason.strip()[:500])
    _close_if_done(session, run)
    return payout


def _lock_run(session: Session, run_id: int) -> PayoutRun:
    """The run's row, locked: of two payouts marked at once, the second sees the first
    (so the run is closed when the last one is marked)."""
    return session.exec(select(PayoutRun).where(PayoutRun.id == run_id).with_for_update()
                        .execution_options(populate_existing=True)).one()


def _reverse(session: Session, payout: Payout, actor: User, reason: str) -> None:
    was_sent = payout.status == PayoutStatus.SENT
    PAYOUT_STATUS.must_change(session, payout, PayoutStatus.FAILED, actor=actor,
                              reason=reason, values={"failure": reason[:500],
                                                     "failed_at": utcnow()},
                              lost=_("This payout was marked meanwhile."))
    sent = payout.amount_cents - payout.rounding_cents
    ledger.post(session=session, kind="payout_reversal",
                description=f"Payout {payout.id} reversed",
                entries=[(ledger.producer_account(payout.group_id), payout.group_id,
                          payout.amount_cents),
                         (BANK if was_sent else CLEARING, None, -sent),
                         (ROUNDING, None, -payout.rounding_cents)])
    for item in session.exec(select(PayoutItem).where(PayoutItem.payout_id == payout.id)):
        item.released = True
        session.add(item)
    session.flush()


def _close_if_done(session: Session, run: PayoutRun) -> None:
    if run.status == PayoutRunStatus.APPROVED and all(
            p.status != PayoutStatus.PENDING for p in payouts_of(session, run)):
        RUN_STATUS.change(session, run, PayoutRunStatus.CLOSED, actor=None,
                          when_illegal="lose")


def _tell_members(session: Session, settings: Settings, payout: Payout) -> None:
    group = session.get(ProducerGroup, payout.group_id)
    people = session.exec(select(User).join(
        GroupMembership, GroupMembership.user_id == User.id).where(
        GroupMembership.group_id == group.id)).all()
    for person in people:
        queue_email(session=session, to=person.email, template="payout_sent",
                    context={"group": group, "payout": payout, "user": person,
                             "url": f"{settings.base_url}/dashboard/groups/{group.id}/earnings"},
                    locale=person.locale)


def list_runs(*, session: Session, actor: User, limit: int = 50) -> list[PayoutRun]:
    _require_admin(session, actor)
    return list(session.exec(select(PayoutRun).order_by(col(PayoutRun.id).desc()).limit(limit)))
