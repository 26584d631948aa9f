"""Serve stored renditions with long-lived cache headers (names are content hashes)."""

from starlette.staticfiles import StaticFiles

IMMUTABLE = "public, max-age=31536000, immutable"


class MediaFiles(StaticFiles):
    async def get_response(self, path, scope):
        response = await super().get_response(path, scope)
        if response.status_code in (200, 304):
            response.headers["Cache-Control"] = IMMUTABLE
        return response
