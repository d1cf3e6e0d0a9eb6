"""A living market on a local chain: the engine behind `make demo` and the lifecycle tests.

`Simulation(system, actors, keeper_account, days=..., seed=..., vol=...)` runs a seeded BTC
index path day by day against the real contracts:

- 07:55 UTC: the keeper reports the day's index (and the USD1 peg = 1.00);
- 07:56-07:59: the hedger and the speculator trade the nearest future inside the fixing window
  (so most fixings are real VWAPs);
- 08:00: the keeper runs a pass (daily update, settle, sweep dead orders, claim: a maker's
  series held only as fill records too, its claim folds them);
- 09:00: market maker 1 requotes futures on every live series around the index (clamped into
  the series' range), market maker 2 and the option writer quote calls and puts around their
  Black-76 fair value from the registry's own variance (`rangebound.quant.pricing`);
- 10:00: takers act: the hedger sells the first monthly future, the speculator buys calls,
  the hedger buys puts, and once the speculator opens a call spread.

On `shock_day` (default: the second weekly expiry) the index jumps 25% just before the window,
so that series' fixing lands outside its range and its settlement is clamped (docs/architecture.md §1).
Everything the report needs is taken from receipts and contract events.
"""

from __future__ import annotations

import math
import random
from collections import defaultdict
from dataclasses import dataclass, field
from statistics import median
from typing import Any

from ape import chain
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from rangebound.constants import CALL, DAY, FUTURE, IOC, MAX_QUOTES, PUT, ZERO_ADDRESS
from rangebound.dev.node import warp
from rangebound.dev.pool_summary import pool_pnl_split, pool_summary
from rangebound.models import calendar as cal
from rangebound.ops.deploy import System, report
from rangebound.ops.keeper import Keeper
from rangebound.quant import pricing
from rangebound.quant.pricepath import simulate

ROLES = ("market_maker_1", "market_maker_2", "hedger", "speculator", "option_writer")


@dataclass
class DayPoint:
    """What one day looked like (for the report and the picture)."""

    day: int
    ts: int
    index: float                     # USD per BTC reported before the window
    index_per_lot: int               # raw token units per lot
    fixing: int                      # nearest series' fixing, raw units per lot (0 = none)
    ranges: dict[int, tuple[int, int]] = field(default_factory=dict)   # expiry -> (L, U)


@dataclass
class SimResult:
    system: System
    days: list[DayPoint]
    series: list[dict[str, Any]]
    accounts: dict[str, dict[str, int]]
    solvency: dict[str, Any]
    gas: dict[str, dict[str, int]]
    tx_count: int
    shock_expiry: int | None
    pool: dict[str, Any] | None = None   # book vs pool comparison and NAV/share (pool runs only)


