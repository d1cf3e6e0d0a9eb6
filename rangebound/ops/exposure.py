"""The venue's risk view: open interest, Greeks, pinned losses, stress and collateral health.

Pure analysis (no chain access): every function takes a built `Venue` (the `AccountBook` of every
account, read from chain by `rangebound.ops.exposure_chain` or built by hand in tests) and returns
plain numbers, so tests compare it with brute force.

- **Open interest** per (market, expiry, kind, strike): Σ long lots (= Σ short lots), each
  account's fill records netted into its position (the Clearinghouse's futures count is an
  upper bound until they are folded); `unfolded_fills` sums the reserve and fees they hold.
- **Greeks** of a book, per lot of each instrument then × qty (so they add up exactly), under two
  models side by side: Black-76 on the clamped index (`rangebound.ops.risk`: a future's delta is 1),
  and the pool's clamped Student-t (ν = 4, `pricing.clamped_t`, scale s = F·√(v·τ/2) with `v`
  the registry's daily variance and `τ` days): the payoff is clamped into [L, U], so a future's
  delta is Φ(u) − Φ(l) < 1 and deep strikes keep a fat-tail value Black-76 misses. t-Greeks are
  central differences at fixed scale (∂/∂F, as docs/architecture.md §15's delta formulas), vega per vol point
  (s ∝ vol), theta per calendar day. Units as `rangebound.ops.risk` (delta in lots, USD1 elsewhere).
- **Pinned losses** per series: every (account, series)'s loss if the fixing sat at L or at U,
  vs its maximum loss over [L, U].
- **Stress**: the index moves by m (each live series settles at clamp(F·(1+m), L, U)), or USD1
  depegs (prices are USD1 per lot: nothing moves in USD1, the market goes reduce-only below
  its threshold and the collateral loses (1 − peg) of its USD value). Per scenario: collateral
  moved, accounts at their maximum loss, the pool's NAV change (its P&L settling at the stressed
  prices minus settling at today's clamped index: exact integers, no model), and, per account,
  loss vs locked collateral: bad debt, margin calls (requirement after the day's range update
  above the balance: every series' requirement with its maker fills folded, fill records and
  deferred fills included, plus the order reserves not held for those fills) and liquidations
  (a series loss above that series' locked collateral).

Amounts are exact integers in raw settlement-token units; Greeks floats.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from rangebound.constants import WAD
from rangebound.models import margin, ranges
from rangebound.ops.risk import DAY, YEAR, AccountBook, Greeks, Leg, SeriesBook, option_greeks
from rangebound.quant import pricing as pr

NU = 4.0
MODELS = ("black76", "student_t")
INDEX_MOVES = (-0.50, -0.25, -0.10, -0.05, 0.05, 0.10, 0.25, 0.50)
PEGS = (0.98, 0.90, 0.50)

SeriesKey = tuple[str, int]                 # (market, expiry)
Instrument = tuple[str, int, int, int]      # (market, expiry, kind, strike); future strike 0


# --------------------------------------------------------------------------- inputs


@dataclass(frozen=True)
class Health:
    """The collateral's own state, read from chain (see `collateral_health`)."""

    peg_decimals: int
    peg_rounds: tuple[tuple[int, int, int], ...]   # (round id, answer, updated_at), oldest first
    depeg_threshold: float                         # USD per USD1
    reduce_only: dict[str, bool]                   # market -> registry.reduce_only()
    vault_token_balance: int
    total_balances: int
    blocklist: dict[str, bool | None]              # address -> isBlacklisted (None: no blocklist)


