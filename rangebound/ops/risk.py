"""Risk of one account's book: positions, requirement, free collateral, max loss, Greeks.

Two steps, so that the maths can be tested without a chain:

1. **gather** (`read_book`, `book_from_system`, `book_from_deployment`): read the account's open
   series from the contracts (`Clearinghouse.open_series / futures_position / option_legs /
   series_requirement / deferred / requirement / reserved / book_of`,
   `OrderBook.unfolded`, `SeriesRegistry.bounds / settlement_price / index_price / variance /
   tick`, `CollateralVault.balance_of / free_collateral`) into plain dataclasses (`AccountBook`,
   `SeriesBook`, `Leg`). A series the account holds only as fill records (maker fills not yet
   folded: docs/architecture.md §16) is not on its open list: the books' `unfolded` views find
   it;
2. **analyse** (`analyse`): per series, the maximum loss over the prices the series can still
   settle at (its range `[L, U]`, or `[S, S]` once settled: what the Clearinghouse uses) with the
   reference model `rangebound.margin`, and the Greeks of the book with `rangebound.quant.pricing`.

Greeks model. Futures: delta = `n` lots, nothing else. Options: Black-76 (rate 0) on the forward
`F` = the market's index price per lot clamped into `[L, U]`, annual vol `sqrt(variance * 365)`
(the registry's WAD daily variance), `t = (expiry - now) / 365 days`. A settled series has no
Greeks (its P&L is fixed); an expired, unsettled one is valued at intrinsic (`t = 0`), where the
degenerate limits (infinite gamma exactly at the strike) are reported as 0.

Units. Positions, prices, bounds, costs, requirements and balances stay exact integers in raw
settlement-token units (per lot for prices), as the contracts hold them. Greeks are floats in
USD1 (token units): `delta` in lots of the underlying (dV/dF with V in USD1 and F in USD1 per
lot), `delta_usd` = delta * F (USD1 of underlying), `gamma` in lots per USD1 of the per-lot price,
`vega` in USD1 per vol point (0.01 of annual vol), `theta` in USD1 per calendar day. Greeks are
additive within a market; `AccountRisk.totals` sums them per market (lots of different
underlyings do not add up), and `delta_usd`, `vega`, `theta` and `model_value` also add across
markets (`AccountRisk.total_usd`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, astuple, dataclass, field
from typing import Any, cast

from rangebound.constants import DAY, KINDS, WAD, WEEK
from rangebound.models import margin
from rangebound.quant import pricing as pr

__all__ = [
    "DAY", "YEAR", "AccountBook", "AccountRisk", "Greeks", "Leg", "LegRisk", "SeriesBook",
    "SeriesRisk", "analyse", "analyse_series", "book_from_deployment", "book_from_system",
    "kind_name", "option_greeks", "order_reserve", "read_book", "risk_from_deployment",
    "risk_from_system",
]

YEAR = 365 * DAY
KIND_NAMES = KINDS


def kind_name(kind: int) -> str:
    """"future", "call" or "put" for a contract kind (0, 1, 2)."""
    try:
        return KIND_NAMES[kind]
    except KeyError:
        raise ValueError(f"unknown kind {kind}") from None


# --------------------------------------------------------------------------- gathered data


@dataclass(frozen=True)
class Leg:
    """One option leg of a series portfolio: kind 1 = CALL, 2 = PUT; strike raw units per lot;
    qty signed lots (> 0 long)."""

    kind: int
    strike: int
    qty: int

    def as_tuple(self) -> tuple[int, int, int]:
        return (self.kind, self.strike, self.qty)


@dataclass(frozen=True)
class SeriesBook:
    """What the contracts hold about one (account, series), raw units throughout."""

    market: str
    registry: str
    expiry: int
    lower: int                    # current range [L, U]
    upper: int
    settlement: int               # 0 = not settled
    tick: int
    index_price: int              # market index now, per lot (0 = none)
    index_fresh: bool
    variance: int                 # WAD daily variance of the market
    n: int                        # futures net lots (signed)
    cost: int                     # Σ q·P of futures fills (signed)
    legs: tuple[Leg, ...]
    stored_requirement: int       # Clearinghouse.series_requirement: folded fills only (may be above the current, or below it by a deferred share or the records)
    unclaimed_pnl: int            # what a claim would apply (0 until settled; records included)
    deferred_share: int = 0       # Clearinghouse.deferred: reserve still held for deferred maker fills
    deferred_fee: int = 0         # Clearinghouse.deferred: their maker fees, still to move
    record_lots: int = 0          # OrderBook.unfolded: fill records' signed lots (part of n)
    record_cost: int = 0          # their Σ lots·price (part of cost)
    record_reserve: int = 0       # their reserve, still held (part of AccountBook.reserved)
    record_fee: int = 0           # their maker fees, still to move
    listed: bool = True           # on the account's open_series (False: fill records only)

    @property
    def settled(self) -> bool:
        return self.settlement != 0

    @property
    def price_range(self) -> tuple[int, int]:
        """The prices the series can still settle at: [S, S] once settled, else [L, U]."""
        return (self.settlement, self.settlement) if self.settled else (self.lower, self.upper)


@dataclass(frozen=True)
class AccountBook:
    """An account's whole book at one block."""

    account: str
    block: int
    timestamp: int                # "now" for the Greeks (unix s)
    decimals: int                 # settlement token decimals
    balance: int                  # vault balance
    requirement: int              # Clearinghouse.requirement (stored series + order reserves)
    reserved: int                 # order reserves (all books)
    free_collateral: int          # CollateralVault.free_collateral
    series: tuple[SeriesBook, ...]
    network: str | None = None


