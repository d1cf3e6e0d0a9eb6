"""Reference model of the margin maths (docs/architecture.md §1, §7), mirrored by
`contracts/modules/margin_math.vy`.

One series' portfolio: futures net quantity `n` (signed lots), cost `C = Σ q·P` (signed raw
token units), option legs `(kind, strike, signed qty)` with kind 1 = CALL, 2 = PUT. Prices,
strikes and bounds are raw token units per lot and quantities whole lots, so there is no
division anywhere:

    Loss(S) = C − n·S − Σ_calls q·max(S − K, 0) − Σ_puts q·max(K − S, 0)

The requirement over a range `[lo, hi]` is `max(0, max Loss)`; the maximum of a piecewise
linear function is at `lo`, `hi` or a kink (a strike strictly inside).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from rangebound.constants import CALL, FUTURE, PUT

Option = tuple[int, int, int]  # (kind, strike, signed qty)


def payoff(kind: int, strike: int, s: int) -> int:
    """Payoff per lot of a long option at settlement price `s` (raw units per lot)."""
    if kind == CALL:
        return max(s - strike, 0)
    if kind == PUT:
        return max(strike - s, 0)
    raise ValueError(f"unknown option kind {kind}")


def loss(s: int, n: int, cost: int, options: Iterable[Option]) -> int:
    """Loss of the portfolio if the series settles at `s` (raw units; negative = gain)."""
    return cost - n * s - sum(q * payoff(kind, k, s) for kind, k, q in options)


def pnl(s: int, n: int, cost: int, options: Iterable[Option]) -> int:
    """Settled P&L `n·S − C + Σ option payoffs` (what a claim credits): `-loss`."""
    return -loss(s, n, cost, options)


def candidate_prices(options: Sequence[Option], lo: int, hi: int) -> list[int]:
    """The points where Loss can peak on [lo, hi]: the bounds and every strike inside."""
    inside = {k for _, k, _ in options if lo < k < hi}
    return sorted({lo, hi} | inside)


def max_loss(n: int, cost: int, options: Sequence[Option], lo: int, hi: int) -> int:
    """Maximum of Loss over [lo, hi] (raw units, may be negative)."""
    if lo > hi:
        raise ValueError("bad bounds")
    return max(loss(s, n, cost, options) for s in candidate_prices(options, lo, hi))


def requirement(n: int, cost: int, options: list[tuple[int, int, int]], lo: int, hi: int) -> int:
    """Collateral one series' portfolio needs over the range [lo, hi]: max(0, max Loss)."""
    return max(0, max_loss(n, cost, options, lo, hi))


def standalone(kind: int, strike: int, is_buy: bool, price: int, lo: int, hi: int) -> int:
    """Stand-alone worst case per lot of one order (docs/architecture.md §1), raw units.

    Buy future `P − L`, sell future `U − P`, buy option: the premium, sell call
    `max(U − K, 0)`, sell put `max(K − L, 0)`.
    """
    if kind == FUTURE:
        return price - lo if is_buy else hi - price
    if is_buy:
        return price
    if kind == CALL:
        return max(hi - strike, 0)
    return max(strike - lo, 0)


def fee(notional: int, bps: int) -> int:
    """Fee on `notional` at `bps`, rounded up (against the user)."""
    return -(-notional * bps // 10_000)


def reserve(
    kind: int, strike: int, is_buy: bool, price: int, qty: int, lo: int, hi: int, maker_bps: int
) -> int:
    """What the Clearinghouse reserves for a resting order: qty × (worst case per lot + the
    maker fee per lot rounded up), so a proportional release is exact and covers every
    partial fill's fee."""
    return qty * (standalone(kind, strike, is_buy, price, lo, hi) + fee(price, maker_bps))
