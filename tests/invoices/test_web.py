"""Invoice pages: the shop's statement and PDF, the admin records a transfer (a repeated
bank reference shows the form again with what was typed)."""

from sqlmodel import select

from marketplace.db import transaction
from marketplace.invoices import service
from marketplace.models import PurchaseOrder, PurchaseOrderStatus, User
from tests.factories import create_business, create_user
from tests.helpers import form_post, login


def test_statement_pdf_and_recording_a_transfer(client, session, engine, settings):
    shop = create_business(session, terms_days=30, credit_limit_cents=100_000)
    owner_email = session.get(User, shop.created_by_id).email
    create_user(session, email="admin@crafts.example", role=["admin"])
    order = PurchaseOrder(business_id=shop.id, number="PO-2026-000001", reference="SHOP-1",
                          status=PurchaseOrderStatus.CONFIRMED, payment_method="invoice")
    session.add(order)
    session.commit()
    with transaction(engine) as own:
        invoice = service.issue_for_order(session=own, settings=settings,
                                          order=own.get(PurchaseOrder, order.id))
        invoice_id, number = invoice.id, invoice.number
    login(client, owner_email)
    statement = client.get("/business/invoices")
    assert number in statement.text and "Owed now" in statement.text
    pdf = client.get(f"/business/invoices/{invoice_id}/pdf")
    assert pdf.headers["content-type"] == "application/pdf"
    assert client.get(f"/admin/invoices/{invoice_id}").status_code == 403

    client.cookies.clear()
    login(client, "admin@crafts.example")
    url = f"/admin/invoices/{invoice_id}"
    first = form_post(client, url, f"{url}/payments", {
        "amount": "12.00", "received_on": "2026-01-05", "bank_reference": "ACLEDA 77"})
    assert first.status_code == 303
    repeated = form_post(client, url, f"{url}/payments", {
        "amount": "5.00", "received_on": "2026-01-06", "bank_reference": "acleda 77"})
    assert repeated.status_code == 409
    assert "already recorded" in repeated.text and 'value="5.00"' in repeated.text
    page = client.get(url).text
    assert "ACLEDA 77" in page and "$12.00 held as credit" in page
    session.rollback()
    assert session.exec(select(PurchaseOrder)).one().status == "confirmed"
