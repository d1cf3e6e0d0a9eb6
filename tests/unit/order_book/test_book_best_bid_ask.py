"""best_bid / best_ask read from the bitmap's summary word (price_levels._best): the edges of
the index space (index 0, the futures book's lower bound) and levels in different leaf words."""

from __future__ import annotations

from .book_helpers import place


def _far(env) -> int:
    """A futures price in the next leaf word (index 300) when the range is that wide."""
    return env.lo + min(300, (env.hi - env.lo) // env.tick) * env.tick


def test_best_ask__levels_at_index_0_and_in_another_leaf__lowest_then_next(funded, maker):
    env = funded
    far = place(env, maker, _far(env), 1, False).return_value
    assert env.book.best_ask(env.expiry, 0, 0) == _far(env)
    low = place(env, maker, env.lo, 1, False).return_value        # price index 0
    assert env.book.best_ask(env.expiry, 0, 0) == env.lo
    env.book.cancel_order(low, sender=maker)
    assert env.book.best_ask(env.expiry, 0, 0) == _far(env)
    env.book.cancel_order(far, sender=maker)
    assert env.book.best_ask(env.expiry, 0, 0) == 0


def test_best_bid__levels_at_index_0_and_in_another_leaf__highest_then_next(funded, maker):
    env = funded
    low = place(env, maker, env.lo, 1, True).return_value         # price index 0
    assert env.book.best_bid(env.expiry, 0, 0) == env.lo
    far = place(env, maker, _far(env), 1, True).return_value
    assert env.book.best_bid(env.expiry, 0, 0) == _far(env)
    env.book.cancel_order(far, sender=maker)
    assert env.book.best_bid(env.expiry, 0, 0) == env.lo
    env.book.cancel_order(low, sender=maker)
    assert env.book.best_bid(env.expiry, 0, 0) == 0
