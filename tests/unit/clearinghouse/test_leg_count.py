"""Clearinghouse: the number of option legs kept in `Position.meta` (bits 8..15, beside the
open-list bits; the stored requirement above them), the legs' only count (`legs` has no length
word), so that a futures-only position never reads its legs. Read back from storage (slots from
the compiler's layout, the `meta` slot checked against the `futures_position` word next to it,
the legs' words against `option_legs`, sorted, zero past the count) after every kind of change:
legs opened up to MAX_LEGS, closed in the middle, first and last, reduced, futures mixed in the
same series, every leg closed, recalculation over a narrower range and claim."""

from __future__ import annotations

import pytest
from eth_utils import keccak
from helpers import fund, map_slot, storage_layout, storage_word

from rangebound import margin
from rangebound.constants import CALL, FUTURE, MAX_LEGS, PUT

from .clearinghouse_helpers import (
    active_strikes,
    daily_updates,
    fill,
    legs_of,
    reference_requirement,
    settle_series,
)

NC, META = 0, 1        # Position's words: nc, meta


@pytest.fixture(scope="module")
def positions_slot() -> int:
    """The storage slot of `positions`, from the compiler's layout of the Clearinghouse."""
    return storage_layout("Clearinghouse")["positions"]["slot"]


def _sid(env, e: int) -> int:
    """The Clearinghouse's series id: registry address << 96 | expiry."""
    return (int(env.registry.address, 16) << 96) | e


def _word(env, slot: int, account, e: int, member: int) -> int:
    """A word of positions[account][sid]."""
    return storage_word(env.ch, map_slot(slot, account.address, _sid(env, e)) + member)


def meta_of(env, slot: int, account, e: int) -> tuple[int, int, int]:
    """(stored requirement, leg count, open-list index + 1) of one position's `meta` word."""
    n, cost = env.ch.futures_position(account, env.registry, e)
    nc = _word(env, slot, account, e, NC)
    assert nc == ((n % 2**128) << 128) | (cost % 2**128)      # the slot really is that position
    meta = _word(env, slot, account, e, META)
    return meta >> 17, (meta >> 8) & 255, meta & 255     # bit 16 is PENDING (deferred maker bookkeeping)


def leg_words(env, account, e: int) -> list[int]:
    """The MAX_LEGS storage words of one position's legs: `legs[keccak(account . sid)][i]`."""
    key = keccak(bytes.fromhex(account.address[2:]) + _sid(env, e).to_bytes(32, "big"))
    base = map_slot(storage_layout("Clearinghouse")["legs"]["slot"], key)
    return [storage_word(env.ch, base + i) for i in range(MAX_LEGS)]


def check(env, slot: int, account, e: int, want: dict | None = None) -> int:
    """The count is the number of legs, the stored requirement the Python mirror's (ranges
    unchanged since the last fill), the open-list bits say whether the series is open; the
    legs are `want` ({(kind, strike): lots}) when given; returns the count."""
    req, count, listed = meta_of(env, slot, account, e)
    legs = legs_of(env, account, e)
    assert count == len(legs)
    if want is not None:
        assert legs == sorted(((kind, k, q) for (kind, k), q in want.items() if q != 0),
                              key=lambda leg: (leg[1], leg[0]))
    # the held legs are the first `count` words, sorted by (strike, kind); every word after
    # them is zero (a closed leg's last slot is cleared: its refund, nothing stale past the count)
    words = leg_words(env, account, e)
    assert [(w & 255, (w & (2**128 - 1)) >> 8, (w >> 128) - 2**127) for w in words[:count]] == legs
    assert legs == sorted(legs, key=lambda leg: (leg[1], leg[0]))
    assert words[count:] == [0] * (MAX_LEGS - count)
    assert req == env.ch.series_requirement(account, env.registry, e) == reference_requirement(env, account, e)
    open_ = [s[1] for s in env.ch.open_series(account) if s[0] == env.registry.address]
    assert (listed != 0) == (e in open_)
    return count


def test_settle_fills__legs_to_max_closed_in_middle__count_follows_futures_see_legs(
        env, maker, taker, positions_slot):
    e = env.expiries[-1]                       # widest range, most active strikes
    ks = active_strikes(env, e)
    instruments = [(CALL, k) for k in ks] + [(PUT, k) for k in ks]
    assert len(instruments) >= MAX_LEGS
    fund(env.system, maker, 1_000_000)
    fund(env.system, taker, 1_000_000)
    premium = env.usd(0.01)
    fill(env, taker, maker, e, FUTURE, 0, True, env.usd(101), 2)
    assert check(env, positions_slot, taker, e) == 0 == check(env, positions_slot, maker, e)
    # taker sells the even legs and buys the odd ones, 1-3 lots each, up to MAX_LEGS
    side = {ins: i % 2 == 1 for i, ins in enumerate(instruments[:MAX_LEGS])}
    lots = {ins: 1 + i % 3 for i, ins in enumerate(instruments[:MAX_LEGS])}
    held: dict = {}                            # the taker's legs, as the test books them

    def book(kind, k, is_buy, q):
        fill(env, taker, maker, e, kind, k, is_buy, premium, q)
        held[kind, k] = held.get((kind, k), 0) + (q if is_buy else -q)

    def both() -> int:
        """Both sides' checks, the maker's legs the taker's negated; returns the count."""
        n = check(env, positions_slot, taker, e, held)
        assert check(env, positions_slot, maker, e, {ins: -q for ins, q in held.items()}) == n
        return n
    # opened in instrument order (calls, then puts): each new leg lands inside the sorted legs
    for i, (kind, k) in enumerate(instruments[:MAX_LEGS]):
        book(kind, k, side[kind, k], lots[kind, k])
        if i in (0, 15):
            assert both() == i + 1
    assert both() == MAX_LEGS
    # a leg reduced (3 lots to 2, not closed) keeps the count
    kind, k = instruments[2]
    book(kind, k, not side[kind, k], 1)
    assert both() == MAX_LEGS
    # closed in the middle, first and last: the count falls by one each time
    for n, i in enumerate((16, 0, MAX_LEGS - 1, 8)):
        kind, k = instruments[i]
        book(kind, k, not side[kind, k], abs(held[kind, k]))
        assert both() == MAX_LEGS - 1 - n
    # futures flat at their cost: the legs still count, the series stays open
    fill(env, taker, maker, e, FUTURE, 0, False, env.usd(101), 2)
    assert env.ch.futures_position(taker, env.registry, e) == (0, 0)
    assert check(env, positions_slot, taker, e) == MAX_LEGS - 4 == check(env, positions_slot, maker, e)
    # a later futures fill computes the requirement with every leg
    fill(env, taker, maker, e, FUTURE, 0, True, env.usd(99), 3)
    assert check(env, positions_slot, taker, e) == MAX_LEGS - 4 == check(env, positions_slot, maker, e)
    # a leg re-opened in the middle of the sorted legs counts again
    kind, k = instruments[16]
    book(kind, k, True, 1)
    assert both() == MAX_LEGS - 3


