# pragma version ~=0.4.3
"""
@title Rangebound constants
@notice The one place for shared constants: units, calendar offsets, kinds, flags and hard caps.
@custom:security Pure constants; no state.
"""

WAD: constant(uint256) = 10**18
BPS: constant(uint256) = 10_000

# calendar (unix seconds, UTC)
DAY: constant(uint256) = 86_400
WEEK: constant(uint256) = 7 * 86_400
EXPIRY_OFFSET: constant(uint256) = 8 * 3_600            # every expiry and daily update at 08:00 UTC
WINDOW_START: constant(uint256) = 7 * 3_600 + 55 * 60   # fixing window 07:55:00 ...
WINDOW_END: constant(uint256) = 7 * 3_600 + 59 * 60 + 59  # ... to 07:59:59 inclusive
WEEKLY_LIFE: constant(uint256) = 7 * 86_400             # Mon/Wed series listed 7 days before expiry
MONTHLY_LIFE: constant(uint256) = 28 * 86_400           # Friday series listed 28 days before expiry
LIVE_SERIES: constant(uint256) = 6

# instruments (docs/architecture.md §14)
FUTURE: constant(uint8) = 0
CALL: constant(uint8) = 1
PUT: constant(uint8) = 2
POST_ONLY: constant(uint256) = 1
IOC: constant(uint256) = 2

# hard caps (every loop has one of these as its bound)
MAX_STRIKES: constant(uint256) = 64
MIN_ACTIVE_STRIKES: constant(uint256) = 20
MAX_LEGS: constant(uint256) = 32          # option legs per (account, series)
MAX_OPEN_SERIES: constant(uint256) = 24   # open (account, series) pairs per account (Clearinghouse)
# resting orders one taker call may touch = fills per settle_fills. The worst such call (every
# one refused by the Clearinghouse, each cut back and re-planned) must fit one transaction under
# EIP-7825's 2**24 gas cap: 64 measured 25.7 M, 32 fits (tests/unit/test_refused_makers_at_bound.py)
MAX_FILLS: constant(uint256) = 32
RECORD_FILL: constant(uint256) = 1 << 255  # `MakerFill.release` flag: the book may record this fill instead of booking its maker (a futures order filled whole, in its owner's index)
FILL_TAG_SHIFT: constant(uint256) = 248    # `MakerFill.release` bits 248..252: the venue's tag of a fill it may record (< MAX_FILLS), the bit `settle_fills` returns for it when recorded
RELEASE_MASK: constant(uint256) = (1 << 96) - 1   # `MakerFill.release` bits 0..95: the reserve share (an order reserves below 2**96)
LISTED_LOTS_SHIFT: constant(uint256) = 96  # `MakerFill.release` bits 96..143: an unlisted futures maker's listed lots (its position cap leaves room for them)
COVERED_FILL: constant(uint256) = 1 << 254 # `MakerFill.release` flag: the order is listed, its lots already inside its owner's position cap (no cap check of its fill)
UNLISTED: constant(uint256) = 1 << 255     # `Clearinghouse.reserve`'s answer: the amount | this flag when the account's open list is full or its listed lots would pass its position cap (the order rests unlisted: its fills are booked and checked)
MAX_QUOTES: constant(uint256) = 16        # post-only orders per OrderBook.place_quotes call
MAX_SWEEP: constant(uint256) = 32         # order ids per sweep_dead_orders call
MAX_DEPTH_PAGE: constant(uint256) = 32    # price levels per OrderBook.depth page (the book's MAX_DEPTH)
MAX_QUEUE: constant(uint256) = 32         # order ids per OrderBook.queue page
# daily updates replayed in one call: ~0.9-1.1M gas a day with six series, so 10 days stay under
# the 2**24 (16,777,216) per-transaction gas cap of EIP-7825 and far under a 30M block; after a
# longer gap, callers repeat `daily_update` (record_fill, settle and place_order refuse until done)
MAX_CATCH_UP_DAYS: constant(uint256) = 10

# parameter bounds (setters refuse values outside them)
MAX_HEARTBEAT: constant(uint256) = 7 * 86400   # s: oldest feed answer a market may accept as fresh
MIN_DEPEG_THRESHOLD: constant(uint256) = 5 * 10**17  # WAD: 0.5 USD per USD1, the breaker cannot be switched off
