"""OptionsPool `buy`: premium at the quote with the pool covered, and every reason a buy is
refused (exact reason, nothing changes)."""

from __future__ import annotations

import ape
from helpers import fund, push_prices

from rangebound.constants import CALL, FUTURE
from rangebound.dev.node import warp
from rangebound.models import calendar as cal
from rangebound.ops.deploy import report

from .pool_helpers import covered, series, snapshot


def refused(world, taker, reason, expiry, kind, strike, qty, is_buy=True, limit=None):
    """Both `quote` and the trade revert with `reason`, and no balance or position moves."""
    pool = world.markets["BTC"].pool
    before = snapshot(world, taker)
    with ape.reverts(reason):
        pool.quote(expiry, kind, strike, qty, is_buy)
    with ape.reverts(reason):
        if is_buy:
            pool.buy(expiry, kind, strike, qty, limit or 10**30, sender=taker)
        else:
            pool.sell(expiry, kind, strike, qty, limit or 0, sender=taker)
    assert snapshot(world, taker) == before


def test_buy__call__premium_at_quote_and_pool_covered(world, taker):
    m = world.markets["BTC"]
    pool, ch = m.pool, world.clearinghouse
    expiry, strike = series(world)
    total = pool.quote(expiry, CALL, strike, 3, True)
    model = pool.model_price(expiry, CALL, strike)
    assert total > 3 * model
    before = world.vault.balance_of(taker)
    pool.buy(expiry, CALL, strike, 3, total, sender=taker)
    assert world.vault.balance_of(taker) == before - total
    assert ch.option_position(taker, m.registry, expiry, CALL, strike) == 3
    assert ch.option_position(pool, m.registry, expiry, CALL, strike) == -3
    assert covered(world, pool) and covered(world, taker)
    assert pool.delta(expiry) < 0


def test_buy__paused__reverts_and_lp_can_still_exit(world, guardian, taker, lp):
    pool = world.markets["BTC"].pool
    expiry, strike = series(world)
    pool.pause(sender=guardian)
    refused(world, taker, "pool: paused", expiry, CALL, strike, 1)
    assert pool.maxDeposit(lp) == 0
    with ape.reverts("pool: paused"):
        pool.deposit(1, lp, sender=lp)
    shares = pool.maxRedeem(lp)
    pool.redeem(shares, lp, lp, sender=lp)  # exits never stop
    assert pool.balanceOf(lp) == 0


def test_buy__future_kind__reverts_bad_kind(world, taker):
    expiry, _ = series(world)
    refused(world, taker, "pool: bad kind", expiry, FUTURE, 0, 1)


def test_buy__zero_qty__reverts(world, taker):
    expiry, strike = series(world)
    refused(world, taker, "pool: zero quantity", expiry, CALL, strike, 0)


def test_buy__qty_above_depth__reverts(world, taker):
    pool = world.markets["BTC"].pool
    expiry, strike = series(world)
    refused(world, taker, "pool: quantity too large", expiry, CALL, strike, pool.depth() + 1)


def test_buy__unknown_expiry__reverts_not_live(world, taker):
    _, strike = series(world)
    refused(world, taker, "pool: series not live", 12345, CALL, strike, 1)


def test_buy__inactive_strike__reverts(world, taker):
    expiry, strike = series(world)
    tick = world.markets["BTC"].registry.tick()
    refused(world, taker, "pool: strike not active", expiry, CALL, strike + tick, 1)


def test_buy__stale_index__reverts(world, deployer, chain, taker):
    reg = world.markets["BTC"].registry
    reg.set_index_heartbeat(60, sender=deployer)
    chain.mine(timestamp=chain.pending_timestamp + 120)
    assert not reg.needs_update()
    expiry, strike = series(world)
    refused(world, taker, "pool: stale index", expiry, CALL, strike, 1)


