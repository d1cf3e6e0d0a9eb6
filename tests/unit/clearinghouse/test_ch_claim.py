"""Clearinghouse `claim`: P&L exact and zero-sum, once, only after settlement; a settled series
takes no more fills or reserves."""

from __future__ import annotations

import ape
import pytest
from helpers import fund

from rangebound import margin
from rangebound.constants import CALL, FUTURE, PUT

from .clearinghouse_helpers import (
    active_strikes,
    ch_state,
    fill,
    legs_of,
    settle_series,
    trading_state_of,
)


@pytest.fixture
def settled(env_dec, maker, taker, maker2, keeper, chain):
    """Taker long 3 futures at 101 and short 2 calls at K; maker2 long a put; settled at 103."""
    env = env_dec
    e = env.expiries[0]
    ks = active_strikes(env, e)
    k_call = min(ks, key=lambda k: abs(k - env.usd(102)))
    k_put = min(ks, key=lambda k: abs(k - env.usd(104)))
    for a in (maker, taker, maker2):
        fund(env.system, a, 10_000)
    fill(env, taker, maker, e, FUTURE, 0, True, env.usd(101), 3)
    fill(env, taker, maker, e, CALL, k_call, False, env.usd(0.8), 2)
    fill(env, maker2, maker, e, PUT, k_put, True, env.usd(1.1), 4)
    s = settle_series(env, chain, keeper, e, 103_000)
    assert s == env.usd(103)
    return env, e, s, k_call, k_put


def test_claim__pnl_exact_zero_sum_released(settled, maker, taker, maker2, keeper):
    env, e, s, k_call, k_put = settled
    ch, reg, vault = env.ch, env.registry, env.vault
    want = {
        taker: margin.pnl(s, 3, 3 * env.usd(101), [(CALL, k_call, -2)]),
        maker: margin.pnl(s, -3, -3 * env.usd(101), [(CALL, k_call, 2), (PUT, k_put, -4)]),
        maker2: margin.pnl(s, 0, 0, [(PUT, k_put, 4)]),
    }
    assert sum(want.values()) == 0
    for a, pnl in want.items():
        assert env.lens.unclaimed_pnl(a, reg, e) == pnl
    # after settlement the requirement is the loss at S: recalculate brings it there
    ch.recalculate(maker, sender=keeper)
    assert ch.requirement(maker) == max(0, -want[maker])
    total_before = vault.total_balances()
    gas = []
    for a, pnl in want.items():
        bal = vault.balance_of(a)
        tx = ch.claim(a, reg, e, sender=keeper)
        gas.append(tx.gas_used)
        ev = tx.events.filter(ch.Claimed)[0]
        assert ev.account == a.address and ev.pnl == pnl and ev.expiry == e
        assert vault.balance_of(a) == bal + pnl
        assert ch.requirement(a) == 0
        assert env.lens.unclaimed_pnl(a, reg, e) == 0
        assert len(ch.open_series(a)) == 0
        assert ch.futures_position(a, reg, e) == (0, 0) and legs_of(env, a, e) == []
    assert vault.total_balances() == total_before
    assert env.token.balanceOf(vault) == vault.total_balances()
    print(f"claim gas (futures+1 leg, 2 legs, 1 leg): {gas}")


def test_claim__twice__reverts(settled, taker, keeper):
    env, e, *_ = settled
    env.ch.claim(taker, env.registry, e, sender=keeper)
    before = ch_state(env, taker)
    with ape.reverts("clearinghouse: nothing to claim"):
        env.ch.claim(taker, env.registry, e, sender=keeper)
    assert ch_state(env, taker) == before


def test_claim__no_position__reverts(settled, stranger, keeper):
    env, e, *_ = settled
    with ape.reverts("clearinghouse: nothing to claim"):
        env.ch.claim(stranger, env.registry, e, sender=keeper)
    with ape.reverts("clearinghouse: unknown market"):
        env.ch.claim(stranger, stranger, e, sender=keeper)


def test_claim__unsettled__reverts(env, maker, taker, keeper):
    e = env.expiries[0]
    fund(env.system, maker, 1_000)
    fund(env.system, taker, 1_000)
    fill(env, taker, maker, e, FUTURE, 0, True, env.usd(100), 1)
    before = ch_state(env, taker)
    with ape.reverts("clearinghouse: not settled"):
        env.ch.claim(taker, env.registry, e, sender=keeper)
    assert ch_state(env, taker) == before
    assert env.lens.unclaimed_pnl(taker, env.registry, e) == 0


def test_claim__settled_series__no_more_fills_or_reserves(settled, maker, taker):
    env, e, *_ = settled
    with ape.reverts("clearinghouse: series not live"):
        fill(env, taker, maker, e, FUTURE, 0, True, env.usd(100), 1)
    with ape.reverts("clearinghouse: series not live"):
        env.ch.reserve(taker, e, FUTURE, 0, True, env.usd(100), 1, trading_state_of(env, e), 0, sender=env.book)


def test_claim__loser_keeps_locked_collateral_until_claimed(settled, maker, keeper):
    """The maker lost; its requirement keeps the loss locked, and the claim pays it."""
    env, e, *_ = settled
    ch, vault = env.ch, env.vault
    loss = -env.lens.unclaimed_pnl(maker, env.registry, e)
    assert loss > 0
    bal = vault.balance_of(maker)
    with ape.reverts("vault: insufficient collateral"):
        vault.withdraw(bal - loss + 1, sender=maker)
    vault.withdraw(bal - loss, sender=maker)
    ch.claim(maker, env.registry, e, sender=keeper)
    assert vault.balance_of(maker) == 0
