"""SeriesRegistry trading views: six series listed around the index, `strike_active` as grid
membership, reduce-only following the peg, `trading_state` agreeing with the single views,
`record_fills` only from the order book."""

from __future__ import annotations

import ape
from helpers import next_update, push_prices

from rangebound.constants import DAY
from rangebound.dev.node import warp
from rangebound.models import calendar as cal
from rangebound.ops.deploy import feed_answer, report


def test_deploy__six_series_listed_around_index(registry, sys_, chain):
    now = chain.blocks.head.timestamp
    live = list(registry.live_expiries())
    assert live == cal.live_expiries(now)
    assert list(registry.listed_expiries()) == live
    idx = sys_.usd(100)  # 0.001 BTC at 100,000 USD
    for e in live:
        lo, hi = registry.bounds(e)
        assert lo < idx < hi
        assert lo % registry.tick() == 0 and hi % registry.tick() == 0
        ks = list(registry.strikes(e))
        assert len(ks) == 25 and ks == sorted(ks)
        assert all(registry.strike_active(e, k) for k in ks[:3])


def test_record_fills__stranger__reverts(registry, stranger):
    e = registry.live_expiries()[0]
    with ape.reverts("registry: not order book"):
        registry.record_fills(e, 100, 1, sender=stranger)


def test_reduce_only__follows_peg(registry, sys_, chain):
    assert not registry.reduce_only()
    report(sys_.feeds["USD1/USD"], sys_.deployer, 0.98)
    assert not registry.reduce_only()
    report(sys_.feeds["USD1/USD"], sys_.deployer, 0.88)
    assert registry.reduce_only()
    report(sys_.feeds["USD1/USD"], sys_.deployer, 0.5)
    assert registry.reduce_only()
    feed = sys_.feeds["USD1/USD"]
    for p in (0.7, 0.95, 1.0):
        feed.submit(feed.latest_round() + 1, feed_answer(p), sender=sys_.deployer)
    assert not registry.reduce_only()


def test_strike_active__matches_grid_membership(registry):
    tick = registry.tick()
    for e in list(registry.listed_expiries())[:3]:
        lo, hi = registry.bounds(e)
        grid = list(registry.strikes(e))
        for k in grid:
            assert registry.strike_active(e, k) == (lo < k < hi)
            for off in (k - tick, k + tick):
                if off not in grid:
                    assert not registry.strike_active(e, off)
        assert not registry.strike_active(e, lo)
        assert not registry.strike_active(e, hi)


def test_trading_state__one_read__agrees_with_the_single_views(registry, stranger):
    """Issue 13: the venue's one registry read per order says what the single views say."""
    for e in list(registry.live_expiries())[:2]:
        lo, hi = registry.bounds(e)
        k = next(x for x in registry.strikes(e) if registry.strike_active(e, x))
        for kind, strike, active in ((0, 0, False), (1, k, True), (2, k, True), (1, k + 1, False)):
            st = registry.trading_state.call(e, kind, strike, sender=stranger)
            assert (st.current, st.live, st.lower, st.upper, st.reduce_only, st.min_qty) == (
                True, registry.is_live(e), lo, hi, registry.reduce_only(), registry.min_qty())
            assert st.strike_active == (active and registry.strike_active(e, strike))


def test_trading_state__due_morning__runs_the_update_first(registry, sys_, chain, stranger):
    """The lazy update: a venue's read on a due morning applies the 08:00 update before it reads
    (through the registry's own `daily_update`, the call that takes the lock: `trading_state`
    itself writes nothing, so the update's memory is not part of every order's) and says current."""
    t = next_update(chain.pending_timestamp)
    warp(chain, t - 240)
    push_prices(sys_)
    warp(chain, t)
    assert registry.last_update() == t - DAY
    e = max(cal.live_expiries(t))
    tx = registry.trading_state(e, 0, 0, sender=stranger)
    assert registry.last_update() == t and not registry.needs_update()
    assert tx.events.filter(registry.RangeUpdated), "the update ran inside the read"
    st = tx.return_value
    assert st.current and st.live and (st.lower, st.upper) == tuple(registry.bounds(e))
    again = registry.trading_state(e, 0, 0, sender=stranger)   # current: nothing more to do
    assert not again.events.filter(registry.RangeUpdated) and again.return_value == st
