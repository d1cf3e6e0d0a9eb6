"""OrderBook fill records (docs/architecture.md §16): a futures order filled whole keeps its
book word as the fill's record; the maker's position, reserve and fee wait for a fold."""

from __future__ import annotations

from rangebound.constants import FUTURE

from .book_helpers import place, rest


def test_fill__whole_futures_order__recorded_not_booked(funded, maker, taker):
    env = funded
    e = env.expiry
    oid = rest(env, maker, env.px(1), 2, False)
    reserve = env.book.orders(oid).reserve
    held = env.ch.reserved(maker)
    tx = place(env, taker, env.px(1), 2, True)
    assert env.ch.reserved(maker) == held                   # the reserve stays held
    assert env.ch.futures_position(maker, env.registry, e) == (-2, -2 * env.px(1))
    r = env.book.unfolded(maker, e)
    assert (r.lots, r.cost, r.reserve, r.bought) == (-2, -2 * env.px(1), reserve, 0)
    fill = tx.decode_logs(env.ch.Fill)[0]
    assert r.fee == fill.maker_fee
    assert env.book.orders(oid).owner == "0x" + "0" * 40
    tx = env.book.fold(maker, e, sender=taker)
    assert env.book.unfolded(maker, e).reserve == 0
    assert env.ch.futures_position(maker, env.registry, e) == (-2, -2 * env.px(1))
    assert env.ch.reserved(maker) == held - reserve
