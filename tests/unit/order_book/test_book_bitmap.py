"""The price-level bitmap's stored words (`price_levels`): 255 price indices per leaf word, and
the KEPT bit (bit 255): a cancel that empties a word leaves it KEPT (non-zero, so the next order
on that side writes it for 2,900 gas, not 20,000), a fill that empties a word zeroes it (the
taker's refund). Readers mask KEPT off: best prices and the walk across leaf words are checked
with KEPT words present. Words are read back from storage (slots from the compiler's layout)."""

from __future__ import annotations

import pytest
from helpers import book_side, map_slot, storage_layout, storage_word

from rangebound.constants import FUTURE, IOC

from .book_helpers import place

KEPT = 1 << 255
INDEX_BITS = 255       # contracts/modules/price_levels.vy: price indices per leaf word


@pytest.fixture(scope="module")
def slots() -> dict[str, int]:
    """The storage slots of the bitmap's `leaf` and `summary` maps in the OrderBook."""
    pl = storage_layout("OrderBook")["pl"]
    return {"leaf": pl["leaf"]["slot"], "summary": pl["summary"]["slot"]}


def _side(env, is_buy: bool) -> bytes:
    """The book's key of the futures side (`OrderBook._side`)."""
    return book_side(env.expiry, FUTURE, 0, is_buy)


def words(env, slots, is_buy: bool, leaves: int = 2) -> tuple[int, list[int]]:
    """(summary, [leaf 0, leaf 1, ...]) of one futures side, as stored."""
    side = _side(env, is_buy)
    summary = storage_word(env.book, map_slot(slots["summary"], side))
    leaf = [storage_word(env.book, map_slot(slots["leaf"], side, w)) for w in range(leaves)]
    return summary, leaf


def at(env, index: int) -> int:
    """The futures price at price index `index` (index 0 is the lower bound)."""
    assert env.lo + index * env.tick <= env.hi
    return env.lo + index * env.tick


def bit(index: int) -> int:
    return 1 << (index % INDEX_BITS)


def test_bitmap__cancel_empties_the_side__words_kept(funded, maker, slots):
    env = funded
    oid = place(env, maker, at(env, 3), 1, False).return_value
    assert words(env, slots, False) == (1, [bit(3), 0])
    env.book.cancel_order(oid, sender=maker)
    assert words(env, slots, False) == (KEPT, [KEPT, 0])
    assert env.book.best_ask(env.expiry, FUTURE, 0) == 0
    place(env, maker, at(env, 5), 1, False)
    assert words(env, slots, False) == (KEPT | 1, [KEPT | bit(5), 0])
    assert env.book.best_ask(env.expiry, FUTURE, 0) == at(env, 5)


def test_bitmap__fill_empties_the_side__words_zeroed(funded, maker, taker, slots):
    env = funded
    place(env, maker, at(env, 3), 1, False)
    place(env, taker, at(env, 3), 1, True, flags=IOC)
    assert words(env, slots, False) == (0, [0, 0])
    assert env.book.best_ask(env.expiry, FUTURE, 0) == 0


def test_bitmap__fill_after_a_cancel__kept_words_zeroed(funded, maker, taker, slots):
    env = funded
    env.book.cancel_order(place(env, maker, at(env, 3), 1, False).return_value, sender=maker)
    place(env, maker, at(env, 4), 1, False)
    place(env, taker, at(env, 4), 1, True, flags=IOC)
    assert words(env, slots, False) == (0, [0, 0])


def test_bitmap__indices_254_and_255__two_leaf_words(funded, maker, slots):
    env = funded
    low = place(env, maker, at(env, 254), 1, True).return_value
    high = place(env, maker, at(env, 255), 1, True).return_value
    assert words(env, slots, True) == (0b11, [bit(254), bit(255)])
    assert bit(255) == 1
    assert env.book.best_bid(env.expiry, FUTURE, 0) == at(env, 255)
    env.book.cancel_order(high, sender=maker)
    assert words(env, slots, True) == (0b01, [bit(254), KEPT])
    assert env.book.best_bid(env.expiry, FUTURE, 0) == at(env, 254)
    env.book.cancel_order(low, sender=maker)
    assert words(env, slots, True) == (KEPT, [KEPT, KEPT])
    assert env.book.best_bid(env.expiry, FUTURE, 0) == 0


def test_best_bid__kept_leaf_and_summary__masked(funded, maker, slots):
    """Without the mask, the highest bit of a KEPT word (255) would read as a price index."""
    env = funded
    env.book.cancel_order(place(env, maker, at(env, 3), 1, True).return_value, sender=maker)
    assert words(env, slots, True) == (KEPT, [KEPT, 0])
    place(env, maker, at(env, 10), 1, True)
    assert words(env, slots, True) == (KEPT | 1, [KEPT | bit(10), 0])
    assert env.book.best_bid(env.expiry, FUTURE, 0) == at(env, 10)


@pytest.mark.parametrize("taker_is_buy", [True, False], ids=["asks_up", "bids_down"])
def test_walk__across_leaf_words_with_kept_bits__fills_both(funded, maker, taker, slots,
                                                            taker_is_buy):
    """Resting orders at indices 250 (leaf 0, KEPT from a cancel) and 256 (leaf 1): a taker
    walks from one leaf word to the other, then both words are zeroed by the fills."""
    env = funded
    rest_buy = not taker_is_buy
    env.book.cancel_order(place(env, maker, at(env, 3), 1, rest_buy).return_value, sender=maker)
    place(env, maker, at(env, 250), 1, rest_buy)
    place(env, maker, at(env, 256), 1, rest_buy)
    assert words(env, slots, rest_buy) == (KEPT | 0b11, [KEPT | bit(250), bit(256)])
    limit = at(env, 256) if taker_is_buy else at(env, 250)
    tx = place(env, taker, limit, 2, taker_is_buy, flags=IOC)
    fills = tx.decode_logs(env.book.OrderFilled)
    first, second = (250, 256) if taker_is_buy else (256, 250)
    assert [f.price for f in fills] == [at(env, first), at(env, second)]
    assert words(env, slots, rest_buy) == (0, [0, 0])
