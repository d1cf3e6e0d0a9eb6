# pragma version ~=0.4.3
"""
@title Order storage
@notice Resting orders in TWO storage words each and price levels in ONE word each; this
        module owns every bit of their packing (docs/architecture.md §6).
        Order link word: owner (160) | prev id (40) << 160 | next id (40) << 200 |
        price index (16) << 240.
        Order book word: qty lots (64) | reserve raw units (96) << 64 | expiry s (40) << 160 |
        kind (2) << 200 | is_buy (1) << 202 | strike in ticks (53) << 203.
        Level word: head id (40) | tail id (40) << 40 | total qty lots (128) << 80. A level
        is empty when its bitmap bit is clear; its word is then 0 or STALE.
        A level emptied by a FILL is not written at all: its word keeps the head, tail and
        total it had before the fill that emptied it (STALE: its tail order no longer rests,
        so its `o_link` is 0). The taker then pays nothing for the level (it paid 2,900 to
        mark it DIRTY before round 12), and the next order at that price (a maker
        re-quoting) finds the tail's link word empty (one cold read, 2,100) and rewrites the
        word non-zero -> non-zero (2,900, not 20,000): the level's bookkeeping moves from the
        taker's bill to the maker's next order (docs/architecture.md §16). A reader that
        finds a level by price, not through the bitmap (`_insert`, the book's `queue` view),
        checks the link word of the order it names.
        A level emptied by a CANCEL is zeroed instead: the order's two words refund 9,600 and
        the EIP-3529 cap (gas used / 5) is ~12,400 on a cancel, so the level's zeroing is
        worth ~2,800 to the canceller, and `cancel` stays under its 50,000 target. (The
        bitmap words it empties refund nothing more: `price_levels` keeps them non-zero.) A
        removed order clears both its words (the refunds; ids are never reused, so a dirty
        order word would help no later order).
@custom:security Pure storage layout: no external calls, no loops. The caller validates
        the ranges (`MAX_ID`, `MAX_QTY`, `MAX_RESERVE`, `MAX_STRIKE_TICKS`, expiry < 2**40)
        before `_insert`, and marks/clears the level's bitmap bit exactly when `_insert`
        reports a new level / `_remove` an emptied one.
"""

from contracts.modules import constants as c

MAX_ID: constant(uint256) = (1 << 40) - 1                 # highest order id (links are 40 bits)
MAX_QTY: constant(uint256) = (1 << 64) - 1                # lots of one order
MAX_RESERVE: constant(uint256) = (1 << 96) - 1            # raw units reserved by one order
MAX_STRIKE_TICKS: constant(uint256) = (1 << 53) - 1       # option strike / tick

M16: constant(uint256) = (1 << 16) - 1
M40: constant(uint256) = (1 << 40) - 1
M53: constant(uint256) = (1 << 53) - 1
M64: constant(uint256) = (1 << 64) - 1
M96: constant(uint256) = (1 << 96) - 1
M128: constant(uint256) = (1 << 128) - 1
M160: constant(uint256) = (1 << 160) - 1
PREV_SHIFT: constant(uint256) = 160
NEXT_SHIFT: constant(uint256) = 200
INDEX_SHIFT: constant(uint256) = 240
RESERVE_SHIFT: constant(uint256) = 64
EXPIRY_SHIFT: constant(uint256) = 160
KIND_SHIFT: constant(uint256) = 200
BUY_SHIFT: constant(uint256) = 202
STRIKE_SHIFT: constant(uint256) = 203
TAIL_SHIFT: constant(uint256) = 40
TOTAL_SHIFT: constant(uint256) = 80
# a future has no strike: its book word's strike field holds its fill record instead
# (docs/architecture.md §16, "Fill records"): the price index of the fill (16) << 203 | the maker
# fee rate of the fill in bps (6: <= MAX_FEE_BPS 50 < 64) << 219 | IN_INDEX | FILLED
REC_INDEX_SHIFT: constant(uint256) = 203
REC_FEE_SHIFT: constant(uint256) = 219
M6: constant(uint256) = (1 << 6) - 1
IN_INDEX: constant(uint256) = 1 << 254                 # a futures order listed in its owner's `o_index` word (its fills may be recorded)
FILLED: constant(uint256) = 1 << 255                  # a fill record: the order was filled whole and is not folded yet
INDEX_SLOTS: constant(uint256) = 5                    # order ids (40 bits each, bits 0..199) in one `o_index` word
LOTS_SHIFT: constant(uint256) = 200                   # `o_index` bits 200..247: its listed lots (`_listed_lots`)
M48: constant(uint256) = (1 << 48) - 1
USED: constant(uint256) = 1 << 255                    # keeps an emptied `o_index` word non-zero (its next write is 2,900, not 20,000)
FULL: constant(uint256) = 1 << 254                    # `o_index`: its last fold found every slot resting; new orders rest unlisted, unscanned, until a fold frees one

