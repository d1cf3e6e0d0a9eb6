# pragma version ~=0.4.3
"""
@title Price-level bitmap
@notice A two-level bitmap over price indices, one per book side (a `bytes32` key): leaf
        word `w` holds indices `255·w .. 255·w + 254` in its bits 0..254, and one summary
        word marks the non-empty leaf words in its bits 0..254. So the index space is
        `0 .. MAX_PRICE_INDEX − 1` (255 × 255 = 65,025 ticks) and every operation costs at
        most three storage reads: finding the next non-empty level above or below an index
        never scans empty levels. Marking and clearing an index is O(1) (the summary
        changes only when a leaf word becomes non-empty or empty).
        Bit 255 of every word is KEPT, never an index: a word emptied by a CANCEL keeps it, so
        the word stays non-zero and the next order on that side writes it for 2,900 gas, not
        20,000 (docs/architecture.md §16: never clear a slot only to write it again). A
        cancel's refunds are already at the EIP-3529 cap (gas used / 5) from the order's two
        words and its level, so zeroing the bitmap gave the canceller nothing. A word
        emptied by a FILL is zeroed: the taker's refunds are under the cap, so the 4,800 is
        the taker's. Readers mask KEPT off (`LIVE`).
@custom:security Pure index structure: no external calls, no loops (bit search is a
        fixed 8-step binary search). The caller keeps the per-level FIFO lists and must
        mark an index exactly when its level becomes non-empty and clear it exactly when
        its level becomes empty. Invariant: summary bit `w` is set iff leaf word `w` has a
        bit set below 255.
"""

INDEX_BITS: constant(uint256) = 255                        # price indices per leaf word (bits 0..254)
WORDS: constant(uint256) = 255                             # leaf words per side (summary bits 0..254)
MAX_PRICE_INDEX: constant(uint256) = INDEX_BITS * WORDS   # 65,025 price indices per side
EMPTY: constant(uint256) = max_value(uint256)              # "no level" sentinel
KEPT: constant(uint256) = 1 << 255                         # a word emptied by a cancel (never an index)
LIVE: constant(uint256) = KEPT - 1                         # the index bits of a word

leaf: HashMap[bytes32, HashMap[uint256, uint256]]  # @dev side -> word index -> bitmap of 255 price indices | KEPT
summary: HashMap[bytes32, uint256]                 # @dev side -> bitmap of non-empty leaf words | KEPT


@pure
@internal
def _msb(x: uint256) -> uint256:
    """
    @dev Index of the most significant set bit of `x` (x != 0): fixed binary search.
    """
    r: uint256 = 0
    y: uint256 = x
    if y >= 1 << 128:
        y >>= 128
        r += 128
    if y >= 1 << 64:
        y >>= 64
        r += 64
    if y >= 1 << 32:
        y >>= 32
        r += 32
    if y >= 1 << 16:
        y >>= 16
        r += 16
    if y >= 1 << 8:
        y >>= 8
        r += 8
    if y >= 1 << 4:
        y >>= 4
        r += 4
    if y >= 1 << 2:
        y >>= 2
        r += 2
    if y >= 1 << 1:
        r += 1
    return r


@pure
@internal
def _lsb(x: uint256) -> uint256:
    """
    @dev Index of the least significant set bit of `x` (x != 0): isolate it (two's
         complement `x & −x`), then take its msb.
    """
    return self._msb(x & unsafe_sub(0, x))


@pure
@internal
def _at(wi: uint256, b: uint256) -> uint256:
    """
    @dev The price index of bit `b` (< 255) of leaf word `wi` (< 255): below 65,025, so
         neither the product nor the sum can overflow.
    """
    return unsafe_add(unsafe_mul(wi, INDEX_BITS), b)


@internal
def _mark(side: bytes32, index: uint256):
    """
    @dev Marks `index` non-empty (its level just received its first order).
    """
    wi: uint256 = unsafe_div(index, INDEX_BITS)       # a non-zero constant divisor
    word: uint256 = self.leaf[side][wi]
    if word & LIVE == 0:
        self.summary[side] |= 1 << wi
    self.leaf[side][wi] = word | (1 << (index % INDEX_BITS))


