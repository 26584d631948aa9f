"""Payout pages without JavaScript: an administrator makes a run, another approves it, the
bank file, sent and failed; the group's Earnings page in English and Khmer with its makers;
the monthly statement PDF with shaped Khmer; the ledger check page; the statements API."""

import subprocess

from sqlmodel import select

from marketplace.models import OrderLine, Payout, User
from tests.factories import create_user
from tests.helpers import form_post, fresh
from tests.helpers.api import bearer
from tests.payouts.test_runs import paying_group, sale


def test_a_run_through_the_admin_pages_and_the_groups_earnings(signed_in, client, session,
                                                               settings, tmp_path):
    group = paying_group(session, name="Kuoy Weavers")
    order = sale(session, settings, group, delivered_days_ago=30)
    line = session.exec(select(OrderLine).where(OrderLine.order_id == order.id)).one()
    line.maker, line.title_km = "Srey Pov", "ក្រមាស្ត្រី"
    session.add(line)
    session.commit()
    maker, checker = (signed_in(create_user(session, role=["admin"])) for _ in range(2))

    made = form_post(maker, "/admin/payouts", "/admin/payouts", {"khr_per_usd": ""})
    assert made.status_code == 303, made.text
    run_url = made.headers["location"]
    page = maker.get(run_url)
    assert "Another administrator must approve a run you made." in page.text
    refused = form_post(maker, run_url, f"{run_url}/approve", {})
    assert refused.status_code == 403
    assert form_post(checker, run_url, f"{run_url}/approve", {}).status_code == 303
    exported = checker.get(f"{run_url}/export/bank.csv")
    assert exported.headers["content-type"].startswith("text/csv")
    assert "000123456" in exported.text
    fresh(session)
    payout = session.exec(select(Payout)).one()
    empty = form_post(checker, run_url, f"/admin/payouts/payout/{payout.id}/sent",
                      {"reference": " "})
    assert empty.status_code == 422 and "Enter the bank" in empty.text
    sent = form_post(checker, run_url, f"/admin/payouts/payout/{payout.id}/sent",
                     {"reference": "ABA-5521"})
    assert sent.status_code == 303
    assert "ABA-5521" in checker.get(run_url).text

    fresh(session)
    leader = signed_in(session.get(User, group.leader_id))
    earnings = leader.get(f"/dashboard/groups/{group.id}/earnings")
    assert earnings.status_code == 200
    assert "Srey Pov" in earnings.text and "ABA-5521" in earnings.text
    leader.cookies.set("lang", "km")
    khmer = leader.get(f"/dashboard/groups/{group.id}/earnings")
    assert "ក្រមាស្ត្រី" in khmer.text and 'lang="km"' in khmer.text
    month = order.created_at.strftime("%Y-%m")
    pdf = leader.get(f"/dashboard/groups/{group.id}/statements/{month}.pdf")
    assert pdf.headers["content-type"] == "application/pdf"
    path = tmp_path / "statement.pdf"
    path.write_bytes(pdf.content)
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True,
                          check=True).stdout
    joined = "".join(text.split())
    assert "SreyPov" in joined and "ABA-5521" in joined and "ក្រមាស្ត្រី" in joined
    subprocess.run(["pdftoppm", "-png", "-r", "60", "-singlefile", str(path),
                    str(tmp_path / "page")], check=True)
    assert (tmp_path / "page.png").stat().st_size > 5000

    api = client.get(f"/api/v1/producer-groups/{group.id}/statements",
                     headers=bearer(client, session.get(User, group.leader_id))).json()
    assert api[0]["month"] == month and api[0]["earned_cents"] == payout.amount_cents
    fresh(session)
    stranger = signed_in(create_user(session))
    assert stranger.get(f"/dashboard/groups/{group.id}/earnings").status_code == 403
    assert "The ledger adds up" in checker.get("/admin/ledger").text
