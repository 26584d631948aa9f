"""Invoices for purchase orders on terms: issue (numbered without gaps), credit notes,
bank transfers recorded against them, and what a business owes.

The ledger (``payments.ledger``) gets every movement, so each producer group's payable is
right whether the buyer paid by card or by transfer:

    issue      receivable:<business> -T   producer:<group> +(lines - commission)   commission +C
    credit     the reverse of the part credited, split across groups in proportion
    transfer   bank -A   receivable:<business> +applied   credit:<business> +(A - applied)
    card       (wholesale.charges) buyer -A   credit:<business> +A   card_fees +F  commission -F
    applied    credit:<business> -N   receivable:<business> +N

Money that arrives before there is anything to pay (a made-to-order deposit by card, an
overpaid transfer) is the business's credit; each newly issued invoice takes what credit
there is (``apply_credit``), the purchase order's own card deposits first.
"""

from datetime import date, timedelta

from sqlalchemy import func, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from marketplace import access, audit, geo
from marketplace.auth.service.roles import has_role
from marketplace.config import Settings
from marketplace.core.money import proportional, share
from marketplace.errors import Conflict, Forbidden, NotFound, ValidationFailed
from marketplace.i18n import gettext as _
from marketplace.invoices import pdf
from marketplace.models import (
    Business,
    ChargeStatus,
    Invoice,
    InvoiceCounter,
    InvoiceKind,
    InvoiceLine,
    InvoicePayment,
    InvoiceStatus,
    PaymentKind,
    PaymentMethod,
    Product,
    PurchaseOrder,
    PurchaseOrderLine,
    PurchaseOrderPart,
    Role,
    User,
    WholesaleCharge,
    utcnow,
)
from marketplace.payments import khqr, ledger

BANK = "bank"


def receivable_account(business_id: int) -> str:
    return f"receivable:{business_id}"


def credit_account(business_id: int) -> str:
    return f"credit:{business_id}"


def next_sequence(session: Session, year: int) -> int:
    """The year's next invoice number, taken under the counter row's lock: concurrent
    issues wait for each other, and a rolled-back issue gives its number back."""
    for _attempt in range(3):
        taken = session.execute(
            update(InvoiceCounter).where(InvoiceCounter.year == year)
            .values(last_number=InvoiceCounter.last_number + 1)
            .returning(InvoiceCounter.last_number)).scalar()
        if taken is not None:
            return taken
        try:
            with session.begin_nested():  # the year's first invoice
                session.add(InvoiceCounter(year=year, last_number=1))
                session.flush()
            return 1
        except IntegrityError:
            continue  # another transaction made the row first: take the next number
    raise Conflict(_("Invoice numbering is busy; try again."))


def _new_invoice(session: Session, settings: Settings, business: Business, *, kind: str,
                 total: int, reference: str = "", order_id: int | None = None,
                 corrects_id: int | None = None, note: str = "",
                 terms_days: int = 0) -> Invoice:
    today = utcnow().date()
    sequence = next_sequence(session, today.year)
    prefix = "INV" if kind == InvoiceKind.INVOICE else "CN"
    address = business.address_line if business.country_code != "KH" else ", ".join(
        p for p in (business.address_line, geo.describe(business.village_code,
                                                         business.province_code)) if p)
    invoice = Invoice(
        number=f"{prefix}-{today.year}-{sequence:06d}", year=today.year, sequence=sequence,
        kind=kind, business_id=business.id, purchase_order_id=order_id,
        corrects_id=corrects_id, buyer_name=business.legal_name,
        buyer_name_km=business.legal_name_km, buyer_tax_id=business.tax_id,
        buyer_address=address[:400], buyer_reference=reference, issued_on=today,
        due_on=today + timedelta(days=terms_days)
        if kind == InvoiceKind.INVOICE else None,
        total_cents=total, khr_per_usd=settings.khr_per_usd, note=note,
        status=InvoiceStatus.OPEN if kind == InvoiceKind.INVOICE else InvoiceStatus.PAID)
    session.add(invoice)
    session.flush()
    return invoice


