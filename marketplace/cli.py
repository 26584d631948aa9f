"""The ``marketplace`` command: serve, migrate, demo data, users, the outbox worker."""

import logging
import os
import subprocess
import sys
import time
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from marketplace.config import get_settings
from marketplace.payouts.cli import ledger_app, payouts_app

app = typer.Typer(help="Cambodia Crafts Marketplace.", no_args_is_help=True)
users_app = typer.Typer(help="Manage accounts and roles.", no_args_is_help=True)
app.add_typer(users_app, name="users")
certifications_app = typer.Typer(help="Seal of Excellence jobs.", no_args_is_help=True)
app.add_typer(certifications_app, name="certifications")
app.add_typer(payouts_app, name="payouts")
app.add_typer(ledger_app, name="ledger")
console = Console()


def _engine():
    from marketplace.db import service_engine

    return service_engine(get_settings())


def _progress() -> Progress:
    return Progress(
        TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
        TimeElapsedColumn(), console=console,
    )


def _local_url(host: str, port: int) -> str:
    """The address a browser on this machine uses for ``host:port``."""
    if host in ("", "0.0.0.0", "::"):  # noqa: S104 - naming it, not binding it
        host = "127.0.0.1"
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def _stop_with_parent() -> None:  # pragma: no cover - runs in the child, before exec
    """Linux: the child gets SIGTERM if ``serve`` dies without stopping it (kill -9)."""
    import contextlib
    import ctypes
    import signal

    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def _start_worker() -> subprocess.Popen:
    """``marketplace worker`` as a child process, in its own session: a Ctrl-C reaches
    ``serve`` only, which then stops the worker (``_stop_worker``)."""
    console.print("Starting the background worker (marketplace worker).")
    return subprocess.Popen([sys.executable, "-m", "marketplace.cli", "worker"],  # noqa: S603
                            stdin=subprocess.DEVNULL, start_new_session=True,
                            preexec_fn=_stop_with_parent if sys.platform == "linux" else None)


def _stop_worker(process: subprocess.Popen | None, timeout: float = 10.0) -> None:
    """Interrupt the worker (it rolls back what it was doing); kill it if it hangs."""
    import signal

    if process is None or process.poll() is not None:
        return
    process.send_signal(signal.SIGINT)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=timeout)


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port")] = 8000,
    workers: Annotated[int, typer.Option(help="Worker processes")] = 1,
    reload: Annotated[bool, typer.Option(help="Reload on code changes")] = False,
    worker: Annotated[bool | None, typer.Option(
        "--worker/--no-worker", show_default=False,
        help="Also run the background worker (marketplace worker) as a child process, "
             "stopped with the server. Default: on in development, off otherwise")] = None,
) -> None:
    """Serve the web application with uvicorn (in development, with the background worker)."""
    import uvicorn

    from marketplace.core.clientip import uvicorn_proxy_options

    settings = get_settings()  # refuse an unsafe configuration before forking workers
    development = settings.environment == "development"
    if development and "base_url" not in settings.model_fields_set:
        # Links, QR codes and the localstripe webhook follow the port served, so a second
        # instance on another port gets its own card payments (the processes inherit it).
        os.environ["MARKETPLACE_BASE_URL"] = _local_url(host, port)
        get_settings.cache_clear()
    child = _start_worker() if (development if worker is None else worker) else None
    try:
        uvicorn.run(
            "marketplace.app:create_app", factory=True, host=host, port=port, workers=workers,
            reload=reload, access_log=False, **uvicorn_proxy_options(settings),
        )
    finally:
        _stop_worker(child)


@app.command()
def migrate(revision: Annotated[str, typer.Argument(help="Target revision")] = "head") -> None:
    """Bring the database schema to ``revision`` (default: the latest)."""
    from alembic import command

    from marketplace.ops import alembic_config

    settings = get_settings()
    if settings.is_sqlite:
        settings.var_dir.mkdir(parents=True, exist_ok=True)
    command.upgrade(alembic_config(settings.database_url), revision)
    console.print(f"[green]Database at {revision}.[/green]")


@app.command("demo-data")
def demo_data(
    products: Annotated[int, typer.Option(
        help="Also generate a large catalog of this many products (for benchmarks)",
        min=0)] = 0,
) -> None:
    """Load demo accounts, producer groups and their products (safe to run again)."""
    from marketplace import demo
    from marketplace.db import transaction

    engine = _engine()
    with _progress() as progress:
        with transaction(engine) as session:
            task = progress.add_task("Demo data", total=len(demo.steps()))
            created = demo.load(session=session,
                                advance=lambda n=1: progress.advance(task, n))
        with transaction(engine) as session:
            from marketplace.certification import demo as seal_demo
            from marketplace.media.storage import LocalStorage

            settings = get_settings()
            task = progress.add_task("Seal of Excellence", total=12)
            created += seal_demo.load(session=session, settings=settings,
                                      storage=LocalStorage.for_settings(settings),
                                      advance=lambda: progress.advance(task))
        with transaction(engine) as session:
            from marketplace.business import demo as business_demo

            task = progress.add_task("Businesses", total=business_demo.STEPS)
            created += business_demo.load(session=session, settings=get_settings(),
                                          advance=lambda: progress.advance(task))
        with transaction(engine) as session:
            from marketplace.payouts import demo as payouts_demo

            task = progress.add_task("Payouts", total=payouts_demo.STEPS)
            created += payouts_demo.load(session=session, settings=get_settings(),
                                         advance=lambda: progress.advance(task))
        added = 0
        if products:
            with transaction(engine) as session:
                missing = max(products - demo.generated_count(session=session), 0)
                task = progress.add_task("Generated catalog", total=missing)
                added = demo.load_generated(session=session, target=products,
                                            advance=lambda n=1: progress.advance(task, n))
    engine.dispose()
    console.print(f"[green]Demo data ready ({created} new rows"
                  + (f", {added} generated products" if products else "") + ").[/green] "
                  f"Demo accounts use the password [bold]{demo.DEMO_PASSWORD}[/bold].")


