"""The append-only, double-entry ledger. Nothing updates a balance: a balance is a sum.

Payment of an order (T = what the buyer paid):
    buyer                  -T
    producer:<group>       +(its lines - commission + its parcel)   for each group
    shipping:consolidation +(the shipment abroad - the groups' parcels to the packing point)
    commission             +C + S   (S: the small-order fee, when the card fee exceeds C)
    card_fees              +F        (Stripe's fee ...)
    commission             -F        (... paid out of the commission)
A refund reverses the refunded part of a line proportionally (and shipping, the packing
point's part and the small-order fee on a full refund).
"""

from sqlalchemy import func
from sqlmodel import Session, select

from marketplace.errors import UnbalancedTransaction
from marketplace.models import LedgerEntry, LedgerTransaction, Order, OrderLine, Refund

BUYER = "buyer"
COMMISSION = "commission"
CARD_FEES = "card_fees"
CONSOLIDATION = "shipping:consolidation"


def producer_account(group_id: int) -> str:
    return f"producer:{group_id}"


def post(*, session: Session, kind: str, entries: list[tuple[str, int | None, int]],
         order_id: int | None = None, refund_id: int | None = None,
         invoice_id: int | None = None, description: str = "") -> LedgerTransaction:
    """Write one balanced transaction; entries are (account, group id, signed cents)."""
    entries = [e for e in entries if e[2] != 0]
    if sum(amount for _a, _g, amount in entries) != 0:
        raise UnbalancedTransaction(entries)
    txn = LedgerTransaction(kind=kind, order_id=order_id, refund_id=refund_id,
                            invoice_id=invoice_id, description=description[:300])
    session.add(txn)
    session.flush()
    for account, group_id, amount in entries:
        session.add(LedgerEntry(transaction_id=txn.id, account=account, group_id=group_id,
                                amount_cents=amount))
    session.flush()
    return txn


def record_payment(*, session: Session, order: Order, lines: list[OrderLine],
                   shipping_by_group: dict[int | None, int]) -> LedgerTransaction:
    """The entries for a paid order."""
    payable: dict[int | None, int] = {}
    for line in lines:
        payable[line.group_id] = payable.get(line.group_id, 0) + \
            line.line_total_cents - line.commission_cents
    for group_id, cents in shipping_by_group.items():
        payable[group_id] = payable.get(group_id, 0) + cents
    entries = [(BUYER, None, -order.total_cents)]
    entries += [(producer_account(g) if g else "producer:unknown", g, cents)
                for g, cents in payable.items()]
    consolidation = order.shipping_cents - sum(shipping_by_group.values())
    if consolidation < 0:
        raise UnbalancedTransaction([(CONSOLIDATION, None, consolidation)])
    entries += [(CONSOLIDATION, None, consolidation)]
    entries += [(COMMISSION, None, order.commission_cents + order.small_order_fee_cents),
                (CARD_FEES, None, order.card_fee_cents),
                (COMMISSION, None, -order.card_fee_cents)]
    return post(session=session, kind="payment", entries=entries, order_id=order.id,
                description=f"Order {order.number} paid")


def record_refund(*, session: Session, order: Order, refund: Refund,
                  parts: list[dict]) -> LedgerTransaction:
    """Reverse a refund; ``parts`` are the refund's plan: each with its group's producer
    cents and commission cents, and (the order's extras) the packing point's shipping."""
    entries: list[tuple[str, int | None, int]] = [(BUYER, None, refund.amount_cents)]
    for part in parts:
        group_id = part["group_id"]
        if part.get("extra"):
            entries.append((CONSOLIDATION, None, -part["shipping_cents"]))
        else:
            entries.append((producer_account(group_id) if group_id else "producer:unknown",
                            group_id, -part["producer_cents"]))
        entries.append((COMMISSION, None, -part["commission_cents"]))
    return post(session=session, kind="refund", entries=entries, order_id=order.id,
                refund_id=refund.id, description=f"Refund on order {order.number}")


def balance(*, session: Session, account: str) -> int:
    """Sum of an account's entries, in cents."""
    return session.exec(select(func.coalesce(func.sum(LedgerEntry.amount_cents), 0)).where(
        LedgerEntry.account == account)).one()


def group_payable(*, session: Session, group_id: int) -> int:
    """What the marketplace owes a producer group now."""
    return balance(session=session, account=producer_account(group_id))


def unbalanced_transactions(*, session: Session) -> list[int]:
    """Ids of transactions whose entries do not sum to zero (should always be empty)."""
    rows = session.exec(select(LedgerEntry.transaction_id).group_by(
        LedgerEntry.transaction_id).having(func.sum(LedgerEntry.amount_cents) != 0))
    return list(rows)
