# pragma version ~=0.4.3
"""
@title LevelsHarness
@notice Test harness: the `price_levels` module's bit searches (`_msb`, `_lsb`) exposed in
        batches, so they can be checked against Python's `int.bit_length` on every single-bit
        word, every step boundary and random words. Holds no funds; not part of the system.
"""

from contracts.modules import price_levels

initializes: price_levels

BATCH: constant(uint256) = 256    # words per call


@pure
@external
def msb(xs: DynArray[uint256, BATCH]) -> DynArray[uint256, BATCH]:
    out: DynArray[uint256, BATCH] = []
    for x: uint256 in xs:
        out.append(price_levels._msb(x))
    return out


@pure
@external
def lsb(xs: DynArray[uint256, BATCH]) -> DynArray[uint256, BATCH]:
    out: DynArray[uint256, BATCH] = []
    for x: uint256 in xs:
        out.append(price_levels._lsb(x))
    return out