def issue_for_order(*, session: Session, settings: Settings,
                    order: PurchaseOrder) -> Invoice:
    """The invoice of a confirmed purchase order: its accepted lines, due after the
    business's terms (on issue when it pays by card); the ledger owes each group its lines
    less the commission. Card deposits already paid, then any other credit of the
    business, pay it at once. The caller holds the business's row lock."""
    business = session.get(Business, order.business_id)
    rows = session.exec(select(PurchaseOrderLine, Product, PurchaseOrderPart).join(
        Product, Product.id == PurchaseOrderLine.product_id).join(
        PurchaseOrderPart, PurchaseOrderPart.id == PurchaseOrderLine.part_id).where(
        PurchaseOrderLine.purchase_order_id == order.id,
        PurchaseOrderPart.status == "accepted").order_by(PurchaseOrderLine.id)).all()
    total = sum(line.quantity * line.unit_price_cents for line, _p, _part in rows)
    invoice = _new_invoice(session, settings, business, kind=InvoiceKind.INVOICE, total=total,
                           reference=order.reference or order.number or "",
                           order_id=order.id,
                           terms_days=business.payment_terms_days or 0
                           if order.payment_method == PaymentMethod.INVOICE else 0)
    payable: dict[int, int] = {}
    commission = 0
    for line, product, part in rows:
        amount = line.quantity * line.unit_price_cents
        session.add(InvoiceLine(invoice_id=invoice.id, group_id=part.group_id,
                                # a Khmer-only piece is described in Khmer, once
                                description=(product.title or product.title_km)[:300],
                                description_km=product.title_km[:300] if product.title else "",
                                quantity=line.quantity,
                                unit_price_cents=line.unit_price_cents, total_cents=amount))
        cut = share(amount, settings.wholesale_commission_basis_points)
        commission += cut
        payable[part.group_id] = payable.get(part.group_id, 0) + amount - cut
    ledger.post(session=session, kind="invoice", description=f"Invoice {invoice.number}",
                invoice_id=invoice.id,
                entries=[(receivable_account(business.id), None, -total),
                         *[(ledger.producer_account(g), g, c) for g, c in payable.items()],
                         (ledger.COMMISSION, None, commission)])
    audit.record(session=session, actor=None, entity_type="invoice", entity_id=invoice.id,
                 action="issued", to_state=InvoiceStatus.OPEN,
                 data={"number": invoice.number, "total_cents": total, "order": order.number})
    deposits = session.exec(select(WholesaleCharge).where(
        WholesaleCharge.purchase_order_id == order.id,
        WholesaleCharge.status == ChargeStatus.SUCCEEDED,
        col(WholesaleCharge.invoice_id).is_(None)).order_by(WholesaleCharge.id)).all()
    for charge in deposits:
        apply_credit(session, invoice, limit=charge.amount_cents, kind=PaymentKind.CARD,
                     reference=charge.intent_id or f"CHARGE-{charge.id}")
        charge.invoice_id = invoice.id
        session.add(charge)
    apply_credit(session, invoice, kind=PaymentKind.CREDIT, reference=f"CREDIT {invoice.number}")
    return invoice


def credit_balance(session: Session, business_id: int) -> int:
    """What the marketplace holds for the business (overpayments, unapplied deposits)."""
    return ledger.balance(session=session, account=credit_account(business_id))


def apply_credit(session: Session, invoice: Invoice, *, kind: PaymentKind, reference: str,
                 limit: int | None = None) -> InvoicePayment | None:
    """Pay ``invoice`` from the business's credit: as much as there is, as is due, and (when
    given) as ``limit``. Recorded as a payment of ``kind`` under ``reference`` (the card
    payment's intent, or the invoice's own credit line). The caller holds the business's
    row lock, so two invoices never spend the same credit; the invoice's own lock keeps a
    transfer recorded at the same moment from paying the same amount again."""
    invoice = _lock(session, invoice)
    amount = min(credit_balance(session, invoice.business_id), outstanding(session, invoice))
    if limit is not None:
        amount = min(amount, limit)
    if amount <= 0:
        return None
    payment = InvoicePayment(invoice_id=invoice.id, amount_cents=amount, applied_cents=amount,
                             received_on=utcnow().date(), bank_reference=reference[:60],
                             kind=kind)
    session.add(payment)
    session.flush()
    ledger.post(session=session, kind="applied", entries=[
        (credit_account(invoice.business_id), None, -amount),
        (receivable_account(invoice.business_id), None, amount)],
        description=f"{kind} {reference} applied to {invoice.number}")
    if outstanding(session, invoice) == 0:
        invoice.status = InvoiceStatus.PAID
        session.add(invoice)
    audit.record(session=session, actor=None, entity_type="invoice", entity_id=invoice.id,
                 action="payment_applied", data={"amount_cents": amount, "kind": str(kind),
                                                 "reference": reference[:60]})
    return payment


def for_order(session: Session, order_id: int) -> Invoice | None:
    """The invoice of a purchase order, once it is confirmed."""
    return session.exec(select(Invoice).where(
        Invoice.purchase_order_id == order_id, Invoice.kind == InvoiceKind.INVOICE)).first()


def _require_admin(session: Session, actor: User | None) -> None:
    if not has_role(session=session, user=actor, role=Role.ADMIN):
        raise Forbidden()


def _lock(session: Session, invoice: Invoice) -> Invoice:
    return session.exec(select(Invoice).where(Invoice.id == invoice.id).with_for_update()).one()