@dataclass(frozen=True)
class Venue:
    """Every account's book at one block, plus which one (if any) is the options pool."""

    books: tuple[AccountBook, ...]
    decimals: int
    timestamp: int
    block: int = 0
    pool: str | None = None                        # None: no options pool deployed
    network: str | None = None
    settled: tuple[dict[str, Any], ...] = ()       # SeriesSettled logs: market expiry fixing price
    health: Health | None = None
    ticks: dict[str, int] = field(default_factory=dict)   # market -> tick

    def is_pool(self, account: str) -> bool:
        return self.pool is not None and account.lower() == self.pool.lower()

    @property
    def traders(self) -> tuple[AccountBook, ...]:
        return tuple(b for b in self.books if not self.is_pool(b.account))

    @property
    def pool_book(self) -> AccountBook | None:
        return next((b for b in self.books if self.is_pool(b.account)), None)


def series_of(venue: Venue) -> dict[SeriesKey, SeriesBook]:
    """One representative `SeriesBook` per open series (market data is the same for all)."""
    out: dict[SeriesKey, SeriesBook] = {}
    for b in venue.books:
        for s in b.series:
            out.setdefault((s.market, s.expiry), s)
    return dict(sorted(out.items()))


# --------------------------------------------------------------------------- open interest


def open_interest(venue: Venue) -> dict[Instrument, tuple[int, int]]:
    """(long lots, short lots) per instrument of the unsettled series, over every account."""
    oi: dict[Instrument, list[int]] = defaultdict(lambda: [0, 0])
    for b in venue.books:
        for s in b.series:
            if s.settled:
                continue
            pos = [(margin.FUTURE, 0, s.n)] + [(leg.kind, leg.strike, leg.qty) for leg in s.legs]
            for kind, strike, q in pos:
                if q:
                    oi[(s.market, s.expiry, kind, strike)][0 if q > 0 else 1] += abs(q)
    return {k: (v[0], v[1]) for k, v in sorted(oi.items())}


def unfolded_fills(venue: Venue) -> dict[SeriesKey, tuple[int, int, int]]:
    """Per series, the maker fills not yet folded (fill records and deferred fills, already in
    the accounts' positions): (accounts holding some, reserve still held for them, maker fees
    still to move to the fee account), raw units."""
    out: dict[SeriesKey, list[int]] = defaultdict(lambda: [0, 0, 0])
    for b in venue.books:
        for s in b.series:
            held = s.deferred_share + s.record_reserve
            if held or s.deferred_fee or s.record_fee:
                row = out[(s.market, s.expiry)]
                row[0] += 1
                row[1] += held
                row[2] += s.deferred_fee + s.record_fee
    return {k: (v[0], v[1], v[2]) for k, v in sorted(out.items())}


# --------------------------------------------------------------------------- per-lot Greeks


def _t_scale(forward: float, variance_wad: int, t_days: float, vol_mult: float = 1.0) -> float:
    return forward * math.sqrt(vol_mult * variance_wad / WAD * t_days / 2)


def _t_values(kinds: Sequence[int], strikes: np.ndarray, f: float, scale: float,
              lo: float, hi: float) -> np.ndarray:
    """Clamped-t value per long lot of each instrument (a future: E[clamp S])."""
    out = np.empty(len(kinds))
    for kind in (margin.FUTURE, margin.CALL, margin.PUT):
        idx = [i for i, k in enumerate(kinds) if k == kind]
        if not idx:
            continue
        name = "put" if kind == margin.PUT else "call"
        ks = np.full(len(idx), lo) if kind == margin.FUTURE else strikes[idx]
        v = np.atleast_1d(pr.clamped_t(name, ks, f, scale, NU, lo, hi))
        out[idx] = v + lo if kind == margin.FUTURE else v
    return out


