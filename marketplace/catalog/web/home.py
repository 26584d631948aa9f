"""The home page (certified pieces, crafts, provinces, newest pieces) and the about page."""

from datetime import datetime

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlmodel import Session

from marketplace.auth.deps import OptionalUser
from marketplace.catalog import views
from marketplace.catalog.service.search import CatalogQuery, search
from marketplace.core import cache_tags
from marketplace.core.page_cache import shows
from marketplace.core.templating import render
from marketplace.errors import NotFound
from marketplace.i18n import gettext as _

router = APIRouter(tags=["pages"], include_in_schema=False)
HOME_PIECES = 8


@router.get("/")
def home(request: Request) -> Response:
    """Served from the page cache for anonymous visitors, like the catalog."""
    return views.page(request, _home)


def _home(request: Request, session: Session) -> tuple[Response, datetime | None]:
    shows(request, cache_tags.CATALOG)
    certified, _total, _next = search(
        session=session, query=CatalogQuery(certified_only=True, limit=HOME_PIECES),
        with_count=False)
    newest, _total, _next = search(session=session, query=CatalogQuery(limit=HOME_PIECES),
                                   with_count=False)
    context = {
        "certified": views.cards(request, session, certified),
        "newest": views.cards(request, session, newest),
        "provinces": views.producer_provinces(),
    }
    return render(request, "home.html", context), None


@router.get("/about")
def about(request: Request, user: OptionalUser):
    return render(request, "about.html")


HELP_PAGES = ("contact", "shipping-returns", "privacy", "terms")


@router.get("/help/{page}")
def help_page(page: str, request: Request, user: OptionalUser):
    """What a buyer looks for before buying: how to reach us, shipping and returns, how
    personal data is used, the terms. The figures come from the settings the code uses."""
    if page not in HELP_PAGES:
        raise NotFound(_("No such page."))
    settings = request.app.state.settings
    return render(request, f"help/{page.replace('-', '_')}.html", {
        "settings": settings, "pages": HELP_PAGES})
