"""Clearinghouse `settle_fills` limits (fills from the book): position and open-interest caps,
reduce-only, the legs bound (MAX_LEGS) and the open-series bound (MAX_OPEN_SERIES)."""

from __future__ import annotations

import ape
import pytest
from helpers import fund, new_registry

from rangebound.constants import CALL, FUTURE, PUT
from rangebound.deploy import report

from .clearinghouse_helpers import (
    active_strikes,
    ch_state,
    fill,
    legs_of,
    maker_blocked_at,
    reference_requirement,
    trading_state_of,
)


def test_settle_fills__over_position_cap__reverts_reducing_allowed(env, maker, taker, deployer):
    ch, reg = env.ch, env.registry
    e = env.expiries[0]
    k = active_strikes(env, e)[12]
    fund(env.system, maker, 10_000)
    fund(env.system, taker, 10_000)
    ch.set_caps(reg, 10**6, 5, sender=deployer)
    fill(env, taker, maker, e, FUTURE, 0, True, env.usd(100), 5)
    before = ch_state(env, taker, maker)
    with ape.reverts("clearinghouse: position cap"):
        fill(env, taker, maker, e, FUTURE, 0, True, env.usd(100), 1)
    assert ch_state(env, taker, maker) == before
    fill(env, taker, maker, e, CALL, k, False, env.usd(1), 5)      # options: per leg
    with ape.reverts("clearinghouse: position cap"):
        fill(env, taker, maker, e, CALL, k, False, env.usd(1), 1)
    ch.set_caps(reg, 10**6, 2, sender=deployer)                      # below current size
    fill(env, taker, maker, e, FUTURE, 0, False, env.usd(100), 2)  # reducing: 5 -> 3
    with ape.reverts("clearinghouse: position cap"):
        fill(env, taker, maker, e, FUTURE, 0, False, env.usd(100), 6)  # 3 -> -3 is larger
    fill(env, taker, maker, e, FUTURE, 0, False, env.usd(100), 5)  # 3 -> -2 is smaller
    assert ch.futures_position(taker, reg, e)[0] == -2


def test_settle_fills__over_open_interest_cap__reverts_closing_allowed(env, maker, maker2, taker, deployer):
    ch, reg = env.ch, env.registry
    e = env.expiries[0]
    for a in (maker, maker2, taker):
        fund(env.system, a, 10_000)
    ch.set_caps(reg, 10, 10**6, sender=deployer)
    fill(env, taker, maker, e, FUTURE, 0, True, env.usd(100), 6)   # OI 6
    fill(env, maker2, maker, e, FUTURE, 0, True, env.usd(100), 4)  # OI 10
    assert ch.open_interest(reg, e, FUTURE) == 10
    before = ch_state(env, taker, maker, maker2)
    with ape.reverts("clearinghouse: open interest cap"):
        fill(env, taker, maker, e, FUTURE, 0, True, env.usd(100), 1)
    assert ch_state(env, taker, maker, maker2) == before
    # a long selling to another long-to-be moves OI nowhere: allowed at the cap
    fill(env, taker, maker2, e, FUTURE, 0, False, env.usd(100), 2)
    assert ch.open_interest(reg, e, FUTURE) == 10
    # closing trades lower it, even after the cap is lowered under it
    ch.set_caps(reg, 1, 10**6, sender=deployer)
    fill(env, taker, maker, e, FUTURE, 0, False, env.usd(100), 4)
    assert ch.open_interest(reg, e, FUTURE) == 6
    # options count per kind: calls have their own OI
    k = active_strikes(env, e)[12]
    fill(env, taker, maker, e, CALL, k, True, env.usd(1), 1)
    with ape.reverts("clearinghouse: open interest cap"):
        fill(env, taker, maker, e, PUT, k, True, env.usd(1), 2)


def test_settle_fills__reduce_only_increasing_fill_or_reserve__reverts(env, maker, taker, chain):
    ch, reg = env.ch, env.registry
    e = env.expiries[0]
    fund(env.system, maker, 10_000)
    fund(env.system, taker, 10_000)
    fill(env, taker, maker, e, FUTURE, 0, True, env.usd(100), 3)
    report(env.system.feeds["USD1/USD"], env.system.deployer, 0.9)   # depeg
    assert reg.reduce_only()
    before = ch_state(env, taker, maker)
    with ape.reverts("clearinghouse: reduce only"):
        fill(env, taker, maker, e, FUTURE, 0, True, env.usd(100), 1)      # taker grows
    with ape.reverts("clearinghouse: reduce only"):
        fill(env, taker, maker, e, FUTURE, 0, False, env.usd(100), 4)     # taker flips
    with ape.reverts("clearinghouse: reduce only"):
        ch.reserve(taker, e, FUTURE, 0, True, env.usd(100), 1, trading_state_of(env, e), 0, sender=env.book)
    with ape.reverts("clearinghouse: reduce only"):
        ch.reserve(maker, e, FUTURE, 0, False, env.usd(100), 1, trading_state_of(env, e), 0, sender=env.book)
    assert ch_state(env, taker, maker) == before
    # both sides reducing: fine
    ch.reserve(taker, e, FUTURE, 0, False, env.usd(100), 2, trading_state_of(env, e), 0, sender=env.book)
    fill(env, maker, taker, e, FUTURE, 0, True, env.usd(100), 2)
    assert ch.futures_position(taker, reg, e)[0] == 1


