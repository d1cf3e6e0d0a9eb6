# pragma version ~=0.4.3
# pragma nonreentrancy on
# pragma optimize codesize
"""
@title OrderBook
@notice The central limit order book of one market (one SeriesRegistry): one book per
        instrument `(expiry, kind, strike)` (strike 0 for futures), price-time priority,
        fills at the maker's price. `place_order` first runs the registry's lazy daily
        update, validates the order (live series, active strike, price on tick and inside
        the range or the option's maximum payoff, at least `min_qty` lots), matches it
        against at most `max_fills` resting orders, then rests the remainder (reserving its
        stand-alone worst case through the Clearinghouse) or cancels it (IOC). Self-trades
        never execute: the taker's own resting order is cancelled instead.
        Price levels: per book side, a two-level bitmap over price indices (module
        `price_levels`, 65,536 ticks) finds the next non-empty level without scanning; each
        level is a doubly linked FIFO list of orders with its total quantity, so inserting,
        cancelling and filling are O(1). Price index = price / tick − base, where base is 1
        for option premiums and, for futures, the series' lower bound (in ticks) when its
        futures book was first used (ranges only shrink, so every later futures price is
        above it). A series whose range is wider than 65,535 ticks cannot take orders at
        indices beyond that ("book: price index too large").
        Orders of an expired or settled series, and option orders on a strike that became
        inactive, are dead: no taker can reach them (new orders need a live series and an
        active strike), their owner may cancel them and anyone may `sweep_dead_orders`
        to release their reserves. A resting order whose price the series no longer allows
        (the range shrank under it) is cancelled, never filled, when a taker or a post-only
        order reaches it, and `best_bid`/`best_ask` skip it.
        No resting order can block a book (docs/architecture.md §6): when the Clearinghouse refuses
        a maker's fill for a condition of the maker alone (`MakerBlocked`: leg limit,
        open-series limit, position cap, open-interest cap, collateral) the maker order is
        cancelled with its reason code (8-12) and matching goes on.
@custom:security Reentrancy lock on every external function (`# pragma nonreentrancy on`:
        views too, so none reads a half-applied book mid-call). Every loop has a named
        bound (MAX_FILLS makers per taker, MAX_DEPTH levels per depth page, MAX_SWEEP orders
        per sweep); nothing loops over accounts or all orders. When paused (guardian or
        owner) no order can be placed; cancels and sweeps never stop. In reduce-only mode
        (registry.reduce_only(), the settlement token depegged) an order may not exceed what
        reduces the caller's position in that instrument, and a maker fill that would add
        exposure cancels the maker order instead.
"""

from snekmate.auth import ownable
from snekmate.auth import ownable_2step
from snekmate.utils import pausable

from interfaces import IOrderBook
from interfaces import IFillRecords
from interfaces import IClearinghouse
from interfaces import ISeriesRegistry

from contracts.modules import constants as c
from contracts.modules import calendar
from contracts.modules import price_levels as pl
from contracts.modules import order_store as ost
from contracts.modules import guardian as gd
from contracts.modules import margin_math
from contracts.modules import fee_math
from contracts.modules import dead_orders as dead

implements: IOrderBook
implements: IFillRecords

initializes: ownable
initializes: ownable_2step[ownable := ownable]
initializes: pl
initializes: ost
initializes: gd[ownable := ownable]

exports: (
    ownable_2step.owner,
    ownable_2step.pending_owner,
    ownable_2step.transfer_ownership,
    ownable_2step.accept_ownership,
    gd.guardian,
    gd.set_guardian,
    ost.o_link,
    ost.o_book,
    ost.levels,
)

# ---------------------------------------------------------------- bounds and codes

MAX_FILLS: public(constant(uint256)) = c.MAX_FILLS        # resting orders one taker call may touch
MAX_DEPTH: public(constant(uint256)) = c.MAX_DEPTH_PAGE   # price levels per depth page
MAX_SWEEP: public(constant(uint256)) = c.MAX_SWEEP        # orders per sweep_dead_orders call
MAX_QUOTES: public(constant(uint256)) = c.MAX_QUOTES      # post-only orders per place_quotes call
QUOTE_MAX_FILLS: constant(uint256) = MAX_FILLS // MAX_QUOTES   # stale orders one quote may cancel (2)
MAX_PRICE_INDEX: public(constant(uint256)) = pl.MAX_PRICE_INDEX   # 65,025 price ticks per book side

# OrderCancelled.reason
CANCEL_OWNER: constant(uint8) = 1
CANCEL_IOC: constant(uint8) = 2
CANCEL_SELF_TRADE: constant(uint8) = 3
CANCEL_STALE: constant(uint8) = 4
CANCEL_DEAD: constant(uint8) = 5
CANCEL_MAX_FILLS: constant(uint8) = 6
CANCEL_REDUCE_ONLY: constant(uint8) = 7
CANCEL_LEGS: constant(uint8) = 8                 # the maker's leg limit (MakerBlocked code + 7)
CANCEL_SERIES: constant(uint8) = 9               # the maker's open-series limit
CANCEL_POSITION_CAP: constant(uint8) = 10        # the maker's position cap
CANCEL_OI_CAP: constant(uint8) = 11              # the maker's bid would break the open-interest cap
CANCEL_COLLATERAL: constant(uint8) = 12          # the maker cannot cover the fill (e.g. fee raised)
BLOCKED_OFFSET: constant(uint8) = 7              # cancel reason = Clearinghouse MakerBlocked code + 7
MAX_REVERT: constant(uint256) = 256              # bytes of Clearinghouse revert data kept and re-raised
BLOCKED_REDUCE_ONLY: constant(uint8) = 6         # MakerBlockedAt code of a maker fill adding exposure in reduce-only mode

# masks of the matching plan's words (the order and level words belong to `order_store`)
M48: constant(uint256) = (1 << 48) - 1
M112: constant(uint256) = (1 << 112) - 1
PAUSED: constant(uint256) = 1 << 255                     # `order_state`'s pause flag
CACHE_SHIFT: constant(uint256) = 40                      # `order_state`: the newest cached futures base entry sits above the last id
ENTRY_BITS: constant(uint256) = 96                       # a cached entry: expiry (40 bits, `ost.M40`) | futures price base << ENTRY_BASE_SHIFT (56 bits)
ENTRY_BASE_SHIFT: constant(uint256) = 40                 # a cached entry's base sits above its expiry
M56: constant(uint256) = (1 << 56) - 1                   # a cached entry's base
M64: constant(uint256) = (1 << 64) - 1             # a step's order id and price index (bits 0..63); its lots field

# ---------------------------------------------------------------- matching plan (memory only)