def credited(session: Session, invoice: Invoice) -> int:
    return session.exec(select(func.coalesce(func.sum(Invoice.total_cents), 0)).where(
        Invoice.corrects_id == invoice.id)).one()


def paid(session: Session, invoice: Invoice) -> int:
    return session.exec(select(func.coalesce(func.sum(InvoicePayment.applied_cents), 0)).where(
        InvoicePayment.invoice_id == invoice.id)).one()


def outstanding(session: Session, invoice: Invoice) -> int:
    """What is still due on the invoice (0 for a credit note)."""
    if invoice.kind != InvoiceKind.INVOICE:
        return 0
    return max(invoice.total_cents - credited(session, invoice) - paid(session, invoice), 0)


def credit_note(*, session: Session, settings: Settings, actor: User, invoice: Invoice,
                amount_cents: int, reason: str, idempotency_key: str) -> Invoice:
    """An admin corrects an issued invoice by crediting part or all of what is still due.
    The same ``idempotency_key`` again returns the first credit note and credits nothing."""
    _require_admin(session, actor)
    invoice = _lock(session, invoice)
    earlier = session.exec(select(Invoice).where(
        Invoice.corrects_id == invoice.id, Invoice.idempotency_key == idempotency_key)).first()
    if earlier is not None:
        return earlier
    if invoice.kind != InvoiceKind.INVOICE:
        raise Conflict(_("A credit note corrects an invoice, not another credit note."))
    if not reason.strip():
        raise ValidationFailed({"reason": _("Say why the invoice is corrected.")})
    due = outstanding(session, invoice)
    if not 0 < amount_cents <= due:
        raise ValidationFailed({"amount": _("Credit between $0.01 and what is due (%(due)s).",
                                            due=pdf.usd(due))})
    business = session.get(Business, invoice.business_id)
    note = _new_invoice(session, settings, business, kind=InvoiceKind.CREDIT_NOTE,
                        total=amount_cents, reference=invoice.number, corrects_id=invoice.id,
                        note=reason.strip()[:1000])
    note.idempotency_key = idempotency_key
    lines = session.exec(select(InvoiceLine).where(InvoiceLine.invoice_id == invoice.id)
                         .order_by(InvoiceLine.id)).all()
    parts = proportional(amount_cents, [line.total_cents for line in lines])
    entries = [(receivable_account(business.id), None, amount_cents)]
    for line, part in zip(lines, parts, strict=True):
        cut = share(part, settings.wholesale_commission_basis_points)
        entries += [(ledger.producer_account(line.group_id), line.group_id, -(part - cut)),
                    (ledger.COMMISSION, None, -cut)]
    session.add(InvoiceLine(invoice_id=note.id, description=f"Correction of {invoice.number}",
                            description_km="", quantity=1, unit_price_cents=amount_cents,
                            total_cents=amount_cents))
    ledger.post(session=session, kind="credit_note", entries=entries, invoice_id=invoice.id,
                description=f"Credit note {note.number} for {invoice.number}")
    if outstanding(session, invoice) == 0:
        invoice.status = InvoiceStatus.PAID
        session.add(invoice)
    audit.record(session=session, actor=actor, entity_type="invoice", entity_id=invoice.id,
                 action="credited", reason=reason.strip()[:1000],
                 data={"credit_note": note.number, "amount_cents": amount_cents})
    return note


def record_payment(*, session: Session, actor: User, invoice: Invoice, amount_cents: int,
                   received_on: date, bank_reference: str) -> InvoicePayment:
    """An admin records a bank transfer; partial payments add up, the same bank reference
    is refused twice, and what exceeds the amount due is held as the business's credit."""
    _require_admin(session, actor)
    reference = " ".join(bank_reference.split()).upper()
    if not reference:
        raise ValidationFailed({"bank_reference": _("Enter the bank's reference.")})
    if amount_cents <= 0:
        raise ValidationFailed({"amount": _("Enter the amount received.")})
    if received_on > utcnow().date():
        raise ValidationFailed({"received_on": _("The date cannot be in the future.")})
    invoice = _lock(session, invoice)
    if invoice.kind != InvoiceKind.INVOICE:
        raise Conflict(_("Record transfers against invoices, not credit notes."))
    if session.exec(select(InvoicePayment.id).where(
            InvoicePayment.bank_reference == reference)).first() is not None:
        raise Conflict(_("The bank reference %(ref)s is already recorded.", ref=reference))
    applied = min(amount_cents, outstanding(session, invoice))
    payment = InvoicePayment(invoice_id=invoice.id, amount_cents=amount_cents,
                             applied_cents=applied, received_on=received_on,
                             bank_reference=reference, recorded_by_id=actor.id)
    try:
        with session.begin_nested():  # the same reference recorded at this very moment
            session.add(payment)
            session.flush()
    except IntegrityError as exc:
        raise Conflict(_("The bank reference %(ref)s is already recorded.",
                         ref=reference)) from exc
    ledger.post(session=session, kind="transfer", entries=[
        (BANK, None, -amount_cents), (receivable_account(invoice.business_id), None, applied),
        (credit_account(invoice.business_id), None, amount_cents - applied)],
        description=f"Transfer {reference} for {invoice.number}")
    if outstanding(session, invoice) == 0:
        invoice.status = InvoiceStatus.PAID
        session.add(invoice)
    audit.record(session=session, actor=actor, entity_type="invoice", entity_id=invoice.id,
                 action="payment_recorded", data={"amount_cents": amount_cents,
                                                  "applied_cents": applied,
                                                  "reference": reference})
    return payment