def t_greeks(s: SeriesBook, instruments: Sequence[tuple[int, int]], now: int,
             decimals: int) -> dict[tuple[int, int], Greeks]:
    """Clamped Student-t (ν = 4) Greeks per long lot of each (kind, strike) of series `s`."""
    unit = 10**decimals
    lo, hi = s.lower / unit, s.upper / unit
    t_days = (s.expiry - now) / DAY
    if s.settled or t_days <= 0 or s.variance <= 0 or not lo < hi:
        return {i: (Greeks() if s.settled else _b76_lot(s, i, now, decimals)) for i in instruments}
    f = min(max(s.index_price, s.lower), s.upper) / unit
    kinds = [k for k, _ in instruments]
    strikes = np.array([k / unit if k else lo for _, k in instruments], dtype=float)
    sc = _t_scale(f, s.variance, t_days)
    h = max(f * 1e-4, 1e-9)
    val = lambda ff, scale: _t_values(kinds, strikes, ff, scale, lo, hi)
    mid, up, dn = val(f, sc), val(f + h, sc), val(f - h, sc)
    vol = math.sqrt(s.variance / WAD * 365)
    dv = 0.005
    v_up, v_dn = val(f, sc * (vol + dv) / vol), val(f, sc * max(vol - dv, 1e-9) / vol)
    dt = min(0.01, t_days / 2)
    t_up = val(f, _t_scale(f, s.variance, t_days + dt))
    t_dn = val(f, _t_scale(f, s.variance, t_days - dt))
    delta = (up - dn) / (2 * h)
    gamma = (up - 2 * mid + dn) / (h * h)
    vega = (v_up - v_dn) / (2 * dv) / 100
    theta = (t_dn - t_up) / (2 * dt)
    return {
        inst: Greeks(float(delta[i]), float(gamma[i]), float(vega[i]), float(theta[i]),
                     float(delta[i]) * f)
        for i, inst in enumerate(instruments)
    }


def _b76_lot(s: SeriesBook, inst: tuple[int, int], now: int, decimals: int) -> Greeks:
    unit = 10**decimals
    kind, strike = inst
    if s.settled:
        return Greeks()
    f = min(max(s.index_price, s.lower), s.upper) / unit
    if kind == margin.FUTURE:
        return Greeks(delta=1.0, delta_usd=f)
    vol = math.sqrt(max(s.variance, 0) / WAD * 365)
    return option_greeks(kind, f, strike / unit, max(s.expiry - now, 0) / YEAR, vol).per_lot


def lot_greeks(venue: Venue, model: str) -> dict[Instrument, Greeks]:
    """Greeks per long lot of every instrument any account holds, under `model`."""
    if model not in MODELS:
        raise ValueError(f"model must be one of {MODELS}, got {model!r}")
    held: dict[SeriesKey, set[tuple[int, int]]] = defaultdict(set)
    for b in venue.books:
        for s in b.series:
            held[(s.market, s.expiry)].add((margin.FUTURE, 0))
            held[(s.market, s.expiry)].update((leg.kind, leg.strike) for leg in s.legs)
    out: dict[Instrument, Greeks] = {}
    for key, s in series_of(venue).items():
        insts = sorted(held[key])
        if model == "student_t":
            per = t_greeks(s, insts, venue.timestamp, venue.decimals)
        else:
            per = {i: _b76_lot(s, i, venue.timestamp, venue.decimals) for i in insts}
        out.update({(key[0], key[1], k, strike): g for (k, strike), g in per.items()})
    return out


def _series_greeks(s: SeriesBook, lots: dict[Instrument, Greeks]) -> Greeks:
    total = lots[(s.market, s.expiry, margin.FUTURE, 0)].scaled(s.n)
    for leg in s.legs:
        total = total + lots[(s.market, s.expiry, leg.kind, leg.strike)].scaled(leg.qty)
    return total


def book_greeks(book: AccountBook, lots: dict[Instrument, Greeks],
                options_only: bool = False) -> dict[str, Greeks]:
    """Per market, the Greeks of an account's book (`options_only`: before its futures hedge)."""
    out: dict[str, Greeks] = {}
    for s in book.series:
        g = _series_greeks(replace(s, n=0) if options_only else s, lots)
        out[s.market] = out.get(s.market, Greeks()) + g
    return out


