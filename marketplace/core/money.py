"""Money as integer cents: shares and exact proportional splits (half-up rounding)."""

from decimal import ROUND_HALF_UP, Decimal


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
