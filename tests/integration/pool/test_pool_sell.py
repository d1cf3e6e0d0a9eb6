"""OptionsPool `sell`: a round trip gains the trader nothing; proceeds below the limit revert."""

from __future__ import annotations

import ape

from rangebound.constants import CALL, PUT

from .pool_helpers import covered, series, snapshot


def test_sell__round_trip__trader_gains_nothing(world, taker):
    m = world.markets["BTC"]
    pool = m.pool
    expiry, strike = series(world)
    before = world.vault.balance_of(taker)
    cost = pool.quote(expiry, PUT, strike, 2, True)
    pool.buy(expiry, PUT, strike, 2, cost, sender=taker)
    proceeds = pool.quote(expiry, PUT, strike, 2, False)
    pool.sell(expiry, PUT, strike, 2, proceeds, sender=taker)
    assert proceeds <= cost
    assert world.vault.balance_of(taker) == before - cost + proceeds <= before
    assert world.clearinghouse.option_position(taker, m.registry, expiry, PUT, strike) == 0
    assert covered(world, pool)


def test_sell__proceeds_below_limit__reverts_slippage(world, taker):
    pool = world.markets["BTC"].pool
    expiry, strike = series(world)
    pool.buy(expiry, CALL, strike, 2, pool.quote(expiry, CALL, strike, 2, True), sender=taker)
    total = pool.quote(expiry, CALL, strike, 2, False)
    before = snapshot(world, taker)
    with ape.reverts("pool: slippage"):
        pool.sell(expiry, CALL, strike, 2, total + 1, sender=taker)
    assert snapshot(world, taker) == before
