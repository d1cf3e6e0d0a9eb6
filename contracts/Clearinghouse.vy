# pragma version ~=0.4.3
# pragma optimize codesize
"""
@title Clearinghouse
@notice The risk engine shared by every Rangebound market. It keeps positions per
        (account, market, expiry) — futures net quantity `n`, cost `C = Σ q·P` and up to
        MAX_LEGS option legs — the collateral each series portfolio needs (its maximum loss
        over the series' range [L, U], cross-margined inside one expiry, never across
        expiries), the reserves of resting orders, open-interest and position caps, and
        settles claims at expiry through the CollateralVault.
        An account's requirement = Σ stored per-series requirements + Σ order reserves; it is
        an O(1) view the vault reads on every withdrawal. Ranges only shrink, so a stored
        requirement is never too low; it falls to the current value on `recalculate`
        (permissionless; the vault calls it before every withdrawal) and whenever a trade or
        an order would otherwise fail the collateral check.
        Fills move the option premium buyer -> seller and both fees (bps of P·q or premium·q,
        rounded up) to the fee account, inside the vault. A fill from a market's book of a
        future, or of an option the maker sells, defers its maker's reserve share, fee and
        requirement (`_defer`) until the series is
        folded (`_fold`): the share stays reserved and covers the fill meanwhile. Caps per market (owner-set, never
        0): open interest of a (series, kind) = Σ over accounts and strikes of long lots;
        position cap = max |qty| of one account in one instrument. Both are checked only when
        a fill adds exposure, so reducing always works (short of a futures cost of ±2**127
        raw units, which its word cannot hold: see `_apply`).
        Units: amounts, prices, strikes, premiums and bounds are raw settlement-token units
        (per lot); quantities are whole lots. There is no division except in fees, which
        round up (against the user).
@custom:security Only a registered venue (the market's OrderBook, its OptionsPool) may reserve, release, settle fills and check
        collateral, and only for its own market; reserves are tracked per book so one book
        can never release another's. Reentrancy lock on every state-changing function;
        external calls go only to the vault and to registered registries. Inside the
        vault's own call of `recalculate` (mid-withdrawal) no balance moves: deferred maker
        fees stay reserved until a later fold (`_fold`). Every loop is bounded by
        a named constant (MAX_LEGS, MAX_OPEN_SERIES).
        The Clearinghouse itself has no pause: when a book or the vault is paused, fills and
        reserves stop there, while releases, recalculation and claims always work. When a
        market is reduce-only (stablecoin depeg) no fill or reserve may increase the size of
        an account's position in an instrument or flip its sign.
"""

from snekmate.auth import ownable
from snekmate.auth import ownable_2step

from interfaces import IClearinghouse
from interfaces import ICollateralVault
from interfaces import ISeriesRegistry
from interfaces import IVenue
from interfaces import IFillRecords
from contracts.modules import constants as c
from contracts.modules import margin_math
from contracts.modules import fee_math

implements: IClearinghouse

initializes: ownable
initializes: ownable_2step[ownable := ownable]

exports: (
    ownable_2step.owner,
    ownable_2step.pending_owner,
    ownable_2step.transfer_ownership,
    ownable_2step.accept_ownership,
)


struct Position:
    nc: uint256                             # futures net quantity n (lots, int128) << 128 | cost Σ q·P (raw units, int128), two's complement halves: one word (`_futures`)
    meta: uint256                           # stored requirement of this series (raw units) << REQ_SHIFT | number of option legs << 8 | index + 1 in the account's open list (0 = not open): one word, read together by `_open` and `_refresh`


struct Booking:                # one taker order being booked (`settle_fills`)
    sid: uint256               # @dev the series id (registry << 96 | expiry)
    caps: uint256              # @dev the market's `caps` word (OI cap, position cap, fee account)
    cap: uint256               # @dev lots, the market's position cap
    fee_to: address            # @dev the market's fee account
    fees: uint256              # @dev the `fees` word (both rates, the global fee account)
    oi_start: uint256          # @dev lots, the open interest before the order
    oi_now: uint256            # @dev lots, the open interest so far
    taker_fee: uint256         # @dev raw units, Σ taker fees still to move (each rounded up)
    is_book: bool              # @dev the caller is the market's book: its fills of futures and of options the maker sells may defer the maker's bookkeeping

struct SeriesRef:
    registry: address
    expiry: uint256


MAX_OPEN_SERIES: public(constant(uint256)) = c.MAX_OPEN_SERIES   # open (account, series) pairs per account
MAX_FEE_BPS: public(constant(uint256)) = 50           # bps, cap on taker and maker fee rates
MAX_CAP: public(constant(uint256)) = 2**48 - 1        # lots, upper bound of any cap (a cap's field of `caps`)
DEFAULT_OI_CAP: public(constant(uint256)) = 10**12    # lots, per (series, kind) at registration
DEFAULT_POSITION_CAP: public(constant(uint256)) = 10**9  # lots, per (account, instrument)
EXPIRY_LIMIT: constant(uint256) = 2**96               # expiries are packed into 96 bits
STRIKE_LIMIT: constant(uint256) = 2**120              # option strikes are packed into 120 bits
QTY_OFFSET: constant(int256) = 2**127                 # packed leg quantity is qty + 2**127
KEY_MASK: constant(uint256) = 2**128 - 1              # (strike << 8) | kind of a packed leg
# MakerBlocked(uint8) codes: why a maker's fill cannot be booked (the venue cancels the
# maker order and goes on; docs/architecture.md §6). The book's cancel reason is code + 7.
BLOCKED_LEGS: constant(uint8) = 1                     # the maker's leg limit of the series
BLOCKED_SERIES: constant(uint8) = 2                   # the maker's open-series limit
BLOCKED_POSITION_CAP: constant(uint8) = 3             # the maker's position cap
BLOCKED_OI_CAP: constant(uint8) = 4                   # a maker buy over the open-interest cap
BLOCKED_COLLATERAL: constant(uint8) = 5               # the maker's collateral (e.g. fee raised)
BLOCKED_REDUCE_ONLY: constant(uint8) = 6              # a book maker's fill adding exposure in reduce-only mode (`MakerBlockedAt` only)
MAX_BATCH: public(constant(uint256)) = c.MAX_FILLS     # fills per settle_fills call (the book's MAX_FILLS)
# who is filled: the taker, a maker of another venue than the book (the pool), or fill i of the book's `settle_fills` (i + WHO_BATCH)
WHO_TAKER: constant(uint256) = 0
WHO_MAKER: constant(uint256) = 1
WHO_BATCH: constant(uint256) = 2
SERIES_ONE: constant(uint256) = 2**128                # one raw unit of Σ series requirements in `totals`
RESERVE_LIMIT: constant(uint256) = 2**120             # raw units: an account's Σ order reserves stay below it (`totals`' low bits)
RESERVE_MASK: constant(uint256) = RESERVE_LIMIT - 1   # `totals`' reserve bits
OPEN_SHIFT: constant(uint256) = 120                   # `totals`: bits 120..127 count the open list (`& 255` after the shift)
OPEN_ONE: constant(uint256) = 1 << OPEN_SHIFT         # one open series in `totals`
LOW_HALF: constant(uint256) = 2**128 - 1              # the low half of a packed word: nc's cost, owed's release
CAP_SHIFT: constant(uint256) = 48                     # `caps`: position cap << 48, fee account << 96 (FEE_TO_SHIFT)
FEE_TO_SHIFT: constant(uint256) = 96
COST_LIMIT: constant(uint256) = 2**127                # |futures cost| must stay below it (its int128 half of `nc`)
LISTED: constant(uint256) = 255                       # the open-list bits of `Position.meta` (MAX_OPEN_SERIES < 255)
LEG_COUNT: constant(uint256) = 255 << 8               # the bits of `Position.meta` counting its option legs (MAX_LEGS < 256), the one count of `legs` (no length word): a futures-only position never reads `legs`
PENDING: constant(uint256) = 1 << 16                  # `Position.meta`: the series has deferred maker bookkeeping in `owed`
REQ_SHIFT: constant(uint256) = 17                     # the stored requirement sits above them
IS_BOOK: constant(uint256) = 1 << 160                 # `venues`: the venue is its market's book

