# pragma version ~=0.4.3
"""
@title MathHarness
@notice Test harness: exposes every internal function of the pure `calendar` and `range_math`
        modules as an external pure function, so the Python reference models can be checked
        against the real compiled code. Holds no state and no funds; not part of the system.
"""

from contracts.modules import calendar
from contracts.modules import range_math


# ---------------------------------------------------------------- calendar


@external
@pure
def weekday(ts: uint256) -> uint256:
    return calendar._weekday(ts)


@external
@pure
def day_start(ts: uint256) -> uint256:
    return calendar._day_start(ts)


@external
@pure
def update_time(ts: uint256) -> uint256:
    return calendar._update_time(ts)


@external
@pure
def is_expiry_time(ts: uint256) -> bool:
    return calendar._is_expiry_time(ts)


@external
@pure
def is_monthly(expiry: uint256) -> bool:
    return calendar._is_monthly(expiry)


@external
@pure
def listing_time(expiry: uint256) -> uint256:
    return calendar._listing_time(expiry)


@external
@pure
def live_expiries(now: uint256) -> DynArray[uint256, 6]:
    return calendar._live_expiries(now)


@external
@pure
def window(day_start: uint256) -> (uint256, uint256):
    return calendar._window(day_start)


@external
@pure
def days_between(from_ts: uint256, to_ts: uint256) -> uint256:
    return calendar._days_between(from_ts, to_ts)


# ---------------------------------------------------------------- range maths


@external
@pure
def alpha(v: uint256, t_days: uint256, k: uint256, m: uint256) -> uint256:
    return range_math._alpha(v, t_days, k, m)


@external
@pure
def suggested_bounds(p: uint256, alpha: uint256, tick: uint256) -> (uint256, uint256):
    return range_math._suggested_bounds(p, alpha, tick)


@external
@pure
def update_range(
    old_lo: uint256, old_hi: uint256, s_lo: uint256, s_hi: uint256
) -> (uint256, uint256):
    return range_math._update_range(old_lo, old_hi, s_lo, s_hi)


@external
@pure
def log_return(p_new: uint256, p_old: uint256) -> int256:
    return range_math._log_return(p_new, p_old)


@external
@pure
def ewma(v: uint256, r: int256, lam: uint256, v_min: uint256, v_max: uint256) -> uint256:
    return range_math._ewma(v, r, lam, v_min, v_max)


@external
@pure
def uniform_strikes(lo: uint256, hi: uint256, n: uint256, tick: uint256) -> DynArray[uint256, 64]:
    return range_math._uniform_strikes(lo, hi, n, tick)


@external
@pure
def midpoints(
    strikes: DynArray[uint256, 64], lo: uint256, hi: uint256, tick: uint256
) -> DynArray[uint256, 64]:
    return range_math._midpoints(strikes, lo, hi, tick)