def test_buy__after_cutoff__reverts(world, deployer, chain, taker):
    m = world.markets["BTC"]
    pool = m.pool
    first = m.registry.live_expiries()[0]
    pool.set_cutoff(86_400, sender=deployer)
    warp(chain, max(first - 86_400 + 60, chain.pending_timestamp))
    tod = chain.pending_timestamp % cal.DAY
    assert not cal.WINDOW_START <= tod <= cal.WINDOW_END
    report(world.feeds["BTC/USD"], deployer, 100_000.0)
    report(world.feeds["USD1/USD"], deployer, 1.0)
    m.registry.daily_update(sender=deployer)
    strikes = list(m.registry.strikes(first))
    refused(world, taker, "pool: after cutoff", first, CALL, strikes[len(strikes) // 2], 1)


def test_buy__fixing_window__reverts(world, chain, taker):
    now = chain.pending_timestamp
    window = cal.day_start(now) + cal.WINDOW_START + 30
    if window <= now:            # the clock (shared by the file's tests) is past today's window
        window += cal.DAY
    warp(chain, window)
    chain.mine()
    registry = world.markets["BTC"].registry
    if registry.needs_update():  # a morning passed on the way: the pool refuses to quote on it
        push_prices(world)
        registry.daily_update(sender=world.deployer)
    expiry, strike = series(world)
    refused(world, taker, "pool: fixing window", expiry, CALL, strike, 1)


def test_buy__registry_not_current__quote_reverts(world, chain, taker):
    pool = world.markets["BTC"].pool
    reg = world.markets["BTC"].registry
    expiry, strike = series(world)
    warp(chain, cal.update_time(chain.pending_timestamp) + cal.DAY + 600)
    chain.mine()
    assert reg.needs_update()
    with ape.reverts("pool: registry not current"):
        pool.quote(expiry, CALL, strike, 1, True)


def test_buy__beyond_depth__reverts(world, deployer, taker):
    pool = world.markets["BTC"].pool
    expiry, strike = series(world)
    pool.set_depth(2, sender=deployer)
    pool.buy(expiry, CALL, strike, 2, pool.quote(expiry, CALL, strike, 2, True), sender=taker)
    refused(world, taker, "pool: depth", expiry, CALL, strike, 1)


def test_buy__above_max_utilisation__reverts_but_reducing_trade_passes(world, deployer, taker):
    pool = world.markets["BTC"].pool
    expiry, strike = series(world)
    pool.buy(expiry, CALL, strike, 100, pool.quote(expiry, CALL, strike, 100, True), sender=taker)
    pool.set_max_utilisation(10**17, sender=deployer)
    refused(world, taker, "pool: utilisation", expiry, CALL, strike, 600)
    # selling back lowers the pool's requirement: allowed whatever the utilisation
    pool.set_max_utilisation(10**17, sender=deployer)
    pool.sell(expiry, CALL, strike, 50, 0, sender=taker)


def test_buy__premium_above_limit__reverts_slippage(world, taker):
    pool = world.markets["BTC"].pool
    expiry, strike = series(world)
    total = pool.quote(expiry, CALL, strike, 2, True)
    before = snapshot(world, taker)
    with ape.reverts("pool: slippage"):
        pool.buy(expiry, CALL, strike, 2, total - 1, sender=taker)
    assert snapshot(world, taker) == before


def test_buy__reduce_only__pool_only_reduces(world, deployer, taker):
    m = world.markets["BTC"]
    pool = m.pool
    expiry, strike = series(world)
    pool.buy(expiry, CALL, strike, 3, pool.quote(expiry, CALL, strike, 3, True), sender=taker)
    report(world.feeds["USD1/USD"], deployer, 0.9)
    assert m.registry.reduce_only()
    refused(world, taker, "pool: reduce only", expiry, CALL, strike, 1)
    pool.sell(expiry, CALL, strike, 2, 0, sender=taker)  # reduces both sides
    assert world.clearinghouse.option_position(pool, m.registry, expiry, CALL, strike) == -1


def test_buy__pool_over_position_cap__reverts_blocked_trader_cap_passes_through(
    world, deployer, taker, maker2
):
    m = world.markets["BTC"]
    pool = m.pool
    expiry, strike = series(world)
    world.clearinghouse.set_caps(m.registry, 10**12, 2, sender=deployer)
    fund(world, maker2, 5_000)
    before = snapshot(world, taker)
    with ape.reverts("clearinghouse: position cap"):  # the trader's own cap: its reason as is
        pool.buy(expiry, CALL, strike, 3, 10**30, sender=taker)
    assert snapshot(world, taker) == before
    pool.buy(expiry, CALL, strike, 2, 10**30, sender=taker)
    before = snapshot(world, taker)
    with ape.reverts("pool: blocked"):  # the pool would hold -3 > cap 2 (MakerBlocked)
        pool.buy(expiry, CALL, strike, 1, 10**30, sender=maker2)
    assert snapshot(world, taker) == before
