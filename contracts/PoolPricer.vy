# pragma version ~=0.4.3
"""
@title PoolPricer
@notice Stateless pricing engine of the options pools (docs/architecture.md §15), split out of
        OptionsPool to keep every deployable under EIP-170 (split by role: maths here, money
        and rules in the pool). Student-t (nu = 4) model prices and deltas (`student_t`) and
        the margin requirement of a series portfolio before and after a trade
        (`margin_math`). One instance serves every pool.
@custom:security Pure functions only: no state, no funds, no external calls. Loops bounded by
        MAX_LEGS.
"""

from contracts.modules import constants as c
from contracts.modules import margin_math
from contracts.modules import student_t


@external
@pure
def scale(forward: uint256, w: uint256, v: uint256, tau: uint256) -> uint256:
    """
    @notice s = F sqrt(w v tau_days / 2), raw units per lot, rounded DOWN (tau in seconds).
    """
    return student_t._scale(forward, w, v, tau)


@external
@pure
def price(kind: uint8, strike: uint256, forward: uint256, s: uint256, lo: uint256, hi: uint256) -> uint256:
    """
    @notice Model value per lot (raw units) of CALL/PUT (FUTURE: E[S]); see `student_t._price`.
    """
    return student_t._price(kind, strike, forward, s, lo, hi)


@external
@pure
def series_value(n: int256, cost: int256, legs: DynArray[margin_math.Leg, c.MAX_LEGS], forward: uint256, s: uint256, lo: uint256, hi: uint256) -> int256:
    """
    @notice Model value of a series portfolio (raw units, signed): n E[S] - C + Σ q × price.
    """
    e: student_t.Ends = student_t._ends(forward, s, lo, hi)
    value: int256 = -cost
    if n != 0:
        value += n * convert(student_t._price_at(c.FUTURE, 0, e), int256)
    for leg: margin_math.Leg in legs:
        value += leg.qty * convert(student_t._price_at(leg.kind, leg.strike, e), int256)
    return value


@external
@pure
def series_delta(n: int256, legs: DynArray[margin_math.Leg, c.MAX_LEGS], forward: uint256, s: uint256, lo: uint256, hi: uint256) -> int256:
    """
    @notice Delta of a series portfolio, WAD lots: n dE[S]/dF + Σ q × delta.
    """
    e: student_t.Ends = student_t._ends(forward, s, lo, hi)
    d: int256 = 0
    if n != 0:
        d = n * student_t._delta_at(c.FUTURE, 0, e)
    for leg: margin_math.Leg in legs:
        d += leg.qty * student_t._delta_at(leg.kind, leg.strike, e)
    return d


@external
@pure
def requirements(n: int256, cost: int256, legs: DynArray[margin_math.Leg, c.MAX_LEGS], kind: uint8, strike: uint256, dq: int256, lo: uint256, hi: uint256) -> (uint256, uint256):
    """
    @notice Requirement of a series portfolio over [lo, hi] before and after adding `dq` lots
            of (kind, strike) (raw units). Reverts "pool: too many legs" past MAX_LEGS.
    """
    before: uint256 = margin_math._requirement(n, cost, legs, lo, hi)
    out: DynArray[margin_math.Leg, c.MAX_LEGS] = legs
    found: bool = False
    for i: uint256 in range(len(out), bound=c.MAX_LEGS):
        if out[i].kind == kind and out[i].strike == strike:
            out[i].qty += dq
            found = True
            break
    if not found:
        assert len(out) < c.MAX_LEGS, "pool: too many legs"
        out.append(margin_math.Leg(kind=kind, strike=strike, qty=dq))
    return before, margin_math._requirement(n, cost, out, lo, hi)
