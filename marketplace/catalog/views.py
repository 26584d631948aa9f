"""View helpers for the public storefront: product cards, catalog filters from the query
string, and ``page()``: anonymous pages served from the page cache (``core.page_cache``).

A page showing a Seal of Excellence stops being served from the cache when the first seal
ends, since expiry is a matter of time, not of a write.
"""

import math
import time
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import Response
from markupsafe import Markup
from sqlalchemy import func
from sqlmodel import Session, col, select

from marketplace import geo
from marketplace.auth.deps import get_optional_user
from marketplace.catalog.service.photos import first_photos
from marketplace.catalog.service.search import CatalogQuery
from marketplace.certification.service import certificates
from marketplace.core import cache_tags, page_cache, templating
from marketplace.core.deps import settings_of, storage_of
from marketplace.core.money import NotAnAmount, parse_dollars
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
from marketplace.payments import pricing

PER_PAGE = 24
MAX_PAGE = 100_000
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


def suggestions(session) -> dict[str, list[tuple[str, str, int]]]:
    """For a search that found nothing: the crafts and provinces that do have pieces now,
    as (value, label, how many), most first."""
    from sqlalchemy import func
    from sqlmodel import col, select

    from marketplace.models import Product

    visible = col(Product.visible).is_(True)
    crafts = session.exec(select(Product.craft, func.count()).where(visible)
                          .group_by(Product.craft).order_by(func.count().desc())).all()
    provinces = session.exec(select(Product.province_code, func.count()).where(visible)
                             .group_by(Product.province_code)
                             .order_by(func.count().desc())).all()
    return {
        "crafts": [(c, CRAFT_LABELS.get(c, c), n) for c, n in crafts if c in CRAFT_LABELS],
        "provinces": [(code, place.name, n) for code, n in provinces
                      if code and (place := geo.province(code))],
    }


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
    seal_number: str | None = None  # the certificate the badge links to


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


CARD_SIZES = "(min-width: 64rem) 20rem, (min-width: 40rem) 45vw, 100vw"


def _card(product: Product, group: ProducerGroup | None, cover: ProductImage | None,
          storage, rate: int, certified: bool, seal_number: str | None) -> Card:
    title, title_lang = localized(product.title, product.title_km)
    made_to_order = product.stock_mode == StockMode.MADE_TO_ORDER
    return Card(
        id=product.id, url=product_url(product), title=title, title_lang=title_lang,
        group_name=localized(group.name, group.name_km)[0] if group else "",
        price_cents=product.price_cents,
        price_khr=usd_to_khr(product.price_cents, rate),
        lead_time_days=product.lead_time_days if made_to_order else None,
        certified=certified,
        photo=photo_view(storage, cover) if cover else None,
        seal_number=seal_number if certified else None,
    )


def price_split(settings, price_cents: int) -> pricing.PieceSplit:
    """Where a piece's price goes, with the marketplace's commission and card fee rates."""
    return pricing.piece_split(price_cents, commission_bp=settings.commission_basis_points,
                               fee_bp=settings.card_fee_basis_points,
                               fee_fixed_cents=settings.card_fee_fixed_cents)


def split_rates(settings) -> dict:
    """The commission and card fee rates as the product page prints them ("10", "2.9")."""
    def percent(basis_points: int) -> str:
        return f"{Decimal(basis_points) / 100:f}"
    return {"commission": percent(settings.commission_basis_points),
            "card_fee": percent(settings.card_fee_basis_points),
            "card_fee_fixed_cents": settings.card_fee_fixed_cents}


def thumbnails(request: Request, session: Session, product_ids) -> dict[int, Photo]:
    """The cover photo of each product (for cart and order lines), in one query."""
    storage = storage_of(request)
    covers = first_photos(session=session, product_ids=[i for i in set(product_ids) if i])
    return {product_id: photo_view(storage, image) for product_id, image in covers.items()}


