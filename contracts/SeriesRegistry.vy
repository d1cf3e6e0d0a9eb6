# pragma version ~=0.4.3
"""
@title SeriesRegistry
@notice One per market (underlying). Keeps the six live expiries (next Monday, next
        Wednesday, next four Fridays, all at 08:00 UTC), lists and rolls series without
        operator action, forms the daily fixing of every live series (index mode, the
        default: the fresh index; market mode, opt-in: the VWAP of futures fills in the
        07:55:00-07:59:59 UTC window if it reaches the minimum volume, guarded within
        0.25% (expiry) / 1% (daily) of a fresh index, else the index; docs/architecture.md §4),
        updates the EWMA daily variance, and at
        each 08:00 moves every series' trading range [L, U] towards the volatility-scaled
        suggested range without ever widening it. Settles a series at expiry by clamping
        that day's fixing into its range.
@custom:security `daily_update` is permissionless and idempotent per day; it replays missed
        days (at most MAX_CATCH_UP_DAYS per call) and is run lazily by the order book and by
        `settle`, so no keeper is needed for correctness. A fixing is never invented: a day
        without a fresh index forms none, keeps its ranges and skips the variance update,
        and trading goes on; only a settlement without its fixing waits for the first index
        round after the window ("registry: no fixing source" until then). The
        registry has no pause: fixing, range updates and settlement never stop. Only the
        market's order book may record fills. Every loop is bounded by a named constant.
"""

from snekmate.auth import ownable
from snekmate.auth import ownable_2step

from interfaces import IAggregatorV3
from interfaces import ISeriesRegistry
from contracts.modules import constants as c
from contracts.modules import calendar
from contracts.modules import range_math
from contracts.modules import strike_grid

implements: ISeriesRegistry

initializes: ownable
initializes: ownable_2step[ownable := ownable]
initializes: strike_grid

exports: (
    ownable_2step.owner,
    ownable_2step.pending_owner,
    ownable_2step.transfer_ownership,
    ownable_2step.accept_ownership,
)

SOURCE_VWAP: constant(uint8) = 1          # market mode: window VWAP (volume >= minimum), guarded
SOURCE_INDEX: constant(uint8) = 3         # market mode: thin window, the fresh index
SOURCE_INDEX_MODE: constant(uint8) = 4    # index mode (the default): the fresh index
MAX_GUARD_BPS: constant(uint256) = 100    # bps, market-mode guard of a daily fixing (1%)
EXPIRY_GUARD_BPS: constant(uint256) = 25  # bps, market-mode guard of an expiry fixing (0.25%)
MAX_ROUND_SEARCH: constant(uint256) = 64   # binary-search steps over feed rounds (2**64 rounds)
MAX_POW10: constant(uint256) = 77         # 10**77 < 2**256 < 10**78: steps of the index scale's reduction
# raw units/lot: an index at or above this is no source (keeps every packed price field in range:
# fixings < 2**104, ranges and strikes < 2**128 at any alpha the parameter bounds allow)
MAX_INDEX_PRICE: constant(uint256) = 2**96
# packed fields (docs/decisions.md, "Daily update in packed words")
FIX_DAY_SHIFT: constant(uint256) = 104    # state word: fixing bits 0..103, its day 104..127
SETTLE_SHIFT: constant(uint256) = 128     # state word: settlement bits 128..255
WINDOW_DAY_MASK: constant(uint256) = 2**24 - 1        # windows word: UTC day bits 0..23
WINDOW_VOLUME_SHIFT: constant(uint256) = 24           # windows word: Σ qty bits 24..95
WINDOW_VOLUME_MAX: constant(uint256) = 2**72 - 1      # lots, where Σ qty saturates
WINDOW_NOTIONAL_SHIFT: constant(uint256) = 96         # windows word: Σ price·qty bits 96..254
WINDOW_NOTIONAL_MAX: constant(uint256) = 2**159 - 1   # raw units, where Σ price·qty saturates
WINDOW_LISTED: constant(uint256) = 1 << 255           # windows word: set at listing, never cleared
M64: constant(uint256) = 2**64 - 1            # the low 64 bits: `hot`'s variance, `peg_word`'s last_update
REF_SHIFT: constant(uint256) = 128        # hot word: reference price bits 128..255
PEG_HEARTBEAT_SHIFT: constant(uint256) = 160  # peg word: heartbeat bits 160..183
PEG_DECIMALS_SHIFT: constant(uint256) = 184   # peg word: feed decimals bits 184..191
PEG_THRESHOLD_SHIFT: constant(uint256) = 192  # peg word: depeg threshold bits 192..255
# `_set_param` ids: which parameter a typed setter sets
PARAM_GUARD_BPS: constant(uint256) = 0
PARAM_MIN_FIXING_VOLUME: constant(uint256) = 1
PARAM_V_MIN: constant(uint256) = 2
PARAM_V_MAX: constant(uint256) = 3
PARAM_INDEX_HEARTBEAT: constant(uint256) = 4
PARAM_PEG_HEARTBEAT: constant(uint256) = 5
PARAM_DEPEG_THRESHOLD: constant(uint256) = 6
PARAM_STRIKE_COUNT: constant(uint256) = 7
PARAM_INDEX_MODE: constant(uint256) = 8


struct Series:
    lower: uint256          # raw units/lot, current range
    upper: uint256          # raw units/lot
    listed_at: uint256      # unix s, the 08:00 update (or deployment) that listed it
    listing_lower: uint256  # raw units/lot, range at listing (defines the uniform strikes)
    listing_upper: uint256  # raw units/lot
    strike_count: uint256   # N uniform strikes at listing
    settlement: uint256     # raw units/lot, 0 = not settled


