"""Who may see an order: the one rule for every page, API and payment.

An order is shown to the account that placed it, to staff (admins), and to whoever holds its
signed link: a token signed for this purpose and this one order number, valid until
``order_link_days`` after the order was placed. Order numbers are guessable, so a number alone opens nothing. Guests get
the token where they need it: in the emails of their order (``/orders/<number>?token=``), in
the browser session that placed it (``orders.views.remember``), and in the API answer that placed it
(``access_token``, sent back as ``X-Order-Token``). Anyone else gets the same 404 as for a
number that does not exist.
"""

from collections.abc import Iterable
from datetime import timedelta
from urllib.parse import quote

from sqlmodel import Session

from marketplace.auth.service.roles import has_role
from marketplace.config import Settings
from marketplace.core.security import TokenInvalid, sign_fixed, unsign_fixed
from marketplace.errors import NotFound
from marketplace.i18n import gettext as _
from marketplace.models import Order, Role, User, utcnow
from marketplace.orders.service import get_by_number

PURPOSE = "order-link"
QUERY = "token"  # the query parameter of the emails' link


def token_for(settings: Settings, order: Order) -> str:
    """The token that opens ``order`` until ``order_link_days`` after it was placed (always
    the same for one order, so a replayed request answers with the same token)."""
    until = order.created_at + timedelta(days=settings.order_link_days)
    return sign_fixed(settings.secret_key, PURPOSE,
                      {"number": order.number, "until": int(until.timestamp())})


def order_url(settings: Settings, order: Order) -> str:
    """The order page's address for an email: signed for an order placed without an account
    (its owner signs in instead)."""
    url = f"{settings.base_url}/orders/{quote(order.number)}"
    if order.user_id is None:
        url += f"?{QUERY}={token_for(settings, order)}"
    return url


def number_of(settings: Settings, token: str | None) -> str | None:
    if not isinstance(token, str) or not token or len(token) > 500:
        return None
    try:
        payload = unsign_fixed(settings.secret_key, PURPOSE, token)
    except TokenInvalid:
        return None
    if not isinstance(payload, dict) or not isinstance(payload.get("until"), int) or \
            payload["until"] < utcnow().timestamp():
        return None
    number = payload.get("number")
    return number if isinstance(number, str) else None


def may_see(*, session: Session, settings: Settings, order: Order, user: User | None,
            tokens: Iterable[str] = ()) -> bool:
    """The rule: the placing account, staff, or the holder of the order's signed link."""
    if user is not None and (order.user_id == user.id or
                             has_role(session=session, user=user, role=Role.ADMIN)):
        return True
    return any(number_of(settings, token) == order.number for token in tokens)


def visible_order(*, session: Session, settings: Settings, number: str, user: User | None,
                  tokens: Iterable[str] = ()) -> Order:
    """The order ``number`` if ``may_see`` allows it; NotFound otherwise."""
    try:
        order = get_by_number(session=session, number=(number or "")[:24])
    except NotFound:
        order = None
    if order is None or not may_see(session=session, settings=settings, order=order,
                                    user=user, tokens=tokens):
        raise NotFound(_("No such order."))
    return order
