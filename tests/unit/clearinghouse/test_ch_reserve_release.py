"""Clearinghouse `reserve` / `release` (and the SDK's `order_reserve`): each order's reserve
against the reference, partial releases, only the reserving book, bad inputs change nothing."""

from __future__ import annotations

import ape
import pytest
from helpers import fund, new_registry

from rangebound import margin
from rangebound.constants import CALL, DAY, FUTURE, PUT
from rangebound.ops.risk import order_reserve

from .clearinghouse_helpers import Env, active_strikes, ch_state, fill, trading_state_of

ORDERS = [
    ("buy_future", FUTURE, True),
    ("sell_future", FUTURE, False),
    ("buy_call", CALL, True),
    ("sell_call", CALL, False),
    ("buy_put", PUT, True),
    ("sell_put", PUT, False),
]


def _bad_reserves(env: Env):
    e = env.expiries[0]
    lo, hi = env.registry.bounds(e)
    ks = active_strikes(env, e)
    inactive = ks[0] + env.registry.tick()   # not on the strike grid
    tick = env.registry.tick()
    return [
        ("clearinghouse: zero quantity", (e, FUTURE, 0, True, env.usd(100), 0)),
        ("clearinghouse: bad kind", (e, 3, ks[0], True, env.usd(1), 1)),
        ("clearinghouse: bad strike", (e, FUTURE, ks[0], True, env.usd(100), 1)),
        ("clearinghouse: price out of range", (e, FUTURE, 0, True, lo - tick, 1)),
        ("clearinghouse: price out of range", (e, FUTURE, 0, False, hi + tick, 1)),
        ("clearinghouse: price out of range", (e, CALL, ks[5], True, 0, 1)),
        ("clearinghouse: price out of range", (e, CALL, ks[5], False, hi - ks[5] + tick, 1)),
        ("clearinghouse: price out of range", (e, PUT, ks[5], True, ks[5] - lo + tick, 1)),
        ("clearinghouse: strike not active", (e, CALL, inactive, True, env.usd(1), 1)),
        ("clearinghouse: series not live", (e + DAY, FUTURE, 0, True, env.usd(100), 1)),
        ("clearinghouse: bad expiry", (2**96, FUTURE, 0, True, env.usd(100), 1)),
    ]


@pytest.mark.parametrize("name,kind,is_buy", ORDERS, ids=[o[0] for o in ORDERS])
def test_reserve__each_order__matches_reference(env_dec, maker, name, kind, is_buy):
    env = env_dec
    ch, reg = env.ch, env.registry
    e = env.expiries[0]
    lo, hi = reg.bounds(e)
    fund(env.system, maker, 10_000)
    if kind == FUTURE:
        strike, price = 0, env.usd(101.37)
    else:
        strike, price = active_strikes(env, e)[10], env.usd(1.23)
    qty = 7
    want = margin.reserve(kind, strike, is_buy, price, qty, lo, hi, ch.maker_fee_bps())
    assert order_reserve(ch, reg, e, kind, strike, is_buy, price, qty) == want
    tx = ch.reserve(maker, e, kind, strike, is_buy, price, qty, trading_state_of(env, e, kind=kind, strike=strike), 0, sender=env.book)
    ev = tx.events.filter(ch.Reserved)[0]
    assert ev.account == maker.address and ev.amount == want
    assert ch.reserved(maker) == want == ch.requirement(maker)
    assert ch.book_reserved(env.book, maker) == want
    # a pro-rata release is exact: the reserve is qty x a per-lot amount
    assert want % qty == 0


