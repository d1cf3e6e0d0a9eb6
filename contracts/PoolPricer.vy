# pragma version ~=0.4.3
"""
@title PoolPricer
@notice Read-only pricing engine of the options pools (docs/architecture.md §15), split out of
        OptionsPool to keep every deployable under EIP-170 (split by role: maths and the reads
        they need here, money and rules in the pool). Student-t (nu = 4) model prices and
        deltas (`student_t`), the margin requirement of a series portfolio before and after a
        trade (`margin_math`) and the pool's marks. It reads the market (registry), the pool's
        positions (Clearinghouse) and cash (vault) itself, so a position's legs cross one
        contract boundary once (Clearinghouse -> pricer), not twice through the pool, and the
        index and variance are read once per call. One instance serves every pool: every
        function names the market, Clearinghouse and account it reads.
        Units: amounts, prices, strikes and bounds raw settlement-token units per lot; w,
        deltas and utilisation WAD.
@custom:security No state, no funds, view functions only. Loops bounded by MAX_LEGS and
        MAX_OPEN_SERIES.
"""

from interfaces import ISeriesRegistry
from contracts.modules import constants as c
from contracts.modules import margin_math
from contracts.modules import pool_math
from contracts.modules import student_t


struct SeriesRef:
    registry: address
    expiry: uint256


interface Registry:
    def is_live(expiry: uint256) -> bool: view
    def bounds(expiry: uint256) -> (uint256, uint256): view
    def strike_active(expiry: uint256, strike: uint256) -> bool: view
    def variance() -> uint256: view
    def min_qty() -> uint256: view
    def settlement_price(expiry: uint256) -> uint256: view
    def reduce_only() -> bool: view
    def index_price() -> (uint256, bool): view
    def reference_price() -> uint256: view
    def needs_update() -> bool: view


interface Clearing:
    def requirement(account: address) -> uint256: view
    def taker_fee_bps() -> uint256: view
    def futures_position(account: address, registry: address, expiry: uint256) -> (int256, int256): view
    def option_legs(account: address, registry: address, expiry: uint256) -> DynArray[margin_math.Leg, c.MAX_LEGS]: view
    def open_series(account: address) -> DynArray[SeriesRef, MAX_OPEN_SERIES]: view
    def series_requirement(account: address, registry: address, expiry: uint256) -> uint256: view


interface Vault:
    def balance_of(account: address) -> uint256: view


MAX_OPEN_SERIES: constant(uint256) = c.MAX_OPEN_SERIES   # the Clearinghouse's open series per account
WAD: constant(uint256) = 10**18
IWAD: constant(int256) = 10**18


struct Index:
    price: uint256  # raw units per lot: the fresh index, else (not strict) the last reference fixing
    v: uint256      # WAD, the registry's daily variance


# ---------------------------------------------------------------- reads

@view
@internal
def _index(registry: address, strict: bool) -> Index:
    """
    @dev The index and the variance. `strict`: the index must be fresh (quotes, hedges);
         otherwise a stale index falls back to the last reference fixing (marks, so LP exits
         never stop).
    """
    idx: uint256 = 0
    fresh: bool = False
    idx, fresh = staticcall Registry(registry).index_price()
    if not fresh:
        assert not strict, "pool: stale index"
        idx = staticcall Registry(registry).reference_price()
    return Index(price=idx, v=staticcall Registry(registry).variance())


@view
@internal
def _ends(ix: Index, w: uint256, expiry: uint256, lo: uint256, hi: uint256) -> student_t.Ends:
    """
    @dev Forward (the index clamped into [lo, hi]), scale s = F sqrt(w v tau / 2) and the
         Phi, G at the bounds shared by every strike of the series.
    """
    f: uint256 = min(max(ix.price, lo), hi)
    tau: uint256 = 0
    if expiry > block.timestamp:
        tau = expiry - block.timestamp
    return student_t._ends(f, student_t._scale(f, w, ix.v, tau), lo, hi)


@view
@internal
def _position(ch: address, account: address, registry: address, expiry: uint256) -> (int256, int256, DynArray[margin_math.Leg, c.MAX_LEGS]):
    n: int256 = 0
    cost: int256 = 0
    n, cost = staticcall Clearing(ch).futures_position(account, registry, expiry)
    return n, cost, staticcall Clearing(ch).option_legs(account, registry, expiry)