def net_book(books: Iterable[AccountBook], name: str = "aggregate") -> AccountBook:
    """The books merged into one: per series Σ n, Σ cost, legs netted by (kind, strike)."""
    books = list(books)
    merged: dict[SeriesKey, tuple[SeriesBook, int, int, dict[tuple[int, int], int]]] = {}
    for b in books:
        for s in b.series:
            base, n, cost, legs = merged.get((s.market, s.expiry), (s, 0, 0, {}))
            for leg in s.legs:
                legs[(leg.kind, leg.strike)] = legs.get((leg.kind, leg.strike), 0) + leg.qty
            merged[(s.market, s.expiry)] = (base, n + s.n, cost + s.cost, legs)
    series = tuple(
        replace(base, n=n, cost=cost, stored_requirement=0, unclaimed_pnl=0, deferred_share=0,
                deferred_fee=0, record_lots=0, record_cost=0, record_reserve=0, record_fee=0,
                legs=tuple(Leg(k, strike, q) for (k, strike), q in sorted(legs.items()) if q))
        for base, n, cost, legs in (merged[k] for k in sorted(merged))
    )
    first = books[0] if books else None
    return AccountBook(
        account=name, block=first.block if first else 0,
        timestamp=first.timestamp if first else 0, decimals=first.decimals if first else 6,
        balance=sum(b.balance for b in books), requirement=sum(b.requirement for b in books),
        reserved=sum(b.reserved for b in books),
        free_collateral=sum(b.free_collateral for b in books), series=series,
    )


def venue_greeks(venue: Venue) -> dict[str, dict[str, dict[str, Greeks]]]:
    """{model: {"traders" | "pool" | "pool_options": {market: Greeks}}}; the traders' entry is
    the Greeks of their netted aggregate book (tests check it equals the sum per account)."""
    out: dict[str, dict[str, dict[str, Greeks]]] = {}
    pool = venue.pool_book
    for model in MODELS:
        lots = lot_greeks(venue, model)
        view = {"traders": book_greeks(net_book(venue.traders), lots)}
        if pool is not None:
            view["pool"] = book_greeks(pool, lots)
            view["pool_options"] = book_greeks(pool, lots, options_only=True)
        out[model] = view
    return out


# --------------------------------------------------------------------------- losses


def forward(s: SeriesBook) -> int:
    """The index clamped into [L, U] (L when there is no index)."""
    return min(max(s.index_price, s.lower), s.upper)


def series_loss(s: SeriesBook, price: int) -> int:
    """`margin.loss` of one (account, series) portfolio settled at `price` (raw units)."""
    return margin.loss(price, s.n, s.cost, [leg.as_tuple() for leg in s.legs])


def series_max_loss(s: SeriesBook) -> int:
    """`margin.max_loss` over the series' current range [L, U]."""
    return margin.max_loss(s.n, s.cost, [leg.as_tuple() for leg in s.legs], s.lower, s.upper)


def locked(s: SeriesBook) -> int:
    """The collateral the series portfolio locks at today's range: `margin.requirement`."""
    return max(0, series_max_loss(s))


def held_for_fills(book: AccountBook) -> int:
    """The part of an account's order reserves held for maker fills not yet folded (deferred
    shares and fill records): its series (n, cost) already hold those fills, so a requirement
    computed from them leaves it out (their fold releases it)."""
    return sum(s.deferred_share + s.record_reserve for s in book.series)


def _open(venue: Venue) -> Iterable[tuple[AccountBook, SeriesBook]]:
    for b in venue.books:
        for s in b.series:
            if not s.settled:
                yield b, s


@dataclass(frozen=True)
class Pinned:
    """One series if its fixing sat at L or at U (sums over accounts, raw units)."""

    market: str
    expiry: int
    lower: int
    upper: int
    accounts: int
    max_loss: int                 # Σ max(0, max loss over [L, U]): the collateral locked
    moved_at_lower: int           # Σ max(0, loss(L)): collateral moved if the fixing sat at L
    moved_at_upper: int
    at_max_lower: int             # accounts whose loss at L is their (positive) maximum loss
    at_max_upper: int

    @property
    def share_lower(self) -> float:
        return self.moved_at_lower / self.max_loss if self.max_loss else 0.0

    @property
    def share_upper(self) -> float:
        return self.moved_at_upper / self.max_loss if self.max_loss else 0.0


