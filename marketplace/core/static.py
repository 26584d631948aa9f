"""Static files under content-hashed names, cached by browsers for a year.

``static_url("css/site.css")`` is ``/static/css/site.<10 hex of its SHA-256>.css``: a new
version of a file gets a new name, so the old one may be cached for ever (``immutable``).
The plain name still answers (an old page, a bookmark) but is cached for five minutes only.
The names are computed once per process from the files on disk.
"""

import hashlib
from functools import cache
from pathlib import Path

from starlette.responses import Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

from marketplace.config import BASE_DIR

STATIC_DIR = BASE_DIR / "static"
FOREVER = "public, max-age=31536000, immutable"
BRIEFLY = "public, max-age=300"


def hashed_name(relative: str, content: bytes) -> str:
    path = Path(relative)
    digest = hashlib.sha256(content).hexdigest()[:10]
    return str(path.with_name(f"{path.stem}.{digest}{path.suffix}"))


@cache
def manifest(directory: Path = STATIC_DIR) -> dict[str, str]:
    """Each file's path under ``directory`` -> its hashed path."""
    return {str(p.relative_to(directory)): hashed_name(str(p.relative_to(directory)),
                                                       p.read_bytes())
            for p in sorted(directory.rglob("*")) if p.is_file()}


def static_url(relative: str) -> str:
    return "/static/" + manifest().get(relative, relative)


class HashedStaticFiles(StaticFiles):
    """Serves ``name.<hash>.ext`` as ``name.ext`` with a year's cache, and plain names with
    five minutes'."""

    def __init__(self, directory: Path = STATIC_DIR) -> None:
        super().__init__(directory=directory)
        self.originals = {hashed: plain for plain, hashed in manifest(directory).items()}

    async def get_response(self, path: str, scope: Scope) -> Response:
        original = self.originals.get(path)
        response = await super().get_response(original or path, scope)
        if response.status_code in (200, 304):
            response.headers["Cache-Control"] = FOREVER if original else BRIEFLY
        return response
