"""OrderBook `place_quotes`: up to MAX_QUOTES post-only orders of one maker in one call, each as
`place_order(..., POST_ONLY, MAX_FILLS)` would rest it, all or none."""

from __future__ import annotations

import ape

from rangebound.constants import CALL, CANCEL_MAX_FILLS, CANCEL_STALE, FUTURE, MAX_QUOTES, PUT
from rangebound.ops.risk import order_reserve

from .book_helpers import advance_past_next_update, place, rest, snapshot


def _quote(env, ticks, is_buy, qty=1, kind=FUTURE, strike=0, price=None):
    return (env.expiry, kind, strike, is_buy, env.px(ticks) if price is None else price, qty)


def test_place_quotes__futures_and_options__rest_with_consecutive_ids(env, maker):
    k = env.strike()
    quotes = [_quote(env, -3, True, 2), _quote(env, 3, False, 1),
              _quote(env, 0, True, 1, CALL, k, 5 * env.tick), _quote(env, 0, False, 3, PUT, k, 9 * env.tick)]
    first = env.book.next_order_id() + 1
    reserved = env.ch.reserved(maker)
    tx = env.book.place_quotes(quotes, sender=maker)
    assert tx.return_value == list(range(first, first + 4)) == [
        e.order_id for e in tx.decode_logs(env.book.OrderPlaced)]
    assert env.book.next_order_id() == first + 3
    want = 0
    for oid, (e, kind, strike, is_buy, price, qty) in zip(tx.return_value, quotes, strict=True):
        o = env.lens.orders(env.book, oid)
        assert (o.owner, o.kind, o.strike, o.is_buy, o.price, o.qty) == (maker.address, kind, strike, is_buy, price, qty)
        assert o.reserve == order_reserve(env.ch, env.registry, e, kind, strike, is_buy, price, qty)
        want += o.reserve
    assert env.ch.reserved(maker) == reserved + want
    assert env.book.best_bid(env.expiry, CALL, k) == 5 * env.tick
    assert env.book.best_ask(env.expiry, PUT, k) == 9 * env.tick


def test_place_quotes__at_the_bound__all_rest_and_one_more_reverts(env, maker):
    quotes = [_quote(env, -20 - i, True) for i in range(MAX_QUOTES)]
    tx = env.book.place_quotes(quotes, sender=maker)
    assert len(tx.return_value) == MAX_QUOTES and 0 not in tx.return_value
    before = snapshot(env, maker)
    with ape.reverts():                                   # the ABI refuses a longer list
        env.book.place_quotes(quotes + [_quote(env, -50, True)], sender=maker)
    with ape.reverts("book: no quotes"):
        env.book.place_quotes([], sender=maker)
    assert snapshot(env, maker) == before


def test_place_quotes__one_would_cross__none_rests(env, maker, maker2):
    place(env, maker2, env.px(2), 1, False)
    before = snapshot(env, maker, maker2)
    with ape.reverts("book: post-only would cross"):
        env.book.place_quotes([_quote(env, -1, True), _quote(env, 2, True)], sender=maker)
    assert snapshot(env, maker, maker2) == before


def test_place_quotes__paused__reverts(env, maker, guardian):
    env.book.pause(sender=guardian)
    with ape.reverts("book: paused"):
        env.book.place_quotes([_quote(env, -1, True)], sender=maker)


def test_place_quotes__cost__a_batch_order_below_a_single_one(env, maker):
    single = place(env, maker, env.px(-40), 1, True).gas_used
    batch = env.book.place_quotes([_quote(env, -41 - i, True) for i in range(8)], sender=maker).gas_used
    assert batch / 8 < single


def test_place_quotes__stale_orders__each_quote_cancels_at_most_its_share(env, maker, maker2, taker):
    """The call touches at most MAX_FILLS resting orders: a quote cancels at most
    MAX_FILLS // MAX_QUOTES stale ones on its way (2), and one that still crosses after them is
    cancelled itself (id 0, as `place_order` does); the next quote goes on."""
    stale = [rest(env, maker2, env.lo, 1, False) for _ in range(3)]     # at today's lower bound
    advance_past_next_update(env)
    env.registry.daily_update(sender=taker)
    lo, _ = env.registry.bounds(env.expiry)
    assert lo > env.lo                                                # they are stale now
    first = env.book.next_order_id() + 1
    tx = env.book.place_quotes([_quote(env, 0, True), _quote(env, -1, True)], sender=maker)
    assert tx.return_value == [0, first + 1]
    cancels = [(c.order_id, c.reason) for c in tx.decode_logs(env.book.OrderCancelled)]
    assert cancels == [(stale[0], CANCEL_STALE), (stale[1], CANCEL_STALE), (first, CANCEL_MAX_FILLS),
                       (stale[2], CANCEL_STALE)]
    assert env.lens.orders(env.book, first + 1).qty == 1 and env.book.best_ask(env.expiry, FUTURE, 0) == 0