def pinned_losses(venue: Venue) -> list[Pinned]:
    """Per open series: how much of the positions' maximum loss is reached at each bound."""
    acc: dict[SeriesKey, list[int]] = defaultdict(lambda: [0] * 6)
    for _, s in _open(venue):
        worst = series_max_loss(s)
        lo, hi = series_loss(s, s.lower), series_loss(s, s.upper)
        row = acc[(s.market, s.expiry)]
        row[0] += 1
        row[1] += max(0, worst)
        row[2] += max(0, lo)
        row[3] += max(0, hi)
        row[4] += int(worst > 0 and lo == worst)
        row[5] += int(worst > 0 and hi == worst)
    reps = series_of(venue)
    return [Pinned(m, e, reps[(m, e)].lower, reps[(m, e)].upper, *acc[(m, e)])
            for m, e in sorted(acc)]


def max_collateral_moved(venue: Venue) -> dict[SeriesKey, tuple[int, int]]:
    """Per open series, the maximum over every settlement price in [L, U] of the collateral
    moved (Σ max(0, loss)), and the lowest price reaching it. A sum of max(0, piecewise
    linear) peaks at a bound or a strike, so those are the only candidates."""
    by_series: dict[SeriesKey, list[SeriesBook]] = defaultdict(list)
    for _, s in _open(venue):
        by_series[(s.market, s.expiry)].append(s)
    out: dict[SeriesKey, tuple[int, int]] = {}
    for key, books in sorted(by_series.items()):
        lo, hi = books[0].lower, books[0].upper
        cands = sorted({lo, hi} | {leg.strike for s in books for leg in s.legs
                                   if lo < leg.strike < hi})
        moved = [sum(max(0, series_loss(s, p)) for s in books) for p in cands]
        best = max(moved)
        out[key] = (best, cands[moved.index(best)])
    return out


# --------------------------------------------------------------------------- stress


@dataclass(frozen=True)
class Scenario:
    """One stress scenario's outcome (raw units unless said)."""

    name: str
    index_move: float
    peg: float
    prices: dict[SeriesKey, int]            # settlement price of each open series
    moved: dict[SeriesKey, int]             # Σ max(0, loss) per series
    at_max: dict[SeriesKey, int]            # accounts at their maximum loss per series
    pool_nav_change: int | None             # None: no pool
    bad_debt: int                           # Σ max(0, Σ series losses − balance)
    margin_calls: int                       # accounts whose requirement after the update > balance
    liquidations: int                       # accounts with a series loss above its locked amount
    reduce_only: bool
    usd_value_change: int                   # the vault's balances' USD value change (depeg)

    @property
    def total_moved(self) -> int:
        return sum(self.moved.values())


def stressed_prices(venue: Venue, move: float) -> dict[SeriesKey, int]:
    """clamp(index·(1 + move), L, U) per open series (the index falls back to the forward)."""
    out = {}
    for key, s in series_of(venue).items():
        if s.settled:
            continue
        base = s.index_price or forward(s)
        out[key] = min(max(round(base * (1 + move)), s.lower), s.upper)
    return out


def _range_after(s: SeriesBook, index: int, now: int) -> tuple[int, int]:
    """The next daily update's range at the stressed index (keep-or-shrink: never wider)."""
    t_days = max(1, math.ceil((s.expiry - now) / DAY))
    tick = max(s.tick, 1)
    suggested = ranges.suggested_bounds(max(index, tick), s.variance / WAD, t_days, tick)
    return ranges.update_range((s.lower, s.upper), suggested)