# the incoming order, as matching needs it
struct Taker:
    expiry: uint256                              # unix seconds
    kind: uint8                                  # FUTURE 0, CALL 1, PUT 2
    strike: uint256                              # raw units per lot (0 for futures)
    is_buy: bool
    price: uint256                               # limit price, raw units per lot
    flags: uint256                               # POST_ONLY 1, IOC 2
    base: uint256                                # price index offset in ticks
    low: uint256                                 # lowest price the series allows now (raw/lot)
    high: uint256                                # highest price the series allows now (raw/lot)
    st: ISeriesRegistry.TradingState             # the registry's state, read once, passed on


# a step of a plan (one resting order touched by a taker) is one word, to keep the plan's
# memory small: order id (48) | price index (16) << 48 | lots filled (64) << 64 |
# cancel reason (8) << 128 | reserve the fill releases (96) << 136 (lots and reserve: the
# ranges of `order_store`)
STEP_IDX: constant(uint256) = 48
STEP_QTY: constant(uint256) = 64
STEP_REASON: constant(uint256) = 128
STEP_RELEASE: constant(uint256) = 136
STEP_RECORD: constant(uint256) = 1 << 240     # the fill may be recorded (a futures order filled whole, IN_INDEX): sent with RECORD_FILL
STEP_COVERED: constant(uint256) = 1 << 241    # the order is IN_INDEX (its lots are in its owner's listed lots): sent with COVERED_FILL


# ---------------------------------------------------------------- storage

registry: public(immutable(ISeriesRegistry))     # SeriesRegistry of this market
clearinghouse: public(immutable(IClearinghouse)) # shared Clearinghouse (reserves, fills, margin)
tick: public(immutable(uint256))                 # raw token units per lot, the registry's tick
# @dev last order id assigned (bits 0..39; ids start at 1) | the two futures price bases used last
# (`_futures_base`: entries of ENTRY_BITS at CACHE_SHIFT and CACHE_SHIFT + ENTRY_BITS, newest
# first) | PAUSED: every order reads them in one slot (the pause is snekmate's `pausable`
# semantics and events, its flag kept here)
order_state: uint256

future_base: public(HashMap[uint256, uint256])           # expiry -> 1 + lowest futures price index (ticks); 0 = unused


@deploy
def __init__(registry_: address, clearinghouse_: address, guardian_: address):
    """
    @notice Deploys the book of the market run by `registry_`; the deployer becomes owner.
            The Clearinghouse must register this book for that market before it trades.
    @param registry_ SeriesRegistry of the market (its tick is read once here).
    @param clearinghouse_ Shared Clearinghouse.
    @param guardian_ Account allowed to pause new orders.
    """
    assert registry_.is_contract, "book: registry not a contract"
    assert clearinghouse_.is_contract, "book: clearinghouse not a contract"
    ownable.__init__()
    ownable_2step.__init__()
    registry = ISeriesRegistry(registry_)
    clearinghouse = IClearinghouse(clearinghouse_)
    tick = staticcall ISeriesRegistry(registry_).tick()
    assert tick > 0, "book: zero tick"
    gd.__init__(guardian_)


# ---------------------------------------------------------------- role checks

@internal
def _check_guardian():
    assert gd._is_pauser(), "book: not guardian"


# ---------------------------------------------------------------- helpers

@view
@internal
def _base(expiry: uint256, kind: uint8) -> uint256:
    """
    @dev Price index offset in ticks (`ost._base_of`): 1 for premiums, the futures book's first
         lower bound.
    """
    stored: uint256 = 0
    if kind == c.FUTURE:
        stored = self.future_base[expiry]
    return ost._base_of(kind, stored)


@internal
def _futures_base(expiry: uint256, lo: uint256, cache: bool) -> uint256:
    """
    @dev The futures book's price base of a live `expiry` (< 2**40, so never 0): fixed at its
         first order as the lower bound then, in ticks, and never changed after (`future_base`).
         The two bases used last ride in `order_state`, which every order has just read, so
         an order of a cached expiry reads no `future_base` slot (−2,100 gas, warm reads
         only). A miss reads the slot and, when `cache` (the caller writes `order_state`
         anyway, so the write is warm), makes it the newest entry, the older one dropping.
         A base above 56 bits is never cached (read each time). Entries never go stale: a
         base never changes.
    """
    state: uint256 = self.order_state
    newest: uint256 = (state >> CACHE_SHIFT) & ost.M96
    if newest & ost.M40 == expiry:
        return newest >> ENTRY_BASE_SHIFT
    older: uint256 = (state >> (CACHE_SHIFT + ENTRY_BITS)) & ost.M96
    if older & ost.M40 == expiry:
        return older >> ENTRY_BASE_SHIFT
    stored: uint256 = self.future_base[expiry]
    if stored == 0:
        stored = lo // tick + 1
        self.future_base[expiry] = stored
    base: uint256 = stored - 1
    if cache and base <= M56:
        entries: uint256 = (expiry | (base << ENTRY_BASE_SHIFT)) | (newest << ENTRY_BITS)
        self.order_state = (state & (ost.MAX_ID | PAUSED)) | (entries << CACHE_SHIFT)
    return base


@view
@internal
def _window(kind: uint8, strike: uint256, lo: uint256, hi: uint256) -> (uint256, uint256):
    """
    @dev The prices the series allows now: futures [L, U]; premiums [tick, max payoff]
         (call U − K, put K − L).
    """
    if kind == c.FUTURE:
        return lo, hi
    high: uint256 = 0
    if kind == c.CALL:
        if hi > strike:
            high = hi - strike
    elif strike > lo:
        high = strike - lo
    return tick, high


@pure
@internal
def _crosses(level_price: uint256, price: uint256, is_buy: bool) -> bool:
    """
    @dev Whether a taker at `price` trades with a resting order at `level_price`.
    """
    if is_buy:
        return level_price <= price
    return level_price >= price


@view
@internal
def _adds_exposure(account: address, expiry: uint256, kind: uint8, strike: uint256, is_buy: bool, qty: uint256) -> bool:
    """
    @dev Whether trading `qty` (> 0) lots on side `is_buy` would enlarge or flip `account`'s
         position in the instrument (what reduce-only mode forbids), from the Clearinghouse's
         position views.
    """
    old: int256 = 0
    if kind == c.FUTURE:
        cost: int256 = 0
        old, cost = staticcall clearinghouse.futures_position(account, registry.address, expiry)
    else:
        old = staticcall clearinghouse.option_position(account, registry.address, expiry, kind, strike)
    delta: int256 = convert(qty, int256)
    if not is_buy:
        delta = -delta
    return margin_math._increases(old, old + delta)


@internal
def _remove(side: bytes32, order_id: uint256, link: uint256, qty: uint256, by_fill: bool, keep: uint256):
    """
    @dev Removes an order from its level (`order_store`) and clears the level's bitmap bit
         when it became empty (its word then zeroed after a cancel, left STALE after a
         fill). A cancel leaves emptied bitmap words KEPT (non-zero), a fill zeroes them:
         whichever side's refund is not already capped (`price_levels`).
    """
    if ost._remove(side, order_id, link, qty, by_fill, keep):
        pl._clear(side, ost._index(link), not by_fill)