def test_settle_fills__every_leg_closed__count_zero_futures_only_requirement(
        env, maker, taker, maker2, positions_slot):
    ch, reg = env.ch, env.registry
    e = env.expiries[1]
    ks = active_strikes(env, e)
    for a in (maker, taker, maker2):
        fund(env.system, a, 100_000)
    legs = [(CALL, ks[2]), (PUT, ks[len(ks) // 2]), (CALL, ks[-3])]
    for kind, k in legs:
        fill(env, taker, maker, e, kind, k, False, env.usd(0.5), 2)
    fill(env, taker, maker2, e, FUTURE, 0, True, env.usd(100), 4)
    assert check(env, positions_slot, taker, e) == 3
    assert check(env, positions_slot, maker2, e) == 0
    for kind, k in legs:
        fill(env, taker, maker, e, kind, k, True, env.usd(0.5), 2)
    assert check(env, positions_slot, taker, e) == 0 == check(env, positions_slot, maker, e)
    lo, hi = reg.bounds(e)
    assert ch.series_requirement(taker, reg, e) == margin.requirement(4, 4 * env.usd(100), [], lo, hi)
    # the maker's options closed at their premium: flat, its series left the open list
    assert meta_of(env, positions_slot, maker, e) == (0, 0, 0)
    # futures-only fills on both sides of a position that had legs
    fill(env, maker2, taker, e, FUTURE, 0, True, env.usd(102), 1)
    assert check(env, positions_slot, taker, e) == 0 == check(env, positions_slot, maker2, e)
    assert ch.series_requirement(taker, reg, e) == margin.requirement(3, 4 * env.usd(100) - env.usd(102), [], lo, hi)
    # an option leg again after the count went back to 0
    fill(env, taker, maker, e, PUT, ks[3], True, env.usd(0.5), 1)
    assert check(env, positions_slot, taker, e) == 1 == check(env, positions_slot, maker, e)


def test_recalculate_and_claim__mixed_and_futures_only__legs_read_count_cleared(
        env, maker, taker, maker2, keeper, chain, positions_slot):
    ch, reg = env.ch, env.registry
    e = env.expiries[0]
    ks = active_strikes(env, e)
    for a in (maker, taker, maker2):
        fund(env.system, a, 100_000)
    k_call = min(ks, key=lambda k: abs(k - env.usd(102)))
    k_put = min(ks, key=lambda k: abs(k - env.usd(98)))
    fill(env, taker, maker, e, FUTURE, 0, True, env.usd(101), 3)
    fill(env, taker, maker, e, CALL, k_call, False, env.usd(0.8), 2)
    fill(env, taker, maker, e, PUT, k_put, True, env.usd(0.6), 1)
    fill(env, maker2, maker, e, FUTURE, 0, False, env.usd(100), 5)
    # a narrower range: recalculate reads the legs of the mixed positions only
    daily_updates(env, chain, keeper, 1)
    for a in (taker, maker, maker2):
        ch.recalculate(a, sender=keeper)
        assert check(env, positions_slot, a, e) == (0 if a == maker2 else 2)
    s = settle_series(env, chain, keeper, e, 103_000)
    want = {
        taker: margin.pnl(s, 3, 3 * env.usd(101), [(CALL, k_call, -2), (PUT, k_put, 1)]),
        maker: margin.pnl(s, 2, 5 * env.usd(100) - 3 * env.usd(101), [(CALL, k_call, 2), (PUT, k_put, -1)]),
        maker2: margin.pnl(s, -5, -5 * env.usd(100), []),
    }
    assert sum(want.values()) == 0
    for a, pnl in want.items():
        ch.recalculate(a, sender=keeper)
        assert ch.series_requirement(a, reg, e) == max(0, -pnl)     # the loss at S, legs included
        assert meta_of(env, positions_slot, a, e)[1] == (0 if a == maker2 else 2)
        tx = ch.claim(a, reg, e, sender=keeper)
        assert tx.events.filter(ch.Claimed)[0].pnl == pnl
        assert meta_of(env, positions_slot, a, e) == (0, 0, 0)
        assert leg_words(env, a, e) == [0] * MAX_LEGS      # cleared (refunds)
        assert legs_of(env, a, e) == [] and ch.futures_position(a, reg, e) == (0, 0)
        assert ch.requirement(a) == 0 and len(ch.open_series(a)) == 0
