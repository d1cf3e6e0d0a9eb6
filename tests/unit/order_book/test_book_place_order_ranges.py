"""OrderBook `place_order` as the market moves: a maker whose price left the shrunk range is
cancelled (stale), reduce-only blocks new exposure and cancels makers that would open."""

from __future__ import annotations

import ape

from rangebound.constants import (
    CALL,
    CANCEL_REDUCE_ONLY,
    CANCEL_STALE,
    FUTURE,
)
from rangebound.ops.deploy import report

from .book_helpers import advance_past_next_update, place, rest, snapshot


def test_place_order__range_shrank__stale_maker_cancelled_not_filled(funded, maker, maker2, taker):
    env = funded
    stale = rest(env, maker, env.lo, 2, False)  # valid today, at the lower bound
    good = rest(env, maker2, env.px(0), 2, False)
    stale_reserve = env.lens.orders(env.book, stale).reserve
    req0 = env.requirement(maker)
    advance_past_next_update(env)
    env.registry.daily_update(sender=taker)
    lo, _ = env.registry.bounds(env.expiry)
    assert lo > env.lo  # one day less: the range shrank
    tx = place(env, taker, env.px(0), 2, True)
    cancels = tx.decode_logs(env.book.OrderCancelled)
    assert [(c.order_id, c.reason) for c in cancels] == [(stale, CANCEL_STALE)]
    fills = tx.decode_logs(env.book.OrderFilled)
    assert [(f.maker_order_id, f.price) for f in fills] == [(good, env.px(0))]
    assert env.requirement(maker) <= req0 - stale_reserve
    assert env.book.best_ask(env.expiry, FUTURE, 0) == 0


def test_place_order__reduce_only__blocks_new_exposure(funded, maker, maker2, taker):
    env = funded
    rest(env, maker, env.px(0), 2, True)
    place(env, taker, env.px(0), 2, False)  # maker long 2, taker short 2
    flat_ask = rest(env, maker2, env.px(1), 1, False)  # maker2 flat: a fill would open
    closing_ask = rest(env, maker, env.px(2), 2, False)  # maker long 2: a fill closes
    # the maker's long is a fill record (§16): folded (anyone; the keeper), its ask may close it
    # in reduce-only mode; unfolded, the walk would cancel it (test_book_fill_records.py)
    env.book.fold(maker, env.expiry, sender=taker)
    report(env.system.feeds["USD1/USD"], env.deployer, 0.90)
    assert env.registry.reduce_only()
    before = snapshot(env, taker)
    with ape.reverts("book: reduce only"):
        place(env, taker, env.px(2), 3, True)  # would flip short 2 to long 1
    assert snapshot(env, taker) == before
    tx = place(env, taker, env.px(2), 2, True)
    cancels = tx.decode_logs(env.book.OrderCancelled)
    assert [(c.order_id, c.reason) for c in cancels] == [(flat_ask, CANCEL_REDUCE_ONLY)]
    assert [f.maker_order_id for f in tx.decode_logs(env.book.OrderFilled)] == [closing_ask]
    assert env.ch.futures_position(taker, env.registry, env.expiry)[0] == 0
    assert env.ch.futures_position(maker, env.registry, env.expiry)[0] == 0


def test_place_order__reduce_only_option__grow_and_flip_revert_reduce_rests(funded, maker, taker):
    """The book's reduce-only check reads the Clearinghouse's option position (long 2): one
    more lot or a sale of 3 (a flip) is refused, a sale of 2 (to flat) is placed."""
    env = funded
    strike, premium = env.strike(), env.tick * 5
    rest(env, maker, premium, 2, False, CALL, strike)
    place(env, taker, premium, 2, True, CALL, strike)          # taker long 2 calls
    assert env.ch.option_position(taker, env.registry, env.expiry, CALL, strike) == 2
    report(env.system.feeds["USD1/USD"], env.deployer, 0.90)
    assert env.registry.reduce_only()
    for is_buy, qty in ((True, 1), (False, 3)):
        with ape.reverts("book: reduce only"):
            place(env, taker, premium, qty, is_buy, CALL, strike)
    assert rest(env, taker, premium, 2, False, CALL, strike) != 0
