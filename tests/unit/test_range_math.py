"""Range maths: contracts/modules/range_math.vy (through MathHarness) against rangebound.ranges.

Exact integer mirrors are compared bit for bit; the float references of the formulas (docs/architecture.md §4) are
compared to a stated tolerance (alpha: 1e-9 relative; EWMA: 1e-12 relative; suggested bounds:
equal, or one tick off where the float value sits on a tick boundary, and that rate is reported).
"""

from __future__ import annotations

import itertools
import math
import random
from decimal import Decimal, getcontext

import ape
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from rangebound.constants import WAD
from rangebound.models import ranges as rg

K, M, LAM = rg.K_WAD, rg.M_WAD, rg.LAMBDA_WAD
SETTINGS = settings(max_examples=60)

V_WAD = st.integers(min_value=10**12, max_value=10**16)  # daily variance 1e-6 .. 0.01
T_DAYS = st.integers(min_value=0, max_value=28)
TICK = st.sampled_from([1, 5, 10, 100, 10**4, 10**6])

if getcontext().prec < 60:  # noqa: PLR1730 -- vyper, once imported, forbids any assignment to its 78-digit context
    getcontext().prec = 60


HARNESS = "MathHarness"  # deployed by the `harness` fixture (tests/unit/conftest.py)


def exact_alpha(v: int, t: int) -> Decimal:
    """alpha with 60 significant digits."""
    vd = Decimal(v) / WAD
    return (Decimal("3.5") * (vd * t).sqrt()).exp() + Decimal("1.5") * vd


# ------------------------------------------------------------------ alpha


@SETTINGS
@given(v=V_WAD, t=T_DAYS)
def test_alpha__random__exact_mirror_and_float_within_1e_9(harness, v, t):
    a = harness.alpha(v, t, K, M)
    assert a == rg.alpha_wad(v, t)
    ref = rg.alpha(v / WAD, t)
    assert abs(a / WAD - ref) / ref < 1e-9
    # rounded up: never narrower than the exact value, and only by a hair wider
    exact = exact_alpha(v, t) * WAD
    assert Decimal(a) >= exact
    assert (Decimal(a) - exact) / exact < Decimal("1e-16")


def test_alpha__t_zero__is_one_plus_m_v(harness):
    assert harness.alpha(10**14, 0, K, M) == WAD + 15 * 10**13
    assert harness.alpha(0, 28, K, M) == WAD
    assert harness.alpha(3, 0, K, M) == WAD + 5  # 1.5 * 3 = 4.5 rounded up


def test_alpha__design_scale__four_weeks_at_2pct_daily_vol(harness):
    # 2 % daily volatility, 28 days: 3.5 * sqrt(0.0004 * 28) = 0.3704 -> alpha ~ 1.4484
    a = harness.alpha(4 * 10**14, 28, K, M) / WAD
    assert a == pytest.approx(math.exp(3.5 * math.sqrt(0.0004 * 28)) + 0.0006, rel=1e-12)
    assert 1.44 < a < 1.46


# ------------------------------------------------------------------ suggested bounds


@SETTINGS
@given(
    p_ticks=st.integers(min_value=1, max_value=10**7),
    tick=TICK,
    v=V_WAD,
    t=T_DAYS,
)
def test_suggested_bounds__random__exact_mirror_on_tick_and_around_p(harness, p_ticks, tick, v, t):
    p = p_ticks * tick
    a = harness.alpha(v, t, K, M)
    lo, hi = harness.suggested_bounds(p, a, tick)
    assert (lo, hi) == rg.suggested_bounds_wad(p, a, tick)
    assert lo % tick == 0 and hi % tick == 0
    assert tick <= lo <= p < hi
    # never narrower than exact: lo <= p / alpha_exact, hi >= p * alpha_exact
    exact = exact_alpha(v, t)
    assert Decimal(lo) <= max(Decimal(p) / exact, Decimal(tick))
    assert Decimal(hi) >= Decimal(p) * exact
    # and at most one tick wider than that on each side (ranges stay tight)
    assert Decimal(lo) > Decimal(p) / exact - tick
    assert Decimal(hi) < Decimal(p) * exact + tick


def test_suggested_bounds__at_least_one_tick(harness):
    a = harness.alpha(10**16, 28, K, M)  # ~ 6.3
    assert tuple(harness.suggested_bounds(5, a, 5)) == (5, 35)
    with ape.reverts("range: zero tick"):
        harness.suggested_bounds(5, a, 0)


