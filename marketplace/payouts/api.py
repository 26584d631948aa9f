"""JSON API for payouts: runs for staff (make, approve, export, mark sent or failed) and
each group's earnings for its members."""

from typing import Annotated

from fastapi import APIRouter, Path, Query, status
from fastapi.responses import Response
from sqlmodel import col, select

from marketplace import access
from marketplace.auth.deps import CurrentUser
from marketplace.core.deps import SettingsDep
from marketplace.core.openapi import problems
from marketplace.db import SessionDep
from marketplace.models import Payout, PayoutItem
from marketplace.payouts import earnings, runs, statement, statement_pdf
from marketplace.payouts.schemas import (
    EarningsPublic,
    FailedIn,
    PayoutPublic,
    RunIn,
    RunPublic,
    SentIn,
    StatementMonth,
)

router = APIRouter(tags=["payouts"])


def payouts_public(session, payouts: list[Payout]) -> list[PayoutPublic]:
    """The payouts with the entries each pays, in one query for all of them."""
    entries: dict[int, list[int]] = {}
    if payouts:
        for payout_id, entry_id in session.exec(select(
                PayoutItem.payout_id, PayoutItem.entry_id).where(
                col(PayoutItem.payout_id).in_([p.id for p in payouts]))
                .order_by(PayoutItem.entry_id)):
            entries.setdefault(payout_id, []).append(entry_id)
    return [PayoutPublic(**p.model_dump(include=set(PayoutPublic.model_fields) - {"entry_ids"}),
                         entry_ids=entries.get(p.id, [])) for p in payouts]


def payout_public(session, payout: Payout) -> PayoutPublic:
    return payouts_public(session, [payout])[0]


def run_public(session, run) -> RunPublic:
    return RunPublic(**run.model_dump(include=set(RunPublic.model_fields) - {"payouts"}),
                     payouts=payouts_public(session, runs.payouts_of(session, run)))


@router.post(
    "/payouts/runs",
    status_code=status.HTTP_201_CREATED,
    summary="Make a payout run (administrators)",
    description=(
        "One payout per verified group whose available balance, less the reserve, reaches "
        "the minimum; groups whose destination changed within the hold, or is not verified, "
        "wait. Each payout claims the ledger entries it pays; a run made at the same moment "
        "never takes them too. 409 when nothing is due; 422 when a group is paid in riel "
        "and `khr_per_usd` is missing. The run then waits for another administrator."),
    responses=problems(401, 403, 409, 422),
)
def create_run(data: RunIn, session: SessionDep, settings: SettingsDep,
               user: CurrentUser) -> RunPublic:
    run = runs.create_run(session=session, settings=settings, actor=user,
                          khr_per_usd=data.khr_per_usd)
    return run_public(session, run)


@router.get("/payouts/runs", summary="Payout runs, newest first (administrators)",
            responses=problems(401, 403))
def list_runs(session: SessionDep, user: CurrentUser) -> list[RunPublic]:
    return [run_public(session, r) for r in runs.list_runs(session=session, actor=user)]


@router.get("/payouts/runs/{run_id}", summary="One payout run (administrators)",
            responses=problems(401, 403, 404))
def get_run(run_id: int, session: SessionDep, user: CurrentUser) -> RunPublic:
    return run_public(session, runs.get_run(session, user, run_id))


@router.post(
    "/payouts/runs/{run_id}/approve",
    summary="Approve a run (another administrator)",
    description="403 for the administrator who made it; 409 when it was approved or "
                "cancelled meanwhile.",
    responses=problems(401, 403, 404, 409),
)
def approve(run_id: int, session: SessionDep, user: CurrentUser) -> RunPublic:
    run = runs.approve(session=session, actor=user, run=runs.get_run(session, user, run_id))
    return run_public(session, run)


@router.post(
    "/payouts/runs/{run_id}/cancel",
    summary="Cancel a run before approval",
    description="Every payout is reversed in the ledger and its entries are available again.",
    responses=problems(401, 403, 404, 409),
)
def cancel(run_id: int, session: SessionDep, user: CurrentUser) -> RunPublic:
    run = runs.cancel(session=session, actor=user, run=runs.get_run(session, user, run_id))
    return run_public(session, run)


