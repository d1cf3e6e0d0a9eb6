"""SeriesRegistry on anvil with time travel: calendar, listing, rollover, ranges, fixing, catch-up."""

from __future__ import annotations

import random

import ape
import pytest
from helpers import next_update

from rangebound.constants import DAY
from rangebound.dev.node import warp
from rangebound.models import calendar as cal
from rangebound.ops.deploy import deploy_system, feed_answer, report

HOUR = 3_600


@pytest.fixture(scope="module")
def sys_(deployer, guardian):
    return deploy_system(deployer, guardian=guardian)


@pytest.fixture(scope="module")
def registry(sys_):
    return sys_.markets["BTC"].registry


def _push(sys_, btc: float, peg: float = 1.0):
    report(sys_.feeds["BTC/USD"], sys_.deployer, btc)
    report(sys_.feeds["USD1/USD"], sys_.deployer, peg)


def _at(chain, ts: int):
    warp(chain, ts)


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


def test_five_weeks__six_live__ranges_never_widen__settles(registry, sys_, chain, keeper):
    rng = random.Random(7)
    price = 100_000.0
    t = next_update(chain.pending_timestamp)
    seen_listing: dict[int, int] = {}
    prev_bounds: dict[int, tuple[int, int]] = {
        e: tuple(registry.bounds(e)) for e in registry.listed_expiries()
    }
    gas: list[int] = []
    settled = 0
    refills = 0
    for _ in range(36):
        price *= 1 + rng.gauss(0, 0.03)
        _at(chain, t - 4 * 60)                          # 07:56: keeper reports
        _push(sys_, price)
        _at(chain, t)
        tx = registry.daily_update(sender=keeper)
        gas.append(tx.gas_used)
        live = list(registry.listed_expiries())
        assert live == cal.live_expiries(t) == list(registry.live_expiries())
        assert len(live) == 6 and all(e > t for e in live)
        for ev in tx.events.filter(registry.SeriesListed):
            seen_listing[ev.expiry] = t
        for e in live:
            lo, hi = registry.bounds(e)
            if e in prev_bounds:
                plo, phi = prev_bounds[e]
                assert plo <= lo < hi <= phi, "range widened"
                assert registry.fixing(e, t // DAY) != 0
            prev_bounds[e] = (lo, hi)
            active = [k for k in registry.strikes(e) if lo < k < hi]
            assert len(active) >= 20, "fewer than 20 active strikes after the update"
            refills += len(active) < 25
        for e in list(prev_bounds):
            if e <= t and registry.settlement_price(e) == 0:
                stx = registry.settle(e, sender=keeper)
                s = registry.settlement_price(e)
                lo, hi = registry.bounds(e)
                assert lo <= s <= hi
                f = registry.fixing(e, e // DAY)
                assert s == max(lo, min(f, hi))
                assert stx.events.filter(registry.SeriesSettled)[0].price == s
                settled += 1
                del prev_bounds[e]
        t += DAY
    # every series listed during the run was listed exactly 7 (Mon/Wed) or 28 (Fri) days early
    assert seen_listing
    for e, listed in seen_listing.items():
        assert listed == cal.listing_time(e)
    assert settled >= 15
    assert refills > 0, "no series ever lost a uniform strike: midpoint insertion untested"
    print(f"daily_update gas (6 series): median {sorted(gas)[len(gas) // 2]}, max {max(gas)}")


def test_settle__early__reverts(registry, chain, keeper):
    e = registry.live_expiries()[0]
    with ape.reverts("registry: not expired"):
        registry.settle(e, sender=keeper)


def test_settle__unknown_series__reverts(registry, keeper):
    with ape.reverts("registry: unknown series"):
        registry.settle(12345, sender=keeper)


def test_settle__twice__reverts(registry, sys_, chain, keeper):
    e = registry.live_expiries()[0]
    _at(chain, e - 4 * 60)
    _push(sys_, 101_000)
    _at(chain, e + 60)
    registry.settle(e, sender=keeper)
    with ape.reverts("registry: already settled"):
        registry.settle(e, sender=keeper)


def test_settle__outside_range__clamped_both_sides(registry, sys_, chain, keeper):
    live = list(registry.live_expiries())
    # walk the index far up in allowed steps until the first series' fixing is above its range
    e = live[0]
    _, hi = registry.bounds(e)
    price = 100_000.0
    _at(chain, e - 2 * HOUR)
    while sys_.usd(price / 1000) <= hi:
        price *= 1.2
        _push(sys_, price)
    _at(chain, e - 4 * 60)
    _push(sys_, price)
    _at(chain, e)
    registry.settle(e, sender=keeper)
    _, hi = registry.bounds(e)
    assert registry.fixing(e, e // DAY) > hi
    assert registry.settlement_price(e) == hi
    # and down through the lower edge for the next one
    e2 = live[1]
    lo2, _ = registry.bounds(e2)
    _at(chain, e2 - 6 * HOUR)
    while sys_.usd(price / 1000) >= lo2:
        price *= 0.8
        _push(sys_, price)
    _at(chain, e2 - 4 * 60)
    _push(sys_, price)
    _at(chain, e2)
    registry.settle(e2, sender=keeper)
    lo2, _ = registry.bounds(e2)
    assert registry.fixing(e2, e2 // DAY) < lo2
    assert registry.settlement_price(e2) == lo2


def test_daily_update__stale_index__keeps_ranges_never_invents(registry, sys_, chain, keeper):
    """A day without a fresh index forms no fixing, keeps every range and the variance, and the
    registry is current afterwards (the old code reverted "registry: no fixing source")."""
    t = next_update(chain.pending_timestamp)
    _at(chain, t - 4 * 60)
    _push(sys_, 100_000)
    _at(chain, t)
    registry.daily_update(sender=keeper)
    _at(chain, t + DAY + 60)                 # the report is still fresh for this window
    registry.daily_update(sender=keeper)
    # the next day the index is older than the heartbeat at the window
    t2 = t + 2 * DAY
    _at(chain, t2 + 60)
    kept = {e: tuple(registry.bounds(e)) for e in registry.listed_expiries() if e > t2}
    variance = registry.variance()
    tx = registry.daily_update(sender=keeper)
    assert registry.last_update() == t2 and not registry.needs_update()
    assert not tx.events.filter(registry.FixingSet)
    assert {e: tuple(registry.bounds(e)) for e in kept} == kept
    assert registry.variance() == variance and not tx.events.filter(registry.VarianceUpdated)


def test_daily_update__idempotent(registry, sys_, chain, keeper):
    t = next_update(chain.pending_timestamp)
    _at(chain, t - 4 * 60)
    _push(sys_, 100_000)
    _at(chain, t)
    registry.daily_update(sender=keeper)
    snap = (registry.variance(), registry.last_update(),
            [tuple(registry.bounds(e)) for e in registry.listed_expiries()])
    tx = registry.daily_update(sender=keeper)
    assert not tx.events.filter(registry.RangeUpdated)
    assert snap == (registry.variance(), registry.last_update(),
                    [tuple(registry.bounds(e)) for e in registry.listed_expiries()])


def test_daily_update__ten_missed_days__caught_up_in_one_call(registry, sys_, chain, keeper):
    t = next_update(chain.pending_timestamp)
    _at(chain, t - 4 * 60)
    _push(sys_, 100_000)
    _at(chain, t)
    registry.daily_update(sender=keeper)
    # the reporter keeps reporting every day, but nobody calls the registry for ten days
    for d in range(1, 11):
        _at(chain, t + d * DAY - 4 * 60)
        _push(sys_, 100_000 * (1 + 0.01 * d))
    _at(chain, t + 10 * DAY + 60)
    tx = registry.daily_update(sender=keeper)
    assert registry.last_update() == t + 10 * DAY
    assert list(registry.listed_expiries()) == cal.live_expiries(t + 10 * DAY)
    assert len(tx.events.filter(registry.VarianceUpdated)) == 10
    print(f"ten missed days caught up in one call: {tx.gas_used} gas")
    assert tx.gas_used < 10_000_000


def test_set_parameter__owner_bounds_event(registry, deployer, stranger):
    with ape.reverts("ownable: caller is not the owner"):
        registry.set_parameter("guard_bps", 100, sender=stranger)
    with ape.reverts("registry: unknown parameter"):
        registry.set_parameter("nope", 1, sender=deployer)
    with ape.reverts("registry: guard too wide"):
        registry.set_parameter("guard_bps", 10_001, sender=deployer)
    with ape.reverts("registry: strike count"):
        registry.set_parameter("strike_count", 51, sender=deployer)
    tx = registry.set_parameter("guard_bps", 100, sender=deployer)
    ev = tx.events.filter(registry.ParameterSet)[0]
    assert ev.name == "guard_bps" and ev.value == 100


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