def test_suggested_bounds__float_reference__off_by_one_tick_rate(harness):
    """Contract vs the float formula: equal, or one tick off on a tick boundary; report the rate.

    On chain: a fixed pseudo-random sample. Off chain: the bit-exact mirror on a larger sample,
    half of it with "round" inputs (t = 0, v a multiple of 1e-4, p a multiple of 10_000 ticks)
    where p * alpha / tick lands exactly on a tick and float error decides the side.
    """
    rnd = random.Random(20261122)

    def sample(round_inputs: bool) -> tuple[int, int, int, int]:
        tick = rnd.choice([1, 5, 10, 100, 10**4])
        if round_inputs:
            # p * (1 + 1.5 v) / tick is an integer whenever the two random factors' product is
            # even: exactly on a tick boundary, where float error decides the side
            return rnd.randint(1, 20) * 10_000 * tick, tick, rnd.randint(1, 100) * 10**14, 0
        return rnd.randint(1, 10**7) * tick, tick, rnd.randint(10**12, 10**16), rnd.randint(0, 28)

    def compare(p: int, tick: int, v: int, t: int, got: tuple[int, int]) -> int:
        ref = rg.suggested_bounds(p, v / WAD, t, tick)
        exact = exact_alpha(v, t)
        off = 0
        for side, (g, r) in enumerate(zip(got, ref, strict=True)):
            assert abs(g - r) <= tick, (p, tick, v, t, got, ref)
            if g != r:
                # only where the exact value sits within float error of a tick boundary, and
                # the contract is on the safe side of the exact value
                x = (Decimal(p) / exact if side == 0 else Decimal(p) * exact) / tick
                assert abs(x - x.to_integral_value()) < Decimal("1e-9"), (p, tick, v, t)
                assert g <= x * tick if side == 0 else g >= x * tick
                off += 1
        return off

    # (bounds compared, bounds one tick off) per (source, kind of input)
    counts = {(src, kind): [0, 0] for src in ("chain", "mirror") for kind in ("random", "round")}
    for i in range(120):
        p, tick, v, t = sample(i % 4 == 0)
        a = harness.alpha(v, t, K, M)
        c = counts["chain", "round" if i % 4 == 0 else "random"]
        c[0] += 2
        c[1] += compare(p, tick, v, t, tuple(harness.suggested_bounds(p, a, tick)))
    for i in range(20_000):
        p, tick, v, t = sample(i % 2 == 0)
        c = counts["mirror", "round" if i % 2 == 0 else "random"]
        c[0] += 2
        c[1] += compare(p, tick, v, t, rg.suggested_bounds_wad(p, rg.alpha_wad(v, t), tick))
    print("\nsuggested bounds one tick off the float reference (off/compared):")
    for (src, kind), (n, off) in counts.items():
        print(f"  {src:6} {kind:6} inputs: {off}/{n} = {off / n:.4%}")
    # generic inputs essentially never sit on a boundary; constructed boundaries often do
    for src in ("chain", "mirror"):
        n, off = counts[src, "random"]
        assert off <= 0.001 * n
        n, off = counts[src, "round"]
        assert off <= 0.25 * n


# ------------------------------------------------------------------ update_range


def test_update_range__suggested_inside__shrinks(harness):
    assert (
        tuple(harness.update_range(80, 120, 90, 110))
        == (90, 110)
        == rg.update_range((80, 120), (90, 110))
    )


def test_update_range__old_no_wider__keeps_old(harness):
    assert tuple(harness.update_range(90, 110, 95, 125)) == (90, 110)
    assert tuple(harness.update_range(90, 110, 70, 90)) == (90, 110)  # equal width, disjoint
    assert tuple(harness.update_range(90, 110, 85, 115)) == (90, 110)


def test_update_range__suggested_below__shifts_down_keeping_lower_edge(harness):
    assert tuple(harness.update_range(80, 120, 70, 90)) == (80, 100)
    assert rg.update_range_branch((80, 120), (70, 90))[1] == 3


def test_update_range__suggested_above__shifts_up_keeping_upper_edge(harness):
    assert tuple(harness.update_range(80, 120, 110, 130)) == (100, 120)
    assert rg.update_range_branch((80, 120), (110, 130))[1] == 4