# --------------------------------------------------------------------------- analysis results


@dataclass(frozen=True)
class Greeks:
    """Sensitivities of a position (units: see the module docstring)."""

    delta: float = 0.0
    gamma: float = 0.0
    vega: float = 0.0
    theta: float = 0.0
    delta_usd: float = 0.0

    def __add__(self, other: Greeks) -> Greeks:
        return Greeks(*(a + b for a, b in zip(astuple(self), astuple(other), strict=True)))

    def scaled(self, k: float) -> Greeks:
        return Greeks(*(a * k for a in astuple(self)))

    def as_dict(self) -> dict[str, float]:
        return asdict(self)


@dataclass(frozen=True)
class LegRisk:
    """One option leg valued with Black-76: `value` is USD1 per lot; `per_lot` the Greeks of one
    long lot; `greeks` those of the position (per_lot × qty)."""

    leg: Leg
    value: float
    per_lot: Greeks
    greeks: Greeks


@dataclass(frozen=True)
class SeriesRisk:
    """One series: its book, max loss, and Greeks."""

    book: SeriesBook
    max_loss: int                 # raw units, max of Loss over the settleable prices (< 0 = gain)
    worst_price: int              # where that maximum is reached (lowest such price)
    requirement: int              # max(0, max_loss): what `recalculate` would store
    forward: int                  # raw units per lot: index clamped into [L, U] (S if settled)
    vol: float                    # annual
    t_years: float
    futures: Greeks
    legs: tuple[LegRisk, ...]
    greeks: Greeks                # futures + legs
    model_value: float            # USD1: n·F − C + Σ q·Black76 (the unclaimed P&L once settled)

    @property
    def label(self) -> str:
        return f"{self.book.market} {self.book.expiry}"


