"""Clearinghouse `settle_fills` from a venue that is not the book (the pool's path: the maker's
bookkeeping is never deferred): positions, premium and fees to the unit, cross-margin by expiry,
the taker's collateral check, bad inputs change nothing. The book's deferred path:
test_ch_deferred.py."""

from __future__ import annotations

import ape
import pytest
from helpers import fund

from rangebound import margin
from rangebound.constants import CALL, DAY, FUTURE, PUT

from .clearinghouse_helpers import (
    active_strikes,
    ch_state,
    legs_of,
    maker_blocked,
    reference_requirement,
    trading_state_of,
)
from .clearinghouse_helpers import fill as venue_fill


def fill(env, *args, **kwargs):
    """One fill from the test market's second venue (not its book)."""
    return venue_fill(env, *args, sender=env.pool, **kwargs)


def test_venue_fill__future__positions_fees_exact(env_dec, maker, taker):
    env = env_dec
    ch, reg, vault = env.ch, env.registry, env.vault
    e = env.expiries[0]
    fund(env.system, maker, 1_000)
    fund(env.system, taker, 1_000)
    price, qty = env.usd(101.37), 3
    res = ch.reserve(maker, e, FUTURE, 0, False, price, qty, trading_state_of(env, e), 0, sender=env.pool)
    reserved = res.events.filter(ch.Reserved)[0].amount
    before = [vault.balance_of(a) for a in (taker, maker, env.fee_to)]
    tx = fill(env, taker, maker, e, FUTURE, 0, True, price, qty, reserved)
    taker_fee = margin.fee(price * qty, 5)
    maker_fee = margin.fee(price * qty, 2)
    after = [vault.balance_of(a) for a in (taker, maker, env.fee_to)]
    assert after == [before[0] - taker_fee, before[1] - maker_fee, before[2] + taker_fee + maker_fee]
    assert ch.futures_position(taker, reg, e) == (qty, qty * price)
    assert ch.futures_position(maker, reg, e) == (-qty, -qty * price)
    assert ch.reserved(maker) == 0
    lo, hi = reg.bounds(e)
    assert ch.series_requirement(taker, reg, e) == qty * (price - lo)
    assert ch.series_requirement(maker, reg, e) == qty * (hi - price)
    assert ch.requirement(taker) == qty * (price - lo)
    ev = tx.events.filter(ch.Fill)[0]
    assert (ev.taker, ev.maker, ev.price, ev.qty, ev.taker_fee, ev.maker_fee) == (
        taker.address, maker.address, price, qty, taker_fee, maker_fee,
    )
    assert ev.registry == reg.address and ev.expiry == e and ev.taker_is_buy
    opened = tx.events.filter(ch.PositionOpened)
    assert {o.account for o in opened} == {taker.address, maker.address}
    assert ch.open_interest(reg, e, FUTURE) == qty
    assert [tuple(s) for s in ch.open_series(taker)] == [(reg.address, e)]
    ch.reserve(maker, e, FUTURE, 0, False, price, 1, trading_state_of(env, e), 0, sender=env.pool)
    again = fill(env, taker, maker, e, FUTURE, 0, True, price, 1, ch.reserved(maker))
    print(f"venue fill gas (future): both new {tx.gas_used}, both existing {again.gas_used}")