def test_update_range__random__exact_inside_old_and_all_branches_hit(harness):
    seen: set[int] = set()
    pos = st.integers(min_value=1, max_value=1000)

    @SETTINGS
    @example(old_lo=80, old_w=40, shift=10, s_w=20, tick=1)  # 1: shrink
    @example(old_lo=90, old_w=20, shift=5, s_w=30, tick=1)  # 2: keep
    @example(old_lo=80, old_w=40, shift=-10, s_w=20, tick=1)  # 3: shift down
    @example(old_lo=80, old_w=40, shift=30, s_w=20, tick=1)  # 4: shift up
    @given(old_lo=pos, old_w=pos, shift=st.integers(-1000, 1000), s_w=pos, tick=TICK)
    def check(old_lo: int, old_w: int, shift: int, s_w: int, tick: int) -> None:
        s_lo = max(1, old_lo + shift)
        old = (old_lo * tick, (old_lo + old_w) * tick)
        sug = (s_lo * tick, (s_lo + s_w) * tick)
        got = tuple(harness.update_range(*old, *sug))
        ref, branch = rg.update_range_branch(old, sug)
        assert got == ref
        seen.add(branch)
        # the promise: the range never widens, so no requirement ever rises
        assert old[0] <= got[0] < got[1] <= old[1]
        assert got[0] % tick == 0 and got[1] % tick == 0
        if branch != 2:
            assert got[1] - got[0] == sug[1] - sug[0]

    check()
    assert seen == {1, 2, 3, 4}, f"branches hit: {sorted(seen)}"


# ------------------------------------------------------------------ log return and EWMA


@SETTINGS
@given(p_old=st.integers(min_value=1, max_value=10**15), ratio=st.floats(0.25, 4.0))
def test_log_return__random__exact_mirror_and_close_to_ln(harness, p_old, ratio):
    p_new = max(1, round(p_old * ratio))
    r = harness.log_return(p_new, p_old)
    assert r == rg.log_return_wad(p_new, p_old)
    assert abs(r / WAD - math.log(p_new / p_old)) < 1e-15 + 1e-17 * p_new / p_old
    assert (r > 0) == (p_new > p_old) and (r == 0) == (p_new == p_old)


def test_log_return__zero_price__reverts(harness):
    with ape.reverts("range: zero price"):
        harness.log_return(0, 100)
    with ape.reverts("range: zero price"):
        harness.log_return(100, 0)


@SETTINGS
@given(
    v=st.integers(min_value=10**12, max_value=10**16),
    r=st.integers(min_value=-(3 * 10**17), max_value=3 * 10**17),
)
def test_ewma__random__exact_mirror_and_float_within_1e_12(harness, v, r):
    v_min, v_max = 10**12, 10**16
    got = harness.ewma(v, r, LAM, v_min, v_max)
    assert got == rg.ewma_wad(v, r, LAM, v_min, v_max)
    ref = rg.ewma(v / WAD, r / WAD, 0.94, v_min / WAD, v_max / WAD)
    assert math.isclose(got / WAD, ref, rel_tol=1e-12)
    # rounded up: never below the exact value
    assert got * WAD * WAD >= min(LAM * v * WAD + (WAD - LAM) * r * r, v_max * WAD * WAD)


def test_ewma__clamps_exactly(harness):
    v_min, v_max = 10**12, 10**16
    assert harness.ewma(v_min, 0, LAM, v_min, v_max) == v_min  # 0.94 * v_min < v_min
    assert harness.ewma(v_max, 2 * 10**17, LAM, v_min, v_max) == v_max  # 20 % move
    assert harness.ewma(10**14, 0, LAM, v_min, v_max) == 94 * 10**12  # no rounding needed
    assert rg.ewma(1e-6, 0.0) == rg.V_MIN and rg.ewma(2e-2, 0.5) == rg.V_MAX
    with ape.reverts("range: lambda above 1"):
        harness.ewma(10**14, 0, WAD + 1, v_min, v_max)


# ------------------------------------------------------------------ strike grid


def check_grid(strikes: list[int], lo: int, hi: int, tick: int) -> None:
    assert len(strikes) <= rg.MAX_STRIKES
    assert strikes == sorted(set(strikes))
    assert all(lo < k < hi and k % tick == 0 for k in strikes)


@SETTINGS
@given(
    lo_ticks=st.integers(min_value=1, max_value=10**6),
    width_ticks=st.integers(min_value=1, max_value=2000),
    n=st.integers(min_value=0, max_value=50),
    tick=TICK,
)
def test_uniform_strikes__random__exact_mirror_inside_sorted_unique(
    harness, lo_ticks, width_ticks, n, tick
):
    lo, hi = lo_ticks * tick, (lo_ticks + width_ticks) * tick
    got = list(harness.uniform_strikes(lo, hi, n, tick))
    assert got == rg.uniform_strikes(lo, hi, n, tick)
    check_grid(got, lo, hi, tick)
    assert len(got) == min(n, width_ticks - 1)  # distinct whenever the range has room


