"""The price-level bitmap's bit searches (`price_levels._msb`, `_lsb`, through
`contracts/harness/LevelsHarness.vy`) against Python's `int.bit_length`: every single-bit word,
every boundary of the branchless binary search's steps (2**(2**k) - 1 and its neighbours, for
every shift the earlier steps can leave), and seeded random words of every length."""

from __future__ import annotations

import random

HARNESS = "LevelsHarness"  # deployed by the `harness` fixture (tests/unit/conftest.py)
BATCH = 256


def _msb(x: int) -> int:
    return x.bit_length() - 1


def _lsb(x: int) -> int:
    return (x & -x).bit_length() - 1


def _inputs() -> list[int]:
    rng = random.Random(255)
    xs = {1 << b for b in range(256)}
    for b in range(256):                      # every threshold 2**n - 1 at every position
        for d in (-1, 0, 1):
            v = (1 << b) + d
            if 0 < v < 2**256:
                xs.add(v)
    xs |= {(2**256 - 1) >> s for s in range(256)}
    xs |= {rng.getrandbits(rng.randint(1, 256)) | 1 << rng.randint(0, 255) for _ in range(1_024)}
    return sorted(x for x in xs if 0 < x < 2**256)


def test_msb_lsb__every_bit_boundaries_and_random__match_bit_length(harness):
    xs = _inputs()
    assert len(xs) > 1_500
    for i in range(0, len(xs), BATCH):
        batch = xs[i:i + BATCH]
        assert list(harness.msb(batch)) == [_msb(x) for x in batch]
        assert list(harness.lsb(batch)) == [_lsb(x) for x in batch]
