# pragma version ~=0.4.3
"""
@title Rangebound range maths
@notice Pure maths for the trading range of a series (docs/architecture.md §4, §5): the range factor
        alpha, suggested bounds, the daily keep-or-shrink update, log returns, the EWMA variance
        and the options strike grid. Dimensionless values are WAD (1e18) fixed point; prices,
        bounds, strikes and ticks are raw settlement-token units per lot.
        Python mirrors (bit-exact): `rangebound/models/ranges.py` (`alpha_wad`, `suggested_bounds_wad`,
        `update_range`, `log_return_wad`, `ewma_wad`, `uniform_strikes`, `midpoints`).

        Rounding (the range must never come out narrower than the exact formula gives, and the
        variance never lower):
        - `_alpha` rounds UP: sqrt(v*t) is isqrt rounded up, k*sqrt is rounded up, and because
          snekmate's `_wad_exp` is accurate to about 1e-18 relative in either direction, the
          exp result gets a margin of floor(e / 1e17) + 1 wei (>= 10x the measured worst error;
          none when the argument is 0, as exp(0) = 1e18 exactly), so alpha >= the exact value
          and exceeds it by at most ~1.1e-17 relative + 2 wei. t = 0 or v = 0 give exactly
          1 + m * v (m * v rounded up).
        - `_suggested_bounds`: s_min = p / alpha rounded DOWN to tick (at least one tick),
          s_max = p * alpha rounded UP to tick. floor(floor(x) / tick) = floor(x / tick) (and
          likewise for ceilings), so the two-step rounding equals one exact rounding of p / alpha
          and p * alpha.
        - `_log_return`: the price ratio is rounded away from 1 (up for a rise, down for a fall),
          so |r| is not understated by the division; `_wad_ln` itself is ~1e-18 accurate.
        - `_ewma`: one exact numerator, a single division rounded UP.
        - `_uniform_strikes`: each strike is the exact rational L + i*(U-L)/(N+1) rounded to the
          NEAREST tick, ties UP; strikes not strictly inside (L, U) and duplicates are dropped.
        - `_midpoints`: the midpoint of a gap is rounded to the NEAREST tick, ties DOWN. A gap
          wider than one tick always has its rounded midpoint strictly inside it.

        Midpoint insertion, edge gaps (a decision of ours, docs/decisions.md): the gaps considered
        are those between consecutive points of [L, active strikes..., U], i.e. the two EDGE
        gaps (L to the lowest active strike, highest active strike to U) count as well as the
        inner gaps. Without them a range that shrank past all but one (or all) of its strikes
        could never regain any, and a range that shifted would keep all new strikes on one side
        of its remaining ones. Edge midpoints are strictly inside (L, U), so no strike is ever
        added outside the range. Since the points L and U are not strikes, after insertion "no
        gap wider than one tick" means every tick strictly inside (L, U) is a strike.
@custom:security Pure functions, no state. Every loop has a named constant bound.
"""

from snekmate.utils import math
from contracts.modules import constants as c

# most uniform strikes at listing (docs/architecture.md §5: N in 20..50)
MAX_UNIFORM_STRIKES: constant(uint256) = 50
# points considered by `_midpoints`: L, at most MIN_ACTIVE_STRIKES active strikes, U
MAX_GAP_POINTS: constant(uint256) = c.MIN_ACTIVE_STRIKES + 2
# `_wad_exp` margin: e // EXP_MARGIN_DIVISOR + 1 wei (1e-17 relative, 10x its worst error)
EXP_MARGIN_DIVISOR: constant(uint256) = 10**17


@internal
@pure
def _alpha(v: uint256, t_days: uint256, k: uint256, m: uint256) -> uint256:
    """
    @notice Range factor alpha = exp(k * sqrt(v * t)) + m * v, WAD, rounded UP.
    @param v Daily variance, WAD.
    @param t_days Whole days to expiry (plain integer); 0 gives exactly 1 + m * v.
    @param k Width in standard deviations, WAD (3.5e18).
    @param m Variance add-on, WAD (1.5e18).
    """
    # sqrt(v * t) in WAD = isqrt(v * t * 1e18), rounded UP
    x: uint256 = v * t_days * c.WAD
    sd: uint256 = isqrt(x)
    if sd * sd < x:
        sd += 1
    # k * sd / WAD, rounded UP
    arg: uint256 = math._mul_div(k, sd, c.WAD, True)
    e: uint256 = convert(math._wad_exp(convert(arg, int256)), uint256)
    # margin for `_wad_exp`'s ~1e-18 relative error in either direction: division rounds DOWN,
    # the extra wei makes the margin strictly positive. exp(0) = 1e18 is exact: no margin.
    if arg != 0:
        e += e // EXP_MARGIN_DIVISOR + 1
    # m * v / WAD, rounded UP
    return e + math._mul_div(m, v, c.WAD, True)


