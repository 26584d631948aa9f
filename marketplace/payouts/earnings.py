"""What each producer group has earned, from the ledger: pending, available, in a payout,
paid. Nothing stores a balance; every figure is a sum of ledger entries.

An earning is an entry of ``producer:<group>`` posted by a sale, a refund, an invoice or a
credit note. A positive one becomes *available* once the buyer has the piece and the
refund window is over:

- a retail sale: its parcel delivered (or shipped ``payout_assume_delivered_days`` ago),
  plus ``payout_refund_window_days``;
- a wholesale invoice: the invoice paid and the group's part shipped
  ``payout_assume_delivered_days`` ago.

Until then it is *pending*. A negative one (a refund, a credit note) waits with its sale
while the sale is unpaid, and is available at once when the sale was already paid out: a
refund after a payout leaves the balance negative and the next payout nets it. An
entry held by a payout that has not failed is no longer available: it is *in a payout*
(pending) or *paid* (sent).
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from marketplace.config import Settings
from marketplace.models import (
    Fulfilment,
    Invoice,
    InvoiceStatus,
    LedgerEntry,
    LedgerTransaction,
    Payout,
    PayoutItem,
    PayoutStatus,
    PurchaseOrderPart,
    utcnow,
)
from marketplace.payments import ledger

EARNING_KINDS = ("payment", "refund", "invoice", "credit_note")


@dataclass(frozen=True)
class Earning:
    entry_id: int
    amount_cents: int
    kind: str
    order_id: int | None
    invoice_id: int | None
    created_at: datetime
    available_at: datetime | None  # None: not known yet (not delivered, not paid)

    def available(self, now: datetime) -> bool:
        return self.available_at is not None and self.available_at <= now


@dataclass(frozen=True)
class Balances:
    pending_cents: int
    available_cents: int
    in_payout_cents: int
    paid_cents: int


def unclaimed(session: Session, settings: Settings, group_id: int) -> list[Earning]:
    """The group's earnings no payout holds, oldest first, with when each is available."""
    held = select(PayoutItem.entry_id).where(PayoutItem.released.is_(False))
    rows = session.exec(select(LedgerEntry, LedgerTransaction).join(
        LedgerTransaction, LedgerTransaction.id == LedgerEntry.transaction_id).where(
        LedgerEntry.account == ledger.producer_account(group_id),
        col(LedgerTransaction.kind).in_(EARNING_KINDS),
        col(LedgerEntry.id).not_in(held)).order_by(LedgerEntry.id)).all()
    order_ids = {txn.order_id for _e, txn in rows if txn.order_id}
    invoice_ids = {txn.invoice_id for _e, txn in rows if txn.invoice_id}
    parcels = {f.order_id: f for f in session.exec(select(Fulfilment).where(
        col(Fulfilment.order_id).in_(order_ids), Fulfilment.group_id == group_id))} \
        if order_ids else {}
    invoices = {i.id: i for i in session.exec(select(Invoice).where(
        col(Invoice.id).in_(invoice_ids)))} if invoice_ids else {}
    parts = {p.purchase_order_id: p for p in session.exec(select(PurchaseOrderPart).where(
        col(PurchaseOrderPart.purchase_order_id).in_(
            [i.purchase_order_id for i in invoices.values() if i.purchase_order_id]),
        PurchaseOrderPart.group_id == group_id))} if invoices else {}
    assume = timedelta(days=settings.payout_assume_delivered_days)
    window = timedelta(days=settings.payout_refund_window_days)
    result = []
    for entry, txn in rows:
        when = None
        if txn.order_id and (parcel := parcels.get(txn.order_id)) is not None:
            settled = parcel.delivered_at or (parcel.shipped_at + assume
                                              if parcel.shipped_at else None)
            when = settled + window if settled else None
        elif txn.invoice_id and (invoice := invoices.get(txn.invoice_id)) is not None:
            part = parts.get(invoice.purchase_order_id)
            if invoice.status == InvoiceStatus.PAID and part is not None and part.shipped_at:
                when = part.shipped_at + assume
        result.append(Earning(entry.id, entry.amount_cents, txn.kind, txn.order_id,
                              txn.invoice_id, entry.created_at, when))
    return _refunds_follow_their_sales(result)


def _refunds_follow_their_sales(earnings: list[Earning]) -> list[Earning]:
    """A refund or credit note whose sale is still unpaid waits with it (a sale refunded
    before it ships nets to nothing, and takes nothing from the group's other money); one
    whose sale was already paid out is available at once, for the next payout to net."""
    sale_ready = {(e.order_id, e.invoice_id): e.available_at for e in earnings
                  if e.amount_cents > 0}
    out = []
    for e in earnings:
        if e.amount_cents < 0:
            key = (e.order_id, e.invoice_id)
            when = sale_ready.get(key, e.created_at)
            e = Earning(e.entry_id, e.amount_cents, e.kind, e.order_id, e.invoice_id,
                        e.created_at, when)
        out.append(e)
    return out


def balances(session: Session, settings: Settings, group_id: int,
             now: datetime | None = None,
             earnings: list[Earning] | None = None) -> Balances:
    """``earnings``: the group's ``unclaimed`` list when the caller has it already."""
    now = now or utcnow()
    earnings = unclaimed(session, settings, group_id) if earnings is None else earnings
    available = sum(e.amount_cents for e in earnings if e.available(now))
    pending = sum(e.amount_cents for e in earnings if not e.available(now))
    payouts = session.exec(select(Payout.status, Payout.amount_cents).where(
        Payout.group_id == group_id)).all()
    return Balances(
        pending_cents=pending, available_cents=available,
        in_payout_cents=sum(a for s, a in payouts if s == PayoutStatus.PENDING),
        paid_cents=sum(a for s, a in payouts if s == PayoutStatus.SENT))


def to_pay(earnings: list[Earning], now: datetime, reserve_cents: int) -> list[Earning]:
    """The available entries a payout takes: every negative one (refunds are netted), then
    positive ones oldest first while what is left available stays at least the reserve."""
    ready = [e for e in earnings if e.available(now)]
    target = sum(e.amount_cents for e in ready) - reserve_cents
    chosen = [e for e in ready if e.amount_cents < 0]
    total = sum(e.amount_cents for e in chosen)
    for earning in (e for e in ready if e.amount_cents >= 0):
        if total + earning.amount_cents > target:
            break
        chosen.append(earning)
        total += earning.amount_cents
    return chosen
