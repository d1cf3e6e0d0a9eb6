# pragma version ~=0.4.3
"""
@title Rangebound Student-t (nu = 4) pricing maths
@notice Model prices of the options pool (docs/architecture.md §15). The settlement is
        S = clamp(F + s*T, L, U) with T Student-t, nu = 4. With z = (x - F)/s:
            Phi(z) = 1/2 + z (z^2 + 6) / (2 (z^2 + 4)^(3/2))      cdf
            G(z)   = 4 (z^2 + 4)^(-3/2)                           (integral of z * density = -G)
        and l, a, u the z of L, clamp(K, L, U), U:
            call  C = (L-K)+ Phi(l) + (F-K)(Phi(u)-Phi(a)) + s (G(a)-G(u)) + (U-K)+ (1-Phi(u))
            E[S]    = L Phi(l) + F (Phi(u)-Phi(l)) + s (G(l)-G(u)) + U (1-Phi(u))
            put   P = C - (E[S] - K)
        (the (L-K)+ and (U-K)+ terms make the call formula of section 15 hold for strikes
        outside [L, U] too: K <= L gives E[S] - K, K >= U gives 0).
        Deltas per lot (d/dF, WAD): call Phi(u)-Phi(a), put -(Phi(a)-Phi(l)), future Phi(u)-Phi(l).
        Python mirror (bit-exact): `rangebound/models/pool.py`.

        Units: F, K, L, U, s and prices are raw settlement-token units per lot; z, Phi, G and
        deltas are WAD. Rounding (the model price is a mid; the pool's quote rounds in its own
        favour on top of it):
        - z: |x - F| * WAD / s rounded DOWN in magnitude (toward zero), sign kept.
        - |z| >= Z_SAT (1e6): Phi is exactly 0 or 1 and G is 0 (the true tail mass is below
          3e-24 and G below 4e-18: less than one WAD unit). s = 0 saturates every z != 0.
          Below Z_SAT every product fits in 256 bits (|z|^2 < 1e48 in WAD^2), so no input
          the range allows (bounds, strikes, forwards, scales < 2**128) overflows; larger
          inputs revert with "pool: bad inputs".
        - sqrt(z^2 + 4) is isqrt rounded DOWN; Phi's half-width rounded DOWN (so Phi is
          pulled toward 1/2 by at most one WAD unit) and Phi(-z) = 1 - Phi(z) exactly;
          G rounded DOWN.
        - call, E[S] and put: one exact signed numerator (WAD-scaled) per value, a single
          division rounded DOWN (floor), then clipped to [0, max payoff] (E[S] to [L, U]).
          Put and call share their numerators, so C - P - (E[S] - K) is in {-1, 0, 1}.
@custom:security Pure functions, no state, no loops.
"""

from contracts.modules import constants as c

WAD: constant(uint256) = 10**18
IWAD: constant(int256) = 10**18
HALF: constant(uint256) = 5 * 10**17
# |z| (WAD) at and beyond which Phi and G take their limits
Z_SAT: constant(uint256) = 10**24
# 4 in WAD^2 (z^2 + 4 with z^2 exact in WAD^2)
FOUR_WAD2: constant(uint256) = 4 * 10**36
# 6 in WAD^2
SIX_WAD2: constant(uint256) = 6 * 10**36
# 4 * WAD^4: G = 4 / r^3 with r in WAD gives 4 WAD^4 / r^3 in WAD
FOUR_WAD4: constant(uint256) = 4 * 10**72
SECONDS_PER_DAY: constant(uint256) = 86_400
# strikes, forwards, scales and bounds must stay below this (products then fit in int256)
PACK_LIMIT: constant(uint256) = 2**128


struct Point:
    phi: uint256   # Phi(z), WAD in [0, 1e18]
    g: uint256     # G(z), WAD in [0, 5e17]


@internal
@pure
def _z(x: uint256, f: uint256, s: uint256) -> int256:
    """
    @notice z = (x - f) / s in WAD, magnitude rounded DOWN, saturated at +-Z_SAT.
    """
    d: uint256 = 0
    if x >= f:
        d = unsafe_sub(x, f)
    else:
        d = unsafe_sub(f, x)
    m: uint256 = 0
    if d != 0:
        if d // (Z_SAT // WAD) >= s:
            m = Z_SAT            # |z| >= 1e6 (s = 0 included)
        else:
            m = unsafe_div(unsafe_mul(d, WAD), s)     # DOWN; d < 2**128 so d * WAD fits, s > 0 here
    if x >= f:
        return convert(m, int256)
    return -convert(m, int256)


