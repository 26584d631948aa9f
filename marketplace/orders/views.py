"""The orders a browser may see: the signed tokens its session keeps (the orders it placed or
opened by their link), for the order and pay pages and the checkout."""

from fastapi import Request
from sqlmodel import Session

from marketplace.config import Settings
from marketplace.core.deps import settings_of
from marketplace.models import Order, User
from marketplace.orders.service import access
from marketplace.orders.service.access import number_of

SESSION_KEY = "orders"  # request.session: tokens of the orders this browser placed or opened
REMEMBERED = 10


def tokens_of(request: Request) -> list[str]:
    """The tokens this request holds: the link it came by, and those its session keeps."""
    kept = request.session.get(SESSION_KEY, []) if "session" in request.scope else []
    link = request.query_params.get(access.QUERY)
    return [*([link] if link else []), *(t for t in kept if isinstance(t, str))]


def remember(request: Request, settings: Settings, order: Order) -> None:
    """Let this browser see the order's pages from now on (the newest few are kept)."""
    token = access.token_for(settings, order)
    kept = [t for t in request.session.get(SESSION_KEY, [])
            if isinstance(t, str) and number_of(settings, t) not in (None, order.number)]
    request.session[SESSION_KEY] = [token, *kept][:REMEMBERED]


def order_for_page(request: Request, session: Session, user: User | None,
                   number: str) -> Order:
    """The order for a page of this request (remembering it when it came by its link)."""
    settings = settings_of(request)
    order = access.visible_order(session=session, settings=settings, number=number, user=user,
                                 tokens=tokens_of(request))
    if request.query_params.get(access.QUERY) and order.user_id is None:
        remember(request, settings, order)
    return order
