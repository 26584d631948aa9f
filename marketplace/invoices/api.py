"""JSON API for invoices: a business's invoices and their PDF; admins record transfers (a
bank reference is recorded once, so a retried request cannot pay twice) and issue credit
notes (never more than what is still due)."""

from typing import Annotated

from fastapi import APIRouter, Header, Query, status
from fastapi.responses import Response

from marketplace.auth.deps import CurrentUser
from marketplace.core.deps import SettingsDep
from marketplace.core.openapi import problems
from marketplace.db import SessionDep
from marketplace.invoices import pdf, service, statement
from marketplace.invoices.schemas import (
    CreditNoteIn,
    InvoicePublic,
    PaymentIn,
    PaymentPublic,
    StatementLinePublic,
    StatementPublic,
)
from marketplace.models import Invoice, InvoiceStatus

router = APIRouter(tags=["invoices"])
IdempotencyKey = Annotated[str, Header(
    alias="Idempotency-Key", min_length=1, max_length=100,
    description="A key you choose per credit note; sent again, the first one is returned")]


def invoice_public(session, invoice: Invoice) -> InvoicePublic:
    return InvoicePublic(
        **invoice.model_dump(include=set(InvoicePublic.model_fields) - {
            "outstanding_cents", "total_khr"}),
        outstanding_cents=service.outstanding(session, invoice),
        total_khr=(invoice.total_cents * invoice.khr_per_usd + 50) // 100)


def pdf_response(session, settings, invoice: Invoice) -> Response:
    body = pdf.render(service.document(session, settings, invoice))
    return Response(body, media_type="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="{invoice.number}.pdf"',
        "Cache-Control": "private, no-store"})


@router.get(
    "/invoices",
    summary="Invoices",
    description="Your business's invoices and credit notes, newest first; administrators "
                "see every business's (filter with `business_id` and `status`).",
    responses=problems(401, 422),
)
def list_invoices(session: SessionDep, user: CurrentUser,
                  business_id: Annotated[int | None, Query(ge=1)] = None,
                  invoice_status: Annotated[InvoiceStatus | None, Query(alias="status")] = None,
                  ) -> list[InvoicePublic]:
    return [invoice_public(session, i) for i in service.list_invoices(
        session=session, actor=user, business_id=business_id, status=invoice_status)]


@router.get(
    "/invoices/statement",
    summary="Statement of account",
    description=("Every invoice, credit note, bank transfer and card payment of your "
                 "business by date, with the running balance (negative: credit held for "
                 "you). Administrators pass `business_id`."),
    responses=problems(401, 404, 422),
)
def get_statement(session: SessionDep, user: CurrentUser,
                  business_id: Annotated[int | None, Query(ge=1)] = None) -> StatementPublic:
    business = statement.business_for(session=session, actor=user, business_id=business_id)
    rows = statement.lines(session, business.id)
    return StatementPublic(business_id=business.id,
                           balance_cents=rows[-1].balance_cents if rows else 0,
                           lines=[StatementLinePublic(**vars(row)) for row in rows])


@router.get(
    "/invoices/{invoice_id}",
    summary="One invoice",
    responses=problems(401, 404, 422),
)
def get_invoice(invoice_id: int, session: SessionDep, user: CurrentUser) -> InvoicePublic:
    return invoice_public(session, service.viewable(session=session, actor=user,
                                                    invoice_id=invoice_id))


@router.get(
    "/invoices/{invoice_id}/pdf",
    summary="The invoice as a PDF",
    description="English and Khmer, with the bank details and a KHQR code for what is due.",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}}}, **problems(401, 404, 422)},
)
def invoice_pdf(invoice_id: int, session: SessionDep, settings: SettingsDep,
                user: CurrentUser) -> Response:
    return pdf_response(session, settings, service.viewable(session=session, actor=user,
                                                             invoice_id=invoice_id))


@router.post(
    "/invoices/{invoice_id}/payments",
    status_code=status.HTTP_201_CREATED,
    summary="Record a bank transfer (administrators)",
    description=("Partial payments add up; what exceeds the amount due is held as the "
                 "business's credit. The same bank reference twice is 409."),
    responses=problems(401, 403, 404, 409, 422),
)
def record_payment(invoice_id: int, data: PaymentIn, session: SessionDep,
                   user: CurrentUser) -> PaymentPublic:
    invoice = service.viewable(session=session, actor=user, invoice_id=invoice_id)
    payment = service.record_payment(session=session, actor=user, invoice=invoice,
                                     amount_cents=data.amount_cents,
                                     received_on=data.received_on,
                                     bank_reference=data.bank_reference)
    return PaymentPublic(**payment.model_dump(include=set(PaymentPublic.model_fields) - {
        "credit_cents"}), credit_cents=payment.amount_cents - payment.applied_cents)


@router.post(
    "/invoices/{invoice_id}/credit-notes",
    status_code=status.HTTP_201_CREATED,
    summary="Issue a credit note (administrators)",
    description=("Corrects an issued invoice (never edited): at most what is still due. "
                 "The same Idempotency-Key again answers with the first credit note."),
    responses=problems(401, 403, 404, 409, 422),
)
def credit_note(invoice_id: int, data: CreditNoteIn, idempotency_key: IdempotencyKey,
                session: SessionDep, settings: SettingsDep,
                user: CurrentUser) -> InvoicePublic:
    invoice = service.viewable(session=session, actor=user, invoice_id=invoice_id)
    note = service.credit_note(session=session, settings=settings, actor=user, invoice=invoice,
                               amount_cents=data.amount_cents, reason=data.reason,
                               idempotency_key=idempotency_key)
    return invoice_public(session, note)