@dataclass(frozen=True)
class AccountRisk:
    """The risk report of an account."""

    book: AccountBook
    series: tuple[SeriesRisk, ...]
    totals: dict[str, Greeks] = field(default_factory=dict)   # per market

    @property
    def account(self) -> str:
        return self.book.account

    @property
    def max_loss(self) -> int:
        """Σ per-series requirements (max(0, max loss)) at the current ranges, raw units."""
        return sum(s.requirement for s in self.series)

    @property
    def held_for_fills(self) -> int:
        """Reserve still held for maker fills not yet folded (deferred shares and fill records),
        raw units: part of `AccountBook.reserved`, released by their fold."""
        return sum(s.book.deferred_share + s.book.record_reserve for s in self.series)

    @property
    def unfolded_fees(self) -> int:
        """Maker fees of those fills, still to move to the fee account at their fold, raw units."""
        return sum(s.book.deferred_fee + s.book.record_fee for s in self.series)

    @property
    def current_requirement(self) -> int:
        """What `Clearinghouse.requirement` becomes after anyone's `recalculate` and `fold` of
        every series with fill records: Σ series (the records merged) + reserves, the reserve
        held for unfolded maker fills (deferred shares, records) released."""
        return self.max_loss + self.book.reserved - self.held_for_fills

    @property
    def free_after_recalculate(self) -> int:
        """Free collateral once the stored requirement is brought down to today's ranges and
        every unfolded maker fill is folded (deferred fills and fill records: their fees paid)."""
        return max(0, self.book.balance - self.unfolded_fees - self.current_requirement)

    @property
    def total_usd(self) -> dict[str, float]:
        """The USD1-denominated Greeks and model value summed over every market."""
        return {
            "delta_usd": sum(g.delta_usd for g in self.totals.values()),
            "vega": sum(g.vega for g in self.totals.values()),
            "theta": sum(g.theta for g in self.totals.values()),
            "model_value": sum(s.model_value for s in self.series),
        }

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serialisable document (ints exact in raw units, Greeks as floats)."""
        b = self.book
        return {
            "account": b.account,
            "network": b.network,
            "block": b.block,
            "timestamp": b.timestamp,
            "decimals": b.decimals,
            "units": {
                "amounts": f"raw settlement-token units (10**{b.decimals} per USD1)",
                "prices": "raw settlement-token units per lot",
                "qty": "lots",
                "greeks": "delta: lots; delta_usd: USD1; gamma: lots per USD1 of the per-lot "
                "price; vega: USD1 per vol point; theta: USD1 per day; value: USD1",
            },
            "collateral": {
                "balance": b.balance,
                "requirement": b.requirement,
                "reserved": b.reserved,
                "free_collateral": b.free_collateral,
                "max_loss": self.max_loss,
                "held_for_fills": self.held_for_fills,
                "unfolded_fees": self.unfolded_fees,
                "current_requirement": self.current_requirement,
                "free_after_recalculate": self.free_after_recalculate,
            },
            "series": [_series_dict(s) for s in self.series],
            "totals": {m: g.as_dict() for m, g in self.totals.items()},
            "total_usd": self.total_usd,
        }


def _series_dict(s: SeriesRisk) -> dict[str, Any]:
    b = s.book
    return {
        "market": b.market, "registry": b.registry, "expiry": b.expiry, "lower": b.lower,
        "upper": b.upper, "settlement": b.settlement, "settled": b.settled,
        "index_price": b.index_price, "index_fresh": b.index_fresh, "forward": s.forward,
        "vol": s.vol, "t_years": s.t_years,
        "futures": {"qty": b.n, "cost": b.cost, "greeks": s.futures.as_dict()},
        "options": [
            {"kind": kind_name(lr.leg.kind), "strike": lr.leg.strike, "qty": lr.leg.qty,
             "value": lr.value, "per_lot": lr.per_lot.as_dict(), "greeks": lr.greeks.as_dict()}
            for lr in s.legs
        ],
        "max_loss": s.max_loss, "worst_price": s.worst_price, "requirement": s.requirement,
        "stored_requirement": b.stored_requirement, "deferred_share": b.deferred_share,
        "deferred_fee": b.deferred_fee,
        "records": {"lots": b.record_lots, "cost": b.record_cost, "reserve": b.record_reserve,
                    "fee": b.record_fee},
        "listed": b.listed, "unclaimed_pnl": b.unclaimed_pnl, "model_value": s.model_value,
        "greeks": s.greeks.as_dict(),
    }


# --------------------------------------------------------------------------- analysis


def _finite(x: Any) -> float:
    """A float, with the degenerate t = 0 limits (±inf, NaN) reported as 0."""
    v = float(x)
    return v if math.isfinite(v) else 0.0


def option_greeks(kind: int, forward: float, strike: float, t: float, vol: float) -> LegRisk:
    """Black-76 value and Greeks of one long lot (USD1 inputs per lot), as a `LegRisk` of qty 1.

    With rate 0 Black-Scholes on spot F is Black-76 on the forward F, so `pricing.greeks` gives
    dV/dF directly.
    """
    if kind not in (margin.CALL, margin.PUT):
        raise ValueError(f"option_greeks needs an option kind (1 or 2), got {kind}")
    name = cast(pr.Kind, kind_name(kind))
    value = _finite(pr.black76(name, forward, strike, t, 0.0, vol))
    g = pr.greeks(name, forward, strike, t, 0.0, vol)
    delta = _finite(g["delta"])
    per_lot = Greeks(
        delta=delta,
        gamma=_finite(g["gamma"]),
        vega=_finite(g["vega"]) / 100,
        theta=_finite(g["theta"]) / 365,
        delta_usd=delta * forward,
    )
    return LegRisk(Leg(kind, int(strike), 1), value, per_lot, per_lot)


def analyse_series(s: SeriesBook, now: int, decimals: int) -> SeriesRisk:
    """Max loss (reference margin model) and Greeks of one series portfolio."""
    unit = 10**decimals
    legs = [leg.as_tuple() for leg in s.legs]
    lo, hi = s.price_range
    if lo <= 0 or hi < lo:
        raise ValueError(f"series {s.market} {s.expiry} has no range ({lo}, {hi})")
    candidates = margin.candidate_prices(legs, lo, hi)
    losses = [margin.loss(p, s.n, s.cost, legs) for p in candidates]
    max_loss = max(losses)
    worst = candidates[losses.index(max_loss)]
    requirement = margin.requirement(s.n, s.cost, legs, lo, hi)

    vol = math.sqrt(max(s.variance, 0) / WAD * 365)
    if s.settled:
        forward, t = s.settlement, 0.0
    else:
        forward, t = min(max(s.index_price, lo), hi), max(s.expiry - now, 0) / YEAR
    f_usd = forward / unit

    futures = Greeks() if s.settled else Greeks(delta=float(s.n), delta_usd=s.n * f_usd)
    value = (s.n * forward - s.cost) / unit
    leg_risks: list[LegRisk] = []
    for leg in s.legs:
        if s.settled:  # the payoff is fixed: no sensitivity left
            payoff = margin.payoff(leg.kind, leg.strike, s.settlement) / unit
            one = LegRisk(leg, payoff, Greeks(), Greeks())
        else:
            one = option_greeks(leg.kind, f_usd, leg.strike / unit, t, vol)
        leg_risks.append(LegRisk(leg, one.value, one.per_lot, one.per_lot.scaled(leg.qty)))
        value += leg.qty * one.value
    total = futures
    for lr in leg_risks:
        total = total + lr.greeks
    return SeriesRisk(
        book=s,
        max_loss=max_loss,
        worst_price=worst,
        requirement=requirement,
        forward=forward,
        vol=vol,
        t_years=t,
        futures=futures,
        legs=tuple(leg_risks),
        greeks=total,
        model_value=value,
    )


def analyse(book: AccountBook) -> AccountRisk:
    """The risk report of a gathered book."""
    series = tuple(analyse_series(s, book.timestamp, book.decimals) for s in book.series)
    totals: dict[str, Greeks] = {}
    for s in series:
        totals[s.book.market] = totals.get(s.book.market, Greeks()) + s.greeks
    return AccountRisk(book=book, series=series, totals=totals)


# --------------------------------------------------------------------------- gathering


def _addr(x: Any) -> str:
    return str(getattr(x, "address", x))


def _field(obj: Any, name: str, index: int) -> Any:
    """A struct member by name (Ape struct) or position (tuple)."""
    return getattr(obj, name) if hasattr(obj, name) else obj[index]


def _registry_at(address: str) -> Any:
    from ape import project

    return project.SeriesRegistry.at(address)


def _book_at(address: str) -> Any:
    from ape import project

    return project.OrderBook.at(address)


Records = tuple[int, int, int, int]   # OrderBook.unfolded: (lots, cost, reserve, fee)


def _unfolded(book: Any, who: str, expiry: int) -> Records:
    r = book.unfolded(who, expiry)
    return (int(_field(r, "lots", 0)), int(_field(r, "cost", 1)), int(_field(r, "reserve", 2)),
            int(_field(r, "fee", 3)))


def _record_expiries(registry: Any, now: int, opened: set[int]) -> set[int]:
    """Where a market's book may hold fill records of an account: the series live now, those
    listed as of the registry's last update, those that expired in the last week (settled or
    not, until a claim folds them) and the account's open series there (`opened`)."""
    from rangebound.models import calendar as cal

    recent = {e for e in cal.live_expiries(now - WEEK) if e <= now}
    listed = {int(e) for e in registry.listed_expiries()}
    return set(cal.live_expiries(now)) | recent | listed | opened


