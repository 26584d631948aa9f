"""A group's earnings line by line: each sale, refund, invoice and credit note as its ledger
entry, with the pieces behind it (gross, commission, the card fee share paid from that
commission, net), the parcel's shipping, its status, and the payout that paid it; and the
makers named on the pieces, so a group can pass the money on to its members."""

from dataclasses import dataclass, field
from datetime import date, datetime

from sqlmodel import Session, col, select

from marketplace.config import Settings
from marketplace.core.money import share
from marketplace.models import (
    Fulfilment,
    Invoice,
    InvoiceLine,
    LedgerEntry,
    LedgerTransaction,
    Order,
    OrderLine,
    Payout,
    PayoutItem,
    PayoutStatus,
    utcnow,
)
from marketplace.payments import ledger
from marketplace.payouts.earnings import EARNING_KINDS, Earning, unclaimed


@dataclass(frozen=True)
class Piece:
    title: str
    title_km: str
    maker: str
    quantity: int
    gross_cents: int
    commission_cents: int
    card_fee_cents: int  # paid out of the commission, shown so the split adds up
    net_cents: int
    refunded_cents: int = 0  # refunded to the buyer on this line (its own ledger entry)


@dataclass
class Row:
    entry_id: int
    on: date
    kind: str  # payment | refund | invoice | credit_note
    reference: str  # the order or invoice number
    amount_cents: int
    status: str  # pending | available | in_payout | paid
    payout_id: int | None = None
    shipping_cents: int = 0
    pieces: list[Piece] = field(default_factory=list)


def rows(session: Session, settings: Settings, group_id: int, *, start: datetime | None = None,
         end: datetime | None = None, limit: int = 200,
         waiting: list[Earning] | None = None) -> list[Row]:
    """The group's earnings, newest first (between ``start`` and ``end`` when given);
    ``waiting``: its ``unclaimed`` list when the caller has it already."""
    query = select(LedgerEntry, LedgerTransaction).join(
        LedgerTransaction, LedgerTransaction.id == LedgerEntry.transaction_id).where(
        LedgerEntry.account == ledger.producer_account(group_id),
        col(LedgerTransaction.kind).in_(EARNING_KINDS))
    if start is not None:
        query = query.where(LedgerEntry.created_at >= start)
    if end is not None:
        query = query.where(LedgerEntry.created_at < end)
    found = session.exec(query.order_by(col(LedgerEntry.id).desc()).limit(limit)).all()
    if not found:
        return []
    entry_ids = [entry.id for entry, _txn in found]
    held = dict(session.exec(select(PayoutItem.entry_id, Payout).join(
        Payout, Payout.id == PayoutItem.payout_id).where(
        col(PayoutItem.entry_id).in_(entry_ids), PayoutItem.released.is_(False))).all())
    now = utcnow()
    waiting = unclaimed(session, settings, group_id) if waiting is None else waiting
    ready = {e.entry_id: e.available(now) for e in waiting}
    order_ids = {txn.order_id for _e, txn in found if txn.order_id}
    invoice_ids = {txn.invoice_id for _e, txn in found if txn.invoice_id}
    numbers = dict(session.exec(select(Order.id, Order.number).where(
        col(Order.id).in_(order_ids))).all()) if order_ids else {}
    numbers.update({f"i{i}": n for i, n in session.exec(select(Invoice.id, Invoice.number).where(
        col(Invoice.id).in_(invoice_ids))).all()} if invoice_ids else {})
    pieces = _retail_pieces(session, group_id, order_ids)
    pieces.update(_wholesale_pieces(session, settings, group_id, invoice_ids))
    shipping = dict(session.exec(select(Fulfilment.order_id, Fulfilment.shipping_cents).where(
        col(Fulfilment.order_id).in_(order_ids), Fulfilment.group_id == group_id)).all()) \
        if order_ids else {}
    result = []
    for entry, txn in found:
        payout = held.get(entry.id)
        status = ("paid" if payout.status == PayoutStatus.SENT else "in_payout") if payout \
            else ("available" if ready.get(entry.id) else "pending")
        key = txn.order_id if txn.order_id else f"i{txn.invoice_id}"
        row = Row(entry.id, entry.created_at.date(), txn.kind, numbers.get(key, ""),
                  entry.amount_cents, status, payout.id if payout else None)
        if txn.kind in ("payment", "invoice"):
            row.pieces = pieces.get(key, [])
            row.shipping_cents = shipping.get(txn.order_id, 0) if txn.order_id else 0
        result.append(row)
    return result


def _retail_pieces(session: Session, group_id: int, order_ids) -> dict:
    out: dict = {}
    if not order_ids:
        return out
    for line in session.exec(select(OrderLine).where(
            col(OrderLine.order_id).in_(order_ids), OrderLine.group_id == group_id)
            .order_by(OrderLine.id)):
        out.setdefault(line.order_id, []).append(Piece(
            line.title, line.title_km, line.maker, line.quantity, line.line_total_cents,
            line.commission_cents, line.card_fee_cents, line.producer_cents,
            line.refunded_cents))
    return out


def _wholesale_pieces(session: Session, settings: Settings, group_id: int,
                      invoice_ids) -> dict:
    out: dict = {}
    if not invoice_ids:
        return out
    for line in session.exec(select(InvoiceLine).where(
            col(InvoiceLine.invoice_id).in_(invoice_ids), InvoiceLine.group_id == group_id)
            .order_by(InvoiceLine.id)):
        cut = share(line.total_cents, settings.wholesale_commission_basis_points)
        out.setdefault(f"i{line.invoice_id}", []).append(Piece(
            line.description, line.description_km, "", line.quantity, line.total_cents, cut,
            0, line.total_cents - cut))
    return out


def makers(found: list[Row]) -> list[tuple[str, int, int]]:
    """(maker, pieces, net cents) for each maker named on the pieces sold, most first."""
    totals: dict[str, list[int]] = {}
    for row in found:
        for piece in row.pieces:
            if piece.maker:
                tally = totals.setdefault(piece.maker, [0, 0])
                tally[0] += piece.quantity
                tally[1] += piece.net_cents
    return sorted(((m, q, c) for m, (q, c) in totals.items()), key=lambda t: -t[2])
