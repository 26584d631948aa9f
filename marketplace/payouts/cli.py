"""``marketplace payouts run`` and ``marketplace ledger check``."""

from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from marketplace.config import get_settings

payouts_app = typer.Typer(help="Pay producer groups.", no_args_is_help=True)
ledger_app = typer.Typer(help="The double-entry ledger.", no_args_is_help=True)
console = Console()


def _engine():
    from marketplace.db import service_engine

    return service_engine(get_settings())


@payouts_app.command("run")
def payouts_run(
    by: Annotated[str, typer.Option("--by", help="The administrator making the run (email)")],
    rate: Annotated[int | None, typer.Option(
        "--rate", help="Riel per dollar, for the groups paid in riel")] = None,
) -> None:
    """Make a payout run: one payout per group with enough available. Another
    administrator approves it (page or API) before it can be exported."""
    from marketplace.auth import service as auth
    from marketplace.db import transaction
    from marketplace.errors import MarketplaceError
    from marketplace.payouts import runs

    settings = get_settings()
    progress = Progress(TextColumn("[bold]{task.description}"), BarColumn(),
                        MofNCompleteColumn(), TimeElapsedColumn(), console=console)
    try:
        with progress, transaction(_engine()) as session:
            task = progress.add_task("Groups", total=None)
            actor = auth.get_by_email(session=session, email=by)
            run = runs.create_run(
                session=session, settings=settings, actor=actor, khr_per_usd=rate,
                progress=lambda done, total: progress.update(task, completed=done, total=total))
            payouts = runs.payouts_of(session, run)
    except MarketplaceError as exc:
        errors = getattr(exc, "errors", None) or {}
        console.print(f"[red]{'; '.join(map(str, errors.values())) or exc.detail}[/red]")
        raise typer.Exit(1) from exc
    console.print(f"[green]Payout run {run.id}: {len(payouts)} payout(s), "
                  f"${run.total_cents / 100:,.2f}.[/green] Another administrator approves it "
                  f"at /admin/payouts/{run.id}.")


@ledger_app.command("check")
def ledger_check(
    stripe: Annotated[bool, typer.Option(
        "--stripe/--no-stripe", help="Also compare card money with what Stripe holds")] = True,
) -> None:
    """Every transaction sums to zero, every payout equals the entries it claims, and the
    card money in the ledger is what Stripe received less refunds. Exit status 1 on any
    difference."""
    from marketplace.db import transaction
    from marketplace.jobs import gateway_for
    from marketplace.payouts import check

    gateway = gateway_for(get_settings())[1] if stripe else None
    with transaction(_engine(), write=False) as session:
        report = check.run(session, gateway)
    console.print(f"{report.transactions} transaction(s), {report.payouts} payout(s), "
                  f"{report.intents} card payment(s) asked of Stripe; card money in the "
                  f"ledger ${report.card_in_ledger_cents / 100:,.2f}, card fees "
                  f"${report.card_fees_cents / 100:,.2f}.")
    for difference in report.differences:
        console.print(f"[red]{difference}[/red]")
    if not report.ok:
        raise typer.Exit(1)
    console.print("[green]The ledger adds up: no difference.[/green]")
