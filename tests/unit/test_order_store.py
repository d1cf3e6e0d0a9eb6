"""Order storage (contracts/modules/order_store.vy) seen through the book, and the venue's
trading state passed to `Clearinghouse.reserve` (docs/architecture.md §6, §16).

An order is two words and a level one word; a level that a fill emptied is left as it was
(STALE: the taker does not write it, the next order there rewrites it instead of writing a fresh
slot); a level a cancel emptied is zeroed; a cancelled order reads as all zero; option strikes
are stored in ticks. Level words are read back from storage (slots from the compiler's layout).
"""

from __future__ import annotations

import ape
import pytest
from helpers import book_side, map_slot, storage_layout, storage_word

from rangebound.constants import FUTURE, IOC, PUT, WINDOW_END, WINDOW_START, read_constants
from rangebound.models import calendar as cal

FRESH_SLOT_SAVING = 12_000  # gas: a stale level word (2,100 read of its tail's link + 2,900) instead of a fresh one (20,000)
_STORE = read_constants("modules/order_store.vy")   # a level word: head id | tail id << TAIL_SHIFT | total lots << TOTAL_SHIFT
TAIL_SHIFT, TOTAL_SHIFT, M40 = _STORE["TAIL_SHIFT"], _STORE["TOTAL_SHIFT"], _STORE["M40"]


@pytest.fixture(scope="module")
def book_env(system, maker, maker2, taker):
    market = system.markets["BTC"]
    registry = market.registry
    expiry = registry.live_expiries()[-1]
    lo, hi = registry.bounds(expiry)
    tick = registry.tick()
    for account in (maker, maker2, taker):
        amount = (hi + tick) * 1_000
        system.token.mint(account, amount, sender=system.deployer)
        system.token.approve(system.vault, amount, sender=account)
        system.vault.deposit(amount, sender=account)
    mid = (lo + hi) // 2 // tick * tick
    return system, market.book, registry, expiry, lo, hi, tick, mid


def _place(book, expiry, who, price, qty, is_buy, flags=0, kind=FUTURE, strike=0):
    return book.place_order(expiry, kind, strike, is_buy, price, qty, flags, 8, sender=who)


