"""SeriesRegistry.daily_update on packed words: what the views still tell after the storage
change (latest fixing per series kept, earlier days in events; listing facts from the packed
grid; listed expiries from the calendar) and the one new refusal (`fixing` of a day that was
overwritten)."""

from __future__ import annotations

import ape
import pytest
from helpers import next_update

from rangebound.constants import DAY
from rangebound.dev.node import warp
from rangebound.models import calendar as cal
from rangebound.models import ranges as rg
from rangebound.ops.deploy import deploy_system, report


@pytest.fixture(scope="module")
def deployment(deployer, guardian, chain):
    """The system and the 08:00 UTC its first six series were listed at."""
    s = deploy_system(deployer, guardian=guardian)
    return s, cal.update_time(chain.blocks.head.timestamp)


@pytest.fixture(scope="module")
def sys_(deployment):
    return deployment[0]


@pytest.fixture(scope="module")
def registry(sys_):
    return sys_.markets["BTC"].registry


def _morning(sys_, registry, chain, keeper, btc: float):
    t = next_update(chain.pending_timestamp)
    warp(chain, t - 240)
    report(sys_.feeds["BTC/USD"], sys_.deployer, btc)
    report(sys_.feeds["USD1/USD"], sys_.deployer, 1.0)
    warp(chain, t)
    return t, registry.daily_update(sender=keeper)


def test_daily_update__two_mornings__latest_fixing_kept_earlier_day_in_its_event(sys_, registry, chain, keeper):
    t1, tx1 = _morning(sys_, registry, chain, keeper, 100_000.0)
    t2, tx2 = _morning(sys_, registry, chain, keeper, 101_000.0)
    e = list(registry.listed_expiries())[-1]                     # a monthly, live on both days
    first = {int(ev.expiry): int(ev.price) for ev in tx1.events.filter(registry.FixingSet)}
    second = {int(ev.expiry): int(ev.price) for ev in tx2.events.filter(registry.FixingSet)}
    assert registry.fixing(e, t2 // DAY) == second[e] != 0
    assert first[e] != second[e]                                 # the day before: its event
    assert registry.fixing(e, t2 // DAY + 1) == 0                # no fixing yet for tomorrow
    with ape.reverts("registry: fixing not kept"):
        registry.fixing(e, t1 // DAY)


def test_series_info__after_mornings__listing_facts_from_the_packed_grid(deployment, sys_, registry, chain, keeper):
    _morning(sys_, registry, chain, keeper, 100_500.0)
    for e in registry.listed_expiries():
        s = registry.series_info(e)
        assert (s.lower, s.upper) == tuple(registry.bounds(e))
        assert s.listing_lower <= s.lower < s.upper <= s.listing_upper
        assert s.strike_count == registry.params().strike_count and s.settlement == 0
        assert s.listed_at == max(cal.listing_time(e), deployment[1])
        tick = registry.tick()
        uniform = rg.uniform_strikes(s.listing_lower, s.listing_upper, s.strike_count, tick)
        strikes = list(registry.strikes(e))
        assert set(uniform) <= set(strikes) and strikes == sorted(set(strikes))
        assert all(registry.strike_active(e, k) == (s.lower < k < s.upper) for k in strikes[::4])
    assert list(registry.listed_expiries()) == cal.live_expiries(registry.last_update())
