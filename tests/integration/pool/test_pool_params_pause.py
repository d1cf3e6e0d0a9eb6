"""OptionsPool parameters and pause: every setter's bounds, owner and event; the trade path reads
new values; only the guardian pauses."""

from __future__ import annotations

import ape
import pytest
from helpers import NOT_OWNER, POOL_SETTERS

from rangebound.constants import CALL

from .pool_helpers import series


def test_setters__trading_params__trade_path_reads_the_new_values(world, deployer, taker):
    """Quotes read the packed copy of the trading parameters (pool_params.trade):
    each setter must move it. Spreads, fee and beta raise a buy quote of a pool already short;
    after a new volatility multiplier the traded model equals `model_price`."""
    pool = world.markets["BTC"].pool
    expiry, strike = series(world)
    pool.buy(expiry, CALL, strike, 100, 10**30, sender=taker)   # utilisation well above 0
    q = pool.quote(expiry, CALL, strike, 2, True)
    for setter, value in (("set_base_spread", 300), ("set_util_spread", 4_000), ("set_fee", 400),
                          ("set_beta", 10**18)):
        getattr(pool, setter)(value, sender=deployer)
        q2 = pool.quote(expiry, CALL, strike, 2, True)
        assert q2 > q, setter
        q = q2
    pool.set_vol_multiplier(3 * 10**18, sender=deployer)
    tx = pool.buy(expiry, CALL, strike, 1, 10**30, sender=taker)
    assert tx.events.filter(pool.Traded)[0].model == pool.model_price(expiry, CALL, strike)


@pytest.mark.parametrize(("setter", "getter", "event", "lowest", "highest"), POOL_SETTERS)
def test_setter__bounds_owner_and_event(world, deployer, stranger, setter, getter, event, lowest, highest):
    pool = world.markets["BTC"].pool
    fn, before = getattr(pool, setter), getattr(pool, getter)()
    with ape.reverts(NOT_OWNER):
        fn(highest, sender=stranger)
    with ape.reverts("pool: out of bounds"):
        fn(highest + 1, sender=deployer)
    if lowest > 0:
        with ape.reverts("pool: out of bounds"):
            fn(lowest - 1, sender=deployer)
    assert getattr(pool, getter)() == before
    for value in (lowest, highest):
        tx = fn(value, sender=deployer)
        assert getattr(pool, getter)() == value
        assert [(e.event_name, getattr(e, getter)) for e in tx.events] == [(event, value)]


def test_pause__stranger__reverts_not_guardian(world, stranger, guardian):
    pool = world.markets["BTC"].pool
    with ape.reverts("pool: not guardian"):
        pool.pause(sender=stranger)
    pool.pause(sender=guardian)
    with ape.reverts("pool: not guardian"):
        pool.unpause(sender=stranger)
    pool.unpause(sender=guardian)
    assert not pool.paused()
