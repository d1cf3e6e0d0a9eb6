"""On `ethereum:sepolia-fork:foundry`: the upstream deployment, read from its record, trades
and settles on the fork while the upstream (a second anvil, see conftest.py) stays unchanged.

The upstream was deployed by `ape run deploy --network ethereum:sepolia:node --account TEST::0`;
test account 0 is therefore the token's minter and the feeds' only reporter on the fork too.
"""

from __future__ import annotations

import pytest
from helpers import SEPOLIA_CHAIN_ID, fund_account

from rangebound.constants import CALL, DAY, FUTURE, IOC, POST_ONLY
from rangebound.models import margin
from rangebound.ops.deploy import USD, report  # the script deploys the 6-decimal USD1
from rangebound.ops.records import deployments_dir, load_deployment


@pytest.fixture(scope="module", autouse=True)
def rb(fork, upstream_call, read_upstream_state, deployer, maker, taker, keeper, stranger,
       treasury):
    """The recorded contracts, by console name, as instances on the fork.

    Autouse and requesting every module/session fixture the tests use: all of them are set
    up before the first test's isolation snapshot. Otherwise Ape "rebases" (re-runs) module
    fixtures a later test brings in, which would deploy and fork a second time.
    """
    return load_deployment("ethereum_sepolia")


def _fund(rb, deployer, account, usd: int) -> int:
    return fund_account(rb["token"], rb["vault"], deployer, account, usd * USD)


def _push(rb, reporter, btc: float, peg: float = 1.0):
    report(rb["feed_btc_usd"], reporter, btc)
    report(rb["feed_usd1_usd"], reporter, peg)


def _update_time(ts: int) -> int:
    """The latest 08:00 UTC at or before ts."""
    d = ts - ts % DAY + 8 * 3600
    return d if ts >= d else d - DAY


def test_record__written_by_the_deploy_script(upstream_deployment, upstream, deployer):
    rec = upstream_deployment
    assert rec["network"] == "ethereum_sepolia"
    assert rec["chain_id"] == SEPOLIA_CHAIN_ID
    assert rec["deployer"] == deployer.address
    assert rec["params"]["decimals"] == 6
    assert 0 < rec["block"] <= upstream.rpc.block_number()
    c = rec["contracts"]
    addrs = [c["token"], c["vault"], c["clearinghouse"], c["lens"], *c["feeds"].values(),
             c["markets"]["BTC"]["registry"], c["markets"]["BTC"]["book"]]
    assert len(set(addrs)) == 8
    for a in addrs:
        assert len(upstream.rpc("eth_getCode", a, "latest")) > 2, a


def test_fork__reads_the_upstream_deployment(fork, rb, chain, upstream_deployment, deployments_env):
    assert chain.chain_id == SEPOLIA_CHAIN_ID
    assert fork.network.name == "sepolia-fork"
    # the record came from the test's directory, never the repo's deployments/
    assert deployments_dir() == deployments_env
    assert (deployments_env / "ethereum_sepolia.json").is_file()
    assert chain.blocks.head.number >= upstream_deployment["block"]
    c = upstream_deployment["contracts"]
    assert rb["token"].address == c["token"] and rb["vault"].address == c["vault"]
    assert rb["vault"].token() == rb["token"].address
    assert rb["clearinghouse"].address == c["clearinghouse"]
    assert rb["lens"].address == c["lens"] and rb["lens"].CLEARINGHOUSE() == c["clearinghouse"]
    assert rb["btc_book"].address == c["markets"]["BTC"]["book"]
    assert len(rb["btc_registry"].live_expiries()) == 6
    assert rb["feed_btc_usd"].latestRoundData()[1] == 100_000 * 10**8
    assert rb["feed_usd1_usd"].latestRoundData()[1] == 10**8
    assert not rb["btc_registry"].reduce_only()


def test_fork__deposit_withdraw(fork, rb, deployer, stranger, treasury):
    token, vault = rb["token"], rb["vault"]
    amount = _fund(rb, deployer, stranger, 1_000)
    assert vault.balance_of(stranger) == amount
    assert vault.free_collateral(stranger) == amount
    vault.withdraw(400 * USD, sender=stranger)
    vault.withdraw_to(treasury, 100 * USD, sender=stranger)
    assert vault.balance_of(stranger) == 500 * USD
    assert token.balanceOf(stranger) == 400 * USD
    assert token.balanceOf(treasury) == 100 * USD


