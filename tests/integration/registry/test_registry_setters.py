"""SeriesRegistry's typed parameter setters (one setter and one event per parameter): owner
only, each changes its own parameter and nothing else, every bound (guard, strike count,
heartbeats up to MAX_HEARTBEAT, the depeg threshold in [0.5, 1]) and the packed copies the
depeg and index reads use. The bound cases with whole-chain digests are in
tests/integration/test_bad_inputs.py."""

from __future__ import annotations

import ape
import pytest
from helpers import NOT_OWNER, next_update

from rangebound.constants import HOUR, MAX_HEARTBEAT, WAD
from rangebound.dev.node import warp
from rangebound.ops.deploy import report

# setter name -> (event, a new in-bounds value); index_mode is a bool
SETTERS = {
    "guard_bps": ("GuardBpsSet", 37),
    "min_fixing_volume": ("MinFixingVolumeSet", 1_234),
    "v_min": ("VMinSet", 10**13),
    "v_max": ("VMaxSet", WAD // 20),
    "index_heartbeat": ("IndexHeartbeatSet", 7_200),
    "peg_heartbeat": ("PegHeartbeatSet", 7_300),
    "depeg_threshold": ("DepegThresholdSet", WAD * 96 // 100),
    "strike_count": ("StrikeCountSet", 21),
    "index_mode": ("IndexModeSet", False),
}


def _params(registry) -> dict:
    params = dict(registry.params().items())
    assert set(SETTERS) | {"v0", "tick", "min_qty"} <= set(params)     # the view names every field
    return params


@pytest.mark.parametrize("name", sorted(SETTERS))
def test_set__stranger__reverts(registry, stranger, guardian, name):
    before = _params(registry)
    for who in (stranger, guardian):
        with ape.reverts(NOT_OWNER):
            getattr(registry, f"set_{name}")(SETTERS[name][1], sender=who)
    assert _params(registry) == before


@pytest.mark.parametrize("name", sorted(SETTERS))
def test_set__owner__sets_only_its_parameter_and_logs_its_event(registry, deployer, name):
    event, value = SETTERS[name]
    before = _params(registry)
    tx = getattr(registry, f"set_{name}")(value, sender=deployer)
    logs = list(tx.events)
    assert [log.event_name for log in logs] == [event]
    assert getattr(logs[0], name) == value
    after = _params(registry)
    expected = dict(before, **{name: value})
    if name == "v_min":
        expected["v0"] = max(before["v0"], value)
    if name == "v_max":
        expected["v0"] = min(before["v0"], value)
    assert after == expected


def test_set_v_min__above_v0__raises_v0(registry, deployer):
    v0 = registry.params().v0
    registry.set_v_min(v0 + 1, sender=deployer)
    assert registry.params().v0 == v0 + 1
    registry.set_v_max(v0 + 1, sender=deployer)
    registry.set_v_min(1, sender=deployer)
    assert registry.params().v0 == v0 + 1


def test_set_index_mode__round_trip__read_back(registry, deployer):
    assert registry.params().index_mode                     # the default (docs/architecture.md §4)
    registry.set_index_mode(False, sender=deployer)
    assert not registry.params().index_mode
    registry.set_index_mode(True, sender=deployer)
    assert registry.params().index_mode


@pytest.mark.parametrize("name", ["index_heartbeat", "peg_heartbeat"])
def test_set_heartbeat__at_bound__accepted_one_more__reverts(registry, deployer, name):
    """A heartbeat of up to a week is accepted (a slow feed, or governance letting the last real
    report count after an outage); a second more is refused, so a dead feed never reads fresh."""
    setter = getattr(registry, f"set_{name}")
    with ape.reverts("registry: heartbeat too long"):
        setter(MAX_HEARTBEAT + 1, sender=deployer)
    tx = setter(MAX_HEARTBEAT, sender=deployer)
    assert [getattr(e, name) for e in tx.events] == [MAX_HEARTBEAT]


def test_set_depeg_threshold__at_bounds__accepted(registry, deployer):
    """The breaker threshold lives in [0.5, 1] USD per USD1: it can be tuned, never switched off."""
    for value in (WAD // 2, WAD):
        registry.set_depeg_threshold(value, sender=deployer)
    with ape.reverts("registry: depeg threshold"):
        registry.set_depeg_threshold(WAD // 2 - 1, sender=deployer)


def test_set_peg_parameters__reach_the_depeg_check(sys_, registry, deployer, chain):
    """The depeg check reads a packed copy of the peg parameters (one slot per order): every
    setter rewrites it, so a new threshold or heartbeat is what `reduce_only` uses."""
    report(sys_.feeds["BTC/USD"], deployer, 100_000)
    report(sys_.feeds["USD1/USD"], deployer, 0.975)
    assert not registry.reduce_only()                       # default threshold 0.97
    registry.set_depeg_threshold(WAD * 98 // 100, sender=deployer)
    assert registry.reduce_only()                           # 0.975 < 0.98
    registry.set_depeg_threshold(WAD * 975 // 1000, sender=deployer)
    assert not registry.reduce_only()                       # at the threshold: pegged
    chain.pending_timestamp += 2 * HOUR
    chain.mine()
    age = chain.blocks.head.timestamp - sys_.feeds["USD1/USD"].latestRoundData()[3]
    registry.set_peg_heartbeat(age - 1, sender=deployer)
    assert registry.reduce_only()                           # the peg answer is now stale
    registry.set_peg_heartbeat(age + 60, sender=deployer)
    assert not registry.reduce_only()
    registry.set_guard_bps(50, sender=deployer)             # another setter keeps the peg copy
    assert not registry.reduce_only()


@pytest.mark.parametrize("name", sorted(SETTERS))
def test_set__keeps_last_update(registry, deployer, name):
    """`last_update` shares the depeg check's word (one cold slot per order for both): rewriting
    the peg parameters keeps it, so no setter re-runs or skips a daily update."""
    before, live = registry.last_update(), list(registry.live_expiries())
    getattr(registry, f"set_{name}")(SETTERS[name][1], sender=deployer)
    assert registry.last_update() == before and list(registry.live_expiries()) == live


def test_daily_update__keeps_the_peg_parameters(sys_, registry, deployer, stranger, chain):
    """The daily update writes `last_update` into the peg word and nothing else of it: the
    threshold and the heartbeat the depeg check uses are the same the next morning."""
    registry.set_depeg_threshold(WAD * 98 // 100, sender=deployer)
    t = next_update(chain.pending_timestamp)
    warp(chain, t - 240)
    report(sys_.feeds["BTC/USD"], deployer, 100_000)
    report(sys_.feeds["USD1/USD"], deployer, 0.975)
    warp(chain, t)
    registry.daily_update(sender=stranger)
    assert registry.last_update() == t
    assert registry.reduce_only()                           # 0.975 < 0.98: the threshold kept
    registry.set_depeg_threshold(WAD * 975 // 1000, sender=deployer)
    assert not registry.reduce_only() and registry.last_update() == t
    registry.set_peg_heartbeat(1, sender=deployer)
    chain.pending_timestamp += 60
    chain.mine()
    assert registry.reduce_only()                           # the heartbeat the check reads
    assert registry.last_update() == t


def test_tick_and_min_qty__fixed_at_deployment__trading_state_reports_them(registry, sys_):
    """tick and min_qty have no setter: the registry keeps them as immutables (no storage read
    per order) and `trading_state` hands min_qty to the venues."""
    p = registry.params()
    assert registry.tick() == p.tick and registry.min_qty() == p.min_qty
    expiry = registry.live_expiries()[0]
    st = registry.trading_state.call(expiry, 0, 0)
    assert st.min_qty == p.min_qty and st.live
