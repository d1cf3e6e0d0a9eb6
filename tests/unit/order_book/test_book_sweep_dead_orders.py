"""OrderBook `sweep_dead_orders`: dead orders of one owner cancelled by anyone, reserves
released, live or foreign orders refused."""

from __future__ import annotations

import ape
from ape import chain

from rangebound.constants import (
    CANCEL_DEAD,
    FUTURE,
)

from .book_helpers import rest


def test_sweep_dead_orders__after_expiry__releases_reserves(
    funded, guardian, maker, maker2, stranger
):
    env = funded
    req0 = env.requirement(maker)
    ids = [rest(env, maker, env.px(-1 - i), 1, True) for i in range(3)]
    other = rest(env, maker2, env.px(-1), 1, True)
    with ape.reverts("book: order not dead"):
        env.book.sweep_dead_orders(maker, ids, sender=stranger)
    chain.mine(timestamp=env.expiry + 1)
    env.book.pause(sender=guardian)  # sweeps and cancels never stop
    assert env.lens.is_dead(env.book, ids[0])
    with ape.reverts("book: not order owner"):
        env.book.sweep_dead_orders(maker, [ids[0], other], sender=stranger)
    tx = env.book.sweep_dead_orders(maker, ids + [ids[0]], sender=stranger)  # repeats skipped
    assert tx.return_value == 3
    assert [c.reason for c in tx.decode_logs(env.book.OrderCancelled)] == [CANCEL_DEAD] * 3
    assert env.requirement(maker) == req0
    assert env.book.depth(env.expiry, FUTURE, 0, True, 5)[0][0] == env.px(-1)  # maker2's
    env.book.cancel_order(other, sender=maker2)  # still cancellable
    assert env.book.best_bid(env.expiry, FUTURE, 0) == 0
