"""JSON API for quotes: a business asks, the group answers or declines, the business
accepts (exactly one purchase order, however often it is accepted)."""

from fastapi import APIRouter, status

from marketplace.auth.deps import CurrentUser
from marketplace.core.deps import SettingsDep
from marketplace.core.openapi import problems
from marketplace.db import SessionDep
from marketplace.models import PaymentMethod, Quote
from marketplace.wholesale import quotes
from marketplace.wholesale.schemas import (
    DeclineIn,
    PurchaseOrderPublic,
    QuoteAcceptIn,
    QuoteAnswerIn,
    QuoteIn,
    QuotePublic,
)
from marketplace.wholesale.serialize import purchase_order_public

router = APIRouter(tags=["quotes"])


def _public(quote: Quote) -> QuotePublic:
    return QuotePublic.model_validate(quote, from_attributes=True)


@router.post(
    "/quotes",
    status_code=status.HTTP_201_CREATED,
    summary="Ask a group for a quote (verified businesses)",
    description="For a custom or large made-to-order quantity of one of its pieces; the "
                "group's leader is emailed.",
    responses=problems(401, 403, 404, 422),
)
def ask(data: QuoteIn, session: SessionDep, settings: SettingsDep,
        user: CurrentUser) -> QuotePublic:
    return _public(quotes.ask(session=session, settings=settings, actor=user,
                              product_id=data.product_id, quantity=data.quantity,
                              request=data.request))


@router.get(
    "/quotes",
    summary="Your business's quotes, or a group's (`group_id`, its members)",
    responses=problems(401, 403, 422),
)
def list_quotes(session: SessionDep, user: CurrentUser,
                group_id: int | None = None) -> list[QuotePublic]:
    return [_public(q) for q in quotes.list_quotes(session=session, actor=user,
                                                    group_id=group_id)]


@router.post(
    "/quotes/{quote_id}/answer",
    summary="Answer a quote with a price and lead time (group members)",
    responses=problems(401, 404, 409, 422),
)
def answer(quote_id: int, data: QuoteAnswerIn, session: SessionDep, settings: SettingsDep,
           user: CurrentUser) -> QuotePublic:
    quote = quotes.for_group(session=session, actor=user, quote_id=quote_id)
    return _public(quotes.answer(session=session, settings=settings, actor=user, quote=quote,
                                 unit_price_cents=data.unit_price_cents,
                                 lead_time_days=data.lead_time_days, note=data.note))


@router.post(
    "/quotes/{quote_id}/decline",
    summary="Decline a quote request (group members)",
    responses=problems(401, 404, 409, 422),
)
def decline(quote_id: int, data: DeclineIn, session: SessionDep, settings: SettingsDep,
            user: CurrentUser) -> QuotePublic:
    quote = quotes.for_group(session=session, actor=user, quote_id=quote_id)
    return _public(quotes.decline(session=session, settings=settings, actor=user, quote=quote,
                                  note=data.note))


@router.post(
    "/quotes/{quote_id}/accept",
    status_code=status.HTTP_201_CREATED,
    summary="Accept a group's quote (the business)",
    description=("Makes one purchase order, already accepted by the group (on invoice terms "
                 "it is invoiced at once, within the credit limit). Accepting again, even "
                 "at the same moment, is 409 and makes nothing."),
    responses=problems(401, 403, 404, 409, 422),
)
def accept(quote_id: int, data: QuoteAcceptIn, session: SessionDep, settings: SettingsDep,
           user: CurrentUser) -> PurchaseOrderPublic:
    quote = quotes.for_business(session=session, actor=user, quote_id=quote_id)
    order = quotes.accept(session=session, settings=settings, actor=user, quote=quote,
                          payment_method=PaymentMethod(data.payment_method),
                          reference=data.reference)
    return purchase_order_public(session, order)
