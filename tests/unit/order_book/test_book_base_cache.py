"""The futures price bases the book keeps in `order_state` (`OrderBook._futures_base`): an order of
one of the two expiries traded last reads no `future_base` slot; a third evicts the older; every
order, cached or not, rests and fills at its own price; the order ids, the pause, `place_quotes`
and `replace_order` are unchanged by the entries beside them."""

from __future__ import annotations

import pytest

from rangebound.constants import FUTURE, IOC

CACHED_SAVING = 2_000  # gas: a cold `future_base` read (2,100) less the cache's warm reads


@pytest.fixture
def expiries(env):
    """Three live expiries whose futures ranges (hence price bases) differ."""
    live = env.registry.live_expiries()
    picked = [live[0], live[len(live) // 2], live[-1]]
    assert len({env.registry.bounds(e)[0] // env.tick for e in picked}) == 3
    return picked


def _mid(env, expiry: int, ticks: int = 0) -> int:
    lo, hi = env.registry.bounds(expiry)
    return ((lo + hi) // 2 // env.tick + ticks) * env.tick


def _rest(env, who, expiry: int, price: int, is_buy: bool = False):
    return env.book.place_order(expiry, FUTURE, 0, is_buy, price, 1, 0, 8, sender=who)


def test_place_order__three_expiries_in_turn__each_order_at_its_price(env, expiries, maker, taker):
    placed = []                                           # (order id, expiry, price)
    for ticks, expiry in enumerate(expiries + expiries[:2]):   # the 4th order's expiry was evicted
        price = _mid(env, expiry, ticks)
        placed.append((_rest(env, maker, expiry, price).return_value, expiry, price))
    assert [oid for oid, _, _ in placed] == list(range(placed[0][0], placed[0][0] + 5))
    assert env.book.next_order_id() == placed[-1][0]
    for oid, expiry, price in placed:
        o = env.lens.orders(env.book, oid)
        assert (o.owner, o.expiry, o.price, o.qty) == (maker.address, expiry, price, 1)
    for expiry in expiries:
        want = sorted(price for _, e, price in placed if e == expiry)
        assert [row[0] for row in env.book.depth(expiry, FUTURE, 0, False, 8)] == want
    (a, expiry, pa), (b, _, pb) = placed[0], placed[3]   # both asks of the first expiry
    tx = env.book.place_order(expiry, FUTURE, 0, True, pb, 2, IOC, 8, sender=taker)
    assert [(f.maker_order_id, f.price) for f in tx.decode_logs(env.book.OrderFilled)] == [(a, pa), (b, pb)]


def test_place_order__cached_expiry__reads_no_base_slot(env, expiries, maker):
    first, second, third = expiries
    for ticks in (1, 2):                # each base set, then the three in turn: all misses
        for expiry in (second, third, first):
            _rest(env, maker, expiry, _mid(env, expiry, ticks))
    hit = _rest(env, maker, first, _mid(env, first, 3))        # `first` is the newest entry
    _rest(env, maker, second, _mid(env, second, 3))
    _rest(env, maker, third, _mid(env, third, 3))              # `first` dropped
    miss = _rest(env, maker, first, _mid(env, first, 4))       # reads `future_base` again
    assert miss.gas_used - hit.gas_used > CACHED_SAVING
    again = _rest(env, maker, third, _mid(env, third, 4))      # `third` is still cached
    assert miss.gas_used - again.gas_used > CACHED_SAVING


def test_place_quotes__three_expiries__consecutive_ids_each_at_its_price(env, expiries, maker):
    quotes = [(e, FUTURE, 0, False, _mid(env, e, 5 + i), 1) for i, e in enumerate(expiries * 2)]
    first = env.book.next_order_id() + 1
    tx = env.book.place_quotes(quotes, sender=maker)
    assert tx.return_value == list(range(first, first + len(quotes)))
    assert env.book.next_order_id() == first + len(quotes) - 1
    for oid, (expiry, _, _, _, price, _) in zip(tx.return_value, quotes, strict=True):
        assert (env.lens.orders(env.book, oid).expiry, env.lens.orders(env.book, oid).price) == (expiry, price)


def test_pause__cached_bases_beside_the_flag__ids_and_prices_kept(env, expiries, maker, guardian):
    first, second, _ = expiries
    a = _rest(env, maker, first, _mid(env, first, 7)).return_value
    env.book.pause(sender=guardian)
    assert env.book.paused() and env.book.next_order_id() == a
    env.book.unpause(sender=guardian)
    assert not env.book.paused() and env.book.next_order_id() == a
    b = _rest(env, maker, second, _mid(env, second, 7)).return_value
    c = _rest(env, maker, first, _mid(env, first, 8)).return_value
    assert (b, c) == (a + 1, a + 2)
    assert env.lens.orders(env.book, c).price == _mid(env, first, 8)


def test_replace_order__evicted_expiry__moves_to_its_price(env, expiries, maker):
    first, second, third = expiries
    oid = _rest(env, maker, first, _mid(env, first, 9)).return_value
    _rest(env, maker, second, _mid(env, second, 9))
    _rest(env, maker, third, _mid(env, third, 9))              # `first` dropped
    env.book.replace_order(oid, _mid(env, first, 10), 2, sender=maker)
    assert (env.lens.orders(env.book, oid).price, env.lens.orders(env.book, oid).qty) == (_mid(env, first, 10), 2)
    assert env.lens.queue(env.book, first, FUTURE, 0, False, _mid(env, first, 10), 8) == [oid]
    nxt = _rest(env, maker, first, _mid(env, first, 11)).return_value
    assert nxt == env.book.next_order_id() and env.lens.orders(env.book, nxt).price == _mid(env, first, 11)
