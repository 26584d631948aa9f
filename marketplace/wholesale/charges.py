"""Card payments towards purchase orders: a made-to-order part's deposit, and the balance
of the order's invoice.

What is due (``dues``): each accepted part's deposit (the group's percentage of its
made-to-order lines, fixed at acceptance) until it is paid, then what is left on the
invoice once every group has answered. On a card order the group ships only when the
invoice is paid; on terms, a part with a deposit ships once the deposit is paid, and the
rest follows the invoice's terms (a business on terms may still pay the invoice by card).

A charge is recorded and committed before Stripe is called (``flows.pay``), like a retail
payment attempt. When it succeeds (the card answer, the webhook, or the worker asking
Stripe: all through ``apply_succeeded``, once) the money enters the ledger as the
business's credit and pays the invoice if there is one; a deposit paid before the invoice
is issued pays it at issue (``invoices.issue_for_order``). The card fee comes out of the
commission, as in retail:

    buyer -A   credit:<business> +A   card_fees +F   commission -F
"""

import logging
from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from marketplace import audit
from marketplace.config import Settings
from marketplace.core.status import Lifecycle
from marketplace.errors import Conflict, NotFound, ValidationFailed
from marketplace.i18n import gettext as _
from marketplace.invoices import service as invoices
from marketplace.models import (
    Business,
    ChargePurpose,
    ChargeStatus,
    Invoice,
    PartStatus,
    PaymentKind,
    PaymentMethod,
    ProducerGroup,
    PurchaseOrder,
    PurchaseOrderPart,
    PurchaseOrderStatus,
    User,
    WholesaleCharge,
    utcnow,
)
from marketplace.notifications.service import queue_email
from marketplace.orders.service.payment import PAYMENT_METHOD
from marketplace.payments import ledger, pricing
from marketplace.payments.gateway import Intent
from marketplace.wholesale import purchasing

log = logging.getLogger("marketplace.stripe")

# A charge given up on may still succeed late (the processor had it after all): that money
# is applied, never lost.
CHARGE_STATUS = Lifecycle(WholesaleCharge, "wholesale_charge", {
    ChargeStatus.CREATING: {ChargeStatus.CREATED, ChargeStatus.ABANDONED},
    ChargeStatus.CREATED: {ChargeStatus.SUCCEEDED, ChargeStatus.FAILED, ChargeStatus.ABANDONED},
    ChargeStatus.FAILED: {ChargeStatus.SUCCEEDED},
    ChargeStatus.ABANDONED: {ChargeStatus.SUCCEEDED},
})
IN_PROGRESS = (ChargeStatus.CREATING, ChargeStatus.CREATED)


class NothingDue(Conflict):
    slug = "nothing-due"

    def default_detail(self) -> str:
        return _("Nothing is due by card on this purchase order now.")


class ChargeInProgress(Conflict):
    slug = "payment-in-progress"

    def default_detail(self) -> str:
        return _("A card payment for this purchase order is being processed. Wait a "
                 "minute, then reload the page.")


@dataclass(frozen=True)
class Due:
    """Something the business can pay by card now. ``required``: the group waits for it
    before shipping (a deposit; the balance of a card order)."""

    purpose: ChargePurpose
    amount_cents: int
    part: PurchaseOrderPart | None
    required: bool

    @property
    def key(self) -> str:
        return f"deposit-{self.part.id}" if self.part else "balance"


def _deposit_paid(session: Session, part: PurchaseOrderPart) -> bool:
    return session.exec(select(WholesaleCharge.id).where(
        WholesaleCharge.part_id == part.id, WholesaleCharge.purpose == ChargePurpose.DEPOSIT,
        WholesaleCharge.status == ChargeStatus.SUCCEEDED)).first() is not None


