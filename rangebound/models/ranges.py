"""Reference models of the range maths (docs/architecture.md §4, §5).

Two layers:

* float references, the formulas as docs/architecture.md §4 states them: ``alpha``, ``suggested_bounds``,
  ``ewma``;
* exact integer mirrors of ``contracts/modules/range_math.vy``, bit for bit, including snekmate's
  ``_wad_exp``, ``_wad_ln`` and ``_mul_div``: ``alpha_wad``, ``suggested_bounds_wad``,
  ``update_range``, ``log_return_wad``, ``ewma_wad``, ``uniform_strikes``, ``midpoints``.
  Off-chain code (keepers, quoting, demos) can use them to predict on-chain values exactly.

Rounding (see the contract's docstring): alpha is rounded up (the range is never narrower than the
exact formula), s_min rounds down and s_max up to the tick, the variance rounds up, uniform strikes
round to the nearest tick (ties up), inserted midpoints to the nearest tick (ties down). Midpoint
insertion counts the edge gaps (lower bound to the lowest active strike, highest active strike to
the upper bound) as gaps, so a range that shrank past its strikes can regain some.
"""

from __future__ import annotations

import itertools
import math

from rangebound.constants import (
    DAILY_VOL_MAX,
    DAILY_VOL_MIN,
    EXP_MARGIN_DIVISOR,
    LAMBDA,
    MAX_STRIKES,
    MAX_UNIFORM_STRIKES,
    MIN_ACTIVE_STRIKES,
    WAD,
    K,
    M,
)

V_MIN = DAILY_VOL_MIN**2  # daily variance floor of the default clamp (deploy_system's default)
V_MAX = DAILY_VOL_MAX**2  # daily variance cap of the default clamp (deploy_system's default)
K_WAD = 3_500_000_000_000_000_000
M_WAD = 1_500_000_000_000_000_000
LAMBDA_WAD = 940_000_000_000_000_000

_U256 = 2**256


# ------------------------------------------------------------------ float references


def alpha(v: float, t_days: float, k: float = K, m: float = M) -> float:
    """Range factor exp(k * sqrt(v * t)) + m * v, with v the daily variance."""
    return math.exp(k * math.sqrt(v * t_days)) + m * v


def suggested_bounds(p: int, v: float, t_days: float, tick: int) -> tuple[int, int]:
    """Float reference: (p / alpha down to tick, at least one tick; p * alpha up to tick)."""
    a = alpha(v, t_days)
    s_min = max(math.floor(p / a / tick) * tick, tick)
    s_max = math.ceil(p * a / tick) * tick
    return s_min, s_max


def ewma(
    v: float, r: float, lam: float = LAMBDA, v_min: float = V_MIN, v_max: float = V_MAX
) -> float:
    """Float reference of the variance update: lam * v + (1 - lam) * r^2, clamped."""
    return min(max(lam * v + (1.0 - lam) * r * r, v_min), v_max)


def update_range(old: tuple[int, int], suggested: tuple[int, int]) -> tuple[int, int]:
    """Daily keep-or-shrink update (exact; identical to the contract)."""
    return update_range_branch(old, suggested)[0]


def update_range_branch(
    old: tuple[int, int], suggested: tuple[int, int]
) -> tuple[tuple[int, int], int]:
    """``update_range`` plus which branch of the update rule (docs/architecture.md §4) ran: 1 shrink, 2 keep, 3 shift down, 4 up."""
    old_lo, old_hi = old
    s_lo, s_hi = suggested
    w = s_hi - s_lo
    if old_lo <= s_lo and old_hi >= s_hi:
        return (s_lo, s_hi), 1
    if old_hi - old_lo <= w:
        return (old_lo, old_hi), 2
    if old_lo > s_lo:
        return (old_lo, old_lo + w), 3
    return (old_hi - w, old_hi), 4


# ------------------------------------------------------------------ EVM / snekmate mirrors


def _wrap(x: int) -> int:
    """Two's complement wrap to int256 (Vyper ``unsafe_*`` on int256)."""
    x %= _U256
    return x - _U256 if x >= 2**255 else x


def _sdiv(a: int, b: int) -> int:
    """EVM signed division: truncates toward zero (Python ``//`` floors)."""
    q = abs(a) // abs(b)
    return q if (a >= 0) == (b > 0) else -q