# ---------------------------------------------------------------- the pool's calls

@view
@external
def trading_state(registry: address, expiry: uint256, strike: uint256) -> ISeriesRegistry.TradingState:
    """
    @notice The registry's `TradingState` of an option series built from its views (for a
            quote: `trading_state` itself may run the daily update, so a view cannot call it).
            `current` is False while an 08:00 UTC update is due; `min_qty` is not read (0).
    """
    lo: uint256 = 0
    hi: uint256 = 0
    lo, hi = staticcall Registry(registry).bounds(expiry)
    return ISeriesRegistry.TradingState(
        current=not staticcall Registry(registry).needs_update(),
        live=staticcall Registry(registry).is_live(expiry),
        lower=lo, upper=hi, reduce_only=staticcall Registry(registry).reduce_only(), min_qty=0,
        strike_active=staticcall Registry(registry).strike_active(expiry, strike),
    )


@view
@external
def trade_inputs(registry: address, ch: address, vault: address, account: address, expiry: uint256, kind: uint8, strike: uint256, dq: int256, w: uint256, lo: uint256, hi: uint256, max_util: uint256) -> pool_math.TradeInputs:
    """
    @notice What the pool's quote needs beyond the registry's trading state, in one call: the
            model price of (kind, strike) on [lo, hi] (fresh index required: "pool: stale
            index"), the pool's position `q0` in it, utilisation after adding `dq` lots
            (requirement ÷ vault cash, WAD rounded UP; max uint when there is no cash) and,
            when that is above `max_util` (WAD; otherwise False, the pool does not need it),
            whether the trade raises the series requirement (both requirements recomputed on
            [lo, hi]) and the Clearinghouse taker fee rate.
            Reverts "pool: too many legs" past MAX_LEGS.
    """
    e: student_t.Ends = self._ends(self._index(registry, True), w, expiry, lo, hi)
    n: int256 = 0
    cost: int256 = 0
    legs: DynArray[margin_math.Leg, c.MAX_LEGS] = []
    n, cost, legs = self._position(ch, account, registry, expiry)
    q0: int256 = 0
    at: uint256 = len(legs)     # the leg traded: found at `at`, else appended there
    for i: uint256 in range(len(legs), bound=c.MAX_LEGS):
        if legs[i].kind == kind and legs[i].strike == strike:
            q0 = legs[i].qty
            legs[i].qty += dq
            at = i
            break
    if at == len(legs):
        assert len(legs) < c.MAX_LEGS, "pool: too many legs"
        legs.append(margin_math.Leg(kind=kind, strike=strike, qty=dq))
    after: uint256 = convert(max(margin_math._max_loss(n, cost, legs, lo, hi), 0), uint256)   # the requirement (margin_math)
    total: uint256 = staticcall Clearing(ch).requirement(account) - staticcall Clearing(ch).series_requirement(account, registry, expiry) + after
    cash: uint256 = staticcall Vault(vault).balance_of(account)
    u: uint256 = 0
    if total > 0:
        u = max_value(uint256)
        if cash > 0:
            u = pool_math._util(total, cash)
    raises: bool = False
    if u > max_util:
        # the legs before the trade, restored in place (no second copy of the array)
        if q0 == 0:
            legs.pop()
        else:
            legs[at].qty = q0
        raises = after > convert(max(margin_math._max_loss(n, cost, legs, lo, hi), 0), uint256)
    return pool_math.TradeInputs(
        model=student_t._price_at(kind, strike, e), q0=q0, u=u, raises=raises,
        fee_bps=staticcall Clearing(ch).taker_fee_bps(),
    )


