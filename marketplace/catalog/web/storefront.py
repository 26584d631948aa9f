"""The public storefront: the catalog with filters, product pages and group pages.

Pages for anonymous visitors come from the page cache (see ``views.page``); each builder
below gets the request and a read-only session and returns the response and the time the
things shown last changed.
"""

import re
from datetime import datetime

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import func
from sqlmodel import Session, col, select

from marketplace import geo
from marketplace.access import get_public_group
from marketplace.catalog import views
from marketplace.catalog.service import get_visible_product, variants_of
from marketplace.catalog.service.photos import photos_of
from marketplace.catalog.service.search import COUNT_LIMIT, CatalogQuery, search
from marketplace.certification.service import certificates
from marketplace.core import cache_tags
from marketplace.core.deps import settings_of, storage_of
from marketplace.core.page_cache import shows
from marketplace.core.templating import render
from marketplace.errors import NotFound
from marketplace.i18n import gettext as _
from marketplace.i18n import localized, usd_to_khr
from marketplace.models import GroupStatus, ProducerGroup, Product, StockMode, utcnow

router = APIRouter(tags=["storefront"], include_in_schema=False)
PRODUCT_REF = re.compile(r"(\d{1,9})(?:-([A-Za-z0-9-]*))?")


@router.get("/catalog")
def catalog(request: Request) -> Response:
    return views.page(request, _catalog)


def _catalog(request: Request, session: Session) -> tuple[Response, datetime | None]:
    filters = views.catalog_filters(request.query_params)
    rows, total, _next = search(session=session, query=filters.query)
    views.shows_list(request, filters.query)
    context = {
        "cards": views.cards(request, session, rows),
        "total": total,
        "count_limit": COUNT_LIMIT,
        "pagination": views.pagination("/catalog", filters.form, filters.query.page, total),
        "form": filters.form,
        "errors": filters.errors,
        "crafts": views.CRAFT_LABELS,
        "communities": views.COMMUNITY_LABELS,
        "availabilities": views.AVAILABILITY_LABELS,
        "sorts": views.SORT_LABELS,
        "provinces": views.producer_provinces(),
        "suggestions": views.suggestions(session) if not total else None,
    }
    return render(request, "catalog/list.html", context), None


@router.get("/products/{ref}")
def product_page(request: Request, ref: str) -> Response:
    return views.page(request, lambda req, session: _product(req, session, ref))


def _product(request: Request, session: Session, ref: str) -> tuple[Response, datetime | None]:
    match = PRODUCT_REF.fullmatch(ref)
    if match is None:
        raise NotFound(_("No such product."))
    product = get_visible_product(session=session, product_id=int(match.group(1)))
    shows(request, cache_tags.product(product.id), cache_tags.group(product.group_id))
    canonical = views.product_url(product)
    if request.scope["path"] != canonical:
        query = request.scope.get("query_string", b"").decode("latin-1")
        return RedirectResponse(canonical + (f"?{query}" if query else ""), 301), None
    group = session.get(ProducerGroup, product.group_id)
    storage = storage_of(request)
    title, title_lang = localized(product.title, product.title_km)
    description, description_lang = localized(product.description,
                                                    product.description_km)
    story, story_lang = localized(group.story, group.story_km)
    settings = settings_of(request)
    certified = views.is_certified(product, utcnow())
    variants = variants_of(session=session, product_ids=[product.id])[product.id]
    context = {
        "product": product,
        "title": title,
        "title_lang": title_lang,
        "description": description,
        "description_lang": description_lang,
        "photos": [views.photo_view(storage, p)
                   for p in photos_of(session=session, product_id=product.id)],
        "sizes": views.PAGE_SIZES,
        "variants": variants,
        "variant_splits": {v.id: views.price_split(settings, v.price_cents) for v in variants},
        "price_khr": usd_to_khr(product.price_cents, settings.khr_per_usd),
        "split": views.price_split(settings, product.price_cents),
        "rates": views.split_rates(settings),
        "stock_state": views.stock_state(product),
        "made_to_order": product.stock_mode == StockMode.MADE_TO_ORDER,
        "sold_out": product.stock_mode == StockMode.STOCK
        and product.stock_on_hand <= product.stock_allocated,
        "certified": certified,
        "seal_number": certificates.numbers_for_products(
            session=session, product_ids=[product.id]).get(product.id) if certified else None,
        "story": story,
        "story_lang": story_lang,
        "group": group,
        "group_name": localized(group.name, group.name_km),
        "province": geo.province(group.province_code),
        "craft_label": views.CRAFT_LABELS.get(product.craft, product.craft),
        "methods": views.METHOD_LABELS,
        "details": views.details(product),
    }
    modified = max(product.updated_at, group.updated_at)
    return render(request, "catalog/product.html", context), modified


