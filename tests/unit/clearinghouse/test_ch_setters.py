"""Clearinghouse owner setters: fees, fee accounts (per market), caps; events and bounds."""

from __future__ import annotations

import ape
from helpers import fund

from rangebound import margin
from rangebound.constants import FUTURE

from .clearinghouse_helpers import fill


def test_set_market_fee_account__fees_of_that_market_only(env, deployer, stranger, maker, taker, treasury, keeper):
    ch = env.ch
    assert ch.fee_account_of(env.registry) == treasury.address
    with ape.reverts("ownable: caller is not the owner"):
        ch.set_market_fee_account(env.registry, keeper, sender=stranger)
    with ape.reverts("clearinghouse: unknown market"):
        ch.set_market_fee_account(env.token, keeper, sender=deployer)
    tx = ch.set_market_fee_account(env.registry, keeper, sender=deployer)
    ev = tx.events.filter(ch.MarketFeeAccountSet)[0]
    assert ev.registry == env.registry.address and ev.account == keeper.address
    assert ch.fee_account_of(env.registry) == keeper.address
    btc = env.system.markets["BTC"]                # another market keeps its own (its pool)
    assert ch.fee_account_of(btc.registry) == btc.pool.address
    fund(env.system, maker, 1_000)
    fund(env.system, taker, 1_000)
    before = (env.vault.balance_of(keeper), env.vault.balance_of(treasury))
    e = env.expiries[0]
    fill(env, taker, maker, e, FUTURE, 0, True, env.usd(100), 2)
    fees = margin.fee(env.usd(100) * 2, ch.taker_fee_bps()) + margin.fee(env.usd(100) * 2, ch.maker_fee_bps())
    assert env.vault.balance_of(keeper) == before[0] + fees
    assert env.vault.balance_of(treasury) == before[1]
    ch.set_market_fee_account(env.registry, ape.utils.ZERO_ADDRESS, sender=deployer)
    assert ch.fee_account_of(env.registry) == treasury.address


def test_set_fees__events_and_bounds(env, deployer, stranger):
    ch = env.ch
    tx = ch.set_fees(50, 0, sender=deployer)
    assert [(e.event_name, e.taker_fee_bps, e.maker_fee_bps) for e in tx.events] == [("FeesSet", 50, 0)]
    assert ch.taker_fee_bps() == 50 and ch.maker_fee_bps() == 0
    with ape.reverts("clearinghouse: fee too high"):
        ch.set_fees(51, 0, sender=deployer)
    with ape.reverts("clearinghouse: fee too high"):
        ch.set_fees(0, 51, sender=deployer)
    with ape.reverts("ownable: caller is not the owner"):
        ch.set_fees(1, 1, sender=stranger)
    assert ch.taker_fee_bps() == 50 and ch.maker_fee_bps() == 0


def test_set_fee_account__event_and_zero__reverts(env, deployer, stranger, keeper):
    ch = env.ch
    tx = ch.set_fee_account(keeper, sender=deployer)
    assert [(e.event_name, e.fee_account) for e in tx.events] == [("FeeAccountSet", keeper.address)]
    with ape.reverts("clearinghouse: zero address"):
        ch.set_fee_account(ape.utils.ZERO_ADDRESS, sender=deployer)
    with ape.reverts("ownable: caller is not the owner"):
        ch.set_fee_account(stranger, sender=stranger)
    assert ch.fee_account() == keeper.address


def test_set_caps__events_and_bounds(env, deployer, stranger):
    ch, reg = env.ch, env.registry
    tx = ch.set_caps(reg, 7, 3, sender=deployer)
    ev = tx.events.filter(ch.CapsSet)[0]
    assert ev.registry == reg.address and ev.oi_cap == 7 and ev.position_cap == 3
    max_cap = ch.MAX_CAP()
    for oi, pos in ((0, 1), (1, 0), (max_cap + 1, 1), (1, max_cap + 1)):
        with ape.reverts("clearinghouse: cap out of bounds"):
            ch.set_caps(reg, oi, pos, sender=deployer)
    ch.set_caps(reg, max_cap, max_cap, sender=deployer)
    ch.set_caps(reg, 7, 3, sender=deployer)
    with ape.reverts("clearinghouse: unknown market"):
        ch.set_caps(stranger, 7, 3, sender=deployer)
    with ape.reverts("ownable: caller is not the owner"):
        ch.set_caps(reg, 9, 9, sender=stranger)
    assert ch.oi_cap(reg) == 7 and ch.position_cap(reg) == 3