vault: public(immutable(ICollateralVault))                          # CollateralVault
# both fee rates and the global fee account, packed in one slot (a taker order reads all three
# once; an order's reserve the maker rate): taker_fee_bps (bps of notional, bits 0..47) |
# maker_fee_bps (bits 48..95), each <= MAX_FEE_BPS | fee_account (the vault account that
# receives every fee of a market without its own; bits 96..255, never empty): the layout of `caps`
fees: uint256
book_of: public(HashMap[address, address])                          # registry -> its OrderBook
venues: HashMap[address, uint256]                                   # venue (book or pool) -> its registry | IS_BOOK for the market's book (`registry_of`)
# per registry, packed (every fill reads them together): oi_cap (lots, max open interest of one
# (series, kind); bits 0..47) | position_cap (lots, max |qty| of one account in one instrument;
# bits 48..95), each <= MAX_CAP < 2**48 | the market's fee account (bits 96..255; empty = the
# global fee_account)
caps: HashMap[address, uint256]
positions: HashMap[address, HashMap[uint256, Position]]             # account -> series id -> position
legs: HashMap[bytes32, uint256[c.MAX_LEGS]]                         # `_position_key(account, series id)` -> its packed option legs (`_pack`), sorted by (strike, kind): the first LEG_COUNT of its `meta` are held, the rest are zero (no length word; one hash per position, not two per leg)
open_list: HashMap[address, uint256[MAX_OPEN_SERIES]]              # account -> open series ids: the first (totals >> 120) & 255 are open (`_open_sids`); the words past them are stale, never read (the next open rewrites one instead of writing it fresh)
totals: HashMap[address, uint256]                                   # raw units: Σ order reserves of an account (all books, below RESERVE_LIMIT) | number of open series << 120 | Σ stored series requirements << 128 (one word: `requirement` reads both; `_open` and `_close` count in it, so the open list has no length word)
book_reserved: public(HashMap[address, HashMap[address, uint256]])  # raw units, book -> account -> reserve held by that book
owed: HashMap[address, HashMap[uint256, uint256]]                   # raw units, account -> series id -> deferred release (low 128 bits) | deferred maker fee << 128; read only under the series' PENDING bit (kept dirty after `_fold`)
oi: HashMap[uint256, HashMap[uint8, uint256]]                       # lots, series id -> kind -> Σ long quantities


@deploy
def __init__(vault_: address, fee_account_: address, taker_fee_bps_: uint256, maker_fee_bps_: uint256):
    """
    @notice Deploys the Clearinghouse; the deployer becomes owner, and registers each market.
    @param vault_ CollateralVault holding every account's collateral, deployed with this
           contract's (predicted) address as its risk engine.
    @param fee_account_ Vault account that receives fees.
    @param taker_fee_bps_ Taker fee, bps of notional (futures P·q, options premium·q).
    @param maker_fee_bps_ Maker fee, bps of notional.
    """
    assert vault_.is_contract, "clearinghouse: vault not a contract"
    assert fee_account_ != empty(address), "clearinghouse: zero address"
    assert taker_fee_bps_ <= MAX_FEE_BPS and maker_fee_bps_ <= MAX_FEE_BPS, "clearinghouse: fee too high"
    # the vault's risk engine is fixed at its deployment, with this contract's predicted address
    # (checked last: the argument checks above do not depend on the address)
    assert staticcall ICollateralVault(vault_).risk_engine() == self, "clearinghouse: vault names another risk engine"
    ownable.__init__()
    ownable_2step.__init__()
    vault = ICollateralVault(vault_)
    self.fees = taker_fee_bps_ | maker_fee_bps_ << CAP_SHIFT | convert(convert(fee_account_, uint160), uint256) << FEE_TO_SHIFT
    log IClearinghouse.FeeAccountSet(fee_account=fee_account_)
    log IClearinghouse.FeesSet(taker_fee_bps=taker_fee_bps_, maker_fee_bps=maker_fee_bps_)


# ---------------------------------------------------------------- role checks

@view
@internal
def _check_book() -> address:
    """
    @dev The caller must be a registered venue (order book or pool); returns its registry
         (market). Reserves are tracked per venue (`book_reserved[venue]`).
    """
    return self._registry(self._check_venue())


@view
@internal
def _check_venue() -> uint256:
    """
    @dev `_check_book`, with the IS_BOOK bit of the caller's `venues` word kept.
    """
    word: uint256 = self.venues[msg.sender]
    assert word != 0, "clearinghouse: not a venue"
    return word


@pure
@internal
def _registry(word: uint256) -> address:
    """
    @dev The registry of a `venues` word.
    """
    return convert(convert(word & (IS_BOOK - 1), uint160), address)


@view
@internal
def _check_market(registry: address):
    """
    @dev `registry` must be a registered market (one assert site: revert strings cost code).
    """
    assert self.book_of[registry] != empty(address), "clearinghouse: unknown market"


@pure
@internal
def _maker_blocked(code: uint8, who: uint256):
    """
    @dev Reverts with `MakerBlocked(uint8 code)` (a venue other than the book) or
         `MakerBlockedAt(uint256 index, uint8 code)` (fill `index` of the book's taker order):
         a maker-side condition refuses this fill. A venue catches exactly this error (and
         only it) to cancel the maker order.
    """
    if who == WHO_MAKER:
        raw_revert(concat(method_id("MakerBlocked(uint8)"), convert(code, bytes32)))
    raw_revert(concat(method_id("MakerBlockedAt(uint256,uint8)"), convert(who - WHO_BATCH, bytes32), convert(code, bytes32)))


@view
@internal
def _venue_registry(venue: address) -> address:
    """
    @dev The checks every venue passes before registration (docs/architecture.md §11): a contract
         that names this Clearinghouse and a registry (a contract) which confirms it with
         `is_venue`. Returns that registry.
    """
    assert venue.is_contract, "clearinghouse: venue not a contract"
    assert staticcall IVenue(venue).clearinghouse() == self, "clearinghouse: venue of another clearinghouse"
    registry: address = staticcall IVenue(venue).registry()
    assert registry.is_contract, "clearinghouse: venue registry not a contract"
    assert staticcall ISeriesRegistry(registry).is_venue(venue), "clearinghouse: registry disowns venue"
    return registry


@pure
@internal
def _fee_to(caps: uint256, fees: uint256) -> address:
    """
    @dev The market's own fee account (in its `caps` word), else the global one (in `fees`).
    """
    word: uint256 = caps
    if word >> FEE_TO_SHIFT == 0:
        word = fees
    return convert(convert(word >> FEE_TO_SHIFT, uint160), address)


# ---------------------------------------------------------------- encoding helpers

@pure
@internal
def _sid(registry: address, expiry: uint256) -> uint256:
    """
    @dev Series id: registry in the high 160 bits, expiry in the low 96.
    """
    assert expiry < EXPIRY_LIMIT, "clearinghouse: bad expiry"
    return (convert(registry, uint256) << 96) | expiry


@pure
@internal
def _leg_key(kind: uint8, strike: uint256) -> uint256:
    return (strike << 8) | convert(kind, uint256)


@pure
@internal
def _pack(key: uint256, qty: int256) -> uint256:
    """
    @dev One storage word per leg: bits 0-7 kind, 8-127 strike, 128-255 qty + 2**127.
         |qty| <= MAX_CAP < 2**127 is guaranteed by the position cap.
    """
    return (convert(qty + QTY_OFFSET, uint256) << 128) | key


@pure
@internal
def _leg_qty(word: uint256) -> int256:
    return convert(word >> 128, int256) - QTY_OFFSET


@pure
@internal
def _abs(x: int256) -> uint256:
    if x < 0:
        return convert(-x, uint256)
    return convert(x, uint256)


# ---------------------------------------------------------------- position reads

