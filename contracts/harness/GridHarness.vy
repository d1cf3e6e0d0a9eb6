# pragma version ~=0.4.3
"""
@title GridHarness
@notice Test harness: the `strike_grid` module with storage of its own, every internal function
        exposed, so the packed grid can be checked against the Python reference models
        (`rangebound/models/ranges.py`) at its loop bounds. Holds no funds; not part of the system.
"""

from contracts.modules import strike_grid

initializes: strike_grid


@external
def list_series(expiry: uint256, lo0: uint256, hi0: uint256, n: uint256, at: uint256):
    strike_grid._list(expiry, lo0, hi0, n, at)


@external
def refill(expiry: uint256, lower: uint256, upper: uint256, tick: uint256) -> DynArray[uint256, 20]:
    return strike_grid._refill(expiry, lower, upper, tick)


@view
@external
def strikes(expiry: uint256, tick: uint256) -> DynArray[uint256, 64]:
    return strike_grid._strikes(expiry, tick)


@view
@external
def inserted(expiry: uint256, tick: uint256) -> DynArray[uint256, 44]:
    return strike_grid._inserted(expiry, strike_grid._grid(expiry, tick), tick)


@view
@external
def on_grid(expiry: uint256, strike: uint256, tick: uint256) -> bool:
    return strike_grid._on_grid(expiry, strike, tick)


@view
@external
def grid(expiry: uint256, tick: uint256) -> strike_grid.Grid:
    return strike_grid._grid(expiry, tick)


@view
@external
def word(expiry: uint256, j: uint256) -> uint256:
    return strike_grid.inserted_words[expiry][j]


@pure
@external
def uniform_window(lo0: uint256, hi0: uint256, n: uint256, tick: uint256, lower: uint256, upper: uint256) -> (uint256, uint256):
    g: strike_grid.Grid = strike_grid.Grid(lo0=lo0, hi0=hi0, n=n, listed_at=0, width=32)
    return strike_grid._uniform_window(g, tick, lower, upper)
