"""View helpers for the public storefront: product cards, catalog filters from the query
string, and serving anonymous pages from the page cache with ETag and Last-Modified.

Anonymous pages (no ``session`` cookie) are the same for everyone in one language, so they
are cached under (catalog version, locale, path + sorted query). Every catalog write bumps
the version in its own transaction, so a cached page is never older than the database. A
page showing a Seal of Excellence also stops being served when the first seal ends, since
expiry is a matter of time, not of a write.
"""

import contextlib
import hashlib
import math
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from email.utils import format_datetime, parsedate_to_datetime
from urllib.parse import parse_qsl, urlencode

from fastapi import Request
from fastapi.responses import Response
from sqlalchemy import func
from sqlmodel import Session, col, select

from marketplace import geo
from marketplace.auth.deps import get_optional_user
from marketplace.catalog.photos import first_photos
from marketplace.catalog.search import CatalogQuery
from marketplace.db import ensure_off_event_loop, transaction
from marketplace.i18n import N_, current_locale, localized, usd_to_khr
from marketplace.i18n import gettext as _
from marketplace.media import images
from marketplace.models import (
    Community,
    Craft,
    ProducerGroup,
    Product,
    ProductImage,
    StockMode,
    utcnow,
)

PER_PAGE = 24
MAX_PAGE = 100_000
SESSION_COOKIE = "session"
VARY = "Cookie, Accept-Language"
PUBLIC_CACHE = "public, max-age=0, must-revalidate"
PRIVATE_CACHE = "private, no-store"
PAGE_SIZES = "(min-width: 64rem) 40rem, 100vw"

CRAFT_LABELS = {
    Craft.WEAVING: N_("Weaving"),
    Craft.POTTERY: N_("Pottery"),
    Craft.BASKETRY: N_("Basketry"),
    Craft.RESIN: N_("Resin"),
}
COMMUNITY_LABELS = {
    Community.BUNONG: N_("Bunong"),
    Community.JARAI: N_("Jarai"),
    Community.TAMPUAN: N_("Tampuan"),
    Community.KREUNG: N_("Kreung"),
    Community.KUY: N_("Kuy"),
    Community.KHMER: N_("Khmer"),
    Community.OTHER: N_("Other"),
}
SORT_LABELS = {
    "newest": N_("Newest first"),
    "price_asc": N_("Price: low to high"),
    "price_desc": N_("Price: high to low"),
}
AVAILABILITY_LABELS = {"in_stock": N_("In stock now"), "made_to_order": N_("Made to order")}
METHOD_LABELS = {"hand": N_("By hand"), "machine": N_("By machine")}
LOW_STOCK = 3


def producer_provinces() -> list[geo.Place]:
    """The programme's four provinces, named in the current language."""
    return [place for code in geo.PRODUCER_PROVINCES if (place := geo.province(code))]


# --- product cards ------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Photo:
    src: str
    srcset: str
    width: int
    height: int
    alt: str


@dataclass(frozen=True, slots=True)
class Card:
    id: int
    url: str
    title: str
    title_lang: str
    group_name: str
    price_cents: int
    price_khr: int
    lead_time_days: int | None
    certified: bool
    photo: Photo | None


def product_url(product: Product) -> str:
    return f"/products/{product.id}-{product.slug}"


def photo_view(storage, image: ProductImage) -> Photo:
    return Photo(
        src=storage.url(images.rendition_key(image.content_hash, images.FALLBACK_WIDTH, "jpg")),
        srcset=images.srcset(storage, image.content_hash, image.width),
        width=image.width, height=image.height, alt=image.alt_text,
    )


def is_certified(product: Product, now: datetime) -> bool:
    return product.certified_until is not None and product.certified_until > now


def groups_by_id(session: Session, group_ids: set[int]) -> dict[int, ProducerGroup]:
    if not group_ids:
        return {}
    rows = session.exec(select(ProducerGroup).where(col(ProducerGroup.id).in_(group_ids)))
    return {group.id: group for group in rows}