def mul_div(x: int, y: int, d: int, roundup: bool) -> int:
    """snekmate ``_mul_div``: x * y / d in full precision, rounded up or down."""
    if d == 0:
        raise ZeroDivisionError("math: mul_div division by zero")
    q, rem = divmod(x * y, d)
    if roundup and rem:
        q += 1
    if q >= _U256:
        raise OverflowError("math: mul_div overflow")
    return q


def ceil_div(x: int, y: int) -> int:
    """snekmate ``_ceil_div``."""
    return -(-x // y)


def wad_exp(x: int) -> int:
    """snekmate ``_wad_exp`` (bit-exact): exp(x / 1e18) * 1e18."""
    if x <= -41_446_531_673_892_822_313:
        return 0
    if x >= 135_305_999_368_893_231_589:
        raise OverflowError("math: wad_exp overflow")
    ln2 = 54_916_777_467_707_473_351_141_471_128
    x = _sdiv(_wrap(x << 78), 5**18)
    k = _wrap(_sdiv(_wrap(x << 96), ln2) + 2**95) >> 96
    x = _wrap(x - _wrap(k * ln2))
    y = _wrap(x + 1_346_386_616_545_796_478_920_950_773_328)
    y = _wrap((_wrap(y * x) >> 96) + 57_155_421_227_552_351_082_224_309_758_442)
    p = _wrap(_wrap(y + x) - 94_201_549_194_550_492_254_356_042_504_812)
    p = _wrap((_wrap(p * y) >> 96) + 28_719_021_644_029_726_153_956_944_680_412_240)
    p = _wrap(_wrap(p * x) + (4_385_272_521_454_847_904_659_076_985_693_276 << 96))
    q = _wrap(x - 2_855_989_394_907_223_263_936_484_059_900)
    q = _wrap((_wrap(q * x) >> 96) + 50_020_603_652_535_783_019_961_831_881_945)
    q = _wrap((_wrap(q * x) >> 96) - 533_845_033_583_426_703_283_633_433_725_380)
    q = _wrap((_wrap(q * x) >> 96) + 3_604_857_256_930_695_427_073_651_918_091_429)
    q = _wrap((_wrap(q * x) >> 96) - 14_423_608_567_350_463_180_887_372_962_807_573)
    q = _wrap((_wrap(q * x) >> 96) + 26_449_188_498_355_588_339_934_803_723_976_023)
    r = _sdiv(p, q)
    scale = 3_822_833_074_963_236_453_042_738_258_902_158_003_155_416_615_667
    return ((r % _U256) * scale % _U256) >> (195 - k)


def wad_ln(x: int) -> int:
    """snekmate ``_wad_ln`` (bit-exact): ln(x / 1e18) * 1e18; 0 for x == 0."""
    if x < 0:
        raise ValueError("math: wad_ln undefined")
    if x == 0:
        return 0
    k = x.bit_length() - 1 - 96
    x = ((x << (159 - k)) % _U256) >> 159
    p = _wrap(x + 3_273_285_459_638_523_848_632_254_066_296)
    p = _wrap((_wrap(p * x) >> 96) + 24_828_157_081_833_163_892_658_089_445_524)
    p = _wrap((_wrap(p * x) >> 96) + 43_456_485_725_739_037_958_740_375_743_393)
    p = _wrap((_wrap(p * x) >> 96) - 11_111_509_109_440_967_052_023_855_526_967)
    p = _wrap((_wrap(p * x) >> 96) - 45_023_709_667_254_063_763_336_534_515_857)
    p = _wrap((_wrap(p * x) >> 96) - 14_706_773_417_378_608_786_704_636_184_526)
    p = _wrap(_wrap(p * x) - (795_164_235_651_350_426_258_249_787_498 << 96))
    q = _wrap(x + 5_573_035_233_440_673_466_300_451_813_936)
    q = _wrap((_wrap(q * x) >> 96) + 71_694_874_799_317_883_764_090_561_454_958)
    q = _wrap((_wrap(q * x) >> 96) + 283_447_036_172_924_575_727_196_451_306_956)
    q = _wrap((_wrap(q * x) >> 96) + 401_686_690_394_027_663_651_624_208_769_553)
    q = _wrap((_wrap(q * x) >> 96) + 204_048_457_590_392_012_362_485_061_816_622)
    q = _wrap((_wrap(q * x) >> 96) + 31_853_899_698_501_571_402_653_359_427_138)
    q = _wrap((_wrap(q * x) >> 96) + 909_429_971_244_387_300_277_376_558_375)
    r = _sdiv(p, q)
    c1 = 1_677_202_110_996_718_588_342_820_967_067_443_963_516_166
    c2 = 16_597_577_552_685_614_221_487_285_958_193_947_469_193_820_559_219_878_177_908_093_499_208_371
    c3 = 600_920_179_829_731_861_736_702_779_321_621_459_595_472_258_049_074_101_567_377_883_020_018_308
    return _wrap(_wrap(_wrap(r * c1) + _wrap(k * c2)) + c3) >> 174


# ------------------------------------------------------------------ exact contract mirrors


def alpha_wad(v: int, t_days: int, k: int = K_WAD, m: int = M_WAD) -> int:
    """``range_math._alpha``: WAD alpha, rounded up (isqrt up, k*sd up, exp + margin if arg>0)."""
    x = v * t_days * WAD
    sd = math.isqrt(x)
    if sd * sd < x:
        sd += 1
    arg = mul_div(k, sd, WAD, True)
    e = wad_exp(arg)
    if arg:
        e += e // EXP_MARGIN_DIVISOR + 1
    return e + mul_div(m, v, WAD, True)


def suggested_bounds_wad(p: int, alpha: int, tick: int) -> tuple[int, int]:
    """``range_math._suggested_bounds``: exact integer bounds from a WAD alpha."""
    s_min = max(mul_div(p, WAD, alpha, False) // tick * tick, tick)
    s_max = ceil_div(mul_div(p, alpha, WAD, True), tick) * tick
    return s_min, s_max


def log_return_wad(p_new: int, p_old: int) -> int:
    """``range_math._log_return``: ln(p_new / p_old) in WAD, ratio rounded away from 1."""
    if p_new <= 0 or p_old <= 0:
        raise ValueError("range: zero price")
    return wad_ln(mul_div(p_new, WAD, p_old, p_new > p_old))


def ewma_wad(v: int, r: int, lam: int = LAMBDA_WAD, v_min: int = 0, v_max: int = _U256 - 1) -> int:
    """``range_math._ewma``: ceil((lam*v*WAD + (WAD-lam)*r^2) / WAD^2), clamped."""
    if lam > WAD:
        raise ValueError("range: lambda above 1")
    v_new = ceil_div(lam * v * WAD + (WAD - lam) * r * r, WAD * WAD)
    if v_new < v_min:
        return v_min
    if v_new > v_max:
        return v_max
    return v_new


def uniform_strikes(lo: int, hi: int, n: int, tick: int) -> list[int]:
    """``range_math._uniform_strikes``: lo + i*(hi-lo)/(n+1), nearest tick (ties up), inside."""
    if n > MAX_UNIFORM_STRIKES or tick <= 0 or lo >= hi:
        raise ValueError("bad strike grid")
    d = n + 1
    out: list[int] = []
    for i in range(1, n + 1):
        num = lo * d + i * (hi - lo)
        k = (2 * num + d * tick) // (2 * d * tick) * tick
        if lo < k < hi and (not out or out[-1] != k):
            out.append(k)
    return out


def midpoints(strikes: list[int], lo: int, hi: int, tick: int) -> list[int]:
    """``range_math._midpoints``: strikes to insert so that MIN_ACTIVE_STRIKES are active.

    ``strikes`` is every strike of the series, strictly ascending. Gaps are taken between
    consecutive points of [lo, active strikes..., hi] (edge gaps included); the widest (lowest on
    ties) gets its midpoint rounded to the nearest tick (ties down), until MIN_ACTIVE_STRIKES (20)
    are active, the series holds MAX_STRIKES (64), or no gap is wider than one tick. Returned
    ascending.
    """
    if tick <= 0 or lo >= hi:
        raise ValueError("bad range")
    if any(b <= a for a, b in itertools.pairwise(strikes)):
        raise ValueError("range: strikes not ascending")
    active = [s for s in strikes if lo < s < hi]
    if len(active) >= MIN_ACTIVE_STRIKES:
        return []
    pts = [lo, *active, hi]
    new: list[int] = []
    while len(active) + len(new) < MIN_ACTIVE_STRIKES and len(strikes) + len(new) < MAX_STRIKES:
        j = max(range(1, len(pts)), key=lambda i: (pts[i] - pts[i - 1], -i))
        a, b = pts[j - 1], pts[j]
        if b - a <= tick:
            break
        mid = (a + b + tick - 1) // (2 * tick) * tick
        pts.insert(j, mid)
        new.append(mid)
    return sorted(new)
