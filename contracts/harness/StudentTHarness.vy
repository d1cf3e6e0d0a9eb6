# pragma version ~=0.4.3
"""
@title StudentTHarness
@notice Test harness: exposes the pure `student_t` and `pool_math` modules (docs/architecture.md §15) as external pure
        functions, so `rangebound/models/pool.py` can be checked bit for bit against the compiled code.
        Holds no state and no funds; not part of the system.
"""

from contracts.modules import pool_math
from contracts.modules import student_t


@external
@pure
def z(x: uint256, f: uint256, s: uint256) -> int256:
    return student_t._z(x, f, s)


@external
@pure
def phi_g(z: int256) -> (uint256, uint256):
    p: student_t.Point = student_t._point(z)
    return p.phi, p.g


@external
@pure
def scale(forward: uint256, w: uint256, v: uint256, tau: uint256) -> uint256:
    return student_t._scale(forward, w, v, tau)


@external
@pure
def price(kind: uint8, strike: uint256, forward: uint256, s: uint256, lo: uint256, hi: uint256) -> uint256:
    return student_t._price(kind, strike, forward, s, lo, hi)


@external
@pure
def delta(kind: uint8, strike: uint256, forward: uint256, s: uint256, lo: uint256, hi: uint256) -> int256:
    return student_t._delta(kind, strike, forward, s, lo, hi)


@external
@pure
def option_price(kind: uint8, strike: uint256, forward: uint256, s: uint256, lo: uint256, hi: uint256) -> uint256:
    e: student_t.Ends = student_t._ends(forward, s, lo, hi)
    return student_t._option_price(kind, strike, e, student_t._es_numerator(e))


# ---------------------------------------------------------------- pool_math (quote maths)


@external
@pure
def trade_value(m: uint256, q0: int256, qty: uint256, is_buy: bool, beta: uint256, depth: uint256, markup_bps: uint256) -> uint256:
    return pool_math._trade_value(m, q0, qty, is_buy, beta, depth, markup_bps)


@external
@pure
def lot_price(total: uint256, qty: uint256, is_buy: bool, tick: uint256, max_payoff: uint256) -> uint256:
    return pool_math._lot_price(total, qty, is_buy, tick, max_payoff)


@external
@pure
def spread_bps(base_bps: uint256, util_bps: uint256, u: uint256) -> uint256:
    return pool_math._spread_bps(base_bps, util_bps, u)