class Simulation:
    """Runs the market; see the module docstring."""

    def __init__(
        self,
        system: System,
        actors: dict[str, Any],
        keeper_account: Any,
        *,
        days: int = 28,
        seed: int = 7,
        vol: float = 0.03,
        deposit_usd: float = 200_000.0,
        shock: bool = True,
        pool: bool = False,
        console: Console | None = None,
        quiet: bool = False,
    ) -> None:
        missing = set(ROLES) - set(actors)
        if missing:
            raise ValueError(f"missing actors: {sorted(missing)}")
        self.s = system
        self.registry = system.markets["BTC"].registry
        self.book = system.markets["BTC"].book
        self.ch, self.lens = system.clearinghouse, system.lens
        self.actors = actors
        self.keeper_account = keeper_account
        self.days = days
        self.rng = random.Random(seed)
        self.path = simulate(days + 2, seed, vol, system.params["btc_price"])
        self.deposit_usd = deposit_usd
        self.shock = shock
        self.console = console or Console(quiet=quiet)
        self.quiet = quiet
        self.tick = self.registry.tick()
        self.gas: dict[str, list[int]] = defaultdict(list)
        self.tx_count = 0
        self.deposits: dict[str, int] = defaultdict(int)
        self.quotes: dict[str, dict[tuple[int, int, int, bool], int]] = defaultdict(dict)
        self.pending: dict[str, list[tuple]] = defaultdict(list)     # new quotes, per maker
        self.points: list[DayPoint] = []
        self.shock_expiry: int | None = None
        self.spread_done = False
        self.pool = system.markets["BTC"].pool if pool else None
        self.venues = {v: {"trades": 0, "lots": 0, "markup": 0} for v in ("book", "pool")}
        self.nav: list[tuple[int, float]] = []          # (ts, NAV per share in USD1)
        self.pool_deposit = 0
        self.keeper = Keeper.from_system(
            system, keeper_account, peg=1.0, quiet=True,
            start_block=chain.blocks.head.number,
        )

    # ------------------------------------------------------------------ plumbing

    def _tx(self, kind: str, fn: Any, *args: Any, sender: Any, per: int = 1) -> Any:
        """Sends one transaction and records its gas under `kind`, per order of a batch of `per`."""
        receipt = fn(*args, sender=sender)
        self.gas[kind].append(receipt.gas_used // per)
        self.tx_count += 1
        return receipt

    def _try(self, kind: str, fn: Any, *args: Any, sender: Any, per: int = 1) -> Any | None:
        """A trading transaction that may legitimately fail (collateral, caps, reduce-only)."""
        try:
            return self._tx(kind, fn, *args, sender=sender, per=per)
        except Exception:  # noqa: BLE001 - a refused order is part of a market's life
            return None

    def _at(self, ts: int) -> None:
        warp(chain, ts)

    def _on_tick(self, price: float, up: bool) -> int:
        t = self.tick
        return (math.ceil(price / t) if up else math.floor(price / t)) * t

    def _per_lot(self, usd_per_btc: float) -> int:
        return self.s.usd(usd_per_btc / 1000)     # 0.001 BTC per lot

    def _keeper_pass(self, steps: tuple[str, ...], index: float | None = None) -> None:
        rep = self.keeper.run_pass(index=index, steps=steps, summary=False)
        for a in rep.actions:
            if a.status == "sent":
                self.gas[a.step].append(a.gas_used)
                self.tx_count += 1

    # ------------------------------------------------------------------ setup

    def fund(self) -> None:
        """Mint and deposit the same amount for every trading actor."""
        amount = self.s.usd(self.deposit_usd)
        for role in ROLES:
            acct = self.actors[role]
            self.s.token.mint(acct, amount, sender=self.s.deployer)
            self.s.token.approve(self.s.vault, amount, sender=acct)
            self._tx("deposit", self.s.vault.deposit, amount, sender=acct)
            self.deposits[role] += amount
        if self.pool is not None:
            self.pool_deposit = self.s.usd(self.deposit_usd)
            lp = self.s.deployer
            self.s.token.mint(lp, self.pool_deposit, sender=lp)
            self.s.token.approve(self.pool, self.pool_deposit, sender=lp)
            self._tx("pool_deposit", self.pool.deposit, self.pool_deposit, lp, sender=lp)
        for feed in self.s.feeds.values():
            if not feed.is_reporter(self.keeper_account):
                feed.add_reporter(self.keeper_account, sender=self.s.deployer)

    # ------------------------------------------------------------------ actors

    def _cancel_all(self, role: str) -> None:
        acct = self.actors[role]
        for key, oid in list(self.quotes[role].items()):
            if self.lens.orders(self.book, oid).owner != ZERO_ADDRESS:
                self._try("cancel_order", self.book.cancel_order, oid, sender=acct)
            del self.quotes[role][key]

    def _rest(self, role: str, expiry: int, kind: int, strike: int, is_buy: bool,
              price: int, qty: int) -> None:
        r = self._try("place_resting", self.book.place_order, expiry, kind, strike, is_buy,
                      price, qty, 0, 4, sender=self.actors[role])
        if r is not None and r.return_value:
            self.quotes[role][(expiry, kind, strike, is_buy)] = r.return_value

    def _quote(self, role: str, expiry: int, kind: int, strike: int, is_buy: bool,
               price: int, qty: int, tolerance: float = 0.01) -> None:
        """Keep one resting quote per (series, instrument, side): leave it if it still rests
        within `tolerance` of the wanted price, else re-quote it in one call (`replace_order`,
        post-only); if that cannot land (it would cross, or the size is not covered), cancel it
        and place a new order."""
        key = (expiry, kind, strike, is_buy)
        oid = self.quotes[role].get(key)
        if oid is not None:
            info = self.lens.orders(self.book, oid)
            if info.owner != ZERO_ADDRESS and abs(info.price - price) <= tolerance * price:
                return
            acct = self.actors[role]
            if info.owner != ZERO_ADDRESS:
                if self._try("replace_order", self.book.replace_order, oid, price, qty, sender=acct):
                    return
                self._try("cancel_order", self.book.cancel_order, oid, sender=acct)
            del self.quotes[role][key]
        self.pending[role].append((expiry, kind, strike, is_buy, price, qty))

    def _flush_quotes(self) -> None:
        """A maker's new quotes go out in `place_quotes` calls (post-only, all or none; gas
        recorded per order); a batch that cannot land (one would cross) goes order by order."""
        for role, batch in self.pending.items():
            for i in range(0, len(batch), MAX_QUOTES):
                part = batch[i:i + MAX_QUOTES]
                r = self._try("place_quotes_per_order", self.book.place_quotes, part,
                              sender=self.actors[role], per=len(part))
                if r is None:
                    for q in part:
                        self._rest(role, *q)
                    continue
                for q, oid in zip(part, r.return_value, strict=True):
                    if oid:
                        self.quotes[role][q[:4]] = oid
        self.pending.clear()

    def _forget_expired(self, now: int) -> None:
        """Cancel quotes of series that expired (their reserves come back at once)."""
        for role, quotes in self.quotes.items():
            for key, oid in list(quotes.items()):
                if key[0] <= now:
                    if self.lens.orders(self.book, oid).owner != ZERO_ADDRESS:
                        self._try("cancel_order", self.book.cancel_order, oid,
                                  sender=self.actors[role])
                    del quotes[key]

    def _take(self, role: str, expiry: int, kind: int, strike: int, is_buy: bool,
              price: int, qty: int) -> None:
        r = self._try("take", self.book.place_order, expiry, kind, strike, is_buy, price, qty,
                      IOC, 8, sender=self.actors[role])
        if r is not None and kind == FUTURE:
            self.gas["take_future"].append(r.gas_used)   # `take`'s futures part (its median apart)
        if r is not None and kind != FUTURE and self.pool is not None:
            model = self.pool.model_price(expiry, kind, strike)
            self.gas["take_option"].append(r.gas_used)
            for f in r.events.filter(self.ch.Fill):
                v = self.venues["book"]
                v["trades"] += 1
                v["lots"] += f.qty
                edge = (f.price - model) if is_buy else (model - f.price)
                v["markup"] += edge * f.qty + f.taker_fee   # what the taker gave up vs the model

    def _pool_trades(self, day: int) -> None:
        """Option traders use the pool next to the book (docs/architecture.md §15): the speculator buys an
        at-the-money call, the hedger a put, the option writer sells a call every other day;
        then the keeper hedges the pool's delta."""
        if self.pool is None:
            return
        live = list(self.registry.listed_expiries())
        idx = self._per_lot(self.path[day + 1])
        for e in (live[0], live[2]):
            strikes = self._option_strikes(e, idx)
            if not strikes:
                continue
            k = strikes[0]
            trades = [("speculator", CALL, True), ("hedger", PUT, True)]
            if day % 2 == 0:
                trades.append(("option_writer", CALL, False))
            for role, kind, is_buy in trades:
                try:
                    total = self.pool.quote(e, kind, k, 1, is_buy)
                except Exception:  # noqa: BLE001, S112 - the pool does not quote this one now
                    continue
                model = self.pool.model_price(e, kind, k)
                fn = self.pool.buy if is_buy else self.pool.sell
                r = self._try("pool_buy" if is_buy else "pool_sell", fn, e, kind, k, 1, total,
                              sender=self.actors[role])
                if r is not None:
                    v = self.venues["pool"]
                    v["trades"] += 1
                    v["lots"] += 1
                    v["markup"] += total - model if is_buy else model - total
        self._keeper_pass(("hedge",))

    def _quote_futures(self, idx_lot: int) -> None:
        for e in self.registry.listed_expiries():
            lo, hi = self.registry.bounds(e)
            fair = min(max(idx_lot, lo), hi)
            half = max(self.tick, fair // 400)              # 0.25% each side
            bid = max(lo, self._on_tick(fair - half, up=False))
            ask = min(hi, self._on_tick(fair + half, up=True))
            if bid < ask:
                self._quote("market_maker_1", e, FUTURE, 0, True, bid, 5, 0.015)
                self._quote("market_maker_1", e, FUTURE, 0, False, ask, 5, 0.015)

    def _fair_option(self, kind: int, forward: int, strike: int, t_days: float) -> float:
        v = self.registry.variance() / 1e18
        vol = math.sqrt(v * 365)
        name = "call" if kind == CALL else "put"
        return pricing.black76(name, forward, strike, max(t_days, 0.5) / 365, 0.0, vol)

    def _option_strikes(self, e: int, idx_lot: int) -> list[int]:
        lo, hi = self.registry.bounds(e)
        active = [k for k in self.registry.strikes(e) if lo < k < hi]
        if not active:
            return []
        active.sort(key=lambda k: abs(k - idx_lot))
        return sorted(active[:2])

    def _quote_options(self, idx_lot: int, now: int) -> None:
        live = list(self.registry.listed_expiries())
        for e in (live[0], live[2]):              # nearest weekly and first monthly
            lo, hi = self.registry.bounds(e)
            fwd = min(max(idx_lot, lo), hi)
            t_days = (e - now) / DAY
            for k in self._option_strikes(e, idx_lot):
                for kind in (CALL, PUT):
                    cap = hi - k if kind == CALL else k - lo
                    fair = self._fair_option(kind, fwd, k, t_days)
                    ask = min(cap, max(self.tick, self._on_tick(fair * 1.05, up=True)))
                    bid = min(cap, self._on_tick(fair * 0.95, up=False))
                    if ask > 0:
                        self._quote("option_writer", e, kind, k, False, ask, 3, 0.15)
                    if 0 < bid < ask:
                        self._quote("market_maker_2", e, kind, k, True, bid, 3, 0.15)

    def _window_trades(self) -> None:
        e = self.registry.listed_expiries()[0]
        ask = self.book.best_ask(e, FUTURE, 0)
        bid = self.book.best_bid(e, FUTURE, 0)
        if ask:
            self._take("speculator", e, FUTURE, 0, True, ask, 2)
        if bid:
            self._take("hedger", e, FUTURE, 0, False, bid, 2)

    def _takers(self, day: int) -> None:
        live = list(self.registry.listed_expiries())
        monthly = live[2]
        bid = self.book.best_bid(monthly, FUTURE, 0)
        if bid and day % 2 == 0:
            self._take("hedger", monthly, FUTURE, 0, False, bid, 1)
        for e in (live[0], monthly):
            for kind, role in ((CALL, "speculator"), (PUT, "hedger")):
                best = self._best_option_ask(e, kind)
                if best is not None and self.rng.random() < 0.6:
                    k, price = best
                    self._take(role, e, kind, k, True, price, 1)
        if not self.spread_done:
            self._spread(monthly)
        # one lot in a rotating series, so every series of the calendar sees trades
        e = live[day % len(live)]
        ask = self.book.best_ask(e, FUTURE, 0)
        if ask:
            self._take("speculator" if day % 2 else "hedger", e, FUTURE, 0, True, ask, 1)

    def _best_option_ask(self, e: int, kind: int) -> tuple[int, int] | None:
        """The lowest active strike with an ask, and that ask. Only the actors' resting
        quotes make asks (takers are IOC), so only their strikes are asked on chain: the same
        answer as scanning the whole grid, with two or three calls instead of ~60."""
        quoted = sorted({k for quotes in self.quotes.values()
                         for (x, kd, k, is_buy) in quotes if x == e and kd == kind and not is_buy})
        if not quoted:
            return None
        lo, hi = self.registry.bounds(e)
        for k in quoted:
            if not lo < k < hi:
                continue                 # inactive strike: the book refuses to trade it
            ask = self.book.best_ask(e, kind, k)
            if ask:
                return k, ask
        return None

    def _spread(self, e: int) -> None:
        """Speculator buys the lower call and sells the upper one: a bull call spread."""
        quoted = [k for k in self.registry.strikes(e)
                  if self.registry.strike_active(e, k) and self.book.best_ask(e, CALL, k)]
        if len(quoted) < 2:
            return
        low, high = quoted[0], quoted[-1]
        self._take("speculator", e, CALL, low, True, self.book.best_ask(e, CALL, low), 1)
        bid = self.book.best_bid(e, CALL, high)
        if bid:
            self._take("speculator", e, CALL, high, False, bid, 1)
        else:
            self._rest("speculator", e, CALL, high, False,
                       self.book.best_ask(e, CALL, high), 1)
        self.spread_done = True

    # ------------------------------------------------------------------ the run

    def run(self) -> SimResult:
        self.fund()
        start = cal.update_time(chain.pending_timestamp) + DAY
        shock_expiry = None
        if self.shock:
            weeklies = [e for e in cal.live_expiries(start + 3 * DAY) if not cal.is_monthly(e)]
            shock_expiry = weeklies[0] if weeklies else None
        self.shock_expiry = shock_expiry
        level = 1.0
        prog = Progress(TextColumn("[bold]day {task.completed}/{task.total}"), BarColumn(),
                        TextColumn("{task.description}"), TimeElapsedColumn(),
                        console=self.console, disable=self.quiet, transient=False)
        with prog:
            task = prog.add_task("", total=self.days)
            for d in range(self.days):
                t = start + d * DAY
                if shock_expiry is not None and t == shock_expiry:
                    level = 1.25
                index = self.path[d + 1] * level
                self._at(t - 5 * 60)
                if level != 1.0 and t == shock_expiry:
                    self._jump_to(index)
                self._keeper_pass(("report",), index=index)
                self._at(t - 3 * 60)
                self._window_trades()
                self._at(t + 60)
                self._keeper_pass(("update", "settle", "sweep", "claim"))
                idx_lot = self._per_lot(index)
                self._at(t + 3600)
                self._forget_expired(t + 3600)
                self._quote_futures(idx_lot)
                self._quote_options(idx_lot, t + 3600)
                self._flush_quotes()
                self._at(t + 2 * 3600)
                self._takers(d)
                self._pool_trades(d)
                self._record_day(d, t, index, idx_lot)
                prog.update(task, advance=1, description=f"index {index:,.0f} USD")
        # close the books: one more morning so the last due series settle and get claimed
        t = start + self.days * DAY
        self._at(t - 5 * 60)
        self._keeper_pass(("report",), index=self.path[self.days + 1] * level)
        self._at(t + 60)
        self._keeper_pass(("update", "settle", "sweep", "claim"))
        for role in ROLES:
            self._cancel_all(role)
        self._fold_all()
        self.next_morning = t + DAY
        self.level = level
        return self._result()

    def drain(self, max_days: int = 30) -> SimResult:
        """Stop trading and let every open series expire: the keeper reports, updates,
        settles and claims each morning until no account holds a position (at most
        `max_days` mornings: the longest series lives 28 days)."""
        for role in ROLES:
            self._cancel_all(role)
        t = self.next_morning
        index = self.path[-1] * self.level
        for _ in range(max_days):
            if not any(self.ch.open_series(a) for a in self.actors.values()) and not self._records():
                break
            self._at(t - 5 * 60)
            self._keeper_pass(("report",), index=index)
            self._at(t + 60)
            self._keeper_pass(("update", "settle", "sweep", "claim"))
            t += DAY
        return self._result()

    def _accounts(self) -> list[Any]:
        """Every account that may make on the book: the actors and, when on, the pool."""
        return [*self.actors.values(), *([self.pool] if self.pool is not None else [])]

    def _records(self) -> list[tuple[Any, int]]:
        """(account, expiry) of every unfolded fill record set (a maker's futures orders filled
        whole, docs/architecture.md §16) in the series listed now: the settled ones were
        folded by their claims. An account the book holds no reserve for has none."""
        held = [a for a in self._accounts() if self.ch.book_reserved(self.book, a) != 0]
        return [(acct, e) for acct in held for e in self.registry.listed_expiries()
                if self.book.unfolded(acct, e).reserve != 0]

    def _fold_all(self) -> None:
        """Anyone's `fold` of every account's fill records and `recalculate` of every account:
        the makers' fill records and deferred fills (reserve, fee, requirement;
        docs/architecture.md §16) are folded, so the fee account's balance is every fee the
        fills stated."""
        for acct, e in self._records():
            self._tx("fold", self.book.fold, acct, e, sender=self.keeper_account)
        for acct in self.actors.values():
            self._tx("recalculate", self.ch.recalculate, acct, sender=self.keeper_account)

    def _jump_to(self, index: float) -> None:
        """Report a jump in steps the feed accepts (each within 20% of the previous round)."""
        feed = self.s.feeds["BTC/USD"]
        last = feed.latestRoundData()[1] / 1e8
        while abs(index / last - 1) > 0.2:
            last *= 1.2 if index > last else 0.8
            report(feed, self.keeper_account, last)
        report(feed, self.keeper_account, index)

    def _record_day(self, d: int, t: int, index: float, idx_lot: int) -> None:
        live = list(self.registry.listed_expiries())
        fixing = self.registry.fixing(live[0], t // DAY) if live else 0
        ranges = {e: tuple(self.registry.bounds(e)) for e in live}
        self.points.append(DayPoint(d, t, index, idx_lot, fixing, ranges))
        if self.pool is not None:
            supply = self.pool.totalSupply()
            unit = 10 ** self.pool.decimals()
            nav = self.pool.totalAssets()
            self.nav.append((t, nav * unit / supply / 10**self.s.decimals if supply else 0.0))

    # ------------------------------------------------------------------ the report

    def _settled_series(self, head: int) -> tuple[list[dict[str, Any]], dict[int, Any]]:
        """Every settled series (range at listing and expiry, fixing, settlement, clamped) and
        the settlement logs by expiry."""
        reg = self.registry
        listed = {log.expiry: (log.lower, log.upper) for log in reg.SeriesListed.range(0, head)}
        settled_logs = {log.expiry: log for log in reg.SeriesSettled.range(0, head)}
        series = [{
            "expiry": e,
            "range_at_listing": list(listed.get(e, (0, 0))),
            "range_at_expiry": list(reg.bounds(e)),
            "settlement_price": settled_logs[e].price,
            "fixing": settled_logs[e].fixing,
            "clamped": settled_logs[e].fixing != settled_logs[e].price,
        } for e in sorted(settled_logs)]
        return series, settled_logs

    def _result(self) -> SimResult:
        reg, ch = self.registry, self.ch
        head = chain.blocks.head.number + 1
        series, settled_logs = self._settled_series(head)
        # per series: traders' P&L (claims + premiums received − premiums paid − fees paid)
        # plus the fees the fee account received must be exactly zero
        fees_paid: dict[str, int] = defaultdict(int)
        traders: dict[int, int] = defaultdict(int)
        fees_in: dict[int, int] = defaultdict(int)
        for f in ch.Fill.range(0, head):
            fees_paid[f.taker] += f.taker_fee
            fees_paid[f.maker] += f.maker_fee
            traders[f.expiry] -= f.taker_fee + f.maker_fee
            fees_in[f.expiry] += f.taker_fee + f.maker_fee
            if f.kind != FUTURE:
                traders[f.expiry] += f.price * f.qty - f.price * f.qty   # seller +, buyer −
        for c in ch.Claimed.range(0, head):
            traders[c.expiry] += c.pnl
        done = set(settled_logs)
        pnl_plus_fees = {str(e): traders[e] + fees_in[e] for e in sorted(done)}
        fee_total = sum(fees_in.values())
        accounts: dict[str, dict[str, int]] = {}
        total = 0
        market_fee = ch.fee_account_of(reg)        # the pool's with a pool (docs/architecture.md §15)

        def received(addr: str) -> int:
            return fee_total if addr == market_fee else 0

        for role, acct in self.actors.items():
            bal = self.s.vault.balance_of(acct)
            total += bal
            accounts[role] = {
                "deposits": self.deposits[role],
                "pnl": bal - self.deposits[role],
                "fees": fees_paid[acct.address],
                "fees_received": received(acct.address),
                "final_balance": bal,
            }
        fee_acct = self.s.params["fee_account"]
        fee_bal = self.s.vault.balance_of(fee_acct)
        if fee_acct not in {a.address for a in self.actors.values()}:
            accounts["fee_account"] = {"deposits": 0, "pnl": fee_bal, "fees": 0,
                                       "fees_received": received(fee_acct),
                                       "final_balance": fee_bal}
            total += fee_bal
        if self.pool is None and market_fee not in {fee_acct, *(a.address for a in self.actors.values())}:
            bal = self.s.vault.balance_of(market_fee)   # the market's pool, not traded here
            accounts["market_fee_account"] = {"deposits": 0, "pnl": bal, "fees": 0,
                                              "fees_received": fee_total, "final_balance": bal}
            total += bal
        pool = None
        if self.pool is not None:
            bal = self.s.vault.balance_of(self.pool)
            accounts["pool"] = {"deposits": self.pool_deposit, "pnl": bal - self.pool_deposit,
                                "fees": fees_paid[self.pool.address],
                                "fees_received": received(self.pool.address),
                                "final_balance": bal}
            total += bal
            pool = pool_summary(self, self.gas)
            pool["pnl"] = pool_pnl_split(self, received(self.pool.address),
                                         fees_paid[self.pool.address], head)
        solvency = {
            "vault_token_balance": self.s.token.balanceOf(self.s.vault),
            "sum_balances": total,
            "vault_total_balances": self.s.vault.total_balances(),
            "pnl_applied_unclaimed": self.s.vault.pnl_applied(),
            "pnl_plus_fees_by_series": pnl_plus_fees,
            "fees_collected": fee_total,
        }
        gas = {k: {"count": len(v), "median": int(median(v))} for k, v in sorted(self.gas.items())}
        return SimResult(self.s, self.points, series, accounts, solvency, gas,
                         self.tx_count, self.shock_expiry, pool)