# ---------------------------------------------------------------- trading

@external
def place_order(
    expiry: uint256,
    kind: uint8,
    strike: uint256,
    is_buy: bool,
    price: uint256,
    qty: uint256,
    flags: uint256,
    max_fills: uint256,
) -> uint256:
    """
    @notice Places a limit order: matches it against the opposite side (best price first,
            then oldest first, at the resting order's price) touching at most `max_fills`
            resting orders, then rests what is left or, with IOC, cancels it. Resting
            reserves the order's stand-alone worst case (plus maker fee) in the
            Clearinghouse; after fills the caller's collateral is checked. If `max_fills`
            runs out while the book still crosses, the remainder is cancelled (the book
            never rests crossed). Stopped while paused. Runs the registry's daily update
            first; after more than MAX_CATCH_UP_DAYS missed days it reverts with "book:
            catch-up incomplete" until `daily_update` has been called enough times.
    @param expiry Series expiry (unix seconds); the series must be live.
    @param kind FUTURE 0, CALL 1, PUT 2.
    @param strike 0 for futures; an active strike of the series for options.
    @param is_buy True to buy.
    @param price Limit price, raw units per lot, on tick: futures in [L, U], premiums in
           (0, max payoff] (call U − K, put K − L).
    @param qty Lots, at least the market's min_qty.
    @param flags 0, POST_ONLY 1 (revert if it would cross) or IOC 2 (never rest).
    @param max_fills Resting orders to touch at most, 1..MAX_FILLS (fills, and own or
           stale orders cancelled on the way, all count).
    @return The id of the resting order, 0 when nothing rests.
    """
    state: uint256 = self.order_state
    assert state & PAUSED == 0, "book: paused"
    order_id: uint256 = (state & ost.MAX_ID) + 1
    assert order_id <= ost.MAX_ID, "book: order ids exhausted"    # 1.1e12 orders: never in practice
    self.order_state = state + 1                  # the id field cannot carry (checked above)
    return self._place(expiry, kind, strike, is_buy, price, qty, flags, max_fills, order_id)


@external
def place_quotes(quotes: DynArray[IOrderBook.Quote, MAX_QUOTES]) -> DynArray[uint256, MAX_QUOTES]:
    """
    @notice Places up to MAX_QUOTES post-only orders of the caller in one call (a market
            maker's quotes across instruments): each exactly as `place_order(expiry, kind,
            strike, is_buy, price, qty, POST_ONLY, QUOTE_MAX_FILLS)` would, in order, with
            consecutive ids, so the whole call touches at most MAX_FILLS resting orders (the
            stale ones a post-only order cancels on its way) and fits one transaction as a
            taker call does. All or none: any refusal (its reason is `place_order`'s) reverts
            the call. What one call's orders share (the accounts and slots the first order
            warms) is paid once. Stopped while paused.
    @param quotes 1..MAX_QUOTES orders (`IOrderBook.Quote`).
    @return The id of each order, in the order given: 0 for one that does not rest (too
            many stale orders crossing it, as `place_order` cancels it then).
    """
    state: uint256 = self.order_state
    assert state & PAUSED == 0, "book: paused"
    assert len(quotes) > 0, "book: no quotes"
    last: uint256 = state & ost.MAX_ID
    assert last + len(quotes) <= ost.MAX_ID, "book: order ids exhausted"
    self.order_state = state + len(quotes)        # the id field cannot carry (checked above)
    ids: DynArray[uint256, MAX_QUOTES] = []
    for i: uint256 in range(len(quotes), bound=MAX_QUOTES):
        q: IOrderBook.Quote = quotes[i]
        ids.append(self._place(q.expiry, q.kind, q.strike, q.is_buy, q.price, q.qty, c.POST_ONLY, QUOTE_MAX_FILLS, last + 1 + i))
    return ids


@internal
def _place(expiry: uint256, kind: uint8, strike: uint256, is_buy: bool, price: uint256, qty: uint256, flags: uint256, max_fills: uint256, order_id: uint256) -> uint256:
    """
    @dev One order with its new id: validation, matching, then resting what is left (or the
         IOC / max-fills cancel). Returns the id when it rests, else 0.
    """
    self._validate(expiry, kind, strike, price, qty, flags, max_fills)
    t: Taker = self._taker(expiry, kind, strike, is_buy, price, qty, flags, True)
    log IOrderBook.OrderPlaced(
        order_id=order_id, owner=msg.sender, expiry=expiry, kind=kind, strike=strike,
        is_buy=is_buy, price=price, qty=qty, flags=flags
    )

    remaining: uint256 = qty
    crossing: bool = False
    if self._best_crosses(t):
        # only then plan a match: its memory (up to MAX_FILLS steps and fills) is not free
        remaining, crossing = self._match(t, qty, max_fills, order_id)

    if remaining == 0:
        return 0
    if flags & c.IOC != 0:
        log IOrderBook.OrderCancelled(order_id=order_id, owner=msg.sender, remaining=remaining, reason=CANCEL_IOC)
        return 0
    if crossing:
        log IOrderBook.OrderCancelled(order_id=order_id, owner=msg.sender, remaining=remaining, reason=CANCEL_MAX_FILLS)
        return 0
    self._rest(t, order_id, remaining, 0)
    return order_id


@internal
def _taker(expiry: uint256, kind: uint8, strike: uint256, is_buy: bool, price: uint256, qty: uint256, flags: uint256, cache: bool) -> Taker:
    """
    @dev The order as matching and resting need it, after the checks that need the series'
         trading state (`_trading_window`, one registry read) and reduce-only.
    """
    low: uint256 = 0
    high: uint256 = 0
    base: uint256 = 0
    st: ISeriesRegistry.TradingState = empty(ISeriesRegistry.TradingState)
    low, high, base, st = self._trading_window(expiry, kind, strike, price, qty, cache)
    if st.reduce_only:
        self._fold(msg.sender, expiry)        # its futures records: the Clearinghouse's reduce-only checks then see its whole position
        assert not self._adds_exposure(msg.sender, expiry, kind, strike, is_buy, qty), "book: reduce only"
    return Taker(expiry=expiry, kind=kind, strike=strike, is_buy=is_buy, price=price, flags=flags, base=base, low=low, high=high, st=st)


@internal
def _validate(expiry: uint256, kind: uint8, strike: uint256, price: uint256, qty: uint256, flags: uint256, max_fills: uint256):
    """
    @dev Checks of the order's own arguments (no registry read; the pause is checked first,
         with the order id in `place_order`).
    """
    assert kind <= c.PUT, "book: bad kind"
    assert flags & ~(c.POST_ONLY | c.IOC) == 0 and flags != c.POST_ONLY | c.IOC, "book: bad flags"
    assert max_fills >= 1 and max_fills <= MAX_FILLS, "book: bad max fills"


