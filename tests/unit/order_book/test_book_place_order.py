"""OrderBook `place_order` matching: resting, price-time priority, fills at the maker's price,
partial fills, IOC, post-only, max_fills, self-trade, fills recorded in the registry."""

from __future__ import annotations

import ape

from rangebound.constants import (
    CALL,
    CANCEL_IOC,
    CANCEL_MAX_FILLS,
    CANCEL_SELF_TRADE,
    DAY,
    FUTURE,
    IOC,
    POST_ONLY,
)

from .book_helpers import place, rest, snapshot


def test_place_order__resting_bid__sets_best_bid_and_reserves(funded, maker):
    env = funded
    before = env.requirement(maker)
    tx = place(env, maker, env.px(-2), 3, True)
    oid = tx.return_value
    assert oid == env.book.next_order_id() and oid > 0
    assert env.book.best_bid(env.expiry, FUTURE, 0) == env.px(-2)
    assert env.book.best_ask(env.expiry, FUTURE, 0) == 0
    info = env.lens.orders(env.book, oid)
    assert info.owner == maker.address and info.qty == 3 and info.is_buy
    assert info.price == env.px(-2) and info.kind == FUTURE and info.expiry == env.expiry
    assert info.reserve >= 3 * (env.px(-2) - env.lo)  # stand-alone worst case (+ fee)
    assert env.requirement(maker) - before == info.reserve
    logs = tx.decode_logs(env.book.OrderPlaced)
    assert len(logs) == 1 and logs[0].order_id == oid and logs[0].qty == 3


def test_place_order__price_time_priority_across_levels(funded, maker, maker2, taker):
    env = funded
    a_far = rest(env, maker, env.px(3), 2, False)
    a_best = rest(env, maker2, env.px(1), 2, False)
    a_mid = rest(env, maker, env.px(2), 2, False)
    tx = place(env, taker, env.px(3), 5, True)
    fills = tx.decode_logs(env.book.OrderFilled)
    assert [(f.maker_order_id, f.price, f.qty) for f in fills] == [
        (a_best, env.px(1), 2),
        (a_mid, env.px(2), 2),
        (a_far, env.px(3), 1),
    ]
    assert tx.return_value == 0  # fully filled: nothing rests
    assert env.lens.orders(env.book, a_far).qty == 1
    assert env.book.best_ask(env.expiry, FUTURE, 0) == env.px(3)


def test_place_order__time_priority_within_level(funded, maker, maker2, taker):
    env = funded
    first = rest(env, maker2, env.px(1), 2, False)
    second = rest(env, maker, env.px(1), 2, False)
    third = rest(env, maker2, env.px(1), 2, False)
    assert list(env.lens.queue(env.book, env.expiry, FUTURE, 0, False, env.px(1), 10)) == [
        first,
        second,
        third,
    ]
    tx = place(env, taker, env.px(1), 3, True)
    fills = tx.decode_logs(env.book.OrderFilled)
    assert [(f.maker_order_id, f.qty, f.remaining) for f in fills] == [
        (first, 2, 0),
        (second, 1, 1),
    ]
    assert list(env.lens.queue(env.book, env.expiry, FUTURE, 0, False, env.px(1), 10)) == [second, third]
    assert env.book.depth(env.expiry, FUTURE, 0, False, 1)[0][1] == 3


def test_place_order__fills_at_maker_price(funded, maker, taker):
    env = funded
    rest(env, maker, env.px(-1), 2, True)
    tx = place(env, taker, env.px(-5), 2, False)  # seller willing to go lower gets the bid
    assert [f.price for f in tx.decode_logs(env.book.OrderFilled)] == [env.px(-1)]


def test_place_order__partial_fill__pro_rata_release_then_exact_rest(funded, maker, taker):
    env = funded
    oid = rest(env, maker, env.px(1), 7, False)
    reserve = env.lens.orders(env.book, oid).reserve
    req0 = env.requirement(maker)
    place(env, taker, env.px(1), 3, True)
    info = env.lens.orders(env.book, oid)
    assert info.qty == 4
    assert info.reserve == reserve - reserve * 3 // 7  # released pro rata, rounded down
    place(env, taker, env.px(1), 4, True)
    assert env.lens.orders(env.book, oid).owner == ape.utils.ZERO_ADDRESS
    assert env.book.best_ask(env.expiry, FUTURE, 0) == 0
    # the order's reserve is held for the fills until folded: the partial fill's share
    # deferred (test_ch_deferred), the last fill (the order's rest, whole) recorded
    # (test_book_fill_records); folded, what remains is the short position's requirement
    assert env.requirement(maker) == req0
    assert env.book.unfolded(maker, env.expiry).lots == -4
    env.book.fold(maker, env.expiry, sender=taker)
    env.ch.recalculate(maker, sender=taker)
    assert env.requirement(maker) <= req0 - reserve + 7 * (env.hi - env.px(1))


def test_place_order__taker_remainder_rests(funded, maker, taker):
    env = funded
    rest(env, maker, env.px(1), 2, False)
    tx = place(env, taker, env.px(2), 5, True)
    oid = tx.return_value
    assert oid > 0 and env.lens.orders(env.book, oid).qty == 3
    assert env.book.best_bid(env.expiry, FUTURE, 0) == env.px(2)
    assert env.book.best_ask(env.expiry, FUTURE, 0) == 0


