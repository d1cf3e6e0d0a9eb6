"""Clearinghouse `recalculate`: stored requirements only fall as ranges shrink."""

from __future__ import annotations

from helpers import fund, fund_account

from rangebound.constants import CALL, FUTURE

from .clearinghouse_helpers import active_strikes, daily_updates, fill, reference_requirement


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


def test_recalculate__stale_requirement_falls_when_a_trade_needs_it(env, maker, taker, keeper, chain):
    """An order that only fits with today's narrower ranges is not refused: the stored
    requirement is brought down first."""
    ch, reg = env.ch, env.registry
    e = env.expiries[-1]
    ch.set_fees(0, 0, sender=env.system.deployer)
    fund(env.system, maker, 10_000)
    lo0, _ = reg.bounds(e)
    price, qty = env.usd(100), 50
    need = qty * (price - lo0)
    fund_account(env.token, env.vault, env.system.deployer, taker, need)
    fill(env, taker, maker, e, FUTURE, 0, True, price, qty)
    ch.check_collateral(taker, sender=env.book)                 # exactly covered
    daily_updates(env, chain, keeper, 3)
    stale, fresh = ch.requirement(taker), reference_requirement(env, taker, e)
    extra = ch.order_reserve(reg, e, FUTURE, 0, True, price, 1)
    assert fresh + extra <= env.vault.balance_of(taker) < stale + extra
    tx = ch.reserve(taker, e, FUTURE, 0, True, price, 1, sender=env.book)
    assert ch.requirement(taker) == fresh + extra
    assert tx.events.filter(ch.RequirementUpdated)[0].requirement == fresh
