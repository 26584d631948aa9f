"""The ``marketplace`` command: serve, migrate, demo data, users, the outbox worker."""

import time
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from marketplace.config import get_settings

app = typer.Typer(help="Cambodia Crafts Marketplace.", no_args_is_help=True)
users_app = typer.Typer(help="Manage accounts and roles.", no_args_is_help=True)
app.add_typer(users_app, name="users")
certifications_app = typer.Typer(help="Seal of Excellence jobs.", no_args_is_help=True)
app.add_typer(certifications_app, name="certifications")
console = Console()


def _engine():
    from marketplace.db import service_engine

    return service_engine(get_settings())


def _progress() -> Progress:
    return Progress(
        TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
        TimeElapsedColumn(), console=console,
    )


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port")] = 8000,
    workers: Annotated[int, typer.Option(help="Worker processes")] = 1,
    reload: Annotated[bool, typer.Option(help="Reload on code changes")] = False,
) -> None:
    """Serve the web application with uvicorn."""
    import uvicorn

    get_settings()  # refuse to start with an unsafe configuration before forking workers
    uvicorn.run(
        "marketplace.app:create_app", factory=True, host=host, port=port, workers=workers,
        reload=reload, proxy_headers=True, access_log=False,
    )


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
                                      storage=LocalStorage(settings.var_dir / "media"),
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

    from marketplace.auth import roles as roles_service
    from marketplace.auth import service
    from marketplace.auth.schemas import SignupIn
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
    from marketplace.auth import roles as roles_service
    from marketplace.auth import service
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
    """Background jobs: release unpaid orders' stock after their reservation, send emails.

    Safe to run on several machines at once.
    """
    from marketplace.db import transaction
    from marketplace.notifications.delivery import deliver_pending
    from marketplace.orders.service import expire_unpaid

    settings = get_settings()
    engine = _engine()
    while True:
        with transaction(engine) as session:
            expired = expire_unpaid(session=session)
        if expired:
            console.print(f"Released the stock of {expired} unpaid order(s).")
        sent = deliver_pending(engine, settings)
        if sent:
            console.print(f"Delivered {sent} email(s).")
        if once:
            break
        time.sleep(interval)


@certifications_app.command("expire")
def certifications_expire() -> None:
    """Expire certificates past their date and email 90- and 30-day renewal reminders.

    Safe to run twice, or on two machines at once (nightly, e.g. from cron).
    """
    from marketplace.certification.certificates import expire_due
    from marketplace.db import transaction

    settings = get_settings()
    with transaction(_engine()) as session:
        expired, reminders = expire_due(session=session, settings=settings)
    console.print(f"Expired {expired} certificate(s); queued {reminders} reminder(s).")


if __name__ == "__main__":  # pragma: no cover
    app()