@internal
def _trading_window(expiry: uint256, kind: uint8, strike: uint256, price: uint256, qty: uint256, cache: bool) -> (uint256, uint256, uint256, ISeriesRegistry.TradingState):
    """
    @dev Reads the series' trading state ONCE (`trading_state`, which runs the registry's
         lazy daily update) and validates the order against it (live, active strike, price
         on tick inside the allowed window, min qty). Returns (lowest allowed price, highest
         allowed price, price index base, the state, which the Clearinghouse then trusts);
         fixes the futures book's base at its first use.
    """
    st: ISeriesRegistry.TradingState = extcall registry.trading_state(expiry, kind, strike)
    assert st.current, "book: catch-up incomplete"
    assert expiry < 1 << 40 and st.live, "book: series not live"
    lo: uint256 = st.lower
    hi: uint256 = st.upper
    if kind == c.FUTURE:
        assert strike == 0, "book: futures strike must be 0"
    else:
        # active strikes are on tick (the grid rounds them to it): stored in ticks
        assert strike % tick == 0 and strike // tick <= ost.MAX_STRIKE_TICKS and st.strike_active, "book: inactive strike"
    assert price % tick == 0, "book: off tick"
    low: uint256 = 0
    high: uint256 = 0
    low, high = self._window(kind, strike, lo, hi)
    if kind == c.FUTURE:
        assert price >= low and price <= high, "book: price out of range"
    else:
        assert price > 0, "book: zero price"
        assert price <= high, "book: premium above max payoff"
    assert price <= M112, "book: price out of range"
    assert qty >= max(st.min_qty, 1), "book: below min qty"
    assert qty <= ost.MAX_QTY, "book: qty too large"

    base: uint256 = 1
    if kind == c.FUTURE:
        base = self._futures_base(expiry, lo, cache)
    assert price // tick >= base and price // tick - base < MAX_PRICE_INDEX, "book: price index too large"
    return low, high, base, st


@view
@internal
def _best_crosses(t: Taker) -> bool:
    """
    @dev Whether the best opposite level crosses the taker's price (anything to match).
    """
    opp: bytes32 = ost._side(t.expiry, t.kind, t.strike, not t.is_buy)
    idx: uint256 = pl._best(opp, not t.is_buy)
    return idx != pl.EMPTY and self._crosses((idx + t.base) * tick, t.price, t.is_buy)


@view
@internal
def _step_reason(level_price: uint256, low: uint256, high: uint256, flags: uint256, maker: address, ro_expiry: uint256) -> uint8:
    """
    @dev Why the walk cancels a resting order it reaches instead of filling it (0: it fills):
         its price left the series' window [low, high] (stale: a post-only order cleans these
         on its way), or it is the taker's own. A post-only taker reaching any other order
         reverts. In reduce-only mode (`ro_expiry`, else 0) a maker holding unfolded fill
         records in the expiry is cancelled too (reason 7): the Clearinghouse's reduce-only
         check reads its folded position, and folding it here could revert the taker (a fold
         opens the series on the maker's list). (Scalars, not the `Taker`: a struct argument
         is copied on every call.)
    """
    if level_price < low or level_price > high:
        return CANCEL_STALE
    assert flags & c.POST_ONLY == 0, "book: post-only would cross"
    if maker == msg.sender:
        return CANCEL_SELF_TRADE
    if ro_expiry != 0:
        r: IFillRecords.Records = empty(IFillRecords.Records)
        kept: uint256 = 0
        r, kept = self._records(maker, ro_expiry)
        if r.reserve != 0:
            return CANCEL_REDUCE_ONLY
    return 0


@view
@internal
def _after(opp: bytes32, idx: uint256, link: uint256, taker_is_buy: bool) -> (uint256, uint256):
    """
    @dev The walk's next resting order after the one with link word `link` (at price index
         `idx`): the next one of its level, else the head of the next non-empty level (bids
         downwards, asks upwards). Returns (price index, order id), (EMPTY, 0) past the end.
    """
    nxt: uint256 = ost._next(link)
    if nxt != 0:
        return idx, nxt
    after: uint256 = pl._after(opp, idx, not taker_is_buy)
    if after == pl.EMPTY:
        return after, 0
    return after, ost._head(ost.levels[opp][after])


@internal
def _walk(t: Taker, qty: uint256, max_fills: uint256, order_id: uint256) -> (uint256, bool, uint256):
    """
    @dev Plans, books and applies the match: at most `max_fills` orders, best first; stale and
         own orders become cancel steps, the others fills booked in ONE `_book` call. A fill
         refused for its maker alone is cancelled and the walk goes on after it, at most
         MAX_FILLS + 1 rounds (docs/decisions.md, "Refused makers, linear"). Returns (lots
         left, whether the book still crosses, Σ price·qty of the fills).
    """
    opp: bytes32 = ost._side(t.expiry, t.kind, t.strike, not t.is_buy)
    steps: DynArray[uint256, MAX_FILLS] = []
    booked: uint256 = 0                          # steps[:booked] are final (their fills booked)
    notional: uint256 = 0                        # Σ price·qty of the booked fills
    remaining: uint256 = qty
    idx: uint256 = pl._best(opp, not t.is_buy)   # the cursor: the next order to visit
    oid: uint256 = 0
    if idx != pl.EMPTY:
        oid = ost._head(ost.levels[opp][idx])
    cut: bool = False                            # book the plan as it is before walking on
    recorded: uint256 = 0                        # `settle_fills`' answers: bit i, step i's fill recorded | their maker fee rate << MAX_FILLS
    for r: uint256 in range(MAX_FILLS + 1):
        for s: uint256 in range(MAX_FILLS):
            if cut or len(steps) == max_fills or remaining == 0 or idx == pl.EMPTY:
                break
            level_price: uint256 = (idx + t.base) * tick
            if not self._crosses(level_price, t.price, t.is_buy):
                break
            link: uint256 = ost.o_link[oid]
            word: uint256 = oid | (idx << STEP_IDX)
            reason: uint8 = self._step_reason(level_price, t.low, t.high, t.flags, ost._owner(link), t.expiry if t.st.reduce_only else 0)
            if reason == 0:
                book: uint256 = ost.o_book[oid]
                q: uint256 = min(remaining, ost._qty(book))
                remaining -= q
                word |= (q << STEP_QTY) | (self._release_of(book, q) << STEP_RELEASE)
                if book & ost.IN_INDEX != 0:     # a future's (only futures orders are IN_INDEX)
                    word |= STEP_COVERED
                    if q == ost._qty(book):
                        word |= STEP_RECORD
            else:
                word |= convert(reason, uint256) << STEP_REASON
            steps.append(word)
            if remaining == 0:
                break                                # filled, maybe partly: the cursor stays on it
            oid = ost._next(link)                    # `_after`, inline (one internal call less per step)
            if oid == 0:
                idx = pl._after(opp, idx, not t.is_buy)
                if idx != pl.EMPTY:
                    oid = ost._head(ost.levels[opp][idx])
        ok: bool = False
        booked_or_index: uint256 = 0                 # Σ price·qty booked, or the refused fill's index
        why: uint256 = 0                             # the fills recorded (`_book`), or the refusal's cancel reason
        ok, booked_or_index, why = self._book(t, steps, booked)
        if ok:
            notional += booked_or_index
            recorded |= why                          # bit i: step i recorded (its tag) | the fee rate << MAX_FILLS (one per call)
            booked = len(steps)
            if not cut:
                break
            cut = False
            continue
        at: uint256 = self._fill_step(steps, booked, booked_or_index)
        refused: uint256 = steps[at]
        remaining += (refused >> STEP_QTY) & M64
        steps[at] = (refused & M64) | (why << STEP_REASON)    # now a cancel step
        if cut:
            continue
        # a first refusal: the plan is cut back to it, the walk goes on after it
        for i: uint256 in range(MAX_FILLS):
            if len(steps) == at + 1:
                break
            remaining += (steps.pop() >> STEP_QTY) & M64
        idx, oid = self._after(opp, (refused >> STEP_IDX) & 65535, ost.o_link[refused & M48], t.is_buy)
        cut = booked_or_index > 0                    # fills before it: book them on their own first
    assert booked == len(steps), "book: match incomplete"     # unreachable (the bound above)
    crossing: bool = idx != pl.EMPTY and self._crosses((idx + t.base) * tick, t.price, t.is_buy)
    self._apply_steps(t, steps, order_id, recorded)
    return remaining, crossing, notional


