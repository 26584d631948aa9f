"""HTML pages for payouts: a group's Earnings page and monthly statement (its members), the
administrators' payout runs (make, approve, export, mark sent or failed) and the ledger
check. Every service call that may refuse runs in ``all_or_nothing``."""

import re
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlmodel import col, select

from marketplace import access
from marketplace.auth.deps import AdminUser, CurrentUser
from marketplace.core.deps import GatewayDep, SettingsDep
from marketplace.core.forms import FormDep, field_errors, form_values
from marketplace.core.templating import flash, render
from marketplace.db import SessionDep, all_or_nothing
from marketplace.errors import Conflict, Forbidden, NotFound, ValidationFailed
from marketplace.i18n import N_
from marketplace.i18n import gettext as _
from marketplace.models import Payout, ProducerGroup, User
from marketplace.payouts import check, earnings, runs, statement, statement_pdf

router = APIRouter(tags=["pages"], include_in_schema=False)
STATUS_LABELS = {"pending": N_("Pending"), "available": N_("Available"),
                 "in_payout": N_("In a payout"), "paid": N_("Paid"), "sent": N_("Sent"),
                 "failed": N_("Failed"), "draft": N_("Waiting for approval"),
                 "approved": N_("Approved"), "closed": N_("Closed"),
                 "cancelled": N_("Cancelled")}
KIND_LABELS = {"payment": N_("Sale"), "refund": N_("Refund"), "invoice": N_("Wholesale invoice"),
               "credit_note": N_("Credit note")}
MONTH = r"^20[0-9]{2}-(0[1-9]|1[0-2])$"


def _see_other(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def _member_group(session, user, group_id: int) -> ProducerGroup:
    group = access.get_group(session=session, group_id=group_id)
    access.require_member(session=session, user=user, group_id=group.id)
    return group


@router.get("/dashboard/groups/{group_id}/earnings")
def earnings_page(group_id: int, request: Request, session: SessionDep, settings: SettingsDep,
                  user: CurrentUser):
    group = _member_group(session, user, group_id)
    waiting = earnings.unclaimed(session, settings, group.id)  # once, for both below
    found = statement.rows(session, settings, group.id, waiting=waiting)
    payouts = session.exec(select(Payout).where(Payout.group_id == group.id)
                           .order_by(col(Payout.id).desc()).limit(24)).all()
    months = sorted({row.on.strftime("%Y-%m") for row in found}, reverse=True)
    return render(request, "payouts/earnings.html", {
        "group": group, "figures": earnings.balances(session, settings, group.id,
                                                     earnings=waiting),
        "rows": found, "payouts": payouts, "makers": statement.makers(found),
        "months": months, "labels": STATUS_LABELS, "kinds": KIND_LABELS,
        "settings": settings})


@router.get("/dashboard/groups/{group_id}/statements/{month}.pdf")
def statement_file(group_id: int, month: str, session: SessionDep, settings: SettingsDep,
                   user: CurrentUser):
    group = _member_group(session, user, group_id)
    if not re.match(MONTH, month):
        raise NotFound(_("No such month."))
    body = statement_pdf.render_month(session, settings, group, month)
    return Response(body, media_type="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="earnings-{group.slug}-{month}.pdf"',
        "Cache-Control": "private, no-store"})


# -- administrators -------------------------------------------------------------------------

def _runs_page(request, session, admin, *, form: dict | None = None,
               errors: dict | None = None, status_code: int = 200):
    return render(request, "payouts/admin_runs.html", {
        "runs": runs.list_runs(session=session, actor=admin), "labels": STATUS_LABELS,
        "form": form or {}, "errors": field_errors(errors or {})}, status_code=status_code)


@router.get("/admin/payouts")
def admin_runs(request: Request, session: SessionDep, admin: AdminUser):
    return _runs_page(request, session, admin)


@router.post("/admin/payouts")
def make_run(request: Request, form: FormDep, session: SessionDep, settings: SettingsDep,
             admin: AdminUser):
    values = form_values(form)
    rate = (values.get("khr_per_usd") or "").replace(",", "").strip()
    try:
        if rate and not re.fullmatch(r"[0-9]{1,6}", rate):
            raise ValidationFailed({"khr_per_usd": _("Enter the riel per dollar, e.g. 4100.")})
        with all_or_nothing(session):
            run = runs.create_run(session=session, settings=settings, actor=admin,
                                  khr_per_usd=int(rate) if rate else None)
    except ValidationFailed as exc:
        return _runs_page(request, session, admin, form=values, errors=exc.errors,
                          status_code=422)
    except Conflict as exc:
        return _runs_page(request, session, admin, form=values,
                          errors={"__all__": exc.detail}, status_code=409)
    flash(request, _("Payout run %(id)s is made. Another administrator approves it.",
                     id=run.id), "success")
    return _see_other(f"/admin/payouts/{run.id}")


