"""Invoices: numbered without gaps under concurrency, issued when a purchase order on terms
is confirmed, paid by recorded transfers, corrected by credit notes, reminded and marked
overdue; the ledger owes each group its lines less the wholesale commission."""

import threading
import uuid
from datetime import timedelta

from sqlmodel import Session, select

from marketplace.db import transaction
from marketplace.invoices import service, tasks
from marketplace.models import (
    Invoice,
    PurchaseOrder,
    PurchaseOrderStatus,
    User,
    utcnow,
)
from marketplace.payments import ledger
from marketplace.wholesale.schemas import OfferIn, TierIn
from marketplace.wholesale.terms import set_offer
from tests.factories import create_business, create_group, create_product, create_user
from tests.helpers import delivered_mail
from tests.helpers.api import bearer


def test_fifty_invoices_issued_at_once_get_fifty_consecutive_numbers(engine, settings,
                                                                     session):
    business = create_business(session, terms_days=30, credit_limit_cents=10**7)
    orders = []
    for n in range(50):
        order = PurchaseOrder(business_id=business.id, number=f"PO-T-{n}",
                              status=PurchaseOrderStatus.CONFIRMED, payment_method="invoice")
        session.add(order)
        orders.append(order)
    session.commit()
    ids = [o.id for o in orders]
    barrier, errors = threading.Barrier(50), []

    def issue(order_id):
        barrier.wait()
        try:
            with transaction(engine) as own:
                service.issue_for_order(session=own, settings=settings,
                                        order=own.get(PurchaseOrder, order_id))
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=issue, args=(i,)) for i in ids]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert errors == []
    with Session(engine) as fresh:
        numbers = sorted(i.sequence for i in fresh.exec(select(Invoice)))
    assert numbers == list(range(1, 51))


def _confirmed_order_on_terms(client, session, engine):
    """A shop on net-30 orders 20 of one group's piece at $18 and 10 of another's at $18;
    both groups accept."""
    groups, pieces = [], []
    for n in range(2):
        group = create_group(session)
        piece = create_product(session, group=group, price_cents=2500, stock_on_hand=50,
                               slug=f"inv-piece-{n}")
        set_offer(session=session, actor=session.get(User, group.leader_id), product=piece,
                  data=OfferIn(min_quantity=10, case_pack=5,
                               tiers=[TierIn(min_quantity=10, unit_price_cents=1800)]))
        groups.append(group)
        pieces.append(piece)
    shop = create_business(session, terms_days=30, credit_limit_cents=200_000)
    owner = session.get(User, shop.created_by_id)
    session.commit()
    headers = bearer(client, owner)
    for piece, quantity in zip(pieces, (20, 10), strict=True):
        assert client.put(f"/api/v1/purchase-orders/draft/lines/{piece.id}", headers=headers,
                          json={"quantity": quantity}).status_code == 200
    order = client.post("/api/v1/purchase-orders/draft/submit", headers={
        **headers, "Idempotency-Key": str(uuid.uuid4())},
        json={"reference": "SHOP-9", "payment_method": "invoice"}).json()
    for part, group in zip(order["parts"], groups, strict=True):
        leader = bearer(client, session.get(User, group.leader_id))
        assert client.post(f"/api/v1/purchase-order-parts/{part['id']}/accept",
                           headers=leader).status_code == 200
    session.rollback()  # a fresh snapshot for the test's own writes after the app's
    return shop, headers, groups