def cards(request: Request, session: Session, products: list[Product]) -> list[Card]:
    """Cards for a page of products: cover photos and groups fetched in one query each."""
    storage = request.app.state.storage
    rate = request.app.state.settings.khr_per_usd
    covers = first_photos(session=session, product_ids=[p.id for p in products])
    groups = groups_by_id(session, {p.group_id for p in products})
    now = utcnow()
    result = []
    for product in products:
        title, title_lang = localized(product.title, product.title_km)
        group = groups.get(product.group_id)
        cover = covers.get(product.id)
        made_to_order = product.stock_mode == StockMode.MADE_TO_ORDER
        result.append(Card(
            id=product.id, url=product_url(product), title=title, title_lang=title_lang,
            group_name=localized(group.name, group.name_km)[0] if group else "",
            price_cents=product.price_cents,
            price_khr=usd_to_khr(product.price_cents, rate),
            lead_time_days=product.lead_time_days if made_to_order else None,
            certified=is_certified(product, now),
            photo=photo_view(storage, cover) if cover else None,
        ))
    return result


def stock_state(product: Product) -> str:
    """'In stock', 'Only N left', 'Sold out' or 'Made to order: ships in N days'."""
    if product.stock_mode == StockMode.MADE_TO_ORDER:
        return _("Made to order: ships in %(n)s days", n=product.lead_time_days or 0)
    available = product.stock_on_hand - product.stock_allocated
    if available <= 0:
        return _("Sold out")
    if available <= LOW_STOCK:
        return _("Only %(n)s left", n=available)
    return _("In stock")


def last_product_change(session: Session, group_id: int) -> datetime | None:
    """When any product of the group last changed (a product archived today counts)."""
    return session.exec(select(func.max(Product.updated_at))
                        .where(Product.group_id == group_id)).one()


def next_certificate_end(session: Session) -> float:
    """When the first valid seal of a visible product ends (epoch seconds), or infinity."""
    ends = session.exec(select(func.min(Product.certified_until)).where(
        col(Product.visible).is_(True), col(Product.certified_until) > utcnow())).one()
    return ends.timestamp() if ends else math.inf


# --- catalog filters ----------------------------------------------------------------------

def _dollars(raw: str) -> int | None:
    """Cents for a dollar amount such as '25', '12.50' or '$1,200'; ValueError if not one."""
    text = raw.strip().lstrip("$").replace(",", "").strip()
    try:
        amount = Decimal(text)
    except InvalidOperation as exc:
        raise ValueError(raw) from exc
    if not amount.is_finite() or amount < 0 or amount > 1_000_000:
        raise ValueError(raw)
    return int((amount * 100).to_integral_value())


def _printable(text: str) -> str:
    """Without control characters (PostgreSQL refuses NUL in text), trimmed."""
    return "".join(ch for ch in text if ch >= " ").strip()


@dataclass
class CatalogFilters:
    query: CatalogQuery
    form: dict[str, str]
    errors: dict[str, str]


def catalog_filters(params) -> CatalogFilters:
    """A CatalogQuery from the query string. Unknown choices are ignored; prices that are
    not amounts are reported in ``errors`` and left out of the query."""
    form = {key: _printable(params.get(key) or "")[:200] for key in (
        "q", "craft", "province", "community", "min_price", "max_price", "availability",
        "certified", "sort")}
    errors: dict[str, str] = {}
    prices: dict[str, int | None] = {}
    for key in ("min_price", "max_price"):
        prices[key] = None
        if form[key]:
            try:
                prices[key] = _dollars(form[key])
            except ValueError:
                errors[key] = _("Enter an amount in dollars, for example 25 or 12.50.")
    if (prices["min_price"] is not None and prices["max_price"] is not None
            and prices["min_price"] > prices["max_price"]):
        errors["max_price"] = _("The highest price must not be below the lowest.")
        prices["max_price"] = None
    query = CatalogQuery(
        q=form["q"],
        craft=form["craft"] if form["craft"] in CRAFT_LABELS else None,
        province=form["province"] if form["province"] in geo.PRODUCER_PROVINCES else None,
        community=form["community"] if form["community"] in COMMUNITY_LABELS else None,
        min_price_cents=prices["min_price"], max_price_cents=prices["max_price"],
        availability=form["availability"] if form["availability"] in AVAILABILITY_LABELS
        else None,
        certified_only=form["certified"] in ("1", "on", "true", "yes"),
        sort=form["sort"] if form["sort"] in SORT_LABELS else "newest",
        limit=PER_PAGE, page=page_number(params),
    )
    return CatalogFilters(query=query, form=form, errors=errors)