@users_app.command("create")
def users_create(
    email: str,
    name: Annotated[str, typer.Option(help="Full name")] = "",
    password: Annotated[str, typer.Option(prompt=True, hide_input=True,
                                          confirmation_prompt=True)] = "",
    role: Annotated[list[str] | None, typer.Option(help="Role to grant (repeatable)")] = None,
) -> None:
    """Create a verified account (for staff), optionally with roles."""
    from pydantic import ValidationError

    from marketplace.auth import service
    from marketplace.auth.schemas import SignupIn
    from marketplace.auth.service import roles as roles_service
    from marketplace.db import transaction
    from marketplace.errors import MarketplaceError
    from marketplace.models import utcnow

    settings = get_settings()
    try:
        data = SignupIn(email=email, full_name=name or email.split("@")[0], password=password)
        with transaction(_engine()) as session:
            user = service.signup(session=session, settings=settings, data=data)
            user.email_verified_at = utcnow()
            for item in role or []:
                roles_service.grant_role(session=session, actor=None, user=user, role=item)
    except ValidationError as exc:
        console.print(f"[red]{exc.errors()[0]['loc'][0]}: {exc.errors()[0]['msg']}[/red]")
        raise typer.Exit(2) from exc
    except MarketplaceError as exc:
        console.print(f"[red]{exc.detail}[/red]")
        raise typer.Exit(2) from exc
    console.print(f"[green]Created {email}.[/green]")


@users_app.command("grant")
def users_grant(email: str, role: str) -> None:
    """Grant ROLE (producer, business_buyer, officer, admin) to the account EMAIL."""
    from marketplace.auth import service
    from marketplace.auth.service import roles as roles_service
    from marketplace.db import transaction
    from marketplace.errors import MarketplaceError

    try:
        with transaction(_engine()) as session:
            user = service.get_by_email(session=session, email=email)
            if user is None:
                console.print(f"[red]No account with the email {email}.[/red]")
                raise typer.Exit(2)
            added = roles_service.grant_role(session=session, actor=None, user=user, role=role)
    except MarketplaceError as exc:
        detail = getattr(exc, "errors", {}).get("role", exc.detail)
        console.print(f"[red]{detail} Roles: producer, business_buyer, officer, admin.[/red]")
        raise typer.Exit(2) from exc
    console.print(f"[green]{email} is now {role}.[/green]" if added
                  else f"{email} already had the role {role}.")


@app.command()
def worker(
    once: Annotated[bool, typer.Option("--once", help="Process what is due, then exit")] = False,
    interval: Annotated[float, typer.Option(help="Seconds between polls")] = 2.0,
) -> None:
    """Background jobs: finish refunds and payments left pending (asking Stripe), release
    unpaid orders' stock after their reservation, send emails.

    Safe to run on several machines at once.
    """
    from marketplace import jobs

    settings, gateway = jobs.gateway_for(get_settings())
    engine = _engine()
    while True:
        try:
            done = jobs.run_once(engine, settings, gateway)
        except Exception:  # a database or Stripe outage: log it and try again next round
            if once:
                raise
            logging.getLogger("marketplace.worker").exception("worker pass failed")
            time.sleep(interval)
            continue
        if done.refunds or done.payments:
            console.print(f"Reconciled {done.refunds} refund(s) and {done.payments} "
                          "payment attempt(s) with Stripe.")
        if done.wholesale_charges:
            console.print(f"Settled {done.wholesale_charges} wholesale card payment(s) "
                          "with Stripe.")
        if done.expired:
            console.print(f"Released the stock of {done.expired} unpaid order(s).")
        if done.emails:
            console.print(f"Delivered {done.emails} email(s).")
        if once:
            break
        time.sleep(interval)


@certifications_app.command("expire")
def certifications_expire() -> None:
    """Expire certificates past their date and email 90- and 30-day renewal reminders.

    Safe to run twice, or on two machines at once (nightly, e.g. from cron).
    """
    from marketplace.certification import tasks

    expired, reminders = tasks.expire(_engine(), get_settings())
    console.print(f"Expired {expired} certificate(s); queued {reminders} reminder(s).")


if __name__ == "__main__":  # pragma: no cover
    app()
