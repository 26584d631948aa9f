"""The transparent split of every line: what the group receives, the marketplace commission,
and the card fee (paid out of the commission). Integer cents, half-up rounding."""

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from marketplace.core.money import proportional, share

__all__ = ["LineSplit", "PieceSplit", "card_fee", "piece_split", "proportional", "refund_split",
           "share", "small_order_fee", "split_lines"]


@dataclass(frozen=True)
class LineSplit:
    line_total_cents: int
    commission_cents: int
    card_fee_cents: int
    producer_cents: int


def card_fee(total_cents: int, basis_points: int, fixed_cents: int) -> int:
    return share(total_cents, basis_points) + fixed_cents if total_cents > 0 else 0


def small_order_fee(charged_cents: int, commission_cents: int, *, basis_points: int,
                    fixed_cents: int) -> int:
    """The small-order fee: the least ``s`` >= 0 for which the commission plus ``s`` covers
    the card fee on everything charged (``charged_cents`` + ``s``).

    The rule: the card fee is paid out of the marketplace's commission. When an order is so
    small that the fee on what is charged (goods plus shipping) would exceed the commission,
    the buyer pays the difference as a small-order fee, shown as its own line. The group's
    share is never touched and the marketplace never pays to sell.
    """
    if charged_cents <= 0:
        return 0
    shortfall = card_fee(charged_cents, basis_points, fixed_cents) - commission_cents
    if shortfall <= 0:
        return 0
    # The fee grows by basis_points/10,000 of each cent added: start just below the answer.
    fee = max(0, int(shortfall * 10_000 / (10_000 - basis_points)) - 1)
    while card_fee(charged_cents + fee, basis_points, fixed_cents) > commission_cents + fee:
        fee += 1
    return fee


@dataclass(frozen=True)
class PieceSplit:
    """Where a piece's price goes when it is bought on its own by card (shipping aside)."""
    price_cents: int
    producer_cents: int
    commission_cents: int
    card_fee_cents: int  # paid out of the commission (plus any small-order fee)
    small_order_fee_cents: int  # paid by the buyer on top when the fee exceeds the commission


def piece_split(price_cents: int, *, commission_bp: int, fee_bp: int,
                fee_fixed_cents: int) -> PieceSplit:
    """The product page's split of one piece's price (shipping would add to the card fee)."""
    commission = share(price_cents, commission_bp)
    small = small_order_fee(price_cents, commission, basis_points=fee_bp,
                            fixed_cents=fee_fixed_cents)
    fee = card_fee(price_cents + small, fee_bp, fee_fixed_cents)
    return PieceSplit(price_cents, price_cents - commission, commission, fee, small)


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