def test_confirmed_order_on_terms_is_invoiced_paid_and_the_ledger_is_right(
        client, session, engine, settings):
    shop, headers, groups = _confirmed_order_on_terms(client, session, engine)
    invoices = client.get("/api/v1/invoices", headers=headers).json()
    assert len(invoices) == 1
    invoice = invoices[0]
    assert invoice["total_cents"] == 54_000 and invoice["outstanding_cents"] == 54_000
    assert invoice["due_on"] == (utcnow().date() + timedelta(days=30)).isoformat()
    assert invoice["total_khr"] == 54_000 * settings.khr_per_usd // 100
    with Session(engine) as fresh:  # 8% wholesale commission
        assert ledger.group_payable(session=fresh, group_id=groups[0].id) == 36_000 - 2_880
        assert ledger.group_payable(session=fresh, group_id=groups[1].id) == 18_000 - 1_440
    document = client.get(f"/api/v1/invoices/{invoice['id']}/pdf", headers=headers)
    assert document.headers["content-type"] == "application/pdf"
    assert document.content.startswith(b"%PDF") and b"NotoSansKhmer" in document.content
    stranger = bearer(client, create_user(session))
    assert client.get(f"/api/v1/invoices/{invoice['id']}/pdf",
                      headers=stranger).status_code == 404

    admin = bearer(client, create_user(session, role=["admin"]))
    url = f"/api/v1/invoices/{invoice['id']}/payments"
    today = utcnow().date().isoformat()
    assert client.post(url, headers=headers, json={
        "amount_cents": 100, "received_on": today, "bank_reference": "X"}).status_code == 403
    first = client.post(url, headers=admin, json={
        "amount_cents": 30_000, "received_on": today, "bank_reference": "aba trx 1"})
    assert first.status_code == 201 and first.json()["bank_reference"] == "ABA TRX 1"
    again = client.post(url, headers=admin, json={
        "amount_cents": 30_000, "received_on": today, "bank_reference": "ABA  TRX 1"})
    assert again.status_code == 409
    future = client.post(url, headers=admin, json={
        "amount_cents": 1, "received_on": (utcnow().date() + timedelta(days=2)).isoformat(),
        "bank_reference": "later"})
    assert future.status_code == 422
    rest = client.post(url, headers=admin, json={
        "amount_cents": 25_000, "received_on": today, "bank_reference": "ABA TRX 2"}).json()
    assert rest["applied_cents"] == 24_000 and rest["credit_cents"] == 1_000
    paid = client.get(f"/api/v1/invoices/{invoice['id']}", headers=headers).json()
    assert paid["status"] == "paid" and paid["outstanding_cents"] == 0
    with Session(engine) as fresh:
        assert ledger.balance(session=fresh, account=service.receivable_account(shop.id)) == 0
        assert service.owed(fresh, shop.id) == 0
        assert ledger.balance(session=fresh, account=service.credit_account(shop.id)) == 1_000
        assert ledger.unbalanced_transactions(session=fresh) == []
        assert ledger.group_payable(session=fresh, group_id=groups[0].id) == 33_120


def test_credit_note_corrects_an_invoice_and_never_exceeds_what_is_due(client, session,
                                                                      engine):
    shop, headers, groups = _confirmed_order_on_terms(client, session, engine)
    invoice = client.get("/api/v1/invoices", headers=headers).json()[0]
    with Session(engine) as fresh:
        assert service.owed(fresh, shop.id) == 54_000
    admin = bearer(client, create_user(session, role=["admin"]))
    url = f"/api/v1/invoices/{invoice['id']}/credit-notes"
    too_much = client.post(url, headers={**admin, "Idempotency-Key": "cn-0"},
                           json={"amount_cents": 54_001, "reason": "Broken pieces"})
    assert too_much.status_code == 422
    for _attempt in range(2):  # a retry with the same key credits nothing more
        note = client.post(url, headers={**admin, "Idempotency-Key": "cn-1"},
                           json={"amount_cents": 5_400, "reason": "Three scarves arrived torn"})
        assert note.status_code == 201, note.text
    assert note.json()["number"].startswith("CN-") and note.json()["corrects_id"] == invoice["id"]
    assert client.get(f"/api/v1/invoices/{invoice['id']}", headers=headers).json()[
        "outstanding_cents"] == 48_600
    with Session(engine) as fresh:
        assert service.owed(fresh, shop.id) == 48_600
        total_payable = sum(ledger.group_payable(session=fresh, group_id=g.id) for g in groups)
        assert total_payable == (54_000 - 5_400) - (4_320 - 432)
        assert ledger.unbalanced_transactions(session=fresh) == []


def test_reminder_then_overdue_stops_ordering_on_terms(client, session, engine, settings):
    _shop, headers, _groups = _confirmed_order_on_terms(client, session, engine)
    delivered_mail(engine, settings)
    with Session(engine) as fresh:
        invoice = fresh.exec(select(Invoice)).one()
        due = invoice.due_on
    assert tasks.remind(engine, settings, today=due - timedelta(days=10)) == 0
    assert tasks.remind(engine, settings, today=due - timedelta(days=2)) == 1
    assert tasks.remind(engine, settings, today=due - timedelta(days=1)) == 0  # sent once
    assert tasks.remind(engine, settings, today=due + timedelta(days=1)) == 1
    subjects = [m["Subject"] for m in delivered_mail(engine, settings)]
    assert any("is due on" in s for s in subjects) and any("overdue" in s for s in subjects)
    with Session(engine) as fresh:
        assert fresh.exec(select(Invoice)).one().status == "overdue"
    line = client.get("/api/v1/wholesale/products", headers=headers).json()["data"][0]
    client.put(f"/api/v1/purchase-orders/draft/lines/{line['product_id']}", headers=headers,
               json={"quantity": 10})
    refused = client.post("/api/v1/purchase-orders/draft/submit", headers={
        **headers, "Idempotency-Key": str(uuid.uuid4())}, json={"payment_method": "invoice"})
    assert refused.status_code == 409 and "overdue" in refused.json()["detail"]
    by_card = client.post("/api/v1/purchase-orders/draft/submit", headers={
        **headers, "Idempotency-Key": str(uuid.uuid4())}, json={"payment_method": "card"})
    assert by_card.status_code == 201, by_card.text
