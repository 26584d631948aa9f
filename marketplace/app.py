"""The FastAPI application: settings, middleware, static files, routers, error handlers."""

import asyncio
import logging
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from starlette.middleware.gzip import DEFAULT_EXCLUDED_CONTENT_TYPES, GZipMiddleware
from starlette.middleware.sessions import SessionMiddleware

from marketplace import api, geo, i18n, ops, web
from marketplace.auth.service.visitors import Visitors
from marketplace.config import Settings, get_settings
from marketplace.core import cache_tags, limits, memory, openapi, problems, templating
from marketplace.core.middleware import RequestContextMiddleware
from marketplace.core.page_cache import PageCache, PageCacheMiddleware
from marketplace.core.static import HashedStaticFiles
from marketplace.db import service_engine
from marketplace.integrations.stripe import StripeGateway, csp_sources, localstripe
from marketplace.media.documents import PrivateFiles
from marketplace.media.serve import MediaFiles
from marketplace.media.storage import LocalStorage

DESCRIPTION = """
Marketplace for indigenous handicrafts from Cambodia: producer groups from Ratanakiri,
Mondulkiri, Preah Vihear and Kampong Thom, Seal of Excellence certification, shops and tourists.

Authenticate with `POST /api/v1/auth/token` (OAuth2 password form) and send
`Authorization: Bearer <token>`. Errors are RFC 9457 `application/problem+json`.
"""


def configure_logging(level: str) -> None:
    root = logging.getLogger("marketplace")
    if not root.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
        root.addHandler(handler)
    root.setLevel(level.upper())


def _mount_api_docs(app: FastAPI) -> None:
    """Swagger UI at /docs from the assets bundled in the fastapi-offline package."""
    import fastapi_offline
    from fastapi.openapi.docs import get_swagger_ui_html

    assets = Path(fastapi_offline.__file__).parent / "static"
    app.mount("/docs-assets", StaticFiles(directory=assets), name="apidocs")

    @app.get("/docs", include_in_schema=False)
    def docs():
        return get_swagger_ui_html(
            openapi_url="/openapi.json",
            title=f"{app.title} API",
            swagger_js_url="/docs-assets/swagger-ui-bundle.js",
            swagger_css_url="/docs-assets/swagger-ui.css",
            swagger_favicon_url="/static/img/favicon.svg",
        )


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the application for ``settings`` (the environment's when omitted)."""
    settings = settings or get_settings()
    memory.tune_malloc()
    local_stripe = localstripe.wanted(settings)  # development without a Stripe key
    if local_stripe:
        settings = localstripe.development_settings(settings)
    configure_logging(settings.log_level)
    engine = service_engine(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        stripe_process = await asyncio.to_thread(localstripe.start_for_development, settings) \
            if local_stripe else None
        yield
        localstripe.stop(stripe_process)
        engine.dispose()

    app = FastAPI(
        title="Cambodia Crafts Marketplace",
        version="0.1.0",
        description=DESCRIPTION,
        lifespan=lifespan,
        docs_url=None,  # served below from local files: nothing loads from a CDN
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.head_revision = ops.head_revision()
    app.state.storage = LocalStorage.for_settings(settings)
    app.state.private_files = PrivateFiles.for_settings(settings)
    app.state.page_cache = PageCache(max_bytes=12 * 1024 * 1024)
    app.state.fragments = PageCache(max_entries=20_000, max_bytes=8 * 1024 * 1024)
    app.state.page_tags = cache_tags.attach(settings.database_url, settings.var_dir)
    app.state.visitors = Visitors(app.state.page_tags)
    app.state.gateway = StripeGateway(settings)
    templating.compile_all()  # before the first requests, which would each compile them
    geo.load()
    for locale in i18n.LOCALES:  # read the catalogs now, not on the event loop later
        i18n.translations(locale)

    # Innermost middleware (the error page needs the session): oversized bodies (413) and
    # NUL characters (422) are refused before routing, authentication or parsing.
    limits.install(app, settings)
    # Pages from the page cache, on the event loop: inside the session middleware (a
    # signed-in visitor's header comes from their session), before routing or the database.
    app.add_middleware(PageCacheMiddleware, cache=app.state.page_cache,
                       tags=app.state.page_tags, visitors=app.state.visitors.lookup)
    app.add_middleware(
        SessionMiddleware,
        secret_key=settings.secret_key,
        session_cookie="session",
        max_age=settings.session_max_age,
        same_site="lax",
        https_only=settings.https,
    )
    app.add_middleware(
        RequestContextMiddleware, https=settings.https, default_locale=settings.default_locale,
        payment_sources=csp_sources(settings),
    )
    # Outermost: HTML, CSS, JS, JSON and SVG gzipped for clients that accept it (a page of
    # 20-30 KB becomes 5-7 KB on a slow phone); photos and PDFs are compressed already.
    app.add_middleware(GZipMiddleware, minimum_size=800, compresslevel=6,
                       exclude_content_types=(*DEFAULT_EXCLUDED_CONTENT_TYPES,
                                              "application/pdf"))
    problems.install(app)
    openapi.install(app)  # /openapi.json documents every error an operation can answer
    app.mount("/static", HashedStaticFiles(), name="static")
    app.mount("/media", MediaFiles(directory=app.state.storage.root, check_dir=False), name="media")
    _mount_api_docs(app)
    app.include_router(ops.router)
    app.include_router(api.router)
    app.include_router(web.router)
    return app
