"""OptionsPool on the deployed system: LP deposit/redeem, buy/sell against the pool, hedge
through the real book, settlement and claim of the pool's positions, and full
collateralisation after each step (docs/architecture.md §15)."""

from __future__ import annotations

import ape
import pytest
from helpers import EIP170, fund

from rangebound.constants import CALL, FUTURE, PUT
from rangebound.dev.node import warp
from rangebound.models import calendar as cal
from rangebound.models import pool as pm
from rangebound.ops.deploy import deploy_system, report


@pytest.fixture(scope="module")
def lp(accounts):
    return accounts[8]


@pytest.fixture(scope="module")
def world(chain, deployer, guardian, lp, maker, taker, maker2, keeper, stranger, load_script):
    """The deployed system with an LP's 100,000 USD1 in the pool, 20,000 USD1 of the taker's
    and 50,000 of the maker's in the vault (ape reverts each test's own changes). Every
    session-scoped fixture the tests use is requested here, before the module snapshot."""
    now = chain.pending_timestamp
    if 0 <= now % cal.DAY - (cal.WINDOW_START - 300) < 900:
        warp(chain, cal.day_start(now) + cal.EXPIRY_OFFSET + 600)
    system = deploy_system(deployer, guardian=guardian, pool_fees=True)
    pool = system.markets["BTC"].pool
    amount = fund(system, lp, 100_000, deposit=False)
    system.token.approve(pool, amount, sender=lp)
    pool.deposit(amount, lp, sender=lp)
    fund(system, taker, 20_000)
    fund(system, maker, 50_000)
    return system


def covered(system, account) -> bool:
    return system.vault.balance_of(account) >= system.clearinghouse.requirement(account)