@internal
def _clear(side: bytes32, index: uint256, keep: bool):
    """
    @dev Marks `index` empty (its level just lost its last order). A leaf or summary word
         left without indices becomes KEPT when `keep` (a cancel), else 0 (a fill).
    """
    wi: uint256 = unsafe_div(index, INDEX_BITS)       # a non-zero constant divisor
    word: uint256 = self.leaf[side][wi] & ~(1 << (index % INDEX_BITS))
    if word & LIVE != 0:
        self.leaf[side][wi] = word
        return
    rest: uint256 = 0
    if keep:
        rest = KEPT
    self.leaf[side][wi] = rest
    s: uint256 = self.summary[side] & ~(1 << wi)
    if s & LIVE == 0:
        s = rest
    self.summary[side] = s


@view
@internal
def _next_up(side: bytes32, start: uint256) -> uint256:
    """
    @dev Lowest non-empty index >= `start`, or EMPTY.
    """
    if start >= MAX_PRICE_INDEX:
        return EMPTY
    wi: uint256 = unsafe_div(start, INDEX_BITS)       # a non-zero constant divisor
    b: uint256 = start % INDEX_BITS
    word: uint256 = ((self.leaf[side][wi] & LIVE) >> b) << b          # drop indices below start
    if word != 0:
        return self._at(wi, self._lsb(word))
    if wi == WORDS - 1:
        return EMPTY
    s: uint256 = ((self.summary[side] & LIVE) >> (wi + 1)) << (wi + 1)  # leaf words above wi
    if s == 0:
        return EMPTY
    wi = self._lsb(s)
    return self._at(wi, self._lsb(self.leaf[side][wi]))     # a live bit is below KEPT


@view
@internal
def _next_down(side: bytes32, start: uint256) -> uint256:
    """
    @dev Highest non-empty index <= `start` (start < MAX_PRICE_INDEX), or EMPTY.
    """
    wi: uint256 = unsafe_div(start, INDEX_BITS)       # a non-zero constant divisor
    b: uint256 = unsafe_sub(255, start % INDEX_BITS)  # 1 .. 255: no underflow
    word: uint256 = ((self.leaf[side][wi] & LIVE) << b) >> b          # drop indices above start
    if word != 0:
        return self._at(wi, self._msb(word))
    if wi == 0:
        return EMPTY
    c: uint256 = unsafe_sub(256, wi)                                  # 2 .. 255: no underflow
    s: uint256 = ((self.summary[side] & LIVE) << c) >> c              # leaf words below wi
    if s == 0:
        return EMPTY
    wi = self._msb(s)
    return self._at(wi, self._msb(self.leaf[side][wi] & LIVE))


@view
@internal
def _best(side: bytes32, descending: bool) -> uint256:
    """
    @dev Best index of a side: highest for bids (`descending`), lowest for asks; EMPTY when empty.
         From the summary word down: two storage reads (one when the side is empty), where
         `_next_up(side, 0)` / `_next_down(side, MAX_PRICE_INDEX − 1)` would first read the
         edge leaf word, empty on almost every book (a cold read each order).
    """
    s: uint256 = self.summary[side] & LIVE
    if s == 0:
        return EMPTY
    wi: uint256 = 0
    if descending:
        wi = self._msb(s)
        return self._at(wi, self._msb(self.leaf[side][wi] & LIVE))
    wi = self._lsb(s)
    return self._at(wi, self._lsb(self.leaf[side][wi]))     # a live bit is below KEPT


@view
@internal
def _after(side: bytes32, index: uint256, descending: bool) -> uint256:
    """
    @dev The next non-empty index strictly worse than `index` (lower for bids), or EMPTY.
    """
    if descending:
        if index == 0:
            return EMPTY
        return self._next_down(side, index - 1)
    return self._next_up(side, index + 1)
