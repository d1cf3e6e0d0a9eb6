"""Gas benchmark scenario: every operation measured from transaction receipts, and how costs scale.

`run_benchmark(deployer, config)` deploys a fresh system with `deploy_system()` on the connected
(local) chain, trades on it, then replays four weeks of keeper mornings with time travel (settling
and claiming the series it traded), and returns the report that `scripts/bench.py` prints and
writes to `reports/gas.json`:

    {"operations": {name: gas}, "scaling": {series: {x: gas}}, "targets": {name: gas}, ...}

Every number is `gas_used` of a mined transaction's receipt (so it includes the 21,000 base cost
and the EIP-3529 refunds), the median over repeated runs. Where the first use of a storage slot
makes a difference ("cold": a first deposit, a first trade of both parties in a series, a maker's
first order) the operation is measured both ways: `operations[name]` is the steady state (warm) and
`operations[name + "_cold"]` the first use.

Time: the keeper's routine is replayed every day the benchmark crosses: both feeds report at 07:56
UTC and `daily_update` runs at 08:00 UTC, so fixings always have a fresh index and the market never
turns reduce-only. Missed days are days on which the feeds reported but nobody called
`daily_update`; the next call replays them (catch-up). A "normal day" has no listing (Tue, Thu,
Sat, Sun); its cost depends mostly on how many strikes the range updates make the registry insert,
so the steady state needs the whole 4-week cycle of series ages.

Transactions go to anvil as plain `eth_sendTransaction` calls from impersonated addresses
(`rangebound.dev.sender`): same receipts as signed Ape transactions, about 20x faster, so the full
run (~1,600 transactions) takes seconds; `rangebound.dev.profiler` profiles one of them."""

from __future__ import annotations

import json
import random
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ape import chain

from rangebound.constants import CALL, DAY, FUTURE, IOC, LIVE_SERIES, MAX_QUOTES, PUT
from rangebound.dev.bench_table import DESCRIPTIONS, TARGETS
from rangebound.dev.node import warp
from rangebound.dev.pool_scenario import measure_pool, pool_operations
from rangebound.dev.sender import MAX_UINT, BenchError, Samples, Sender, Tx, median
from rangebound.models import calendar as cal
from rangebound.ops.deploy import System, deploy_system, feed_answer
from rangebound.ops.risk import order_reserve

REPORT_BEFORE = 4 * 60          # keeper reports the feeds at 07:56 UTC

@dataclass
class BenchConfig:
    """How much to measure. `full()` is `make bench`; `quick()` is the integration test."""

    reps: int = 5                                   # repeated runs per operation (median)
    claim_accounts: tuple[int, ...] = (1, 10, 100)  # accounts per series for the claim series
    makers: tuple[int, ...] = (1, 5, 20)            # makers filled by one taker
    legs: tuple[int, ...] = (1, 4, 16, 32)          # option legs held by the taker
    missed_days: tuple[int, ...] = (1, 3, 10)       # days without a daily_update before one call
    claim_legs: int = 4                             # option legs each claiming account holds
    mornings: int = 28                              # keeper mornings at least (a 4-week cycle)
    seed: int = 9

    @classmethod
    def full(cls) -> BenchConfig:
        return cls()

    @classmethod
    def quick(cls) -> BenchConfig:
        return cls(reps=2, claim_accounts=(1, 10), makers=(1, 3), legs=(1, 4, 16),
                   missed_days=(1, 2), mornings=7)


