# pragma version ~=0.4.3
"""
@title Rangebound strike grid
@notice The options strike grid of every series of a market, in packed words
        (docs/architecture.md §5, §16). A series' grid is its N uniform strikes at listing,
        K_i = L0 + i·(U0 − L0)/(N + 1), i = 1..N (nearest tick, ties up: `range_math`), plus
        the midpoints inserted after range updates. Storage per series:
        - one listing word: L0, U0 and N (the uniform strikes are recomputed, never stored);
        - the inserted midpoints, ascending, as offsets on the tick grid from L0
          ((K − L0) / tick, exact: every strike and L0 are multiples of the tick), packed
          256 / w to a word, where the width w (16, 32, 64 or 128 bits) is the smallest that holds
          (U0 − L0) / tick. An offset is never 0 (every inserted strike is above the range's
          lower bound, itself at or above L0), so the first 0 ends the list: no length slot.
        Inserting strikes rewrites only the words it changes (an unchanged word costs a warm
        100-gas SSTORE); a new word is only started every 256 / w strikes.
        Loop bounds: MAX_INSERTED offsets in at most MAX_WORDS words, MAX_PER_WORD per word,
        range_math.MAX_UNIFORM_STRIKES uniform strikes, c.MAX_STRIKES merged strikes.
@custom:security Only the initializing contract writes (`_list`, `_refill`). The listing word
        is written once per expiry; L0 < 2**96 and U0 < 2**128 are checked at listing (the
        registry only lists around an index below 2**96, so these never fail).
"""

from contracts.modules import constants as c
from contracts.modules import range_math

# inserted midpoints per series: a series holds at most MAX_STRIKES strikes and at least
# MIN_ACTIVE_STRIKES uniform ones (N >= 20, all distinct when the uniform spacing is at least
# a tick; with a smaller spacing the uniform strikes already cover every tick of the range)
MAX_INSERTED: constant(uint256) = c.MAX_STRIKES - c.MIN_ACTIVE_STRIKES
# offsets per word at the narrowest width (16 bits)
MAX_PER_WORD: constant(uint256) = 16
# words of offsets at the widest width (128 bits, two per word)
MAX_WORDS: constant(uint256) = MAX_INSERTED // 2
# listing word: L0 in bits 0..95, U0 in bits 96..223, N in bits 224..231, listing day 232..255
L0_BITS: constant(uint256) = 96
U0_BITS: constant(uint256) = 128
N_SHIFT: constant(uint256) = 224
DAY_SHIFT: constant(uint256) = 232


struct Grid:
    lo0: uint256        # raw units/lot, range at listing: lower bound
    hi0: uint256        # raw units/lot, range at listing: upper bound
    n: uint256          # uniform strikes at listing
    listed_at: uint256  # unix s, the 08:00 UTC update that listed the series
    width: uint256      # bits per inserted offset (16, 32, 64 or 128)


# @dev expiry -> listing word: L0 (bits 0..95) | U0 (96..223) | N (224..231) | UTC day number
#      of the listing (232..255; listings are at 08:00 UTC); 0 = not listed
listing: HashMap[uint256, uint256]
# @dev expiry -> word index -> inserted midpoints as tick offsets from L0, ascending, packed
#      256 / width to a word (offset j in bits (j % per)·width ..); 0 ends the list
inserted_words: HashMap[uint256, uint256[MAX_WORDS]]


