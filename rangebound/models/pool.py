"""Options pool maths: bit-exact integer mirror of contracts/modules/student_t.vy (docs/architecture.md §15).

The settlement is S = clamp(F + s*T, L, U) with T Student-t, nu = 4. Every function here
reproduces the contract's integer arithmetic exactly (Python ints; Vyper's signed `//`
truncates toward zero, so signed floors are written out). Float references live in
`rangebound.quant.pricing.clamped_t(kind, K, F, s, 4, L, U)`.

Units: strikes, forwards, scales, bounds and prices are raw settlement-token units per lot;
z, Phi, G and deltas are WAD.
"""

from __future__ import annotations

from math import isqrt

from rangebound.constants import BPS, CALL, FUTURE, PUT, read_constants

# the contract module's own constants, read from its source (rangebound/constants.py)
_T = read_constants("modules/student_t.vy")
WAD = _T["WAD"]
HALF = _T["HALF"]
Z_SAT = _T["Z_SAT"]                      # |z| saturation, WAD
FOUR_WAD2 = _T["FOUR_WAD2"]
SIX_WAD2 = _T["SIX_WAD2"]
FOUR_WAD4 = _T["FOUR_WAD4"]
SECONDS_PER_DAY = _T["SECONDS_PER_DAY"]
PACK_LIMIT = _T["PACK_LIMIT"]
_KINDS = {"future": FUTURE, "call": CALL, "put": PUT}


def _kind(kind: int | str) -> int:
    k = _KINDS.get(kind, kind) if isinstance(kind, str) else kind
    if k not in (FUTURE, CALL, PUT):
        raise ValueError(f"kind must be 0 (future), 1 (call) or 2 (put), got {kind!r}")
    return k


def z_wad(x: int, f: int, s: int) -> int:
    """(x - f) / s in WAD, magnitude rounded down, saturated at +-Z_SAT (s = 0 saturates)."""
    d = abs(x - f)
    if d == 0:
        m = 0
    elif d // (Z_SAT // WAD) >= s:
        m = Z_SAT
    else:
        m = d * WAD // s
    return m if x >= f else -m


def phi_g(z: int) -> tuple[int, int]:
    """(Phi(z), G(z)) in WAD, as `student_t._point`."""
    m = abs(z)
    if m >= Z_SAT:
        return (WAD if z > 0 else 0), 0
    z2 = m * m
    r = isqrt(z2 + FOUR_WAD2)
    num = m * ((z2 + SIX_WAD2) // WAD)
    den = 2 * ((z2 + FOUR_WAD2) // WAD) * r
    h = min(num * WAD // den, HALF)
    phi = HALF - h if z < 0 else HALF + h
    return phi, FOUR_WAD4 // (r * r * r)


def scale(forward: int, w: int, v: int, tau: int) -> int:
    """s = F sqrt(w v tau_days / 2), raw units per lot, rounded down (tau in seconds)."""
    root = isqrt(w * v * tau // (2 * SECONDS_PER_DAY))
    return forward * root // WAD


def _legs(strike: int, f: int, s: int, lo: int, hi: int) -> tuple[tuple[int, int], ...]:
    k = min(max(strike, lo), hi)
    return tuple(phi_g(z_wad(x, f, s)) for x in (lo, k, hi))


def _check(strike: int, forward: int, s: int, lo: int, hi: int) -> None:
    if max(strike, forward, s, hi) >= PACK_LIMIT or lo > hi or min(strike, forward, s, lo) < 0:
        raise ValueError("pool: bad inputs")


def numerators(strike: int, forward: int, s: int, lo: int, hi: int) -> tuple[int, int]:
    """WAD-scaled exact numerators (call, E[S]) with the forward clamped into [lo, hi]."""
    f = min(max(forward, lo), hi)
    (phl, gl), (pha, ga), (phu, gu) = _legs(strike, f, s, lo, hi)
    call = (f - strike) * (phu - pha) + s * (ga - gu)
    if lo > strike:
        call += (lo - strike) * phl
    if hi > strike:
        call += (hi - strike) * (WAD - phu)
    es = lo * phl + f * (phu - phl) + s * (gl - gu) + hi * (WAD - phu)
    return call, es


def _clip(x: int, top: int) -> int:
    return 0 if x <= 0 else min(x, top)


def price(kind: int | str, strike: int, forward: int, scale: int, lo: int, hi: int) -> int:
    """Model premium per lot (raw units, no spread) on the clamped Student-t (nu = 4) law.

    kind FUTURE (0) gives E[S]. Floor of one exact numerator, clipped to [0, max payoff].
    """
    k = _kind(kind)
    _check(strike, forward, scale, lo, hi)
    call_num, es_num = numerators(strike, forward, scale, lo, hi)
    if k == FUTURE:
        return min(max(_clip(es_num // WAD, hi), lo), hi)
    if k == CALL:
        return _clip(call_num // WAD, max(hi - strike, 0))
    put_num = call_num - es_num + strike * WAD
    return _clip(put_num // WAD, max(strike - lo, 0))


def delta(kind: int | str, strike: int, forward: int, scale: int, lo: int, hi: int) -> int:
    """dPrice/dF per lot in WAD: call Phi(u)-Phi(a), put -(Phi(a)-Phi(l)), future Phi(u)-Phi(l)."""
    k = _kind(kind)
    _check(strike, forward, scale, lo, hi)
    f = min(max(forward, lo), hi)
    (phl, _), (pha, _), (phu, _) = _legs(strike, f, scale, lo, hi)
    if k == FUTURE:
        return phu - phl
    if k == CALL:
        return phu - pha
    return phl - pha


# ---------------------------------------------------------------- quote maths (pool_math.vy)



def _ceil_div(a: int, b: int) -> int:
    return -(-a // b)


def trade_value(
    m: int, q0: int, qty: int, is_buy: bool, beta: int, depth: int, markup_bps: int
) -> int:
    """Total premium of `qty` lots along the inventory path q0 -> q0 -/+ qty (before per-lot
    rounding): qty m (1 - beta (q0 + q1) / (2 depth)) (1 +/- markup), rounded up for a buy and
    down for a sell, as `pool_math._trade_value`."""
    q1 = q0 - qty if is_buy else q0 + qty
    two_d = 2 * depth * WAD
    factor = two_d - beta * (q0 + q1)
    mult = BPS + markup_bps if is_buy else BPS - markup_bps
    num, den = m * qty * factor * mult, two_d * BPS
    return _ceil_div(num, den) if is_buy else num // den


def lot_price(total: int, qty: int, is_buy: bool, tick: int, max_payoff: int) -> int:
    """Per-lot premium on tick, up for a buy and down for a sell, in [tick, max payoff]."""
    if is_buy:
        p = _ceil_div(_ceil_div(total, qty), tick) * tick
    else:
        p = total // qty
        p -= p % tick
    return min(max(p, tick), max_payoff)


def spread_bps(base_bps: int, util_bps: int, u: int) -> int:
    """base + gamma u (u a WAD fraction), rounded up."""
    return base_bps + _ceil_div(util_bps * u, WAD)
