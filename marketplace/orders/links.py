"""Signed, expiring links to an order, for the emails of orders placed without an account.

Order numbers are guessable, so a number alone opens an order only for its account or for
the browser that placed it. The emails of a guest's order carry ``/orders/<number>?token=``
with a token signed for this one purpose and this one number, valid ``order_link_days``:
opening it shows the order in any browser (which then remembers the order, so its pay page
opens too). A tampered, expired or other order's token is simply not accepted.
"""

from urllib.parse import quote

from marketplace.config import Settings
from marketplace.core.security import TokenExpired, TokenInvalid, sign, unsign
from marketplace.models import Order

PURPOSE = "order-link"
QUERY = "token"


def token_for(settings: Settings, order: Order) -> str:
    """A token that opens ``order`` for ``order_link_days``."""
    return sign(settings.secret_key, PURPOSE, {"number": order.number})


def order_url(settings: Settings, order: Order) -> str:
    """The order page's address for an email: signed for an order placed without an account
    (its owner signs in instead)."""
    url = f"{settings.base_url}/orders/{quote(order.number)}"
    if order.user_id is None:
        url += f"?{QUERY}={token_for(settings, order)}"
    return url


def opens(settings: Settings, token: str | None, number: str) -> bool:
    """True when ``token`` is a valid, unexpired link to the order ``number``."""
    if not token or len(token) > 500:
        return False
    try:
        payload = unsign(settings.secret_key, PURPOSE, token,
                         max_age=settings.order_link_days * 24 * 3600)
    except (TokenExpired, TokenInvalid):
        return False
    return isinstance(payload, dict) and payload.get("number") == number