@view
@external
def marks(registry: address, ch: address, account: address, w: uint256) -> int256:
    """
    @notice Σ over the account's open series of `registry`: model value of the unsettled ones
            (futures n E[S] - C, options q × model price; a stale index marks at the last
            reference fixing) and the unclaimed P&L of the settled ones (raw units, signed).
            O(MAX_OPEN_SERIES × MAX_LEGS); the index and variance are read once.
    """
    total: int256 = 0
    ix: Index = empty(Index)
    have: bool = False
    refs: DynArray[SeriesRef, MAX_OPEN_SERIES] = staticcall Clearing(ch).open_series(account)
    for ref: SeriesRef in refs:
        if ref.registry != registry:
            continue
        s: uint256 = staticcall Registry(registry).settlement_price(ref.expiry)
        if s != 0:
            # the unclaimed P&L a claim would apply (the Lens's `unclaimed_pnl`)
            sn: int256 = 0
            sc: int256 = 0
            legs: DynArray[margin_math.Leg, c.MAX_LEGS] = []
            sn, sc, legs = self._position(ch, account, registry, ref.expiry)
            total -= margin_math._loss(sn, sc, legs, s)
            continue
        if not have:
            ix = self._index(registry, False)
            have = True
        lo: uint256 = 0
        hi: uint256 = 0
        lo, hi = staticcall Registry(registry).bounds(ref.expiry)
        e: student_t.Ends = self._ends(ix, w, ref.expiry, lo, hi)
        # the series' model value n E[S] - C + Σ q × price, legs read straight into the loop
        n: int256 = 0
        cost: int256 = 0
        n, cost = staticcall Clearing(ch).futures_position(account, registry, ref.expiry)
        total -= cost
        if n != 0:
            total += n * convert(student_t._price_at(c.FUTURE, 0, e), int256)
        es: int256 = student_t._es_numerator(e)
        # legs come sorted by strike: a call and a put of one strike share the call numerator.
        # Per leg, `student_t._price_from` in place (the same integers): the put's numerator
        # by parity, then floor(x / WAD) clipped to [0, max payoff], 0 below one WAD
        last: uint256 = 0       # no strike is 0
        num: int256 = 0
        for leg: margin_math.Leg in staticcall Clearing(ch).option_legs(account, registry, ref.expiry):
            k: uint256 = leg.strike
            if k != last:
                num = student_t._call_numerator(k, e)     # asserts k < 2**128
                last = k
            x: int256 = num
            top: uint256 = 0
            if leg.kind == c.CALL:
                if hi > k:
                    top = unsafe_sub(hi, k)
            else:
                x = unsafe_add(unsafe_sub(num, es), unsafe_mul(convert(k, int256), IWAD))
                if k > lo:
                    top = unsafe_sub(k, lo)
            if x >= IWAD:
                total += leg.qty * convert(min(convert(unsafe_div(x, IWAD), uint256), top), int256)
    return total


@view
@external
def model_price(registry: address, expiry: uint256, kind: uint8, strike: uint256, w: uint256) -> uint256:
    """
    @notice Model value per lot (raw units) of CALL/PUT `strike` (FUTURE: E[S]) now; with a
            stale index, at the last reference fixing.
    """
    assert strike < student_t.PACK_LIMIT, "pool: bad inputs"
    lo: uint256 = 0
    hi: uint256 = 0
    lo, hi = staticcall Registry(registry).bounds(expiry)
    return student_t._price_at(kind, strike, self._ends(self._index(registry, False), w, expiry, lo, hi))


@view
@external
def series_delta(registry: address, ch: address, account: address, expiry: uint256, w: uint256, strict: bool) -> (int256, uint256, uint256, uint256):
    """
    @notice The account's delta in one series, WAD lots (n dE[S]/dF + Σ q × delta), with the
            forward and range it was taken at (raw units per lot): (delta, F, L, U).
            `strict`: a fresh index is required ("pool: stale index").
    """
    lo: uint256 = 0
    hi: uint256 = 0
    lo, hi = staticcall Registry(registry).bounds(expiry)
    e: student_t.Ends = self._ends(self._index(registry, strict), w, expiry, lo, hi)
    n: int256 = 0
    cost: int256 = 0
    legs: DynArray[margin_math.Leg, c.MAX_LEGS] = []
    n, cost, legs = self._position(ch, account, registry, expiry)
    d: int256 = 0
    if n != 0:
        d = n * student_t._delta_at(c.FUTURE, 0, e)
    for leg: margin_math.Leg in legs:
        d += leg.qty * student_t._delta_at(leg.kind, leg.strike, e)
    return d, e.f, lo, hi