o_link: public(HashMap[uint256, uint256])            # @dev order id -> owner | prev << 160 | next << 200 | price index << 240 (0 = not resting)
o_book: public(HashMap[uint256, uint256])            # @dev order id -> qty lots | reserve raw units << 64 | expiry s << 160 | kind << 200 | is_buy << 202 | strike ticks << 203
levels: public(HashMap[bytes32, HashMap[uint256, uint256]])  # @dev side key -> price index -> head id | tail id << 40 | total lots << 80 (0 or STALE while the level is empty: its bitmap bit decides)
o_index: HashMap[address, HashMap[uint256, uint256]] # @dev owner -> expiry -> up to INDEX_SLOTS futures order ids (40 bits each, 0 = free; its resting IN_INDEX orders and fill records, and dead ids, their words cleared, until a fold drops them) | listed lots << LOTS_SHIFT (lots: Σ lots listed since the last fold, which resets it to the lots of the ids still resting) | FULL | USED


# ---------------------------------------------------------------- word fields

@pure
@internal
def _side(expiry: uint256, kind: uint8, strike: uint256, is_buy: bool) -> bytes32:
    """
    @dev Key of one side of one instrument's book (`levels`' and the bitmaps' first key).
    """
    return keccak256(abi_encode(expiry, kind, strike, is_buy))


@pure
@internal
def _base_of(kind: uint8, stored: uint256) -> uint256:
    """
    @dev Price index offset in ticks of a book side: 1 for premiums (> 0); for futures the
         book's `future_base` word of the expiry, `stored`, holds the base + 1 (0: no futures
         order yet, base 0).
    """
    if kind != c.FUTURE:
        return 1
    if stored == 0:
        return 0
    return stored - 1


@pure
@internal
def _owner(link: uint256) -> address:
    return convert(convert(link & M160, uint160), address)


@pure
@internal
def _next(link: uint256) -> uint256:
    return (link >> NEXT_SHIFT) & M40


@pure
@internal
def _index(link: uint256) -> uint256:
    return link >> INDEX_SHIFT


@pure
@internal
def _qty(book: uint256) -> uint256:
    return book & M64


@pure
@internal
def _reserve(book: uint256) -> uint256:
    return (book >> RESERVE_SHIFT) & M96


@pure
@internal
def _expiry(book: uint256) -> uint256:
    return (book >> EXPIRY_SHIFT) & M40


@pure
@internal
def _kind(book: uint256) -> uint8:
    return convert((book >> KIND_SHIFT) & 3, uint8)


@pure
@internal
def _is_buy(book: uint256) -> bool:
    return (book >> BUY_SHIFT) & 1 != 0


@pure
@internal
def _strike_ticks(book: uint256) -> uint256:
    if (book >> KIND_SHIFT) & 3 == 0:
        return 0                              # a future: the field holds IN_INDEX and the record
    return book >> STRIKE_SHIFT


@pure
@internal
def _record(book: uint256, index: uint256, fee_bps: uint256) -> uint256:
    """
    @dev The fill record of a futures order filled whole (book word `book`, IN_INDEX): the
         word as it rested (lots, reserve still held, expiry, side) with the fill's price
         index and maker fee rate, and FILLED.
    """
    return book | FILLED | (index << REC_INDEX_SHIFT) | (fee_bps << REC_FEE_SHIFT)


@pure
@internal
def _rec_index(book: uint256) -> uint256:
    return (book >> REC_INDEX_SHIFT) & M16


@pure
@internal
def _rec_fee_bps(book: uint256) -> uint256:
    return (book >> REC_FEE_SHIFT) & M6


@pure
@internal
def _pack_book(qty: uint256, reserve: uint256, expiry: uint256, kind: uint8, is_buy: bool, strike_ticks: uint256) -> uint256:
    """
    @dev The order's book word (fields already range-checked by the caller).
    """
    return qty | (reserve << RESERVE_SHIFT) | (expiry << EXPIRY_SHIFT) | (convert(kind, uint256) << KIND_SHIFT) | (convert(is_buy, uint256) << BUY_SHIFT) | (strike_ticks << STRIKE_SHIFT)


@pure
@internal
def _head(lv: uint256) -> uint256:
    return lv & M40


@pure
@internal
def _total(lv: uint256) -> uint256:
    return (lv >> TOTAL_SHIFT) & M128


# ---------------------------------------------------------------- writes

