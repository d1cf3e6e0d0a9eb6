"""A market's caps and its fee account share one word (`caps`: every fill reads them together):
setting one never changes the other, each at its bound."""

from __future__ import annotations

import ape


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