def dues(session: Session, order: PurchaseOrder) -> list[Due]:
    """What can be paid by card on the purchase order now: deposits first, then the rest
    of the invoice. Nothing once the invoice is paid (by whatever means)."""
    if order.status not in (PurchaseOrderStatus.SUBMITTED, PurchaseOrderStatus.CONFIRMED):
        return []
    invoice = invoices.for_order(session, order.id)
    left = invoices.outstanding(session, invoice) if invoice else None
    if left == 0:
        return []
    result: list[Due] = []
    for part in purchasing.parts_of(session, order):
        if part.status in (PartStatus.ACCEPTED, PartStatus.SHIPPED) and part.deposit_cents \
                and not _deposit_paid(session, part):
            amount = part.deposit_cents if left is None else min(part.deposit_cents, left)
            result.append(Due(ChargePurpose.DEPOSIT, amount, part, True))
    if left is not None:
        rest = left - sum(due.amount_cents for due in result)
        if rest > 0:
            result.append(Due(ChargePurpose.BALANCE, rest, None,
                              order.payment_method == PaymentMethod.CARD))
    return result


def unpaid_before_shipping(session: Session, order: PurchaseOrder,
                           part: PurchaseOrderPart) -> int:
    """What must still be paid before ``part`` ships: its deposit, and on a card order
    the whole invoice."""
    due = dues(session, order)
    if order.payment_method == PaymentMethod.CARD:
        return sum(d.amount_cents for d in due)
    return sum(d.amount_cents for d in due if d.part is not None and d.part.id == part.id)


def charges_of(session: Session, order: PurchaseOrder) -> list[WholesaleCharge]:
    return list(session.exec(select(WholesaleCharge).where(
        WholesaleCharge.purchase_order_id == order.id).order_by(WholesaleCharge.id)))


@dataclass
class Start:
    charge: WholesaleCharge
    repeated: bool


def payable_order(session: Session, actor: User | None, order_id: int) -> PurchaseOrder:
    """A purchase order of the actor's verified business; NotFound otherwise."""
    business = purchasing.buying_business(session, actor)
    order = session.get(PurchaseOrder, order_id)
    if order is None or order.business_id != business.id \
            or order.status == PurchaseOrderStatus.DRAFT:
        raise NotFound(_("No such purchase order."))
    return order


def begin(*, session: Session, actor: User, order: PurchaseOrder, due_key: str,
          payment_method: str, idempotency_key: str) -> Start:
    """Record a charge of what ``due_key`` ("deposit-<part id>" or "balance") names. The
    same ``idempotency_key`` again returns the first charge, ``repeated``. Raises
    ValidationFailed (no card), NothingDue, ChargeInProgress."""
    payment_method = (payment_method or "").strip()
    if not PAYMENT_METHOD.match(payment_method):
        raise ValidationFailed({"payment_method": _("Enter your card details, then pay.")})
    key = f"po-{order.id}-{idempotency_key}"[:140]
    earlier = session.exec(select(WholesaleCharge).where(
        WholesaleCharge.idempotency_key == key)).first()
    if earlier is not None:
        return Start(earlier, True)
    business = purchasing.lock_business(session, purchasing.buying_business(session, actor))
    due = next((d for d in dues(session, order) if d.key == due_key), None)
    if due is None:
        raise NothingDue()
    charge = WholesaleCharge(purchase_order_id=order.id, business_id=business.id,
                             part_id=due.part.id if due.part else None, purpose=due.purpose,
                             amount_cents=due.amount_cents, payment_method=payment_method,
                             idempotency_key=key, paid_by_id=actor.id)
    try:
        with session.begin_nested():
            session.add(charge)
            session.flush()
    except IntegrityError as exc:  # the same press raced in, or another charge is running
        earlier = session.exec(select(WholesaleCharge).where(
            WholesaleCharge.idempotency_key == key)).first()
        if earlier is not None:
            return Start(earlier, True)
        raise ChargeInProgress() from exc
    return Start(charge, False)


def move(session: Session, charge_id: int, to: ChargeStatus, **values) -> bool:
    """Move the charge through the map; False when it had moved elsewhere meanwhile."""
    charge = session.get(WholesaleCharge, charge_id, populate_existing=True)
    return CHARGE_STATUS.change(session, charge, to, actor=None, values=values or None,
                                when_illegal="lose")


