"""The cart named by a token in the URL, as a dependency of the cart and checkout APIs."""

from typing import Annotated

from fastapi import Depends, Path

from marketplace.auth.deps import OptionalUser
from marketplace.cart import service
from marketplace.db import SessionDep
from marketplace.errors import NotFound
from marketplace.i18n import gettext as _
from marketplace.models import Cart

TokenPath = Annotated[str, Path(min_length=1, max_length=64, description="The cart's token")]


def load_cart(token: TokenPath, session: SessionDep, user: OptionalUser) -> Cart:
    """The cart with this token (404 when there is none; 403 when another account's)."""
    cart = service.by_token(session=session, token=token, user=user)
    if cart is None:
        raise NotFound(_("No such cart."))
    return cart


TokenCart = Annotated[Cart, Depends(load_cart)]
