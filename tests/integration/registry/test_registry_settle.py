"""SeriesRegistry `settle`: not before expiry, not an unknown series, once; the settlement is
the fixing clamped into the range on both sides."""

from __future__ import annotations

import ape
from helpers import push_prices

from rangebound.constants import (
    DAY,
    HOUR,
)
from rangebound.dev.node import warp


def test_settle__early__reverts(registry, chain, keeper):
    e = registry.live_expiries()[0]
    with ape.reverts("registry: not expired"):
        registry.settle(e, sender=keeper)


def test_settle__unknown_series__reverts(registry, keeper):
    with ape.reverts("registry: unknown series"):
        registry.settle(12345, sender=keeper)


def test_settle__twice__reverts(registry, sys_, chain, keeper):
    e = registry.live_expiries()[0]
    warp(chain, e - 4 * 60)
    push_prices(sys_, 101_000)
    warp(chain, e + 60)
    registry.settle(e, sender=keeper)
    with ape.reverts("registry: already settled"):
        registry.settle(e, sender=keeper)


def test_settle__outside_range__clamped_both_sides(registry, sys_, chain, keeper):
    live = list(registry.live_expiries())
    # walk the index far up in allowed steps until the first series' fixing is above its range
    e = live[0]
    _, hi = registry.bounds(e)
    price = 100_000.0
    warp(chain, e - 2 * HOUR)
    while sys_.usd(price / 1000) <= hi:
        price *= 1.2
        push_prices(sys_, price)
    warp(chain, e - 4 * 60)
    push_prices(sys_, price)
    warp(chain, e)
    registry.settle(e, sender=keeper)
    _, hi = registry.bounds(e)
    assert registry.fixing(e, e // DAY) > hi
    assert registry.settlement_price(e) == hi
    # and down through the lower edge for the next one
    e2 = live[1]
    lo2, _ = registry.bounds(e2)
    warp(chain, e2 - 6 * HOUR)
    while sys_.usd(price / 1000) >= lo2:
        price *= 0.8
        push_prices(sys_, price)
    warp(chain, e2 - 4 * 60)
    push_prices(sys_, price)
    warp(chain, e2)
    registry.settle(e2, sender=keeper)
    lo2, _ = registry.bounds(e2)
    assert registry.fixing(e2, e2 // DAY) < lo2
    assert registry.settlement_price(e2) == lo2
