"""Idempotency keys as Stripe means them: a key names one request. Sent again with the same
request it answers with the order that request placed; sent with another request (another
cart, address or shipping option) it is refused, never answered with the earlier order.

What was asked is remembered on the order as a fingerprint: the SHA-256 of a canonical JSON
form of the cart, the address (with the shipping option) and the total the buyer saw. The
JSON API and the HTML checkout both place orders through ``service.place_order``, so both
compare the same way.
"""

import hashlib
import json
from dataclasses import asdict
from typing import TYPE_CHECKING

from marketplace.errors import ValidationFailed
from marketplace.i18n import gettext as _
from marketplace.models import Cart

if TYPE_CHECKING:
    from marketplace.checkout.service.address import Address

HEADER = "Idempotency-Key"


class IdempotencyKeyReused(ValidationFailed):
    """The key was already used for another request (422, naming the key)."""

    slug = "idempotency-key-reused"

    def __init__(self, key: str) -> None:
        message = _("Keys for idempotent requests can only be used with the same request "
                    "they were first used with: the Idempotency-Key “%(key)s” already "
                    "placed an order with another cart, address or shipping option. Send a "
                    "new key to place a new order.", key=key)
        super().__init__({HEADER: message}, detail=message)


def fingerprint(*, cart: Cart, address: "Address", expected_total_cents: int | None) -> str:
    """SHA-256 (hex) of what was asked: the same request always gives the same value."""
    described = asdict(address)
    if not described.get("landmark"):  # keys sent before the landmark existed still match
        described.pop("landmark", None)
    asked = {"cart": cart.id, "address": described,
             "expected_total_cents": expected_total_cents}
    canonical = json.dumps(asked, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def check(order, *, key: str, expected: str) -> None:
    """Raise IdempotencyKeyReused when ``order`` (placed with ``key``) was asked otherwise.

    Orders placed before fingerprints were stored have none and keep answering."""
    stored = order.idempotency_fingerprint
    if stored is not None and stored != expected:
        raise IdempotencyKeyReused(key)