def _records(clearinghouse: Any, who: str, registries: Mapping[str, Any],
             refs: list[tuple[str, int]], now: int) -> dict[tuple[str, int], Records]:
    """(registry address, expiry) -> the account's fill records there, only where it has some
    (`OrderBook.unfolded` of the book `Clearinghouse.book_of` names): in every series
    `_record_expiries` names of each market of `registries`, and in its open series. A book
    that holds no reserve for the account (`book_reserved`) holds no records of it."""
    targets: dict[str, tuple[str, Any]] = {_addr(r).lower(): (_addr(r), r)
                                          for r in registries.values()}
    for reg_addr, _ in refs:                 # a market not in `registries`: its open series
        targets.setdefault(reg_addr.lower(), (reg_addr, None))
    out: dict[tuple[str, int], Records] = {}
    for key, (address, reg) in targets.items():
        book_address = str(clearinghouse.book_of(address))
        if int(book_address, 16) == 0 or int(clearinghouse.book_reserved(book_address, who)) == 0:
            continue
        opened = {e for r, e in refs if r.lower() == key}
        book = _book_at(book_address)
        for e in sorted(opened if reg is None else _record_expiries(reg, now, opened)):
            r = _unfolded(book, who, e)
            if r[2] != 0:                    # reserve > 0 exactly when records exist
                out[(address, e)] = r
    return out