def test_release__partial_then_rest__events(env, maker):
    ch = env.ch
    e = env.expiries[0]
    fund(env.system, maker, 1_000)
    ch.reserve(maker, e, FUTURE, 0, True, env.usd(100), 3, trading_state_of(env, e), 0, sender=env.book)
    held = ch.reserved(maker)
    tx = ch.release(maker, held // 3, sender=env.book)
    ev = tx.events.filter(ch.Released)[0]
    assert ev.account == maker.address and ev.amount == held // 3
    ch.release(maker, held - held // 3, sender=env.book)
    assert ch.reserved(maker) == 0 == ch.requirement(maker)


def test_release__exceeds_reserve__reverts(env, maker):
    ch = env.ch
    e = env.expiries[0]
    fund(env.system, maker, 1_000)
    ch.reserve(maker, e, FUTURE, 0, True, env.usd(100), 3, trading_state_of(env, e), 0, sender=env.book)
    before = ch_state(env, maker)
    held = ch.reserved(maker)
    with ape.reverts("clearinghouse: release exceeds reserve"):
        ch.release(maker, held + 1, sender=env.book)
    assert ch_state(env, maker) == before


def test_release__another_books_reserve__reverts(env, maker, deployer, project, mock_venue):
    """A book can only release what it reserved itself (one book's bug stays in its market)."""
    ch = env.ch
    other = mock_venue(new_registry(env.system, deployer, project), ch)
    fund(env.system, maker, 1_000)
    ch.reserve(maker, env.expiries[0], FUTURE, 0, True, env.usd(100), 3, trading_state_of(env, env.expiries[0]), 0, sender=env.book)
    with ape.reverts("clearinghouse: release exceeds reserve"):
        ch.release(maker, 1, sender=other)


def test_reserve__insufficient_collateral__reverts_state_unchanged(env, maker):
    ch = env.ch
    e = env.expiries[0]
    lo, _ = env.registry.bounds(e)
    price = env.usd(100)
    need = margin.reserve(FUTURE, 0, True, price, 10, lo, 0, ch.maker_fee_bps())
    fund(env.system, maker, 0.01)
    top_up = need - env.vault.balance_of(maker) - 1
    env.token.mint(maker, top_up, sender=env.system.deployer)
    env.token.approve(env.vault, top_up, sender=maker)
    env.vault.deposit(top_up, sender=maker)          # one raw unit short
    before = ch_state(env, maker)
    with ape.reverts("clearinghouse: insufficient collateral"):
        ch.reserve(maker, e, FUTURE, 0, True, price, 10, trading_state_of(env, e), 0, sender=env.book)
    assert ch_state(env, maker) == before
    fund(env.system, maker, 0.000001)
    ch.reserve(maker, e, FUTURE, 0, True, price, 10, trading_state_of(env, e), 0, sender=env.book)
    assert ch.requirement(maker) == need == env.vault.balance_of(maker)
    assert env.vault.free_collateral(maker) == 0


def test_reserve__not_a_book__reverts(env, maker, stranger):
    e = env.expiries[0]
    fund(env.system, maker, 1_000)
    with ape.reverts("clearinghouse: not a venue"):
        env.ch.reserve(maker, e, FUTURE, 0, True, env.usd(100), 1, trading_state_of(env, e), 0, sender=stranger)
    with ape.reverts("clearinghouse: not a venue"):
        env.ch.release(maker, 0, sender=stranger)
    with ape.reverts("clearinghouse: not a venue"):
        env.ch.check_collateral(maker, sender=stranger)
    with ape.reverts("clearinghouse: not a venue"):
        fill(env, stranger, maker, e, FUTURE, 0, True, env.usd(100), 1, sender=stranger)


def test_reserve__bad_inputs__revert_with_reason_state_unchanged(env, maker):
    fund(env.system, maker, 10_000)
    before = ch_state(env, maker)
    for reason, args in _bad_reserves(env):
        with ape.reverts(reason):
            env.ch.reserve(maker, *args, trading_state_of(env, args[0], kind=args[1], strike=args[2]), 0, sender=env.book)
    assert ch_state(env, maker) == before
    # the maximum premiums themselves are fine
    e = env.expiries[0]
    lo, hi = env.registry.bounds(e)
    k = active_strikes(env, e)[5]
    bps = env.ch.maker_fee_bps()
    for kind, premium in ((CALL, hi - k), (PUT, k - lo)):
        state = trading_state_of(env, e, kind=kind, strike=k)
        tx = env.ch.reserve(maker, e, kind, k, True, premium, 1, state, 0, sender=env.book)
        assert tx.return_value == margin.reserve(kind, k, True, premium, 1, lo, hi, bps)


def test_reserve__stale_state__reverts_series_not_live(env, maker):
    """A state that is not `current` (an update due) is refused like a series not live: the
    Clearinghouse trusts the venue's state and reads none itself."""
    fund(env.system, maker, 1_000)
    e = env.expiries[0]
    stale = (False, *trading_state_of(env, e)[1:])
    with ape.reverts("clearinghouse: series not live"):
        env.ch.reserve(maker, e, FUTURE, 0, True, env.usd(100), 1, stale, 0, sender=env.book)