@internal
@pure
def _suggested_bounds(p: uint256, alpha: uint256, tick: uint256) -> (uint256, uint256):
    """
    @notice Suggested range for fixing `p`: s_min = p / alpha rounded DOWN to a multiple of
            `tick` (at least one tick), s_max = p * alpha rounded UP to a multiple of `tick`.
    @param alpha Range factor, WAD (> 1e18).
    """
    assert tick != 0, "range: zero tick"
    assert alpha != 0, "range: zero alpha"
    # p * WAD / alpha rounded DOWN, then DOWN to a tick (floor of floor = one exact floor)
    s_min: uint256 = math._mul_div(p, c.WAD, alpha, False) // tick * tick
    if s_min < tick:
        s_min = tick
    # p * alpha / WAD rounded UP, then UP to a tick (ceil of ceil = one exact ceil)
    s_max: uint256 = math._ceil_div(math._mul_div(p, alpha, c.WAD, True), tick) * tick
    return s_min, s_max


@internal
@pure
def _update_range(
    old_lo: uint256, old_hi: uint256, s_lo: uint256, s_hi: uint256
) -> (uint256, uint256):
    """
    @notice Daily keep-or-shrink update (docs/architecture.md §4). The result is always inside
            [old_lo, old_hi]: branches 3 and 4 only run when the suggested width is strictly
            smaller than the old width, and branch 4 only when old_hi < s_hi.
    """
    w: uint256 = s_hi - s_lo
    if old_lo <= s_lo and old_hi >= s_hi:
        # suggested inside old: shrink to it
        return s_lo, s_hi
    if old_hi - old_lo <= w:
        # old is no wider: keep it
        return old_lo, old_hi
    if old_lo > s_lo:
        # shift down, keep the lower edge
        return old_lo, old_lo + w
    # shift up, keep the upper edge
    return old_hi - w, old_hi


@internal
@pure
def _log_return(p_new: uint256, p_old: uint256) -> int256:
    """
    @notice ln(p_new / p_old), WAD.
    """
    assert p_new != 0 and p_old != 0, "range: zero price"
    # p_new * WAD / p_old rounded away from 1 (UP on a rise, DOWN on a fall): |r| not understated
    ratio: uint256 = math._mul_div(p_new, c.WAD, p_old, p_new > p_old)
    return math._wad_ln(convert(ratio, int256))


@internal
@pure
def _ewma(v: uint256, r: int256, lam: uint256, v_min: uint256, v_max: uint256) -> uint256:
    """
    @notice v' = lam * v + (1 - lam) * r^2, clamped to [v_min, v_max]; all WAD.
            Rounded UP (a larger variance means a wider, more conservative range).
    """
    assert lam <= c.WAD, "range: lambda above 1"
    ar: uint256 = convert(abs(r), uint256)
    # exact numerator in WAD^2 units, one division by WAD^2 rounded UP
    num: uint256 = lam * v * c.WAD + (c.WAD - lam) * ar * ar
    v_new: uint256 = math._ceil_div(num, c.WAD * c.WAD)
    if v_new < v_min:
        return v_min
    if v_new > v_max:
        return v_max
    return v_new


@internal
@pure
def _uniform_strikes(lo: uint256, hi: uint256, n: uint256, tick: uint256) -> DynArray[uint256, 64]:
    """
    @notice Listing grid K_i = lo + i * (hi - lo) / (n + 1), i = 1..n, each rounded to the
            NEAREST multiple of `tick` (ties UP); only strikes strictly inside (lo, hi) are kept,
            duplicates dropped; ascending.
    """
    assert n <= MAX_UNIFORM_STRIKES, "range: too many strikes"
    assert tick != 0, "range: zero tick"
    assert lo < hi, "range: empty range"
    out: DynArray[uint256, 64] = []
    d: uint256 = n + 1
    span: uint256 = hi - lo
    for i: uint256 in range(n, bound=MAX_UNIFORM_STRIKES):
        # K * d exactly
        num: uint256 = lo * d + (i + 1) * span
        # nearest tick to num / d, ties UP: floor((num / d + tick / 2) / tick), floor division
        k: uint256 = (2 * num + d * tick) // (2 * d * tick) * tick
        if k <= lo or k >= hi:
            continue
        # K_i is non-decreasing in i, so a duplicate can only repeat the last strike
        if len(out) != 0 and out[len(out) - 1] == k:
            continue
        out.append(k)
    return out


