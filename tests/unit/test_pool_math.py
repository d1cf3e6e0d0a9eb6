"""Pool quote maths: contracts/modules/pool_math.vy (through StudentTHarness) against its mirror
in rangebound.pool, bit for bit, and the properties of docs/architecture.md §15: the inventory integral
makes a round trip worth nothing before costs, and the per-lot rounding never lets a trader buy
back below what the pool pays on the same path."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from rangebound.constants import WAD
from rangebound.models import pool

SETTINGS = settings(max_examples=50)


HARNESS = "StudentTHarness"  # deployed by the `harness` fixture (tests/unit/conftest.py)


@st.composite
def trade(draw):
    depth = draw(st.integers(1, 10**9))
    qty = draw(st.integers(1, depth))
    is_buy = draw(st.booleans())
    # q0 such that both ends of the path stay within depth
    lo, hi = (qty - depth, depth) if is_buy else (-depth, depth - qty)
    q0 = draw(st.integers(lo, hi))
    m = draw(st.integers(0, 2**100))
    beta = draw(st.integers(0, WAD))
    markup = draw(st.integers(0, 6_500))
    return m, q0, qty, is_buy, beta, depth, markup


@SETTINGS
@given(args=trade(), tick=st.sampled_from([1, 100, 10**4, 10**16]), top=st.integers(1, 2**110))
def test_trade_value__random__contract_equals_mirror(harness, args, tick, top):
    value = harness.trade_value(*args)
    assert value == pool.trade_value(*args)
    qty, is_buy = args[2], args[3]
    top = max(top, tick)
    assert harness.lot_price(value, qty, is_buy, tick, top) == pool.lot_price(
        value, qty, is_buy, tick, top
    )


@SETTINGS
@given(base=st.integers(0, 1_000), util=st.integers(0, 5_000), u=st.integers(0, 10**19))
def test_spread_bps__random__contract_equals_mirror(harness, base, util, u):
    assert harness.spread_bps(base, util, u) == pool.spread_bps(base, util, u)


@settings(max_examples=400)
@given(args=trade(), tick=st.sampled_from([1, 100, 10**4]))
def test_trade_value__round_trip__buy_back_never_cheaper_than_sell(args, tick):
    m, q0, qty, is_buy, beta, depth, markup = args
    # the same path in both directions: buy moves q0 -> q0 - qty, sell moves q0 - qty -> q0
    start = q0 if is_buy else q0 + qty
    if start - qty < -depth or start > depth:
        return
    paid = pool.trade_value(m, start, qty, True, beta, depth, markup)
    received = pool.trade_value(m, start - qty, qty, False, beta, depth, markup)
    assert received <= paid
    top = 2**120
    assert pool.lot_price(received, qty, False, tick, top) <= pool.lot_price(
        paid, qty, True, tick, top
    )
    # before costs (markup 0) the two directions are the same integral, to rounding
    up = pool.trade_value(m, start, qty, True, beta, depth, 0)
    down = pool.trade_value(m, start - qty, qty, False, beta, depth, 0)
    assert 0 <= up - down <= 1


def test_trade_value__flat_inventory__linear_price():
    # q0 = 0, buy 10 of depth 100 with beta 0.5: mean price m (1 + 0.5 * 10 / 200) = 1.025 m
    assert pool.trade_value(10**8, 0, 10, True, WAD // 2, 100, 0) == 10 * 10**8 * 1025 // 1000
    # selling to a pool already long gets less: q from 50 to 60 -> m (1 - 0.5 * 110 / 200)
    assert pool.trade_value(10**8, 50, 10, False, WAD // 2, 100, 0) == 10 * 10**8 * 725 // 1000


def test_lot_price__clips__one_tick_and_max_payoff(harness):
    assert harness.lot_price(0, 5, True, 100, 10**6) == 100
    assert harness.lot_price(0, 5, False, 100, 10**6) == 100
    assert harness.lot_price(10**12, 5, True, 100, 10**6) == 10**6
    assert harness.lot_price(501, 5, True, 100, 10**6) == 200  # ceil(100.2) = 101 -> 200
    assert harness.lot_price(999, 5, False, 100, 10**6) == 100  # floor(199.8) = 199 -> 100