@view
@internal
def _legs(account: address, sid: uint256) -> DynArray[margin_math.Leg, c.MAX_LEGS]:
    """
    @dev A position's option legs, unpacked (claims and views). `_refresh`, on every trade's
         path, reads them with its own copy of this loop (its frame, round 13).
    """
    out: DynArray[margin_math.Leg, c.MAX_LEGS] = []
    count: uint256 = self._leg_count(account, sid)
    if count == 0:
        return out
    for word: uint256 in self.legs[self._position_key(account, sid)]:
        # the leg unpacked in place (the margin sweep and every view of the legs run this per
        # leg); unsafe_sub: the packed quantity word >> 128 is below 2**128, so q + 2**127 - 2**127
        # cannot leave int256
        out.append(margin_math.Leg(kind=convert(word & 255, uint8), strike=(word & KEY_MASK) >> 8, qty=unsafe_sub(convert(word >> 128, int256), QTY_OFFSET)))
        if len(out) == count:
            break                     # before the loop reads the word after the last leg
    return out


@pure
@internal
def _position_key(account: address, sid: uint256) -> bytes32:
    """
    @dev The key of a position's legs in `legs`.
    """
    return keccak256(concat(convert(account, bytes20), convert(sid, bytes32)))


@view
@internal
def _leg_count(account: address, sid: uint256) -> uint256:
    """
    @dev How many option legs the position holds: its `meta`'s LEG_COUNT bits, kept current
         by `_apply` (the legs have no length word of their own).
    """
    return (self.positions[account][sid].meta & LEG_COUNT) >> 8


@view
@internal
def _option_qty(account: address, sid: uint256, kind: uint8, strike: uint256) -> int256:
    key: uint256 = self._leg_key(kind, strike)
    left: uint256 = self._leg_count(account, sid)
    if left == 0:
        return 0
    for word: uint256 in self.legs[self._position_key(account, sid)]:
        if word & KEY_MASK == key:
            return self._leg_qty(word)
        left -= 1
        if left == 0:
            break                     # before the loop reads the word after the last leg
    return 0


@view
@internal
def _futures(account: address, sid: uint256) -> (int256, int256):
    """
    @dev The futures net quantity n and cost of a position, from its one word `nc`.
    """
    w: int256 = convert(convert(self.positions[account][sid].nc, bytes32), int256)
    return w >> 128, (w << 128) >> 128


@pure
@internal
def _pack_nc(n: int256, cost: int256) -> uint256:
    """
    @dev The `nc` word of (n, cost): each its low 128 bits (|n| <= cap <= MAX_CAP and |cost|
         < COST_LIMIT, which `_apply` enforces).
    """
    return (convert(convert(n, bytes32), uint256) << 128) | (convert(convert(cost, bytes32), uint256) & LOW_HALF)


@view
@internal
def _instrument_qty(account: address, sid: uint256, kind: uint8, strike: uint256) -> int256:
    if kind == c.FUTURE:
        n: int256 = 0
        cost: int256 = 0
        n, cost = self._futures(account, sid)
        return n
    return self._option_qty(account, sid, kind, strike)


@view
@internal
def _range(registry: address, expiry: uint256) -> (uint256, uint256):
    """
    @dev The prices a series can still settle at: [S, S] once settled, else its range.
    """
    s: uint256 = staticcall ISeriesRegistry(registry).settlement_price(expiry)
    if s != 0:
        return s, s
    return staticcall ISeriesRegistry(registry).bounds(expiry)


@view
@internal
def _requirement(account: address) -> uint256:
    w: uint256 = self.totals[account]
    return (w >> 128) + (w & RESERVE_MASK)


# ---------------------------------------------------------------- bookkeeping

@internal
def _open(account: address, sid: uint256, registry: address, expiry: uint256, who: uint256):
    """
    @dev Adds the series to the account's open list (once) and counts it in `totals`.
    """
    if self.positions[account][sid].meta & LISTED != 0:
        return
    w: uint256 = self.totals[account]
    count: uint256 = (w >> OPEN_SHIFT) & 255
    if who != WHO_TAKER and count >= MAX_OPEN_SERIES:
        self._maker_blocked(BLOCKED_SERIES, who)
    assert count < MAX_OPEN_SERIES, "clearinghouse: too many series"
    self.open_list[account][count] = sid
    self.totals[account] = w + OPEN_ONE
    self.positions[account][sid].meta += count + 1     # not open: its listed bits are 0
    log IClearinghouse.PositionOpened(account=account, registry=registry, expiry=expiry)


@view
@internal
def _open_sids(account: address) -> DynArray[uint256, MAX_OPEN_SERIES]:
    """
    @dev The account's open series ids: the first (totals >> 120) & 255 words of its open list,
         read up to the last one (the loop stops before it would read a stale word).
    """
    out: DynArray[uint256, MAX_OPEN_SERIES] = []
    count: uint256 = (self.totals[account] >> OPEN_SHIFT) & 255
    if count == 0:
        return out
    for sid: uint256 in self.open_list[account]:
        out.append(sid)
        if len(out) == count:
            break
    return out


@internal
def _close(account: address, sid: uint256):
    """
    @dev Removes the series from the account's open list (the last entry moves into its
         place) and from the count in `totals`.
    """
    index: uint256 = (self.positions[account][sid].meta & LISTED) - 1
    w: uint256 = self.totals[account]
    last: uint256 = ((w >> OPEN_SHIFT) & 255) - 1
    if index != last:
        moved: uint256 = self.open_list[account][last]
        self.open_list[account][index] = moved
        self.positions[account][moved].meta -= last - index      # listed last + 1 -> index + 1
    self.totals[account] = w - OPEN_ONE                          # the last word stays: stale
    self.positions[account][sid].meta -= index + 1


@internal
def _refresh(account: address, sid: uint256, lower: uint256, upper: uint256):
    """
    @dev Recomputes and stores one series' requirement over [lower, upper]; an empty
         position (nothing held, no locked P&L) leaves the open list. The legs are read only
         when the stored count says there are some (`_apply` keeps it current), so a
         futures-only position never reads them.
         Deferred maker bookkeeping of the series is folded first (`_fold`); a part it
         keeps (the fees, in the vault's own call) keeps the series PENDING and open.
    """
    n: int256 = 0
    cost: int256 = 0
    n, cost = self._futures(account, sid)
    meta: uint256 = self.positions[account][sid].meta
    keep: uint256 = 0
    if meta & PENDING != 0:
        keep = self._fold(account, sid)
    # the legs read here as `_legs` reads them, not through it: its return buffer (3 KB) would
    # sit in this frame beside `legs`, and every call above it (each taker order, pool trade and
    # withdrawal) pays memory up to there: −440 a take, −1,448 a pool trade (round 13)
    legs: DynArray[margin_math.Leg, c.MAX_LEGS] = []
    count: uint256 = (meta & LEG_COUNT) >> 8
    if count != 0:
        for packed: uint256 in self.legs[self._position_key(account, sid)]:
            # unsafe_sub: as in `_legs`
            legs.append(margin_math.Leg(kind=convert(packed & 255, uint8), strike=(packed & KEY_MASK) >> 8, qty=unsafe_sub(convert(packed >> 128, int256), QTY_OFFSET)))
            if len(legs) == count:
                break
    new: uint256 = convert(max(margin_math._max_loss(n, cost, legs, lower, upper), 0), uint256)   # the requirement (margin_math)
    old: uint256 = meta >> REQ_SHIFT
    word: uint256 = (new << REQ_SHIFT) | keep | (meta & (LEG_COUNT | LISTED))
    if word != meta:
        self.positions[account][sid].meta = word
    if new != old:
        # checked multiplications: a requirement of 2**128 raw units or more reverts (no
        # balance covers it); the series half is the high one, so its sum cannot carry
        self.totals[account] = self.totals[account] + new * SERIES_ONE - old * SERIES_ONE
        log IClearinghouse.RequirementUpdated(
            account=account, registry=convert(sid >> 96, address), expiry=sid & (EXPIRY_LIMIT - 1), requirement=new
        )
    if n == 0 and cost == 0 and len(legs) == 0 and keep == 0:
        self._close(account, sid)