@router.get("/groups/{slug}")
def group_page(request: Request, slug: str) -> Response:
    return views.page(request, lambda req, session: _group(req, session, slug))


def _group(request: Request, session: Session, slug: str) -> tuple[Response, datetime | None]:
    group = get_public_group(session=session, slug=slug[:80])
    shows(request, cache_tags.CATALOG, cache_tags.group(group.id))
    page = views.page_number(request.query_params)
    query = CatalogQuery(group_id=group.id, page=page, limit=views.PER_PAGE)
    rows, total, _next = search(session=session, query=query)
    story, story_lang = localized(group.story, group.story_km)
    context = {
        "group": group,
        "place": geo.describe(group.village_code, group.province_code),
        "community": views.COMMUNITY_LABELS.get(group.community, group.community),
        "crafts": [views.CRAFT_LABELS.get(c, c) for c in group.crafts or []],
        "story": story,
        "story_lang": story_lang,
        "cards": views.cards(request, session, rows),
        "total": total,
        "pagination": views.pagination(f"/groups/{group.slug}", {}, page, total),
    }
    modified = max(group.updated_at, views.last_product_change(session, group.id) or
                   group.updated_at)
    return render(request, "catalog/group.html", context), modified


@router.get("/makers")
def makers(request: Request) -> Response:
    """Every verified producer group, by province, with its story, members, how many are
    women, and how many of its pieces carry the Seal now."""
    return views.page(request, _makers)


def _makers(request: Request, session: Session) -> tuple[Response, datetime | None]:
    craft = request.query_params.get("craft", "")
    craft = craft if craft in views.CRAFT_LABELS else ""
    groups = session.exec(select(ProducerGroup).where(
        ProducerGroup.status == GroupStatus.VERIFIED).order_by(ProducerGroup.name)).all()
    shows(request, cache_tags.CATALOG, *(cache_tags.group(g.id) for g in groups))
    if craft:
        groups = [g for g in groups if craft in (g.crafts or [])]
    counts = dict(session.exec(select(Product.group_id, func.count()).where(
        col(Product.visible).is_(True)).group_by(Product.group_id)).all())
    certified = dict(session.exec(select(Product.group_id, func.count()).where(
        col(Product.visible).is_(True), col(Product.certified_until) > utcnow())
        .group_by(Product.group_id)).all())
    by_province: dict[str, list] = {}
    for group in groups:
        story, story_lang = localized(group.story, group.story_km)
        by_province.setdefault(group.province_code, []).append({
            "group": group, "story": story, "story_lang": story_lang,
            "community": views.COMMUNITY_LABELS.get(group.community, group.community),
            "crafts": [views.CRAFT_LABELS.get(c, c) for c in group.crafts or []],
            "pieces": counts.get(group.id, 0), "certified": certified.get(group.id, 0)})
    provinces = [(place, by_province[place.code]) for place in views.producer_provinces()
                 if place.code in by_province]
    return render(request, "catalog/makers.html", {
        "provinces": provinces, "craft": craft,
        "craft_options": list(views.CRAFT_LABELS.items()),
        "women": sum(g.women_count for g in groups),
        "members": sum(g.members_count for g in groups)}), None