@router.get(
    "/payouts/runs/{run_id}/export",
    summary="The file for one rail (CSV)",
    description=("Columns: " + ", ".join(runs.CSV_COLUMNS) + ". `amount_minor` is cents (USD) "
                 "or riel (KHR); `amount` is the same as text (dollars with two decimals, "
                 "or riel). 409 until the run is approved."),
    responses={200: {"content": {"text/csv": {}}}, **problems(401, 403, 404, 409)},
)
def export(run_id: int, session: SessionDep, user: CurrentUser,
           rail: Annotated[str, Query(pattern="^(bank|bakong|cash)$")] = "bank") -> Response:
    body = runs.export(session=session, actor=user, run=runs.get_run(session, user, run_id),
                       rail=rail)
    return Response(body, media_type="text/csv", headers={
        "Content-Disposition": f'attachment; filename="payout-run-{run_id}-{rail}.csv"'})


@router.post(
    "/payouts/{payout_id}/sent",
    summary="Mark a payout sent, with the bank's reference",
    description="409 when it was already marked, or the reference is recorded for another "
                "payout. The group's members are emailed.",
    responses=problems(401, 403, 404, 409, 422),
)
def mark_sent(payout_id: int, data: SentIn, session: SessionDep, settings: SettingsDep,
              user: CurrentUser) -> PayoutPublic:
    payout = runs.mark_sent(session=session, settings=settings, actor=user,
                            payout=runs.get_payout(session, user, payout_id),
                            reference=data.reference)
    return payout_public(session, payout)


@router.post(
    "/payouts/{payout_id}/failed",
    summary="Mark a payout failed, with the reason",
    description="Its booking is reversed and its entries are available again for the next "
                "run (also for a payout the bank returned after it was sent).",
    responses=problems(401, 403, 404, 409, 422),
)
def mark_failed(payout_id: int, data: FailedIn, session: SessionDep,
                user: CurrentUser) -> PayoutPublic:
    payout = runs.mark_failed(session=session, actor=user,
                              payout=runs.get_payout(session, user, payout_id),
                              reason=data.reason)
    return payout_public(session, payout)


@router.get(
    "/producer-groups/{group_id}/earnings",
    summary="A group's earnings and payouts (its members)",
    responses=problems(401, 403, 404),
)
def group_earnings(group_id: int, session: SessionDep, settings: SettingsDep,
                   user: CurrentUser) -> EarningsPublic:
    group = access.get_group(session=session, group_id=group_id)
    access.require_member(session=session, user=user, group_id=group.id)
    figures = earnings.balances(session, settings, group.id)
    payouts = session.exec(select(Payout).where(Payout.group_id == group.id)
                           .order_by(Payout.id.desc()).limit(50)).all()
    return EarningsPublic(group_id=group.id, **vars(figures),
                          payouts=payouts_public(session, list(payouts)))


@router.get(
    "/producer-groups/{group_id}/statements",
    summary="A group's monthly statements (its members)",
    description="One line per month with earnings, newest first; `pdf` is the statement.",
    responses=problems(401, 403, 404),
)
def statements(group_id: int, session: SessionDep, settings: SettingsDep,
               user: CurrentUser) -> list[StatementMonth]:
    group = access.get_group(session=session, group_id=group_id)
    access.require_member(session=session, user=user, group_id=group.id)
    months: dict[str, int] = {}
    for row in statement.rows(session, settings, group.id, limit=5000):
        key = row.on.strftime("%Y-%m")
        months[key] = months.get(key, 0) + row.amount_cents
    return [StatementMonth(month=m, earned_cents=c,
                           pdf=f"/api/v1/producer-groups/{group.id}/statements/{m}.pdf")
            for m, c in sorted(months.items(), reverse=True)]


@router.get(
    "/producer-groups/{group_id}/statements/{month}.pdf",
    summary="A month's earnings statement as PDF (its members)",
    responses={200: {"content": {"application/pdf": {}}}, **problems(401, 403, 404, 422)},
)
def statement_file(group_id: int, month: Annotated[str, Path(pattern=r"^20[0-9]{2}-(0[1-9]|1[0-2])$")],
                   session: SessionDep, settings: SettingsDep, user: CurrentUser) -> Response:
    group = access.get_group(session=session, group_id=group_id)
    access.require_member(session=session, user=user, group_id=group.id)
    return Response(statement_pdf.render_month(session, settings, group, month),
                    media_type="application/pdf", headers={
                        "Content-Disposition": f'attachment; filename="earnings-{month}.pdf"'})
