"""The transparent split of every line: what the group receives, the marketplace commission,
and the card fee (paid out of the commission). Integer cents, half-up rounding."""

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from marketplace.core.money import proportional, share

__all__ = ["LineSplit", "card_fee", "proportional", "refund_split", "share", "split_lines"]


@dataclass(frozen=True)
class LineSplit:
    line_total_cents: int
    commission_cents: int
    card_fee_cents: int
    producer_cents: int


def card_fee(total_cents: int, basis_points: int, fixed_cents: int) -> int:
    return share(total_cents, basis_points) + fixed_cents if total_cents > 0 else 0


def split_lines(line_totals: list[int], *, commission_bp: int, fee_total: int) -> list[LineSplit]:
    """Commission per line; the card fee spread over the lines (it comes out of commission)."""
    fees = proportional(fee_total, line_totals)
    result = []
    for total, fee in zip(line_totals, fees, strict=True):
        commission = share(total, commission_bp)
        result.append(LineSplit(total, commission, fee, total - commission))
    return result


def refund_split(refund_cents: int, line_total: int, line_commission: int,
                 refunded_before: int = 0) -> tuple[int, int]:
    """(producer part, commission part) of a refund on one line.

    Rounded cumulatively: the commission taken back after all refunds so far is
    ``commission x refunded / line total``, so however a line is refunded in pieces, a full
    refund returns exactly the line's commission and the group keeps nothing of it.
    """
    if line_total <= 0:
        return 0, 0

    def taken_back(refunded: int) -> int:
        return int((Decimal(line_commission) * refunded / line_total)
                   .quantize(Decimal(1), rounding=ROUND_HALF_UP))

    commission = taken_back(refunded_before + refund_cents) - taken_back(refunded_before)
    return refund_cents - commission, commission