def test_fork__trade_time_travel_settle_claim(fork, rb, chain, upstream, upstream_deployment,
                                              upstream_call, deployer, maker, taker, keeper):
    reg, book, ch, vault = rb["btc_registry"], rb["btc_book"], rb["clearinghouse"], rb["vault"]
    now = chain.pending_timestamp
    # a series at least two days out, so at least one 07:56 report lands before its expiry
    # even when the first 08:00 update is skipped below
    e = next(x for x in reg.live_expiries() if x - now >= 2 * DAY)
    lo, hi = reg.bounds(e)
    tick = reg.tick()
    price = (lo + hi) // 2 // tick * tick
    ks = [k for k in reg.strikes(e) if lo < k < hi and reg.strike_active(e, k)]
    strike = min(ks, key=lambda k: abs(k - price - 2 * USD))
    premium = USD  # 1 USD1 per lot
    for a in (maker, taker):
        _fund(rb, deployer, a, 10_000)

    # maker quotes (post-only), taker lifts them (IOC)
    book.place_order(e, FUTURE, 0, False, price, 3, POST_ONLY, 1, sender=maker)
    book.place_order(e, CALL, strike, True, premium, 2, POST_ONLY, 1, sender=maker)
    assert book.best_ask(e, FUTURE, 0) == price
    assert book.best_bid(e, CALL, strike) == premium
    book.place_order(e, FUTURE, 0, True, price, 3, IOC, 4, sender=taker)
    book.place_order(e, CALL, strike, False, premium, 2, IOC, 4, sender=taker)
    assert book.best_ask(e, FUTURE, 0) == 0 and book.best_bid(e, CALL, strike) == 0
    assert ch.futures_position(taker, reg, e) == (3, 3 * price)
    assert ch.futures_position(maker, reg, e) == (-3, -3 * price)
    assert ch.option_position(taker, reg, e, CALL, strike) == -2
    assert ch.option_position(maker, reg, e, CALL, strike) == 2
    assert ch.requirement(taker) > 0 and ch.requirement(maker) > 0

    # time travel to the expiry: each day the reporter (test account 0) pushes both feeds at
    # 07:56 (the peg must stay fresh), then a keeper runs the 08:00 update; BTC is up 10%
    btc = 110_000.0
    t = _update_time(now + 300) + DAY  # the first 08:00 with room for a 07:56 report before it
    updates = 0
    while True:
        chain.pending_timestamp = t - 240
        _push(rb, deployer, btc)
        chain.pending_timestamp = t
        if t >= e:
            break
        reg.daily_update(sender=keeper)
        updates += 1
        t += DAY
    assert reg.settlement_price(e) == 0
    tx = reg.settle(e, sender=keeper)
    assert tx.events.filter(reg.SeriesSettled)
    s = reg.settlement_price(e)
    lo_e, hi_e = reg.bounds(e)
    fixing = reg.fixing(e, e // DAY)
    assert s == max(lo_e, min(fixing, hi_e)) > price  # the index rose past the last trade
    assert e not in list(reg.live_expiries()) and len(reg.live_expiries()) == 6

    # claims credit exactly the settled P&L, zero-sum
    want = {
        taker: margin.pnl(s, 3, 3 * price, [(CALL, strike, -2)]),
        maker: margin.pnl(s, -3, -3 * price, [(CALL, strike, 2)]),
    }
    assert sum(want.values()) == 0 and want[taker] != 0
    for a, pnl in want.items():
        assert rb["lens"].unclaimed_pnl(a, reg, e) == pnl
        bal = vault.balance_of(a)
        fee = book.unfolded(a, e).fee          # the maker's filled ask is a fill record: its fee moves at the claim
        ch.claim(a, reg, e, sender=keeper)
        assert vault.balance_of(a) == bal + pnl - fee
        assert ch.futures_position(a, reg, e) == (0, 0)
        assert ch.requirement(a) == 0
    assert rb["token"].balanceOf(vault) >= vault.balance_of(maker) + vault.balance_of(taker)

    # all of it happened on the fork only
    assert chain.blocks.head.number > upstream.rpc.block_number()
    assert chain.blocks.head.timestamp >= e
    c = upstream_deployment["contracts"]
    assert upstream_call(c["markets"]["BTC"]["registry"], "settlement_price(uint256)", e) == 0
    assert upstream_call(c["vault"], "balance_of(address)", taker.address) == 0
    print(f"fork: {updates} daily updates, settled at {s / USD} USD1/lot, taker pnl {want[taker]}")


def test_upstream__unchanged(fork, upstream_before, read_upstream_state):
    """Runs last: after all the fork's transactions and time travel, the upstream's head,
    code, storage, balances, nonces and views are exactly what they were before the fork."""
    after = read_upstream_state()
    assert after["block"] == upstream_before["block"]
    assert after == upstream_before