struct Window:
    notional: uint256       # Σ price·qty of futures fills in the window (raw units)
    volume: uint256         # Σ qty (lots)


p: ISeriesRegistry.MarketParams                        # market parameters
TICK: immutable(uint256)                               # raw units/lot: `p.tick`, fixed at deployment (no slot read per order)
MIN_QTY: immutable(uint256)                            # lots: `p.min_qty`, fixed at deployment (no slot read per order)
PEG_FEED: immutable(IAggregatorV3)                     # the USD1/USD feed: `p.peg_feed`, fixed at deployment (no setter)
index_num: uint256                                     # feed answer -> raw units/lot numerator (lot_size * 10**token_decimals)
# packed, what every index read needs (one cold slot, not four; `_peg_word`'s layout): the
# index feed (bits 0..159), index_heartbeat (s, bits 160..183; <= MAX_HEARTBEAT < 2**20), e
# (bits 184..191) and n (bits 192..255): raw units/lot = answer * n // 10**e, the fraction
# index_num / (10**feed decimals * WAD) with the common powers of ten taken out (exact). n = 0:
# the reduced numerator needs 64 bits or more, read index_num (e is then unreduced).
# Rewritten by every parameter setter from the checked parameters (e and n kept).
index_word: uint256
# packed, what every order reads (one cold slot for the lazy update's test and the depeg check,
# not five): last_update (unix s, 08:00 UTC of the last daily update applied; bits 0..63),
# peg_heartbeat (s, bits 160..183; <= MAX_HEARTBEAT < 2**20), the peg feed's decimals (bits
# 184..191) and depeg_threshold (WAD, bits 192..255; <= WAD < 2**60). The feed is PEG_FEED.
# Rewritten by every parameter setter from the checked parameters (last_update kept).
# The listed expiries are not stored: they are calendar._live_expiries(last_update).
peg_word: uint256

order_book: public(address)                            # the market's book (records fills), set once
pool: public(address)                                  # the market's OptionsPool (a venue, never records fills), set once
# packed, read by every update and every pool trade: variance (WAD, daily; bits 0..63, <= v_max
# <= WAD / 10), reference_price (raw units/lot, last reference fixing of the nearest series;
# bits 128..255).
hot: uint256
# expiry -> current range, packed: lower (raw units/lot, bits 0..127) | upper (bits 128..255);
# 0 = not listed (upper > 0 once listed)
series: HashMap[uint256, uint256]
# expiry -> packed: the series' latest fixing (raw units/lot, bits 0..103; < 2**97), its UTC day
# number (bits 104..127), settlement price (raw units/lot, bits 128..255; 0 = not settled).
# Each day's fixing overwrites the previous day's: every day's is in its FixingSet event.
state: HashMap[uint256, uint256]
# expiry -> the series' latest fixing window with futures fills, packed: its UTC day number
# (bits 0..23) | Σ qty (lots, bits 24..95) | Σ price·qty (raw units, bits 96..254), both sums
# saturating (`record_fills`) | WINDOW_LISTED (bit 255). One word per series, made non-zero at
# listing (the listing update pays the fresh slot, no trader does) and rewritten by the next
# window day's first fill (2,900 gas): that day's update has consumed it (a fill first runs
# every due update), and every day's window is in that day's FixingSet event (a day without a
# fixing source forms none: its fills stay in their Fill events).
windows: HashMap[uint256, uint256]


@deploy
def __init__(params_: ISeriesRegistry.MarketParams):
    """
    @notice Deploys a market and lists its six live series around the current index.
    @param params_ Market parameters (see `MarketParams`); checked against bounds.
    """
    ownable.__init__()
    ownable_2step.__init__()
    self._check_params(params_)
    self.p = params_
    TICK = params_.tick
    MIN_QTY = params_.min_qty
    self._set_index_scale(params_)
    PEG_FEED = IAggregatorV3(params_.peg_feed)
    now_update: uint256 = calendar._update_time(block.timestamp)
    self.peg_word = self._peg_word(now_update, params_.peg_heartbeat, convert(staticcall PEG_FEED.decimals(), uint256), params_.depeg_threshold)
    price: uint256 = 0
    fresh: bool = False
    price, fresh = self._index_at(block.timestamp)
    assert fresh, "registry: no fixing source"
    self.hot = params_.v0 | (price << REF_SHIFT)
    first: DynArray[uint256, c.LIVE_SERIES] = calendar._live_expiries(block.timestamp)
    for e: uint256 in first:
        self._list(e, price, now_update, params_.v0)


# ---------------------------------------------------------------- parameter checks

