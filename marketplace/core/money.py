"""Money as integer cents: shares and exact proportional splits (half-up rounding), and
dollars as people type them in forms, to cents and back."""

import re
from decimal import ROUND_HALF_UP, Decimal

MAX_CENTS = 100_000_000  # $1,000,000: no price, filter or refund here comes near it
# "12", "12.5", "12.50", "12.", ".5", "$12", "$ 1,200.50", with digits of any script (Khmer
# too); commas only between groups of three. A minus before or after "$" is recognised so
# that it can be refused as negative rather than as malformed.
DOLLARS = re.compile(r"(?P<minus>-?)\s*\$?\s*(?P<minus_after>-?)\s*"
                     r"(?P<whole>\d{1,3}(?:,\d{3})+|\d*)(?:\.(?P<fraction>\d*))?")


class NotAnAmount(ValueError):
    """Typed text that is not an amount of dollars. ``reason`` is one of ``FORMAT``,
    ``NEGATIVE``, ``PRECISION`` (more than two digits after the point) or ``TOO_LARGE``,
    for callers that word each one."""

    FORMAT, NEGATIVE, PRECISION, TOO_LARGE = "format", "negative", "precision", "too_large"

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


def parse_dollars(text: object, *, maximum_cents: int = MAX_CENTS) -> int:
    """Exact cents for dollars as typed ("12", "12.50", "$12", "1,200.50"); NotAnAmount for
    anything else: empty, malformed, NaN or infinity, negative, more than two digits after
    the point, or above ``maximum_cents``."""
    found = DOLLARS.fullmatch(text.strip()) if isinstance(text, str) else None
    if found is None or not (found["whole"] or found["fraction"]):
        raise NotAnAmount(NotAnAmount.FORMAT)
    if found["minus"] and found["minus_after"]:
        raise NotAnAmount(NotAnAmount.FORMAT)
    if found["minus"] or found["minus_after"]:
        raise NotAnAmount(NotAnAmount.NEGATIVE)
    fraction = found["fraction"] or ""
    if len(fraction) > 2:
        raise NotAnAmount(NotAnAmount.PRECISION)
    whole = found["whole"].replace(",", "").lstrip("0")
    cents = Decimal(f"{whole[:16] or '0'}.{fraction or '0'}") * 100  # exact: 18 digits
    if len(whole) > 16 or cents > maximum_cents:
        raise NotAnAmount(NotAnAmount.TOO_LARGE)
    return int(cents)


def plain_dollars(cents: int | None) -> str:
    """Cents as the plain dollars a form field shows: 1250 -> "12.50", None -> ""."""
    if cents is None:
        return ""
    sign = "-" if cents < 0 else ""
    return f"{sign}{abs(cents) // 100}.{abs(cents) % 100:02d}"


def share(amount_cents: int, basis_points: int) -> int:
    """``amount`` x ``basis_points`` / 10,000, rounded half up to the cent."""
    value = Decimal(amount_cents) * basis_points / 10_000
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def proportional(total: int, weights: list[int]) -> list[int]:
    """Split ``total`` in proportion to ``weights`` exactly (largest remainder)."""
    whole = sum(weights)
    if whole <= 0:
        return [0] * len(weights)
    raw = [Decimal(total) * w / whole for w in weights]
    parts = [int(r) for r in raw]
    leftover = total - sum(parts)
    order = sorted(range(len(weights)), key=lambda i: (raw[i] - parts[i], weights[i]),
                   reverse=True)
    for i in order[:leftover]:
        parts[i] += 1
    return parts
