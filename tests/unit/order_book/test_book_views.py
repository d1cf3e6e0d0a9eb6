"""OrderBook views: `depth` pages best first with totals, levels found across bitmap words."""

from __future__ import annotations

from rangebound.constants import (
    FUTURE,
)

from .book_helpers import place, rest


def test_depth__levels_best_first_with_totals(funded, maker, maker2):
    env = funded
    rest(env, maker, env.px(-1), 2, True)
    rest(env, maker2, env.px(-1), 5, True)
    rest(env, maker, env.px(-3), 4, True)
    rest(env, maker, env.px(2), 1, False)
    rest(env, maker2, env.px(1), 6, False)
    bids = env.book.depth(env.expiry, FUTURE, 0, True, 10)
    asks = env.book.depth(env.expiry, FUTURE, 0, False, 10)
    assert [tuple(level) for level in bids] == [(env.px(-1), 7), (env.px(-3), 4)]
    assert [tuple(level) for level in asks] == [(env.px(1), 6), (env.px(2), 1)]
    assert len(env.book.depth(env.expiry, FUTURE, 0, True, 1)) == 1
    assert env.book.best_bid(env.expiry, FUTURE, 0) == env.px(-1)
    assert env.book.best_ask(env.expiry, FUTURE, 0) == env.px(1)


def test_depth__levels_far_apart__found_and_matched_across_bitmap_words(funded, maker, taker):
    env = funded
    t = env.tick
    bids = [env.lo, env.lo + 300 * t, env.mid - t]  # more than 256 ticks apart
    asks = [env.mid + t, env.hi - 300 * t, env.hi]
    assert env.lo + 300 * t < env.mid - t and env.hi - 300 * t > env.mid + t
    ids = [rest(env, maker, p, 1, True) for p in bids]
    for p in asks:
        rest(env, maker, p, 1, False)
    assert [lv[0] for lv in env.book.depth(env.expiry, FUTURE, 0, True, 32)] == bids[::-1]
    assert [lv[0] for lv in env.book.depth(env.expiry, FUTURE, 0, False, 32)] == asks
    tx = place(env, taker, env.lo, 3, False, max_fills=3)
    fills = tx.decode_logs(env.book.OrderFilled)
    assert [(f.maker_order_id, f.price) for f in fills] == list(zip(ids[::-1], bids[::-1]))
    assert env.book.best_bid(env.expiry, FUTURE, 0) == 0
    assert env.book.best_ask(env.expiry, FUTURE, 0) == env.mid + t