@view
@internal
def _check_params(q: ISeriesRegistry.MarketParams):
    assert q.tick > 0 and q.min_qty > 0 and q.lot_size > 0, "registry: zero parameter"
    assert q.token_decimals == 6 or q.token_decimals == 18, "registry: bad decimals"
    assert q.guard_bps <= MAX_GUARD_BPS, "registry: guard too wide"
    assert q.k > 0 and q.k <= 10 * c.WAD, "registry: k out of bounds"
    assert q.m <= 10 * c.WAD, "registry: m out of bounds"
    assert q.lam >= c.WAD // 2 and q.lam < c.WAD, "registry: lambda out of bounds"
    assert q.v_min > 0 and q.v_min <= q.v0 and q.v0 <= q.v_max, "registry: variance bounds"
    assert q.v_max <= c.WAD // 10, "registry: v_max too large"
    assert q.strike_count >= 20 and q.strike_count <= 50, "registry: strike count"
    assert q.index_heartbeat > 0 and q.peg_heartbeat > 0, "registry: zero heartbeat"
    assert q.index_heartbeat <= c.MAX_HEARTBEAT and q.peg_heartbeat <= c.MAX_HEARTBEAT, "registry: heartbeat too long"
    assert q.depeg_threshold >= c.MIN_DEPEG_THRESHOLD and q.depeg_threshold <= c.WAD, "registry: depeg threshold"
    assert q.index_feed.is_contract and q.peg_feed.is_contract, "registry: feed not a contract"


# ---------------------------------------------------------------- oracle reads

@view
@internal
def _to_lot_price(answer: int256, w: uint256) -> uint256:
    # index per lot, rounded DOWN to tick; `w` is `index_word` (read once per index read)
    n: uint256 = w >> PEG_THRESHOLD_SHIFT
    if n == 0:
        n = self.index_num
    raw: uint256 = convert(answer, uint256) * n // 10 ** ((w >> PEG_DECIMALS_SHIFT) & 255)
    if raw >= MAX_INDEX_PRICE:
        return 0    # unusable (no source): keeps every packed price field in range
    return raw - raw % TICK


@view
@internal
def _round_at(at: uint256, w: uint256) -> (uint256, int256, uint256, uint256):
    """
    @dev The latest feed round with updatedAt <= `at`: (round id, answer, updatedAt), round
         id 0 when there is none, and the feed's latest round id. Binary search over the
         rounds of the latest round's phase (at most MAX_ROUND_SEARCH steps).
    """
    feed: IAggregatorV3 = IAggregatorV3(convert(convert(w & (2**160 - 1), uint160), address))
    rid: uint80 = 0
    ans: int256 = 0
    started: uint256 = 0
    upd: uint256 = 0
    answered: uint80 = 0
    rid, ans, started, upd, answered = staticcall feed.latestRoundData()
    latest: uint256 = convert(rid, uint256)
    if upd <= at:
        return latest, ans, upd, latest
    lo: uint256 = (latest >> 64 << 64) + 1      # oldest round of the phase
    hi: uint256 = latest - 1
    best: uint256 = 0
    for i: uint256 in range(MAX_ROUND_SEARCH):
        if lo > hi:
            break
        mid: uint256 = (lo + hi) // 2
        r_ans: int256 = 0
        r_upd: uint256 = 0
        _a: uint80 = 0
        _s: uint256 = 0
        _b: uint80 = 0
        _a, r_ans, _s, r_upd, _b = staticcall feed.getRoundData(convert(mid, uint80))
        if r_upd != 0 and r_upd <= at:
            best = mid
            ans = r_ans
            upd = r_upd
            lo = mid + 1
        else:
            if mid == 0:
                break
            hi = mid - 1
    return best, ans, upd, latest


@view
@internal
def _index_at(at: uint256) -> (uint256, bool):
    """
    @dev The index price (raw units/lot) of the latest round with updatedAt <= `at`, and
         whether it is usable: positive and not older than the heartbeat.
    """
    rid: uint256 = 0
    ans: int256 = 0
    upd: uint256 = 0
    latest: uint256 = 0
    w: uint256 = self.index_word
    rid, ans, upd, latest = self._round_at(at, w)
    if rid == 0 or ans <= 0 or at - upd > (w >> PEG_HEARTBEAT_SHIFT) & (2**24 - 1):
        return 0, False
    price: uint256 = self._to_lot_price(ans, w)
    return price, price > 0


@view
@internal
def _index_after(at: uint256) -> uint256:
    """
    @dev The index price (raw units/lot) of the first round reported after `at` (a
         settlement whose fixing day had no source); 0 while there is none.
    """
    rid: uint256 = 0
    ans: int256 = 0
    upd: uint256 = 0
    latest: uint256 = 0
    w: uint256 = self.index_word
    rid, ans, upd, latest = self._round_at(at, w)
    if rid == 0:
        # no round at or before `at` in the latest phase (a Chainlink proxy moved to a new
        # aggregator after `at`): that phase's first round is the first reported after `at`
        rid = latest >> 64 << 64
    elif rid >= latest:
        return 0
    _a: uint80 = 0
    _s: uint256 = 0
    _b: uint80 = 0
    _a, ans, _s, upd, _b = staticcall IAggregatorV3(self.p.index_feed).getRoundData(convert(rid + 1, uint80))
    if ans <= 0 or upd <= at:
        return 0
    return self._to_lot_price(ans, w)


@view
@internal
def _reduce_only() -> bool:
    rid: uint80 = 0
    ans: int256 = 0
    started: uint256 = 0
    upd: uint256 = 0
    answered: uint80 = 0
    w: uint256 = self.peg_word
    rid, ans, started, upd, answered = staticcall PEG_FEED.latestRoundData()
    if ans <= 0 or upd > block.timestamp or block.timestamp - upd > (w >> PEG_HEARTBEAT_SHIFT) & (2**24 - 1):
        return True   # a stale or broken peg feed is treated as a depeg
    # peg in WAD, rounded DOWN (a borderline peg counts as depegged)
    den: uint256 = 10 ** ((w >> PEG_DECIMALS_SHIFT) & 255)
    return convert(ans, uint256) * c.WAD // den < w >> PEG_THRESHOLD_SHIFT


