"""SeriesRegistry `set_parameter`: owner only, unknown names, every bound (guard, strike count,
heartbeats up to MAX_HEARTBEAT, the depeg threshold in [0.5, 1]) and the event."""

from __future__ import annotations

import ape
import pytest

from rangebound.constants import HOUR, MAX_HEARTBEAT, WAD
from rangebound.ops.deploy import report


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


@pytest.mark.parametrize("name", ["index_heartbeat", "peg_heartbeat"])
def test_set_parameter__heartbeat_at_bound__accepted_one_more__reverts(registry, deployer, name):
    """A heartbeat of up to a week is accepted (a slow feed, or governance letting the last real
    report count after an outage); a second more is refused, so a dead feed never reads fresh."""
    with ape.reverts("registry: heartbeat too long"):
        registry.set_parameter(name, MAX_HEARTBEAT + 1, sender=deployer)
    tx = registry.set_parameter(name, MAX_HEARTBEAT, sender=deployer)
    assert [(e.name, e.value) for e in tx.events] == [(name, MAX_HEARTBEAT)]


def test_set_parameter__depeg_threshold_at_bounds__accepted(registry, deployer):
    """The breaker threshold lives in [0.5, 1] USD per USD1: it can be tuned, never switched off."""
    for value in (WAD // 2, WAD):
        registry.set_parameter("depeg_threshold", value, sender=deployer)
    with ape.reverts("registry: depeg threshold"):
        registry.set_parameter("depeg_threshold", WAD // 2 - 1, sender=deployer)


def test_set_parameter__peg_threshold_and_heartbeat__reach_the_depeg_check(
    sys_, registry, deployer, chain
):
    """The depeg check reads a packed copy of the peg parameters (one slot per order): every
    set_parameter rewrites it, so a new threshold or heartbeat is what `reduce_only` uses."""
    report(sys_.feeds["BTC/USD"], deployer, 100_000)
    report(sys_.feeds["USD1/USD"], deployer, 0.975)
    assert not registry.reduce_only()                       # default threshold 0.97
    registry.set_parameter("depeg_threshold", WAD * 98 // 100, sender=deployer)
    assert registry.reduce_only()                           # 0.975 < 0.98
    registry.set_parameter("depeg_threshold", WAD * 975 // 1000, sender=deployer)
    assert not registry.reduce_only()                       # at the threshold: pegged
    chain.pending_timestamp += 2 * HOUR
    chain.mine()
    age = chain.blocks.head.timestamp - sys_.feeds["USD1/USD"].latestRoundData()[3]
    registry.set_parameter("peg_heartbeat", age - 1, sender=deployer)
    assert registry.reduce_only()                           # the peg answer is now stale
    registry.set_parameter("peg_heartbeat", age + 60, sender=deployer)
    assert not registry.reduce_only()
