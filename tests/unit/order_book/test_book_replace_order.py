"""OrderBook `replace_order`: a re-quote in one call. The order keeps its id, instrument and
side, goes to the back of its new level, never trades (post-only), and its reserve is released
and taken anew. Each bad input's reason (with a digest of every contract's storage) is in
tests/integration/test_bad_inputs.py (`book.replace-*`)."""

from __future__ import annotations

import ape

from rangebound.constants import CALL, FUTURE
from rangebound.ops.risk import order_reserve

from .book_helpers import place, rest, snapshot


def _info(env, oid) -> tuple:
    o = env.lens.orders(env.book, oid)
    return o.owner, o.price, o.qty, o.reserve


def test_replace_order__new_price__keeps_its_id_and_moves_level_and_reserve(env, maker):
    oid = rest(env, maker, env.px(-3), 2, True)
    before_id, reserved = env.book.next_order_id(), env.ch.reserved(maker)
    old_reserve = env.lens.orders(env.book, oid).reserve
    tx = env.book.replace_order(oid, env.px(-1), 5, sender=maker)
    new_reserve = order_reserve(env.ch, env.registry, env.expiry, FUTURE, 0, True, env.px(-1), 5)
    assert _info(env, oid) == (maker.address, env.px(-1), 5, new_reserve)
    assert env.book.next_order_id() == before_id                     # no new order
    assert env.ch.reserved(maker) == reserved - old_reserve + new_reserve
    assert env.book.best_bid(env.expiry, FUTURE, 0) == env.px(-1)
    assert env.lens.queue(env.book, env.expiry, FUTURE, 0, True, env.px(-3), 8) == []
    assert env.lens.queue(env.book, env.expiry, FUTURE, 0, True, env.px(-1), 8) == [oid]
    ev = tx.decode_logs(env.book.OrderReplaced)
    assert [(e.order_id, e.owner, e.price, e.qty) for e in ev] == [(oid, maker.address, env.px(-1), 5)]
    assert not tx.decode_logs(env.book.OrderPlaced) and not tx.decode_logs(env.book.OrderCancelled)


def test_replace_order__same_price__goes_to_the_back_of_its_queue(env, maker, maker2):
    first = rest(env, maker, env.px(4), 1, False)
    second = rest(env, maker2, env.px(4), 1, False)
    env.book.replace_order(first, env.px(4), 3, sender=maker)
    assert env.lens.queue(env.book, env.expiry, FUTURE, 0, False, env.px(4), 8) == [second, first]
    assert env.book.depth(env.expiry, FUTURE, 0, False, 1)[0] == [env.px(4), 4]


def test_replace_order__partly_filled__the_new_qty_rests_whole(env, maker, taker):
    oid = rest(env, maker, env.px(2), 5, False)
    place(env, taker, env.px(2), 2, True)                             # fills 2 of 5
    assert env.lens.orders(env.book, oid).qty == 3
    env.book.replace_order(oid, env.px(3), 4, sender=maker)
    want = order_reserve(env.ch, env.registry, env.expiry, FUTURE, 0, False, env.px(3), 4)
    assert _info(env, oid) == (maker.address, env.px(3), 4, want)
    tx = place(env, taker, env.px(3), 4, True)                        # the new quantity trades
    assert [f.qty for f in tx.decode_logs(env.book.OrderFilled)] == [4]
    assert env.lens.orders(env.book, oid).owner == "0x0000000000000000000000000000000000000000"


def test_replace_order__option__keeps_its_strike_and_side(env, maker):
    k = env.strike()
    oid = rest(env, maker, 5 * env.tick, 1, False, kind=CALL, strike=k)
    env.book.replace_order(oid, 7 * env.tick, 2, sender=maker)
    o = env.lens.orders(env.book, oid)
    assert (o.kind, o.strike, o.is_buy, o.price, o.qty) == (CALL, k, False, 7 * env.tick, 2)
    assert env.book.best_ask(env.expiry, CALL, k) == 7 * env.tick


def test_replace_order__crossing_a_live_order__reverts_and_changes_nothing(env, maker, maker2):
    ask = rest(env, maker2, env.px(2), 1, False)
    bid = rest(env, maker, env.px(-2), 1, True)
    before = (snapshot(env, maker, maker2), _info(env, bid), _info(env, ask))
    with ape.reverts("book: post-only would cross"):
        env.book.replace_order(bid, env.px(2), 1, sender=maker)
    assert (snapshot(env, maker, maker2), _info(env, bid), _info(env, ask)) == before


def test_replace_order__cost__below_a_cancel_and_a_new_order(env, maker):
    """The re-quote a market maker makes all day: one price level away, same size."""
    a = rest(env, maker, env.px(-6), 2, True)
    b = rest(env, maker, env.px(-6), 2, True)
    replaced = env.book.replace_order(a, env.px(-5), 2, sender=maker).gas_used
    cancelled = env.book.cancel_order(b, sender=maker).gas_used
    placed = place(env, maker, env.px(-4), 2, True).gas_used
    assert replaced < placed < cancelled + placed
