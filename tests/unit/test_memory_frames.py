"""Memory frames of the hot entry points. Vyper 0.4 puts every function's frame above the frames
of everything it can call, and each call pays memory expansion up to there, whether the deep
chain runs or not (docs/decisions.md, "Memory expansion on the order path", "The requirement
without wrapper frames", "`record_fills` checks"). A wrapper that takes a list by value, or an
inline call into the daily update, puts kilobytes under an entry point and every call pays for
them. These bounds hold the heights those rounds reached, with some slack; a change that fails
one should move the new frame out of the path or say in docs/decisions.md why it pays."""

from __future__ import annotations

import pytest
from helpers import frame_starts

KB = 1024

# (contract, entry point, bound in bytes, the height measured when the bound was set)
BOUNDS = [
    ("Clearinghouse", "settle_fills", 10 * KB, 9_568),    # every take and pool trade
    ("Clearinghouse", "reserve", 1 * KB, 832),             # every resting order
    ("Clearinghouse", "recalculate", 10 * KB, 9_920),      # every withdrawal (the vault's call)
    ("SeriesRegistry", "trading_state", 5.5 * KB, 5_248),  # every order
    ("SeriesRegistry", "record_fills", 1 * KB, 192),       # every futures take in the fixing window
    ("OrderBook", "place_order", 16.5 * KB, 16_416),       # every order
    ("PoolPricer", "trade_inputs", 7 * KB, 6_528),         # every pool trade
]


@pytest.mark.parametrize(("contract", "entry", "bound", "measured"), BOUNDS,
                         ids=[f"{c}.{e}" for c, e, _, _ in BOUNDS])
def test_frame__hot_entry_point__below_its_bound(contract, entry, bound, measured):
    start = frame_starts(contract)[entry]
    assert start <= bound, (
        f"{contract}.{entry}'s memory frame starts at {start} bytes (bound {bound:.0f}, "
        f"{measured} when it was set): every call now pays memory expansion up to there"
    )
