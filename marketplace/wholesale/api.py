"""JSON API for wholesale terms (producer groups) and the wholesale catalog (verified
businesses). Retail callers get 404 from every read here."""

from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from marketplace import access
from marketplace.auth.deps import CurrentUser
from marketplace.catalog.service import editable_product
from marketplace.core.openapi import problems
from marketplace.core.pagination import Cursor, Limit, Page, next_offset, offset_of
from marketplace.db import SessionDep
from marketplace.models import Craft
from marketplace.wholesale import terms
from marketplace.wholesale.schemas import (
    GroupMinimumsIn,
    OfferIn,
    OfferPublic,
    WholesaleProduct,
)
from marketplace.wholesale.serialize import offer_public, wholesale_rows

router = APIRouter(tags=["wholesale"])


@router.put(
    "/products/{product_id}/wholesale",
    summary="Offer a product wholesale (group members)",
    description=(
        "Sets the minimum quantity, the case pack (sold in multiples of it) and up to five "
        "quantity tiers of unit prices, replacing earlier terms. The first tier starts at the "
        "minimum quantity, each next one at a larger quantity and no dearer; no tier above "
        "the retail price; the minimum is whole cases."
    ),
    responses=problems(401, 403, 404, 422),
)
def set_offer(product_id: int, data: OfferIn, session: SessionDep,
              user: CurrentUser) -> OfferPublic:
    product = editable_product(session=session, actor=user, product_id=product_id)
    offer = terms.set_offer(session=session, actor=user, product=product, data=data)
    session.flush()
    return offer_public(product, offer, terms.tiers_of(session, [offer.id])[offer.id])


@router.delete(
    "/products/{product_id}/wholesale",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Stop offering a product wholesale (group members)",
    responses=problems(401, 403, 404),
)
def remove_offer(product_id: int, session: SessionDep, user: CurrentUser) -> Response:
    product = editable_product(session=session, actor=user, product_id=product_id)
    terms.remove_offer(session=session, actor=user, product=product)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get(
    "/products/{product_id}/wholesale",
    summary="A product's wholesale terms",
    description=("For the group's members and members of a verified business; 404 for "
                 "everybody else and for a product not offered wholesale."),
    responses=problems(401, 404, 422),
)
def get_offer(product_id: int, session: SessionDep, user: CurrentUser) -> OfferPublic:
    return offer_public(*terms.readable_offer(session=session, actor=user,
                                              product_id=product_id))


@router.put(
    "/producer-groups/{group_id}/wholesale-minimums",
    summary="Minimum wholesale order values (group leader)",
    description=("In cents, for a business's first order from the group and for reorders; "
                 "and the percentage of a made-to-order part due as a deposit by card."),
    responses=problems(401, 403, 404, 422),
)
def set_minimums(group_id: int, data: GroupMinimumsIn, session: SessionDep,
                 user: CurrentUser) -> GroupMinimumsIn:
    group = access.get_group(session=session, group_id=group_id)
    saved = terms.set_minimums(session=session, actor=user, group=group, data=data)
    return GroupMinimumsIn(first_order_min_cents=saved.first_order_min_cents,
                           reorder_min_cents=saved.reorder_min_cents,
                           deposit_percent=saved.deposit_percent)


@router.get(
    "/wholesale/products",
    summary="The wholesale catalog (verified businesses)",
    description=(
        "Visible products offered wholesale with their tiers, minimum quantity, case pack, "
        "what is in stock, the lead time for the minimum quantity, and the group's minimum "
        "order values. 404 for anyone who is not a member of a verified business."
    ),
    responses=problems(401, 404, 422),
)
def wholesale_catalog(
    session: SessionDep, user: CurrentUser, craft: Craft | None = None,
    group_id: Annotated[int | None, Query(ge=1)] = None, limit: Limit = 24,
    cursor: Cursor = None,
) -> Page[WholesaleProduct]:
    offset = offset_of(cursor) if cursor else 0
    rows, total = terms.catalog(session=session, actor=user, craft=craft, group_id=group_id,
                                limit=limit, offset=offset)
    return Page[WholesaleProduct](data=wholesale_rows(session, rows), count=total,
                                  next=next_offset(offset, len(rows), total))