@internal
def _fold(account: address, sid: uint256) -> uint256:
    """
    @dev Books a series' deferred maker bookkeeping (`_defer`): the fills' reserve share
         leaves the market book's reserve and their maker fees move to the market's fee
         account; returns 0 (the caller rewrites `meta` without PENDING). It cannot fail:
         the book still holds that share, and the account's balance covers its reserves,
         which include the fees.
         Inside the vault's own call (`recalculate` from a withdrawal, which holds the
         vault's lock and its balance read) no balance may move: the share less the fees
         is released, the fees stay reserved and owed, and PENDING is returned (kept).
    """
    w: uint256 = self.owed[account][sid]
    registry: address = convert(sid >> 96, address)
    fee: uint256 = w >> 128
    release: uint256 = w & LOW_HALF
    keep: uint256 = 0
    if msg.sender == vault.address and fee != 0:
        release -= fee                       # each fee <= its share (`_defer`): no borrow
        self.owed[account][sid] = fee | fee << 128
        keep = PENDING
        fee = 0
    self._pay_owed(account, registry, self.book_of[registry], release, fee)
    return keep


@internal
def _pay_owed(account: address, registry: address, book: address, release: uint256, fee: uint256):
    """
    @dev Books what a maker's deferred fills owe (`_fold`) or its folded fill records
         (`_fold_records`): `release` leaves the book's reserve and the maker fees `fee` move
         to the market's fee account. It cannot fail: the book still holds that reserve, and
         the account's balance covers its reserves, which include the fees.
    """
    if release != 0:
        self._release(book, account, release)
    if fee != 0:
        fee_to: address = self._fee_to(self.caps[registry], self.fees)
        if fee_to != account:
            extcall vault.transfer_internal(account, fee_to, fee)


@internal
def _recalculate(account: address):
    """
    @dev Recomputes every open series with its current range (or settlement price).
    """
    sids: DynArray[uint256, MAX_OPEN_SERIES] = self._open_sids(account)
    for sid: uint256 in sids:
        lower: uint256 = 0
        upper: uint256 = 0
        lower, upper = self._range(convert(sid >> 96, address), sid & (EXPIRY_LIMIT - 1))
        self._refresh(account, sid, lower, upper)


@internal
def _require_covered(account: address):
    """
    @dev The account's vault balance must cover its requirement; if the stored one is too
         high, it is first brought down to the current ranges.
    """
    if staticcall vault.balance_of(account) < self._requirement(account):
        self._check_covered(self._recovered(account))


@internal
def _recovered(account: address) -> bool:
    """
    @dev The rare path of a collateral check that failed: the stored requirement brought
         down to the current ranges, then whether the balance, read again (folding deferred
         maker fees, `_fold`, moves it), covers it. `_require_covered` and a maker's fill
         share it.
    """
    # in a call of its own: a recalculation's memory (every open series' legs) then is not
    # part of every caller's frame, which each order's memory expansion pays for
    extcall IClearinghouse(self).recalculate_nested(account)
    return staticcall vault.balance_of(account) >= self._requirement(account)


@internal
def _release(book: address, account: address, amount: uint256):
    held: uint256 = self.book_reserved[book][account]
    assert held >= amount, "clearinghouse: release exceeds reserve"
    self.book_reserved[book][account] = held - amount
    self.totals[account] -= amount            # <= this book's reserve <= the reserve bits: no borrow
    log IClearinghouse.Released(account=account, amount=amount)


@internal
def _apply(account: address, sid: uint256, kind: uint8, strike: uint256, cost_delta: int256, delta: int256, reduce_only: bool, cap: uint256, who: uint256) -> int256:
    """
    @dev Adds `delta` lots of the instrument to the account's position (futures cost
         `cost_delta` = Σ ±q·P), enforcing reduce-only, the position cap and the legs cap.
         A futures cost of ±2**127 raw units or more (beyond its half of `nc`; MAX_CAP lots
         at 2**79 raw units per lot) counts as over the position cap, reducing included.
         Returns the change of the account's long quantity (open interest), in lots.
         It keeps the legs' count in `meta` current (they have no length word); the stored
         requirement waits for the caller's `_refresh` of the same position.
    """
    old: int256 = 0
    new: int256 = 0
    over: bool = False
    if kind == c.FUTURE:
        cost: int256 = 0
        old, cost = self._futures(account, sid)
        new = old + delta
        cost += cost_delta
        # a cost beyond its int128 half counts as over the position cap (reverted below)
        over = self._abs(cost) >= COST_LIMIT
        self.positions[account][sid].nc = self._pack_nc(new, cost)
    else:
        key: uint256 = self._leg_key(kind, strike)
        meta: uint256 = self.positions[account][sid].meta     # warm: `_open` just read it
        count: uint256 = (meta & LEG_COUNT) >> 8
        pk: bytes32 = self._position_key(account, sid)
        # legs are kept sorted by (strike, kind), so the margin sweep never has to reorder
        # them: find the leg, or the slot where it belongs (the legs after it are not read)
        index: uint256 = 0
        if count != 0:
            for word: uint256 in self.legs[pk]:
                if word & KEY_MASK >= key:
                    if word & KEY_MASK == key:
                        old = self._leg_qty(word)
                    break
                index += 1
                if index == count:
                    break             # after the last leg: a new last leg
        new = old + delta
        if new == 0:
            # closed leg: later legs move down one slot, the last slot is cleared (refund)
            count -= 1
            for i: uint256 in range(index, count, bound=c.MAX_LEGS):
                self.legs[pk][i] = self.legs[pk][i + 1]
            self.legs[pk][count] = 0
        elif old != 0:
            self.legs[pk][index] = self._pack(key, new)
        else:
            if who != WHO_TAKER and count >= c.MAX_LEGS:
                self._maker_blocked(BLOCKED_LEGS, who)
            assert count < c.MAX_LEGS, "clearinghouse: too many legs"
            # new leg: later legs move up one slot (from the last)
            for i: uint256 in range(count - index, bound=c.MAX_LEGS):
                self.legs[pk][count - i] = self.legs[pk][count - 1 - i]
            self.legs[pk][index] = self._pack(key, new)
            count += 1
        if count != (meta & LEG_COUNT) >> 8:
            self.positions[account][sid].meta = (meta & ~LEG_COUNT) | (count << 8)
    if margin_math._increases(old, new):
        if reduce_only and who >= WHO_BATCH:
            self._maker_blocked(BLOCKED_REDUCE_ONLY, who)
        self._check_reducing(not reduce_only)
        over = over or self._abs(new) > cap
    if over:
        if who != WHO_TAKER:
            self._maker_blocked(BLOCKED_POSITION_CAP, who)
        raise "clearinghouse: position cap"
    return max(new, 0) - max(old, 0)


@pure
@internal
def _room(cap: uint256, listed: uint256) -> uint256:
    """
    @dev The position cap an account's other fills leave it: its listed lots (fills the book
         may record unchecked, docs/architecture.md §16) come off the cap, saturating at 0.
    """
    return cap - min(listed, cap)


@pure
@internal
def _maker_room(cap: uint256, release: uint256) -> uint256:
    """
    @dev `_room` of a booked maker fill: an unlisted order's owner's listed lots ride in its
         `release` (LISTED_LOTS_SHIFT); a listed order's lots (COVERED_FILL) were inside the
         cap when it was listed, so its fill is not checked again.
    """
    if release & c.COVERED_FILL != 0:
        return max_value(uint256)
    return self._room(cap, (release >> c.LISTED_LOTS_SHIFT) & MAX_CAP)


@pure
@internal
def _standalone(lower: uint256, upper: uint256, strike_active: bool, kind: uint8, strike: uint256, is_buy: bool, price: uint256) -> uint256:
    """
    @dev Stand-alone worst case per lot of an order (docs/architecture.md §1) over the series'
         range [lower, upper] of an instrument `_check_trade` passed; validates the strike's
         activity and the price.
    """
    if kind == c.FUTURE:
        self._check_price(price, lower, upper)
        if is_buy:
            return price - lower
        return upper - price
    assert strike_active, "clearinghouse: strike not active"
    max_payoff: uint256 = upper - strike
    if kind == c.PUT:
        max_payoff = strike - lower
    self._check_price(price, 1, max_payoff)
    if is_buy:
        return price
    return max_payoff


# ---------------------------------------------------------------- views

