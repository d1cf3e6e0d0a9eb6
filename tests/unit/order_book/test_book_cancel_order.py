"""OrderBook `cancel_order`: the reserve released, FIFO kept, only the owner, unknown ids."""

from __future__ import annotations

import ape

from rangebound.constants import (
    CANCEL_OWNER,
    FUTURE,
)

from .book_helpers import rest


def test_cancel_order__releases_reserve(funded, maker):
    env = funded
    req0 = env.requirement(maker)
    oid = rest(env, maker, env.px(-1), 2, True)
    tx = env.book.cancel_order(oid, sender=maker)
    assert env.requirement(maker) == req0
    assert env.book.best_bid(env.expiry, FUTURE, 0) == 0
    logs = tx.decode_logs(env.book.OrderCancelled)
    assert [(c.order_id, c.remaining, c.reason) for c in logs] == [(oid, 2, CANCEL_OWNER)]


def test_cancel_order__middle_of_queue__keeps_fifo(funded, maker, maker2):
    env = funded
    a = rest(env, maker, env.px(-1), 1, True)
    b = rest(env, maker2, env.px(-1), 2, True)
    c = rest(env, maker, env.px(-1), 3, True)
    env.book.cancel_order(b, sender=maker2)
    assert list(env.lens.queue(env.book, env.expiry, FUTURE, 0, True, env.px(-1), 10)) == [a, c]
    env.book.cancel_order(c, sender=maker)
    d = rest(env, maker2, env.px(-1), 1, True)
    assert list(env.lens.queue(env.book, env.expiry, FUTURE, 0, True, env.px(-1), 10)) == [a, d]
    assert env.book.depth(env.expiry, FUTURE, 0, True, 1)[0][1] == 2


def test_cancel_order__not_owner__reverts(funded, maker, stranger):
    env = funded
    oid = rest(env, maker, env.px(-1), 2, True)
    with ape.reverts("book: not order owner"):
        env.book.cancel_order(oid, sender=stranger)
    assert env.lens.orders(env.book, oid).qty == 2


def test_cancel_order__unknown__reverts(funded, maker):
    with ape.reverts("book: unknown order"):
        funded.book.cancel_order(12345, sender=maker)
