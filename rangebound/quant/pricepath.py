"""Index price sources for the keeper and the demo: a seeded simulated BTC path, or a CSV.

Both sources answer one question, the USD price of the underlying on a UTC day number
(`timestamp // 86400`), through `price_at(day)`, so the keeper can push a deterministic price
for "today" whenever it runs, and a restarted keeper pushes the same price for the same day.

- `simulate(days, seed, vol, start)`: geometric Brownian motion with daily steps and no drift
  in expectation (`S_{d+1} = S_d · exp(vol·z - vol²/2)`, `z ~ N(0, 1)` from numpy's PCG64
  seeded with `seed`). Returns `days + 1` prices: `path[0] == start`, `path[d]` after d steps.
  Deterministic, and a longer path extends a shorter one with the same seed (prefix property).
- `load_csv(path)`: columns `date,price` (ISO `YYYY-MM-DD`, or an ISO date-time, read as UTC)
  or `timestamp,price` (unix seconds), header required; returns `{day_number: price}`.
- `SimulatedPath` / `CsvPath`: `price_at(day)` and `price_at_time(ts)` over either source.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Mapping
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Protocol

import numpy as np

from rangebound.constants import DAY


def simulate(days: int, seed: int, vol: float = 0.03, start: float = 100_000.0) -> list[float]:
    """`days` daily GBM steps from `start` (daily volatility `vol`): `days + 1` prices."""
    if days < 0:
        raise ValueError("days must be >= 0")
    if not (start > 0 and math.isfinite(start)):
        raise ValueError("start must be a positive price")
    if vol < 0:
        raise ValueError("vol must be >= 0")
    z = np.random.default_rng(seed).standard_normal(days)
    steps = np.concatenate(([0.0], np.cumsum(vol * z - 0.5 * vol * vol)))
    return [float(x) for x in start * np.exp(steps)]


def day_of(ts: int) -> int:
    """UTC day number of a unix timestamp."""
    return int(ts) // DAY


def _parse_day(text: str, column: str) -> int:
    text = text.strip()
    if column == "timestamp":
        return day_of(int(float(text)))
    if len(text) == 10:
        return date.fromisoformat(text).toordinal() - date(1970, 1, 1).toordinal()
    dt = datetime.fromisoformat(text)
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return day_of(int(dt.timestamp()))


def load_csv(path: str | Path) -> dict[int, float]:
    """`{day_number: USD price}` from a CSV with a header `date,price` or `timestamp,price`.

    Several rows on one day keep the last. Blank lines are skipped; a non-positive or
    non-numeric price, a missing column or an empty file raises ValueError.
    """
    with open(path, newline="") as f:
        reader = csv.DictReader(f)
        fields = [h.strip().lower() for h in reader.fieldnames or []]
        reader.fieldnames = fields
        if "price" not in fields or not ({"date", "timestamp"} & set(fields)):
            raise ValueError(f"{path}: need columns date,price or timestamp,price; got {fields}")
        column = "date" if "date" in fields else "timestamp"
        out: dict[int, float] = {}
        for line, row in enumerate(reader, start=2):
            if not any((v or "").strip() for v in row.values()):
                continue
            try:
                day = _parse_day(row[column] or "", column)
                price = float(row["price"] or "")
            except ValueError as exc:
                raise ValueError(f"{path}:{line}: {exc}") from exc
            if not (price > 0 and math.isfinite(price)):
                raise ValueError(f"{path}:{line}: price must be positive, got {price}")
            out[day] = price
    if not out:
        raise ValueError(f"{path}: no prices")
    return dict(sorted(out.items()))


class PriceSource(Protocol):
    """Anything that prices the underlying on a UTC day number."""

    def price_at(self, day: int) -> float: ...


class SimulatedPath:
    """`simulate(...)` anchored at `origin_day` (the day of `start`), extended on demand.

    Days before the origin price at `start`; the path grows (same seed, same prefix) as later
    days are asked for, so any day has one fixed price whenever and however often it is read.
    """

    def __init__(
        self, seed: int, origin_day: int, vol: float = 0.03, start: float = 100_000.0
    ) -> None:
        self.seed, self.origin_day, self.vol, self.start = seed, origin_day, vol, start
        self._path: list[float] = [start]

    def price_at(self, day: int) -> float:
        k = day - self.origin_day
        if k <= 0:
            return self.start
        if k >= len(self._path):
            self._path = simulate(max(k, 2 * len(self._path)), self.seed, self.vol, self.start)
        return self._path[k]

    def price_at_time(self, ts: int) -> float:
        return self.price_at(day_of(ts))


class CsvPath:
    """Prices by day from `load_csv` (or any mapping): the latest day at or before the one asked
    (carried forward over gaps and past the end); before the first row, the first price."""

    def __init__(self, prices: Mapping[int, float] | str | Path) -> None:
        table = load_csv(prices) if isinstance(prices, (str, Path)) else dict(prices)
        if not table:
            raise ValueError("no prices")
        self._days = sorted(table)
        self._prices = [float(table[d]) for d in self._days]

    def price_at(self, day: int) -> float:
        i = int(np.searchsorted(self._days, day, side="right")) - 1
        return self._prices[max(i, 0)]

    def price_at_time(self, ts: int) -> float:
        return self.price_at(day_of(ts))
