"""Packed strike grid: contracts/modules/strike_grid.vy (through GridHarness) against rangebound.ranges.

The grid keeps a series' listing range and N in one word and its inserted midpoints as packed
tick offsets (16, 32, 64 or 128 bits each); its refill must insert exactly what `ranges.midpoints`
inserts for the whole grid, and its loops are driven to their bounds: MAX_INSERTED midpoints,
MAX_PER_WORD offsets per word (16-bit), MAX_WORDS words (128-bit).
"""

from __future__ import annotations

import itertools
import random

import ape
import pytest

from rangebound.constants import MAX_STRIKES, MAX_UNIFORM_STRIKES, MIN_ACTIVE_STRIKES
from rangebound.models import ranges as rg

MAX_INSERTED = MAX_STRIKES - MIN_ACTIVE_STRIKES          # strike_grid.MAX_INSERTED
AT = 1_764_403_200 + 8 * 3600                            # an 08:00 UTC (2025-11-29)


@pytest.fixture(scope="module")
def grid(project, accounts):
    return project.GridHarness.deploy(sender=accounts[0])


def _model_strikes(lo0: int, hi0: int, n: int, tick: int, inserted: list[int]) -> list[int]:
    return sorted(set(rg.uniform_strikes(lo0, hi0, n, tick)) | set(inserted))


def _widest_gap(strikes: list[int]) -> tuple[int, int]:
    return max(itertools.pairwise(strikes), key=lambda ab: ab[1] - ab[0])


def _fill_to_the_bound(grid, expiry: int, lo0: int, hi0: int, tick: int, sender) -> list[int]:
    """Three refills, each with a range inside the widest gap (no active strike): 20 + 20 + 4
    midpoints, the series then holds MAX_STRIKES; a fourth inserts nothing. Every refill is
    compared with the model's midpoints over the whole grid."""
    grid.list_series(expiry, lo0, hi0, MIN_ACTIVE_STRIKES, AT, sender=sender)
    inserted: list[int] = []
    for want in (20, 20, 4, 0):
        all_strikes = _model_strikes(lo0, hi0, MIN_ACTIVE_STRIKES, tick, inserted)
        lower, upper = _widest_gap(all_strikes)
        expected = rg.midpoints(all_strikes, lower, upper, tick)
        assert len(expected) == want
        assert list(grid.refill.call(expiry, lower, upper, tick)) == expected
        grid.refill(expiry, lower, upper, tick, sender=sender)
        inserted = sorted(inserted + expected)
        assert list(grid.inserted(expiry, tick)) == inserted
        assert list(grid.strikes(expiry, tick)) == _model_strikes(lo0, hi0, MIN_ACTIVE_STRIKES, tick, inserted)
    assert len(inserted) == MAX_INSERTED
    assert len(grid.strikes(expiry, tick)) == MAX_STRIKES
    return inserted