@pure
@internal
def _peg_word(low: uint256, heartbeat: uint256, decimals: uint256, threshold: uint256) -> uint256:
    # `low` (bits 0..159): the index feed's address (`index_word`) or last_update (`peg_word`,
    # < 2**40). The fields are checked by _check_params first (heartbeat <= MAX_HEARTBEAT <
    # 2**24, threshold <= WAD < 2**64); a feed's decimals() is a uint8 (< 2**8)
    return (low | (heartbeat << PEG_HEARTBEAT_SHIFT)
            | (decimals << PEG_DECIMALS_SHIFT) | (threshold << PEG_THRESHOLD_SHIFT))


@internal
def _set_index_scale(q: ISeriesRegistry.MarketParams):
    """
    @dev Deployment: index_num and `index_word` (see there). Reduces index_num / 10**e, e =
         feed decimals + 18, by ten while both divide (at most MAX_POW10 times: 10**e < 2**256,
         which the first power checks, as the unreduced denominator did).
    """
    n: uint256 = q.lot_size * 10 ** convert(q.token_decimals, uint256)
    self.index_num = n
    e: uint256 = convert(staticcall IAggregatorV3(q.index_feed).decimals(), uint256) + 18
    d: uint256 = 10 ** e
    for i: uint256 in range(MAX_POW10):
        if d == 1 or n % 10 != 0:
            break
        n //= 10
        d //= 10
        e -= 1
    if n >= 2**64:
        n = 0
        e = convert(staticcall IAggregatorV3(q.index_feed).decimals(), uint256) + 18
    self.index_word = self._peg_word(convert(convert(q.index_feed, uint160), uint256), q.index_heartbeat, e, n)


# ---------------------------------------------------------------- strikes

@internal
def _refill_strikes(expiry: uint256, lower: uint256, upper: uint256):
    # the grid lives in packed words (contracts/modules/strike_grid.vy)
    new: DynArray[uint256, c.MIN_ACTIVE_STRIKES] = strike_grid._refill(expiry, lower, upper, TICK)
    for k: uint256 in new:
        log ISeriesRegistry.StrikeInserted(expiry=expiry, strike=k)


# ---------------------------------------------------------------- listing and ranges

@internal
def _list(expiry: uint256, price: uint256, at: uint256, v: uint256):
    t_days: uint256 = calendar._days_between(at, expiry)
    a: uint256 = range_math._alpha(v, t_days, self.p.k, self.p.m)
    lo: uint256 = 0
    hi: uint256 = 0
    lo, hi = range_math._suggested_bounds(price, a, TICK)
    n: uint256 = self.p.strike_count
    self.series[expiry] = lo | (hi << 128)      # both < 2**128 (MAX_INDEX_PRICE)
    self.windows[expiry] = WINDOW_LISTED         # day 0, no sums: its first window fill rewrites it
    strike_grid._list(expiry, lo, hi, n, at)
    self._refill_strikes(expiry, lo, hi)
    log ISeriesRegistry.SeriesListed(expiry=expiry, lower=lo, upper=hi, strike_count=n)


@internal
def _move_range(expiry: uint256, price: uint256, at: uint256, day: uint256, v: uint256):
    t_days: uint256 = calendar._days_between(at, expiry)
    a: uint256 = range_math._alpha(v, t_days, self.p.k, self.p.m)
    s_lo: uint256 = 0
    s_hi: uint256 = 0
    s_lo, s_hi = range_math._suggested_bounds(price, a, TICK)
    old_lo: uint256 = 0
    old_hi: uint256 = 0
    old_lo, old_hi = self._bounds(expiry)
    lo: uint256 = 0
    hi: uint256 = 0
    lo, hi = range_math._update_range(old_lo, old_hi, s_lo, s_hi)
    if lo != old_lo or hi != old_hi:
        self.series[expiry] = lo | (hi << 128)
        self._refill_strikes(expiry, lo, hi)
    log ISeriesRegistry.RangeUpdated(expiry=expiry, day=day, lower=lo, upper=hi)


# ---------------------------------------------------------------- fixing

@internal
def _form_fixing(expiry: uint256, day: uint256, idx: uint256, idx_ok: bool) -> uint256:
    """
    @dev The day's fixing of a series (docs/architecture.md §4), formed once; 0 = no source (no
         fresh index: neither mode forms a fixing then). Index mode: the index. Market mode:
         the window's futures VWAP (rounded down to tick) if its volume reaches the minimum,
         clamped within the guard of the index (expiry day at most EXPIRY_GUARD_BPS, other
         days MAX_GUARD_BPS); else the index. A trade outside the window never counts.
    """
    st: uint256 = self.state[expiry]
    if (st >> FIX_DAY_SHIFT) & (2**24 - 1) == day and st & (2**FIX_DAY_SHIFT - 1) != 0:
        return st & (2**FIX_DAY_SHIFT - 1)      # formed once: the day's fixing is immutable
    if not idx_ok:
        return 0
    price: uint256 = idx
    source: uint8 = SOURCE_INDEX_MODE
    w: Window = self._window_of(expiry, day)    # published with the fixing in both modes
    if not self.p.index_mode:
        source = SOURCE_INDEX
        if w.volume > 0 and w.volume >= self.p.min_fixing_volume:
            tick: uint256 = TICK
            price = w.notional // w.volume       # VWAP rounded DOWN ...
            price -= price % tick                # ... to tick
            g: uint256 = self.p.guard_bps
            if expiry // c.DAY == day:
                g = min(g, EXPIRY_GUARD_BPS)
            # clamp into [idx·(1−g), idx·(1+g)], both edges rounded inward to tick
            lo: uint256 = idx * (c.BPS - g) // c.BPS
            lo = (lo + tick - 1) // tick * tick
            hi: uint256 = idx * (c.BPS + g) // c.BPS
            hi -= hi % tick
            price = max(lo, min(price, hi))
            source = SOURCE_VWAP
    # overwrites the previous day's fixing (the settlement bits are 0 while the series is live)
    self.state[expiry] = price | (day << FIX_DAY_SHIFT) | (st >> SETTLE_SHIFT << SETTLE_SHIFT)
    log ISeriesRegistry.FixingSet(
        expiry=expiry, day=day, price=price, source=source, window_volume=w.volume, window_notional=w.notional
    )
    return price


