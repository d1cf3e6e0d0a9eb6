"""Margin maths: the Vyper module (through MarginHarness) vs the Python reference vs a brute-force
scan of every tick in the range. Prices, strikes and bounds are raw units per lot on a tick grid,
so Loss is linear between grid points and the scan is exact."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rangebound.constants import CALL, PUT
from rangebound.models import margin

HARNESS = "MarginHarness"  # deployed by the `harness` fixture (tests/unit/conftest.py)


def brute_force(n: int, cost: int, options, lo: int, hi: int, tick: int) -> int:
    """max(0, max Loss) over every tick of [lo, hi]."""
    return max(0, max(margin.loss(s, n, cost, options) for s in range(lo, hi + 1, tick)))


def _legs(options):
    return [(kind, strike, qty) for kind, strike, qty in options]


# ------------------------------------------------------------------ named cases


def test_requirement__long_105_short_106_same_expiry__needs_nothing(harness):
    # futures: long 1 at 105, short 1 at 106 -> n = 0, C = 105 - 106 = -1 (a locked gain)
    n, cost = 0, 105 - 106
    assert harness.requirement(n, cost, [], 90, 120) == 0
    assert margin.requirement(n, cost, [], 90, 120) == 0
    assert harness.loss(n, cost, [], 100) == -1


def test_requirement__call_spread__needs_its_width(harness):
    # short call 100, long call 105, 3 lots: worst case the width, 3 * 5
    options = [(CALL, 100, -3), (CALL, 105, 3)]
    assert harness.requirement(0, 0, _legs(options), 90, 120) == 15
    assert margin.requirement(0, 0, options, 90, 120) == 15
    # the bull spread (long the lower strike) needs nothing: its premium was paid
    bull = [(CALL, 100, 3), (CALL, 105, -3)]
    assert harness.requirement(0, 0, _legs(bull), 90, 120) == 0


def test_requirement__put_spread__needs_its_width(harness):
    options = [(PUT, 110, -2), (PUT, 100, 2)]
    assert harness.requirement(0, 0, _legs(options), 90, 120) == 20


def test_requirement__covered_call__needs_its_max_loss(harness):
    # long future at 100, short call 105, range [90, 120]: worst at L, 100 - 90 = 10
    options = [(CALL, 105, -1)]
    assert harness.requirement(1, 100, _legs(options), 90, 120) == 10
    assert margin.requirement(1, 100, options, 90, 120) == 10
    # a naked short call needs U - K = 15
    assert harness.requirement(0, 0, _legs(options), 90, 120) == 15


def test_requirement__stand_alone_table(harness):
    lo, hi = 90, 120
    assert harness.requirement(1, 100, [], lo, hi) == 100 - lo  # long future P - L
    assert harness.requirement(-1, -100, [], lo, hi) == hi - 100  # short future U - P
    assert harness.requirement(0, 0, [(CALL, 100, 1)], lo, hi) == 0  # long option: premium paid
    assert harness.requirement(0, 0, [(CALL, 100, -1)], lo, hi) == hi - 100
    assert harness.requirement(0, 0, [(PUT, 100, -1)], lo, hi) == 100 - lo
    # strikes outside the range: deep in the money all the way, or never
    assert harness.requirement(0, 0, [(CALL, 80, -1)], lo, hi) == hi - 80
    assert harness.requirement(0, 0, [(CALL, 130, -1)], lo, hi) == 0
    assert harness.requirement(0, 0, [(PUT, 130, -1)], lo, hi) == 130 - lo
    assert harness.requirement(0, 0, [(PUT, 80, -1)], lo, hi) == 0


def test_requirement__peak_at_inside_strike(harness):
    # a long straddle at 100 financed by short calls at 95 and 105: Loss is not monotone and
    # its maximum is at an inside strike, which the sweep must find
    options = [(CALL, 100, 2), (PUT, 100, 2), (CALL, 95, -2), (CALL, 105, -2)]
    want = brute_force(0, 0, options, 90, 120, 1)
    assert harness.requirement(0, 0, _legs(options), 90, 120) == want
    assert want > 0


def test_requirement__settled_range_is_a_point(harness):
    options = [(CALL, 100, -1), (PUT, 110, 1)]
    for s in (90, 100, 105, 120):
        want = max(0, margin.loss(s, 1, 104, options))
        assert harness.requirement(1, 104, _legs(options), s, s) == want


def test_requirement__32_legs_unsorted(harness):
    options = [((i % 2) + 1, 90 + (i * 7) % 31, (-1) ** i * (i + 1)) for i in range(32)]
    want = brute_force(3, 310, options, 88, 122, 1)
    assert harness.requirement(3, 310, _legs(options), 88, 122) == want
    assert margin.requirement(3, 310, options, 88, 122) == want


def test_requirement__bad_bounds_or_quantity__reverts(harness):
    import ape

    with ape.reverts("clearinghouse: bad bounds"):
        harness.requirement(0, 0, [], 5, 4)
    with ape.reverts("clearinghouse: bad bounds"):
        harness.requirement(0, 0, [], 0, 2**128)
    with ape.reverts("clearinghouse: bad quantity"):
        harness.requirement(0, 0, [(CALL, 5, -(2**127))], 1, 10)


MAG = 2**64          # |qty| and |n| bound of the unchecked sums (margin_math.MAG_LIMIT)
COST = 2**192        # |cost| bound (margin_math.COST_BOUND)
TOP = 2**128         # bounds and strikes bound (margin_math.PACK_LIMIT)


@pytest.mark.parametrize("sign", [1, -1])
def test_max_loss__every_magnitude_at_its_bound__exact(harness, sign):
    """The largest magnitudes `_max_loss` accepts, all at once and 32 legs deep (calls in the
    money, puts above the range, kinks inside): the unchecked sums equal the reference."""
    lo, hi = 1, TOP - 1
    q = sign * (MAG - 1)
    options = []
    for i in range(8):
        options += [(CALL, 1 + i, q), (PUT, TOP - 1 - i, -q), (CALL, TOP // 2 + i, q),
                    (PUT, TOP // 4 + i, -q)]
    n, cost = -sign * (MAG - 1), sign * (COST - 1)
    want = max(margin.loss(s, n, cost, options) for s in [lo, hi] + [k for _, k, _ in options])
    assert harness.max_loss(n, cost, _legs(options), lo, hi) == want
    assert harness.requirement(n, cost, _legs(options), lo, hi) == max(0, want)


# (n, cost, legs) one past a bound, then the same one less: (outside the range too for qty)
PAST_AND_INSIDE = {
    "n": ((MAG, 0, []), (MAG - 1, 0, [])),
    "-n": ((-MAG, 0, []), (-MAG + 1, 0, [])),
    "cost": ((0, COST, []), (0, COST - 1, [])),
    "-cost": ((0, -COST, []), (0, -COST + 1, [])),
    "qty": ((0, 0, [(CALL, 5, MAG)]), (0, 0, [(CALL, 5, MAG - 1)])),
    "-qty": ((0, 0, [(PUT, 5, -MAG)]), (0, 0, [(PUT, 5, -MAG + 1)])),
    "strike": ((0, 0, [(PUT, TOP, 1)]), (0, 0, [(PUT, TOP - 1, 1)])),
}


@pytest.mark.parametrize("bound", list(PAST_AND_INSIDE))
def test_max_loss__one_past_a_bound__reverts_bad_quantity(harness, bound):
    import ape

    past, inside = PAST_AND_INSIDE[bound]
    with ape.reverts("clearinghouse: bad quantity"):
        harness.max_loss(*past, 10, 20)
    harness.max_loss(*inside, 10, 20)              # one less is accepted


def test_requirement__gas_grows_with_legs(harness, deployer):
    """Margin check cost vs option legs, sorted (as the Clearinghouse stores legs) and in the
    insertion sort's worst order (printed for the benchmark)."""
    out = {}
    for order in ("sorted", "reversed"):
        for count in (0, 8, 16, 32):
            options = [((i % 2) + 1, 90 + i, (-1) ** i) for i in range(count)]
            if order == "reversed":
                options.reverse()
            tx = harness.requirement.transact(1, 100, _legs(options), 80, 131, sender=deployer)
            out[(order, count)] = tx.gas_used
    print("margin requirement gas (order, legs) -> gas:", out)
    assert out[("sorted", 32)] < out[("reversed", 32)] < 300_000


