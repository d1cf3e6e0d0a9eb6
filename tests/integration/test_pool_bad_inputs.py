"""OptionsPool refusals not covered by tests/integration/test_pool.py, each with its exact reason
and a digest of every contract's storage before and after (nothing written anywhere), and the
trade path's reading of the registry's trading state (docs/architecture.md §15, §16):

* a buy when the 08:00 update is due runs it (the registry's `trading_state`) and trades;
* reduce-only: a trade that reduces the pool but opens the trader's position is refused by the
  Clearinghouse from the state the pool passed on ("clearinghouse: reduce only");
* hedge: within the band, with a stale index;
* LP side: zero amount, zero receiver, a redemption beyond the pool's free collateral.

The trade refusals (paused, bad kind, zero / over-max quantity, series not live, inactive
strike, stale index, after cutoff, fixing window, registry not current, depth, utilisation,
slippage both ways, reduce only, blocked) are in test_pool.py, one test each.
"""

from __future__ import annotations

import ape
import pytest
from helpers import fund, pool_world, storage_digest

from rangebound.constants import CALL, ZERO_ADDRESS
from rangebound.dev.node import warp
from rangebound.models import calendar as cal
from rangebound.ops.deploy import report


@pytest.fixture(scope="module")
def lp(accounts):
    return accounts[8]


@pytest.fixture(scope="module")
def world(chain, deployer, guardian, lp, taker, maker2, keeper, stranger):
    """The deployed system (a pool per market) with an LP's 20,000 USD1 in the pool and
    20,000 USD1 of each trader's in the vault; ape reverts each test's own changes."""
    return pool_world(chain, deployer, guardian, lp, 20_000, {taker: 20_000, maker2: 20_000})


def series(system):
    reg = system.markets["BTC"].registry
    expiry = reg.live_expiries()[1]
    strikes = list(reg.strikes(expiry))
    return expiry, strikes[len(strikes) // 2]


def refused(chain, reason, call, *args, **kw):
    """`call(*args, **kw)` reverts with exactly `reason` and no contract storage changes."""
    before = storage_digest(chain)
    with ape.reverts(reason):
        call(*args, **kw)
    assert storage_digest(chain) == before


def test_buy__daily_update_due__runs_update_and_trades(world, deployer, chain, taker):
    m = world.markets["BTC"]
    pool, reg = m.pool, m.registry
    expiry, strike = series(world)
    update = cal.update_time(chain.pending_timestamp) + cal.DAY
    warp(chain, update - 240)
    report(world.feeds["BTC/USD"], deployer, 100_000.0)
    report(world.feeds["USD1/USD"], deployer, 1.0)
    warp(chain, update + 60)
    chain.mine()
    assert reg.needs_update()
    with ape.reverts("pool: registry not current"):    # a view cannot run the update
        pool.quote(expiry, CALL, strike, 1, True)
    tx = pool.buy(expiry, CALL, strike, 1, 10**30, sender=taker)
    assert not reg.needs_update() and reg.last_update() >= update
    assert tx.events.filter(pool.Traded)[0].qty == 1
    assert world.clearinghouse.option_position(taker, reg, expiry, CALL, strike) == 1


def test_sell__reduce_only_pool_reduces_trader_opens__reverts_clearinghouse_reduce_only(
    world, deployer, chain, taker, maker2
):
    m = world.markets["BTC"]
    pool = m.pool
    expiry, strike = series(world)
    pool.buy(expiry, CALL, strike, 3, 10**30, sender=taker)          # the pool is short 3
    report(world.feeds["USD1/USD"], deployer, 0.9)
    assert m.registry.reduce_only()
    # the pool would go -3 -> -2 (allowed), maker2 0 -> -1: the state the pool passed says
    # reduce-only, and the Clearinghouse refuses the trader's new exposure
    refused(chain, "clearinghouse: reduce only", pool.sell, expiry, CALL, strike, 1, 0,
            sender=maker2)
    pool.sell(expiry, CALL, strike, 1, 0, sender=taker)               # both reduce: passes


def test_hedge__delta_within_band__reverts(world, chain, keeper):
    pool = world.markets["BTC"].pool
    expiry, _ = series(world)
    assert pool.delta(expiry) == 0
    refused(chain, "pool: within band", pool.hedge, expiry, sender=keeper)


def test_hedge__stale_index__reverts(world, deployer, chain, taker, keeper):
    m = world.markets["BTC"]
    pool = m.pool
    expiry, strike = series(world)
    pool.buy(expiry, CALL, strike, 10, 10**30, sender=taker)         # delta beyond the band
    m.registry.set_index_heartbeat(60, sender=deployer)
    chain.mine(timestamp=chain.pending_timestamp + 120)
    refused(chain, "pool: stale index", pool.hedge, expiry, sender=keeper)
    assert abs(pool.delta(expiry)) > pool.hedge_band() * 10**18     # marks still work


def test_deposit__zero_amount__reverts(world, chain, lp):
    refused(chain, "pool: zero amount", world.markets["BTC"].pool.deposit, 0, lp, sender=lp)


def test_deposit__zero_receiver__reverts(world, chain, lp):
    pool = world.markets["BTC"].pool
    amount = fund(world, lp, 10, deposit=False)
    world.token.approve(pool, amount, sender=lp)
    refused(chain, "pool: zero address", pool.deposit, amount, ZERO_ADDRESS, sender=lp)


def test_redeem__beyond_free_collateral__reverts_and_max_redeem_passes(world, chain, taker, lp):
    m = world.markets["BTC"]
    pool = m.pool
    expiry, strike = series(world)
    lots = 40
    pool.buy(expiry, CALL, strike, lots, 10**30, sender=taker)       # locks most of the cash
    shares = pool.balanceOf(lp)
    assert pool.maxRedeem(lp) < shares
    refused(chain, "pool: exceeds free collateral", pool.redeem, shares, lp, lp, sender=lp)
    pool.redeem(pool.maxRedeem(lp), lp, lp, sender=lp)                 # its share of the free part
    assert world.vault.balance_of(pool) >= world.clearinghouse.requirement(pool)