def series(system):
    """The second live expiry (a week or more away) and a middle active strike."""
    reg = system.markets["BTC"].registry
    expiry = reg.live_expiries()[1]
    strikes = list(reg.strikes(expiry))
    return expiry, strikes[len(strikes) // 2]


def test_deploy__pool_per_market__venue_and_fee_account(world):
    m = world.markets["BTC"]
    assert m.registry.pool() == m.pool.address and m.registry.is_venue(m.pool)
    assert (
        m.pool.registry() == m.registry.address
        and m.pool.clearinghouse() == world.clearinghouse.address
    )
    assert world.clearinghouse.fee_account_of(m.registry) == m.pool.address
    assert m.pool.asset() == world.token.address
    assert m.pool.decimals() == world.decimals + 3


def test_bytecode__pool_and_pricer__under_eip_170(world, project):
    pool = world.markets["BTC"].pool
    for address in (pool.address, pool.pricer()):
        size = len(ape.chain.provider.get_code(address))
        assert 0 < size <= EIP170


def test_deposit__first_lp__shares_with_offset_and_fee(world, lp):
    pool = world.markets["BTC"].pool
    amount = world.usd(100_000)
    fee = -(-amount * pool.lp_fee_bps() // 10_000)
    assert pool.balanceOf(lp) == pool.totalSupply() == (amount - fee) * 10**3  # 10**3 per unit
    assert world.vault.balance_of(pool) == amount == pool.totalAssets()


def test_deposit__second_lp__preview_exact_and_price_unchanged(world, stranger):
    pool = world.markets["BTC"].pool
    amount = fund(world, stranger, 1_000, deposit=False)
    world.token.approve(pool, amount, sender=stranger)
    assets_before, supply_before = pool.totalAssets(), pool.totalSupply()
    preview = pool.previewDeposit(amount)
    tx = pool.deposit(amount, stranger, sender=stranger)
    assert pool.balanceOf(stranger) == preview > 0
    # share price (assets per share) never falls for existing holders
    assert pool.totalAssets() * supply_before >= assets_before * pool.totalSupply()
    assert tx.gas_used < 400_000


def test_redeem__lp_all_shares__gets_value_less_exit_fee(world, lp):
    pool = world.markets["BTC"].pool
    shares = pool.balanceOf(lp)
    assert pool.maxRedeem(lp) == shares
    preview = pool.previewRedeem(shares)
    before = world.token.balanceOf(lp)
    pool.redeem(shares, lp, lp, sender=lp)
    assert world.token.balanceOf(lp) - before == preview
    assert preview < world.usd(100_000)
    assert pool.totalSupply() == 0 and world.vault.balance_of(pool) > 0  # fees stay


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


def test_model_price__equals_mirror(world, chain):
    m = world.markets["BTC"]
    pool, reg = m.pool, m.registry
    expiry, strike = series(world)
    lo, hi = reg.bounds(expiry)
    idx, fresh = reg.index_price()
    assert fresh
    f = min(max(idx, lo), hi)
    tau = expiry - chain.pending_timestamp
    # the eth_call runs on the pending block: same timestamp as chain.pending_timestamp
    s = pm.scale(f, pool.vol_multiplier(), reg.variance(), tau)
    assert pool.model_price(expiry, CALL, strike) == pm.price(CALL, strike, f, s, lo, hi)


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


# ------------------------------------------------------------------ bad inputs: exact reason, nothing changes


def snapshot(world, taker):
    m = world.markets["BTC"]
    pool, ch = m.pool, world.clearinghouse
    expiry, strike = series(world)
    return (
        world.vault.balance_of(taker),
        world.vault.balance_of(pool),
        pool.totalSupply(),
        ch.option_position(taker, m.registry, expiry, CALL, strike),
        ch.option_position(pool, m.registry, expiry, CALL, strike),
        ch.requirement(pool),
    )


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
    reg.set_parameter("index_heartbeat", 60, sender=deployer)
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
    if window <= now:
        pytest.fail("session clock starts before 07:55 UTC (conftest); the window is ahead")
    warp(chain, window)
    chain.mine()
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


def test_setters__trading_params__trade_path_reads_the_new_values(world, deployer, taker):
    """Quotes read the packed copy of the trading parameters (pool_params.trade_a/trade_b):
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


def test_sell__proceeds_below_limit__reverts_slippage(world, taker):
    pool = world.markets["BTC"].pool
    expiry, strike = series(world)
    pool.buy(expiry, CALL, strike, 2, pool.quote(expiry, CALL, strike, 2, True), sender=taker)
    total = pool.quote(expiry, CALL, strike, 2, False)
    before = snapshot(world, taker)
    with ape.reverts("pool: slippage"):
        pool.sell(expiry, CALL, strike, 2, total + 1, sender=taker)
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


# ------------------------------------------------------------------ settlement and claim


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
    pnl = ch.unclaimed_pnl(pool, reg, first)
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


# ------------------------------------------------------------------ gas (receipts)


def test_gas__buy_sell_deposit_redeem__receipts(world, taker, lp, stranger):
    pool = world.markets["BTC"].pool
    expiry, strike = series(world)
    strikes = list(world.markets["BTC"].registry.strikes(expiry))
    gas = {}
    gas["buy_first"] = pool.buy(expiry, CALL, strike, 2, 10**30, sender=taker).gas_used
    gas["buy_again"] = pool.buy(expiry, CALL, strike, 2, 10**30, sender=taker).gas_used
    gas["sell"] = pool.sell(expiry, CALL, strike, 1, 0, sender=taker).gas_used
    for k in strikes[:11]:  # 12 open legs in the series
        pool.buy(expiry, PUT, k, 1, 10**30, sender=taker)
    gas["buy_12_legs"] = pool.buy(expiry, PUT, strikes[0], 1, 10**30, sender=taker).gas_used
    amount = fund(world, stranger, 1_000, deposit=False)
    world.token.approve(pool, amount, sender=stranger)
    gas["deposit_12_legs"] = pool.deposit(amount, stranger, sender=stranger).gas_used
    gas["redeem_12_legs"] = pool.redeem(
        pool.balanceOf(stranger), stranger, stranger, sender=stranger
    ).gas_used
    print("GAS", gas)
    assert gas["buy_again"] < 400_000 and gas["sell"] < 400_000
    assert gas["deposit_12_legs"] < 650_000 and gas["redeem_12_legs"] < 650_000


# ------------------------------------------------------------------ keeper hook


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


# ------------------------------------------------------------------ ape run pool (script helpers)


def test_script_quotes__every_strike__bid_below_model_below_ask(world, load_script):
    script = load_script("pool")
    pool = world.markets["BTC"].pool
    expiry, _ = series(world)
    rows = script.quotes(pool, expiry)
    strikes = list(world.markets["BTC"].registry.strikes(expiry))
    assert [(r["strike"], r["kind"]) for r in rows] == [
        (k, n) for k in strikes for n in ("call", "put")
    ]
    tick = world.markets["BTC"].registry.tick()
    for r in rows:
        assert r["bid"] is not None and r["ask"] is not None
        assert r["bid"] <= max(r["model"], tick) <= r["ask"]
        assert (0 <= r["delta"] <= 1) if r["kind"] == "call" else (-1 <= r["delta"] <= 0)


def test_script_status__after_trade__nav_utilisation_positions(world, load_script, taker, stranger):
    script = load_script("pool")
    pool = world.markets["BTC"].pool
    expiry, strike = series(world)
    pool.buy(expiry, CALL, strike, 2, 10**30, sender=taker)
    st = script.status(pool)
    assert st["nav"] == pool.totalAssets() and 0 < st["utilisation"] < 1
    assert [p["legs"] for p in st["positions"]] == [[("call", strike, -2)]]
    fund(world, stranger, 500, deposit=False)
    shares = script.deposit(pool, stranger, world.usd(500))
    assert shares == pool.balanceOf(stranger) > 0
    paid = script.redeem(pool, stranger)
    assert 0 < paid < world.usd(500) and pool.balanceOf(stranger) == 0


# ------------------------------------------------------------------ governance

SETTERS = [  # (setter, getter, lowest, highest) as the bounds of contracts/modules/pool_params.vy
    ("set_vol_multiplier", "vol_multiplier", 10**17, 10 * 10**18),
    ("set_beta", "beta", 0, 10**18),
    ("set_depth", "depth", 1, 10**9),
    ("set_base_spread", "base_spread", 0, 1_000),
    ("set_util_spread", "util_spread", 0, 5_000),
    ("set_max_utilisation", "max_utilisation", 10**17, 10**18),
    ("set_cutoff", "cutoff", 600, 86_400),
    ("set_hedge_band", "hedge_band", 0, 10**9),
    ("set_max_slippage", "max_slippage", 1, 2_000),
    ("set_fee", "fee_bps", 0, 500),
    ("set_lp_fee", "lp_fee_bps", 0, 100),
]


@pytest.mark.parametrize(("setter", "getter", "lowest", "highest"), SETTERS)
def test_setter__bounds_owner_and_event(world, deployer, stranger, setter, getter, lowest, highest):
    pool = world.markets["BTC"].pool
    fn, before = getattr(pool, setter), getattr(pool, getter)()
    with ape.reverts("ownable: caller is not the owner"):
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
        assert [(e.name, e.value) for e in tx.events] == [(getter, value)]


def test_pause__stranger__reverts_not_guardian(world, stranger, guardian):
    pool = world.markets["BTC"].pool
    with ape.reverts("pool: not guardian"):
        pool.pause(sender=stranger)
    pool.pause(sender=guardian)
    with ape.reverts("pool: not guardian"):
        pool.unpause(sender=stranger)
    pool.unpause(sender=guardian)
    assert not pool.paused()


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


def test_keeper_attach_pools__market_without_pool__finds_registry_pool(world):
    from rangebound.ops.deploy import Market
    from rangebound.ops.records import attach_pools

    m = world.markets["BTC"]
    markets = {"BTC": Market(name="BTC", registry=m.registry, book=m.book)}
    attach_pools(markets)
    assert markets["BTC"].pool.address == m.pool.address
