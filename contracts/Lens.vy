# pragma version ~=0.4.3
"""
@title Lens
@notice Read-only views over the Clearinghouse and the markets' order books for interfaces,
        scripts and integrators: what can be computed from the public views of the
        contracts that keep the state, kept out of them so they stay under EIP-170 with room
        for their trading rules (DESIGN §11: split by role). One per Clearinghouse, for every
        market. It holds no state and moves nothing.
@custom:security Views only: every answer is computed from the Clearinghouse's, the books' and
        the registries' own views in the same call. Loops are bounded by MAX_QUEUE and the
        Clearinghouse's MAX_LEGS.
"""

from interfaces import IClearinghouse
from interfaces import IOrderBook
from interfaces import ISeriesRegistry
from contracts.modules import constants as c
from contracts.modules import margin_math
from contracts.modules import order_store as ost
from contracts.modules import price_levels as pl
from contracts.modules import dead_orders as dead


interface ILegs:
    def option_legs(account: address, registry: address, expiry: uint256) -> DynArray[margin_math.Leg, c.MAX_LEGS]: view


CLEARINGHOUSE: public(immutable(IClearinghouse))    # @dev the Clearinghouse whose markets this lens reads
MAX_QUEUE: public(constant(uint256)) = c.MAX_QUEUE    # order ids per `queue` page


@deploy
def __init__(clearinghouse_: address):
    """
    @param clearinghouse_ The Clearinghouse (a contract).
    """
    assert clearinghouse_.is_contract, "lens: not a contract"
    CLEARINGHOUSE = IClearinghouse(clearinghouse_)


@view
@external
def unclaimed_pnl(account: address, registry: address, expiry: uint256) -> int256:
    """
    @notice P&L `n·S − C + Σ option payoffs` a claim of `account` in a series would apply now,
            raw units, fill records not folded yet included (the Clearinghouse's
            `futures_position`); 0 when the series is not settled, the market is unknown or
            nothing is open (a claimed series holds nothing).
    """
    if staticcall CLEARINGHOUSE.book_of(registry) == empty(address):
        return 0
    s: uint256 = staticcall ISeriesRegistry(registry).settlement_price(expiry)
    if s == 0:
        return 0
    n: int256 = 0
    cost: int256 = 0
    n, cost = staticcall CLEARINGHOUSE.futures_position(account, registry, expiry)
    legs: DynArray[margin_math.Leg, c.MAX_LEGS] = staticcall ILegs(CLEARINGHOUSE.address).option_legs(account, registry, expiry)
    return -margin_math._loss(n, cost, legs, s)


@view
@internal
def _base(b: IOrderBook, expiry: uint256, kind: uint8) -> uint256:
    """
    @dev A book's price index offset in ticks (the book's `_base`, `ost._base_of`).
    """
    stored: uint256 = 0
    if kind == c.FUTURE:
        stored = staticcall b.future_base(expiry)
    return ost._base_of(kind, stored)


@view
@external
def orders(book: address, order_id: uint256) -> IOrderBook.OrderInfo:
    """
    @notice A resting order of a market's `book`: owner, instrument, side, price, lots left
            and reserve left. All fields are zero once it no longer rests (filled, a fill
            record, cancelled, unknown).
    """
    b: IOrderBook = IOrderBook(book)
    link: uint256 = staticcall b.o_link(order_id)
    if link == 0:
        return empty(IOrderBook.OrderInfo)
    word: uint256 = staticcall b.o_book(order_id)
    tick: uint256 = staticcall b.tick()
    return IOrderBook.OrderInfo(
        owner=ost._owner(link),
        expiry=ost._expiry(word),
        kind=ost._kind(word),
        strike=ost._strike_ticks(word) * tick,
        is_buy=ost._is_buy(word),
        price=(ost._index(link) + self._base(b, ost._expiry(word), ost._kind(word))) * tick,
        qty=ost._qty(word),
        reserve=ost._reserve(word),
    )


@view
@external
def is_dead(book: address, order_id: uint256) -> bool:
    """
    @notice Whether a resting order of a market's `book` can never fill again, so that
            anyone may sweep it (`OrderBook.sweep_dead_orders`): its series expired or
            settled, or its option strike inactive (ranges only shrink). False for an order
            that does not rest.
    """
    b: IOrderBook = IOrderBook(book)
    if staticcall b.o_link(order_id) == 0:
        return False
    word: uint256 = staticcall b.o_book(order_id)
    return dead._is_dead(ISeriesRegistry(staticcall b.registry()), ost._expiry(word), ost._kind(word),
                         ost._strike_ticks(word) * staticcall b.tick())


@view
@external
def queue(book: address, expiry: uint256, kind: uint8, strike: uint256, is_buy: bool, price: uint256, max_orders: uint256) -> DynArray[uint256, MAX_QUEUE]:
    """
    @notice Ids of the orders resting at one price level of a market's `book`, oldest (first
            to fill) first, at most min(max_orders, MAX_QUEUE); empty for a price off the
            book's tick grid or outside its price index range.
    """
    out: DynArray[uint256, MAX_QUEUE] = []
    b: IOrderBook = IOrderBook(book)
    tick: uint256 = staticcall b.tick()
    base: uint256 = self._base(b, expiry, kind)
    if price % tick != 0 or price // tick < base or price // tick - base >= pl.MAX_PRICE_INDEX:
        return out
    oid: uint256 = ost._head(staticcall b.levels(ost._side(expiry, kind, strike, is_buy), price // tick - base))
    for i: uint256 in range(MAX_QUEUE):
        if i >= max_orders or oid == 0:
            break
        link: uint256 = staticcall b.o_link(oid)
        if link == 0:
            break                              # a STALE level (`order_store`): nothing rests
        out.append(oid)
        oid = ost._next(link)
    return out
