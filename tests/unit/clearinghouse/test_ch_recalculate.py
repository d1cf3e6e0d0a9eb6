"""Clearinghouse `recalculate`: stored requirements only fall as ranges shrink."""

from __future__ import annotations

import ape
import pytest
from helpers import fund, fund_account

from rangebound.constants import CALL, FUTURE
from rangebound.ops.risk import order_reserve

from .clearinghouse_helpers import (
    active_strikes,
    daily_updates,
    fill,
    reference_requirement,
    trading_state_of,
)


def test_recalculate__range_narrows__requirement_only_falls(env, maker, taker, keeper, stranger, chain):
    ch, reg = env.ch, env.registry
    e = env.expiries[-1]
    fund(env.system, maker, 10_000)
    fund(env.system, taker, 10_000)
    ks = active_strikes(env, e)
    fill(env, taker, maker, e, FUTURE, 0, True, env.usd(100), 2)
    fill(env, taker, maker, e, CALL, ks[len(ks) // 2], False, env.usd(1), 1)
    stored = {a: ch.requirement(a) for a in (taker, maker)}
    bounds0 = reg.bounds(e)
    daily_updates(env, chain, keeper, 3)
    lo, hi = reg.bounds(e)
    assert bounds0[0] < lo and hi < bounds0[1], "range should have narrowed"
    assert {a: ch.requirement(a) for a in (taker, maker)} == stored   # stored, not stale-low
    tx = ch.recalculate(taker, sender=stranger)                        # permissionless
    assert ch.requirement(taker) == reference_requirement(env, taker, e) < stored[taker]
    ev = tx.events.filter(ch.RequirementUpdated)[0]
    assert ev.account == taker.address and ev.requirement == ch.requirement(taker)
    # the vault refreshes the maker's requirement itself on withdrawal
    free_before = env.vault.free_collateral(maker)
    want = reference_requirement(env, maker, e)
    assert want < stored[maker]
    env.vault.withdraw(free_before + (stored[maker] - want), sender=maker)
    assert ch.requirement(maker) == want == env.vault.balance_of(maker)
    # recalculating again changes nothing
    again = ch.recalculate(taker, sender=stranger)
    assert not again.events.filter(ch.RequirementUpdated)


def _exactly_covered_then_narrowed(env, chain, keeper, taker, maker, e, covered) -> int:
    """`taker` buys 50 lots of `e`'s future at 100 USD from `maker` without fees; `covered` (one
    of them) holds exactly the requirement of its side, the other plenty. Three mornings then
    narrow the range, so `covered`'s stored requirement is stale-high. Returns the price."""
    env.ch.set_fees(0, 0, sender=env.system.deployer)
    lo0, hi0 = env.registry.bounds(e)
    price, qty = env.usd(100), 50
    other = maker if covered == taker else taker
    fund(env.system, other, 10_000)
    need = qty * (price - lo0) if covered == taker else qty * (hi0 - price)
    fund_account(env.token, env.vault, env.system.deployer, covered, need)
    fill(env, taker, maker, e, FUTURE, 0, True, price, qty)
    assert env.ch.requirement(covered) == need == env.vault.balance_of(covered)
    daily_updates(env, chain, keeper, 3)
    return price


def test_recalculate__stale_requirement_falls_when_a_trade_needs_it(env, maker, taker, keeper, chain):
    """An order that only fits with today's narrower ranges is not refused: the stored
    requirement is brought down first."""
    ch, reg = env.ch, env.registry
    e = env.expiries[-1]
    price = _exactly_covered_then_narrowed(env, chain, keeper, taker, maker, e, covered=taker)
    ch.check_collateral(taker, sender=env.book)                 # still covered by its stored requirement
    stale, fresh = ch.requirement(taker), reference_requirement(env, taker, e)
    extra = order_reserve(ch, reg, e, FUTURE, 0, True, price, 1)
    assert fresh + extra <= env.vault.balance_of(taker) < stale + extra
    tx = ch.reserve(taker, e, FUTURE, 0, True, price, 1, trading_state_of(env, e), 0, sender=env.book)
    assert ch.requirement(taker) == fresh + extra
    assert tx.events.filter(ch.RequirementUpdated)[0].requirement == fresh


def test_recalculate_nested__not_the_clearinghouse__reverts(env, maker, stranger):
    """The lock-free entry of a collateral check's recalculation answers only the Clearinghouse
    itself (a registered venue and the owner included)."""
    for caller in (stranger, env.book, env.system.deployer):
        with ape.reverts("clearinghouse: not self"):
            env.ch.recalculate_nested(maker, sender=caller)


@pytest.mark.parametrize("from_book", [False, True], ids=["other_venue", "book"])
def test_recalculate__stale_maker_requirement_falls_when_a_fill_needs_it(env, maker, taker, keeper, chain, from_book):
    """A maker whose fill in one series only fits once its other series' stored requirement is
    brought down to today's narrower range is not refused: the Clearinghouse recalculates it
    first (in a call of its own)."""
    ch, reg = env.ch, env.registry
    first = env.expiries[-1]
    _exactly_covered_then_narrowed(env, chain, keeper, taker, maker, first, covered=maker)
    other = next(x for x in env.expiries if x != first)
    _, hi_o = reg.bounds(other)
    near_top = hi_o - reg.tick()                                    # a sale there needs one tick per lot
    stale, fresh = ch.requirement(maker), reference_requirement(env, maker, first)
    assert fresh + (hi_o - near_top) <= env.vault.balance_of(maker) == stale
    tx = fill(env, taker, maker, other, FUTURE, 0, True, near_top, 1, sender=env.book if from_book else env.pool)
    assert ch.futures_position(maker, reg, other)[0] == -1
    assert ch.requirement(maker) == fresh + reference_requirement(env, maker, other) < stale
    assert tx.events.filter(ch.Fill)