# ---------------------------------------------------------------- daily update

@internal
def _update_day(at: uint256):
    """
    @dev One 08:00 UTC update at `at`: fix every series live until now (including the one
         expiring at `at`), update the variance from the nearest unexpired series' fixing,
         roll the calendar (list successors) and move every unexpired range.
    """
    day: uint256 = at // c.DAY
    w_start: uint256 = 0
    w_end: uint256 = 0
    w_start, w_end = calendar._window(at - c.EXPIRY_OFFSET)
    idx: uint256 = 0
    idx_ok: bool = False
    idx, idx_ok = self._index_at(w_end)
    old: DynArray[uint256, c.LIVE_SERIES] = calendar._live_expiries(at - c.DAY)   # listed as of the last update
    fix: DynArray[uint256, c.LIVE_SERIES] = []
    ref: uint256 = 0
    for e: uint256 in old:
        f: uint256 = self._form_fixing(e, day, idx, idx_ok)
        fix.append(f)
        if ref == 0 and e > at:
            ref = f
    # no source (ref == 0): no variance update, ranges kept, new series listed around the
    # last reference price
    hot: uint256 = self.hot
    v: uint256 = hot & M64
    prev: uint256 = hot >> REF_SHIFT
    if ref != 0 and prev != 0:
        r: int256 = range_math._log_return(ref, prev)
        v = range_math._ewma(v, r, self.p.lam, self.p.v_min, self.p.v_max)
        log ISeriesRegistry.VarianceUpdated(day=day, variance=v, log_return=r)
    if ref != 0:
        # ref < MAX_INDEX_PRICE * 1.01 (a fixing), v <= v_max < 2**64
        self.hot = v | (ref << REF_SHIFT)
    else:
        ref = prev
    nxt: DynArray[uint256, c.LIVE_SERIES] = calendar._live_expiries(at)
    for e: uint256 in nxt:
        known: bool = False
        for i: uint256 in range(c.LIVE_SERIES):
            if i >= len(old):
                break
            if old[i] == e:
                if fix[i] != 0:
                    self._move_range(e, fix[i], at, day, v)
                known = True
                break
        if not known:
            self._list(e, ref, at, v)


@internal
def _daily_update() -> bool:
    target: uint256 = calendar._update_time(block.timestamp)
    at: uint256 = self._last_update()
    if at >= target:
        return True
    for i: uint256 in range(c.MAX_CATCH_UP_DAYS):
        at += c.DAY
        self._update_day(at)
        if at >= target:
            break
    self.peg_word = (self.peg_word & ~M64) | at     # last_update, bits 0..63
    return at >= target


@external
@nonreentrant
def daily_update() -> bool:
    """
    @notice Applies every due 08:00 UTC update (fixings, variance, rollover, ranges).
            Permissionless and idempotent per day; replays up to MAX_CATCH_UP_DAYS missed
            days per call (call again if more were missed). Never blocked by the oracle: a
            day without a fresh index forms no fixing, keeps its ranges and skips the
            variance update (docs/architecture.md §4).
    @return True when the registry is current afterwards (no catch-up pending).
    """
    return self._daily_update()


@external
def trading_state(expiry: uint256, kind: uint8, strike: uint256) -> ISeriesRegistry.TradingState:
    """
    @notice Everything a venue checks before an order, in one call (docs/architecture.md §16): runs
            the due daily updates first (`current` False while a catch-up is pending), then
            reads the series once: live, range [lower, upper], reduce-only (stablecoin
            depeg), the market's min qty and, for options (kind != 0), whether `strike` is an
            active strike. Permissionless (it only runs the lazy update).
    """
    current: bool = True
    if self._last_update() < calendar._update_time(block.timestamp):     # `_due`, inline: every order runs it
        current = extcall ISeriesRegistry(self).daily_update()
    lower: uint256 = 0
    upper: uint256 = 0
    lower, upper = self._bounds(expiry)
    active: bool = False
    if kind != c.FUTURE and strike > lower and strike < upper:
        active = self._on_grid(expiry, strike)
    return ISeriesRegistry.TradingState(
        current=current, live=upper != 0 and block.timestamp < expiry, lower=lower, upper=upper,
        reduce_only=self._reduce_only(), min_qty=MIN_QTY, strike_active=active,
    )


# ---------------------------------------------------------------- trading side

@view
@internal
def _due() -> bool:
    """
    @dev An 08:00 UTC update is due (`needs_update`, `record_fills`; `trading_state` writes
         it out: a call would cost every order ~40 gas).
    """
    return self._last_update() < calendar._update_time(block.timestamp)