def test_uniform_strikes__default_25__evenly_spaced(harness):
    got = list(harness.uniform_strikes(52_000, 78_000, 25, 10))
    assert got == [52_000 + i * 1_000 for i in range(1, 26)]
    assert list(harness.uniform_strikes(100, 105, 1, 1)) == [103]  # 102.5 rounds up
    with ape.reverts("range: too many strikes"):
        harness.uniform_strikes(100, 10_000, 51, 1)


def test_midpoints__enough_active__inserts_nothing(harness):
    strikes = rg.uniform_strikes(1_000, 2_000, 25, 1)
    assert list(harness.midpoints(strikes, 1_000, 2_000, 1)) == []


def test_midpoints__range_shrank_past_all_strikes__regains_twenty(harness):
    strikes = rg.uniform_strikes(1_000, 2_000, 25, 1)
    got = list(harness.midpoints(strikes, 1_001, 1_030, 1))  # no strike inside
    assert got == rg.midpoints(strikes, 1_001, 1_030, 1)
    assert len(got) == 20
    check_grid(got, 1_001, 1_030, 1)


def test_midpoints__narrow_range__stops_when_no_gap_wider_than_a_tick(harness):
    got = list(harness.midpoints([], 100, 104, 1))
    assert got == [101, 102, 103]  # every tick inside, then no gap is wider than one tick
    assert list(harness.midpoints([], 100, 110, 5)) == [105]


def test_midpoints__widest_gap_first_lowest_on_ties_midpoint_ties_down(harness):
    # inactive strikes below the range leave room for exactly one insertion (the MAX_STRIKES
    # cap), which shows which gap is chosen
    cases = [
        ([110, 120], 100, 140, [130]),  # gaps 10, 10, 20: the widest (upper edge gap)
        ([110, 130], 100, 140, [120]),  # gaps 10, 20, 10: the inner gap
        ([120], 100, 140, [110]),  # gaps 20, 20: the lower one
        ([], 100, 103, [101]),  # one edge-to-edge gap; midpoint 101.5 rounds down
    ]
    for active, lo, hi, expected in cases:
        strikes = list(range(1, rg.MAX_STRIKES - len(active))) + active
        assert rg.midpoints(strikes, lo, hi, 1) == expected
        assert list(harness.midpoints(strikes, lo, hi, 1)) == expected
    # without the cap the whole sequence matches the mirror
    assert list(harness.midpoints([10, 20], 0, 40, 1)) == rg.midpoints([10, 20], 0, 40, 1)


def test_midpoints__capped_at_64_strikes(harness):
    strikes = list(range(1, 61))  # 60 strikes, all at or below lo
    got = list(harness.midpoints(strikes, 60, 10_000, 1))
    assert len(got) == 4 and got == rg.midpoints(strikes, 60, 10_000, 1)
    check_grid(got, 60, 10_000, 1)


def test_midpoints__unsorted_input__reverts(harness):
    with ape.reverts("range: strikes not ascending"):
        harness.midpoints([20, 10], 0, 40, 1)
    with ape.reverts("range: strikes not ascending"):
        harness.midpoints([10, 10], 0, 40, 1)


@SETTINGS
@given(
    lo_ticks=st.integers(min_value=100, max_value=10**5),
    width_ticks=st.integers(min_value=2, max_value=3000),
    n=st.integers(min_value=20, max_value=50),
    tick=TICK,
    moves=st.lists(st.tuples(st.floats(0.0, 1.0), st.floats(0.0, 1.0)), min_size=1, max_size=3),
)
def test_midpoints__update_rounds__exact_mirror_inside_capped_sorted(
    harness, lo_ticks, width_ticks, n, tick, moves
):
    """List a grid, then shrink/shift the range a few times, inserting midpoints each round."""
    lo, hi = lo_ticks * tick, (lo_ticks + width_ticks) * tick
    strikes = rg.uniform_strikes(lo, hi, n, tick)
    for a, b in moves:
        # a new range inside the old one, on tick, at least one tick wide
        width = (hi - lo) // tick
        new_lo = lo + int(a * (width - 1)) * tick
        new_hi = new_lo + max(1, int(b * (hi - new_lo) // tick)) * tick
        lo, hi = new_lo, new_hi
        got = list(harness.midpoints(strikes, lo, hi, tick))
        assert got == rg.midpoints(strikes, lo, hi, tick)
        check_grid(got, lo, hi, tick)
        assert not set(got) & set(strikes)
        strikes = sorted(strikes + got)
        assert len(strikes) <= rg.MAX_STRIKES
        active = [k for k in strikes if lo < k < hi]
        points = [lo, *active, hi]
        saturated = all(y - x <= tick for x, y in itertools.pairwise(points))
        assert len(active) >= rg.MIN_ACTIVE_STRIKES or len(strikes) == rg.MAX_STRIKES or saturated
