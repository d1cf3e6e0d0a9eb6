"""OptionsPool's trading parameters live in one packed word (pool_params.trade): with every
one at its highest bound at once, a buy is priced exactly as the Python mirror prices it from
the public getters (no lane spills into another), and the depth bound is the packed lane's."""

from __future__ import annotations

import ape

from rangebound.constants import CALL, WAD
from rangebound.models import pool as pm

from .pool_helpers import series

HIGHEST = {"set_vol_multiplier": 10 * WAD, "set_beta": WAD, "set_depth": 4_000_000,
           "set_base_spread": 1_000, "set_util_spread": 5_000, "set_max_utilisation": WAD,
           "set_cutoff": 86_400, "set_fee": 500}


def test_buy__every_param_at_its_highest__price_equals_mirror(world, deployer, taker):
    m = world.markets["BTC"]
    pool, ch, reg = m.pool, world.clearinghouse, m.registry
    expiry, strike = series(world)
    for setter, value in HIGHEST.items():
        getattr(pool, setter)(value, sender=deployer)
    pool.buy(expiry, CALL, strike, 3, 10**30, sender=taker)      # the pool is short: q0 != 0
    q0 = ch.option_position(pool, reg, expiry, CALL, strike)
    cash = world.vault.balance_of(pool)
    tx = pool.buy(expiry, CALL, strike, 2, 10**30, sender=taker)
    ev = tx.events.filter(pool.Traded)[0]
    u = -(-ch.requirement(pool) * WAD // cash)                   # after the trade, cash before
    markup = pm.spread_bps(pool.base_spread(), pool.util_spread(), min(u, WAD)) + pool.fee_bps()
    value = pm.trade_value(ev.model, q0, 2, True, pool.beta(), pool.depth(), markup)
    hi = reg.bounds(expiry)[1]
    assert ev.price == pm.lot_price(value, 2, True, reg.tick(), hi - strike)
    assert q0 == -3 and 0 < u < WAD


def test_quote__depth_lane__bound_is_the_lane(world, deployer):
    pool = world.markets["BTC"].pool
    expiry, strike = series(world)
    pool.set_depth(4_000_000, sender=deployer)
    with ape.reverts("pool: out of bounds"):
        pool.set_depth(4_000_001, sender=deployer)
    with ape.reverts("pool: quantity too large"):
        pool.quote(expiry, CALL, strike, 4_000_001, True)
    assert pool.quote(expiry, CALL, strike, 1, True) > 0