# ------------------------------------------------------------------ differential


@st.composite
def portfolios(draw):
    tick = draw(st.sampled_from([1, 10_000, 10**16]))  # 6 and 18 decimal scales
    lo_t = draw(st.integers(min_value=1, max_value=40))
    width = draw(st.integers(min_value=0, max_value=40))
    hi_t = lo_t + width
    n = draw(st.integers(min_value=-50, max_value=50))
    entry = draw(st.integers(min_value=lo_t, max_value=hi_t))
    extra = draw(st.integers(min_value=-200, max_value=200))  # other fills, locked P&L
    cost = (n * entry + extra) * tick
    legs = draw(
        st.lists(
            st.tuples(
                st.sampled_from([CALL, PUT]),
                st.integers(min_value=max(1, lo_t - 5), max_value=hi_t + 5),
                st.integers(min_value=-30, max_value=30).filter(lambda q: q != 0),
            ),
            max_size=12,
        )
    )
    options = [(k, s * tick, q) for k, s, q in legs]
    return tick, n, cost, options, lo_t * tick, hi_t * tick


@settings(max_examples=100)
@given(p=portfolios())
def test_requirement__harness_reference_brute_force_agree(harness, p):
    tick, n, cost, options, lo, hi = p
    scan = brute_force(n, cost, options, lo, hi, tick)
    assert margin.requirement(n, cost, options, lo, hi) == scan
    assert harness.requirement(n, cost, _legs(options), lo, hi) == scan
    worst = max(margin.loss(s, n, cost, options) for s in range(lo, hi + 1, tick))
    assert harness.max_loss(n, cost, _legs(options), lo, hi) == worst


@settings(max_examples=40)
@given(p=portfolios(), data=st.data())
def test_loss__harness_matches_reference(harness, p, data):
    tick, n, cost, options, lo, hi = p
    s = data.draw(st.integers(min_value=lo // tick, max_value=hi // tick)) * tick
    assert harness.loss(n, cost, _legs(options), s) == margin.loss(s, n, cost, options)
    assert margin.pnl(s, n, cost, options) == -margin.loss(s, n, cost, options)


def test_reference__standalone_matches_requirement():
    lo, hi = 90, 120
    for kind, strike in ((0, 0), (CALL, 100), (PUT, 100), (CALL, 130), (PUT, 80)):
        for is_buy in (True, False):
            price = 100 if kind == 0 else 3
            worst = margin.standalone(kind, strike, is_buy, price, lo, hi)
            q = 1 if is_buy else -1
            if kind == 0:
                req = margin.requirement(q, q * price, [], lo, hi)
            else:
                req = margin.requirement(0, 0, [(kind, strike, q)], lo, hi)
                if is_buy:
                    req += price  # the premium is paid, not margined
            assert worst == req
    assert margin.fee(10_001, 5) == 6 and margin.fee(10_000, 5) == 5 and margin.fee(0, 5) == 0