def _series_book(clearinghouse: Any, who: str, reg_addr: str, expiry: int, market: Any,
                 records: Records | None, listed: bool) -> SeriesBook:
    """One (registry, expiry) of `who` as a SeriesBook; `market(registry_address)` gives
    (name, registry, tick, index price, index fresh, variance) of its market; `records` its
    fill records there (None: none); `listed` whether it is on the account's open list. The
    unclaimed P&L is the reference model's at the settlement price, of the position just read
    (records included): the number `Lens.unclaimed_pnl` computes on chain from the same views."""
    name, reg, tick, index, fresh, variance = market(reg_addr)
    lower, upper = (int(x) for x in reg.bounds(expiry))
    n, cost = (int(x) for x in clearinghouse.futures_position(who, reg_addr, expiry))
    legs = tuple(
        Leg(int(_field(x, "kind", 0)), int(_field(x, "strike", 1)), int(_field(x, "qty", 2)))
        for x in clearinghouse.option_legs(who, reg_addr, expiry)
    )
    share, fee = (int(x) for x in clearinghouse.deferred(who, reg_addr, expiry))
    lots, rec_cost, rec_reserve, rec_fee = records or (0, 0, 0, 0)
    s = int(reg.settlement_price(expiry))
    pnl = margin.pnl(s, n, cost, [astuple(x) for x in legs]) if s else 0
    return SeriesBook(
        market=name, registry=reg_addr, expiry=expiry, lower=lower, upper=upper,
        settlement=s, tick=tick, index_price=index, index_fresh=fresh, variance=variance,
        n=n, cost=cost, legs=legs,
        stored_requirement=int(clearinghouse.series_requirement(who, reg_addr, expiry)),
        unclaimed_pnl=pnl,
        deferred_share=share, deferred_fee=fee, record_lots=lots, record_cost=rec_cost,
        record_reserve=rec_reserve, record_fee=rec_fee, listed=listed,
    )