@view
@internal
def _whole_futures(account: address, registry: address, expiry: uint256, sid: uint256) -> (int256, int256):
    """
    @dev A futures position with the market book's fill records not folded yet
         (docs/architecture.md §16): one call of the book's `unfolded`, skipped for an
         account the book reserves nothing for. The book's own call gets the folded position: its views
         are locked while it calls, and it folds first where it asks (reduce-only).
    """
    n: int256 = 0
    cost: int256 = 0
    n, cost = self._futures(account, sid)
    book: address = self.book_of[registry]
    # records keep their reserve held (`book_reserved`), and a book lists only orders that
    # reserve something: an account the book holds nothing for has none (the pool's own; an
    # unknown market's: no venue is the zero address)
    if msg.sender != book and self.book_reserved[book][account] != 0:
        r: IFillRecords.Records = staticcall IFillRecords(book).unfolded(account, expiry)
        n += r.lots
        cost += r.cost
    return n, cost


@view
@external
def requirement(account: address) -> uint256:
    """
    @notice Collateral `account` must keep in the vault: Σ stored per-series requirements +
            Σ order reserves, raw token units. O(1). Never below the current value; call
            `recalculate` to bring it down to today's ranges.
    """
    return self._requirement(account)


@view
@external
def reserved(account: address) -> uint256:
    """
    @notice Σ order reserves of `account` over all books, raw units (the low 120 bits of its
            `totals` word).
    """
    return self.totals[account] & RESERVE_MASK


@view
@external
def series_requirement(account: address, registry: address, expiry: uint256) -> uint256:
    """
    @notice Stored requirement (maximum loss) of one series portfolio, raw token units.
    """
    return self.positions[account][self._sid(registry, expiry)].meta >> REQ_SHIFT


@view
@external
def deferred(account: address, registry: address, expiry: uint256) -> (uint256, uint256):
    """
    @notice A maker's deferred bookkeeping in one series (book fills of futures and of
            options it sold, not yet folded): the reserve share still held for them and the maker fees still to
            move, raw units (both included in `reserved`). Anyone's `recalculate` folds it.
    """
    sid: uint256 = self._sid(registry, expiry)
    if self.positions[account][sid].meta & PENDING == 0:
        return 0, 0
    w: uint256 = self.owed[account][sid]
    return w & LOW_HALF, w >> 128


@view
@external
def futures_position(account: address, registry: address, expiry: uint256) -> (int256, int256):
    """
    @notice Futures net quantity (lots, signed) and cost Σ q·P (raw units, signed).
    """
    return self._whole_futures(account, registry, expiry, self._sid(registry, expiry))


@view
@external
def option_position(account: address, registry: address, expiry: uint256, kind: uint8, strike: uint256) -> int256:
    """
    @notice Signed quantity (lots) of one option (kind CALL 1 / PUT 2, strike raw units).
    """
    return self._option_qty(account, self._sid(registry, expiry), kind, strike)


@view
@external
def option_legs(account: address, registry: address, expiry: uint256) -> DynArray[margin_math.Leg, c.MAX_LEGS]:
    """
    @notice Every open option leg (kind, strike, signed lots) of one series portfolio.
    """
    return self._legs(account, self._sid(registry, expiry))


@view
@external
def open_series(account: address) -> DynArray[SeriesRef, MAX_OPEN_SERIES]:
    """
    @notice Series in which `account` holds a position or unclaimed P&L.
    """
    out: DynArray[SeriesRef, MAX_OPEN_SERIES] = []
    sids: DynArray[uint256, MAX_OPEN_SERIES] = self._open_sids(account)
    for sid: uint256 in sids:
        out.append(SeriesRef(registry=convert(sid >> 96, address), expiry=sid & (EXPIRY_LIMIT - 1)))
    return out


@view
@external
def open_interest(registry: address, expiry: uint256, kind: uint8) -> uint256:
    """
    @notice Open interest of one (series, kind): Σ over accounts (and strikes) of long lots.
    """
    return self.oi[self._sid(registry, expiry)][kind]


# ---------------------------------------------------------------- anyone

@external
@nonreentrant
def recalculate(account: address):
    """
    @notice Recomputes every open series of `account` with its current range (ranges only
            shrink, so the requirement only falls). Permissionless; the vault calls it before
            each withdrawal. Never calls the vault. O(open series × legs).
    """
    self._recalculate(account)


@external
def recalculate_nested(account: address):
    """
    @notice `recalculate` for this contract's own calls, made while it holds the lock (a
            collateral check whose stored requirement is stale). Nobody else may call it.
    """
    assert msg.sender == self, "clearinghouse: not self"
    self._recalculate(account)


@external
@nonreentrant
def claim(account: address, registry: address, expiry: uint256):
    """
    @notice Settles `account`'s position in a settled series: applies the P&L
            `n·S − C + Σ option payoffs` to its vault balance, releases the series'
            requirement and closes it. Permissionless (keepers batch it), once per
            (account, series), O(legs). Works whatever is paused.
    """
    self._check_market(registry)
    sid: uint256 = self._sid(registry, expiry)
    # the book's fill records of the series, cleared there and folded here first: the claim
    # sees every fill
    book: address = self.book_of[registry]
    r: IFillRecords.Records = extcall IFillRecords(book).fold(account, expiry)
    if r.reserve != 0:
        self._fold_records(account, registry, book, expiry, r)
    meta: uint256 = self.positions[account][sid].meta
    assert meta & LISTED != 0, "clearinghouse: nothing to claim"
    if meta & PENDING != 0:
        self._fold(account, sid)       # never the vault's call: the meta write below drops PENDING
    s: uint256 = staticcall ISeriesRegistry(registry).settlement_price(expiry)
    assert s != 0, "clearinghouse: not settled"
    n: int256 = 0
    cost: int256 = 0
    n, cost = self._futures(account, sid)
    legs: DynArray[margin_math.Leg, c.MAX_LEGS] = []
    if meta & LEG_COUNT != 0:
        legs = self._legs(account, sid)
    pnl: int256 = -margin_math._loss(n, cost, legs, s)
    # effects: clear the position word by word (refunds), then the list entry
    self.totals[account] -= (meta >> REQ_SHIFT) * SERIES_ONE
    self.positions[account][sid].meta = meta & LISTED     # `_close` below clears the rest
    self.positions[account][sid].nc = 0
    if len(legs) != 0:
        pk: bytes32 = self._position_key(account, sid)
        for i: uint256 in range(len(legs), bound=c.MAX_LEGS):
            self.legs[pk][i] = 0
    self._close(account, sid)
    # interaction
    if pnl != 0:
        extcall vault.apply_pnl(account, pnl)
    log IClearinghouse.RequirementUpdated(account=account, registry=registry, expiry=expiry, requirement=0)
    log IClearinghouse.Claimed(account=account, registry=registry, expiry=expiry, pnl=pnl)


# ---------------------------------------------------------------- order books

