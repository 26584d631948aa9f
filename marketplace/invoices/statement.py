"""A business's statement of account: every invoice and credit note, and every payment it
made (bank transfers and card payments), by date, with the running balance. A positive
balance is what the business owes; a negative one is credit the marketplace holds for it.

Only money that crossed between the business and the marketplace is a line: a card deposit
or an overpayment later applied to an invoice moves nothing new, so it is not listed twice.
"""

from dataclasses import dataclass
from datetime import date, datetime

from sqlmodel import Session, col, select

from marketplace import access
from marketplace.auth.service.roles import has_role
from marketplace.errors import NotFound
from marketplace.i18n import gettext as _
from marketplace.models import (
    Business,
    ChargeStatus,
    Invoice,
    InvoiceKind,
    InvoicePayment,
    PaymentKind,
    PurchaseOrder,
    Role,
    User,
    WholesaleCharge,
)


@dataclass(frozen=True)
class StatementLine:
    on: date
    kind: str  # invoice | credit_note | transfer | card
    reference: str
    invoice_id: int | None
    debit_cents: int  # adds to what is owed
    credit_cents: int  # pays it
    balance_cents: int


def business_for(*, session: Session, actor: User | None,
                 business_id: int | None = None) -> Business:
    """The actor's own business, or (for an administrator) the one asked for."""
    if business_id is not None and has_role(session=session, user=actor, role=Role.ADMIN):
        business = session.get(Business, business_id)
    else:
        member = access.business_membership(session=session, user=actor)
        business = session.get(Business, member.business_id) if member else None
        if business_id is not None and business is not None and business.id != business_id:
            business = None
    if business is None:
        raise NotFound(_("No such business."))
    return business


def lines(session: Session, business_id: int) -> list[StatementLine]:
    """The statement, oldest first; the last line's balance is the balance now."""
    rows: list[tuple[date, datetime, str, str, int | None, int, int]] = []
    for invoice in session.exec(select(Invoice).where(Invoice.business_id == business_id)):
        if invoice.kind == InvoiceKind.INVOICE:
            rows.append((invoice.issued_on, invoice.created_at, "invoice", invoice.number,
                         invoice.id, invoice.total_cents, 0))
        else:
            rows.append((invoice.issued_on, invoice.created_at, "credit_note", invoice.number,
                         invoice.id, 0, invoice.total_cents))
    transfers = session.exec(select(InvoicePayment, Invoice.number).join(
        Invoice, Invoice.id == InvoicePayment.invoice_id).where(
        Invoice.business_id == business_id, InvoicePayment.kind == PaymentKind.TRANSFER))
    for payment, number in transfers:
        rows.append((payment.received_on, payment.created_at, "transfer", f"{payment.bank_reference} "
                     f"({number})", payment.invoice_id, 0, payment.amount_cents))
    cards = session.exec(select(WholesaleCharge, PurchaseOrder.number).join(
        PurchaseOrder, PurchaseOrder.id == WholesaleCharge.purchase_order_id).where(
        WholesaleCharge.business_id == business_id,
        WholesaleCharge.status == ChargeStatus.SUCCEEDED).order_by(
        col(WholesaleCharge.succeeded_at)))
    for charge, number in cards:
        paid_at = charge.succeeded_at or charge.created_at
        rows.append((paid_at.date(), paid_at, "card",
                     f"{number} ({charge.purpose})", charge.invoice_id, 0, charge.amount_cents))
    rows.sort(key=lambda row: (row[0], row[1]))  # by date, then in the order they happened
    balance, result = 0, []
    for on, _at, kind, reference, invoice_id, debit, credit in rows:
        balance += debit - credit
        result.append(StatementLine(on, kind, reference, invoice_id, debit, credit, balance))
    return result