@pytest.mark.parametrize("from_book", [True, False], ids=["book", "other_venue"])
def test_settle_fills__reduce_only_maker_grows__book_cancels_it_other_venue_reverts(env, maker, maker2, taker, from_book):
    """In reduce-only mode a fill whose taker reduces but whose maker would grow is the maker's
    condition: from the book `MakerBlockedAt(0, 6)` (the book cancels that order and goes on),
    from another venue the reduce-only revert itself. Nothing changes."""
    ch, reg = env.ch, env.registry
    e = env.expiries[0]
    for who in (maker, maker2, taker):
        fund(env.system, who, 10_000)
    fill(env, taker, maker, e, FUTURE, 0, True, env.usd(100), 3)
    report(env.system.feeds["USD1/USD"], env.system.deployer, 0.9)   # depeg
    assert reg.reduce_only()
    before = ch_state(env, taker, maker, maker2)
    venue = env.book if from_book else env.pool
    with ape.reverts(maker_blocked_at(0, 6) if from_book else "clearinghouse: reduce only"):
        fill(env, taker, maker2, e, FUTURE, 0, False, env.usd(100), 1, sender=venue)   # maker2 0 -> +1
    assert ch_state(env, taker, maker, maker2) == before
    fill(env, taker, maker, e, FUTURE, 0, False, env.usd(100), 1, sender=venue)        # both reduce
    assert ch.futures_position(taker, reg, e)[0] == 2 and ch.futures_position(maker, reg, e)[0] == -2


def test_settle_fills__max_legs__33rd_reverts_closing_frees_a_slot(env, maker, taker):
    ch, reg = env.ch, env.registry
    e = env.expiries[-1]                       # widest range, most active strikes
    ks = active_strikes(env, e)
    instruments = [(CALL, k) for k in ks] + [(PUT, k) for k in ks]
    assert len(instruments) >= 33
    fund(env.system, maker, 1_000_000)
    fund(env.system, taker, 1_000_000)
    ch.set_fees(0, 0, sender=env.system.deployer)
    premium = env.usd(0.01)
    gas = []
    for kind, k in instruments[:32]:
        tx = fill(env, taker, maker, e, kind, k, False, premium, 1)    # taker sells
        gas.append(tx.gas_used)
    assert len(legs_of(env, taker, e)) == 32 == len(legs_of(env, maker, e))
    assert ch.series_requirement(taker, reg, e) == reference_requirement(env, taker, e)
    before = ch_state(env, taker, maker)
    kind, k = instruments[32]
    with ape.reverts("clearinghouse: too many legs"):
        fill(env, taker, maker, e, kind, k, False, premium, 1)
    assert ch_state(env, taker, maker) == before
    # closing one leg (both sides) frees a slot
    k0kind, k0 = instruments[0]
    fill(env, taker, maker, e, k0kind, k0, True, premium, 1)
    assert len(legs_of(env, taker, e)) == 31
    tx = fill(env, taker, maker, e, kind, k, False, premium, 1)
    assert len(legs_of(env, taker, e)) == 32
    assert ch.series_requirement(taker, reg, e) == reference_requirement(env, taker, e)
    assert ch.series_requirement(maker, reg, e) == reference_requirement(env, maker, e)
    print(f"settle_fills gas, 32 legs each side: {tx.gas_used} (first {gas[0]}, 32nd {gas[-1]})")
    rc = ch.recalculate(taker, sender=env.book)
    print(f"recalculate gas, one series of 32 legs: {rc.gas_used}")


def test_settle_fills__max_open_series__25th_reverts(env, maker, taker, deployer, project, mock_venue):
    ch = env.ch
    fund(env.system, maker, 1_000_000)
    fund(env.system, taker, 1_000_000)
    markets = [(env.registry, env.book)]
    for _ in range(4):
        reg = new_registry(env.system, deployer, project)
        markets.append((reg, mock_venue(reg, ch)))
    count = 0
    for reg, bk in markets[:4]:
        for e in reg.live_expiries():
            ch.settle_fills(taker, e, FUTURE, 0, True, [(maker, env.usd(100), 1, 0)],
                            trading_state_of(env, e, reg), 0, sender=bk)
            count += 1
    assert count == 24 == len(ch.open_series(taker))
    reg, bk = markets[4]
    e = reg.live_expiries()[0]
    with ape.reverts("clearinghouse: too many series"):
        ch.settle_fills(taker, e, FUTURE, 0, True, [(maker, env.usd(100), 1, 0)],
                        trading_state_of(env, e, reg), 0, sender=bk)
    # the open series list and the stored requirements agree
    total = 0
    for s in ch.open_series(taker):
        total += ch.series_requirement(taker, s[0], s[1])
    assert total == ch.requirement(taker)
    rc = ch.recalculate(taker, sender=env.book)
    print(f"recalculate gas, 24 futures series: {rc.gas_used}")


def test_settle_fills__flat_position__leaves_open_series_order_kept(env, maker, taker):
    ch = env.ch
    e0, e1, e2 = env.expiries[:3]
    fund(env.system, maker, 1_000)
    fund(env.system, taker, 1_000)
    ch.set_fees(0, 0, sender=env.system.deployer)
    price = env.usd(100)
    for e in (e0, e1, e2):
        fill(env, taker, maker, e, FUTURE, 0, True, price, 1)
    assert [s[1] for s in ch.open_series(taker)] == [e0, e1, e2]
    fill(env, taker, maker, e0, FUTURE, 0, False, price, 1)    # flat, no locked P&L
    assert [s[1] for s in ch.open_series(taker)] == [e2, e1]
    fill(env, taker, maker, e2, FUTURE, 0, False, price, 1)
    assert [s[1] for s in ch.open_series(taker)] == [e1]
    tx = fill(env, taker, maker, e0, FUTURE, 0, True, price, 1)  # re-opens
    assert tx.events.filter(ch.PositionOpened)[0].expiry == e0
    assert [s[1] for s in ch.open_series(taker)] == [e1, e0]
    assert ch.requirement(taker) == sum(reference_requirement(env, taker, e) for e in (e0, e1))
