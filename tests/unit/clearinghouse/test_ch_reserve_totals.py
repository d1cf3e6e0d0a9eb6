"""Clearinghouse `totals` word: Σ order reserves (below 2**120), the number of open series (bits
120..127) and Σ series requirements (high half) of an account in one slot. `reserved`,
`requirement` and `open_series` read it; a reserve that cannot fit its bits reverts with the
collateral reason and changes nothing."""

from __future__ import annotations

import ape
from helpers import fund, fund_account, map_slot, storage_layout, storage_word

from rangebound.constants import FUTURE
from rangebound.ops.risk import order_reserve

from .clearinghouse_helpers import ch_state, fill, reserve_ask, trading_state_of


def totals_word(env, account) -> int:
    """The account's `totals` word: reserves | open-series count << 120 | requirements << 128."""
    return storage_word(env.ch, map_slot(storage_layout("Clearinghouse")["totals"]["slot"], account.address))


def open_list_word(env, account, i: int) -> int:
    """Word `i` of the account's open list (open or stale)."""
    return storage_word(env.ch, map_slot(storage_layout("Clearinghouse")["open_list"]["slot"], account.address) + i)


def test_reserve__total_reserve_of_2_120_or_more__reverts_insufficient_collateral(env, maker):
    ch = env.ch
    e = env.expiries[0]
    price = env.usd(100)
    fund(env.system, maker, 1_000)
    per_lot = order_reserve(ch, env.registry, e, FUTURE, 0, True, price, 1)
    qty = 2**120 // per_lot + 1                       # qty · per_lot >= 2**120 raw units
    before = ch_state(env, maker)
    with ape.reverts("clearinghouse: insufficient collateral"):
        ch.reserve(maker, e, FUTURE, 0, True, price, qty, trading_state_of(env, e), 0, sender=env.book)
    assert ch_state(env, maker) == before


def test_reserve_and_release__totals_word__reserved_and_requirement_add_up(env, maker):
    ch = env.ch
    e = env.expiries[0]
    price = env.usd(100)
    fund(env.system, maker, 1_000)
    stored = ch.requirement(maker) - ch.reserved(maker)
    amount = ch.reserve(maker, e, FUTURE, 0, True, price, 3, trading_state_of(env, e), 0, sender=env.book).return_value
    assert ch.reserved(maker) == amount
    assert ch.requirement(maker) == stored + amount
    ch.release(maker, amount - 1, sender=env.book)
    assert ch.reserved(maker) == 1
    assert ch.requirement(maker) == stored + 1


def test_reserve__reserves_reach_2_120_with_the_collateral__refused_at_the_bound(env, maker):
    """The bound, not the collateral: the account holds 2**121 raw units, so only the reserve
    bits (below 2**120, under the open-series count) refuse the order that would reach them."""
    ch = env.ch
    e = env.expiries[0]
    price = env.usd(100)
    fund_account(env.token, env.vault, env.system.deployer, maker, 2**121)
    per_lot = order_reserve(ch, env.registry, e, FUTURE, 0, True, price, 1)
    inside = (2**120 - 1) // per_lot                  # the most lots below the bound
    amount = ch.reserve(maker, e, FUTURE, 0, True, price, inside, trading_state_of(env, e), 0, sender=env.book).return_value
    assert amount == inside * per_lot < 2**120 <= amount + per_lot
    assert ch.reserved(maker) == ch.requirement(maker) == amount
    assert totals_word(env, maker) == amount             # no open series, no requirement
    before = ch_state(env, maker)
    with ape.reverts("clearinghouse: insufficient collateral"):
        ch.reserve(maker, e, FUTURE, 0, True, price, 1, trading_state_of(env, e), 0, sender=env.book)
    assert ch_state(env, maker) == before


def test_open_and_close__count_in_totals__follows_the_open_list(env, maker, taker):
    """Bits 120..127 of `totals` count the open series (the open list has no length word): an
    open adds one, a close takes one, neither touches the reserves or the requirements; the
    word a close leaves past the count is stale and never listed."""
    ch = env.ch
    fund(env.system, maker, 1_000)
    fund(env.system, taker, 1_000)
    ch.set_fees(0, 0, sender=env.system.deployer)
    price = env.usd(100)
    es = env.expiries[:3]
    reserve_ask(env, taker, es[0], price, 2)            # reserves below the count's bits
    for i, e in enumerate(es):
        fill(env, taker, maker, e, FUTURE, 0, True, price, 1)
        w = totals_word(env, taker)
        assert (w >> 120) & 255 == i + 1 == len(ch.open_series(taker))
        assert (w & (2**120 - 1)) + (w >> 128) == ch.requirement(taker)
        assert w & (2**120 - 1) == ch.reserved(taker)
    fill(env, taker, maker, es[0], FUTURE, 0, False, price, 1)     # flat: closes, e2 moves down
    assert (totals_word(env, taker) >> 120) & 255 == 2
    assert [s[1] for s in ch.open_series(taker)] == [es[2], es[1]]
    assert open_list_word(env, taker, 2) != 0                      # stale, past the count
    fill(env, taker, maker, es[0], FUTURE, 0, True, price, 1)      # re-opens into that word
    assert (totals_word(env, taker) >> 120) & 255 == 3
    assert [s[1] for s in ch.open_series(taker)] == [es[2], es[1], es[0]]
