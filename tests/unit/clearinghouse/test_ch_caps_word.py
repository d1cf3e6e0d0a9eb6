"""A market's caps and its fee account share one word (`caps`: every fill reads them together),
and so do both fee rates and the global fee account (`fees`, the same layout): setting one
field never changes the others, each at its bound."""

from __future__ import annotations

import ape
from helpers import fund

from rangebound import margin
from rangebound.constants import FUTURE

from .clearinghouse_helpers import fill


def _word(ch, reg):
    return ch.oi_cap(reg), ch.position_cap(reg), ch.fee_account_of(reg)


def test_set_caps__at_max_cap__market_fee_account_kept(env, deployer, keeper):
    ch, reg = env.ch, env.registry
    ch.set_market_fee_account(reg, keeper, sender=deployer)
    max_cap = ch.MAX_CAP()
    assert max_cap == 2**48 - 1                           # a cap's field of the word
    ch.set_caps(reg, max_cap, max_cap, sender=deployer)
    assert _word(ch, reg) == (max_cap, max_cap, keeper.address)
    ch.set_caps(reg, 1, 2, sender=deployer)
    assert _word(ch, reg) == (1, 2, keeper.address)


def test_set_market_fee_account__high_address__caps_kept_and_empty_returns_global(env, deployer, treasury):
    ch, reg = env.ch, env.registry
    ch.set_caps(reg, 7, ch.MAX_CAP(), sender=deployer)
    high = "0xFFfFfFffFFfffFFfFFfFFFFFffFFFffffFfFFFfF"      # every bit of the address field
    ch.set_market_fee_account(reg, high, sender=deployer)
    assert _word(ch, reg) == (7, ch.MAX_CAP(), high)
    ch.set_market_fee_account(reg, ape.utils.ZERO_ADDRESS, sender=deployer)
    assert _word(ch, reg) == (7, ch.MAX_CAP(), treasury.address)


def test_set_caps__above_max_cap__reverts_word_unchanged(env, deployer, keeper):
    ch, reg = env.ch, env.registry
    ch.set_market_fee_account(reg, keeper, sender=deployer)
    before = _word(ch, reg)
    for oi, pos in ((2**48, 1), (1, 2**48)):
        with ape.reverts("clearinghouse: cap out of bounds"):
            ch.set_caps(reg, oi, pos, sender=deployer)
    assert _word(ch, reg) == before


def _fees(ch):
    return ch.taker_fee_bps(), ch.maker_fee_bps(), ch.fee_account()


def test_set_fee_account__high_address__fee_rates_kept(env, deployer, treasury):
    ch = env.ch
    max_fee = ch.MAX_FEE_BPS()
    ch.set_fees(max_fee, max_fee, sender=deployer)
    high = "0xFFfFfFffFFfffFFfFFfFFFFFffFFFffffFfFFFfF"      # every bit of the account field
    ch.set_fee_account(high, sender=deployer)
    assert _fees(ch) == (max_fee, max_fee, high)
    ch.set_fees(0, 0, sender=deployer)
    assert _fees(ch) == (0, 0, high)
    ch.set_fees(0, max_fee, sender=deployer)
    ch.set_fee_account(treasury, sender=deployer)
    assert _fees(ch) == (0, max_fee, treasury.address)


def test_fill__market_without_its_own__fees_reach_the_global_account(env, deployer, maker, taker, keeper):
    """A market with no fee account of its own pays both fees (read from the one `fees` word)
    to the global account, after that account was changed and the rates with it."""
    ch = env.ch
    assert ch.fee_account_of(env.registry) == ch.fee_account()
    ch.set_fee_account(keeper, sender=deployer)
    ch.set_fees(7, 3, sender=deployer)
    fund(env.system, maker, 1_000)
    fund(env.system, taker, 1_000)
    before = env.vault.balance_of(keeper)
    e = env.expiries[0]
    fill(env, taker, maker, e, FUTURE, 0, True, env.usd(100), 3)
    notional = env.usd(100) * 3
    assert env.vault.balance_of(keeper) == before + margin.fee(notional, 7) + margin.fee(notional, 3)
