"""Clearinghouse `settle_fills` (one call per taker order): the taker written once, fees per
fill, a blocked maker named by index, bad callers."""

from __future__ import annotations

import ape
from helpers import fund

from rangebound import margin
from rangebound.constants import FUTURE

from .clearinghouse_helpers import (
    ch_state,
    maker_blocked_at,
    reference_requirement,
    reserve_ask,
    trading_state_of,
)


def test_settle_fills__two_makers__taker_written_once_fees_per_fill(env, maker, maker2, taker):
    ch, reg, vault = env.ch, env.registry, env.vault
    e = env.expiries[0]
    for a in (maker, maker2, taker):
        fund(env.system, a, 1_000)
    p1, p2 = env.usd(100.01), env.usd(100.37)
    r1, r2 = reserve_ask(env, maker, e, p1, 2), reserve_ask(env, maker2, e, p2, 3)
    before = [vault.balance_of(a) for a in (taker, maker, maker2, env.fee_to)]
    tx = ch.settle_fills(taker, e, FUTURE, 0, True, [(maker, p1, 2, r1), (maker2, p2, 3, r2)],
                         trading_state_of(env, e), 0, sender=env.book)
    t_fee = margin.fee(2 * p1, 5) + margin.fee(3 * p2, 5)      # per fill, each rounded up
    m1, m2 = margin.fee(2 * p1, 2), margin.fee(3 * p2, 2)
    after = [vault.balance_of(a) for a in (taker, maker, maker2, env.fee_to)]
    # the book's futures fills defer each maker's reserve share and fee (test_ch_deferred)
    assert after == [before[0] - t_fee, before[1], before[2], before[3] + t_fee]
    assert ch.deferred(maker, reg, e) == (r1, m1) and ch.deferred(maker2, reg, e) == (r2, m2)
    assert ch.futures_position(taker, reg, e) == (5, 2 * p1 + 3 * p2)
    assert ch.futures_position(maker, reg, e) == (-2, -2 * p1)
    assert ch.futures_position(maker2, reg, e) == (-3, -3 * p2)
    assert ch.reserved(maker) == r1 and ch.reserved(maker2) == r2
    assert ch.open_interest(reg, e, FUTURE) == 5
    assert ch.series_requirement(taker, reg, e) == reference_requirement(env, taker, e)
    fills = tx.events.filter(ch.Fill)
    assert [(f.maker, f.qty, f.maker_fee) for f in fills] == [(maker.address, 2, m1), (maker2.address, 3, m2)]
    assert len(tx.events.filter(ch.RequirementUpdated)) == 1   # the taker's, once


def test_settle_fills__second_maker_blocked__reverts_with_index_state_unchanged(env, maker, maker2, taker):
    e = env.expiries[0]
    fund(env.system, taker, 1_000)
    fund(env.system, maker, 1_000)
    fund(env.system, maker2, 1)                 # cannot cover a short: collateral (code 5)
    before = ch_state(env, taker, maker, maker2)
    with ape.reverts(maker_blocked_at(1, 5)):
        env.ch.settle_fills(taker, e, FUTURE, 0, True,
                            [(maker, env.usd(100), 1, 0), (maker2, env.usd(100), 1, 0)],
                            trading_state_of(env, e), 0, sender=env.book)
    assert ch_state(env, taker, maker, maker2) == before


def test_settle_fills__taker_uncovered__reverts(env, maker, taker):
    e = env.expiries[0]
    env.ch.set_fees(0, 0, sender=env.system.deployer)
    fund(env.system, maker, 1_000)
    with ape.reverts("clearinghouse: insufficient collateral"):
        env.ch.settle_fills(taker, e, FUTURE, 0, True, [(maker, env.usd(100), 1, 0)],
                            trading_state_of(env, e), 0, sender=env.book)


def test_settle_fills__no_fills__reverts(env, taker):
    with ape.reverts("clearinghouse: zero quantity"):
        env.ch.settle_fills(taker, env.expiries[0], FUTURE, 0, True, [],
                            trading_state_of(env, env.expiries[0]), 0, sender=env.book)


def test_settle_fills__stranger__reverts(env, maker, stranger):
    with ape.reverts("clearinghouse: not a venue"):
        env.ch.settle_fills(stranger, env.expiries[0], FUTURE, 0, True,
                            [(maker, env.usd(100), 1, 0)],
                            trading_state_of(env, env.expiries[0]), 0, sender=stranger)