def test_place_order__ioc__remainder_cancelled(funded, maker, taker):
    env = funded
    rest(env, maker, env.px(1), 2, False)
    req0 = env.requirement(taker)
    tx = place(env, taker, env.px(1), 5, True, flags=IOC)
    assert tx.return_value == 0
    cancels = tx.decode_logs(env.book.OrderCancelled)
    assert [(c.owner, c.remaining, c.reason) for c in cancels] == [(taker.address, 3, CANCEL_IOC)]
    assert env.book.best_bid(env.expiry, FUTURE, 0) == 0
    assert env.requirement(taker) >= req0  # a position, no order reserve


def test_place_order__ioc_no_liquidity__nothing_happens(funded, taker):
    env = funded
    before = snapshot(env, taker)
    tx = place(env, taker, env.px(0), 2, True, flags=IOC)
    assert tx.return_value == 0
    assert snapshot(env, taker)[1:] == before[1:]


def test_place_order__post_only_crossing__reverts(funded, maker, taker):
    env = funded
    rest(env, maker, env.px(1), 2, False)
    before = snapshot(env, maker, taker)
    with ape.reverts("book: post-only would cross"):
        place(env, taker, env.px(1), 1, True, flags=POST_ONLY)
    assert snapshot(env, maker, taker) == before


def test_place_order__post_only_not_crossing__rests(funded, maker, taker):
    env = funded
    rest(env, maker, env.px(1), 2, False)
    oid = place(env, taker, env.px(0), 1, True, flags=POST_ONLY).return_value
    assert oid > 0 and env.book.best_bid(env.expiry, FUTURE, 0) == env.px(0)


def test_place_order__max_fills__stops_early_and_never_rests_crossed(funded, maker, maker2, taker):
    env = funded
    ids = [rest(env, maker if i % 2 else maker2, env.px(1), 1, False) for i in range(4)]
    tx = place(env, taker, env.px(1), 4, True, max_fills=2)
    fills = tx.decode_logs(env.book.OrderFilled)
    assert [f.maker_order_id for f in fills] == ids[:2]
    cancels = tx.decode_logs(env.book.OrderCancelled)
    assert [(c.remaining, c.reason) for c in cancels] == [(2, CANCEL_MAX_FILLS)]
    assert tx.return_value == 0
    assert env.book.best_bid(env.expiry, FUTURE, 0) == 0
    assert env.book.depth(env.expiry, FUTURE, 0, False, 1)[0][1] == 2


def test_place_order__self_trade__cancels_own_resting_order(funded, maker, maker2):
    env = funded
    own = rest(env, maker, env.px(1), 2, False)
    other = rest(env, maker2, env.px(2), 2, False)
    req_before = env.requirement(maker)
    own_reserve = env.lens.orders(env.book, own).reserve
    tx = place(env, maker, env.px(2), 2, True, max_fills=2)
    cancels = tx.decode_logs(env.book.OrderCancelled)
    assert [(c.order_id, c.reason) for c in cancels] == [(own, CANCEL_SELF_TRADE)]
    fills = tx.decode_logs(env.book.OrderFilled)
    assert [(f.maker_order_id, f.maker) for f in fills] == [(other, maker2.address)]
    assert env.lens.orders(env.book, own).qty == 0
    # own reserve released; only the new long position (worst case at most 2·(P − L)) remains
    assert (
        env.requirement(maker) <= req_before - own_reserve + 2 * (env.px(2) - env.lo) + 2 * env.tick
    )


def test_place_order__self_trade__counts_toward_max_fills(funded, maker, maker2):
    env = funded
    own = rest(env, maker, env.px(1), 2, False)
    rest(env, maker2, env.px(1), 2, False)
    tx = place(env, maker, env.px(1), 2, True, max_fills=1)
    assert next(c.order_id for c in tx.decode_logs(env.book.OrderCancelled)) == own
    assert tx.decode_logs(env.book.OrderFilled) == []
    assert tx.return_value == 0  # still crossing maker2: not rested


def test_place_order__futures_fill_outside_window__not_recorded(funded, maker, taker):
    env = funded
    rest(env, maker, env.px(1), 2, False)
    tx = place(env, taker, env.px(1), 2, True)
    assert len(tx.decode_logs(env.book.OrderFilled)) == 1
    # only fills inside the fixing window feed the VWAP (test_order_store.py: inside it)
    assert tuple(env.registry.window(env.expiry, tx.timestamp // DAY)) == (0, 0)


def test_place_order__option_fill__moves_position(funded, maker, taker):
    env = funded
    k = env.strike()
    premium = env.tick * 5
    rest(env, maker, premium, 2, False, kind=CALL, strike=k)
    assert env.book.best_ask(env.expiry, CALL, k) == premium
    tx = place(env, taker, premium, 2, True, kind=CALL, strike=k)
    assert tuple(env.registry.window(env.expiry, tx.timestamp // DAY)) == (0, 0)
    assert env.ch.option_position(taker, env.registry, env.expiry, CALL, k) == 2
    assert env.ch.option_position(maker, env.registry, env.expiry, CALL, k) == -2
