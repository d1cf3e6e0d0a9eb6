"""OptionsPool positions at settlement: P&L in the NAV, then in cash after the claim."""

from __future__ import annotations

import ape

from rangebound.constants import CALL
from rangebound.dev.node import warp
from rangebound.ops.deploy import report

from .pool_helpers import covered


def test_claim__pool_short_calls_settled__pnl_in_nav_then_in_cash(world, deployer, chain, taker):
    m = world.markets["BTC"]
    pool, reg, ch = m.pool, m.registry, world.clearinghouse
    first = reg.live_expiries()[0]
    strikes = list(reg.strikes(first))
    k = strikes[len(strikes) // 2 - 2]
    pool.buy(first, CALL, k, 4, pool.quote(first, CALL, k, 4, True), sender=taker)
    assert covered(world, pool)
    warp(chain, first - 240)
    report(world.feeds["BTC/USD"], deployer, 101_000.0)
    report(world.feeds["USD1/USD"], deployer, 1.0)
    warp(chain, first + 60)
    reg.settle(first, sender=deployer)
    s = reg.settlement_price(first)
    assert s > 0
    pnl = world.lens.unclaimed_pnl(pool, reg, first)
    assert pnl == -4 * max(s - k, 0)
    cash = world.vault.balance_of(pool)
    nav = pool.totalAssets()
    assert nav == cash + pnl
    pool.claim(first, sender=taker)  # anyone may claim for the pool
    assert world.vault.balance_of(pool) == cash + pnl == pool.totalAssets()
    assert ch.requirement(pool) == 0 and covered(world, pool)
    ch.claim(taker, reg, first, sender=taker)
    with ape.reverts("clearinghouse: nothing to claim"):
        pool.claim(first, sender=taker)