@internal
def _list(expiry: uint256, lo0: uint256, hi0: uint256, n: uint256, at: uint256):
    """
    @dev Records a series' listing grid (range [lo0, hi0], n uniform strikes, listed at the
         08:00 UTC `at`), once.
    """
    assert lo0 < 2**L0_BITS and hi0 < 2**U0_BITS and n <= range_math.MAX_UNIFORM_STRIKES, "grid: listing too large"
    self.listing[expiry] = lo0 | (hi0 << L0_BITS) | (n << N_SHIFT) | (at // c.DAY << DAY_SHIFT)


@view
@internal
def _grid(expiry: uint256, tick: uint256) -> Grid:
    """
    @dev The listing grid of a series and the offset width its inserted strikes use.
    """
    word: uint256 = self.listing[expiry]
    lo0: uint256 = word & (2**L0_BITS - 1)
    hi0: uint256 = (word >> L0_BITS) & (2**U0_BITS - 1)
    steps: uint256 = (hi0 - lo0) // tick
    w: uint256 = 16
    if steps >= 2**64:
        w = 128
    elif steps >= 2**32:
        w = 64
    elif steps >= 2**16:
        w = 32
    listed: uint256 = 0
    if word != 0:
        listed = (word >> DAY_SHIFT) * c.DAY + c.EXPIRY_OFFSET
    return Grid(lo0=lo0, hi0=hi0, n=(word >> N_SHIFT) & 255, listed_at=listed, width=w)


@view
@internal
def _inserted(expiry: uint256, g: Grid, tick: uint256) -> DynArray[uint256, MAX_INSERTED]:
    """
    @dev The inserted midpoints of a series (absolute strikes), ascending.
    """
    out: DynArray[uint256, MAX_INSERTED] = []
    per: uint256 = 256 // g.width
    mask: uint256 = (1 << g.width) - 1
    for j: uint256 in range(MAX_WORDS):
        word: uint256 = self.inserted_words[expiry][j]
        if word == 0:
            break
        for i: uint256 in range(MAX_PER_WORD):
            if i == per:
                break
            off: uint256 = (word >> (i * g.width)) & mask
            if off == 0:
                return out
            out.append(g.lo0 + off * tick)
    return out


@internal
def _store(expiry: uint256, ins: DynArray[uint256, MAX_INSERTED], g: Grid, tick: uint256):
    """
    @dev Writes the inserted midpoints `ins` (ascending, a superset of what is stored: the
         list only grows) as packed offsets; words that do not change cost 100 gas each.
    """
    per: uint256 = 256 // g.width
    word: uint256 = 0
    for i: uint256 in range(len(ins), bound=MAX_INSERTED):
        slot: uint256 = i % per
        word |= ((ins[i] - g.lo0) // tick) << (slot * g.width)
        if slot == per - 1 or i == len(ins) - 1:
            self.inserted_words[expiry][i // per] = word
            word = 0


@pure
@internal
def _uniform_at(g: Grid, tick: uint256, i: uint256) -> uint256:
    # K_i exactly as range_math._uniform_strikes rounds it: nearest tick, ties up
    # unchecked (bytecode size): d <= 51, i <= d, L0 < 2**96, U0 < 2**128: below 2**136
    d: uint256 = unsafe_add(g.n, 1)
    num: uint256 = unsafe_add(unsafe_mul(g.lo0, d), unsafe_mul(i, unsafe_sub(g.hi0, g.lo0)))
    dt: uint256 = unsafe_mul(d, tick)
    return unsafe_mul(unsafe_div(unsafe_add(unsafe_mul(2, num), dt), unsafe_mul(2, dt)), tick)


@pure
@internal
def _uniform_window(g: Grid, tick: uint256, lower: uint256, upper: uint256) -> (uint256, uint256):
    """
    @dev First index and number of the indices i in 1..N whose uniform strike K_i lies strictly
         inside (lower, upper), for multiples of the tick with L0 <= lower < upper. Exact, no
         search: with K_i = floor((2·(L0·d + i·span) + d·tick) / (2·d·tick))·tick (d = N + 1),
         K_i > lower  <=>  i >= ceil(d·(2·(lower − L0) + tick) / (2·span)) and
         K_i < upper  <=>  i <  ceil(d·(2·(upper − L0) − tick) / (2·span)) (rounded UP: exact bounds).
    """
    # unchecked (bytecode size): d <= 51, every price < 2**128, so no product reaches 2**136
    span2: uint256 = unsafe_mul(2, g.hi0 - g.lo0)
    d: uint256 = unsafe_add(g.n, 1)
    a: uint256 = unsafe_mul(d, unsafe_add(unsafe_mul(2, lower - g.lo0), tick))
    b: uint256 = unsafe_mul(d, unsafe_mul(2, upper - g.lo0) - tick)
    first: uint256 = max(unsafe_div(unsafe_add(a, span2 - 1), span2), 1)      # ceil
    end: uint256 = min(unsafe_div(unsafe_add(b, span2 - 1), span2), d)        # ceil
    if end <= first:
        return first, 0
    return first, end - first


@pure
@internal
def _merge(a: DynArray[uint256, MAX_INSERTED], b: DynArray[uint256, MAX_INSERTED]) -> DynArray[uint256, MAX_INSERTED]:
    # sorted merge of two ascending, disjoint lists of inserted strikes; bound: 2 * MAX_INSERTED
    out: DynArray[uint256, MAX_INSERTED] = []
    i: uint256 = 0
    j: uint256 = 0
    for step: uint256 in range(2 * MAX_INSERTED):
        if len(out) == MAX_INSERTED:
            break
        if i < len(a) and (j >= len(b) or a[i] < b[j]):
            out.append(a[i])
            i += 1
        elif j < len(b):
            out.append(b[j])
            j += 1
        else:
            break
    return out


@view
@internal
def _strikes(expiry: uint256, tick: uint256) -> DynArray[uint256, c.MAX_STRIKES]:
    """
    @dev Every strike of a listed series, ascending: the uniform strikes exactly as
         range_math._uniform_strikes lists them (strictly inside (L0, U0), duplicates dropped),
         interleaved with the inserted midpoints (never equal to a uniform strike: a midpoint
         is strictly inside a gap between active strikes, and an inactive strike never becomes
         active again).
    """
    g: Grid = self._grid(expiry, tick)
    ins: DynArray[uint256, MAX_INSERTED] = self._inserted(expiry, g, tick)
    out: DynArray[uint256, c.MAX_STRIKES] = []
    j: uint256 = 0
    last: uint256 = 0
    for i: uint256 in range(1, range_math.MAX_UNIFORM_STRIKES + 2):
        k: uint256 = max_value(uint256)             # after the last uniform strike: the rest
        if i <= g.n:
            k = self._uniform_at(g, tick, i)
            if k <= g.lo0 or k >= g.hi0 or k == last:
                continue
            last = k
        for q: uint256 in range(MAX_INSERTED):
            if j == len(ins) or ins[j] > k:
                break
            out.append(ins[j])
            j += 1
        if i > g.n:
            break
        out.append(k)
    return out


@view
@internal
def _on_grid(expiry: uint256, strike: uint256, tick: uint256) -> bool:
    """
    @dev Grid membership of a strike with L0 < strike < U0 (callers ask only inside the
         current range), without building the grid: a uniform
         strike equals `strike` (a multiple of the tick) iff some K_i lies strictly inside
         (strike − tick, strike + tick) (`_uniform_window`); else the inserted midpoints.
    """
    if strike % tick != 0:
        return False
    g: Grid = self._grid(expiry, tick)
    first: uint256 = 0
    count: uint256 = 0
    first, count = self._uniform_window(g, tick, strike - tick, strike + tick)
    return count != 0 or strike in self._inserted(expiry, g, tick)


@internal
def _refill(expiry: uint256, lower: uint256, upper: uint256, tick: uint256) -> DynArray[uint256, c.MIN_ACTIVE_STRIKES]:
    """
    @dev After a range update (or at listing): while fewer than MIN_ACTIVE_STRIKES strikes are
         strictly inside (lower, upper), insert midpoints (range_math._midpoints_active, the
         exact rule of `_midpoints`) and store them. Returns the strikes inserted, ascending.
         Counts the active strikes first without building a list (the usual day inserts
         nothing); only then builds the active strikes, ascending.
    """
    g: Grid = self._grid(expiry, tick)
    if g.hi0 - g.lo0 < (g.n + 1) * tick:
        # uniform spacing below a tick: the uniform strikes are every tick strictly inside
        # (L0, U0), so no gap is wider than a tick and `_midpoints` inserts nothing
        return []
    # spacing of at least a tick: the N uniform strikes are distinct and inside (L0, U0)
    first: uint256 = 0
    count: uint256 = 0
    first, count = self._uniform_window(g, tick, lower, upper)
    ins: DynArray[uint256, MAX_INSERTED] = self._inserted(expiry, g, tick)
    active: uint256 = count
    for k: uint256 in ins:
        if k > lower and k < upper:
            active += 1
    if active >= c.MIN_ACTIVE_STRIKES:
        return []
    # the active strikes, ascending: uniform K_first.. interleaved with the active inserted
    pts: DynArray[uint256, c.MIN_ACTIVE_STRIKES] = []
    j: uint256 = 0
    for q: uint256 in range(range_math.MAX_UNIFORM_STRIKES + 1):
        k: uint256 = upper                          # after the last active uniform strike: the rest
        if q < count:
            k = self._uniform_at(g, tick, first + q)
        for r: uint256 in range(MAX_INSERTED):
            if j == len(ins) or ins[j] > k:
                break
            if ins[j] > lower and ins[j] < upper:
                pts.append(ins[j])
            j += 1
        if q >= count:
            break
        pts.append(k)
    new: DynArray[uint256, c.MIN_ACTIVE_STRIKES] = range_math._midpoints_active(
        pts, g.n + len(ins), lower, upper, tick
    )
    if len(new) != 0:
        self._store(expiry, self._merge(ins, new), g, tick)
    return new