@internal
def _book(t: Taker, steps: DynArray[uint256, MAX_FILLS], start: uint256) -> (bool, uint256, uint256):
    """
    @dev Books the fills among `steps[start:]` in ONE Clearinghouse call (`settle_fills`;
         none without a fill). Returns (True, Σ price·qty, the fills it recorded: bit i for
         step i, the tag each recordable fill is sent with | their maker fee rate <<
         MAX_FILLS, 0 for none) when booked, or (False,
         index among those fills, cancel reason) when the Clearinghouse refused one for a
         condition of its maker alone; any other failure (the taker's own) is re-raised. The fills and
         their encoding (~17 KB at MAX_FILLS) live only in this frame: Vyper puts a caller's
         frame above its callees', and every `place_order`, resting ones included, pays the
         memory expansion up to its own frame, so nothing of them is returned.
    """
    fills: DynArray[IClearinghouse.MakerFill, MAX_FILLS] = []
    notional: uint256 = 0
    for i: uint256 in range(start, len(steps), bound=MAX_FILLS):
        word: uint256 = steps[i]
        if (word >> STEP_REASON) & 255 != 0:
            continue
        q: uint256 = (word >> STEP_QTY) & M64
        price: uint256 = (((word >> STEP_IDX) & 65535) + t.base) * tick
        release: uint256 = (word >> STEP_RELEASE) & ost.M96
        maker: address = ost._owner(ost.o_link[word & M48])
        if word & STEP_COVERED != 0:
            release |= c.COVERED_FILL            # its lots are in its owner's listed lots
            if word & STEP_RECORD != 0:
                release |= c.RECORD_FILL | (i << c.FILL_TAG_SHIFT)    # tagged with its step's index
        elif t.kind == c.FUTURE:
            # an unlisted order: the position cap leaves room for its owner's listed lots
            release |= ost._listed_of(maker, t.expiry) << c.LISTED_LOTS_SHIFT
        fills.append(IClearinghouse.MakerFill(maker=maker, price=price, qty=q, release=release))
        notional = unsafe_add(notional, unsafe_mul(price, q))    # < 64 · 2**112 · 2**64
    if len(fills) == 0:
        return True, 0, 0
    taker_listed: uint256 = 0                    # the taker's listed lots (its position cap leaves room for them; `_match` made them exact)
    if t.kind == c.FUTURE:
        taker_listed = ost._listed_of(msg.sender, t.expiry)
    ok: bool = False
    out: Bytes[MAX_REVERT] = b""
    ok, out = raw_call(
        clearinghouse.address,
        abi_encode(
            msg.sender, t.expiry, t.kind, t.strike, t.is_buy, fills, t.st, taker_listed,
            method_id=method_id("settle_fills(address,uint256,uint8,uint256,bool,(address,uint256,uint256,uint256)[],(bool,bool,uint256,uint256,bool,uint256,bool),uint256)"),
        ),
        max_outsize=MAX_REVERT,
        revert_on_failure=False,
    )
    if ok:
        return True, notional, extract32(out, 0, output_type=uint256)
    return False, self._blocked_fill(out), convert(self._blocked_reason(out), uint256)


@view
@internal
def _release_of(book: uint256, q: uint256) -> uint256:
    """
    @dev The reserve a fill of `q` lots of a resting order (book word `book`) releases: pro
         rata, rounded down (the maker stays over-reserved, never under); the final fill
         releases exactly what is left. The walk keeps it in the fill's step: `_book` books
         it, `_apply_steps` writes it.
    """
    release: uint256 = ost._reserve(book)
    maker_qty: uint256 = ost._qty(book)
    if q < maker_qty:
        release = release * q // maker_qty
    return release


@internal
def _match(t: Taker, qty: uint256, max_fills: uint256, order_id: uint256) -> (uint256, bool):
    """
    @dev Matches the taker (`_walk`: plans, books in the Clearinghouse, applies to the book),
         then feeds the fixing once (inside the fixing window: outside it no accumulator
         changes, so the registry is not called). Returns (lots left, whether the book still
         crosses).
    """
    remaining: uint256 = 0
    crossing: bool = False
    notional: uint256 = 0
    if t.kind == c.FUTURE and ost._listed_of(msg.sender, t.expiry) != 0:
        # its listed lots exact first (a cancel leaves them high; the Clearinghouse leaves room
        # for them): its records booked, the lots reset to its listed orders still resting.
        # Here, not in `_book`: its frame would sit under `_book`'s, paid by every order
        self._fold(msg.sender, t.expiry)
    remaining, crossing, notional = self._walk(t, qty, max_fills, order_id)
    if t.kind == c.FUTURE and remaining < qty and self._in_window():
        extcall registry.record_fills(t.expiry, notional, qty - remaining)    # Σ price·qty
    return remaining, crossing


@view
@internal
def _in_window() -> bool:
    """
    @dev Whether now is inside today's fixing window (the registry's rule): only then do
         futures fills feed the VWAP accumulator, so only then is `record_fills` called.
    """
    w_start: uint256 = 0
    w_end: uint256 = 0
    w_start, w_end = calendar._window(calendar._day_start(block.timestamp))
    return block.timestamp >= w_start and block.timestamp <= w_end


