"""``marketplace ledger check`` and the admin's Ledger page: does the money add up?

1. Every ledger transaction sums to zero.
2. Every payout is the sum of the entries it claims, each claimed at its own amount.
3. Card money: for every PaymentIntent this marketplace knows (retail orders and wholesale
   card charges), what Stripe received less what it refunded equals what the ledger booked
   from those cards (``buyer``). Card fees are booked from the same payments, so the
   ledger's ``card_fees`` is shown beside them.
"""

from dataclasses import dataclass, field

from sqlalchemy import func
from sqlmodel import Session, col, select

from marketplace.models import (
    ChargeStatus,
    LedgerEntry,
    LedgerTransaction,
    Order,
    Payout,
    PayoutItem,
    WholesaleCharge,
)
from marketplace.payments import ledger
from marketplace.payments.gateway import GatewayUnavailable, PaymentGateway


@dataclass
class Report:
    differences: list[str] = field(default_factory=list)
    transactions: int = 0
    payouts: int = 0
    intents: int = 0
    card_in_ledger_cents: int = 0
    card_at_stripe_cents: int = 0
    card_fees_cents: int = 0

    @property
    def ok(self) -> bool:
        return not self.differences


def _intents(session: Session) -> dict[str, str]:
    """The PaymentIntents the ledger booked money from, and what each paid."""
    known = {intent: f"order {number}" for number, intent in session.exec(select(
        Order.number, Order.payment_intent_id).where(
        col(Order.payment_intent_id).is_not(None), col(Order.paid_at).is_not(None)))}
    for charge in session.exec(select(WholesaleCharge).where(
            WholesaleCharge.status == ChargeStatus.SUCCEEDED)):
        known[charge.intent_id] = f"wholesale charge {charge.id}"
    return known


def _card_in_ledger(session: Session) -> int:
    """What the ledger booked from cards through Stripe: the payments and refunds of orders
    paid with a PaymentIntent, and the wholesale card charges. (Demo sales are booked
    without one, so they are left out on both sides.)"""
    through_stripe = select(Order.id).where(col(Order.payment_intent_id).is_not(None))
    booked = session.exec(select(func.coalesce(func.sum(LedgerEntry.amount_cents), 0)).join(
        LedgerTransaction, LedgerTransaction.id == LedgerEntry.transaction_id).where(
        LedgerEntry.account == ledger.BUYER,
        col(LedgerTransaction.order_id).in_(through_stripe)
        | (LedgerTransaction.kind == "wholesale_card"))).one()
    return -booked


def run(session: Session, gateway: PaymentGateway | None) -> Report:
    report = Report()
    report.transactions = session.exec(select(func.count(LedgerTransaction.id))).one()
    for txn_id in ledger.unbalanced_transactions(session=session):
        report.differences.append(f"transaction {txn_id} does not sum to zero")
    claims = dict(session.exec(select(PayoutItem.payout_id, func.sum(PayoutItem.amount_cents))
                               .group_by(PayoutItem.payout_id)).all())
    for payout in session.exec(select(Payout)):
        report.payouts += 1
        if claims.get(payout.id, 0) != payout.amount_cents:
            report.differences.append(f"payout {payout.id} is {payout.amount_cents} cents but "
                                      f"claims {claims.get(payout.id, 0)}")
    for item_id, claimed, booked in session.exec(select(
            PayoutItem.id, PayoutItem.amount_cents, LedgerEntry.amount_cents).join(
            LedgerEntry, LedgerEntry.id == PayoutItem.entry_id).where(
            PayoutItem.amount_cents != LedgerEntry.amount_cents)):
        report.differences.append(f"payout item {item_id} claims {claimed} cents of an entry "
                                  f"of {booked}")
    report.card_in_ledger_cents = _card_in_ledger(session)
    report.card_fees_cents = ledger.balance(session=session, account=ledger.CARD_FEES)
    if gateway is None:
        return report
    for intent_id, what in _intents(session).items():
        report.intents += 1
        try:
            intent = gateway.retrieve_intent(intent_id)
            refunded = sum(r.amount_cents for r in gateway.refunds_of(intent_id)
                           if r.status == "succeeded")
        except GatewayUnavailable as exc:
            report.differences.append(f"{what}: Stripe did not answer for {intent_id} ({exc})")
            continue
        received = intent.amount_cents if intent.status == "succeeded" else 0
        report.card_at_stripe_cents += received - refunded
    unanswered = any("Stripe did not answer" in d for d in report.differences)
    if not unanswered and report.card_at_stripe_cents != report.card_in_ledger_cents:
        report.differences.append(
            f"card money: Stripe holds {report.card_at_stripe_cents} cents (payments less "
            f"refunds), the ledger {report.card_in_ledger_cents}")
    return report