@external
@nonreentrant
def reserve(account: address, expiry: uint256, kind: uint8, strike: uint256, is_buy: bool, price: uint256, qty: uint256, state: ISeriesRegistry.TradingState, listing: uint256) -> uint256:
    """
    @notice Reserves collateral for an order about to rest: qty × (stand-alone worst case
            per lot + maker fee per lot at the current rate, rounded up). Per-lot amounts
            make the book's pro-rata release exact. The account must then cover its
            requirement. Registered venues only.
    @param state The market's `trading_state` the venue read for this order: trusted from a
           registered venue, not read again (docs/architecture.md §16); one that is not
           `current` (an update due) or not `live` reverts "series not live".
    @param listing The account's listed lots of the expiry with this order's, when the book
           would list it (its fills may then be recorded unchecked: docs/architecture.md
           §16), else 0: the account's |futures position| plus them must stay inside the
           position cap.
    @return The amount reserved (raw units; the book releases it on fill or cancel), with
            UNLISTED set when the account's open-series list is full or `listing` would pass
            the position cap (the book then must not list the order: its fills are booked
            and checked one by one).
    """
    registry: address = empty(address)
    sid: uint256 = 0
    if listing != 0 or not state.current or state.reduce_only or self.book_reserved[msg.sender][account] == 0:
        # else a current state and the caller's own reserve prove it a venue (only venues
        # reserve), and no position is read: the market is not needed
        registry = self._check_book()
        sid = self._sid(registry, expiry)
    self._check_qty(qty)
    st: ISeriesRegistry.TradingState = state
    self._check_trade(st.live and st.current, kind, strike)
    per_lot: uint256 = self._standalone(st.lower, st.upper, st.strike_active, kind, strike, is_buy, price) + fee_math._fee(price, (self.fees >> CAP_SHIFT) & MAX_CAP)
    if st.reduce_only:
        old: int256 = self._instrument_qty(account, sid, kind, strike)
        delta: int256 = convert(qty, int256)
        if not is_buy:
            delta = -delta
        self._check_reducing(not margin_math._increases(old, old + delta))
    amount: uint256 = qty * per_lot
    self.book_reserved[msg.sender][account] += amount
    w: uint256 = self.totals[account]
    self._check_covered((w & RESERVE_MASK) + amount < RESERVE_LIMIT)
    self.totals[account] = w + amount
    log IClearinghouse.Reserved(account=account, amount=amount)
    self._require_covered(account)
    # its open list full: a fold could not open the series. Its listed lots past the cap:
    # their fills, recorded unchecked, could take its position past it
    if (w >> OPEN_SHIFT) & 255 >= MAX_OPEN_SERIES or (listing != 0 and self._abs(self._futures(account, sid)[0]) + listing > (self.caps[registry] >> CAP_SHIFT) & MAX_CAP):
        return amount | c.UNLISTED
    return amount


@external
@nonreentrant
def release(account: address, amount: uint256):
    """
    @notice Releases `amount` of what the calling book reserved for `account`.
            Registered venues only.
    """
    if amount == 0 or self.book_reserved[msg.sender][account] < amount:
        self._check_book()   # else the caller's own reserve proves it a venue (only venues reserve)
    self._release(msg.sender, account, amount)


@external
@nonreentrant
def check_collateral(account: address):
    """
    @notice Reverts unless `account`'s vault balance covers its requirement (bringing a stale
            requirement down first). Registered venues only, once per taker call after fills.
    """
    self._check_book()
    self._require_covered(account)


@internal
def _maker_fill(registry: address, kind: uint8, strike: uint256, taker: address, taker_is_buy: bool, f: IClearinghouse.MakerFill, reduce_only: bool, lower: uint256, upper: uint256, who: uint256, b: Booking) -> (uint256, uint256, bool):
    """
    @dev The maker's half of one fill (position, limits, open interest, share, premium, fee,
         requirement: at once, deferred or, for a record, the open interest only; §16).
         Returns (open interest after, taker fee still to move (0: `own`), recorded).
    """
    expiry: uint256 = b.sid & (EXPIRY_LIMIT - 1)
    notional: uint256 = f.price * f.qty
    maker_fee: uint256 = fee_math._fee(notional, (b.fees >> CAP_SHIFT) & MAX_CAP)
    taker_fee: uint256 = fee_math._fee(notional, b.fees & MAX_CAP)
    release: uint256 = f.release & c.RELEASE_MASK
    defer: bool = False
    if b.is_book and (kind == c.FUTURE or taker_is_buy):
        # `_standalone`'s worst case of the maker's side (an option bid settles at once)
        worst: uint256 = upper - strike
        if kind == c.PUT:
            worst = strike - lower
        elif kind == c.FUTURE:
            worst = upper - f.price if taker_is_buy else f.price - lower
        defer = release >= f.qty * worst + maker_fee
    # a record writes no maker word; a bid's +q counts in the OI until folded (over the cap: booked)
    recorded: bool = defer and f.release & c.RECORD_FILL != 0 and not reduce_only and (taker_is_buy or b.oi_now + f.qty <= b.caps & MAX_CAP)
    own: bool = who == WHO_MAKER and f.maker == b.fee_to
    change: int256 = 0
    if recorded:
        if not taker_is_buy:
            change = convert(f.qty, int256)
    else:
        if not defer and (not own or release != 0):
            self._release(msg.sender, f.maker, release)
        self._open(f.maker, b.sid, registry, expiry, who)
        delta: int256 = convert(f.qty, int256)
        if taker_is_buy:
            delta = -delta
        change = self._apply(f.maker, b.sid, kind, strike, delta * convert(f.price, int256), delta, reduce_only, self._maker_room(b.cap, f.release), who)
    oi_after: uint256 = convert(convert(b.oi_now, int256) + change, uint256)
    if change > 0 and oi_after > b.oi_start and oi_after > b.caps & MAX_CAP:
        self._maker_blocked(BLOCKED_OI_CAP, who)     # only a buyer adds OI: the resting bid breaks the cap
    owed: uint256 = taker_fee
    if defer:
        if not recorded:
            self._defer(f.maker, b.sid, release, maker_fee)
            if kind != c.FUTURE:
                extcall vault.transfer_internal(taker, f.maker, notional)      # the premium
    else:
        self._refresh(f.maker, b.sid, lower, upper)
        maker_balance: uint256 = staticcall vault.balance_of(f.maker)
        maker_out: uint256 = maker_fee
        maker_in: uint256 = 0
        if kind != c.FUTURE:
            if taker_is_buy:
                maker_in = notional
            else:
                maker_out += notional
        if maker_balance < maker_out:
            self._maker_blocked(BLOCKED_COLLATERAL, who)
        if own:
            # the market's fee account: no maker fee to itself, the taker fee rides with the
            # premium (<= 50 bps of it); the vault is a contract (immutable): no size check
            owed = 0
            if kind == c.FUTURE:
                if taker_fee > 0:
                    extcall vault.transfer_internal(taker, f.maker, taker_fee, skip_contract_check=True)
            elif taker_is_buy:
                extcall vault.transfer_internal(taker, f.maker, notional + taker_fee, skip_contract_check=True)
            else:
                extcall vault.transfer_internal(f.maker, taker, notional - taker_fee, skip_contract_check=True)
        else:
            if kind != c.FUTURE:
                if taker_is_buy:
                    extcall vault.transfer_internal(taker, f.maker, notional)
                else:
                    extcall vault.transfer_internal(f.maker, taker, notional)
            if maker_fee > 0:
                extcall vault.transfer_internal(f.maker, b.fee_to, maker_fee)
        if maker_balance + maker_in - maker_out < self._requirement(f.maker) and not self._recovered(f.maker):
            self._maker_blocked(BLOCKED_COLLATERAL, who)
    log IClearinghouse.Fill(registry=registry, expiry=expiry, taker=taker, maker=f.maker, kind=kind, strike=strike,
                            taker_is_buy=taker_is_buy, price=f.price, qty=f.qty, taker_fee=taker_fee, maker_fee=maker_fee)
    return oi_after, owed, recorded


@internal
def _defer(maker: address, sid: uint256, release: uint256, fee: uint256):
    """
    @dev Adds a fill's reserve share and maker fee to the series' deferred bookkeeping
         (`owed`, under the PENDING bit of its `meta`): a fill from the market's book of a
         future or of an option the maker sells (`_apply` already stored its leg count),
         whose reserve share covers the fill's stand-alone loss over today's range plus
         its maker fee at today's rate (else the fill settles at once). Until `_fold`
         (the account's next refresh of the series: its own taker order there, a
         recalculation, `recalculate` by anyone; its claim) the share stays reserved and
         covers the fill: a series' max loss is subadditive, so the stored requirement
         plus the share is never below the true one (docs/architecture.md §16).
         Neither half can carry: the owed shares are still part of the book's reserve for
         the maker, below 2**128 (`reserve` bounds an account's reserves), and each fee
         is at most its share.
    """
    meta: uint256 = self.positions[maker][sid].meta
    if meta & PENDING != 0:
        self.owed[maker][sid] += release | fee << 128
    else:
        self.owed[maker][sid] = release | fee << 128
        self.positions[maker][sid].meta = meta | PENDING


