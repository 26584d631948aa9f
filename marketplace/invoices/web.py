"""HTML pages for invoices: a business's invoices, statement and PDFs; the admins' list,
recording a bank transfer and issuing a credit note."""

import secrets
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse
from sqlmodel import select

from marketplace import access
from marketplace.auth.deps import AdminUser, CurrentUser
from marketplace.core.deps import SettingsDep
from marketplace.core.forms import FormDep, dollars, field_errors, form_values
from marketplace.core.templating import flash, render
from marketplace.db import SessionDep, all_or_nothing
from marketplace.errors import Conflict, ValidationFailed
from marketplace.i18n import N_, format_usd
from marketplace.i18n import gettext as _
from marketplace.invoices import service, statement
from marketplace.invoices.api import pdf_response
from marketplace.models import Business, InvoiceLine, InvoicePayment

router = APIRouter(tags=["pages"], include_in_schema=False)
STATUS_LABELS = {"open": N_("Open"), "overdue": N_("Overdue"), "paid": N_("Paid")}
KIND_LABELS = {"invoice": N_("Invoice"), "credit_note": N_("Credit note")}
STATEMENT_LABELS = {**KIND_LABELS, "transfer": N_("Bank transfer"), "card": N_("Card payment")}


def _rows(session, invoices) -> list[dict]:
    return [{"invoice": i, "due": service.outstanding(session, i)} for i in invoices]


@router.get("/business/invoices")
def invoices_page(request: Request, session: SessionDep, user: CurrentUser):
    invoices = service.list_invoices(session=session, actor=user)
    rows = _rows(session, invoices)
    member = access.business_membership(session=session, user=user)
    return render(request, "invoices/list.html", {
        "rows": rows, "owed": sum(r["due"] for r in rows), "admin": False,
        "credit": service.credit_balance(session, member.business_id) if member else 0,
        "labels": STATUS_LABELS, "kinds": KIND_LABELS})


@router.get("/business/statement")
def statement_page(request: Request, session: SessionDep, user: CurrentUser):
    business = statement.business_for(session=session, actor=user)
    rows = statement.lines(session, business.id)
    return render(request, "invoices/statement.html", {
        "business": business, "rows": rows,
        "balance": rows[-1].balance_cents if rows else 0, "kinds": STATEMENT_LABELS})


def _detail(request, session, user, invoice, *, admin: bool, form: dict | None = None,
            errors: dict | None = None, status_code: int = 200):
    return render(request, "invoices/detail.html", {
        "invoice": invoice, "due": service.outstanding(session, invoice), "admin": admin,
        "business": session.get(Business, invoice.business_id),
        "lines": session.exec(select(InvoiceLine).where(InvoiceLine.invoice_id == invoice.id)
                              .order_by(InvoiceLine.id)).all(),
        "payments": session.exec(select(InvoicePayment).where(
            InvoicePayment.invoice_id == invoice.id).order_by(InvoicePayment.id)).all(),
        "labels": STATUS_LABELS, "kinds": KIND_LABELS, "form": form or {},
        "errors": field_errors(errors or {}), "today": date.today().isoformat(),
        "credit_key": (form or {}).get("credit_key") or secrets.token_urlsafe(16),
    }, status_code=status_code)


@router.get("/business/invoices/{invoice_id}")
def detail(invoice_id: int, request: Request, session: SessionDep, user: CurrentUser):
    invoice = service.viewable(session=session, actor=user, invoice_id=invoice_id)
    return _detail(request, session, user, invoice, admin=False)


@router.get("/business/invoices/{invoice_id}/pdf")
def invoice_pdf(invoice_id: int, session: SessionDep, settings: SettingsDep,
                user: CurrentUser):
    invoice = service.viewable(session=session, actor=user, invoice_id=invoice_id)
    return pdf_response(session, settings, invoice)


@router.get("/admin/invoices")
def admin_list(request: Request, session: SessionDep, admin: AdminUser,
               status: Annotated[str, Query(pattern="^(|open|overdue|paid)$")] = ""):
    invoices = service.list_invoices(session=session, actor=admin, status=status or None,
                                     limit=200)
    return render(request, "invoices/list.html", {
        "rows": _rows(session, invoices), "owed": None, "admin": True, "status": status,
        "labels": STATUS_LABELS, "kinds": KIND_LABELS})


@router.get("/admin/invoices/{invoice_id}")
def admin_detail(invoice_id: int, request: Request, session: SessionDep, admin: AdminUser):
    invoice = service.viewable(session=session, actor=admin, invoice_id=invoice_id)
    return _detail(request, session, admin, invoice, admin=True)


@router.post("/admin/invoices/{invoice_id}/payments")
def record_payment(invoice_id: int, request: Request, form: FormDep, session: SessionDep,
                   admin: AdminUser):
    invoice = service.viewable(session=session, actor=admin, invoice_id=invoice_id)
    values = form_values(form)
    try:
        try:
            received = date.fromisoformat(values.get("received_on", ""))
        except ValueError as exc:
            raise ValidationFailed({"received_on": _("Enter a date like 2027-01-15.")}) from exc
        with all_or_nothing(session):
            payment = service.record_payment(
                session=session, actor=admin, invoice=invoice,
                amount_cents=dollars(values, "amount"), received_on=received,
                bank_reference=values.get("bank_reference", ""))
    except ValidationFailed as exc:
        return _detail(request, session, admin, invoice, admin=True, form=values,
                       errors=exc.errors, status_code=422)
    except Conflict as exc:
        return _detail(request, session, admin, invoice, admin=True, form=values,
                       errors={"bank_reference": exc.detail}, status_code=409)
    extra = payment.amount_cents - payment.applied_cents
    flash(request, _("Transfer recorded.") + (" " + _(
        "%(amount)s more than was due is held as the business's credit.",
        amount=format_usd(extra)) if extra else ""), "success")
    return RedirectResponse(f"/admin/invoices/{invoice.id}", status_code=303)


@router.post("/admin/invoices/{invoice_id}/credit-notes")
def credit_note(invoice_id: int, request: Request, form: FormDep, session: SessionDep,
                settings: SettingsDep, admin: AdminUser):
    invoice = service.viewable(session=session, actor=admin, invoice_id=invoice_id)
    values = form_values(form)
    try:
        with all_or_nothing(session):
            note = service.credit_note(session=session, settings=settings, actor=admin,
                                       invoice=invoice, amount_cents=dollars(values, "credit"),
                                       reason=values.get("reason", ""),
                                       idempotency_key=values.get("credit_key")
                                       or secrets.token_urlsafe(16))
    except ValidationFailed as exc:
        errors = {("credit" if k == "amount" else k): v for k, v in exc.errors.items()}
        return _detail(request, session, admin, invoice, admin=True, form=values,
                       errors=errors, status_code=422)
    flash(request, _("Credit note %(number)s issued.", number=note.number), "success")
    return RedirectResponse(f"/admin/invoices/{invoice.id}", status_code=303)