def test_refill__max_inserted_at_16_bit_offsets__sixteen_per_word_three_words(grid, accounts):
    inserted = _fill_to_the_bound(grid, 1, 1_000, 1_000 + 21 * 1_000, 1, accounts[0])
    assert grid.grid(1, 1).width == 16
    words = [grid.word(1, j) for j in range(MAX_INSERTED // 2)]
    assert all(w != 0 for w in words[:3]) and all(w == 0 for w in words[3:])   # 44 = 2·16 + 12
    assert words[2] >> 192 == 0 and words[1] >> 240 != 0                        # last word 12 of 16
    assert [(words[j // 16] >> (16 * (j % 16))) & (2**16 - 1) for j in range(44)] == [k - 1_000 for k in inserted]


def test_refill__max_inserted_at_32_bit_offsets__eight_per_word_six_words(grid, accounts):
    inserted = _fill_to_the_bound(grid, 5, 1_000, 1_000 + 21 * 10_000, 1, accounts[0])
    assert grid.grid(5, 1).width == 32
    words = [grid.word(5, j) for j in range(MAX_INSERTED // 2)]
    assert all(w != 0 for w in words[:6]) and all(w == 0 for w in words[6:])   # 44 = 5·8 + 4
    assert [(words[j // 8] >> (32 * (j % 8))) & (2**32 - 1) for j in range(44)] == [k - 1_000 for k in inserted]


def test_refill__max_inserted_at_128_bit_offsets__fills_max_words(grid, accounts):
    tick = 10**6
    lo0 = 2**95 // tick * tick                 # near the top of the listing-lower field
    hi0 = lo0 + 2**66 * tick                   # 2**66 ticks: offsets need 128 bits
    inserted = _fill_to_the_bound(grid, 2, lo0, hi0, tick, accounts[0])
    assert grid.grid(2, tick).width == 128
    assert all(grid.word(2, j) != 0 for j in range(MAX_INSERTED // 2))        # all 22 words
    assert list(grid.inserted(2, tick)) == inserted


def test_refill__64_bit_offsets__four_per_word(grid, accounts):
    lo0, tick = 5 * 10**12, 1
    _fill_to_the_bound(grid, 3, lo0, lo0 + 2**40, tick, accounts[0])
    assert grid.grid(3, tick).width == 64
    assert all(grid.word(3, j) != 0 for j in range(11)) and grid.word(3, 11) == 0


def test_refill__spacing_below_a_tick__inserts_nothing_like_the_model(grid, accounts):
    lo0, hi0, n, tick = 1_000, 1_030, 25, 1     # 30 ticks, 26 gaps: every inner tick is a strike
    grid.list_series(4, lo0, hi0, n, AT, sender=accounts[0])
    strikes = rg.uniform_strikes(lo0, hi0, n, tick)
    assert rg.midpoints(strikes, 1_001, 1_029, tick) == []
    grid.refill(4, 1_001, 1_029, tick, sender=accounts[0])
    assert list(grid.inserted(4, tick)) == [] and list(grid.strikes(4, tick)) == strikes
    assert all(grid.on_grid(4, k, tick) for k in strikes)


def test_refill__random_shrinking_ranges__exact_mirror_of_midpoints(grid, accounts):
    rnd = random.Random(13)
    for expiry in range(10, 16):
        tick = rnd.choice([1, 5, 100])
        lo0 = rnd.randrange(1, 10**6) * tick
        hi0 = lo0 + rnd.randrange(60, 5_000) * tick
        n = MAX_UNIFORM_STRIKES if expiry == 10 else rnd.randrange(20, MAX_UNIFORM_STRIKES + 1)
        grid.list_series(expiry, lo0, hi0, n, AT, sender=accounts[0])
        lower, upper, inserted = lo0, hi0, []
        for _day in range(6):                      # the range shrinks, as the registry's does
            lower += rnd.randrange(0, (upper - lower) // 3 // tick + 1) * tick
            upper -= rnd.randrange(0, (upper - lower) // 3 // tick + 1) * tick
            if upper - lower < 2 * tick:
                break
            expected = rg.midpoints(_model_strikes(lo0, hi0, n, tick, inserted), lower, upper, tick)
            grid.refill(expiry, lower, upper, tick, sender=accounts[0])
            inserted = sorted(inserted + expected)
            assert list(grid.inserted(expiry, tick)) == inserted
        strikes = _model_strikes(lo0, hi0, n, tick, inserted)
        assert list(grid.strikes(expiry, tick)) == strikes
        on = set(strikes)
        for k in strikes[::3]:
            for probe in (k - tick, k, k + tick, k + 1):
                if lo0 < probe < hi0:              # the grid is asked only inside the range
                    assert grid.on_grid(expiry, probe, tick) == (probe in on)


def test_uniform_window__random__counts_the_model_strikes_strictly_inside(grid):
    rnd = random.Random(7)
    for _ in range(40):
        tick = rnd.choice([1, 10, 10**4])
        n = rnd.randrange(20, 51)
        lo0 = rnd.randrange(0, 10**9) * tick
        hi0 = lo0 + rnd.randrange(n + 1, 50 * n) * tick            # spacing of at least a tick
        lower = lo0 + rnd.randrange(0, (hi0 - lo0) // tick) * tick
        upper = lower + rnd.randrange(1, (hi0 - lower) // tick + 1) * tick
        uni = rg.uniform_strikes(lo0, hi0, n, tick)
        inside = [i + 1 for i, k in enumerate(uni) if lower < k < upper]
        first, count = grid.uniform_window(lo0, hi0, n, tick, lower, upper)
        assert count == len(inside)
        if inside:
            assert first == inside[0]


def test_list__listing_lower_beyond_96_bits__reverts(grid, accounts):
    with ape.reverts("grid: listing too large"):
        grid.list_series(99, 2**96, 2**96 + 10**6, 25, AT, sender=accounts[0])
    assert grid.grid(99, 1).hi0 == 0                # nothing listed
