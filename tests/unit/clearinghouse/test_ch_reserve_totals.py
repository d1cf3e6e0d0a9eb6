"""Clearinghouse `totals` word: Σ order reserves (low 128 bits) and Σ series requirements (high
bits) of an account in one slot. `reserved` and `requirement` read it; a reserve that cannot
fit its half reverts with the collateral reason and changes nothing."""

from __future__ import annotations

import ape
from helpers import fund

from rangebound.constants import FUTURE

from .clearinghouse_helpers import ch_state


def test_reserve__total_reserve_of_2_128_or_more__reverts_insufficient_collateral(env, maker):
    ch = env.ch
    e = env.expiries[0]
    price = env.usd(100)
    fund(env.system, maker, 1_000)
    per_lot = ch.order_reserve(env.registry, e, FUTURE, 0, True, price, 1)
    qty = 2**128 // per_lot + 1                       # qty · per_lot >= 2**128 raw units
    before = ch_state(env, maker)
    with ape.reverts("clearinghouse: insufficient collateral"):
        ch.reserve(maker, e, FUTURE, 0, True, price, qty, sender=env.book)
    assert ch_state(env, maker) == before


def test_reserve_and_release__totals_word__reserved_and_requirement_add_up(env, maker):
    ch = env.ch
    e = env.expiries[0]
    price = env.usd(100)
    fund(env.system, maker, 1_000)
    stored = ch.requirement(maker) - ch.reserved(maker)
    amount = ch.reserve(maker, e, FUTURE, 0, True, price, 3, sender=env.book).return_value
    assert ch.reserved(maker) == amount
    assert ch.requirement(maker) == stored + amount
    ch.release(maker, amount - 1, sender=env.book)
    assert ch.reserved(maker) == 1
    assert ch.requirement(maker) == stored + 1