@internal
def _fold_records(account: address, registry: address, book: address, expiry: uint256, r: IFillRecords.Records):
    """
    @dev Books a maker's fill records that its market's book folded or handed to the claim
         (`IFillRecords`): their lots and cost join its futures position, the open interest
         counts the position's longs instead of the bid records' lots (netting can only
         lower it), their reserve leaves the book's reserve, their maker fees (each at its
         fill's rate, rounded up, as its `Fill` stated) move to the market's fee account and
         the series' requirement is recomputed. It cannot fail on the account's caps or
         collateral: each record's reserve covered its fill's stand-alone loss and fee, and a
         series' maximum loss is subadditive (docs/architecture.md §16).
    """
    sid: uint256 = self._sid(registry, expiry)
    self._open(account, sid, registry, expiry, WHO_TAKER)
    change: int256 = self._apply(account, sid, c.FUTURE, 0, r.cost, r.lots, False, max_value(uint256), WHO_TAKER)
    self.oi[sid][c.FUTURE] = convert(convert(self.oi[sid][c.FUTURE], int256) + change - convert(r.bought, int256), uint256)
    self._pay_owed(account, registry, book, r.reserve, r.fee)
    lower: uint256 = 0
    upper: uint256 = 0
    lower, upper = self._range(registry, expiry)
    self._refresh(account, sid, lower, upper)


@external
@nonreentrant
def fold_fills(account: address, expiry: uint256, r: IFillRecords.Records):
    """
    @notice Books the fill records the calling market book folds (`OrderBook.fold`) into
            the account's position (`_fold_records`). Only a market's book.
    """
    venue: uint256 = self._check_venue()
    assert venue >= IS_BOOK, "clearinghouse: not a book"
    self._fold_records(account, self._registry(venue), msg.sender, expiry, r)


@external
@nonreentrant
def settle_fills(taker: address, expiry: uint256, kind: uint8, strike: uint256, taker_is_buy: bool, fills: DynArray[IClearinghouse.MakerFill, MAX_BATCH], state: ISeriesRegistry.TradingState, taker_listed: uint256) -> uint256:
    """
    @notice Books every fill of one taker order of the calling venue's market in one call,
            the one entry point of every venue (the market's book, its pool): the taker's
            position, open interest, requirement and fees are written once (its fee is the
            sum of the per-fill fees, each rounded up, moved in one transfer) and the taker's
            collateral is checked at the end. Each maker: its reserve share `release` is
            released, its position updated, the option premium moved (buyer to seller) and
            its maker fee paid, and its requirement and collateral checked; or, for the
            book's fills of futures and of options the maker sells whose share covers them,
            deferred to the series' next fold (`_defer`). A maker that is the market's fee
            account on another venue (the pool) pays itself no maker fee and takes the taker
            fee with the premium in one vault transfer; a zero release of it is not booked
            (the `Fill` event still states both fees).
            A condition of one maker alone (its leg limit, open-series limit, position cap,
            a maker buy over the OI cap, its collateral; on the book, a maker fill adding
            exposure in reduce-only mode) reverts with a custom error so the venue can tell
            it apart: from the book `MakerBlockedAt(uint256 index, uint8 code)` (1 legs,
            2 series, 3 position cap, 4 OI cap, 5 collateral, 6 reduce-only) so it can cancel
            that maker order and book the rest, from another venue `MakerBlocked(uint8 code)`.
            The taker's own failures keep their revert strings.
    @param fills One entry per resting order filled, in matching order (1..MAX_BATCH); the
           pool sends one, itself the maker with a zero release.
    @param state The market's `trading_state` the venue read for this order (live, range,
           reduce-only): trusted from a registered venue, not read again (docs/architecture.md §16).
    @param taker_listed The taker's listed lots of the expiry on the book (0 elsewhere): its
           position cap leaves room for them, as each fill's LISTED_LOTS_SHIFT field does
           for an unlisted maker; a COVERED_FILL maker is not checked (its lots are inside).
    @return The fills recorded instead of booked (a book's fill sent with RECORD_FILL that
            could defer, outside reduce-only mode, a bid under the OI cap): bit t for each
            recorded fill's tag t (`FILL_TAG_SHIFT`) | the maker fee rate << MAX_BATCH; 0 when
            none was.
    """
    venue: uint256 = self._check_venue()
    registry: address = self._registry(venue)
    self._check_qty(len(fills))
    self._check_trade(state.live, kind, strike)
    qty: uint256 = 0
    cost: uint256 = 0
    for f: IClearinghouse.MakerFill in fills:
        self._check_fill(f, taker, kind, state.lower, state.upper)
        qty += f.qty
        cost += f.price * f.qty
    b: Booking = self._book_taker(registry, taker, expiry, kind, strike, taker_is_buy, qty, cost, state.reduce_only, taker_listed)
    b.is_book = venue >= IS_BOOK
    recorded: uint256 = 0
    for i: uint256 in range(len(fills), bound=MAX_BATCH):
        fee: uint256 = 0
        rec: bool = False
        who: uint256 = WHO_MAKER     # another venue: `MakerBlocked`, its own account may be the fee account
        if b.is_book:
            who = i + WHO_BATCH
        b.oi_now, fee, rec = self._maker_fill(registry, kind, strike, taker, taker_is_buy, fills[i], state.reduce_only, state.lower, state.upper, who, b)
        b.taker_fee += fee
        if rec:
            recorded |= 1 << ((fills[i].release >> c.FILL_TAG_SHIFT) & 31)     # the venue's tag of the fill
    self._close_booking(b, taker, kind, strike, state.lower, state.upper)
    self._require_covered(taker)
    if recorded != 0:
        recorded |= ((b.fees >> CAP_SHIFT) & MAX_CAP) << MAX_BATCH     # the maker fee rate of the records
    return recorded


@pure
@internal
def _check_trade(live: bool, kind: uint8, strike: uint256):
    """
    @dev The instrument of a taker order: `live` is the venue's trading state (checked here,
         once for both entry points), a known kind, a future with strike 0, an option a
         strike in (0, STRIKE_LIMIT).
    """
    assert live, "clearinghouse: series not live"
    assert kind <= c.PUT, "clearinghouse: bad kind"
    assert (kind == c.FUTURE) == (strike == 0) and strike < STRIKE_LIMIT, "clearinghouse: bad strike"


@pure
@internal
def _check_nonzero(account: address):
    """
    @dev An account a setter stores (one assert site for the reason).
    """
    assert account != empty(address), "clearinghouse: zero address"


@pure
@internal
def _check_qty(qty: uint256):
    """
    @dev Some lots (one assert site for the reason: each costs code).
    """
    assert qty > 0, "clearinghouse: zero quantity"


@pure
@internal
def _check_price(price: uint256, lower: uint256, upper: uint256):
    """
    @dev A price in [lower, upper] (one assert site).
    """
    assert price >= lower and price <= upper, "clearinghouse: price out of range"


@pure
@internal
def _check_reducing(ok: bool):
    """
    @dev Reduce-only mode: the trade or order must not add exposure (one assert site).
    """
    assert ok, "clearinghouse: reduce only"


@pure
@internal
def _check_covered(ok: bool):
    """
    @dev The account's balance covers what it needs (one assert site).
    """
    assert ok, "clearinghouse: insufficient collateral"


@pure
@internal
def _check_fill(f: IClearinghouse.MakerFill, taker: address, kind: uint8, lower: uint256, upper: uint256):
    """
    @dev One fill of a taker order: another account, some lots, a futures price inside the
         venue's range [lower, upper].
    """
    assert f.maker != taker, "clearinghouse: self trade"
    self._check_qty(f.qty)
    if kind == c.FUTURE:
        self._check_price(f.price, lower, upper)