@internal
@pure
def _point(z: int256) -> Point:
    """
    @notice Phi(z) and G(z), WAD, rounded as the module header says.
    """
    m: uint256 = convert(abs(z), uint256)
    if m >= Z_SAT:
        if z > 0:
            return Point(phi=WAD, g=0)
        return Point(phi=0, g=0)
    z2: uint256 = unsafe_mul(m, m)            # WAD^2, < 1e48
    r: uint256 = isqrt(unsafe_add(z2, FOUR_WAD2))  # WAD, DOWN, >= 2e18
    # half-width z (z^2 + 6) / (2 (z^2 + 4) r), WAD, DOWN. (z^2 + 6) and (z^2 + 4) are taken
    # in WAD (z2 / WAD rounded DOWN); num, den < 2.1e54 (WAD^2) and num * WAD < 1.1e72
    # (unchecked arithmetic: every bound is stated; den >= 16e36 and r >= 2e18 are never 0)
    num: uint256 = unsafe_mul(m, unsafe_div(unsafe_add(z2, SIX_WAD2), WAD))
    den: uint256 = unsafe_mul(unsafe_mul(2, unsafe_div(unsafe_add(z2, FOUR_WAD2), WAD)), r)
    h: uint256 = min(unsafe_div(unsafe_mul(num, WAD), den), HALF)
    phi: uint256 = unsafe_add(HALF, h)
    if z < 0:
        phi = unsafe_sub(HALF, h)
    g: uint256 = unsafe_div(FOUR_WAD4, unsafe_mul(unsafe_mul(r, r), r))     # WAD, DOWN; r^3 < 1.1e72
    return Point(phi=phi, g=g)


