"""PoolPricer.marks (the pool's totalAssets): cash plus every leg at the pool's own
`model_price`, bit for bit, for calls and puts sharing strikes (one call numerator per strike)
and a long leg."""

from __future__ import annotations

from rangebound.constants import CALL, PUT


def test_total_assets__calls_puts_and_a_long_leg__cash_plus_legs_at_model_price(world, taker):
    m = world.markets["BTC"]
    pool, ch, reg = m.pool, world.clearinghouse, m.registry
    expiry = reg.live_expiries()[1]
    strikes = list(reg.strikes(expiry))
    mid = len(strikes) // 2
    for k in strikes[mid - 2: mid + 2]:
        for kind in (CALL, PUT):
            pool.buy(expiry, kind, k, 1, 10**30, sender=taker)
    pool.sell(expiry, PUT, strikes[mid + 2], 2, 0, sender=taker)    # the pool long 2 puts
    legs = ch.option_legs(pool, reg, expiry)
    assert len(legs) == 9 and ch.futures_position(pool, reg, expiry) == (0, 0)
    marks = sum(leg.qty * pool.model_price(expiry, leg.kind, leg.strike) for leg in legs)
    assert pool.totalAssets() == world.vault.balance_of(pool) + marks
