"""OrderBook `place_order` validation: every reason an order is refused (nothing changes), the
accepted edges (range bounds, premium at the maximum payoff), expired series, the price-index
bound of the bitmap."""

from __future__ import annotations

import ape
import pytest
from ape import chain
from helpers import fund_account

from rangebound.constants import (
    CALL,
    FUTURE,
    IOC,
    MAX_FILLS,
    MAX_PRICE_INDEX,
    POST_ONLY,
    PUT,
)
from rangebound.ops.deploy import deploy_system

from .book_helpers import advance_past_next_update, place, rest, snapshot


@pytest.mark.parametrize(
    "case, reason",
    [
        ("below_min_qty", "book: below min qty"),
        ("off_tick", "book: off tick"),
        ("below_range", "book: price out of range"),
        ("above_range", "book: price out of range"),
        ("futures_strike", "book: futures strike must be 0"),
        ("bad_kind", "book: bad kind"),
        ("bad_flags", "book: bad flags"),
        ("both_flags", "book: bad flags"),
        ("zero_max_fills", "book: bad max fills"),
        ("too_many_max_fills", "book: bad max fills"),
        ("not_live", "book: series not live"),
        ("inactive_strike", "book: inactive strike"),
        ("call_premium_above_max_payoff", "book: premium above max payoff"),
        ("put_premium_above_max_payoff", "book: premium above max payoff"),
        ("zero_premium", "book: zero price"),
    ],
)
def test_place_order__invalid__reverts(funded, maker, taker, case, reason):
    env = funded
    rest(env, maker, env.px(1), 1, False)
    k = env.strike()
    args = {
        "expiry": env.expiry,
        "kind": FUTURE,
        "strike": 0,
        "is_buy": True,
        "price": env.px(0),
        "qty": max(env.min_qty, 1),
        "flags": 0,
        "max_fills": 4,
    }
    if case == "below_min_qty":
        args["qty"] = env.min_qty - 1 if env.min_qty > 1 else 0
    elif case == "off_tick":
        assert env.tick > 1, "the market's tick must exceed one raw unit for an off-tick price"
        args["price"] = env.px(0) + 1
    elif case == "below_range":
        args["price"] = env.lo - env.tick
    elif case == "above_range":
        args["price"] = env.hi + env.tick
    elif case == "futures_strike":
        args["strike"] = k
    elif case == "bad_kind":
        args["kind"] = 3
    elif case == "bad_flags":
        args["flags"] = 4
    elif case == "both_flags":
        args["flags"] = POST_ONLY | IOC
    elif case == "zero_max_fills":
        args["max_fills"] = 0
    elif case == "too_many_max_fills":
        args["max_fills"] = MAX_FILLS + 1
    elif case == "not_live":
        args["expiry"] = env.expiry + 86_400
    elif case == "inactive_strike":
        args.update(kind=CALL, strike=k + env.tick, price=env.tick)
    elif case == "call_premium_above_max_payoff":
        args.update(kind=CALL, strike=k, price=env.hi - k + env.tick)
    elif case == "put_premium_above_max_payoff":
        args.update(kind=PUT, strike=k, price=k - env.lo + env.tick)
    elif case == "zero_premium":
        args.update(kind=CALL, strike=k, price=0)
    before = snapshot(env, maker, taker)
    with ape.reverts(reason):
        env.book.place_order(*args.values(), sender=taker)
    assert snapshot(env, maker, taker) == before


def test_place_order__premium_at_max_payoff__accepted(funded, maker):
    env = funded
    k = env.strike()
    oid = rest(env, maker, env.hi - k, 1, True, kind=CALL, strike=k)
    assert env.book.best_bid(env.expiry, CALL, k) == env.hi - k
    assert rest(env, maker, k - env.lo, 1, True, kind=PUT, strike=k) > oid


def test_place_order__range_edges__accepted(funded, maker):
    env = funded
    rest(env, maker, env.lo, 1, True)
    rest(env, maker, env.hi, 1, False)
    assert env.book.best_bid(env.expiry, FUTURE, 0) == env.lo
    assert env.book.best_ask(env.expiry, FUTURE, 0) == env.hi


def test_place_order__maker_insufficient_collateral__reverts(funded, stranger, maker):
    env = funded
    env.fund(stranger, 1)
    rest(env, maker, env.px(1), 1, False)
    before = snapshot(env, stranger, maker)
    with ape.reverts("clearinghouse: insufficient collateral"):
        place(env, stranger, env.px(-1), 10, True)
    assert snapshot(env, stranger, maker) == before


def test_place_order__taker_insufficient_collateral__reverts(funded, stranger, maker):
    env = funded
    env.fund(stranger, 10 * env.tick + 10 * env.px(1) // 100)  # fees, not the position
    rest(env, maker, env.px(1), 10, False)
    before = snapshot(env, stranger, maker)
    with ape.reverts("clearinghouse: insufficient collateral"):
        place(env, stranger, env.px(1), 10, True, flags=IOC)
    assert snapshot(env, stranger, maker) == before


def test_place_order__expired_series__reverts(funded, maker):
    env = funded
    nearest = env.registry.live_expiries()[0]
    for _ in range(8):
        if chain.pending_timestamp > nearest:
            break
        advance_past_next_update(env)
    with ape.reverts("book: series not live"):
        env.book.place_order(nearest, FUTURE, 0, True, env.px(0), 1, 0, 1, sender=maker)


def test_place_order__price_index_beyond_bitmap__reverts(deployer, guardian, maker):
    """A 0.001-USD tick makes the monthly range wider than the 65,025 ticks a book indexes."""
    n = MAX_PRICE_INDEX
    assert n == 65_025
    system = deploy_system(deployer, guardian=guardian, tick_usd=0.001)
    market = system.markets["BTC"]
    book, registry = market.book, market.registry
    expiry = registry.live_expiries()[-1]
    lo, hi = registry.bounds(expiry)
    tick = registry.tick()
    assert (hi - lo) // tick > n
    fund_account(system.token, system.vault, deployer, maker, hi * 100)
    book.place_order(expiry, FUTURE, 0, True, lo + (n - 1) * tick, 1, 0, 1, sender=maker)
    with ape.reverts("book: price index too large"):
        book.place_order(expiry, FUTURE, 0, True, lo + n * tick, 1, 0, 1, sender=maker)
    k = next(x for x in registry.strikes(expiry) if lo < x < hi)
    assert hi - k > (n + 1) * tick
    book.place_order(expiry, CALL, k, True, n * tick, 1, 0, 1, sender=maker)
    with ape.reverts("book: price index too large"):
        book.place_order(expiry, CALL, k, True, (n + 1) * tick, 1, 0, 1, sender=maker)
    assert book.best_bid(expiry, CALL, k) == n * tick
    assert book.best_bid(expiry, FUTURE, 0) == lo + (n - 1) * tick