@pytest.mark.parametrize("kind", [CALL, PUT], ids=["call", "put"])
@pytest.mark.parametrize("taker_is_buy", [True, False], ids=["taker_buys", "taker_sells"])
def test_venue_fill__option__premium_and_fees_exact(env_dec, maker, taker, kind, taker_is_buy):
    env = env_dec
    ch, reg, vault = env.ch, env.registry, env.vault
    e = env.expiries[0]
    lo, hi = reg.bounds(e)
    k = active_strikes(env, e)[12]
    fund(env.system, maker, 1_000)
    fund(env.system, taker, 1_000)
    premium, qty = env.usd(0.37), 11
    reserved = ch.reserve(maker, e, kind, k, not taker_is_buy, premium, qty, trading_state_of(env, e, kind=kind, strike=k), 0, sender=env.pool)
    reserved = reserved.events.filter(ch.Reserved)[0].amount
    before = [vault.balance_of(a) for a in (taker, maker, env.fee_to)]
    fill(env, taker, maker, e, kind, k, taker_is_buy, premium, qty, reserved)
    pay = premium * qty
    taker_fee, maker_fee = margin.fee(pay, 5), margin.fee(pay, 2)
    sign = -1 if taker_is_buy else 1
    after = [vault.balance_of(a) for a in (taker, maker, env.fee_to)]
    assert after == [
        before[0] + sign * pay - taker_fee,
        before[1] - sign * pay - maker_fee,
        before[2] + taker_fee + maker_fee,
    ]
    q = qty if taker_is_buy else -qty
    assert ch.option_position(taker, reg, e, kind, k) == q
    assert ch.option_position(maker, reg, e, kind, k) == -q
    assert legs_of(env, taker, e) == [(kind, k, q)]
    worst = (hi - k) if kind == CALL else (k - lo)
    short = maker if taker_is_buy else taker
    assert ch.series_requirement(short, reg, e) == qty * worst
    long_ = taker if taker_is_buy else maker
    assert ch.series_requirement(long_, reg, e) == 0
    assert ch.open_interest(reg, e, kind) == qty
    # the book's collateral check of the taker passes
    ch.check_collateral(taker, sender=env.pool)