def scenario(venue: Venue, move: float = 0.0, peg: float = 1.0, name: str | None = None,
             threshold: float | None = None) -> Scenario:
    """Settle every open series at its stressed price and test each account's collateral."""
    prices = stressed_prices(venue, move)
    moved: dict[SeriesKey, int] = defaultdict(int)
    at_max: dict[SeriesKey, int] = defaultdict(int)
    bad_debt = calls = liquidations = 0
    pool_change: int | None = None if venue.pool_book is None else 0
    for b in venue.books:
        total_loss, liquidate, req_after = 0, False, b.reserved - held_for_fills(b)
        for s in b.series:
            if s.settled:
                continue
            key = (s.market, s.expiry)
            loss, worst = series_loss(s, prices[key]), series_max_loss(s)
            moved[key] += max(0, loss)
            at_max[key] += int(worst > 0 and loss == worst)
            total_loss += max(0, loss)
            liquidate |= loss > locked(s)
            base = s.index_price or forward(s)
            lo, hi = _range_after(s, round(base * (1 + move)), venue.timestamp)
            req_after += margin.requirement(s.n, s.cost, [x.as_tuple() for x in s.legs], lo, hi)
            if venue.is_pool(b.account):
                pool_change = (pool_change or 0) + series_loss(s, forward(s)) - loss
        bad_debt += max(0, total_loss - b.balance)
        calls += int(req_after > b.balance)
        liquidations += int(liquidate)
    limit = threshold if threshold is not None else (
        venue.health.depeg_threshold if venue.health else 0.97)
    balances = sum(b.balance for b in venue.books)
    return Scenario(
        name=name or (f"index {move:+.0%}" if peg == 1.0 else f"USD1 {peg:.2f}"),
        index_move=move, peg=peg, prices=prices, moved=dict(moved), at_max=dict(at_max),
        pool_nav_change=pool_change, bad_debt=bad_debt, margin_calls=calls,
        liquidations=liquidations, reduce_only=peg < limit,
        usd_value_change=round(balances * (peg - 1.0)),
    )


def stress_table(venue: Venue, moves: Sequence[float] = INDEX_MOVES,
                 pegs: Sequence[float] = PEGS) -> list[Scenario]:
    """The index scenarios, then the USD1 depeg scenarios (index unchanged in USD1)."""
    return [scenario(venue, move=m) for m in moves] + [scenario(venue, peg=p) for p in pegs]


# --------------------------------------------------------------------------- collateral health


def peg_summary(h: Health, now: int) -> dict[str, Any]:
    """Last round, its age, and min/max of the peg over the rounds read (USD per USD1)."""
    if not h.peg_rounds:
        return {"last": None, "age_s": None, "min": None, "max": None, "rounds": 0}
    unit = 10**h.peg_decimals
    answers = [a / unit for _, a, _ in h.peg_rounds]
    rid, ans, upd = h.peg_rounds[-1]
    return {"last": ans / unit, "round": rid, "updated_at": upd, "age_s": now - upd,
            "min": min(answers), "max": max(answers), "rounds": len(answers),
            "since": h.peg_rounds[0][2], "threshold": h.depeg_threshold}


def concentration(venue: Venue, top: int = 5) -> list[tuple[str, int, float]]:
    """The largest vault balances: (account, balance, share of all balances)."""
    total = sum(b.balance for b in venue.books)
    ranked = sorted(venue.books, key=lambda b: (-b.balance, b.account))[:top]
    return [(b.account, b.balance, b.balance / total if total else 0.0) for b in ranked]


def clamped_series(venue: Venue) -> list[dict[str, Any]]:
    """Series whose settlement was clamped (fixing outside [L, U]) and open series whose index
    sits outside their range (they would settle at a bound today)."""
    out = [dict(x, state="settled") for x in venue.settled if x["fixing"] != x["price"]]
    for (m, e), s in series_of(venue).items():
        if not s.settled and s.index_price and not s.lower <= s.index_price <= s.upper:
            out.append({"market": m, "expiry": e, "fixing": s.index_price,
                        "price": forward(s), "state": "open: index outside the range"})
    return out
