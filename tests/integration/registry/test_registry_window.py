"""The fixing window's futures VWAP accumulator (`SeriesRegistry.windows`): one packed word per
series, made non-zero at listing and rewritten by each window day (no trader pays a fresh slot),
published in every FixingSet, saturating instead of reverting a taker. Driven exactly through `record_fills` from a
MockVenue made the order book of a second registry."""

from __future__ import annotations

import ape
import pytest
from helpers import map_slot, new_registry, next_update, push_prices, storage_layout, storage_word

from rangebound.constants import DAY, EXPIRY_OFFSET
from rangebound.dev.node import warp
from rangebound.models import calendar as cal

VOLUME_MAX = 2**72 - 1        # lots, where Σ qty saturates
NOTIONAL_MAX = 2**159 - 1     # raw units, where Σ price·qty saturates
LISTED = 1 << 255             # the word's marker, set at listing


@pytest.fixture
def market(sys_, deployer, project, mock_venue):
    """(registry, its order book: an impersonated MockVenue, not registered anywhere)."""
    registry = new_registry(sys_, deployer, project)
    return registry, mock_venue(registry, sys_.clearinghouse, register=False)


def into_window(chain, sys_, at: int) -> int:
    """Ten seconds into the fixing window of the 08:00 update at `at`, index and peg pushed
    just before; returns that UTC day number."""
    start, _ = cal.window(cal.day_start(at))
    warp(chain, start + 5)
    push_prices(sys_)
    warp(chain, start + 10)
    return at // DAY


def window_word(registry, expiry: int) -> int:
    return storage_word(registry, map_slot(storage_layout("SeriesRegistry")["windows"]["slot"], expiry))


def fixing_event(tx, registry, expiry: int):
    return next(ev for ev in tx.events.filter(registry.FixingSet) if ev.expiry == expiry)


def test_window__sums_published_in_fixing__next_day_rewrites_one_word(market, sys_, chain, stranger):
    registry, book = market
    e = registry.live_expiries()[-1]
    px = registry.bounds(e)[0] + 7 * registry.tick()
    assert all(window_word(registry, x) == LISTED for x in registry.live_expiries())   # listing
    day = into_window(chain, sys_, next_update(chain.pending_timestamp))
    first = registry.record_fills(e, 3 * px, 3, sender=book)
    registry.record_fills(e, 2 * (px + registry.tick()), 2, sender=book)
    total = 5 * px + 2 * registry.tick()
    assert tuple(registry.window(e, day)) == (total, 5)

    warp(chain, day * DAY + EXPIRY_OFFSET + 60)
    fix = fixing_event(registry.daily_update(sender=stranger), registry, e)
    assert (fix.window_volume, fix.window_notional) == (5, total)      # published (index mode)
    assert tuple(registry.window(e, day)) == (total, 5)                # kept until the next window

    nxt = into_window(chain, sys_, (day + 1) * DAY + EXPIRY_OFFSET)
    again = registry.record_fills(e, px, 1, sender=book)   # the next window day rewrites the word
    assert tuple(registry.window(e, nxt)) == (px, 1)
    assert tuple(registry.window(e, nxt + 1)) == (0, 0)
    with ape.reverts("registry: window not kept"):
        registry.window(e, day)
    assert window_word(registry, e) == LISTED | nxt | 1 << 24 | px << 96
    # the series' first window fill rewrites the listing's word (no fresh slot, +17,100), as
    # every later window day does
    assert abs(first.gas_used - again.gas_used) < 1_000


def test_record_fills__update_due__reverts_catch_up_incomplete(market, sys_, chain, stranger):
    """`record_fills` checks that the registry is current (the book's `trading_state` ran any
    due update for the same order) and does not run the update itself: while one is due it
    reverts and the window's word is unchanged; after the update the fills are recorded."""
    registry, book = market
    e = registry.live_expiries()[-1]
    px = registry.bounds(e)[0] + 7 * registry.tick()
    day = into_window(chain, sys_, next_update(chain.pending_timestamp) + DAY)   # the 08:00 before it not run
    assert registry.needs_update()
    word = window_word(registry, e)
    with ape.reverts("registry: catch-up incomplete"):
        registry.record_fills(e, 3 * px, 3, sender=book)
    assert window_word(registry, e) == word
    registry.daily_update(sender=stranger)
    assert not registry.needs_update()
    registry.record_fills(e, 3 * px, 3, sender=book)
    assert tuple(registry.window(e, day)) == (3 * px, 3)


def test_window__absurd_sums__saturate__never_revert(market, sys_, chain):
    registry, book = market
    e = registry.live_expiries()[-1]
    day = into_window(chain, sys_, next_update(chain.pending_timestamp))
    registry.record_fills(e, 2**200, 2**80, sender=book)
    assert tuple(registry.window(e, day)) == (NOTIONAL_MAX, VOLUME_MAX)
    registry.record_fills(e, 2**159, 2**71, sender=book)
    assert tuple(registry.window(e, day)) == (NOTIONAL_MAX, VOLUME_MAX)
    registry.record_fills(e, 1, 1, sender=book)
    assert tuple(registry.window(e, day)) == (NOTIONAL_MAX, VOLUME_MAX)


def test_window__fill_outside_window__not_counted(market, sys_, chain):
    registry, book = market
    e = registry.live_expiries()[-1]
    at = next_update(chain.pending_timestamp)
    warp(chain, at - 6 * 60)                                           # 07:54, before the window
    push_prices(sys_)
    registry.record_fills(e, 10**9, 4, sender=book)
    assert tuple(registry.window(e, at // DAY)) == (0, 0)
    assert window_word(registry, e) == LISTED