def intent_created(*, session: Session, charge_id: int, intent: Intent) -> None:
    """Remember the processor's intent. Conflict (and the charge abandoned) when it is for
    another amount; ChargeInProgress when the worker closed the charge meanwhile."""
    charge = session.get(WholesaleCharge, charge_id)
    if intent.amount_cents != charge.amount_cents:
        move(session, charge_id, ChargeStatus.ABANDONED,
             error=f"intent {intent.id} for {intent.amount_cents} cents")
        raise Conflict(_("The card processor answered with another amount. Nothing was "
                         "charged; reload the page and try again."))
    if not move(session, charge_id, ChargeStatus.CREATED, intent_id=intent.id,
                intent_status=intent.status):
        raise ChargeInProgress()


def find(session: Session, intent_id: str | None) -> WholesaleCharge | None:
    if not intent_id:
        return None
    return session.exec(select(WholesaleCharge).where(
        WholesaleCharge.intent_id == intent_id)).first()


def apply_succeeded(*, session: Session, settings: Settings, charge: WholesaleCharge,
                    intent_id: str, amount_cents: int, currency: str) -> str:
    """The charge's PaymentIntent succeeded: book the money once (the charge row is locked
    first, so the card answer, the webhook and the worker apply it once). A payment that
    cannot be applied as it is (another amount or currency) is audited for a person."""
    charge = session.exec(select(WholesaleCharge).where(WholesaleCharge.id == charge.id)
                          .with_for_update().execution_options(populate_existing=True)).one()
    if charge.status == ChargeStatus.SUCCEEDED:
        return "charge already applied"
    if amount_cents != charge.amount_cents or currency.lower() != "usd":
        problem = f"paid {amount_cents} {currency} for a charge of {charge.amount_cents} usd"
        log.error("stripe payment %s of wholesale charge %s needs attention: %s", intent_id,
                  charge.id, problem)
        audit.record(session=session, actor=None, entity_type="purchase_order",
                     entity_id=charge.purchase_order_id, action="payment_needs_attention",
                     reason=problem, data={"payment_intent": intent_id})
        return f"needs attention: {problem}"
    order = session.get(PurchaseOrder, charge.purchase_order_id)
    purchasing.lock_business(session, session.get(Business, order.business_id))
    fee = pricing.card_fee(amount_cents, settings.card_fee_basis_points,
                           settings.card_fee_fixed_cents)
    if not move(session, charge.id, ChargeStatus.SUCCEEDED, intent_id=intent_id,
                intent_status="succeeded", card_fee_cents=fee, succeeded_at=utcnow()):
        return "charge already applied"
    ledger.post(session=session, kind="wholesale_card", description=(
        f"Card {charge.purpose} for {order.number}"), entries=[
        (ledger.BUYER, None, -amount_cents),
        (invoices.credit_account(charge.business_id), None, amount_cents),
        (ledger.CARD_FEES, None, fee), (ledger.COMMISSION, None, -fee)])
    invoice: Invoice | None = invoices.for_order(session, order.id)
    if invoice is not None:
        invoices.apply_credit(session, invoice, limit=amount_cents, kind=PaymentKind.CARD,
                              reference=intent_id)
        charge.invoice_id = invoice.id
        session.add(charge)
    if charge.part_id is not None:
        _tell_group(session, settings, order, charge)
    return "charge applied"


def _tell_group(session: Session, settings: Settings, order: PurchaseOrder,
                charge: WholesaleCharge) -> None:
    """The group starts making once the deposit is in: its leader hears at once."""
    part = session.get(PurchaseOrderPart, charge.part_id)
    group = session.get(ProducerGroup, part.group_id)
    leader = session.get(User, group.leader_id) if group.leader_id else None
    if leader is not None:
        queue_email(session=session, to=leader.email, template="purchase_order_deposit_paid",
                    context={"order": order, "user": leader, "amount": charge.amount_cents,
                             "business": session.get(Business, order.business_id),
                             "url": f"{settings.base_url}/dashboard/purchase-orders/{part.id}"},
                    locale=leader.locale)


def failed(*, session: Session, charge: WholesaleCharge, intent_status: str,
           error: str = "") -> bool:
    """The card was refused; the business may try another card."""
    return move(session, charge.id, ChargeStatus.FAILED, intent_status=intent_status[:40],
                error=error[:300])
