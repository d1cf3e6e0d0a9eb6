"""student_t._option_price (the pool's marking loop: one call per option leg, E[S]'s numerator
computed once per series) against the mirror's `price`: bit for bit on hypothesis and on a
seeded batch, calls and puts, strikes inside and outside the range, s = 0 included."""

from __future__ import annotations

import random

from hypothesis import given, settings
from hypothesis import strategies as st

from rangebound.constants import CALL, PUT
from rangebound.models import pool

HARNESS = "StudentTHarness"  # deployed by the `harness` fixture (tests/unit/conftest.py)


@st.composite
def option(draw):
    unit = draw(st.sampled_from([10**6, 10**18]))
    p = draw(st.integers(min_value=10, max_value=200_000)) * unit
    lo = p * draw(st.integers(min_value=1, max_value=999)) // 1000
    hi = p * draw(st.integers(min_value=1001, max_value=5000)) // 1000
    forward = draw(st.integers(min_value=lo // 2, max_value=hi * 2))
    strike = draw(st.integers(min_value=max(1, lo * 9 // 10), max_value=hi * 11 // 10))
    s = draw(st.one_of(st.just(0), st.integers(1, 1000), st.integers(1, hi - lo)))
    return draw(st.sampled_from([CALL, PUT])), strike, forward, s, lo, hi


@settings(max_examples=40)
@given(args=option())
def test_option_price__random_options__equals_mirror_price(harness, args):
    assert harness.option_price(*args) == pool.price(*args)


def test_option_price__seeded_batch__zero_mismatches(harness):
    rng = random.Random(15)
    mismatches = []
    for _ in range(60):
        unit = rng.choice([10**6, 10**18])
        p = rng.randint(10, 200_000) * unit
        lo, hi = p * rng.randint(500, 990) // 1000, p * rng.randint(1010, 2000) // 1000
        args = (rng.choice([CALL, PUT]), rng.randint(lo * 95 // 100, hi * 105 // 100),
                rng.randint(lo, hi), rng.choice([0, rng.randint(1, 10**4), rng.randint(1, hi - lo)]),
                lo, hi)
        if harness.option_price(*args) != pool.price(*args):
            mismatches.append(args)
    assert mismatches == []