def owed(session: Session, business_id: int) -> int:
    """What the business owes on its issued invoices now: three sums, whatever the number of
    invoices (the credit check runs this under the business's lock). Credit notes and
    transfers never take an invoice below zero, so the sums add up as the invoices do."""
    unpaid = select(Invoice.id).where(
        Invoice.business_id == business_id, Invoice.kind == InvoiceKind.INVOICE,
        col(Invoice.status).in_([InvoiceStatus.OPEN, InvoiceStatus.OVERDUE]))
    total = session.exec(select(func.coalesce(func.sum(Invoice.total_cents), 0)).where(
        col(Invoice.id).in_(unpaid))).one()
    credit = session.exec(select(func.coalesce(func.sum(Invoice.total_cents), 0)).where(
        col(Invoice.corrects_id).in_(unpaid))).one()
    applied = session.exec(select(func.coalesce(func.sum(InvoicePayment.applied_cents), 0))
                           .where(col(InvoicePayment.invoice_id).in_(unpaid))).one()
    return total - credit - applied


def has_overdue(session: Session, business_id: int) -> bool:
    return session.exec(select(Invoice.id).where(
        Invoice.business_id == business_id,
        Invoice.status == InvoiceStatus.OVERDUE)).first() is not None


def viewable(*, session: Session, actor: User | None, invoice_id: int) -> Invoice:
    """An invoice for its business's members and admins; NotFound for everybody else."""
    invoice = session.get(Invoice, invoice_id)
    member = access.business_membership(session=session, user=actor)
    if invoice is None or not (
            (member is not None and member.business_id == invoice.business_id)
            or has_role(session=session, user=actor, role=Role.ADMIN)):
        raise NotFound(_("No such invoice."))
    return invoice


def list_invoices(*, session: Session, actor: User, business_id: int | None = None,
                  status: str | None = None, limit: int = 100) -> list[Invoice]:
    """A business's invoices for its members; any business's (or all) for admins."""
    member = access.business_membership(session=session, user=actor)
    if not has_role(session=session, user=actor, role=Role.ADMIN):
        if member is None:
            return []
        business_id = member.business_id
    query = select(Invoice)
    if business_id is not None:
        query = query.where(Invoice.business_id == business_id)
    if status:
        query = query.where(Invoice.status == status)
    return list(session.exec(query.order_by(col(Invoice.id).desc()).limit(limit)))


def document(session: Session, settings: Settings, invoice: Invoice) -> pdf.InvoiceDocument:
    """What the PDF shows; the KHQR code asks for what is still due, exact to the cent."""
    lines = session.exec(select(InvoiceLine).where(InvoiceLine.invoice_id == invoice.id)
                         .order_by(InvoiceLine.id)).all()
    due = outstanding(session, invoice)
    payload = khqr.payload(
        khqr.KhqrAccount(bakong_account_id=settings.khqr_account_id,
                         merchant_name=settings.invoice_seller_name[:25]),
        amount_minor=due, bill_number=invoice.number) if due > 0 else None
    return pdf.InvoiceDocument(
        number=invoice.number, kind=invoice.kind, issued_on=invoice.issued_on,
        due_on=invoice.due_on, seller_name=settings.invoice_seller_name,
        seller_name_km=settings.invoice_seller_name_km,
        seller_tax_id=settings.invoice_seller_tax_id,
        seller_address=settings.invoice_seller_address, buyer_name=invoice.buyer_name,
        buyer_name_km=invoice.buyer_name_km, buyer_tax_id=invoice.buyer_tax_id,
        buyer_address=invoice.buyer_address, buyer_reference=invoice.buyer_reference,
        lines=tuple(pdf.InvoiceLine(line.description, line.description_km, line.quantity,
                                    line.unit_price_cents, line.total_cents) for line in lines),
        subtotal_cents=invoice.total_cents, total_cents=invoice.total_cents,
        khr_per_usd=invoice.khr_per_usd,
        total_khr=(invoice.total_cents * invoice.khr_per_usd + 50) // 100, bank_details=settings.invoice_bank_details, khqr_payload=payload,
        notes=invoice.note)