@pure
@internal
def _check_current(current: bool):
    # one site for the reason: each costs code
    assert current, "registry: catch-up incomplete"


@internal
def _catch_up():
    # runs every due daily update or reverts
    self._check_current(self._daily_update())


@external
@nonreentrant
def record_fills(expiry: uint256, notional: uint256, qty: uint256):
    """
    @notice Records every futures fill of one taker order at once (what the book calls, once per
            taker order inside today's fixing window): `notional` = Σ price·qty (raw units) over
            `qty` lots, added to the window's accumulator (`window`, published in the day's
            FixingSet). Outside the window it changes nothing. O(1). Only the market's order
            book, after `trading_state` ran any due update ("registry: catch-up incomplete"
            while one is due). No event of its own: each fill is in the Clearinghouse's `Fill`
            and the book's `OrderFilled` events, the window's sums in FixingSet.
    """
    assert msg.sender == self.order_book and msg.sender != empty(address), "registry: not order book"
    # the book read `trading_state` for this order, which ran any due update: the registry is
    # current, so it is checked, not run (`_catch_up` inline would put the daily update's
    # frames, ~14 KB, under this call and every window take would pay that memory)
    self._check_current(not self._due())
    assert self.series[expiry] != 0 and block.timestamp < expiry, "registry: series not live"
    w_start: uint256 = 0
    w_end: uint256 = 0
    w_start, w_end = calendar._window(calendar._day_start(block.timestamp))
    if block.timestamp >= w_start and block.timestamp <= w_end:
        day: uint256 = block.timestamp // c.DAY
        w: Window = self._window_of(expiry, day)
        # saturating sums (no sum of two uint256 terms this small can overflow): an absurd
        # window mis-states its VWAP (market mode clamps it to the guard) but never reverts a taker
        self.windows[expiry] = (
            day
            | min(w.volume + qty, WINDOW_VOLUME_MAX) << WINDOW_VOLUME_SHIFT
            | min(w.notional + notional, WINDOW_NOTIONAL_MAX) << WINDOW_NOTIONAL_SHIFT
            | WINDOW_LISTED
        )


# ---------------------------------------------------------------- settlement