@internal
@pure
def _scale(forward: uint256, w: uint256, v: uint256, tau: uint256) -> uint256:
    """
    @notice s = F * sqrt(w * v * tau_days / 2), raw units per lot, rounded DOWN.
    @param forward F, raw units per lot.
    @param w Volatility multiplier, WAD.
    @param v Daily variance, WAD.
    @param tau Seconds to expiry.
    """
    # w * v * tau / (2 * 86400) is (w v tau_days / 2) in WAD^2; isqrt gives WAD (both DOWN)
    root: uint256 = isqrt(w * v * tau // (2 * SECONDS_PER_DAY))
    return forward * root // WAD


struct Ends:
    f: uint256      # forward clamped into [lo, hi], raw units per lot
    s: uint256      # scale, raw units per lot
    lo: uint256     # raw units per lot
    hi: uint256     # raw units per lot
    pl: Point       # Phi and G at z(lo)
    pu: Point       # Phi and G at z(hi)


@internal
@pure
def _ends(forward: uint256, s: uint256, lo: uint256, hi: uint256) -> Ends:
    """
    @notice What every strike of a series shares: the clamped forward and Phi, G at l and u
            (a portfolio marks all its legs with one Ends, two square roots fewer per leg).
            Inputs must be below 2**128 with lo <= hi ("pool: bad inputs").
    """
    assert max(max(forward, s), hi) < PACK_LIMIT and lo <= hi, "pool: bad inputs"
    f: uint256 = min(max(forward, lo), hi)
    return Ends(f=f, s=s, lo=lo, hi=hi, pl=self._point(self._z(lo, f, s)), pu=self._point(self._z(hi, f, s)))


@internal
@pure
def _at(strike: uint256, e: Ends) -> Point:
    """
    @notice Phi and G at a = z(clamp(K, L, U)).
    """
    assert strike < PACK_LIMIT, "pool: bad inputs"
    return self._point(self._z(min(max(strike, e.lo), e.hi), e.f, e.s))


@internal
@pure
def _numerators(strike: uint256, e: Ends, pa: Point) -> (int256, int256):
    """
    @notice WAD-scaled exact numerators of the call and of E[S].
    """
    fi: int256 = convert(e.f, int256)
    ki: int256 = convert(strike, int256)
    li: int256 = convert(e.lo, int256)
    ui: int256 = convert(e.hi, int256)
    si: int256 = convert(e.s, int256)
    phl: int256 = convert(e.pl.phi, int256)
    pha: int256 = convert(pa.phi, int256)
    phu: int256 = convert(e.pu.phi, int256)
    # unchecked: prices < 2**128 (asserted by `_ends`/`_at`) times Phi, G <= 1e18 give terms
    # below 2**188, and five such terms stay far inside int256
    gu: int256 = convert(e.pu.g, int256)
    up: int256 = unsafe_sub(IWAD, phu)
    call: int256 = unsafe_add(unsafe_mul(unsafe_sub(fi, ki), unsafe_sub(phu, pha)), unsafe_mul(si, unsafe_sub(convert(pa.g, int256), gu)))
    if li > ki:
        call = unsafe_add(call, unsafe_mul(unsafe_sub(li, ki), phl))
    if ui > ki:
        call = unsafe_add(call, unsafe_mul(unsafe_sub(ui, ki), up))
    es: int256 = unsafe_add(unsafe_add(unsafe_mul(li, phl), unsafe_mul(fi, unsafe_sub(phu, phl))), unsafe_add(unsafe_mul(si, unsafe_sub(convert(e.pl.g, int256), gu)), unsafe_mul(ui, up)))
    return call, es


@internal
@pure
def _floor_wad(x: int256) -> int256:
    """
    @notice floor(x / WAD) for signed x (Vyper's // truncates toward zero).
    """
    q: int256 = unsafe_div(x, IWAD)
    if x < 0 and unsafe_mul(q, IWAD) != x:
        q = unsafe_sub(q, 1)
    return q


@internal
@pure
def _clip(x: int256, top: uint256) -> uint256:
    if x <= 0:
        return 0
    return min(convert(x, uint256), top)


@internal
@pure
def _price_at(kind: uint8, strike: uint256, e: Ends) -> uint256:
    """
    @notice `_price` with the series' shared Ends.
    """
    pa: Point = e.pl
    if kind != c.FUTURE:
        pa = self._at(strike, e)
    call_num: int256 = 0
    es_num: int256 = 0
    call_num, es_num = self._numerators(strike, e, pa)
    if kind == c.FUTURE:
        return min(max(self._clip(self._floor_wad(es_num), e.hi), e.lo), e.hi)
    if kind == c.CALL:
        top: uint256 = 0
        if e.hi > strike:
            top = e.hi - strike
        return self._clip(self._floor_wad(call_num), top)
    put_top: uint256 = 0
    if strike > e.lo:
        put_top = strike - e.lo
    put_num: int256 = unsafe_add(unsafe_sub(call_num, es_num), unsafe_mul(convert(strike, int256), IWAD))
    return self._clip(self._floor_wad(put_num), put_top)


@internal
@pure
def _price(kind: uint8, strike: uint256, forward: uint256, s: uint256, lo: uint256, hi: uint256) -> uint256:
    """
    @notice Model value per lot (raw units, no spread) of CALL, PUT or FUTURE (E[S]) on the
            clamped Student-t law; floor of the exact numerator, clipped to [0, max payoff].
    """
    assert strike < PACK_LIMIT, "pool: bad inputs"
    return self._price_at(kind, strike, self._ends(forward, s, lo, hi))


@internal
@pure
def _delta_at(kind: uint8, strike: uint256, e: Ends) -> int256:
    """
    @notice `_delta` with the series' shared Ends.
    """
    phl: int256 = convert(e.pl.phi, int256)
    phu: int256 = convert(e.pu.phi, int256)
    if kind == c.FUTURE:
        return phu - phl
    pha: int256 = convert(self._at(strike, e).phi, int256)
    if kind == c.CALL:
        return phu - pha
    return phl - pha


@internal
@pure
def _delta(kind: uint8, strike: uint256, forward: uint256, s: uint256, lo: uint256, hi: uint256) -> int256:
    """
    @notice dPrice/dF per lot, WAD: call Phi(u)-Phi(a), put -(Phi(a)-Phi(l)), future Phi(u)-Phi(l).
    """
    assert strike < PACK_LIMIT, "pool: bad inputs"
    return self._delta_at(kind, strike, self._ends(forward, s, lo, hi))


@internal
@pure
def _es_numerator(e: Ends) -> int256:
    """
    @notice The WAD-scaled exact numerator of E[S] (`_numerators`' second value); it does not
            depend on the strike, so a portfolio computes it once.
    """
    phl: int256 = convert(e.pl.phi, int256)
    phu: int256 = convert(e.pu.phi, int256)
    # unchecked: as `_numerators`
    return unsafe_add(
        unsafe_add(unsafe_mul(convert(e.lo, int256), phl), unsafe_mul(convert(e.f, int256), unsafe_sub(phu, phl))),
        unsafe_add(unsafe_mul(convert(e.s, int256), unsafe_sub(convert(e.pl.g, int256), convert(e.pu.g, int256))), unsafe_mul(convert(e.hi, int256), unsafe_sub(IWAD, phu))),
    )


@internal
@pure
def _option_price(kind: uint8, strike: uint256, e: Ends, es: int256) -> uint256:
    """
    @notice `_price_at` of a CALL or PUT (any other kind is a put), bit for bit, given the
            series' E[S] numerator `es` (`_es_numerator(e)`): the marking loop's per-leg price,
            `_price_from(kind, strike, e, es, _call_numerator(strike, e))`.
    """
    return self._price_from(kind, strike, e.lo, e.hi, es, self._call_numerator(strike, e))


@internal
@pure
def _call_numerator(strike: uint256, e: Ends) -> int256:
    """
    @notice The WAD-scaled exact call numerator of `strike` (`_numerators`' first value), z
            and Phi, G at a = z(clamp(K, L, U)) done in place. A call and a put of the same
            strike share it (the marking loop computes it once per strike).
    """
    assert strike < PACK_LIMIT, "pool: bad inputs"
    # a = z(clamp(K, L, U)) as `_z`: magnitude rounded DOWN, saturated at Z_SAT
    x: uint256 = min(max(strike, e.lo), e.hi)
    d: uint256 = 0
    if x >= e.f:
        d = unsafe_sub(x, e.f)
    else:
        d = unsafe_sub(e.f, x)
    m: uint256 = 0
    if d != 0:
        if d // (Z_SAT // WAD) >= e.s:
            m = Z_SAT
        else:
            m = unsafe_div(unsafe_mul(d, WAD), e.s)
    z: int256 = convert(m, int256)
    if x < e.f:
        z = -z
    pa: Point = self._point(z)
    fi: int256 = convert(e.f, int256)
    ki: int256 = convert(strike, int256)
    phu: int256 = convert(e.pu.phi, int256)
    # the call numerator as `_numerators` (unchecked, same bounds)
    num: int256 = unsafe_add(unsafe_mul(unsafe_sub(fi, ki), unsafe_sub(phu, convert(pa.phi, int256))), unsafe_mul(convert(e.s, int256), unsafe_sub(convert(pa.g, int256), convert(e.pu.g, int256))))
    if e.lo > strike:
        num = unsafe_add(num, unsafe_mul(unsafe_sub(convert(e.lo, int256), ki), convert(e.pl.phi, int256)))
    if e.hi > strike:
        num = unsafe_add(num, unsafe_mul(unsafe_sub(convert(e.hi, int256), ki), unsafe_sub(IWAD, phu)))
    return num


@internal
@pure
def _price_from(kind: uint8, strike: uint256, lo: uint256, hi: uint256, es: int256, call_num: int256) -> uint256:
    """
    @notice The CALL or PUT (any other kind) price of `strike` on [lo, hi] (the series'
            Ends) from its call numerator `call_num` (`_call_numerator(strike, e)`, strike
            < 2**128) and `es`: the put numerator by parity, floor (signed, DOWN), clip to
            [0, max payoff].
    """
    num: int256 = call_num
    top: uint256 = 0
    if kind == c.CALL:
        if hi > strike:
            top = unsafe_sub(hi, strike)
    else:
        num = unsafe_add(unsafe_sub(num, es), unsafe_mul(convert(strike, int256), IWAD))
        if strike > lo:
            top = unsafe_sub(strike, lo)
    # floor(num / WAD) (signed), clipped to [0, top]: 0 for num below one WAD (a floor <= 0),
    # else the quotient (num > 0: truncation is the floor)
    if num < IWAD:
        return 0
    return min(convert(unsafe_div(num, IWAD), uint256), top)