def _level_word(book, expiry, tick, price, is_buy) -> int:
    """The storage word of a futures level: `ost.levels[side][price // tick - base]`, where the
    side is keccak(abi(expiry, kind, strike, is_buy)) and base = future_base[expiry] - 1."""
    layout = storage_layout("OrderBook")
    base = storage_word(book, map_slot(layout["future_base"]["slot"], expiry)) - 1
    side = book_side(expiry, FUTURE, 0, is_buy)
    return storage_word(book, map_slot(layout["ost"]["levels"]["slot"], side, price // tick - base))


def _link_word(book, order_id) -> int:
    return storage_word(book, map_slot(storage_layout("OrderBook")["ost"]["o_link"]["slot"], order_id))


def test_place_order__level_emptied_by_fill__next_order_rests_alone_and_cheaper(
    book_env, maker, maker2, taker
):
    system, book, _, expiry, _, _, tick, mid = book_env
    price = mid + 40 * tick
    first = _place(book, expiry, maker, price, 2, False).return_value
    word = _level_word(book, expiry, tick, price, False)
    assert word == first | first << TAIL_SHIFT | 2 << TOTAL_SHIFT
    _place(book, expiry, taker, price, 2, True, flags=IOC)  # empties the level
    # the fill left the level's word as it was: STALE, its tail order no longer rests
    assert _level_word(book, expiry, tick, price, False) == word
    assert _link_word(book, first) == 0
    assert book.depth(expiry, FUTURE, 0, False, 32) == []
    assert system.lens.queue(book, expiry, FUTURE, 0, False, price, 32) == []
    warm = _place(book, expiry, maker2, price + 6 * tick, 1, False)  # maker2's reserve slots warm
    again = _place(book, expiry, maker2, price, 1, False)  # stale level word rewritten
    fresh = _place(book, expiry, maker2, price + 3 * tick, 1, False)  # never-used level
    oid = again.return_value
    assert _level_word(book, expiry, tick, price, False) == oid | oid << TAIL_SHIFT | 1 << TOTAL_SHIFT
    assert system.lens.queue(book, expiry, FUTURE, 0, False, price, 32) == [oid]
    assert [list(row) for row in book.depth(expiry, FUTURE, 0, False, 32)] == [
        [price, 1],
        [price + 3 * tick, 1],
        [price + 6 * tick, 1],
    ]
    assert system.lens.orders(book, oid).qty == 1 and system.lens.orders(book, oid).owner == maker2.address
    assert fresh.gas_used - again.gas_used > FRESH_SLOT_SAVING
    for tx in (warm, again, fresh):
        book.cancel_order(tx.return_value, sender=maker2)


def test_place_order__stale_level__new_orders_queue_and_fill_in_time_order(
    book_env, maker, maker2, taker
):
    system, book, _, expiry, _, _, tick, mid = book_env
    price = mid + 44 * tick
    a = _place(book, expiry, maker, price, 1, False).return_value
    b = _place(book, expiry, maker2, price, 1, False).return_value
    take = _place(book, expiry, taker, price, 2, True, flags=IOC)  # the level empties
    assert [e.maker_order_id for e in take.events.filter(book.OrderFilled)] == [a, b]
    stale = _level_word(book, expiry, tick, price, False)
    assert stale & M40 == b and (stale >> TAIL_SHIFT) & M40 == b
    c = _place(book, expiry, maker2, price, 2, False).return_value
    d = _place(book, expiry, maker, price, 3, False).return_value
    assert system.lens.queue(book, expiry, FUTURE, 0, False, price, 32) == [c, d]   # not linked after b
    assert _link_word(book, b) == 0
    assert list(book.depth(expiry, FUTURE, 0, False, 32)[0]) == [price, 5]
    tx = _place(book, expiry, taker, price, 3, True, flags=IOC)
    assert [(e.maker_order_id, e.qty) for e in tx.events.filter(book.OrderFilled)] == [(c, 2), (d, 1)]
    assert system.lens.queue(book, expiry, FUTURE, 0, False, price, 32) == [d]
    assert _level_word(book, expiry, tick, price, False) == d | d << TAIL_SHIFT | 2 << TOTAL_SHIFT
    book.cancel_order(d, sender=maker)


def test_cancel_order__last_order_of_level__level_word_zeroed(book_env, maker):
    system, book, _, expiry, _, _, tick, mid = book_env
    price = mid + 47 * tick
    oid = _place(book, expiry, maker, price, 1, False).return_value
    assert _level_word(book, expiry, tick, price, False) != 0
    book.cancel_order(oid, sender=maker)
    assert _level_word(book, expiry, tick, price, False) == 0      # the canceller's refund
    assert system.lens.queue(book, expiry, FUTURE, 0, False, price, 32) == []


def test_cancel_order__partly_filled_order__views_read_zero_and_reserve_released(
    book_env, maker, taker
):
    system, book, _, expiry, _, _, tick, mid = book_env
    ch = system.clearinghouse
    before = ch.requirement(maker)
    oid = _place(book, expiry, maker, mid - 40 * tick, 3, True).return_value
    _place(book, expiry, taker, mid - 40 * tick, 1, False, flags=IOC)
    info = system.lens.orders(book, oid)
    assert info.qty == 2 and info.price == mid - 40 * tick and info.is_buy
    book.cancel_order(oid, sender=maker)
    gone = system.lens.orders(book, oid)
    assert (
        gone.owner == ape.utils.ZERO_ADDRESS
        and gone.qty == 0
        and gone.reserve == 0
        and gone.expiry == 0
    )
    assert not system.lens.is_dead(book, oid)
    assert system.lens.queue(book, expiry, FUTURE, 0, True, mid - 40 * tick, 32) == []
    # the rest of the reserve is gone; the filled lot's share stays reserved until folded
    reg = book.registry()
    share = ch.deferred(maker, reg, expiry)[0]
    assert share > 0 and ch.requirement(maker) - before == share
    ch.recalculate(maker, sender=taker)         # anyone folds: the lot needs its own requirement
    assert ch.deferred(maker, reg, expiry) == (0, 0)
    assert ch.requirement(maker) - before == ch.series_requirement(maker, reg, expiry) > 0


def test_place_order__option_strike__stored_in_ticks_and_read_back(book_env, maker):
    system, book, registry, expiry, lo, hi, tick, _ = book_env
    active = [k for k in registry.strikes(expiry) if lo < k < hi]
    strike = active[len(active) // 2]
    assert strike % tick == 0
    tx = _place(book, expiry, maker, tick, 2, False, kind=PUT, strike=strike)
    info = system.lens.orders(book, tx.return_value)
    assert (info.kind, info.strike, info.price, info.qty, info.is_buy) == (
        PUT,
        strike,
        tick,
        2,
        False,
    )
    assert system.lens.queue(book, expiry, PUT, strike, False, tick, 32) == [tx.return_value]
    book.cancel_order(tx.return_value, sender=maker)
    assert system.lens.queue(book, expiry, PUT, strike, False, tick, 32) == []


def test_reserve__venue_trading_state__trusted_not_read_again(book_env, maker):
    system, book, _registry, expiry, lo, hi, tick, mid = book_env
    ch = system.clearinghouse
    ape.chain.provider.set_balance(book.address, 10**18)  # the venue sends itself
    lower = lo + 10 * tick  # not the registry's bound
    state = (True, True, lower, hi, False, 1, False)
    fee = (mid * ch.maker_fee_bps() + 9_999) // 10_000
    held = ch.book_reserved(book, maker)
    tx = ch.reserve(maker, expiry, FUTURE, 0, True, mid, 2, state, 0, sender=book)
    assert tx.return_value == 2 * (mid - lower + fee)
    assert ch.book_reserved(book, maker) - held == tx.return_value
    ch.release(maker, tx.return_value, sender=book)
    with ape.reverts("clearinghouse: series not live"):
        ch.reserve(
            maker,
            expiry,
            FUTURE,
            0,
            True,
            mid,
            2,
            (True, False, lower, hi, False, 1, False), 0,
            sender=book)
    assert ch.book_reserved(book, maker) == held


def test_release__stranger_zero_amount__not_a_venue(book_env, stranger, maker):
    system = book_env[0]
    with ape.reverts("clearinghouse: not a venue"):
        system.clearinghouse.release(maker, 0, sender=stranger)


def test_place_order__futures_fill_inside_window__recorded_once(book_env, maker, maker2, taker):
    _, book, registry, expiry, _, _, tick, mid = book_env
    now = ape.chain.pending_timestamp
    at = cal.day_start(now) + WINDOW_START + 60
    if at <= now:
        at += cal.DAY
    ape.chain.pending_timestamp = at
    price = mid + 50 * tick
    _place(book, expiry, maker, price, 1, False)
    _place(book, expiry, maker2, price + tick, 2, False)
    tx = _place(book, expiry, taker, price + tick, 3, True, flags=IOC)
    assert tx.timestamp <= cal.day_start(tx.timestamp) + WINDOW_END
    # one accumulator update per taker order, exact: Σ price·qty over Σ qty
    assert tuple(registry.window(expiry, tx.timestamp // cal.DAY)) == (price + 2 * (price + tick), 3)


def test_reserve__stranger_with_current_state__not_a_venue(book_env, stranger, maker):
    system, _, _, expiry, lo, hi, _, mid = book_env
    ch = system.clearinghouse
    state = (True, True, lo, hi, False, 1, False)
    with ape.reverts("clearinghouse: not a venue"):
        ch.reserve(maker, expiry, FUTURE, 0, True, mid, 1, state, 0, sender=stranger)
    assert ch.book_reserved(stranger, maker) == 0


def test_place_order__qty_above_64_bits__reverts_qty_too_large(book_env, maker):
    _, book, _, expiry, _, _, _, mid = book_env
    before = book.next_order_id()
    with ape.reverts("book: qty too large"):
        _place(book, expiry, maker, mid, 2**64, True)
    assert book.next_order_id() == before
