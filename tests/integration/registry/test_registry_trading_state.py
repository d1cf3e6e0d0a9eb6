"""SeriesRegistry trading views: six series listed around the index, `strike_active` as grid
membership, reduce-only following the peg, `trading_state` agreeing with the single views,
`record_fills` only from the order book."""

from __future__ import annotations

import ape

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
