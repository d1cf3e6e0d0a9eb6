# pragma version ~=0.4.3
"""
@title Rangebound margin maths
@notice Pure requirement computation for one series' portfolio (docs/architecture.md §1, §7).
        A portfolio is a futures net quantity `n` (signed lots), its cost `C = Σ q·P`
        (signed raw token units) and up to MAX_LEGS option legs `(kind, strike, signed qty)`.
        If the series settles at `S` the portfolio loses
            Loss(S) = C − n·S − Σ_calls q·max(S − K, 0) − Σ_puts q·max(K − S, 0)
        (premiums were paid at the fill, so they are not part of it). Loss is piecewise
        linear in S with kinks at the strikes, so its maximum over [L, U] is at L, U or a
        strike inside (L, U). The requirement is max(0, that maximum): callers clamp
        `_max_loss` themselves (`convert(max(_max_loss(...), 0), uint256)`). A wrapper
        function would copy the legs (3 KB) into a frame of its own under every caller's,
        and the memory above it costs each call: −676 a take, −1,165 a pool trade without it
        (round 13, docs/decisions.md); the clamp written out saves ~60 more than a helper
        taking the max loss.
        Python mirror: `rangebound/models/margin.py` (`loss`, `requirement`).
@custom:security Pure functions, no state. Units: prices, strikes, bounds and costs are raw
        settlement-token units per lot and quantities are whole lots, so every product is an
        exact amount: there is no division anywhere (nothing to round). `_max_loss` (every
        margin check) checks magnitudes once and then sums unchecked: bounds and strikes below
        2**128, |qty| and |n| below 2**64 (a position cap is below 2**48), |cost| below 2**192
        (the Clearinghouse keeps it below 2**127), else "clearinghouse: bad bounds" / "bad
        quantity"; the bound of every sum is in its docstring. `_loss` keeps checked
        arithmetic (claims and views only).
"""

from contracts.modules import constants as c

PACK_LIMIT: constant(uint256) = 2**128      # strikes and bounds above this are rejected
QTY_OFFSET: constant(int256) = 2**127       # offset of a packed quantity
MAG_LIMIT: constant(int256) = 2**64         # |qty| and |n| must stay below this (`_max_loss`)
COST_BOUND: constant(int256) = 2**192       # |cost| must stay below this (`_max_loss`)


struct Leg:
    kind: uint8       # CALL (1) or PUT (2)
    strike: uint256   # raw token units per lot
    qty: int256       # lots, > 0 long, < 0 short


@internal
@pure
def _payoff(kind: uint8, strike: uint256, s: uint256) -> int256:
    """
    @notice Payoff per lot of a long option at settlement price `s` (raw units per lot).
    """
    if kind == c.CALL:
        if s > strike:
            return convert(s - strike, int256)
        return 0
    if strike > s:
        return convert(strike - s, int256)
    return 0


@internal
@pure
def _loss(n: int256, cost: int256, legs: DynArray[Leg, c.MAX_LEGS], s: uint256) -> int256:
    """
    @notice Loss(s) of the portfolio in raw token units (negative = gain). O(legs).
    """
    value: int256 = cost - n * convert(s, int256)
    for leg: Leg in legs:
        value -= leg.qty * self._payoff(leg.kind, leg.strike, s)
    return value


@internal
@pure
def _max_loss(n: int256, cost: int256, legs: DynArray[Leg, c.MAX_LEGS], lower: uint256, upper: uint256) -> int256:
    """
    @notice max of Loss(S) over S in [lower, upper] (raw units, may be negative). O(legs)
            apart from sorting the strikes inside the range.
            One pass over the legs gives Loss(lower), the slope of Loss just right of
            `lower`, and the strikes strictly inside (lower, upper), insertion-sorted as
            packed words (strike << 128 | qty + 2**127; one memory read and write per step).
            A sweep then walks those strikes upwards adding slope × distance; crossing a
            strike K (call or put alike) changes the slope by −q. Loss(upper) closes it.
            Legs given in ascending strike order (the Clearinghouse stores them so) make
            the sort linear; any order gives the same result.
            Magnitudes are checked once, up front (bounds and strikes below 2**128, every
            |qty| and |n| below 2**64, |cost| below 2**192), so the sums need no check:
            each term is below 2**192 (a quantity times a price distance), the slope below
            33 * 2**64 < 2**70, and 34 terms or 33 slope steps stay below 2**205 < 2**255.
    """
    assert lower <= upper and upper < PACK_LIMIT, "clearinghouse: bad bounds"
    assert n > -MAG_LIMIT and n < MAG_LIMIT and cost > -COST_BOUND and cost < COST_BOUND, "clearinghouse: bad quantity"
    lo: int256 = convert(lower, int256)
    value: int256 = unsafe_sub(cost, unsafe_mul(n, lo))   # Loss(lower), legs added below
    slope: int256 = -n                                    # dLoss/dS just right of lower
    inside: uint256[c.MAX_LEGS] = empty(uint256[c.MAX_LEGS])
    count: uint256 = 0
    for leg: Leg in legs:
        q: int256 = leg.qty
        # a leg beyond the bounds the unchecked sums rely on (a strike at 2**128 or more, which
        # the Clearinghouse never stores, counts as one)
        assert q > -MAG_LIMIT and q < MAG_LIMIT and leg.strike < PACK_LIMIT, "clearinghouse: bad quantity"
        k: int256 = convert(leg.strike, int256)     # below 2**128: cannot fail
        if leg.kind == c.CALL:
            if leg.strike <= lower:
                # in the money on the whole range: payoff S − K
                value = unsafe_sub(value, unsafe_mul(q, unsafe_sub(lo, k)))
                slope = unsafe_sub(slope, q)
                continue
            if leg.strike >= upper:
                continue                    # never in the money
        else:
            if leg.strike <= lower:
                continue                    # never in the money
            # payoff K − S at lower; slope +q left of K
            value = unsafe_sub(value, unsafe_mul(q, unsafe_sub(k, lo)))
            slope = unsafe_add(slope, q)
            if leg.strike >= upper:
                continue
        # lower < k < upper: a kink; insert it in ascending order (q + 2**127 > 0: |q| < 2**64)
        key: uint256 = (leg.strike << 128) | convert(unsafe_add(q, QTY_OFFSET), uint256)
        j: uint256 = count
        for _: uint256 in range(c.MAX_LEGS):
            if j == 0:
                break
            prev: uint256 = inside[unsafe_sub(j, 1)]
            if prev <= key:
                break
            inside[j] = prev
            j = unsafe_sub(j, 1)
        inside[j] = key
        count = unsafe_add(count, 1)
    best: int256 = value
    at: int256 = lo
    for i: uint256 in range(count, bound=c.MAX_LEGS):
        key: uint256 = inside[i]
        k: int256 = convert(key >> 128, int256)
        value = unsafe_add(value, unsafe_mul(slope, unsafe_sub(k, at)))
        at = k
        best = max(best, value)
        # the packed quantity is q + 2**127 with |q| < 2**64
        slope = unsafe_sub(slope, unsafe_sub(convert(key & (PACK_LIMIT - 1), int256), QTY_OFFSET))
    value = unsafe_add(value, unsafe_mul(slope, unsafe_sub(convert(upper, int256), at)))
    return max(best, value)


@internal
@pure
def _increases(old: int256, new: int256) -> bool:
    """
    @notice True when the signed quantity `new` adds exposure to `old`: a larger size or a
            flipped sign (what reduce-only mode forbids).
    """
    if old >= 0 and new >= 0:
        return new > old
    if old <= 0 and new <= 0:
        return new < old
    return True