def page_number(params) -> int:
    """The ``page`` parameter, 1 when missing or not a number."""
    try:
        return min(max(int(params.get("page") or 1), 1), MAX_PAGE)
    except ValueError:
        return 1


@dataclass(frozen=True, slots=True)
class PageLink:
    number: int | None  # None: a gap ("…")
    url: str
    current: bool = False


@dataclass
class Pagination:
    page: int
    pages: int
    total: int
    first: str
    previous: str | None
    next: str | None
    links: list[PageLink]


def pagination(path: str, params: dict[str, str], page: int, total: int) -> Pagination:
    """Links to the previous, next and nearby pages, keeping the other parameters."""
    kept = {k: v for k, v in params.items() if v and k != "page"}

    def url(number: int) -> str:
        query = urlencode({**kept, "page": number} if number > 1 else kept)
        return f"{path}?{query}" if query else path

    pages = max(math.ceil(total / PER_PAGE), 1)
    shown = sorted({1, pages, *range(max(page - 2, 1), min(page + 2, pages) + 1)})
    links: list[PageLink] = []
    for number in shown:
        if links and links[-1].number is not None and number - links[-1].number > 1:
            links.append(PageLink(None, ""))
        links.append(PageLink(number, url(number), number == page))
    return Pagination(
        page=page, pages=pages, total=total, first=url(1),
        previous=url(page - 1) if 1 < page <= pages + 1 else None,
        next=url(page + 1) if page < pages else None,
        links=links if pages > 1 else [],
    )


# --- serving pages: anonymous cache, ETag, Last-Modified ----------------------------------

Builder = Callable[[Request, Session], tuple[Response, datetime | None]]


@dataclass(frozen=True, slots=True)
class CachedPage:
    body: bytes
    status: int
    headers: dict[str, str]
    etag: str
    last_modified: datetime | None
    fresh_until: float  # epoch seconds; a seal on the page (or in a list) ends then


def page_key(request: Request) -> str:
    """The path and the non-empty query parameters, sorted."""
    path = request.scope["path"]
    raw = request.scope.get("query_string", b"")
    if not raw:
        return path
    items = sorted((k, v) for k, v in parse_qsl(raw.decode("latin-1")) if v)
    return f"{path}?{urlencode(items)}" if items else path


def _etag(version: int, locale: str, key: str, fresh_until: float) -> str:
    digest = hashlib.blake2b(f"{locale}|{key}|{fresh_until}".encode(), digest_size=8)
    return f'W/"{version}-{digest.hexdigest()}"'


def _not_modified(request: Request, page: CachedPage) -> bool:
    if_none_match = request.headers.get("if-none-match")
    if if_none_match is not None:
        tags = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
        return "*" in tags or page.etag.removeprefix("W/") in tags
    if_modified_since = request.headers.get("if-modified-since")
    if if_modified_since and page.last_modified is not None:
        try:
            since = parsedate_to_datetime(if_modified_since)
        except (TypeError, ValueError):
            return False
        if since.tzinfo is None:
            return False
        return page.last_modified.replace(microsecond=0) <= since
    return False


def _respond(request: Request, page: CachedPage) -> Response:
    if page.status == 200 and _not_modified(request, page):
        headers = {k: v for k, v in page.headers.items() if k != "content-type"}
        return Response(status_code=304, headers=headers)
    return Response(page.body, status_code=page.status, headers=page.headers)


VERSION_SQL = "SELECT version FROM cache_version WHERE name = 'catalog'"  # cache.current


def _autocommit(dbapi) -> bool:
    """Put a psycopg connection in autocommit (SQLite's already is); True if changed."""
    if getattr(dbapi, "autocommit", None) is False:
        dbapi.autocommit = True
        return True
    return False


def _select_version(dbapi) -> int:
    cursor = dbapi.cursor()
    try:
        cursor.execute(VERSION_SQL)
        row = cursor.fetchone()
    finally:
        cursor.close()
    return row[0] if row else 0


def read_version(engine) -> int:
    """``cache.current`` on a pooled DBAPI connection in autocommit (no BEGIN, no ROLLBACK)."""
    raw = engine.raw_connection()
    try:
        toggled = _autocommit(raw.dbapi_connection)
        try:
            return _select_version(raw.dbapi_connection)
        finally:
            if toggled:
                raw.dbapi_connection.autocommit = False
    finally:
        raw.close()