def test_venue_fill__partial_release__maker_keeps_rest(env, maker, taker):
    ch = env.ch
    e = env.expiries[0]
    fund(env.system, maker, 1_000)
    fund(env.system, taker, 1_000)
    price = env.usd(100)
    ch.reserve(maker, e, FUTURE, 0, True, price, 10, trading_state_of(env, e), 0, sender=env.pool)
    held = ch.reserved(maker)
    fill(env, taker, maker, e, FUTURE, 0, False, price, 4, held * 4 // 10)
    assert ch.reserved(maker) == held * 6 // 10
    lo, _ = env.registry.bounds(e)
    assert ch.requirement(maker) == held * 6 // 10 + 4 * (price - lo)


def test_venue_fill__long_105_short_106_same_expiry__needs_nothing(env, maker, maker2, taker):
    ch, reg = env.ch, env.registry
    e = env.expiries[0]
    for a in (maker, maker2, taker):
        fund(env.system, a, 1_000)
    ch.set_fees(0, 0, sender=env.system.deployer)
    fill(env, taker, maker, e, FUTURE, 0, True, env.usd(105), 1)
    lo, _ = reg.bounds(e)
    assert ch.requirement(taker) == env.usd(105) - lo
    fill(env, taker, maker2, e, FUTURE, 0, False, env.usd(106), 1)
    assert ch.futures_position(taker, reg, e) == (0, -env.usd(1))
    assert ch.series_requirement(taker, reg, e) == 0 == ch.requirement(taker)
    # the locked gain keeps the series open until it is claimed
    assert [tuple(s) for s in ch.open_series(taker)] == [(reg.address, e)]


def test_venue_fill__offsetting_legs_of_different_expiries__never_offset(env, maker, taker):
    ch, reg = env.ch, env.registry
    e1, e2 = env.expiries[0], env.expiries[1]
    fund(env.system, maker, 1_000)
    fund(env.system, taker, 1_000)
    ch.set_fees(0, 0, sender=env.system.deployer)
    fill(env, taker, maker, e1, FUTURE, 0, True, env.usd(105), 1)
    fill(env, taker, maker, e2, FUTURE, 0, False, env.usd(106), 1)
    lo1, _ = reg.bounds(e1)
    _, hi2 = reg.bounds(e2)
    assert ch.requirement(taker) == (env.usd(105) - lo1) + (hi2 - env.usd(106))
    assert len(ch.open_series(taker)) == 2


def test_venue_fill__spreads_and_covered_call__requirement_matches_reference(env, maker, taker):
    ch, reg = env.ch, env.registry
    e = env.expiries[0]
    ks = active_strikes(env, e)
    fund(env.system, maker, 10_000)
    fund(env.system, taker, 10_000)
    lo, hi = reg.bounds(e)
    steps = [
        (FUTURE, 0, True, env.usd(100), 2),       # long 2 futures
        (CALL, ks[14], False, env.usd(0.5), 2),    # covered calls
        (PUT, ks[8], True, env.usd(0.4), 1),       # protective put
        (CALL, ks[10], False, env.usd(1.5), 3),    # call spread: short lower ...
        (CALL, ks[16], True, env.usd(0.2), 3),     # ... long higher
        (PUT, ks[8], False, env.usd(0.4), 1),      # close the put (leg removed)
        (FUTURE, 0, False, env.usd(103), 5),       # flip the futures short
    ]
    for kind, k, is_buy, price, qty in steps:
        fill(env, taker, maker, e, kind, k, is_buy, price, qty)
        for a in (taker, maker):
            assert ch.series_requirement(a, reg, e) == reference_requirement(env, a, e)
    assert ch.option_position(taker, reg, e, PUT, ks[8]) == 0
    assert len(legs_of(env, taker, e)) == 3
    # offsetting legs need less than their stand-alone requirements
    legs = legs_of(env, taker, e)
    n, cost = ch.futures_position(taker, reg, e)
    alone = sum(margin.requirement(0, 0, [leg], lo, hi) for leg in legs)
    alone += margin.requirement(n, cost, [], lo, hi)
    assert ch.series_requirement(taker, reg, e) < alone


def test_venue_fill__self_trade__reverts(env, maker):
    fund(env.system, maker, 1_000)
    with ape.reverts("clearinghouse: self trade"):
        fill(env, maker, maker, env.expiries[0], FUTURE, 0, True, env.usd(100), 1)


def test_venue_fill__maker_insufficient_collateral__reverts_state_unchanged(env, maker, taker):
    e = env.expiries[0]
    fund(env.system, taker, 1_000)
    fund(env.system, maker, 1)                  # far less than U - P for a short
    before = ch_state(env, taker, maker)
    with ape.reverts(maker_blocked(5)):   # the book cancels such a maker order (reason 12)
        fill(env, taker, maker, e, FUTURE, 0, True, env.usd(100), 1)
    assert ch_state(env, taker, maker) == before


def test_venue_fill__taker_uncovered__reverts_insufficient_collateral(env, maker, taker):
    """A venue's one fill (the pool's) checks the taker itself, at the end; an uncovered
    taker reverts it and nothing changes. check_collateral stays for venues that check later."""
    ch = env.ch
    e = env.expiries[0]
    ch.set_fees(0, 0, sender=env.system.deployer)
    fund(env.system, maker, 1_000)
    before = ch_state(env, taker, maker)
    with ape.reverts("clearinghouse: insufficient collateral"):
        fill(env, taker, maker, e, FUTURE, 0, True, env.usd(100), 1)   # unfunded taker
    assert ch_state(env, taker, maker) == before
    fund(env.system, taker, 1_000)
    fill(env, taker, maker, e, FUTURE, 0, True, env.usd(100), 1)
    assert ch.requirement(taker) <= env.vault.balance_of(taker)
    ch.check_collateral(taker, sender=env.pool)


def test_venue_fill__bad_inputs__revert_state_unchanged(env, maker, taker):
    e = env.expiries[0]
    lo, hi = env.registry.bounds(e)
    k = active_strikes(env, e)[3]
    fund(env.system, maker, 1_000)
    fund(env.system, taker, 1_000)
    before = ch_state(env, taker, maker)
    tick = env.registry.tick()
    cases = [
        ("clearinghouse: zero quantity", (e, FUTURE, 0, True, env.usd(100), 0, 0)),
        ("clearinghouse: bad kind", (e, 3, k, True, env.usd(1), 1, 0)),
        ("clearinghouse: bad strike", (e, FUTURE, k, True, env.usd(100), 1, 0)),
        ("clearinghouse: bad strike", (e, CALL, 0, True, env.usd(1), 1, 0)),
        ("clearinghouse: bad strike", (e, PUT, 2**120, True, env.usd(1), 1, 0)),
        ("clearinghouse: price out of range", (e, FUTURE, 0, True, lo - tick, 1, 0)),
        ("clearinghouse: price out of range", (e, FUTURE, 0, True, hi + tick, 1, 0)),
        ("clearinghouse: series not live", (e + DAY, FUTURE, 0, True, env.usd(100), 1, 0)),
        ("clearinghouse: release exceeds reserve", (e, FUTURE, 0, True, env.usd(100), 1, 1)),
    ]
    for reason, (ex, kind, strike, is_buy, price, qty, rel) in cases:
        with ape.reverts(reason):
            fill(env, taker, maker, ex, kind, strike, is_buy, price, qty, rel)
    assert ch_state(env, taker, maker) == before
