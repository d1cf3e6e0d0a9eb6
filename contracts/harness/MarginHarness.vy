# pragma version ~=0.4.3
"""
@title MarginHarness
@notice Exposes the pure margin maths module (`contracts/modules/margin_math.vy`) exactly as
        the Clearinghouse uses it, so tests can compare it with the Python reference
        (`rangebound/models/margin.py`) and with a brute-force scan. Not a mock: no logic of its own.
@custom:security Stateless, pure. Never needed on a public network (deploying it is harmless).
"""

from contracts.modules import constants as c
from contracts.modules import margin_math


@external
@pure
def loss(n: int256, cost: int256, legs: DynArray[margin_math.Leg, c.MAX_LEGS], s: uint256) -> int256:
    """
    @notice Loss(s) of a series portfolio in raw token units (negative = gain).
    @param n Futures net quantity, lots (signed).
    @param cost Futures cost Σ q·P, raw units (signed).
    @param legs Option legs (kind 1 = CALL, 2 = PUT; strike raw units per lot; signed lots).
    @param s Settlement price, raw units per lot.
    """
    return margin_math._loss(n, cost, legs, s)


@external
@pure
def max_loss(n: int256, cost: int256, legs: DynArray[margin_math.Leg, c.MAX_LEGS], lower: uint256, upper: uint256) -> int256:
    """
    @notice Maximum of Loss(S) over S in [lower, upper], raw units (may be negative).
    """
    return margin_math._max_loss(n, cost, legs, lower, upper)


@external
@pure
def requirement(n: int256, cost: int256, legs: DynArray[margin_math.Leg, c.MAX_LEGS], lower: uint256, upper: uint256) -> uint256:
    """
    @notice Collateral the portfolio needs over [lower, upper]: max(0, max Loss), raw units.
    """
    return convert(max(margin_math._max_loss(n, cost, legs, lower, upper), 0), uint256)
