"""Invoices' job in ``marketplace worker``: remind a business a few days before an invoice
is due, and on the day after, mark it overdue and tell them (a business with an overdue
invoice orders on terms no more). Each step is claimed with a guarded UPDATE, so two
workers never send the same reminder twice."""

from datetime import date, timedelta

from sqlalchemy import Engine, update
from sqlmodel import Session, col, select

from marketplace.config import Settings
from marketplace.db import transaction
from marketplace.models import (
    BusinessMember,
    BusinessRole,
    Invoice,
    InvoiceKind,
    InvoiceStatus,
    User,
    utcnow,
)
from marketplace.notifications.service import queue_email


def _claim(session: Session, invoice: Invoice, **values) -> bool:
    """Set ``values`` on the invoice if no other worker did (each is None until claimed)."""
    column = next(iter(values))
    if column == "status":
        guard = Invoice.status == InvoiceStatus.OPEN
    else:
        guard = col(getattr(Invoice, column)).is_(None)
    result = session.execute(update(Invoice).where(Invoice.id == invoice.id, guard)
                             .values(**values).execution_options(synchronize_session=False))
    return result.rowcount == 1


def _tell(session: Session, settings: Settings, invoice: Invoice, template: str) -> None:
    owners = session.exec(select(User).join(BusinessMember, BusinessMember.user_id == User.id)
                          .where(BusinessMember.business_id == invoice.business_id,
                                 BusinessMember.role == BusinessRole.OWNER)).all()
    for owner in owners:
        queue_email(session=session, to=owner.email, template=template,
                    context={"invoice": invoice, "user": owner,
                             "url": f"{settings.base_url}/business/invoices/{invoice.id}"},
                    locale=owner.locale)


def remind(engine: Engine, settings: Settings, today: date | None = None) -> int:
    """Send what is due today; returns how many invoices were reminded or marked."""
    today = today or utcnow().date()
    soon = today + timedelta(days=settings.reminder_days_before_due)
    done = 0
    with transaction(engine) as session:
        open_invoices = session.exec(select(Invoice).where(
            Invoice.kind == InvoiceKind.INVOICE, Invoice.status == InvoiceStatus.OPEN,
            col(Invoice.due_on).is_not(None), col(Invoice.due_on) <= soon)).all()
        for invoice in open_invoices:
            if invoice.due_on < today:
                if _claim(session, invoice, status=InvoiceStatus.OVERDUE):
                    _claim(session, invoice, reminded_after_at=utcnow())
                    _tell(session, settings, invoice, "invoice_overdue")
                    done += 1
            elif _claim(session, invoice, reminded_before_at=utcnow()):
                _tell(session, settings, invoice, "invoice_reminder")
                done += 1
    return done
