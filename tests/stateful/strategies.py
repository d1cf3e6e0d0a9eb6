"""Hypothesis strategies of the market machine (tests/stateful/test_market_machine.py): the
actors, the series an order picks, and the orders its trading rules draw."""

from __future__ import annotations

from dataclasses import dataclass

from hypothesis import strategies as st

from rangebound.constants import CALL, IOC, POST_ONLY, PUT

TRADERS = ("maker", "maker2", "taker", "stranger")
SERIES = st.sampled_from([0, 0, 1, 1, 2, 5])      # index into the six live expiries: the near
                                                  # ones settle often, the far one is monthly
FLAGS = st.sampled_from([0, 0, POST_ONLY, IOC])


@dataclass(frozen=True)
class Quote:
    who: str
    series: int
    spread: int
    skew: int
    qty: int
    max_fills: int


@dataclass(frozen=True)
class FutureOrder:
    who: str
    series: int
    is_buy: bool
    off: int
    qty: int
    flags: int
    max_fills: int
    edge: str


@dataclass(frozen=True)
class OptionOrder:
    who: str
    series: int
    kind: int
    strike_i: int
    is_buy: bool
    frac: float
    off: int
    qty: int
    flags: int
    max_fills: int


@dataclass(frozen=True)
class Take:
    who: str
    series: int
    is_buy: bool
    qty: int
    max_fills: int


# ---------------------------------------------------------------------------- strategies

traders = st.sampled_from(TRADERS)
# the series an example opens with liquidity (indices into the six live expiries)
opening_series = st.lists(st.integers(0, 5), min_size=1, max_size=3, unique=True)

quotes = st.builds(Quote, who=st.sampled_from(("maker", "maker2")), series=SERIES,
                   spread=st.integers(1, 6), skew=st.integers(-4, 4), qty=st.integers(1, 10),
                   max_fills=st.integers(1, 4))

future_orders = st.builds(FutureOrder, who=traders, series=SERIES, is_buy=st.booleans(),
                          off=st.integers(-8, 8), qty=st.integers(1, 12), flags=FLAGS,
                          max_fills=st.integers(1, 6),
                          edge=st.sampled_from(["", "", "", "", "lo", "hi"]))

option_orders = st.builds(OptionOrder, who=traders, series=SERIES,
                          kind=st.sampled_from([CALL, PUT]), strike_i=st.integers(-2, 2),
                          is_buy=st.booleans(), frac=st.sampled_from([0.05, 0.1, 0.2, 0.35, 1.0]),
                          off=st.integers(-3, 3), qty=st.integers(1, 8), flags=FLAGS,
                          max_fills=st.integers(1, 6))

takes = st.builds(Take, who=traders, series=SERIES, is_buy=st.booleans(),
                  qty=st.integers(1, 25), max_fills=st.integers(1, 8))