def cards(request: Request, session: Session, products: list[Product]) -> list[Markup]:
    """The card of each product, as HTML for ``product_grid``.

    A card is rendered once per product, language and change, then reused by every list
    that shows it (catalog, searches, group and home pages): it is kept under the product's
    and its group's ``updated_at`` (every edit, photo and seal decision moves them), the
    language, the riel rate and whether the seal holds now. Cover photos and seal numbers
    are fetched, in one query each, only for the cards not kept."""
    storage = storage_of(request)
    rate = settings_of(request).khr_per_usd
    groups = groups_by_id(session, {p.group_id for p in products})
    kept: page_cache.PageCache = request.app.state.fragments
    now = utcnow()
    locale = current_locale.get()
    keys = []
    for product in products:
        group = groups.get(product.group_id)
        keys.append(("card", product.id, product.updated_at,
                     group.updated_at if group else None, locale, rate,
                     is_certified(product, now)))
    html: list[Markup | None] = [kept.get(key) for key in keys]
    missing = [p.id for p, fragment in zip(products, html, strict=True) if fragment is None]
    if missing:
        covers = first_photos(session=session, product_ids=missing)
        seals = certificates.numbers_for_products(session=session, product_ids=[
            p.id for p, key in zip(products, keys, strict=True) if key[-1] and p.id in missing])
        macro = templating.environment().get_template("partials/product_card.html").module
        for i, product in enumerate(products):
            if html[i] is None:
                card = _card(product, groups.get(product.group_id), covers.get(product.id),
                             storage, rate, keys[i][-1], seals.get(product.id))
                html[i] = macro.product_card(card, CARD_SIZES)
                kept.put(keys[i], html[i])
    return html


@dataclass(frozen=True, slots=True)
class Details:
    """What a product page says of how a piece is made, in the reader's language: each
    text (or list) Khmer on Khmer pages and English on English ones, falling back to the
    other language when it is empty; ``*_lang`` is its language, for a ``lang`` attribute."""

    category: str
    category_lang: str
    materials: list
    materials_lang: str
    steps: list
    steps_lang: str
    care: str
    care_lang: str


def _localized_list(english: list | None, khmer: list | None) -> tuple[list, str]:
    english, khmer = english or [], khmer or []
    if khmer and (current_locale.get() == "km" or not english):
        return khmer, "km"
    return english, "en"


def details(product: Product) -> Details:
    category, category_lang = localized(product.category, product.category_km)
    materials, materials_lang = _localized_list(product.materials, product.materials_km)
    steps, steps_lang = _localized_list(product.techniques, product.techniques_km)
    care, care_lang = localized(product.care_notes, product.care_notes_km)
    return Details(category, category_lang, materials, materials_lang, steps, steps_lang,
                   care, care_lang)


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


_seal_ends: dict[str, tuple[int, float]] = {}  # database -> (catalog stamp, first end)


def next_certificate_end(session: Session) -> float:
    """When the first valid seal of a visible product ends (epoch seconds), or infinity.

    Every page stored asks, so the answer is kept until the catalog changes (seal
    decisions and publishing bump its tag) or that moment passes."""
    tags = cache_tags.store_for(session)
    slots = (cache_tags.slot(cache_tags.CATALOG), cache_tags.slot(cache_tags.ALL))
    stamp = tags.stamp(slots)  # read before the query: a change meanwhile is not missed
    database = str(session.get_bind().url)
    known = _seal_ends.get(database)
    if known is not None and known[0] == stamp and known[1] > time.time():
        return known[1]
    ends = session.exec(select(func.min(Product.certified_until)).where(
        func.coalesce(col(Product.visible), False).is_(True),  # not the visibility index
        col(Product.certified_until) > utcnow())).one()
    value = ends.timestamp() if ends else math.inf
    _seal_ends[database] = (stamp, value)
    return value


# --- catalog filters ----------------------------------------------------------------------

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
                prices[key] = parse_dollars(form[key])
            except NotAnAmount:
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


# --- serving pages: from the page cache for anonymous visitors ----------------------------

def shows_list(request: Request, query: CatalogQuery, available: list[Product] = ()) -> None:
    """A list page shows which products match, in which order, and their cards (the
    ``catalog`` tag); filtered on stock, it changes when a piece sells out or comes back;
    with ``available``, it shows those pieces' stock too."""
    tags = [cache_tags.CATALOG, *(cache_tags.product(p.id) for p in available)]
    if query.availability == "in_stock":
        tags.append(cache_tags.IN_STOCK)
    page_cache.shows(request, *tags)


def page(request: Request, build: page_cache.Builder, *, personal: bool = True) -> Response:
    """Answer from the page cache (``core.page_cache``), or render with ``build``. What the
    storefront shows can carry a Seal of Excellence, so a stored page is fresh until the
    first seal of a visible product ends."""
    return page_cache.page(request, build, fresh_until=next_certificate_end,
                           load_user=get_optional_user, personal=personal)
