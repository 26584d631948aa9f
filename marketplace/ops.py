"""Health endpoints for load balancers and orchestrators.

The web worker does not import Alembic (about 11 MB of memory in every worker): the head
revision is read from the migration files, the database's from ``alembic_version``.
"""

import re

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import text

from marketplace.config import BASE_DIR

router = APIRouter(tags=["operations"])
_REVISION = re.compile(r"^(down_)?revision(?:: [^=]+)? = ['\"]?([0-9a-f]+|None)['\"]?", re.M)


def alembic_config(database_url: str | None = None):
    """The project's Alembic configuration, optionally pointed at ``database_url``."""
    from alembic.config import Config

    config = Config(str(BASE_DIR / "alembic.ini"))
    config.set_main_option("script_location", str(BASE_DIR / "migrations"))
    if database_url:
        config.attributes["database_url"] = database_url
    return config


def head_revision() -> str | None:
    """The newest migration: the one no other migration follows (tests/test_migrations.py
    checks it against Alembic's own answer)."""
    revisions, followed = set(), set()
    for path in (BASE_DIR / "migrations" / "versions").glob("*.py"):
        found = {bool(down): value for down, value in _REVISION.findall(path.read_text())}
        if False in found:
            revisions.add(found[False])
            followed.add(found.get(True))
    heads = revisions - followed
    return heads.pop() if len(heads) == 1 else None


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
            current = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
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
