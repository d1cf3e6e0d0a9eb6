"""Student-t (nu = 4) pool maths: contracts/modules/student_t.vy (through StudentTHarness)
against its bit-exact mirror rangebound.pool, and the mirror against rangebound.quant.pricing.

- contract == mirror on hypothesis and on a seeded batch of random inputs: 0 mismatches;
- mirror vs pricing.clamped_t(..., dof=4) (float, closed form): |diff| <= 1e-9 relative, or
  at most 2 raw units where the price is that small (the mirror floors to an integer);
- put-call parity on the clamped law: C - P - (E[S] - K) in {-1, 0, 1} (one floor each).
"""

from __future__ import annotations

import random

import ape
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rangebound.constants import CALL, FUTURE, PUT, WAD
from rangebound.models import pool
from rangebound.quant import pricing

SETTINGS = settings(max_examples=50)
UNIT = st.sampled_from([10**6, 10**18])  # raw units per USD1 (6 and 18 decimals)


HARNESS = "StudentTHarness"  # deployed by the `harness` fixture (tests/unit/conftest.py)


@st.composite
def market(draw):
    """(kind, strike, forward, scale, lo, hi): a range around a price, any strike, any scale."""
    unit = draw(UNIT)
    p = draw(st.integers(min_value=10, max_value=200_000)) * unit
    lo = p * draw(st.integers(min_value=1, max_value=999)) // 1000
    hi = p * draw(st.integers(min_value=1001, max_value=5000)) // 1000
    forward = draw(st.integers(min_value=lo // 2, max_value=hi * 2))  # clamped inside
    strike = draw(st.integers(min_value=lo * 9 // 10, max_value=hi * 11 // 10))
    s = draw(st.one_of(st.just(0), st.integers(1, 1000), st.integers(1, hi - lo)))
    kind = draw(st.sampled_from([FUTURE, CALL, PUT]))
    return kind, strike, forward, s, lo, hi


def random_inputs(rng: random.Random) -> tuple[int, ...]:
    unit = rng.choice([10**6, 10**18])
    p = rng.randint(10, 200_000) * unit
    lo, hi = p * rng.randint(500, 990) // 1000, p * rng.randint(1010, 2000) // 1000
    forward = rng.randint(lo, hi)
    strike = rng.randint(lo * 95 // 100, hi * 105 // 100)
    s = rng.choice([0, rng.randint(1, 10**4), rng.randint(1, hi - lo)])
    return rng.choice([FUTURE, CALL, PUT]), strike, forward, s, lo, hi


# ------------------------------------------------------------------ contract == mirror


@SETTINGS
@given(args=market())
def test_price__random__contract_equals_mirror(harness, args):
    assert harness.price(*args) == pool.price(*args)
    assert harness.delta(*args) == pool.delta(*args)


@SETTINGS
@given(z=st.one_of(st.integers(-(10**25), 10**25), st.integers(-(10**19), 10**19)))
def test_phi_g__random__contract_equals_mirror(harness, z):
    phi, g = harness.phi_g(z)
    assert (phi, g) == pool.phi_g(z)
    assert 0 <= phi <= WAD
    assert 0 <= g <= WAD // 2


@SETTINGS
@given(
    forward=st.integers(1, 2**100),
    w=st.integers(0, 10 * WAD),
    v=st.integers(0, 10**17),
    tau=st.integers(0, 28 * 86_400),
)
def test_scale__random__contract_equals_mirror(harness, forward, w, v, tau):
    assert harness.scale(forward, w, v, tau) == pool.scale(forward, w, v, tau)


def test_price__seeded_batch_of_300__zero_mismatches(harness):
    rng = random.Random(15)
    mismatches = 0
    for _ in range(300):
        args = random_inputs(rng)
        if harness.price(*args) != pool.price(*args) or harness.delta(*args) != pool.delta(*args):
            mismatches += 1
    assert mismatches == 0


# ------------------------------------------------------------------ mirror vs float reference


def test_price__mirror_vs_clamped_t__within_1e_9_relative():
    # the mirror floors to whole raw units, so one unit of the difference is the floor; the rest
    # must be within 1e-9 relative wherever the price is at least 1e-6 of the upper bound (the
    # float reference itself carries ~1e-16 of the bound in cancellation noise)
    rng = random.Random(4)
    worst, checked = 0.0, 0
    for _ in range(400):
        unit = rng.choice([10**6, 10**18])
        p = rng.randint(1_000, 200_000) * unit
        lo, hi = p * rng.randint(500, 950) // 1000, p * rng.randint(1050, 2000) // 1000
        forward = rng.randint(lo, hi)
        strike = rng.randint(lo, hi)
        s = rng.randint((hi - lo) // 1000, hi - lo)  # |z| well inside the saturation
        for kind, name in ((CALL, "call"), (PUT, "put")):
            got = pool.price(kind, strike, forward, s, lo, hi)
            ref = pricing.clamped_t(name, strike, forward, s, 4, lo, hi)
            err = max(abs(got - ref) - 1, 0.0)
            assert err <= 1e-9 * ref + 1e-15 * hi, (kind, strike, forward, s, lo, hi, got, ref)
            if ref >= 1e-6 * hi:
                worst, checked = max(worst, err / ref), checked + 1
    assert checked > 500
    assert worst < 1e-9


def test_price__mirror_vs_clamped_t__design_example():
    # BTC at 100,000 USD1 per lot (6 decimals), range 80k..125k, s = 3,000
    f, lo, hi, s = 100_000 * 10**6, 80_000 * 10**6, 125_000 * 10**6, 3_000 * 10**6
    for k in (85_000 * 10**6, 100_000 * 10**6, 110_000 * 10**6):
        for kind, name in ((CALL, "call"), (PUT, "put")):
            ref = pricing.clamped_t(name, k, f, s, 4, lo, hi)
            assert abs(pool.price(kind, k, f, s, lo, hi) - ref) <= max(1e-9 * ref, 1.0)


# ------------------------------------------------------------------ parity and limits


@settings(max_examples=300)
@given(args=market())
def test_price__random__put_call_parity_exact_to_rounding(args):
    _, strike, forward, s, lo, hi = args
    c = pool.price(CALL, strike, forward, s, lo, hi)
    p = pool.price(PUT, strike, forward, s, lo, hi)
    es = pool.price(FUTURE, strike, forward, s, lo, hi)
    assert lo <= es <= hi
    assert 0 <= c <= max(hi - strike, 0)
    assert 0 <= p <= max(strike - lo, 0)
    if lo < strike < hi and 0 < c < hi - strike and 0 < p < strike - lo:  # no clip applied
        assert c - p - (es - strike) in (-1, 0, 1)
    dc, dp = (
        pool.delta(CALL, strike, forward, s, lo, hi),
        pool.delta(PUT, strike, forward, s, lo, hi),
    )
    assert dc - dp == pool.delta(FUTURE, strike, forward, s, lo, hi)  # parity of deltas, exact


def test_price__seeded_batch__contract_parity_within_one_unit(harness):
    rng = random.Random(44)
    for _ in range(30):
        _, strike, forward, s, lo, hi = random_inputs(rng)
        strike = min(max(strike, lo + 1), hi - 1)
        c, p = (
            harness.price(CALL, strike, forward, s, lo, hi),
            harness.price(PUT, strike, forward, s, lo, hi),
        )
        es = harness.price(FUTURE, strike, forward, s, lo, hi)
        if 0 < c < hi - strike and 0 < p < strike - lo:
            assert c - p - (es - strike) in (-1, 0, 1)


def test_phi_g__symmetry_and_centre__exact(harness):
    assert harness.phi_g(0) == (WAD // 2, WAD // 2)  # Phi(0) = 1/2, G(0) = 4 / 8
    for z in (1, 10**17, 3 * 10**18, 10**21, 10**24 - 1):
        (pp, gp), (pn, gn) = harness.phi_g(z), harness.phi_g(-z)
        assert pp + pn == WAD and gp == gn


def test_phi_g__at_saturation__limits(harness):
    assert harness.phi_g(10**24) == (WAD, 0)
    assert harness.phi_g(-(10**24)) == (0, 0)
    assert harness.phi_g(2**255 - 1) == (WAD, 0)
    assert harness.phi_g(-(2**255) + 1) == (0, 0)


def test_price__zero_scale__intrinsic_of_clamped_forward(harness):
    lo, hi = 80 * 10**6, 125 * 10**6
    for f in (70 * 10**6, 90 * 10**6, 130 * 10**6):
        fc = min(max(f, lo), hi)
        for k in (75 * 10**6, 100 * 10**6, 140 * 10**6):
            assert harness.price(CALL, k, f, 0, lo, hi) == max(fc - k, 0)
            assert harness.price(PUT, k, f, 0, lo, hi) == max(k - fc, 0)
        assert harness.price(FUTURE, 0, f, 0, lo, hi) == fc


def test_price__largest_inputs__no_overflow(harness):
    top = 2**128 - 1
    for s in (1, 2**64, top):
        for kind in (FUTURE, CALL, PUT):
            args = (kind, top // 2, top // 3, s, 1, top)
            assert harness.price(*args) == pool.price(*args)
            assert harness.delta(*args) == pool.delta(*args)


def test_price__input_at_2_128__reverts(harness):
    with ape.reverts("pool: bad inputs"):
        harness.price(CALL, 10, 10, 1, 1, 2**128)
    with pytest.raises(ValueError, match="pool: bad inputs"):
        pool.price(CALL, 10, 10, 1, 1, 2**128)


def test_price__strike_outside_range__clamped_payoffs(harness):
    f, lo, hi, s = 100 * 10**6, 80 * 10**6, 125 * 10**6, 5 * 10**6
    es = harness.price(FUTURE, 0, f, s, lo, hi)
    assert harness.price(CALL, 70 * 10**6, f, s, lo, hi) == es - 70 * 10**6
    assert harness.price(PUT, 70 * 10**6, f, s, lo, hi) == 0
    assert harness.price(CALL, 130 * 10**6, f, s, lo, hi) == 0
    # K - E[S] from the exact numerator: floor(K - E) = K - ceil(E)
    assert harness.price(PUT, 130 * 10**6, f, s, lo, hi) in (130 * 10**6 - es, 130 * 10**6 - es - 1)