@pure
@internal
def _fill_step(steps: DynArray[uint256, MAX_FILLS], start: uint256, index: uint256) -> uint256:
    """
    @dev Position in `steps` of the `index`-th fill (0-based) among `steps[start:]`.
    """
    n: uint256 = 0
    for i: uint256 in range(start, len(steps), bound=MAX_FILLS):
        if (steps[i] >> STEP_REASON) & 255 == 0:
            if n == index:
                return i
            n += 1
    raise "book: bad fill index"


@internal
def _apply_steps(t: Taker, steps: DynArray[uint256, MAX_FILLS], order_id: uint256, recorded: uint256):
    """
    @dev Writes a booked plan into the book: filled orders shrink or leave their level (one
         the Clearinghouse recorded, bit i of `recorded` for step i, keeping its book word as
         its fill record, with the fill's price index and the maker fee rate above the bits),
         cancelled ones leave it and get their whole reserve released.
    """
    opp: bytes32 = ost._side(t.expiry, t.kind, t.strike, not t.is_buy)
    for i: uint256 in range(len(steps), bound=MAX_FILLS):
        word: uint256 = steps[i]
        oid: uint256 = word & M48
        idx: uint256 = (word >> STEP_IDX) & 65535
        q: uint256 = (word >> STEP_QTY) & M64
        reason: uint8 = convert((word >> STEP_REASON) & 255, uint8)
        link: uint256 = ost.o_link[oid]        # re-read: earlier removals relink it
        maker: address = ost._owner(link)
        book: uint256 = ost.o_book[oid]
        maker_qty: uint256 = ost._qty(book)
        reserve: uint256 = ost._reserve(book)
        if reason != 0:
            self._remove(opp, oid, link, maker_qty, False, 0)
            if reserve > 0:
                extcall clearinghouse.release(maker, reserve)
            log IOrderBook.OrderCancelled(order_id=oid, owner=maker, remaining=maker_qty, reason=reason)
            continue
        if q < maker_qty:
            # the release booked with the fill (`_release_of`, kept in the step)
            ost._shrink(opp, oid, idx, book, q, (word >> STEP_RELEASE) & ost.M96)
        else:
            keep: uint256 = 0
            if (recorded >> i) & 1 != 0:
                # recorded, not booked: the order's book word stays as its fill record (`fold`)
                keep = ost._record(book, idx, recorded >> MAX_FILLS)
            self._remove(opp, oid, link, maker_qty, True, keep)
        log IOrderBook.OrderFilled(
            maker_order_id=oid, maker=maker, taker=msg.sender, price=(idx + t.base) * tick,
            qty=q, remaining=maker_qty - q, taker_order_id=order_id
        )