@external
@nonreentrant
def settle(expiry: uint256):
    """
    @notice Settles a series at or after its expiry: its expiry-day fixing clamped into its
            range becomes the settlement price, once. If that day had no source, the first
            index round reported after the window end is used instead ("registry: no fixing
            source" until one exists). Runs any due daily update first (which
            also lists the successor). Permissionless; O(1) beyond the catch-up.
    """
    assert self.series[expiry] != 0, "registry: unknown series"
    assert block.timestamp >= expiry, "registry: not expired"
    assert self.state[expiry] >> SETTLE_SHIFT == 0, "registry: already settled"
    self._catch_up()
    lower: uint256 = 0
    upper: uint256 = 0
    lower, upper = self._bounds(expiry)   # read after the catch-up: its last range update counts
    f: uint256 = self._fixing(expiry, expiry // c.DAY)
    if f == 0:
        # the expiry day had no source: the first index round reported after its window
        w_start: uint256 = 0
        w_end: uint256 = 0
        w_start, w_end = calendar._window(expiry - c.EXPIRY_OFFSET)
        f = self._index_after(w_end)
    assert f != 0, "registry: no fixing source"
    price: uint256 = max(lower, min(f, upper))
    # price <= max(lower, f) < 2**128; the fixing bits are kept
    self.state[expiry] = (self.state[expiry] & (2**SETTLE_SHIFT - 1)) | (price << SETTLE_SHIFT)
    log ISeriesRegistry.SeriesSettled(expiry=expiry, price=price, fixing=f)


# ---------------------------------------------------------------- views

@view
@external
def tick() -> uint256:
    """
    @notice Price grid of the market (raw units/lot).
    """
    return TICK


@view
@external
def min_qty() -> uint256:
    """
    @notice Smallest order quantity (lots).
    """
    return MIN_QTY


@view
@external
def params() -> ISeriesRegistry.MarketParams:
    """
    @notice All market parameters.
    """
    return self.p


@view
@external
def live_expiries() -> DynArray[uint256, c.LIVE_SERIES]:
    """
    @notice The six live expiries at this block's time, ascending (pure calendar: true even
            if no daily update has run yet).
    """
    return calendar._live_expiries(block.timestamp)


@view
@external
def listed_expiries() -> DynArray[uint256, c.LIVE_SERIES]:
    """
    @notice The expiries live as of the last applied daily update.
    """
    return calendar._live_expiries(self._last_update())


@view
@external
def is_live(expiry: uint256) -> bool:
    """
    @notice True if the series is listed and not yet expired.
    """
    return self.series[expiry] != 0 and block.timestamp < expiry


@view
@external
def bounds(expiry: uint256) -> (uint256, uint256):
    """
    @notice Current trading range [L, U] of a series (raw units/lot; (0, 0) = not listed).
    """
    return self._bounds(expiry)


@view
@external
def series_info(expiry: uint256) -> Series:
    """
    @notice Everything stored about a series.
    """
    g: strike_grid.Grid = strike_grid._grid(expiry, TICK)
    return Series(
        lower=self.series[expiry] & (2**128 - 1), upper=self.series[expiry] >> 128,
        listed_at=g.listed_at,
        listing_lower=g.lo0, listing_upper=g.hi0, strike_count=g.n,
        settlement=self.state[expiry] >> SETTLE_SHIFT,
    )


@view
@external
def strikes(expiry: uint256) -> DynArray[uint256, c.MAX_STRIKES]:
    """
    @notice Every strike of the series (uniform grid + inserted midpoints), ascending,
            active or not.
    """
    if self.series[expiry] == 0:
        return []
    return strike_grid._strikes(expiry, TICK)


@view
@external
def strike_active(expiry: uint256, strike: uint256) -> bool:
    """
    @notice True if `strike` is on the series' grid and strictly inside its range.
    """
    # field by field: each is one cold SLOAD, the whole struct would be seven
    lower: uint256 = 0
    upper: uint256 = 0
    lower, upper = self._bounds(expiry)
    if strike <= lower or strike >= upper:
        return False
    return self._on_grid(expiry, strike)


@view
@internal
def _bounds(expiry: uint256) -> (uint256, uint256):
    # the series' range [lower, upper] (raw units/lot) from its packed word; (0, 0) = not listed
    word: uint256 = self.series[expiry]
    return word & (2**128 - 1), word >> 128


@view
@internal
def _on_grid(expiry: uint256, strike: uint256) -> bool:
    # grid membership from the packed grid, without building it (strike_grid._on_grid)
    return strike_grid._on_grid(expiry, strike, TICK)


@view
@internal
def _fixing(expiry: uint256, day: uint256) -> uint256:
    # the series' fixing of `day` if it is the latest one kept, else 0
    st: uint256 = self.state[expiry]
    if (st >> FIX_DAY_SHIFT) & (2**24 - 1) != day:
        return 0
    return st & (2**FIX_DAY_SHIFT - 1)


@view
@external
def fixing(expiry: uint256, day: uint256) -> uint256:
    """
    @notice Fixing of a series for a UTC day number (`timestamp // 86400`); 0 = none.
    """
    assert day < 10**6, "registry: day not timestamp"  # a unix timestamp passed as a day
    # only the latest fixing of a series is kept (earlier days: their FixingSet events)
    assert day >= (self.state[expiry] >> FIX_DAY_SHIFT) & (2**24 - 1), "registry: fixing not kept"
    return self._fixing(expiry, day)


@view
@external
def window(expiry: uint256, day: uint256) -> Window:
    """
    @notice Futures VWAP accumulator of a series for a UTC day number. Only the series' latest
            window with fills is kept: an earlier day reverts "registry: window not kept"
            (each day's window is in that day's FixingSet event, when it formed a fixing).
    """
    assert day >= self.windows[expiry] & WINDOW_DAY_MASK, "registry: window not kept"
    return self._window_of(expiry, day)


@view
@internal
def _window_of(expiry: uint256, day: uint256) -> Window:
    # the series' window accumulator of `day` from its packed word (`windows`); empty when the
    # word holds another day (an earlier one, consumed by its update) or nothing yet
    w: uint256 = self.windows[expiry]
    if w & WINDOW_DAY_MASK != day:
        return empty(Window)
    return Window(
        notional=(w >> WINDOW_NOTIONAL_SHIFT) & WINDOW_NOTIONAL_MAX, volume=(w >> WINDOW_VOLUME_SHIFT) & WINDOW_VOLUME_MAX
    )


@view
@external
def settlement_price(expiry: uint256) -> uint256:
    """
    @notice Settlement price (raw units/lot); 0 = not settled.
    """
    return self.state[expiry] >> SETTLE_SHIFT


@view
@external
def reduce_only() -> bool:
    """
    @notice True while the USD1/USD feed is below the depeg threshold (or stale): no new
            exposure; cancels, withdrawals, settlement and claims continue.
    """
    return self._reduce_only()


@view
@external
def index_price() -> (uint256, bool):
    """
    @notice Index price now (raw units/lot) and whether it is fresh.
    """
    return self._index_at(block.timestamp)


@view
@external
def needs_update() -> bool:
    """
    @notice True if an 08:00 UTC update is due.
    """
    return self._due()


@view
@external
def alpha(t_days: uint256) -> uint256:
    """
    @notice Range factor α (WAD) at the current variance for `t_days` to expiry.
    """
    return range_math._alpha(self._variance(), t_days, self.p.k, self.p.m)


@view
@internal
def _variance() -> uint256:
    return self.hot & M64


@view
@internal
def _last_update() -> uint256:
    return self.peg_word & M64


@view
@external
def variance() -> uint256:
    """
    @notice Daily variance estimate (WAD).
    """
    return self._variance()


@view
@external
def last_update() -> uint256:
    """
    @notice Unix s: the 08:00 UTC of the last daily update applied.
    """
    return self._last_update()


@view
@external
def reference_price() -> uint256:
    """
    @notice Raw units/lot: the last reference fixing (nearest unexpired series).
    """
    return self.hot >> REF_SHIFT


# ---------------------------------------------------------------- governance

@view
@internal
def _check_contract(a: address):
    # one site for the reason (each costs code)
    assert a.is_contract, "registry: not a contract"


@external
def set_order_book(book: address):
    """
    @notice Sets the market's order book once (the only fill recorder). Owner only.
    """
    ownable._check_owner()
    assert self.order_book == empty(address), "registry: order book already set"
    self._check_contract(book)
    self.order_book = book
    log ISeriesRegistry.OrderBookSet(order_book=book)


@external
def set_pool(pool_: address):
    """
    @notice Sets the market's OptionsPool once (a second venue: it trades through the
            Clearinghouse but never feeds the fixing). Owner only.
    """
    ownable._check_owner()
    assert self.pool == empty(address), "registry: pool already set"
    self._check_contract(pool_)
    self.pool = pool_
    log ISeriesRegistry.PoolSet(pool=pool_)


@view
@external
def is_venue(venue: address) -> bool:
    """
    @notice True for this market's order book and its pool (what the Clearinghouse checks
            before it registers a venue).
    """
    return venue != empty(address) and (venue == self.order_book or venue == self.pool)


@internal
def _set_param(param: uint256, new_value: uint256):
    """
    @dev The body of every typed setter: owner only; copies the parameters, sets `param`
         (a PARAM_* id) to `new_value`, checks them all against their bounds (`_check_params`,
         the deployment's checks) and rewrites the packed words that copy them.
    """
    ownable._check_owner()
    q: ISeriesRegistry.MarketParams = self.p
    if param == PARAM_GUARD_BPS:
        q.guard_bps = new_value
    elif param == PARAM_MIN_FIXING_VOLUME:
        q.min_fixing_volume = new_value
    elif param == PARAM_V_MIN:
        q.v_min = new_value
        q.v0 = max(q.v0, new_value)
    elif param == PARAM_V_MAX:
        q.v_max = new_value
        q.v0 = min(q.v0, new_value)
    elif param == PARAM_INDEX_HEARTBEAT:
        q.index_heartbeat = new_value
    elif param == PARAM_PEG_HEARTBEAT:
        q.peg_heartbeat = new_value
    elif param == PARAM_DEPEG_THRESHOLD:
        q.depeg_threshold = new_value
    elif param == PARAM_STRIKE_COUNT:
        q.strike_count = new_value
    else:   # PARAM_INDEX_MODE
        q.index_mode = new_value == 1
    self._check_params(q)
    self.p = q
    w: uint256 = self.peg_word
    self.peg_word = self._peg_word(w & M64, q.peg_heartbeat, (w >> PEG_DECIMALS_SHIFT) & 255, q.depeg_threshold)
    self.index_word = self._peg_word(convert(convert(q.index_feed, uint160), uint256), q.index_heartbeat, self.index_word >> PEG_DECIMALS_SHIFT, 0)


@external
def set_guard_bps(new_value: uint256):
    """
    @notice Market-mode guard of a daily fixing around a fresh index (bps, 0..100; 0 = off).
            Owner only; emits GuardBpsSet.
    """
    self._set_param(PARAM_GUARD_BPS, new_value)
    log ISeriesRegistry.GuardBpsSet(guard_bps=new_value)


@external
def set_min_fixing_volume(new_value: uint256):
    """
    @notice Lots the fixing window needs for its VWAP to count (market mode). Owner only;
            emits MinFixingVolumeSet.
    """
    self._set_param(PARAM_MIN_FIXING_VOLUME, new_value)
    log ISeriesRegistry.MinFixingVolumeSet(min_fixing_volume=new_value)


@external
def set_v_min(new_value: uint256):
    """
    @notice Daily variance floor (WAD, > 0, <= v_max); v0 is raised to it. Owner only; emits VMinSet.
    """
    self._set_param(PARAM_V_MIN, new_value)
    log ISeriesRegistry.VMinSet(v_min=new_value)


@external
def set_v_max(new_value: uint256):
    """
    @notice Daily variance cap (WAD, >= v_min, <= WAD / 10); v0 is lowered to it. Owner
            only; emits VMaxSet.
    """
    self._set_param(PARAM_V_MAX, new_value)
    log ISeriesRegistry.VMaxSet(v_max=new_value)


@external
def set_index_heartbeat(new_value: uint256):
    """
    @notice Seconds after which an index answer is stale (1..MAX_HEARTBEAT). Owner only;
            emits IndexHeartbeatSet.
    """
    self._set_param(PARAM_INDEX_HEARTBEAT, new_value)
    log ISeriesRegistry.IndexHeartbeatSet(index_heartbeat=new_value)


@external
def set_peg_heartbeat(new_value: uint256):
    """
    @notice Seconds after which a USD1/USD answer is stale, i.e. a depeg (1..MAX_HEARTBEAT).
            Owner only; emits PegHeartbeatSet.
    """
    self._set_param(PARAM_PEG_HEARTBEAT, new_value)
    log ISeriesRegistry.PegHeartbeatSet(peg_heartbeat=new_value)


@external
def set_depeg_threshold(new_value: uint256):
    """
    @notice USD per USD1 (WAD, MIN_DEPEG_THRESHOLD..WAD) below which the market is reduce-
            only. Owner only; emits DepegThresholdSet.
    """
    self._set_param(PARAM_DEPEG_THRESHOLD, new_value)
    log ISeriesRegistry.DepegThresholdSet(depeg_threshold=new_value)


@external
def set_strike_count(new_value: uint256):
    """
    @notice Uniform strikes of new listings (20..50). Owner only; emits StrikeCountSet.
    """
    self._set_param(PARAM_STRIKE_COUNT, new_value)
    log ISeriesRegistry.StrikeCountSet(strike_count=new_value)


@external
def set_index_mode(new_value: bool):
    """
    @notice True: every fixing is the fresh index (the default); False: market mode (window
            VWAP when its volume reaches min_fixing_volume, guarded). Owner only; emits
            IndexModeSet.
    """
    self._set_param(PARAM_INDEX_MODE, convert(new_value, uint256))
    log ISeriesRegistry.IndexModeSet(index_mode=new_value)