@internal
def _insert(side: bytes32, index: uint256, order_id: uint256, owner: address, book: uint256) -> bool:
    """
    @dev Appends an order to the tail of its level (time priority) and stores both its
         words. Returns True when the level was empty (the caller marks its bitmap bit): its
         word is 0, or STALE (a fill emptied it and left it: its tail no longer rests).
    """
    lv: uint256 = self.levels[side][index]
    link: uint256 = convert(owner, uint256) | (index << INDEX_SHIFT)
    tail: uint256 = (lv >> TAIL_SHIFT) & M40
    tail_link: uint256 = 0
    if tail != 0:
        tail_link = self.o_link[tail]         # 0: the level is STALE (a resting order's link holds its owner)
    fresh: bool = tail_link == 0
    if fresh:
        lv = order_id | (order_id << TAIL_SHIFT) | ((book & M64) << TOTAL_SHIFT)
    else:
        self.o_link[tail] = tail_link | (order_id << NEXT_SHIFT)
        link = link | (tail << PREV_SHIFT)
        lv = (lv & M40) | (order_id << TAIL_SHIFT) | ((((lv >> TOTAL_SHIFT) & M128) + (book & M64)) << TOTAL_SHIFT)
    self.levels[side][index] = lv
    self.o_link[order_id] = link
    self.o_book[order_id] = book
    return fresh


@internal
def _remove(side: bytes32, order_id: uint256, link: uint256, qty: uint256, by_fill: bool, keep: uint256) -> bool:
    """
    @dev Unlinks an order from its level's FIFO list and clears its link word; its book word
         becomes `keep` (0, or its fill record). Returns True when the level became empty
         (the caller clears its bitmap bit): a cancel then zeroes the level's word, a fill
         (`by_fill`) leaves it STALE, unwritten.
    """
    index: uint256 = link >> INDEX_SHIFT
    prev: uint256 = (link >> PREV_SHIFT) & M40
    nxt: uint256 = (link >> NEXT_SHIFT) & M40
    lv: uint256 = self.levels[side][index]
    head: uint256 = lv & M40
    tail: uint256 = (lv >> TAIL_SHIFT) & M40
    if prev != 0:
        self.o_link[prev] = (self.o_link[prev] & ~(M40 << NEXT_SHIFT)) | (nxt << NEXT_SHIFT)
    else:
        head = nxt
    if nxt != 0:
        self.o_link[nxt] = (self.o_link[nxt] & ~(M40 << PREV_SHIFT)) | (prev << PREV_SHIFT)
    else:
        tail = prev
    self.o_link[order_id] = 0
    self.o_book[order_id] = keep
    if head == 0:
        if not by_fill:
            self.levels[side][index] = 0
        return True
    self.levels[side][index] = head | (tail << TAIL_SHIFT) | ((((lv >> TOTAL_SHIFT) & M128) - qty) << TOTAL_SHIFT)
    return False


@pure
@internal
def _free_slot(w: uint256) -> uint256:
    """
    @dev The first free slot of an index word `w`, or INDEX_SLOTS when none is (FULL: the
         last fold found them all resting, so none is looked for). Every slot taken may
         still hold records or dead ids: a fold frees those.
    """
    if w & FULL != 0:
        return INDEX_SLOTS
    for i: uint256 in range(INDEX_SLOTS):
        if (w >> (40 * i)) & M40 == 0:
            return i
    return INDEX_SLOTS


@pure
@internal
def _listed_lots(w: uint256) -> uint256:
    """
    @dev The listed lots of an index word: an upper bound of the lots its owner's fill
         records and listed resting orders of the expiry can still add to its position.
    """
    return (w >> LOTS_SHIFT) & M48


@view
@internal
def _listed_of(owner: address, expiry: uint256) -> uint256:
    """
    @dev The owner's listed lots of `expiry` (`_listed_lots` of its index word).
    """
    return self._listed_lots(self.o_index[owner][expiry])


@internal
def _index_add(owner: address, expiry: uint256, w: uint256, slot: uint256, order_id: uint256, qty: uint256):
    """
    @dev Lists `qty` lots of a futures order about to rest in its owner's index word `w` of
         `expiry` (read by the caller): its id in free `slot` (none when `slot` is
         INDEX_SLOTS: a re-quote's id is already there) and the lots in its listed lots. The
         Clearinghouse's `reserve` checked the listed lots against the position cap first
         (< 2**48: the field cannot carry into FULL).
    """
    new: uint256 = w + (qty << LOTS_SHIFT)
    if slot < INDEX_SLOTS:
        new |= order_id << (40 * slot)
    self.o_index[owner][expiry] = new | USED


@internal
def _shrink(side: bytes32, order_id: uint256, index: uint256, book: uint256, qty: uint256, release: uint256):
    """
    @dev A partial fill: `qty` lots and `release` raw units of reserve leave the order (one
         write of its book word) and its level.
    """
    self.o_book[order_id] = book - qty - (release << RESERVE_SHIFT)
    self.levels[side][index] = self.levels[side][index] - (qty << TOTAL_SHIFT)