def _run_page(request, session, admin, run, *, errors: dict | None = None,
              status_code: int = 200):
    payouts = runs.payouts_of(session, run)
    names = dict(session.exec(select(ProducerGroup.id, ProducerGroup.name).where(
        col(ProducerGroup.id).in_([p.group_id for p in payouts]))).all()) if payouts else {}
    people = {u.id: u.full_name for u in session.exec(select(User).where(
        col(User.id).in_([i for i in (run.created_by_id, run.approved_by_id) if i])))}
    return render(request, "payouts/admin_run.html", {
        "run": run, "payouts": payouts, "names": names, "people": people,
        "rails": sorted({p.rail for p in payouts}), "labels": STATUS_LABELS,
        "errors": errors or {}, "mine": run.created_by_id == admin.id},
        status_code=status_code)


@router.get("/admin/payouts/{run_id}")
def admin_run(run_id: int, request: Request, session: SessionDep, admin: AdminUser):
    return _run_page(request, session, admin, runs.get_run(session, admin, run_id))


@router.post("/admin/payouts/{run_id}/{action}")
def run_action(run_id: int, action: str, request: Request, session: SessionDep,
               admin: AdminUser):
    run = runs.get_run(session, admin, run_id)
    if action not in ("approve", "cancel"):
        raise NotFound()
    try:
        with all_or_nothing(session):
            (runs.approve if action == "approve" else runs.cancel)(
                session=session, actor=admin, run=run)
    except (Conflict, Forbidden) as exc:
        return _run_page(request, session, admin, run, errors={"__all__": exc.detail},
                         status_code=exc.status_code)
    flash(request, _("The run is approved: export its files.") if action == "approve"
          else _("The run is cancelled; its earnings are available again."), "success")
    return _see_other(f"/admin/payouts/{run.id}")


@router.get("/admin/payouts/{run_id}/export/{rail}.csv")
def export(run_id: int, rail: str, session: SessionDep, admin: AdminUser):
    body = runs.export(session=session, actor=admin, run=runs.get_run(session, admin, run_id),
                       rail=rail)
    return Response(body, media_type="text/csv", headers={
        "Content-Disposition": f'attachment; filename="payout-run-{run_id}-{rail}.csv"'})


@router.post("/admin/payouts/payout/{payout_id}/{outcome}")
def mark(payout_id: int, outcome: str, request: Request, form: FormDep, session: SessionDep,
         settings: SettingsDep, admin: AdminUser):
    payout = runs.get_payout(session, admin, payout_id)
    run = runs.get_run(session, admin, payout.run_id)
    values = form_values(form)
    if outcome not in ("sent", "failed"):
        raise NotFound()
    try:
        with all_or_nothing(session):
            if outcome == "sent":
                runs.mark_sent(session=session, settings=settings, actor=admin, payout=payout,
                               reference=values.get("reference", ""))
            else:
                runs.mark_failed(session=session, actor=admin, payout=payout,
                                 reason=values.get("reason", ""))
    except (Conflict, ValidationFailed) as exc:
        detail = "; ".join(map(str, getattr(exc, "errors", {}).values())) or exc.detail
        return _run_page(request, session, admin, run, status_code=exc.status_code,
                         errors={"__all__": detail, "payout": payout.id})
    flash(request, _("Payout %(id)s is marked %(status)s.", id=payout.id,
                     status=_(STATUS_LABELS[outcome]).lower()), "success")
    return _see_other(f"/admin/payouts/{run.id}")


@router.get("/admin/ledger")
def ledger_page(request: Request, session: SessionDep, gateway: GatewayDep, admin: AdminUser,
                stripe: Annotated[bool, Query()] = False):
    """The same check as ``marketplace ledger check``; asking Stripe too is a button away
    (one call per card payment, so not on every visit)."""
    report = check.run(session, gateway if stripe else None)
    return render(request, "payouts/ledger.html", {"report": report, "stripe": stripe})
