"""Health endpoints for load balancers and orchestrators."""

from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import text

from marketplace.config import BASE_DIR

router = APIRouter(tags=["operations"])


def alembic_config(database_url: str | None = None) -> Config:
    """The project's Alembic configuration, optionally pointed at ``database_url``."""
    config = Config(str(BASE_DIR / "alembic.ini"))
    config.set_main_option("script_location", str(BASE_DIR / "migrations"))
    if database_url:
        config.attributes["database_url"] = database_url
    return config


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


@router.get("/healthz", summary="The process is up")
async def healthz() -> dict:
    """Answered on the event loop, touching nothing: it says the process is responsive even
    when every worker thread is busy."""
    return {"status": "ok"}


@router.get(
    "/readyz",
    summary="The database answers and its schema is at the latest migration",
    responses={503: {"description": "Not ready"}},
)
def readyz(request: Request):
    expected = request.app.state.head_revision
    try:
        with request.app.state.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
            current = MigrationContext.configure(conn).get_current_revision()
    except Exception as exc:  # noqa: BLE001 - any failure means not ready
        return JSONResponse(
            {"status": "unavailable", "database": "unreachable", "error": type(exc).__name__},
            status_code=503,
        )
    ready = current == expected
    return JSONResponse(
        {"status": "ok" if ready else "unavailable", "database": "ok",
         "revision": current, "head": expected},
        status_code=200 if ready else 503,
    )