def read_book(
    account: Any,
    *,
    vault: Any,
    clearinghouse: Any,
    registries: Mapping[str, Any],
    decimals: int,
    now: int | None = None,
    network: str | None = None,
) -> AccountBook:
    """Read `account`'s book (an address or an account object) from the contracts: its open
    series and the series it holds only as fill records (`_records`).

    `registries` maps market names to SeriesRegistry contracts; a registry the account trades
    in but which is not listed there is looked up by address and named by its `params().name`
    (only its open series are searched for records). `now` defaults to the head block's
    timestamp (the records are searched at the head's).
    """
    from ape import chain
    from ape.exceptions import ContractLogicError

    who = _addr(account)
    head = chain.blocks.head
    by_address = {_addr(r).lower(): (name, r) for name, r in registries.items()}
    market_data: dict[str, tuple[str, Any, int, int, bool, int]] = {}

    def market(registry_address: str) -> tuple[str, Any, int, int, bool, int]:
        key = registry_address.lower()
        if key not in market_data:
            if key in by_address:
                name, reg = by_address[key]
            else:
                reg = _registry_at(registry_address)
                name = str(_field(reg.params(), "name", 0))
            try:
                price, fresh = reg.index_price()
            except ContractLogicError:  # a broken feed: the forward falls back to L (stale)
                price, fresh = 0, False
            market_data[key] = (name, reg, int(reg.tick()), int(price), bool(fresh),
                                int(reg.variance()))
        return market_data[key]

    refs = [(str(_field(ref, "registry", 0)), int(_field(ref, "expiry", 1)))
            for ref in clearinghouse.open_series(who)]
    records = _records(clearinghouse, who, registries, refs, int(head.timestamp))
    listed = {(r.lower(), e) for r, e in refs}
    keys = refs + [k for k in records if (k[0].lower(), k[1]) not in listed]
    by_key = {(r.lower(), e): rec for (r, e), rec in records.items()}
    series = [_series_book(clearinghouse, who, r, e, market, by_key.get((r.lower(), e)),
                           (r.lower(), e) in listed)
              for r, e in keys]
    series.sort(key=lambda s: (s.market, s.expiry))
    return AccountBook(
        account=who, block=int(head.number or 0),
        timestamp=int(head.timestamp) if now is None else int(now), decimals=decimals,
        balance=int(vault.balance_of(who)), requirement=int(clearinghouse.requirement(who)),
        reserved=int(clearinghouse.reserved(who)),
        free_collateral=int(vault.free_collateral(who)), series=tuple(series), network=network,
    )


def order_reserve(
    clearinghouse: Any, registry: Any, expiry: int, kind: int, strike: int, is_buy: bool,
    price: int, qty: int,
) -> int:
    """What the Clearinghouse's `reserve` would hold now for an order resting on `registry`'s
    book: qty × (stand-alone worst case per lot over the series' current range + the maker fee
    per lot at today's rate, rounded up), by the exact mirror `rangebound.models.margin.reserve`
    (the Clearinghouse's own view of it gave its room to the fill records, round 14)."""
    lo, hi = (int(x) for x in registry.bounds(expiry))
    return margin.reserve(kind, strike, is_buy, price, qty, lo, hi, int(clearinghouse.maker_fee_bps()))


def book_from_system(system: Any, account: Any, now: int | None = None) -> AccountBook:
    """`read_book` for a `deploy_system` result (tests, demo)."""
    from rangebound.ops.records import network_key

    return read_book(
        account, vault=system.vault, clearinghouse=system.clearinghouse,
        registries={name: m.registry for name, m in system.markets.items()},
        decimals=system.decimals, now=now, network=network_key(),
    )


def book_from_deployment(
    account: Any, key: str | None = None, now: int | None = None
) -> AccountBook:
    """`read_book` for the recorded deployment of the connected (or named) network."""
    from rangebound.ops.records import load_deployment, network_key

    contracts = load_deployment(key)
    if "clearinghouse" not in contracts:
        raise ValueError("the recorded deployment has no clearinghouse")
    registries = {
        name.removesuffix("_registry").upper(): c
        for name, c in contracts.items()
        if name.endswith("_registry")
    }
    return read_book(
        account, vault=contracts["vault"], clearinghouse=contracts["clearinghouse"],
        registries=registries,
        decimals=int(contracts["token"].decimals()), now=now, network=key or network_key(),
    )


def risk_from_system(system: Any, account: Any, now: int | None = None) -> AccountRisk:
    """Gather and analyse `account`'s book on a `deploy_system` result."""
    return analyse(book_from_system(system, account, now))


def risk_from_deployment(
    account: Any, key: str | None = None, now: int | None = None
) -> AccountRisk:
    """Gather and analyse `account`'s book on the recorded deployment (what the script uses)."""
    return analyse(book_from_deployment(account, key, now))
