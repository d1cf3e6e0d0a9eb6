# pragma version ~=0.4.3
"""
@title Price-level bitmap
@notice A two-level bitmap over price indices, one per book side (a `bytes32` key): leaf
        word `w` holds indices `256·w .. 256·w + 255`, and one summary word marks the
        non-empty leaf words. So the index space is `0 .. MAX_PRICE_INDEX − 1` (65,536
        ticks) and every operation costs at most three storage reads: finding the next
        non-empty level above or below an index never scans empty levels.
        Marking and clearing an index is O(1) (the summary changes only when a leaf word
        becomes non-empty or empty).
@custom:security Pure index structure: no external calls, no loops (bit search is a
        fixed 8-step binary search). The caller keeps the per-level FIFO lists and must
        mark an index exactly when its level becomes non-empty and clear it exactly when
        its level becomes empty.
"""

WORD_BITS: constant(uint256) = 256
WORDS: constant(uint256) = 256
MAX_PRICE_INDEX: constant(uint256) = WORD_BITS * WORDS   # 65,536 price indices per side
EMPTY: constant(uint256) = max_value(uint256)              # "no level" sentinel

leaf: HashMap[bytes32, HashMap[uint256, uint256]]  # side -> word index -> bitmap of 256 price indices
summary: HashMap[bytes32, uint256]                 # side -> bitmap of non-empty leaf words


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


@internal
def _mark(side: bytes32, index: uint256):
    """
    @dev Marks `index` non-empty (its level just received its first order).
    """
    wi: uint256 = index >> 8
    word: uint256 = self.leaf[side][wi]
    if word == 0:
        self.summary[side] |= 1 << wi
    self.leaf[side][wi] = word | (1 << (index & 255))


@internal
def _clear(side: bytes32, index: uint256):
    """
    @dev Marks `index` empty (its level just lost its last order).
    """
    wi: uint256 = index >> 8
    word: uint256 = self.leaf[side][wi] & ~(1 << (index & 255))
    self.leaf[side][wi] = word
    if word == 0:
        self.summary[side] &= ~(1 << wi)


@view
@internal
def _next_up(side: bytes32, start: uint256) -> uint256:
    """
    @dev Lowest non-empty index >= `start`, or EMPTY.
    """
    if start >= MAX_PRICE_INDEX:
        return EMPTY
    wi: uint256 = start >> 8
    b: uint256 = start & 255
    word: uint256 = (self.leaf[side][wi] >> b) << b          # drop indices below start
    if word != 0:
        return (wi << 8) | self._lsb(word)
    if wi == WORDS - 1:
        return EMPTY
    s: uint256 = (self.summary[side] >> (wi + 1)) << (wi + 1)  # leaf words above wi
    if s == 0:
        return EMPTY
    wi = self._lsb(s)
    return (wi << 8) | self._lsb(self.leaf[side][wi])


@view
@internal
def _next_down(side: bytes32, start: uint256) -> uint256:
    """
    @dev Highest non-empty index <= `start` (start < MAX_PRICE_INDEX), or EMPTY.
    """
    wi: uint256 = start >> 8
    b: uint256 = 255 - (start & 255)
    word: uint256 = (self.leaf[side][wi] << b) >> b          # drop indices above start
    if word != 0:
        return (wi << 8) | self._msb(word)
    if wi == 0:
        return EMPTY
    c: uint256 = WORD_BITS - wi                               # 1 .. 255
    s: uint256 = (self.summary[side] << c) >> c              # leaf words below wi
    if s == 0:
        return EMPTY
    wi = self._msb(s)
    return (wi << 8) | self._msb(self.leaf[side][wi])


@view
@internal
def _best(side: bytes32, descending: bool) -> uint256:
    """
    @dev Best index of a side: highest for bids (`descending`), lowest for asks; EMPTY when empty.
         From the summary word down: two storage reads (one when the side is empty), where
         `_next_up(side, 0)` / `_next_down(side, MAX_PRICE_INDEX − 1)` would first read the
         edge leaf word, empty on almost every book (a cold read each order).
    """
    s: uint256 = self.summary[side]
    if s == 0:
        return EMPTY
    wi: uint256 = 0
    if descending:
        wi = self._msb(s)
        return (wi << 8) | self._msb(self.leaf[side][wi])
    wi = self._lsb(s)
    return (wi << 8) | self._lsb(self.leaf[side][wi])


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