class VersionReader:
    """Reads the catalog version for cache hits: a few connections of its own, outside the
    pool, in autocommit, so a read is one round trip with no checkout, ping or open
    transaction. At most ``size`` connections (threads beyond that wait their turn); a
    broken connection is replaced once."""

    def __init__(self, engine, size: int = 4) -> None:
        self.engine = engine
        self.errors = engine.dialect.loaded_dbapi.Error
        self.idle: queue.LifoQueue = queue.LifoQueue()
        self.slots = threading.BoundedSemaphore(size)

    def _connect(self):
        raw = self.engine.raw_connection()
        raw.detach()  # kept by this reader, never returned to the pool
        _autocommit(raw.dbapi_connection)
        return raw

    def read(self) -> int:
        ensure_off_event_loop("catalog version read")
        with self.slots:
            try:
                raw = self.idle.get_nowait()
            except queue.Empty:
                raw = self._connect()
            try:
                version = _select_version(raw.dbapi_connection)
            except self.errors:
                with contextlib.suppress(self.errors):
                    raw.dbapi_connection.close()
                raw = self._connect()
                version = _select_version(raw.dbapi_connection)
            self.idle.put(raw)
            return version


def version_reader(app) -> VersionReader:
    reader = getattr(app.state, "catalog_version_reader", None)
    if reader is None or reader.engine is not app.state.engine:
        reader = app.state.catalog_version_reader = VersionReader(app.state.engine)
    return reader


def cached(request: Request) -> Response | None:
    """The stored page (or a 304) for an anonymous visitor, or None to render it."""
    if SESSION_COOKIE in request.cookies:
        return None
    version = version_reader(request.app).read()
    page = request.app.state.page_cache.get((version, current_locale.get(), page_key(request)))
    if page is None or page.fresh_until <= time.time():
        return None
    return _respond(request, page)


def page(request: Request, build: Builder) -> Response:
    """Answer an anonymous visitor from the page cache, or render the page. Called from
    plain ``def`` routes, so in the thread pool: the version read is a query too."""
    hit = cached(request)
    if hit is not None:
        return hit
    return serve(request, build)


def serve(request: Request, build: Builder) -> Response:
    """Render with ``build`` (given the request and a read-only session); for an anonymous
    visitor, store the page under the version read before any data."""
    engine = request.app.state.engine
    if SESSION_COOKIE in request.cookies:
        with transaction(engine, write=False) as session:
            get_optional_user(request, session)
            response, _modified = build(request, session)
        response.headers["Cache-Control"] = PRIVATE_CACHE
        response.headers["Vary"] = "Accept-Language"  # the session middleware adds Cookie
        return response

    request.state.user = None
    # Rendered without the session in scope: nothing personal (a flash message) can reach
    # the shared page, and the response does not vary on a cookie read for nothing.
    anonymous = Request({k: v for k, v in request.scope.items() if k != "session"})
    # The version is read before the data: a page is never older than the version it is
    # stored under (a write committed in between makes it newer, which is harmless).
    key = (read_version(engine), current_locale.get(), page_key(request))
    with transaction(engine, write=False) as session:
        response, modified = build(anonymous, session)
        fresh_until = next_certificate_end(session)
    stored = _to_cache(response, key, modified, fresh_until)
    if stored is None:
        return response
    request.app.state.page_cache.put(key, stored)
    return _respond(request, stored)


def _to_cache(response: Response, key: tuple[int, str, str], modified: datetime | None,
              fresh_until: float) -> CachedPage | None:
    if response.status_code not in (200, 301):
        return None
    etag = _etag(*key, fresh_until)
    headers = {"content-type": response.headers.get("content-type", "text/html"),
               "Cache-Control": PUBLIC_CACHE, "Vary": VARY}
    if response.status_code == 301:
        headers["Location"] = response.headers["location"]
    else:
        headers["ETag"] = etag
        if modified is not None:
            headers["Last-Modified"] = format_datetime(modified, usegmt=True)
    return CachedPage(body=bytes(response.body), status=response.status_code, headers=headers,
                      etag=etag, last_modified=modified, fresh_until=fresh_until)