class Bench:
    """One fresh system plus the roles and helpers the measurements need."""

    def __init__(self, deployer: Any, config: BenchConfig,
                 progress: Callable[[str], None] | None = None) -> None:
        self.config = config
        self.progress = progress or (lambda msg: None)
        self.rng = random.Random(config.seed)
        self.s = Samples()
        self.system: System = deploy_system(deployer)
        self.deployer = deployer
        self.tx = Sender()
        self.market = self.system.markets["BTC"]
        self.registry = self.market.registry
        self.book = self.market.book
        self.ch = self.system.clearinghouse
        self.vault = self.system.vault
        self.token = self.system.token
        self.tick = int(self.registry.tick())
        self.btc = float(self.system.params["btc_price"])
        self.keeper = self.tx.address("keeper")
        self._cursor = int(self.registry.last_update())
        self.daily: list[dict[str, Any]] = []   # one entry per daily_update measured
        self.catch_up: dict[int, dict[str, Any]] = {}

    # ------------------------------------------------------------ accounts and money

    def funded(self, role: str, usd: float = 1_000_000, record: bool = True) -> str:
        """A fresh account holding `usd` USD1 in the vault (its first deposit is measured);
        it keeps as much again in its wallet and an allowance for later deposits."""
        acct = self.tx.address(role)
        amount = self.system.usd(usd)
        self.tx.send(self.deployer, self.token, "mint", acct, 2 * amount)
        self.tx.send(acct, self.token, "approve", self.vault.address, MAX_UINT - 1)  # finite
        tx = self.tx.send(acct, self.vault, "deposit", amount)
        if record:
            self.s.add("deposit_cold", tx)
        return acct

    # ------------------------------------------------------------ time and feeds

    def push_prices(self) -> None:
        self.btc *= 1 + self.rng.gauss(0, 0.01)
        for name, price in (("BTC/USD", self.btc), ("USD1/USD", 1.0)):
            feed = self.system.feeds[name]
            self.tx.send(self.deployer, feed, "submit", int(feed.latest_round()) + 1,
                         feed_answer(price))

    def report_morning(self) -> int:
        """The next 08:00 UTC the keeper has not handled yet, returned; the feeds report at
        07:56 before it (when that is still ahead), and the clock stays there."""
        t = max(int(self.registry.last_update()), self._cursor) + DAY
        if t - REPORT_BEFORE > int(chain.pending_timestamp):
            chain.pending_timestamp = t - REPORT_BEFORE
            self.push_prices()
        return t

    def next_day(self, update: bool = True) -> Tx | None:
        """Go to the next 08:00 UTC the keeper has not handled yet: report at 07:56 (when
        that is still ahead), then at 08:00 run `daily_update` (unless `update` is False)."""
        t = self.report_morning()
        warp(chain, t)
        self._cursor = t
        if not update:
            return None
        return self.tx.send(self.keeper, self.registry, "daily_update")

    def update_day(self) -> Tx:
        """One normal keeper morning; records the update and what kind of day it was."""
        tx = self.next_day()
        assert tx is not None
        listed = len(tx.decode(self.registry.SeriesListed))
        ins = tx.decode(self.registry.StrikeInserted)
        inserted = len(ins)
        self.daily.append({"at": self._cursor, "weekday": cal.weekday(self._cursor),
                           "gas": tx.gas_used, "listed": listed, "strikes_inserted": inserted,
                           "series_refilled": len({int(e.expiry) for e in ins}),
                           "tx": tx.txn_hash})
        self.s.add("daily_update_6_series" if listed == 0 else "daily_update_listing_day", tx)
        if listed == 0 and inserted == 0:
            self.s.add("daily_update_6_series_no_refill", tx)
        return tx

    # ------------------------------------------------------------ orders

    def bounds(self, expiry: int) -> tuple[int, int]:
        lo, hi = self.registry.bounds(expiry)
        return int(lo), int(hi)

    def future_price(self, expiry: int, offset_ticks: int = 0) -> int:
        """A futures price near the index, `offset_ticks` away, inside the range."""
        lo, hi = self.bounds(expiry)
        idx, _ = self.registry.index_price()
        p = (int(idx) // self.tick + offset_ticks) * self.tick
        return max(lo, min(p, hi))

    def place(self, who: str, expiry: int, price: int, qty: int, is_buy: bool,
              kind: int = FUTURE, strike: int = 0, flags: int = 0, max_fills: int = 1) -> Tx:
        return self.tx.send(who, self.book, "place_order", expiry, kind, strike, is_buy, price,
                            qty, flags, max_fills)

    def order_id(self, tx: Tx) -> int:
        return int(tx.decode(self.book.OrderPlaced)[0].order_id)

    def fills(self, tx: Tx) -> int:
        return len(tx.decode(self.book.OrderFilled))

    def trade(self, maker: str, taker: str, expiry: int, price: int, qty: int = 1,
              kind: int = FUTURE, strike: int = 0) -> Tx:
        """Maker rests `qty` at `price` (ask), the taker buys it all (IOC); returns the take."""
        self.place(maker, expiry, price, qty, False, kind, strike)
        tx = self.place(taker, expiry, price, qty, True, kind, strike, flags=IOC)
        if self.fills(tx) != 1:
            raise BenchError("trade did not fill")
        return tx

    def active_strikes(self, expiry: int) -> list[int]:
        lo, hi = self.bounds(expiry)
        return [int(k) for k in self.registry.strikes(expiry) if lo < int(k) < hi]

    def premium(self, expiry: int, kind: int, strike: int) -> int:
        """A valid premium: about 2 % of the option's maximum payoff, on tick."""
        lo, hi = self.bounds(expiry)
        cap = hi - strike if kind == CALL else strike - lo
        return max(self.tick, min(cap // 50 // self.tick * self.tick, cap))

    # ------------------------------------------------------------ measurements

    def measure_vault(self) -> None:
        self.progress("vault: deposit, withdraw")
        for _ in range(self.config.reps):
            acct = self.funded("depositor", 10_000)
            self.s.add("deposit", self.tx.send(acct, self.vault, "deposit",
                                               self.system.usd(1_000)))
            self.s.add("withdraw", self.tx.send(acct, self.vault, "withdraw",
                                                self.system.usd(500)))

    def measure_orders(self, expiry: int) -> None:
        self.progress("orders: place resting, cancel")
        reps = self.config.reps
        maker = self.funded("maker")
        base = self.future_price(expiry, 200)
        # warm-up: the book side's first order ever (price base, bitmap summary) is a one-off;
        # it also gives the maker its first reserve
        self.place(maker, expiry, base, 1, False)
        ids = []
        for i in range(reps):                    # new price levels
            tx = self.s.add("place_resting",
                            self.place(maker, expiry, base + (i + 1) * self.tick, 1, False))
            ids.append(self.order_id(tx))
        for _ in range(reps):                    # joining a level
            self.s.add("place_resting_same_level", self.place(maker, expiry, base, 1, False))
        for oid in ids:                          # each the only order of its level
            self.s.add("cancel", self.tx.send(maker, self.book, "cancel_order", oid))
        quotes = [(expiry, FUTURE, 0, False, base + (reps + i) * self.tick, 1) for i in range(MAX_QUOTES)]
        first = self.order_id(self.s.add("place_quotes_16", self.tx.send(maker, self.book, "place_quotes", quotes)))
        for oid in range(first, first + MAX_QUOTES):     # the book as it was
            self.tx.send(maker, self.book, "cancel_order", oid)
        for i in range(reps):                    # first orders of fresh makers, new levels
            m = self.funded("maker")
            self.s.add("place_resting_cold",
                       self.place(m, expiry, base - (i + 1) * self.tick, 1, False))
        self.measure_requotes(expiry, maker)

    def measure_requotes(self, expiry: int, maker: str) -> None:
        """A side's first order ever (a new option strike's bid side: new bitmap words and level);
        a re-quote: the maker's only bid is cancelled (the side emptied, its bitmap words left
        non-zero) and placed one tick higher; then `replace_order` one more tick up."""
        strikes = self.active_strikes(expiry)
        for k in strikes[: self.config.reps]:
            price = self.premium(expiry, CALL, k)
            tx = self.s.add("place_resting_new_side", self.place(maker, expiry, price, 1, True,
                                                                 kind=CALL, strike=k))
            oid = self.order_id(tx)
            self.tx.send(maker, self.book, "cancel_order", oid)
            tx = self.s.add("place_resting_requote",
                            self.place(maker, expiry, price + self.tick, 1, True, kind=CALL,
                                       strike=k))
            oid = self.order_id(tx)
            self.s.add("replace_order", self.tx.send(maker, self.book, "replace_order", oid,
                                                     price + 2 * self.tick, 1))
            self.tx.send(maker, self.book, "cancel_order", oid)

    def measure_takes(self, expiry: int) -> None:
        """take_1_maker cold and warm, then taker cost vs makers filled."""
        self.progress("takes: one maker cold and warm, makers filled")
        reps = self.config.reps
        px = self.future_price(expiry, -300)
        # warm-up: the fee account's balance and the series' open interest leave zero once
        self.trade(self.funded("maker", record=False), self.funded("taker", record=False),
                   expiry, px)
        for _ in range(reps):
            maker, taker = self.funded("maker"), self.funded("taker")
            self.s.add("take_1_maker_cold", self.trade(maker, taker, expiry, px))
        taker = self.funded("taker")
        makers = [self.funded("maker") for _ in range(max(self.config.makers))]
        for m in makers:                         # every party now holds the series
            self.trade(m, taker, expiry, px)
        for i in range(reps):
            self.s.add("take_1_maker", self.trade(makers[i % len(makers)], taker, expiry, px))
        for i in range(reps):                    # the maker re-quotes where its ask was filled
            m = makers[i % len(makers)]
            self.s.add("place_resting_after_fill", self.place(m, expiry, px, 1, False))
            self.place(taker, expiry, px, 1, True, flags=IOC)
        # one 1-lot ask per maker on consecutive ticks; one taker call fills n of them
        for n in self.config.makers:
            for _ in range(reps):
                for j in range(n):
                    self.place(makers[j], expiry, px + j * self.tick, 1, False)
                tx = self.place(taker, expiry, px + (n - 1) * self.tick, n, True, flags=IOC,
                                max_fills=n)
                if self.fills(tx) != n:
                    raise BenchError(f"take of {n} makers filled {self.fills(tx)}")
                self.s.add(f"take_{n}_makers", tx)
        # n orders of one maker on n levels: the slope without new accounts
        n = max(self.config.makers)
        for _ in range(reps):
            for j in range(n):
                self.place(makers[0], expiry, px + j * self.tick, 1, False)
            tx = self.place(taker, expiry, px + (n - 1) * self.tick, n, True, flags=IOC,
                            max_fills=n)
            if self.fills(tx) != n:
                raise BenchError(f"take of {n} orders filled {self.fills(tx)}")
            self.s.add(f"take_{n}_orders_1_maker", tx)
        for i in range(reps):
            self.s.add("take_refused_maker", self.refused_take(expiry, px, makers[i % len(makers)], taker))
        # a withdrawal that has to recalculate one open series
        for m in makers[:reps]:
            self.s.add("withdraw_1_series", self.tx.send(m, self.vault, "withdraw",
                                                         self.system.usd(10)))

    def measure_window_takes(self, expiry: int) -> None:
        """take_1_maker inside the next fixing windows (07:56, before the keeper's 08:00
        update): the day's first futures fill of the series and the next one, each also
        feeding the window's VWAP accumulator (`record_fills`)."""
        self.progress("takes inside the fixing window")
        px = self.future_price(expiry, -300)
        maker, taker = self.funded("maker", record=False), self.funded("taker", record=False)
        self.trade(maker, taker, expiry, px)      # both hold the series, as in take_1_maker
        for _ in range(self.config.reps):
            self.report_morning()                 # 07:56, inside the window
            self.s.add("take_1_maker_in_window", self.trade(maker, taker, expiry, px))
            self.s.add("take_1_maker_in_window_again", self.trade(maker, taker, expiry, px))
            self.update_day()

    def refused_take(self, expiry: int, price: int, maker: str, taker: str) -> Tx:
        """An IOC buy of one lot whose best ask the Clearinghouse refuses (its owner, a fresh
        account, holds exactly that ask's reserve, then the maker fee is raised: `MakerBlockedAt`,
        the ask is cancelled) and which then fills `maker`'s ask behind it; fees restored."""
        odd = self.tx.address("maker")
        need = order_reserve(self.ch, self.registry, expiry, FUTURE, 0, False, price, 1)
        self.tx.send(self.deployer, self.token, "mint", odd, need)
        self.tx.send(odd, self.token, "approve", self.vault.address, need)
        self.tx.send(odd, self.vault, "deposit", need)
        self.place(odd, expiry, price, 1, False)
        self.place(maker, expiry, price, 1, False)
        taker_bps, maker_bps = int(self.ch.taker_fee_bps()), int(self.ch.maker_fee_bps())
        self.tx.send(self.deployer, self.ch, "set_fees", taker_bps, int(self.ch.MAX_FEE_BPS()))
        tx = self.place(taker, expiry, price, 1, True, flags=IOC, max_fills=2)
        self.tx.send(self.deployer, self.ch, "set_fees", taker_bps, maker_bps)
        if self.fills(tx) != 1 or len(tx.decode(self.book.OrderCancelled)) != 1:
            raise BenchError("the refused ask was not cancelled before the fill")
        return tx

    def measure_legs(self, expiry: int) -> None:
        """Option trade on an existing leg by a taker holding k legs (k = 1, 4, 16, 32)."""
        self.progress("trade vs option legs held")
        strikes = self.active_strikes(expiry)
        target = max(self.config.legs)
        need = (target + 1) // 2
        if len(strikes) < need:
            raise BenchError(f"{len(strikes)} active strikes, {need} needed")
        start = max(0, len(strikes) // 2 - need // 2)
        chosen = strikes[start: start + need]
        legs = [(kind, k) for k in chosen for kind in (CALL, PUT)][:target]
        # the leg every measured trade touches sits in the middle of the sorted legs
        probe = (CALL, chosen[len(chosen) // 2])
        legs.remove(probe)
        legs.insert(0, probe)
        builder, taker, maker = self.funded("builder"), self.funded("taker"), self.funded("maker")
        kind0, k0 = probe
        prem0 = self.premium(expiry, kind0, k0)
        held = 0
        for n in sorted(self.config.legs):
            while held < n:
                kind, k = legs[held]
                self.trade(builder, taker, expiry, self.premium(expiry, kind, k), 1, kind, k)
                held += 1
            if held == min(self.config.legs):    # the maker's first fill in the probe leg
                self.trade(maker, taker, expiry, prem0, 1, kind0, k0)
            for _ in range(self.config.reps):
                self.s.add(f"trade_{n}_legs",
                           self.trade(maker, taker, expiry, prem0, 1, kind0, k0))

    def open_claim_series(self, expiry: int, n: int) -> tuple[str, list[str]]:
        """n accounts each buy `claim_legs` options (calls and puts around the middle) from
        one market maker; returns (market maker, holders)."""
        strikes = self.active_strikes(expiry)
        mid = len(strikes) // 2
        legs = [(CALL if i % 2 == 0 else PUT, strikes[mid - 1 + i // 2])
                for i in range(self.config.claim_legs)]
        mm = self.funded("market-maker", record=False)
        holders = [self.funded("holder", 10_000, record=False) for _ in range(n)]
        for kind, k in legs:
            prem = self.premium(expiry, kind, k)
            self.place(mm, expiry, prem, n, False, kind, k)
            for h in holders:
                if self.fills(self.place(h, expiry, prem, 1, True, kind, k, flags=IOC)) != 1:
                    raise BenchError("claim series: option buy did not fill")
        return mm, holders

    def settle_and_claim(self, expiry: int, mm: str, holders: list[str]) -> list[int]:
        """Settle, then claim every holder (measured). The market maker claims first: the
        very first claim of a deployment also moves the vault's `pnl_applied` off zero
        (+17,100 once per deployment), which is not what a claim costs."""
        self.s.add("settle", self.tx.send(self.keeper, self.registry, "settle", expiry))
        self.s.add("claim_counterparty", self.tx.send(self.keeper, self.ch, "claim", mm,
                                                      self.registry.address, expiry))
        gas = []
        for h in holders:
            tx = self.tx.send(self.keeper, self.ch, "claim", h, self.registry.address, expiry)
            gas.append(tx.gas_used)
            self.s.add("claim_4_legs", tx)
        return gas

    def measure_catch_up(self) -> None:
        self.progress("daily update catch-up")
        for missed in self.config.missed_days:
            # a normal morning first, so every catch-up starts from an up-to-date registry
            self.update_day()
            for _ in range(missed):
                self.next_day(update=False)
            tx = self.next_day()
            assert tx is not None
            self.catch_up[missed] = {
                "gas": tx.gas_used, "days_applied": missed + 1,
                "listed": len(tx.decode(self.registry.SeriesListed)),
                "strikes_inserted": len(tx.decode(self.registry.StrikeInserted)),
                "tx": tx.txn_hash,
            }
            self.s.add(f"daily_update_catch_up_{missed}", tx)

    # ------------------------------------------------------------ the whole run

    def run(self) -> dict[str, Any]:
        started = time.time()
        cfg = self.config
        self.progress("first keeper morning")
        self.update_day()
        live = [int(e) for e in self.registry.listed_expiries()]
        far = live[-1]                       # 4-week Friday: every trading measurement
        self.measure_vault()
        self.measure_orders(far)
        self.measure_takes(far)
        self.measure_legs(far)
        measure_pool(self, far)
        # claim series: the nearest expiries carry 1, 10, 100 accounts
        claim_series = {}
        for n, e in zip(cfg.claim_accounts, live[: len(cfg.claim_accounts)]):
            self.progress(f"claim series: {n} accounts with {cfg.claim_legs} option legs")
            claim_series[n] = (e, self.open_claim_series(e, n))
        claims: dict[int, list[int]] = {}
        self.progress("keeper mornings: update, settle, claim")
        last = max(e for e, _ in claim_series.values())
        while self._cursor < last or len(self.daily) < cfg.mornings:
            self.update_day()
            for n, (e, (mm, holders)) in claim_series.items():
                if e == self._cursor:
                    claims[n] = self.settle_and_claim(e, mm, holders)
        self.measure_window_takes(int(self.registry.listed_expiries()[-1]))
        self.measure_catch_up()
        return self.result(claims, time.time() - started)

    # ------------------------------------------------------------ the report

    def by_inserted(self) -> dict[str, int]:
        """Days without listing: median daily update gas per number of strikes inserted."""
        groups: dict[int, list[int]] = defaultdict(list)
        for d in self.daily:
            if d["listed"] == 0:
                groups[d["strikes_inserted"]].append(d["gas"])
        return {str(k): median(v) for k, v in sorted(groups.items())}

    def refill_fit(self) -> dict[str, int]:
        """Least squares over the days without listing: gas = base + per_series_refilled *
        (series that got strikes) + per_strike * (strikes inserted)."""
        days = [d for d in self.daily if d["listed"] == 0]
        if len({(d["series_refilled"], d["strikes_inserted"]) for d in days}) < 3:
            return {}
        import numpy as np

        a = np.array([[1.0, d["series_refilled"], d["strikes_inserted"]] for d in days])
        y = np.array([float(d["gas"]) for d in days])
        coef, *_ = np.linalg.lstsq(a, y, rcond=None)
        return {"base_6_series": round(coef[0]), "per_series_refilled": round(coef[1]),
                "per_strike_inserted": round(coef[2]), "days": len(days)}

    def result(self, claims: dict[int, list[int]], seconds: float) -> dict[str, Any]:
        cfg, s = self.config, self.s
        ops: dict[str, int] = {}
        for name in ("deposit", "deposit_cold", "withdraw", "withdraw_1_series", "place_resting",
                     "place_resting_same_level", "place_resting_cold",
                     "place_resting_new_side", "place_resting_requote", "place_resting_after_fill",
                     "cancel", "replace_order", "take_1_maker",
                     "take_1_maker_cold", "take_1_maker_in_window", "take_1_maker_in_window_again",
                     "take_refused_maker", "settle", "claim_4_legs", "claim_counterparty",
                     "daily_update_6_series", "daily_update_6_series_no_refill",
                     "daily_update_listing_day"):
            if s.data.get(name):
                ops[name] = s.median(name)
        take = {n: s.median(f"take_{n}_makers") for n in cfg.makers}
        lo_n, hi_n = min(cfg.makers), max(cfg.makers)
        ops["take_extra_maker"] = round((take[hi_n] - take[lo_n]) / (hi_n - lo_n))
        ops["take_extra_maker_same_account"] = round(
            (s.median(f"take_{hi_n}_orders_1_maker") - take[lo_n]) / (hi_n - lo_n))
        ops["daily_update_per_series"] = round(ops["daily_update_6_series"] / LIVE_SERIES)
        ops["place_quotes_per_order"] = round(s.median("place_quotes_16") / MAX_QUOTES)
        legs = {n: s.median(f"trade_{n}_legs") for n in cfg.legs}
        ops["trade_16_legs"] = legs[16] if 16 in legs else legs[max(legs)]
        catch = {0: ops["daily_update_6_series"]}
        catch.update({m: v["gas"] for m, v in self.catch_up.items()})
        m_lo, m_hi = min(self.catch_up), max(self.catch_up)
        ops["daily_update_catch_up_per_day"] = round(
            (catch[m_hi] - catch[m_lo]) / (m_hi - m_lo))
        ops.update(pool_operations(s))
        scaling = {
            "claim_vs_accounts": {str(n): median(g) for n, g in sorted(claims.items())},
            "take_vs_makers": {str(n): g for n, g in take.items()},
            "trade_vs_legs": {str(n): g for n, g in legs.items()},
            "daily_update_vs_missed_days": {str(m): g for m, g in sorted(catch.items())},
            "daily_update_per_series_vs_missed_days": {
                str(m): round(g / (LIVE_SERIES * (m + 1))) for m, g in sorted(catch.items())
            },
            "daily_update_vs_strikes_inserted": self.by_inserted(),
        }
        return {
            "operations": ops,
            "scaling": scaling,
            "targets": dict(TARGETS),
            "descriptions": {k: v for k, v in DESCRIPTIONS.items() if k in ops},
            "samples": {k: list(v) for k, v in s.data.items()},
            "daily_updates": self.daily,
            "daily_update_fit": self.refill_fit(),
            "catch_up": {str(k): v for k, v in self.catch_up.items()},
            "meta": {
                "chain_id": chain.chain_id,
                "config": {k: list(v) if isinstance(v, tuple) else v
                           for k, v in cfg.__dict__.items()},
                "seconds": round(seconds, 1),
                "transactions": self.tx.count,
                "gas": "receipt gas_used (incl. 21,000 base and calldata, after refunds); "
                       "median of the samples",
            },
        }


def run_benchmark(deployer: Any, config: BenchConfig | None = None,
                  progress: Callable[[str], None] | None = None) -> dict[str, Any]:
    """Deploy a fresh system and measure it; returns the report (see the module docstring).
    `report["_bench"]` is the Bench itself (for profiling; not serialised)."""
    bench = Bench(deployer, config or BenchConfig.full(), progress)
    try:
        out = bench.run()
    finally:
        chain.provider.make_request("anvil_autoImpersonateAccount", [False])
    out["_bench"] = bench
    return out


def write_report(report_: dict[str, Any], path: str | Path) -> Path:
    """Write the JSON report (creating the folder); returns the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(jsonable(report_), indent=2) + "\n")
    return path


def jsonable(report_: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in report_.items() if not k.startswith("_")}
