"""OptionsPool `hedge`: short calls hedged with futures on the real book; the keeper hedges a
pool whose delta leaves the band, once."""

from __future__ import annotations

from rangebound.constants import CALL, FUTURE

from .pool_helpers import covered, series


def test_hedge__short_calls__buys_futures_on_book(world, maker, taker):
    m = world.markets["BTC"]
    pool, book, ch = m.pool, m.book, world.clearinghouse
    expiry, strike = series(world)
    cost = pool.quote(expiry, CALL, strike, 5, True)
    pool.buy(expiry, CALL, strike, 5, cost, sender=taker)
    idx, _ = m.registry.index_price()
    tick = m.registry.tick()
    ask = idx + 10 * tick
    book.place_order(expiry, FUTURE, 0, False, ask, 50, 0, 1, sender=maker)
    d0 = pool.delta(expiry)
    assert d0 < -(pool.hedge_band() * 10**18)
    tx = pool.hedge(expiry, sender=taker)
    n, _ = ch.futures_position(pool, m.registry, expiry)
    assert n == (-d0 + 5 * 10**17) // 10**18
    assert abs(pool.delta(expiry)) <= 10**18 // 2 + abs(d0) // 10**6
    assert covered(world, pool)
    assert tx.gas_used < 600_000


def test_keeper_hedge_pools__delta_beyond_band__hedges_once(world, maker, taker, keeper):
    from rangebound.ops.keeper import Keeper

    m = world.markets["BTC"]
    pool = m.pool
    expiry, strike = series(world)
    kp = Keeper.from_system(world, keeper, quiet=True)
    assert kp.pool_hedges_due() == []
    pool.buy(expiry, CALL, strike, 6, pool.quote(expiry, CALL, strike, 6, True), sender=taker)
    idx, _ = m.registry.index_price()
    m.book.place_order(
        expiry, FUTURE, 0, False, idx + 10 * m.registry.tick(), 50, 0, 1, sender=maker
    )
    assert [(e, d < 0) for _, e, d in kp.pool_hedges_due()] == [(expiry, True)]
    rep = kp.hedge_pools()
    assert rep.tx_by_step["hedge"] == 1 and not rep.blocked
    assert kp.pool_hedges_due() == []
    assert covered(world, pool)
