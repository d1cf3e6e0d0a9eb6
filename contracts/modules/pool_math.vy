# pragma version ~=0.4.3
"""
@title Rangebound options pool quote maths
@notice Pure maths of the pool's quote (docs/architecture.md §15): the inventory integral, the
        spread and the per-lot premium. Python mirror (bit-exact): `rangebound/models/pool.py`
        (`trade_value`, `lot_price`, `spread_bps`).

        Inventory: the pool's net quantity q (its side, signed lots) moves the per-lot price
        linearly, p(q) = m (1 - beta q / depth). A trade moving q from q0 to q1 is worth the
        integral of p over the path, |q1 - q0| m (1 - beta (q0 + q1) / (2 depth)), so buying
        and selling back the same lots have the same value before costs (no round trip).
        The trader then pays (1 + markup) times it (buy) or receives (1 - markup) times it
        (sell), markup = spread + pool fee in bps.

        Rounding (against the trader, in favour of the pool): the total is ONE 512-bit
        mul_div, rounded UP for a buy and DOWN for a sell; the per-lot price is that total
        divided by the lots rounded UP (buy) / DOWN (sell) and then to a tick UP (buy) /
        DOWN (sell); finally it is clipped to [one tick, max payoff]. So a buy's per-lot price
        is never below a sell's for the same path: no round-trip profit.
@custom:security Pure functions, no state, no loops.
"""

from snekmate.utils import math

WAD: constant(uint256) = 10**18
BPS: constant(uint256) = 10_000


# what PoolPricer.trade_inputs gives the pool's quote
struct TradeInputs:
    model: uint256    # raw units per lot, model price (no spread)
    q0: int256        # lots, the pool's position in the instrument before the trade
    u: uint256        # WAD, utilisation after the trade (rounded UP; max uint without cash)
    raises: bool      # the trade raises the pool's series requirement (only computed when u > max_util)
    fee_bps: uint256  # bps, the Clearinghouse taker fee rate


@internal
@pure
def _trade_value(m: uint256, q0: int256, qty: uint256, is_buy: bool, beta: uint256, depth: uint256, markup_bps: uint256) -> uint256:
    """
    @notice Total premium of `qty` lots (raw units) before the per-lot rounding.
    @param m Model price per lot (raw units).
    @param q0 The pool's net quantity before the trade (lots, signed; the trader's buy lowers it).
    @param beta Inventory slope, WAD (<= 1e18).
    @param depth Lots (> 0); |q0| and |q1| must be <= depth.
    @param markup_bps Spread + fee, bps (< BPS for sells).
    """
    d: int256 = convert(qty, int256)
    q1: int256 = q0 + d
    if is_buy:
        q1 = q0 - d
    # factor (WAD * 2 depth): 2 depth - beta (q0 + q1) / WAD, in [2 depth (1 - beta), 2 depth (1 + beta)]
    two_d: int256 = 2 * convert(depth, int256) * convert(WAD, int256)
    factor: int256 = two_d - convert(beta, int256) * (q0 + q1)
    mult: uint256 = BPS - markup_bps
    if is_buy:
        mult = BPS + markup_bps
    return math._mul_div(m * qty, convert(factor, uint256) * mult, convert(two_d, uint256) * BPS, is_buy)


@internal
@pure
def _lot_price(total: uint256, qty: uint256, is_buy: bool, tick: uint256, max_payoff: uint256) -> uint256:
    """
    @notice Per-lot premium (raw units, on tick): total / qty rounded UP (buy) or DOWN (sell),
            then to a tick in the same direction, clipped to [tick, max payoff].
    """
    p: uint256 = 0
    if is_buy:
        p = math._ceil_div(total, qty)
        p = math._ceil_div(p, tick) * tick
    else:
        p = total // qty
        p = p - p % tick
    return min(max(p, tick), max_payoff)


@internal
@pure
def _spread_bps(base_bps: uint256, util_bps: uint256, u: uint256) -> uint256:
    """
    @notice Spread = base + gamma * u in bps, u a WAD fraction; rounded UP.
    """
    return base_bps + math._ceil_div(util_bps * u, WAD)


@internal
@pure
def _util(total: uint256, cash: uint256) -> uint256:
    """
    @notice Utilisation requirement / cash, WAD, rounded UP (against the trader: a closer
            limit and a wider spread). `cash` > 0.
    """
    return math._mul_div(total, WAD, cash, True)
