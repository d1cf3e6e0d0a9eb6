"""Clearinghouse futures word `Position.nc`: net quantity and cost as two int128 halves of one
slot. Signs survive the packing; a cost that would not fit its half counts as over the position
cap (exact reason, nothing changed)."""

from __future__ import annotations

import ape
from helpers import fund

from rangebound.constants import FUTURE

from .clearinghouse_helpers import ch_state, maker_blocked_at, trading_state_of


def test_settle_fills__long_then_flipped_short__futures_position_signs_kept(env, maker, taker):
    ch, reg = env.ch, env.registry
    e = env.expiries[0]
    fund(env.system, maker, 1_000)
    fund(env.system, taker, 1_000)
    p1, p2 = env.usd(100.01), env.usd(100.37)
    ch.settle_fills(taker, e, FUTURE, 0, True, [(maker, p1, 5, 0)], trading_state_of(env, e), 0,
                    sender=env.book)
    assert ch.futures_position(taker, reg, e) == (5, 5 * p1)
    assert ch.futures_position(maker, reg, e) == (-5, -5 * p1)
    ch.settle_fills(taker, e, FUTURE, 0, False, [(maker, p2, 7, 0)], trading_state_of(env, e), 0,
                    sender=env.book)
    assert ch.futures_position(taker, reg, e) == (-2, 5 * p1 - 7 * p2)
    assert ch.futures_position(maker, reg, e) == (2, 7 * p2 - 5 * p1)


def test_settle_fills__futures_cost_of_2_127_or_more__reverts_position_cap_state_unchanged(env, maker, taker, deployer):
    ch, reg = env.ch, env.registry
    e = env.expiries[0]
    ch.set_caps(reg, ch.MAX_CAP(), ch.MAX_CAP(), sender=deployer)   # the cap itself allows it
    # a venue's state is trusted: a market priced in 2**80 raw units per lot (far beyond any
    # real one), where MAX_CAP (2**48 - 1) lots would be worth more than the cost half holds
    live, lo, _hi, ro, min_qty, active = trading_state_of(env, e)[1:]
    price = 2**80
    state = (True, live, lo, 2**100, ro, min_qty, active)
    qty = 2**127 // price + 1                                          # qty · price >= 2**127
    assert qty <= ch.MAX_CAP()
    before = ch_state(env, taker, maker)
    with ape.reverts("clearinghouse: position cap"):
        ch.settle_fills(taker, e, FUTURE, 0, True, [(maker, price, qty, 0)], state, 0,
                        sender=env.book)
    assert ch_state(env, taker, maker) == before


def test_settle_fills__maker_cost_of_2_127_or_more__maker_blocked_position_cap(env, maker, taker, maker2, deployer):
    ch, reg = env.ch, env.registry
    e = env.expiries[0]
    ch.set_caps(reg, ch.MAX_CAP(), ch.MAX_CAP(), sender=deployer)
    ch.set_fees(0, 0, sender=deployer)
    # a range of one price: every requirement is 0, so nobody needs collateral
    price = 2**80
    live, _lo, _hi, ro, min_qty, active = trading_state_of(env, e)[1:]
    state = (True, live, price, price, ro, min_qty, active)
    qty = 2**46                                                        # qty · price = 2**126; 2·qty < MAX_CAP
    ch.settle_fills(maker2, e, FUTURE, 0, True, [(maker, price, qty, 0)], state, 0, sender=env.book)
    assert ch.futures_position(maker, reg, e) == (-qty, -qty * price)
    before = ch_state(env, taker, maker)
    # the taker's cost would be 2**126 (fits), the maker's -2**127 (does not)
    with ape.reverts(maker_blocked_at(0, 3)):
        ch.settle_fills(taker, e, FUTURE, 0, True, [(maker, price, qty, 0)], state, 0, sender=env.book)
    assert ch_state(env, taker, maker) == before