@internal
def _rest(t: Taker, order_id: uint256, remaining: uint256, requote: uint256):
    """
    @dev Rests the remainder: reserves its stand-alone worst case in the Clearinghouse
         (which checks the caller's collateral) and appends it to its level. A futures order
         that reserves something is listed in its owner's index so that its fills may be
         recorded (docs/architecture.md §16), when a slot is free (`_listing`) and the
         Clearinghouse finds its owner's listed lots with it inside the position cap.
         `requote`: a listed re-quote's old lots (its id is listed already), else 0.
    """
    w: uint256 = 0
    slot: uint256 = ost.INDEX_SLOTS
    extra: uint256 = 0                           # lots listed anew
    listing: uint256 = 0                         # the owner's listed lots with them (0: none)
    if t.kind == c.FUTURE:
        w, slot, extra = self._listing(t.expiry, remaining, requote)
        if extra != 0:
            listing = ost._listed_lots(w) + extra
    answer: uint256 = extcall clearinghouse.reserve(
        msg.sender, t.expiry, t.kind, t.strike, t.is_buy, t.price, remaining, t.st, listing
    )
    reserved: uint256 = answer & ~c.UNLISTED
    assert reserved <= ost.MAX_RESERVE, "book: reserve too large"
    side: bytes32 = ost._side(t.expiry, t.kind, t.strike, t.is_buy)
    # the price index, not the price: a cancel then needs no read of the futures base
    index: uint256 = t.price // tick - t.base
    book: uint256 = ost._pack_book(remaining, reserved, t.expiry, t.kind, t.is_buy, t.strike // tick)
    if (extra != 0 or requote != 0) and reserved != 0 and answer == reserved:
        book |= ost.IN_INDEX
        if extra != 0:
            ost._index_add(msg.sender, t.expiry, w, slot, order_id, extra)
    if ost._insert(side, index, order_id, msg.sender, book):
        pl._mark(side, index)


@internal
def _listing(expiry: uint256, remaining: uint256, requote: uint256) -> (uint256, uint256, uint256):
    """
    @dev Where a futures order about to rest would be listed: (its owner's index word, the
         free slot or INDEX_SLOTS, the lots to list: 0 for none). Every slot taken: the
         index is folded first (its records booked, its dead ids dropped) and, when all of
         them still rest, FULL is set so that later orders do not look again. A listed
         re-quote lists only the lots above its old ones (its id stays where it is).
    """
    if requote >= remaining:
        return 0, ost.INDEX_SLOTS, 0
    w: uint256 = ost.o_index[msg.sender][expiry]
    if requote != 0:
        return w, ost.INDEX_SLOTS, remaining - requote
    slot: uint256 = ost._free_slot(w)
    if slot == ost.INDEX_SLOTS and w & ost.FULL == 0:
        self._fold(msg.sender, expiry)
        w = ost.o_index[msg.sender][expiry]
        slot = ost._free_slot(w)
    if slot == ost.INDEX_SLOTS:
        return w, slot, 0
    return w, slot, remaining


@pure
@internal
def _blocked_fill(out: Bytes[MAX_REVERT]) -> uint256:
    """
    @dev Index of the fill the Clearinghouse refused for a condition of its maker alone (its
         custom error `MakerBlockedAt(uint256,uint8)`; docs/architecture.md §6: no resting order can
         block a book). Any other failure (the taker's own) is re-raised unchanged.
    """
    if len(out) == 68 and slice(out, 0, 4) == method_id("MakerBlockedAt(uint256,uint8)"):
        return extract32(out, 4, output_type=uint256)
    raw_revert(out)


@pure
@internal
def _blocked_reason(out: Bytes[MAX_REVERT]) -> uint8:
    """
    @dev The cancel reason of a `MakerBlockedAt` refusal: code + 7 (8-12), reduce-only 7.
    """
    code: uint8 = convert(extract32(out, 36), uint8)
    if code == BLOCKED_REDUCE_ONLY:
        return CANCEL_REDUCE_ONLY
    return code + BLOCKED_OFFSET


@external
def cancel_order(order_id: uint256):
    """
    @notice Cancels the caller's resting order and releases its reserve. Works while paused
            and after the series expired or settled.
    @param order_id Id returned by `place_order`.
    """
    qty: uint256 = 0
    reserve: uint256 = 0
    qty, reserve = self._unlink_order(order_id, self._own_order(order_id))
    if reserve > 0:
        extcall clearinghouse.release(msg.sender, reserve)
    log IOrderBook.OrderCancelled(order_id=order_id, owner=msg.sender, remaining=qty, reason=CANCEL_OWNER)


@external
def replace_order(order_id: uint256, price: uint256, qty: uint256):
    """
    @notice Moves the caller's resting order to a new price and quantity (a re-quote), keeping
            its id, instrument and side: one call where a re-quote took a cancel and a new
            order, and the order's two storage words are rewritten in place instead of
            written fresh. The order goes to the back of its new level's queue, as a new
            order would, even at the same price. Post-only: it never trades, reverts "book:
            post-only would cross" at a live opposite order it would trade with (and, like a
            post-only order, cancels stale ones on the way, at most MAX_FILLS). Its whole old
            reserve is released and the new one reserved (the caller must then cover it). The
            same checks as `place_order` (series live, price on tick inside the window, min
            qty, reduce-only); stopped while paused.
    @param order_id The caller's resting order.
    @param price New limit price, raw units per lot (as `place_order`).
    @param qty New quantity, lots, all of it resting.
    """
    assert self.order_state & PAUSED == 0, "book: paused"
    link: uint256 = self._own_order(order_id)
    old: uint256 = ost.o_book[order_id]
    # no cache update: `replace_order` does not write `order_state` (a miss reads `future_base`)
    t: Taker = self._taker(ost._expiry(old), ost._kind(old), ost._strike_ticks(old) * tick, ost._is_buy(old), price, qty, c.POST_ONLY, False)
    if self._best_crosses(t):
        # post-only: stale orders are cancelled, a live one reverts; none is filled
        unfilled: uint256 = 0
        crossing: bool = False
        unfilled, crossing = self._match(t, qty, MAX_FILLS, order_id)
        assert not crossing, "book: post-only would cross"
    self._remove(ost._side(t.expiry, t.kind, t.strike, t.is_buy), order_id, link, ost._qty(old), False, 0)
    if ost._reserve(old) > 0:
        extcall clearinghouse.release(msg.sender, ost._reserve(old))
    self._rest(t, order_id, qty, ost._qty(old) if old & ost.IN_INDEX != 0 else 0)     # its words: cleared above, rewritten here (net non-zero to non-zero); its index entry stays
    log IOrderBook.OrderReplaced(order_id=order_id, owner=msg.sender, price=price, qty=qty)


@external
def sweep_dead_orders(account: address, order_ids: DynArray[uint256, MAX_SWEEP]) -> uint256:
    """
    @notice Cancels dead orders of `account` (series expired or settled, or option strike
            inactive) and releases their reserves in one call. Permissionless (keepers),
            works while paused. Ids that no longer rest are skipped, so re-running is safe.
    @param account Owner of every listed order.
    @param order_ids Up to MAX_SWEEP order ids (the caller finds them from events).
    @return Number of orders swept.
    """
    total: uint256 = 0
    swept: uint256 = 0
    for order_id: uint256 in order_ids:
        link: uint256 = ost.o_link[order_id]
        owner: address = ost._owner(link)
        if owner == empty(address):
            continue
        assert owner == account, "book: not order owner"
        book: uint256 = ost.o_book[order_id]
        assert dead._is_dead(registry, ost._expiry(book), ost._kind(book), ost._strike_ticks(book) * tick), "book: order not dead"
        qty: uint256 = 0
        reserve: uint256 = 0
        qty, reserve = self._unlink_order(order_id, link)
        total += reserve
        swept += 1
        log IOrderBook.OrderCancelled(order_id=order_id, owner=account, remaining=qty, reason=CANCEL_DEAD)
    if total > 0:
        extcall clearinghouse.release(account, total)
    return swept


@view
@internal
def _own_order(order_id: uint256) -> uint256:
    """
    @dev The link word of the caller's resting order `order_id` (cancel, replace).
    """
    link: uint256 = ost.o_link[order_id]
    owner: address = ost._owner(link)
    assert owner != empty(address), "book: unknown order"
    assert owner == msg.sender, "book: not order owner"
    return link


@internal
def _unlink_order(order_id: uint256, link: uint256) -> (uint256, uint256):
    """
    @dev Removes a resting order found by id; returns (qty, reserve) it held.
    """
    book: uint256 = ost.o_book[order_id]
    qty: uint256 = ost._qty(book)
    side: bytes32 = ost._side(ost._expiry(book), ost._kind(book), ost._strike_ticks(book) * tick, ost._is_buy(book))
    self._remove(side, order_id, link, qty, False, 0)
    return qty, ost._reserve(book)


# ---------------------------------------------------------------- fill records

@view
@internal
def _records(owner: address, expiry: uint256) -> (IFillRecords.Records, uint256):
    """
    @dev The owner's unfolded fill records of `expiry` (docs/architecture.md §16): their sums,
         and its index word as it is once they and the dead ids are dropped (their slots freed;
         FULL when none is free).
         Bound: INDEX_SLOTS reads of order words. Unchecked sums: at most INDEX_SLOTS records,
         each below 2**64 lots at a price below 2**112 (the book's bound), so every sum
         stays below 2**180.
    """
    w: uint256 = ost.o_index[owner][expiry]
    kept: uint256 = (w & ~(ost.M48 << ost.LOTS_SHIFT)) | ost.FULL    # unless a slot is (or becomes) free
    r: IFillRecords.Records = empty(IFillRecords.Records)
    base: uint256 = 0
    lots: uint256 = 0                             # the listed lots still resting (<= the listed lots before: < 2**48)
    for i: uint256 in range(ost.INDEX_SLOTS):
        oid: uint256 = (w >> (40 * i)) & ost.M40
        book: uint256 = 0
        if oid != 0:
            book = ost.o_book[oid]
        if book & ost.FILLED != 0:
            if r.reserve == 0:
                base = self._base(expiry, c.FUTURE)   # read once, at the first record (each reserves > 0)
            q: uint256 = ost._qty(book)
            price: uint256 = (ost._rec_index(book) + base) * tick
            notional: uint256 = unsafe_mul(price, q)
            if ost._is_buy(book):
                r.bought = unsafe_add(r.bought, q)
                r.lots = unsafe_add(r.lots, convert(q, int256))
                r.cost = unsafe_add(r.cost, convert(notional, int256))
            else:
                r.lots = unsafe_sub(r.lots, convert(q, int256))
                r.cost = unsafe_sub(r.cost, convert(notional, int256))
            r.reserve = unsafe_add(r.reserve, ost._reserve(book))
            r.fee = unsafe_add(r.fee, fee_math._fee(notional, ost._rec_fee_bps(book)))
        elif book & ost.IN_INDEX != 0:
            lots = unsafe_add(lots, ost._qty(book))
            continue                              # still resting, listed
        kept &= ~(ost.M40 << (40 * i)) & ~ost.FULL    # free, dead (cancelled, swept, folded), a re-quote the cap unlisted, or a record: its slot freed
    return r, kept | (lots << ost.LOTS_SHIFT)


@internal
def _take(owner: address, expiry: uint256) -> IFillRecords.Records:
    """
    @dev Clears the owner's records of `expiry` (their order words: refunds) and drops them
         and the dead ids from its index word; returns their sums (`_records`).
    """
    r: IFillRecords.Records = empty(IFillRecords.Records)
    kept: uint256 = 0
    r, kept = self._records(owner, expiry)
    w: uint256 = ost.o_index[owner][expiry]
    ost.o_index[owner][expiry] = kept            # unchanged: a warm rewrite, 100 gas
    if r.reserve != 0:                           # records (each reserves something)
        for i: uint256 in range(ost.INDEX_SLOTS):
            oid: uint256 = (w >> (40 * i)) & ost.M40
            if ost.o_book[oid] & ost.FILLED != 0:     # a record (`_records` read it warm; an empty slot reads word 0)
                ost.o_book[oid] = 0
        log IFillRecords.RecordsFolded(owner=owner, expiry=expiry, lots=r.lots, cost=r.cost)
    return r


@internal
def _fold(owner: address, expiry: uint256) -> IFillRecords.Records:
    """
    @dev Folds the owner's records of `expiry` (`_take`) into its position: one book-only
         call of the Clearinghouse (`fold_fills`) with their sums, unless the Clearinghouse
         itself asks (its claim books them). Returns their sums.
    """
    r: IFillRecords.Records = self._take(owner, expiry)
    if r.reserve != 0 and msg.sender != clearinghouse.address:
        extcall clearinghouse.fold_fills(owner, expiry, r)
    return r


@external
def fold(owner: address, expiry: uint256) -> IFillRecords.Records:
    """
    @notice Folds `owner`'s unfolded fill records of one expiry into its Clearinghouse
            position (docs/architecture.md §16): its futures position and the open interest
            take their fills, their reserve is released and their maker fees (each at its
            fill's rate, as its `Fill` event stated) move to the fee account. Permissionless
            (the keeper's fold step, the maker, anyone); works while paused; cannot fail on
            the maker's caps or collateral (the reserve covered every record). Also drops
            the dead ids of the owner's index. Called by the Clearinghouse (its claim), the
            records are only cleared: the claim books them itself.
    @return The sums of the records folded (`reserve` 0: nothing to fold).
    """
    return self._fold(owner, expiry)


@view
@external
def unfolded(owner: address, expiry: uint256) -> IFillRecords.Records:
    """
    @notice `owner`'s fill records of one expiry not yet folded into its position: what the
            Clearinghouse's views add to its folded position.
    """
    r: IFillRecords.Records = empty(IFillRecords.Records)
    kept: uint256 = 0
    r, kept = self._records(owner, expiry)
    return r


@view
@external
def listed_lots(owner: address, expiry: uint256) -> uint256:
    """
    @notice `owner`'s listed lots of one expiry: the lots of its listed futures orders and
            fill records since its last fold (which resets them to its listed orders still
            resting), an upper bound of what they can add to its position. The
            Clearinghouse's position cap leaves room for them (docs/architecture.md §16).
    """
    return ost._listed_of(owner, expiry)


# ---------------------------------------------------------------- views

@view
@internal
def _best_live(expiry: uint256, kind: uint8, strike: uint256, is_buy: bool) -> uint256:
    """
    @dev Best price of one side that the series still allows (stale levels, outside the
         current range or above the option's max payoff, are skipped: at most MAX_DEPTH
         of them, beyond which 0 until a taker or a post-only order cancels them).
    """
    lo: uint256 = 0
    hi: uint256 = 0
    lo, hi = staticcall registry.bounds(expiry)
    low: uint256 = 0
    high: uint256 = 0
    low, high = self._window(kind, strike, lo, hi)
    side: bytes32 = ost._side(expiry, kind, strike, is_buy)
    base: uint256 = self._base(expiry, kind)
    idx: uint256 = pl._best(side, is_buy)
    for i: uint256 in range(MAX_DEPTH):
        if idx == pl.EMPTY:
            break
        p: uint256 = (idx + base) * tick
        if p >= low and p <= high:
            return p
        idx = pl._after(side, idx, is_buy)
    return 0


@view
@external
def best_bid(expiry: uint256, kind: uint8, strike: uint256) -> uint256:
    """
    @notice Highest resting bid of an instrument (raw units per lot) that the series'
            current range still allows, 0 when none. Stale bids are skipped.
    """
    return self._best_live(expiry, kind, strike, True)


@view
@external
def best_ask(expiry: uint256, kind: uint8, strike: uint256) -> uint256:
    """
    @notice Lowest resting ask of an instrument (raw units per lot) that the series'
            current range still allows, 0 when none. Stale asks are skipped.
    """
    return self._best_live(expiry, kind, strike, False)


@view
@external
def depth(expiry: uint256, kind: uint8, strike: uint256, is_buy: bool, max_levels: uint256) -> DynArray[uint256[2], MAX_DEPTH]:
    """
    @notice One side of an instrument's book, best level first: [price, total lots] per
            level, at most min(max_levels, MAX_DEPTH) levels.
    """
    out: DynArray[uint256[2], MAX_DEPTH] = []
    side: bytes32 = ost._side(expiry, kind, strike, is_buy)
    base: uint256 = self._base(expiry, kind)
    idx: uint256 = pl._best(side, is_buy)
    for i: uint256 in range(MAX_DEPTH):
        if i >= max_levels or idx == pl.EMPTY:
            break
        out.append([(idx + base) * tick, ost._total(ost.levels[side][idx])])
        idx = pl._after(side, idx, is_buy)
    return out


# ---------------------------------------------------------------- governance

@external
def pause():
    """
    @notice Stops new orders. Guardian or owner. Cancels and sweeps never stop.
    """
    self._set_paused(True)


@external
def unpause():
    """
    @notice Resumes new orders. Guardian or owner.
    """
    self._set_paused(False)


@internal
def _set_paused(paused: bool):
    """
    @dev The PAUSED flag of `order_state` switched by the guardian or the owner (snekmate's
         `pausable` reasons and events), one copy for both directions.
    """
    self._check_guardian()
    state: uint256 = self.order_state
    if paused:
        assert state & PAUSED == 0, "book: paused"
        log pausable.Paused(account=msg.sender)
    else:
        assert state & PAUSED != 0, "book: not paused"
        log pausable.Unpaused(account=msg.sender)
    self.order_state = state ^ PAUSED


@view
@external
def paused() -> bool:
    """
    @notice Whether new orders are stopped (guardian or owner). Cancels and sweeps never stop.
    """
    return self.order_state & PAUSED != 0


@view
@external
def next_order_id() -> uint256:
    """
    @notice The last order id assigned (ids start at 1; 0 before the first order).
    """
    return self.order_state & ost.MAX_ID
