"""The pool's fills through `Clearinghouse.settle_fill`: the pool is its market's fee account, so
it pays no maker fee to itself and the taker fee rides with the premium in one vault transfer
(docs/decisions.md "Options pool gas (issue 15, fourth round)"); no zero release is logged."""

from __future__ import annotations

from rangebound.constants import CALL, PUT

from .pool_helpers import covered, series


def _fill(world, tx):
    ch = world.clearinghouse
    fills = tx.events.filter(ch.Fill)
    assert len(fills) == 1
    assert not tx.events.filter(ch.Released)
    return fills[0]


def test_buy__pool_is_fee_account__one_transfer_of_premium_plus_fee(world, taker):
    m = world.markets["BTC"]
    pool, vault = m.pool, world.vault
    assert world.clearinghouse.fee_account_of(m.registry) == pool.address
    expiry, strike = series(world)
    total = pool.quote(expiry, CALL, strike, 2, True)
    before_t, before_p = vault.balance_of(taker), vault.balance_of(pool)
    tx = pool.buy(expiry, CALL, strike, 2, total, sender=taker)
    fill = _fill(world, tx)
    premium = fill.price * fill.qty
    assert fill.taker_fee > 0 and fill.maker_fee > 0 and premium + fill.taker_fee == total
    moves = [(e.sender, e.receiver, e.amount) for e in tx.events.filter(vault.InternalTransfer)]
    assert moves == [(taker.address, pool.address, total)]
    assert vault.balance_of(taker) == before_t - total
    assert vault.balance_of(pool) == before_p + total
    assert covered(world, pool) and covered(world, taker)


def test_sell__pool_is_fee_account__one_transfer_of_premium_less_fee(world, taker):
    m = world.markets["BTC"]
    pool, vault = m.pool, world.vault
    expiry, strike = series(world)
    pool.buy(expiry, PUT, strike, 3, 10**30, sender=taker)
    total = pool.quote(expiry, PUT, strike, 3, False)
    before_t, before_p = vault.balance_of(taker), vault.balance_of(pool)
    tx = pool.sell(expiry, PUT, strike, 3, total, sender=taker)
    fill = _fill(world, tx)
    premium = fill.price * fill.qty
    assert fill.taker_fee > 0 and premium - fill.taker_fee == total
    moves = [(e.sender, e.receiver, e.amount) for e in tx.events.filter(vault.InternalTransfer)]
    assert moves == [(pool.address, taker.address, total)]
    assert vault.balance_of(taker) == before_t + total
    assert vault.balance_of(pool) == before_p - total
