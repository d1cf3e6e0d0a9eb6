"""The Rangebound keeper: push local feed prices, run the daily update, settle, sweep, fold,
claim, hedge the options pools.

One `Keeper.run_pass()` runs the steps report, update, settle, sweep, fold, claim and hedge for
every market of a deployment. Every decision is re-derived from chain state (storage views and
event logs) when it is taken, so a pass is idempotent and crash-safe; races with other keepers
are counted as skipped, other reverts reported as blocked. The fold and claim steps (the work
fills leave: makers' fill records and deferred fills, settled positions) are inherited from
`rangebound.ops.keeper_fills.FillSteps`. What each step does, how time and logs are read:
docs/architecture.md, "The keeper".
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from ape import project
from ape.exceptions import ApeException, ContractLogicError
from rich.console import Console

from rangebound.constants import FUTURE, MAX_SWEEP
from rangebound.models import calendar as cal
from rangebound.ops.deploy import Market, System, feed_answer
from rangebound.ops.keeper_fills import FillSteps
from rangebound.ops.passes import (
    Action,
    EventScan,
    PassReport,
    _date,
    _short,
    now_ts,
    preflight,
    revert_reason,
    step_progress,
    window_start_due,
)
from rangebound.ops.records import (
    deployment_record,
    load_deployment,
    markets_from_record,
    record_start_block,
)
from rangebound.quant.pricepath import PriceSource

MAX_UPDATE_CALLS = 16     # daily_update calls per market per pass (MAX_CATCH_UP_DAYS each)

# Revert reasons meaning "already done (by someone else, or by us before a crash)".
RACE_REASONS = (
    "feed: round closed",
    "feed: already reported",
    "registry: already settled",
    "clearinghouse: nothing to claim",
)


# ---------------------------------------------------------------------------- the keeper


class Keeper(FillSteps):
    """Operates the markets of one deployment from `sender`.

    Build it with `Keeper.from_system(system, sender)` (tests, demo) or
    `Keeper.from_deployment(sender)` (scripts: the recorded deployment of the network).
    `sources` prices each market's underlying by UTC day (`{"BTC": SimulatedPath(...)}`); a
    market without a source gets no index reports. `peg` is the USD1/USD price reported.
    `fold_min_usd` is the maker fees still to move (USD1, per account: deferred fills and fill
    records of unsettled series) worth folding them (the `fold` step: `OrderBook.fold` per series
    with records, `recalculate` for deferred fills elsewhere; None: never).
    """

    def __init__(
        self,
        sender: Any,
        markets: Mapping[str, Market],
        clearinghouse: Any = None,
        *,
        sources: Mapping[str, PriceSource] | None = None,
        peg: float | None = 1.0,
        start_block: int = 0,
        batch: int = 32,
        fold_min_usd: float | None = 1.0,
        console: Console | None = None,
        quiet: bool = False,
        lens: Any = None,
    ) -> None:
        if batch < 1:
            raise ValueError("batch must be >= 1")
        self.sender = sender
        self.markets = dict(markets)
        self.clearinghouse = clearinghouse
        self.lens = lens           # the Clearinghouse's Lens: `orders` / `is_dead` (the sweep)
        self.sources = dict(sources or {})
        self.peg = peg
        self.start_block = start_block
        self.batch = batch
        self.fold_min_usd = fold_min_usd
        self.quiet = quiet
        self.console = console or Console(quiet=quiet, stderr=False)
        self._by_registry = {m.registry.address: m for m in self.markets.values()}
        self._scans: dict[tuple[str, str], EventScan] = {}
        self._listed: dict[str, set[int]] = defaultdict(set)        # market -> expiries
        self._opened: set[tuple[str, str, int]] = set()              # (account, registry, exp)
        self._claimed: set[tuple[str, str, int]] = set()
        self._makers: set[tuple[str, str, int]] = set()             # (maker, registry, exp)
        self._recorded: set[tuple[str, str, int]] = set()           # futures makers, same key
        self._orders: dict[str, dict[int, tuple[int, int, int]]] = defaultdict(dict)
        self._feeds: list[tuple[str, Any, str | None]] | None = None
        self._foreign_feeds: set[str] = set()                        # not ReporterFeeds
        self._decimals: dict[str, int] = {}                          # market -> token decimals
        self._report: PassReport | None = None

    # ------------------------------------------------------------------ construction

    @classmethod
    def from_system(cls, system: System, sender: Any, **kw: Any) -> Keeper:
        """A keeper for a `deploy_system` result."""
        return cls(sender, system.markets, system.clearinghouse, lens=system.lens, **kw)

    @classmethod
    def from_deployment(cls, sender: Any, key: str | None = None, **kw: Any) -> Keeper:
        """A keeper for the recorded deployment of the connected (or named) network.

        Logs are scanned from the record's `start_block` if it has one, else from the creation
        block of the first registry when the node can tell, else from a margin before the
        record's block (the registry lists its first series in its constructor).
        """
        record = deployment_record(key)
        contracts = load_deployment(key)
        markets = markets_from_record(record, contracts)
        kw.setdefault("start_block", record_start_block(record, markets))
        return cls(sender, markets, contracts.get("clearinghouse"), lens=contracts.get("lens"),
                   **kw)

    # ------------------------------------------------------------------ plumbing

    def _scan(self, contract: Any, event: str) -> list[Any]:
        key = (contract.address, event)
        if key not in self._scans:
            self._scans[key] = EventScan(getattr(contract, event), self.start_block)
        return self._scans[key].refresh()

    def _begin(self) -> PassReport:
        if self._report is None:
            return PassReport(started_at=now_ts())
        return self._report

    def _classify(self, rep: PassReport, step: str, target: str, reason: str) -> None:
        if any(r in reason for r in RACE_REASONS):
            rep.skipped += 1
            rep.actions.append(Action(step, target, "skipped", detail=reason))
        else:
            rep.blocked.append(f"{step} {target}: {reason}")
            rep.actions.append(Action(step, target, "blocked", detail=reason or "reverted"))

    def _send(self, rep: PassReport, step: str, target: str, fn: Any, *args: Any) -> Any:
        """Send one transaction unless its preflight reverts; classify reverts, never raise."""
        reason = preflight(self.sender, fn, args)
        if reason is not None:
            self._classify(rep, step, target, reason)
            return None
        try:
            receipt = fn(*args, sender=self.sender)
        except ContractLogicError as err:     # lost a race between preflight and mining
            self._classify(rep, step, target, revert_reason(err))
            return None
        except ApeException as err:
            reason = revert_reason(err)
            rep.blocked.append(f"{step} {target}: {reason}")
            rep.actions.append(Action(step, target, "failed", detail=reason))
            return None
        gas = int(receipt.gas_used or 0)
        rep.transactions += 1
        rep.gas_used += gas
        rep.gas_by_step[step] += gas
        rep.tx_by_step[step] += 1
        rep.actions.append(Action(step, target, "sent", gas))
        return receipt

    def _run_step(self, title: str, items: Sequence[Any], work: Callable[[Any], None]) -> None:
        if not items:
            return
        with step_progress(self.console, self.quiet) as progress:
            task = progress.add_task(title, total=len(items), note="")
            for item in items:
                work(item)
                progress.update(task, advance=1)

    def _usd(self, market: Market, raw: int) -> float:
        """Raw settlement-token units as USD1."""
        if market.name not in self._decimals:
            self._decimals[market.name] = int(market.registry.params().token_decimals)
        return raw / 10 ** self._decimals[market.name]

    # ------------------------------------------------------------------ 1. report

    def feeds(self) -> list[tuple[str, Any, str | None]]:
        """(role, feed, market) for every distinct feed of the markets: role "index" or "peg"."""
        if self._feeds is None:
            out: list[tuple[str, Any, str | None]] = []
            seen: set[str] = set()
            for name, m in self.markets.items():
                p = m.registry.params()
                for role, addr, market in (
                    ("index", p.index_feed, name),
                    ("peg", p.peg_feed, None),
                ):
                    if addr in seen:
                        continue
                    seen.add(addr)
                    out.append((role, project.ReporterFeed.at(addr), market))
            self._feeds = out
        return self._feeds

    def _reportable(self, feed: Any) -> bool:
        """True if `feed` is a ReporterFeed that takes reports from the keeper."""
        if feed.address in self._foreign_feeds:
            return False
        try:
            return bool(feed.is_reporter(self.sender))
        except Exception:  # noqa: BLE001 - not a ReporterFeed (e.g. a real Chainlink feed)
            self._foreign_feeds.add(feed.address)
            return False

    def _fresh(self, feed: Any, now: int) -> bool:
        """Already reported for the current fixing window (by anyone, or by us on the open
        round of a feed that needs several reporters)."""
        updated = int(feed.latestRoundData()[3]) if int(feed.latest_round()) > 0 else 0
        if updated >= window_start_due(now):
            return True
        return bool(feed.has_reported(self.sender))

    def report_prices(
        self, index: float | Mapping[str, float] | None, peg: float | None = 1.0
    ) -> PassReport:
        """Submit `index` (USD per unit of underlying; a mapping prices each market by name)
        to index feeds and `peg` to peg feeds, where the keeper is a reporter and the feed is
        not fresh for the current fixing window. `None` skips that kind of feed."""
        rep = self._begin()
        now = now_ts()
        todo: list[tuple[Any, float, str]] = []
        for role, feed, market in self.feeds():
            if role == "index":
                price = index.get(market or "") if isinstance(index, Mapping) else index
            else:
                price = peg
            if price is None:
                continue
            if not self._reportable(feed):
                rep.actions.append(Action("report", str(feed.description()), "not a reporter"))
                continue
            if self._fresh(feed, now):
                continue
            todo.append((feed, float(price), f"{feed.description()} {price:,.2f}"))

        def submit(item: tuple[Any, float, str]) -> None:
            feed, price, label = item
            rid = int(feed.latest_round()) + 1
            if self._send(rep, "report", label, feed.submit, rid, feed_answer(price)):
                rep.prices_reported += 1

        self._run_step("report", todo, submit)
        return rep

    def prices_now(self, now: int | None = None) -> dict[str, float]:
        """Each market's index price for today's UTC day from its source."""
        day = (now if now is not None else now_ts()) // cal.DAY
        return {name: src.price_at(day) for name, src in self.sources.items()}

    # ------------------------------------------------------------------ 2. update

    def update(self) -> PassReport:
        """`daily_update()` on every market whose 08:00 UTC update is due (catching up)."""
        rep = self._begin()
        now = now_ts()
        for m in self.markets.values():
            self.listed_expiries(m)          # remember the live list before a catch-up rolls it
        due = [m for m in self.markets.values()
               if int(m.registry.last_update()) < cal.update_time(now)]

        def work(m: Market) -> None:
            for _ in range(MAX_UPDATE_CALLS):
                before = int(m.registry.last_update())
                if before >= cal.update_time(now_ts()):
                    return
                days = (cal.update_time(now_ts()) - before) // cal.DAY
                label = f"{m.name} {days} day{'s' if days != 1 else ''} from {_date(before)}"
                if not self._send(rep, "update", label, m.registry.daily_update):
                    return
                rep.updates += 1
                if int(m.registry.last_update()) <= before:
                    return                   # no progress: do not spin

        self._run_step("update", due, work)
        return rep

    # ------------------------------------------------------------------ 3. settle

    def listed_expiries(self, market: Market) -> set[int]:
        """Every expiry ever listed by the market (SeriesListed logs and the live list)."""
        known = self._listed[market.name]
        for log in self._scan(market.registry, "SeriesListed"):
            known.add(int(log.expiry))
        known.update(int(e) for e in market.registry.listed_expiries())
        return known

    def due_series(self) -> list[tuple[Market, int]]:
        """(market, expiry) of every listed series expired at `now` and not settled."""
        now = now_ts()
        out = []
        for m in self.markets.values():
            for e in sorted(self.listed_expiries(m)):
                if e <= now and int(m.registry.settlement_price(e)) == 0:
                    out.append((m, e))
        return out

    def settle_due(self) -> PassReport:
        """`settle(expiry)` for every expired, unsettled series."""
        rep = self._begin()

        def work(item: tuple[Market, int]) -> None:
            m, e = item
            if self._send(rep, "settle", f"{m.name} {_date(e)}", m.registry.settle, e):
                rep.settled += 1
                price = self._usd(m, int(m.registry.settlement_price(e)))
                rep.actions[-1].target += f" @ {price:,.2f}"

        self._run_step("settle", self.due_series(), work)
        return rep

    # ------------------------------------------------------------------ 4. sweep

    def _resting_candidates(self, book: Any) -> dict[int, tuple[int, int, int]]:
        """Order id -> (expiry, kind, strike) of every order that may still rest: OrderPlaced
        logs minus OrderCancelled and makers filled to zero (kept in memory between passes)."""
        orders = self._orders[book.address]
        for log in self._scan(book, "OrderPlaced"):
            orders[int(log.order_id)] = (int(log.expiry), int(log.kind), int(log.strike))
        gone: set[int] = set()
        for log in self._scan(book, "OrderCancelled"):
            gone.add(int(log.order_id))
        for log in self._scan(book, "OrderFilled"):
            if int(log.remaining) == 0:
                gone.add(int(log.maker_order_id))
        for oid in gone:
            orders.pop(oid, None)    # a cancel seen before its placement is caught by the view
        return orders

    def dead_orders(self) -> list[tuple[Market, str, list[int]]]:
        """(market, owner, ids) of resting orders that can never fill, 32 ids per entry:
        series expired (or settled), or option strike outside the current range. Only orders
        that look dead from logs and bounds are confirmed with the Lens's `orders` / `is_dead`
        views; without a Lens (a deployment recorded before it) nothing is swept."""
        now = now_ts()
        out: list[tuple[Market, str, list[int]]] = []
        if self.lens is None:
            return out
        for m in self.markets.values():
            book = m.book
            orders = self._resting_candidates(book)
            bounds: dict[int, tuple[int, int]] = {}
            dead: dict[str, list[int]] = defaultdict(list)
            for oid, (expiry, kind, strike) in sorted(orders.items()):
                if expiry > now:
                    if kind == FUTURE:
                        continue              # a live future never dies before expiry
                    if expiry not in bounds:
                        lo, hi = m.registry.bounds(expiry)
                        bounds[expiry] = (int(lo), int(hi))
                    lo, hi = bounds[expiry]
                    if lo < strike < hi:
                        continue              # strike still active
                info = self.lens.orders(book, oid)
                if int(info.qty) == 0:
                    del orders[oid]           # filled or cancelled (e.g. a taker that never rested)
                    continue
                if expiry <= now or self.lens.is_dead(book, oid):
                    dead[str(info.owner)].append(oid)
            for owner, ids in dead.items():
                for i in range(0, len(ids), MAX_SWEEP):
                    out.append((m, owner, ids[i:i + MAX_SWEEP]))
        return out

    def sweep_dead(self) -> PassReport:
        """Release the reserves of every dead resting order (`sweep_dead_orders`)."""
        rep = self._begin()

        def work(item: tuple[Market, str, list[int]]) -> None:
            m, owner, ids = item
            label = f"{m.name} {_short(owner)} {len(ids)} order{'s' if len(ids) != 1 else ''}"
            if self._send(rep, "sweep", label, m.book.sweep_dead_orders, owner, ids):
                rep.swept += len(ids)
                for oid in ids:
                    self._orders[m.book.address].pop(oid, None)

        self._run_step("sweep", self.dead_orders(), work)
        return rep

    # ------------------------------------------------------------------ a whole pass

    def run_pass(
        self,
        index: float | Mapping[str, float] | None = None,
        steps: Sequence[str] = ("report", "update", "settle", "sweep", "fold", "claim", "hedge"),
        summary: bool = True,
    ) -> PassReport:
        """One pass: report → update → settle → sweep → fold → claim → hedge. `index`
        overrides the sources' prices for today. Returns what was done; a second pass right
        after sends nothing."""
        rep = PassReport(started_at=now_ts())
        self._report = rep
        try:
            if "report" in steps:
                prices = index if index is not None else (self.prices_now() or None)
                self.report_prices(prices, self.peg)
            if "update" in steps:
                self.update()
            if "settle" in steps:
                self.settle_due()
            if "sweep" in steps:
                self.sweep_dead()
            if "fold" in steps:
                self.fold_makers()
            if "claim" in steps:
                self.claim_all()
            if "hedge" in steps:
                self.hedge_pools()
        finally:
            self._report = None
        if summary:
            self.print_summary(rep)
        return rep

    def loop(
        self,
        interval: float,
        max_passes: int | None = None,
        before_pass: Callable[[int], None] | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> list[PassReport]:
        """Run passes every `interval` seconds (forever, or `max_passes` times). An error in a
        pass (node hiccup, ...) is printed and the next pass retries from chain state."""
        reports: list[PassReport] = []
        n = 0
        while max_passes is None or n < max_passes:
            if before_pass is not None:
                before_pass(n)
            try:
                reports.append(self.run_pass())
            except Exception as err:  # noqa: BLE001 - keep the keeper alive; state is on chain
                self.console.print(f"[red]pass failed:[/red] {err!r}; retrying next pass")
            n += 1
            if max_passes is None or n < max_passes:
                sleep(interval)
        return reports

    # ------------------------------------------------------------------ 7. pool hedges

    def pool_hedges_due(self) -> list[tuple[Market, int, int]]:
        """(market, expiry, delta WAD lots) of every live series where a market's OptionsPool
        is beyond its hedge band (docs/architecture.md §15). The pool's settled positions need nothing here:
        the pool is an ordinary account, so `claim_all` claims them with everyone's."""
        due = []
        for m in self.markets.values():
            pool = m.pool
            if pool is None:
                continue
            band = int(pool.hedge_band()) * 10**18
            for e in m.registry.live_expiries():
                d = int(pool.delta(e))
                if abs(d) > band:
                    due.append((m, int(e), d))
        return due

    def hedge_pools(self) -> PassReport:
        """Call `hedge(expiry)` on every pool whose delta in a live series is beyond its band
        (after pool trades and each morning, as part of `run_pass`)."""
        rep = self._begin()
        due = self.pool_hedges_due()

        def work(item: tuple[Market, int, int]) -> None:
            m, e, d = item
            label = f"{m.name} {_date(e)} delta {d / 10**18:+.2f}"
            self._send(rep, "hedge", label, m.pool.hedge, e)

        self._run_step("hedge", due, work)
        return rep

    def print_summary(self, rep: PassReport) -> None:
        if self.quiet:
            return
        self.console.print(rep.table())
        if rep.idle and not rep.blocked:
            self.console.print("nothing to do: chain state is up to date")
        for line in rep.blocked:
            self.console.print(f"[yellow]blocked[/yellow] {line}")