@internal
@pure
def _midpoints(
    strikes: DynArray[uint256, 64], lo: uint256, hi: uint256, tick: uint256
) -> DynArray[uint256, 64]:
    """
    @notice Strikes to insert after a range update (docs/architecture.md §5), ascending.
            While fewer than MIN_ACTIVE_STRIKES strikes are active (lo < K < hi) and the series
            has fewer than MAX_STRIKES in total, insert the midpoint (NEAREST tick, ties DOWN)
            of the widest gap between adjacent points of [lo, active strikes..., hi] (ties:
            lowest gap first); stop when no gap is wider than one tick. Edge gaps count (see
            the module docstring).
    @param strikes Every strike of the series (uniform and inserted), strictly ascending.
    """
    assert tick != 0, "range: zero tick"
    assert lo < hi, "range: empty range"
    active: DynArray[uint256, c.MIN_ACTIVE_STRIKES] = []
    for i: uint256 in range(len(strikes), bound=c.MAX_STRIKES):
        s: uint256 = strikes[i]
        if i != 0:
            assert s > strikes[i - 1], "range: strikes not ascending"
        if lo < s and s < hi:
            if len(active) + 1 >= c.MIN_ACTIVE_STRIKES:
                return []
            active.append(s)
    return self._midpoints_active(active, len(strikes), lo, hi, tick)


@internal
@pure
def _midpoints_active(
    active: DynArray[uint256, c.MIN_ACTIVE_STRIKES], total_: uint256, lo: uint256, hi: uint256, tick: uint256
) -> DynArray[uint256, c.MIN_ACTIVE_STRIKES]:
    """
    @notice `_midpoints` given only what it depends on: the active strikes (strictly inside
            (lo, hi), strictly ascending, fewer than MIN_ACTIVE_STRIKES) and how many strikes
            the series holds in all (`total_`). Same result, without the inactive strikes.
            Needs tick > 0 and lo < hi (`_midpoints` checks them; a registry range always has
            lower + tick <= upper, and its tick is a checked parameter).
    """
    out: DynArray[uint256, c.MIN_ACTIVE_STRIKES] = []
    n_act: uint256 = len(active)
    if n_act >= c.MIN_ACTIVE_STRIKES:
        return out
    # gap points lo, active..., hi (ascending) in a fixed array: npts <= n_act + 2 <= MAX_GAP_POINTS
    pts: uint256[MAX_GAP_POINTS] = empty(uint256[MAX_GAP_POINTS])
    pts[0] = lo
    for i: uint256 in range(n_act, bound=c.MIN_ACTIVE_STRIKES):
        pts[i + 1] = active[i]
    npts: uint256 = n_act + 2
    pts[npts - 1] = hi

    total: uint256 = total_
    # each insertion adds one active strike, so at most MIN_ACTIVE_STRIKES insertions
    for it: uint256 in range(c.MIN_ACTIVE_STRIKES):
        if n_act >= c.MIN_ACTIVE_STRIKES or total >= c.MAX_STRIKES:
            break
        # widest gap, lowest first on ties (strict >)
        best_w: uint256 = 0
        best_j: uint256 = 0
        prev: uint256 = lo
        for j: uint256 in range(1, MAX_GAP_POINTS):
            if j == npts:
                break
            cur: uint256 = pts[j]
            w: uint256 = unsafe_sub(cur, prev)      # pts strictly ascending
            if w > best_w:
                best_w = w
                best_j = j
            prev = cur
        if best_w <= tick:
            break
        a: uint256 = pts[best_j - 1]
        b: uint256 = pts[best_j]
        # nearest tick to (a + b) / 2, ties DOWN: ceil((a + b - tick) / (2 * tick)) * tick,
        # written without underflow as floor((a + b + tick - 1) / (2 * tick))
        mid: uint256 = (a + b + tick - 1) // (2 * tick) * tick
        # b - a > tick guarantees a < mid < b
        assert a < mid and mid < b, "range: midpoint"
        # insert `mid` at index best_j: shift the tail up by one, in place
        for q: uint256 in range(MAX_GAP_POINTS):
            dst: uint256 = npts - q
            if dst <= best_j:
                break
            pts[dst] = pts[dst - 1]
        pts[best_j] = mid
        npts += 1
        n_act += 1
        total += 1
        # keep `out` ascending: insert `mid` after the smaller ones already found
        out.append(mid)
        for q: uint256 in range(c.MIN_ACTIVE_STRIKES):
            o: uint256 = len(out) - 1 - q
            if o == 0 or out[o - 1] < mid:
                break
            out[o] = out[o - 1]
            out[o - 1] = mid
    return out