@internal
def _book_taker(registry: address, taker: address, expiry: uint256, kind: uint8, strike: uint256, taker_is_buy: bool, qty: uint256, cost: uint256, reduce_only: bool, listed: uint256) -> Booking:
    """
    @dev The taker's half of a taker order, once for all its fills (`qty` lots, Σ price·qty
         `cost`): its position (its own failures revert it, whatever the makers' state) and
         the open interest it moves. The entry point then books each maker (`_maker_fill`)
         and closes the booking (`_close_booking`). The fills stay in the entry point's
         frame: passing them down would copy up to MAX_BATCH of them into a frame of their
         own, and every taker order pays the memory expansion up to the highest frame.
    """
    delta: int256 = convert(qty, int256)
    cost_delta: int256 = convert(cost, int256)
    if not taker_is_buy:
        delta = -delta
        cost_delta = -cost_delta
    b: Booking = empty(Booking)
    b.sid = self._sid(registry, expiry)
    b.caps = self.caps[registry]
    b.cap = (b.caps >> CAP_SHIFT) & MAX_CAP
    self._open(taker, b.sid, registry, expiry, WHO_TAKER)
    b.oi_start = self.oi[b.sid][kind]
    b.oi_now = convert(convert(b.oi_start, int256) + self._apply(taker, b.sid, kind, strike, cost_delta, delta, reduce_only, self._room(b.cap, listed), WHO_TAKER), uint256)
    b.fees = self.fees
    b.fee_to = self._fee_to(b.caps, b.fees)
    return b


@internal
def _close_booking(b: Booking, taker: address, kind: uint8, strike: uint256, lower: uint256, upper: uint256):
    """
    @dev After the makers: the open interest (cap checked once, on the total), the taker's
         requirement and its fee (the sum of the per-fill fees, each rounded up, in one
         transfer).
    """
    if b.oi_now != b.oi_start:
        assert b.oi_now <= b.oi_start or b.oi_now <= b.caps & MAX_CAP, "clearinghouse: open interest cap"
        self.oi[b.sid][kind] = b.oi_now
    self._refresh(taker, b.sid, lower, upper)
    if b.taker_fee > 0:
        extcall vault.transfer_internal(taker, b.fee_to, b.taker_fee)


# ---------------------------------------------------------------- governance

@external
def register_market(registry: address, book: address):
    """
    @notice Registers a market: its SeriesRegistry (a contract) and its OrderBook, one to
            one, for good. The book must be a venue contract that names this Clearinghouse
            and `registry`, and the registry must confirm it (`is_venue`); an account is
            never a book. Caps start at DEFAULT_OI_CAP and DEFAULT_POSITION_CAP. Owner only.
    """
    ownable._check_owner()
    assert registry.is_contract, "clearinghouse: not a contract"
    self._check_nonzero(book)
    assert registry != book, "clearinghouse: registry is book"
    assert self.book_of[registry] == empty(address) and self.venues[registry] == 0, "clearinghouse: market registered"
    assert self.venues[book] == 0 and self.book_of[book] == empty(address), "clearinghouse: book registered"
    assert self._venue_registry(book) == registry, "clearinghouse: venue of another market"
    self.book_of[registry] = book
    self.venues[book] = convert(registry, uint256) | IS_BOOK
    self.caps[registry] = DEFAULT_OI_CAP | DEFAULT_POSITION_CAP << CAP_SHIFT    # global fee account
    log IClearinghouse.MarketRegistered(registry=registry, book=book)
    log IClearinghouse.VenueRegistered(registry=registry, venue=book)
    log IClearinghouse.CapsSet(registry=registry, oi_cap=DEFAULT_OI_CAP, position_cap=DEFAULT_POSITION_CAP)


@external
def register_venue(venue: address):
    """
    @notice Registers a further venue (an OptionsPool) of an already registered market,
            once and for good (never replaced): a contract naming this Clearinghouse and
            its registry, which confirms it with `is_venue`. It may then reserve, release,
            settle fills and check collateral like the market's book. Owner only.
    @param venue The venue contract; its market is `venue.registry()`.
    """
    ownable._check_owner()
    registry: address = self._venue_registry(venue)
    self._check_market(registry)
    assert self.venues[venue] == 0 and self.book_of[venue] == empty(address), "clearinghouse: venue registered"
    self.venues[venue] = convert(registry, uint256)
    log IClearinghouse.VenueRegistered(registry=registry, venue=venue)


@external
def set_caps(registry: address, oi_cap_: uint256, position_cap_: uint256):
    """
    @notice Sets a market's open-interest cap (lots, per series and kind: Σ long lots) and
            position cap (lots, per account and instrument: |qty|). 1..MAX_CAP each. Caps
            are checked only when a fill adds exposure (OI rises; a size grows or flips),
            so a lowered cap never blocks reducing trades. Owner only.
    """
    ownable._check_owner()
    self._check_market(registry)
    assert oi_cap_ > 0 and oi_cap_ <= MAX_CAP and position_cap_ > 0 and position_cap_ <= MAX_CAP, "clearinghouse: cap out of bounds"
    self.caps[registry] = (self.caps[registry] >> FEE_TO_SHIFT << FEE_TO_SHIFT) | oi_cap_ | position_cap_ << CAP_SHIFT
    log IClearinghouse.CapsSet(registry=registry, oi_cap=oi_cap_, position_cap=position_cap_)


@external
def set_fees(taker_fee_bps_: uint256, maker_fee_bps_: uint256):
    """
    @notice Sets the taker and maker fee rates (bps of notional, each <= MAX_FEE_BPS). Orders
            already resting keep the maker-fee reserve of their time. Owner only.
    """
    ownable._check_owner()
    assert taker_fee_bps_ <= MAX_FEE_BPS and maker_fee_bps_ <= MAX_FEE_BPS, "clearinghouse: fee too high"
    self.fees = (self.fees >> FEE_TO_SHIFT << FEE_TO_SHIFT) | taker_fee_bps_ | maker_fee_bps_ << CAP_SHIFT
    log IClearinghouse.FeesSet(taker_fee_bps=taker_fee_bps_, maker_fee_bps=maker_fee_bps_)


@external
def set_fee_account(fee_account_: address):
    """
    @notice Sets the vault account that receives fees (not empty). Owner only.
    """
    ownable._check_owner()
    self._check_nonzero(fee_account_)
    self.fees = (self.fees & (2**FEE_TO_SHIFT - 1)) | convert(convert(fee_account_, uint160), uint256) << FEE_TO_SHIFT
    log IClearinghouse.FeeAccountSet(fee_account=fee_account_)


@external
def set_market_fee_account(registry: address, account: address):
    """
    @notice Sets the vault account that receives the fees of one market's fills (e.g. its
            OptionsPool); empty returns the market to the global `fee_account`. Owner only.
    """
    ownable._check_owner()
    self._check_market(registry)
    self.caps[registry] = (self.caps[registry] & (2**FEE_TO_SHIFT - 1)) | convert(convert(account, uint160), uint256) << FEE_TO_SHIFT
    log IClearinghouse.MarketFeeAccountSet(registry=registry, account=account)


@view
@external
def registry_of(venue: address) -> address:
    """
    @notice The registry (market) of a registered venue (its book or a pool); empty if none.
    """
    return self._registry(self.venues[venue])


@view
@external
def fee_account_of(registry: address) -> address:
    """
    @notice The account that receives the fees of `registry`'s fills: its own fee account,
            else the global `fee_account`.
    """
    return self._fee_to(self.caps[registry], self.fees)


# ---------------------------------------------------------------- packed fees and caps

@view
@external
def fee_account() -> address:
    """
    @notice The vault account that receives the fees of every market without its own.
    """
    return convert(convert(self.fees >> FEE_TO_SHIFT, uint160), address)

@view
@external
def taker_fee_bps() -> uint256:
    """
    @notice Taker fee, bps of notional (<= MAX_FEE_BPS).
    """
    return self.fees & MAX_CAP


@view
@external
def maker_fee_bps() -> uint256:
    """
    @notice Maker fee, bps of notional (<= MAX_FEE_BPS); an order reserves it with its worst case.
    """
    return (self.fees >> CAP_SHIFT) & MAX_CAP


@view
@external
def oi_cap(registry: address) -> uint256:
    """
    @notice Lots: the market's max open interest of one (series, kind) (0 = not registered).
    """
    return self.caps[registry] & MAX_CAP


@view
@external
def position_cap(registry: address) -> uint256:
    """
    @notice Lots: the market's max |qty| of one account in one instrument (0 = not registered).
    """
    return (self.caps[registry] >> CAP_SHIFT) & MAX_CAP
