"""SeriesRegistry `daily_update` with time travel: listing, rollover, ranges that never widen
over five weeks, stale index and no-source days (ranges kept, nothing invented), idempotence,
ten missed days caught up in one call."""

from __future__ import annotations

import random

from helpers import next_update, push_prices

from rangebound.constants import (
    DAY,
)
from rangebound.dev.node import warp
from rangebound.models import calendar as cal
from rangebound.ops.deploy import report

from .registry_helpers import trade


def test_daily_update__five_weeks__six_live_ranges_never_widen_settles(registry, sys_, chain, keeper):
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
        warp(chain, t - 4 * 60)                          # 07:56: keeper reports
        push_prices(sys_, price)
        warp(chain, t)
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


def test_daily_update__stale_index__keeps_ranges_never_invents(registry, sys_, chain, keeper):
    """A day without a fresh index forms no fixing, keeps every range and the variance, and the
    registry is current afterwards (the old code reverted "registry: no fixing source")."""
    t = next_update(chain.pending_timestamp)
    warp(chain, t - 4 * 60)
    push_prices(sys_, 100_000)
    warp(chain, t)
    registry.daily_update(sender=keeper)
    warp(chain, t + DAY + 60)                 # the report is still fresh for this window
    registry.daily_update(sender=keeper)
    # the next day the index is older than the heartbeat at the window
    t2 = t + 2 * DAY
    warp(chain, t2 + 60)
    kept = {e: tuple(registry.bounds(e)) for e in registry.listed_expiries() if e > t2}
    variance = registry.variance()
    tx = registry.daily_update(sender=keeper)
    assert registry.last_update() == t2 and not registry.needs_update()
    assert not tx.events.filter(registry.FixingSet)
    assert {e: tuple(registry.bounds(e)) for e in kept} == kept
    assert registry.variance() == variance and not tx.events.filter(registry.VarianceUpdated)


def test_daily_update__idempotent(registry, sys_, chain, keeper):
    t = next_update(chain.pending_timestamp)
    warp(chain, t - 4 * 60)
    push_prices(sys_, 100_000)
    warp(chain, t)
    registry.daily_update(sender=keeper)
    snap = (registry.variance(), registry.last_update(),
            [tuple(registry.bounds(e)) for e in registry.listed_expiries()])
    tx = registry.daily_update(sender=keeper)
    assert not tx.events.filter(registry.RangeUpdated)
    assert snap == (registry.variance(), registry.last_update(),
                    [tuple(registry.bounds(e)) for e in registry.listed_expiries()])


def test_daily_update__ten_missed_days__caught_up_in_one_call(registry, sys_, chain, keeper):
    t = next_update(chain.pending_timestamp)
    warp(chain, t - 4 * 60)
    push_prices(sys_, 100_000)
    warp(chain, t)
    registry.daily_update(sender=keeper)
    # the reporter keeps reporting every day, but nobody calls the registry for ten days
    for d in range(1, 11):
        warp(chain, t + d * DAY - 4 * 60)
        push_prices(sys_, 100_000 * (1 + 0.01 * d))
    warp(chain, t + 10 * DAY + 60)
    tx = registry.daily_update(sender=keeper)
    assert registry.last_update() == t + 10 * DAY
    assert list(registry.listed_expiries()) == cal.live_expiries(t + 10 * DAY)
    assert len(tx.events.filter(registry.VarianceUpdated)) == 10
    print(f"ten missed days caught up in one call: {tx.gas_used} gas")
    assert tx.gas_used < 10_000_000


def test_daily_update__no_source_day__keeps_ranges_skips_variance_trading_goes_on(index_sys, chain, actors):
    """Two days without an index report: the old code reverted daily_update and place_order
    ("registry: no fixing source"); now the days form no fixing, keep their ranges, skip the
    variance, and orders trade."""
    maker, taker, _, _ = actors
    s, reg = index_sys, index_sys.markets["BTC"].registry
    t = cal.update_time(chain.pending_timestamp) + DAY
    warp(chain, t - 240)
    push_prices(s)
    warp(chain, t + DAY + 60)                                # the report is still fresh at t + 1 day
    reg.daily_update(sender=s.deployer)
    far = list(reg.listed_expiries())[-1]
    bounds, variance = tuple(reg.bounds(far)), reg.variance()
    warp(chain, t + 3 * DAY + 3_600)                         # two more 08:00s, the index stale
    report(s.feeds["USD1/USD"], s.deployer, 1.0)             # the peg is fine
    tx = reg.daily_update(sender=s.deployer)
    assert not tx.events.filter(reg.FixingSet) and not tx.events.filter(reg.VarianceUpdated)
    assert tuple(reg.bounds(far)) == bounds and reg.variance() == variance
    assert reg.fixing(far, (t + 2 * DAY) // DAY) == 0 and not reg.needs_update()
    mid = (bounds[0] + bounds[1]) // 2 // reg.tick() * reg.tick()
    trade(s, far, maker, taker, mid, 1)
    assert s.clearinghouse.futures_position(taker, reg, far)[0] == 1
