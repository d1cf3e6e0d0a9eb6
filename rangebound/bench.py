"""Gas benchmark: every operation measured from transaction receipts, and how costs scale.

`run_benchmark(deployer, config)` deploys a fresh system with `deploy_system()` on the connected
(local) chain, trades on it, then replays four weeks of keeper mornings with time travel
(settling and claiming the series it traded), and returns the report that `scripts/bench.py`
prints and writes to `reports/gas.json`:

    {"operations": {name: gas}, "scaling": {series: {x: gas}}, "targets": {name: gas}, ...}

Every number is `gas_used` of a mined transaction's receipt (so it includes the 21,000 base
cost and the EIP-3529 refunds), the median over repeated runs. Where the first use of a
storage slot makes a difference ("cold": a first deposit, a first trade of both parties in a
series, a maker's first order) the operation is measured both ways: `operations[name]` is the
steady state (warm) and `operations[name + "_cold"]` the first use.

Time: the keeper's routine is replayed every day the benchmark crosses: both feeds report at
07:56 UTC and `daily_update` runs at 08:00 UTC, so fixings always have a fresh index and the
market never turns reduce-only. Missed days are days on which the feeds reported but nobody
called `daily_update`; the next call replays them (catch-up). A "normal day" has no listing
(Tue, Thu, Sat, Sun); its cost depends mostly on how many strikes the range updates make the
registry insert, so the steady state needs the whole 4-week cycle of series ages.

Transactions go to anvil as plain `eth_sendTransaction` calls from impersonated addresses
(`Sender`): same receipts as signed Ape transactions, about 20x faster, so the full run
(~1,600 transactions) takes seconds.

`profile_call_tree(hash)` breaks one transaction down per external call (callTracer),
`profile_opcodes(hash)` per storage pattern and per source function and line (a JavaScript
tracer that anvil runs while replaying the transaction: no `--steps-tracing` needed).
"""

from __future__ import annotations

import hashlib
import json
import random
import statistics
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ape import chain
from eth_utils import to_checksum_address

from rangebound import calendar as cal
from rangebound.anvil_node import warp
from rangebound.deploy import System, deploy_system, feed_answer

FUTURE, CALL, PUT = 0, 1, 2
POST_ONLY, IOC = 1, 2
DAY = cal.DAY
REPORT_BEFORE = 4 * 60          # keeper reports the feeds at 07:56 UTC
MAX_UINT = 2**256 - 1
SERIES_PER_MARKET = 6

# receipt gas, including the 21,000 base cost (issue 9)
TARGETS: dict[str, int] = {
    "deposit": 80_000,
    "withdraw": 90_000,
    "place_resting": 110_000,
    "cancel": 55_000,
    "take_1_maker": 160_000,
    "take_extra_maker": 20_000,
    "daily_update_per_series": 100_000,
    "settle": 80_000,
    "claim_4_legs": 100_000,
    "trade_16_legs": 400_000,
    "pool_buy": 200_000,
    "pool_sell": 200_000,
    "pool_deposit": 250_000,
    "pool_redeem": 250_000,
    "pool_deposit_per_leg": 10_000,
    "pool_redeem_per_leg": 10_000,
    "hedge": 250_000,
}

DESCRIPTIONS: dict[str, str] = {
    "deposit": "vault.deposit, account already holds a vault balance",
    "deposit_cold": "vault.deposit, first deposit of the account",
    "withdraw": "vault.withdraw, no open series (recalculate has nothing to do)",
    "withdraw_1_series": "vault.withdraw, one open futures position (recalculated)",
    "place_resting": "book.place_order resting on a new price level, maker holds reserves",
    "place_resting_same_level": "book.place_order joining an existing price level",
    "place_resting_cold": "book.place_order, the maker's first order (reserve slots 0 -> x)",
    "cancel": "book.cancel_order, the level's only order",
    "take_1_maker": "IOC futures buy filling one maker, both already hold the series",
    "take_1_maker_cold": "IOC futures buy filling one maker, first trade of both in the series",
    "take_extra_maker": "slope: extra gas per additional maker filled (1 -> 20 makers)",
    "daily_update_per_series": "registry.daily_update on a day without listing / 6 series",
    "daily_update_6_series": "registry.daily_update on a day without listing (total)",
    "daily_update_listing_day": "registry.daily_update on Mon/Wed/Fri: one expires, one lists",
    "daily_update_6_series_no_refill": "registry.daily_update, no listing, no strike inserted",
    "daily_update_catch_up_per_day": "slope: extra gas per missed day replayed (1 -> 10)",
    "take_extra_maker_same_account": "slope: extra gas per order filled, all of one maker",
    "claim_counterparty": "clearinghouse.claim of the market maker (4 short legs, pays)",
    "settle": "registry.settle after that morning's daily update",
    "claim_4_legs": "clearinghouse.claim, 4 option legs, by a keeper",
    "trade_16_legs": "IOC option buy (existing leg) by a taker holding 16 legs",
    "pool_buy": "pool.buy 1 lot of a call the trader and the pool already hold",
    "pool_buy_cold": "pool.buy, first trade of the trader and the pool in the series",
    "pool_sell": "pool.sell 1 lot back (existing legs)",
    "pool_deposit": "pool.deposit (ERC-4626), no open legs",
    "pool_deposit_cold": "pool.deposit, first LP of an empty pool",
    "pool_redeem": "pool.redeem (ERC-4626), no open legs",
    "pool_deposit_12_legs": "pool.deposit with 12 open option legs (marked at the model)",
    "pool_redeem_12_legs": "pool.redeem with 12 open option legs",
    "pool_deposit_per_leg": "slope: extra deposit gas per open leg of the pool (0 -> 12)",
    "pool_redeem_per_leg": "slope: extra redeem gas per open leg of the pool (0 -> 12)",
    "hedge": "pool.hedge: IOC futures order filling one resting maker",
}


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


def median(xs: list[int]) -> int:
    return int(statistics.median(xs))


class BenchError(RuntimeError):
    pass


@dataclass
class Tx:
    """A mined transaction's receipt, as the benchmark needs it."""

    txn_hash: str
    gas_used: int
    logs: list[dict[str, Any]]

    def decode(self, event: Any) -> list[Any]:
        """Logs of `event` (a contract's event attribute, e.g. `book.OrderFilled`)."""
        return list(chain.provider.network.ecosystem.decode_logs(self.logs, event.abi))


class Sender:
    """Sends transactions straight to anvil (`eth_sendTransaction` from impersonated
    addresses, automine): one request per transaction plus the receipt, about 20x faster
    than a signed Ape transaction, and the receipt is the same. Gas price is 0 on the local
    network, so accounts need no ether; bulk accounts are plain addresses."""

    GAS = 25_000_000   # a limit, not a price: gas_used does not depend on it

    def __init__(self) -> None:
        chain.provider.make_request("anvil_autoImpersonateAccount", [True])
        self.count = 0
        self._n = 0

    def address(self, role: str) -> str:
        """A fresh, never-used address for a bulk account."""
        self._n += 1
        h = hashlib.sha256(f"rangebound-bench/{role}/{self._n}".encode()).hexdigest()
        return to_checksum_address("0x" + h[:40])

    def send(self, sender: Any, contract: Any, method: str, *args: Any) -> Tx:
        frm = str(getattr(sender, "address", sender))
        data = "0x" + bytes(getattr(contract, method).encode_input(*args)).hex()
        req = {"from": frm, "to": str(contract.address), "data": data,
               "gas": hex(self.GAS), "gasPrice": "0x0"}
        h = chain.provider.make_request("eth_sendTransaction", [req])
        r = self._receipt(h)
        self.count += 1
        if int(r["status"], 16) != 1:
            raise BenchError(f"{method} reverted: {self._reason(req, r)}")
        return Tx(str(h), int(r["gasUsed"], 16), list(r["logs"]))

    @staticmethod
    def _receipt(txn_hash: str) -> dict[str, Any]:
        """The receipt; automine answers the send a moment before the block is stored."""
        deadline = time.time() + 30
        while True:
            r = chain.provider.make_request("eth_getTransactionReceipt", [txn_hash])
            if r is not None:
                return r
            if time.time() > deadline:
                raise BenchError(f"transaction {txn_hash} not mined")
            time.sleep(0.002)

    @staticmethod
    def _reason(req: dict[str, Any], receipt: dict[str, Any]) -> str:
        try:   # replay on the parent block for the revert reason
            block = hex(int(receipt["blockNumber"], 16) - 1)
            chain.provider.make_request("eth_call", [req, block])
        except Exception as err:  # noqa: BLE001  (any error text is the answer)
            return str(err)[:200]
        return "unknown reason"


@dataclass
class Samples:
    """Receipt gas per operation name, in the order measured."""

    data: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))
    hashes: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))

    def add(self, name: str, tx: Tx) -> Tx:
        self.data[name].append(int(tx.gas_used))
        self.hashes[name].append(str(tx.txn_hash))
        return tx

    def median(self, name: str) -> int:
        return median(self.data[name])


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

    def next_day(self, update: bool = True) -> Tx | None:
        """Go to the next 08:00 UTC the keeper has not handled yet: report at 07:56 (when
        that is still ahead), then at 08:00 run `daily_update` (unless `update` is False)."""
        t = max(int(self.registry.last_update()), self._cursor) + DAY
        if t - REPORT_BEFORE > int(chain.pending_timestamp):
            chain.pending_timestamp = t - REPORT_BEFORE
            self.push_prices()
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
        for i in range(reps):                    # first orders of fresh makers, new levels
            m = self.funded("maker")
            self.s.add("place_resting_cold",
                       self.place(m, expiry, base - (i + 1) * self.tick, 1, False))

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
        # a withdrawal that has to recalculate one open series
        for m in makers[:reps]:
            self.s.add("withdraw_1_series", self.tx.send(m, self.vault, "withdraw",
                                                         self.system.usd(10)))

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
                     "place_resting_same_level", "place_resting_cold", "cancel", "take_1_maker",
                     "take_1_maker_cold", "settle", "claim_4_legs", "claim_counterparty",
                     "daily_update_6_series", "daily_update_6_series_no_refill",
                     "daily_update_listing_day"):
            if s.data.get(name):
                ops[name] = s.median(name)
        take = {n: s.median(f"take_{n}_makers") for n in cfg.makers}
        lo_n, hi_n = min(cfg.makers), max(cfg.makers)
        ops["take_extra_maker"] = round((take[hi_n] - take[lo_n]) / (hi_n - lo_n))
        ops["take_extra_maker_same_account"] = round(
            (s.median(f"take_{hi_n}_orders_1_maker") - take[lo_n]) / (hi_n - lo_n))
        ops["daily_update_per_series"] = round(ops["daily_update_6_series"] / SERIES_PER_MARKET)
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
                str(m): round(g / (SERIES_PER_MARKET * (m + 1))) for m, g in sorted(catch.items())
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


def rows(report_: dict[str, Any]) -> list[tuple[str, int | None, int, float | None]]:
    """(name, target, measured, ratio) for the table: targeted operations first, then the
    variants (cold, listing day, ...) against the same target where one applies."""
    ops, targets = report_["operations"], report_["targets"]
    out = []
    for name, target in targets.items():
        out.append((name, target, ops[name], ops[name] / target))
        for variant in sorted(ops):
            if variant != name and variant.startswith(name) and variant not in targets:
                out.append((variant, None, ops[variant], None))
    listed = {r[0] for r in out}
    for name in sorted(set(ops) - listed):
        out.append((name, None, ops[name], None))
    return out


def jsonable(report_: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in report_.items() if not k.startswith("_")}


# ---------------------------------------------------------------- profiling


def profile_call_tree(txn_hash: str, contracts: dict[str, Any]) -> list[dict[str, Any]]:
    """Per external call of a transaction (callTracer): depth, contract, function, inclusive gas and
    exclusive gas (its own code, excluding sub-calls). The top frame's gas includes the
    intrinsic cost (21,000 + calldata); refunds are not subtracted here."""
    by_addr = {str(c.address).lower(): name for name, c in contracts.items()}
    sels = {}
    for c in contracts.values():
        for sig, sel in c.contract_type.method_identifiers.items():
            sels[sel.lower()] = sig.split("(")[0]
    trace = chain.provider.make_request("debug_traceTransaction",
                                        [txn_hash, {"tracer": "callTracer"}])
    out: list[dict[str, Any]] = []

    def walk(frame: dict[str, Any], depth: int) -> None:
        used = int(frame.get("gasUsed", "0x0"), 16)
        kids = frame.get("calls", []) or []
        child = sum(int(k.get("gasUsed", "0x0"), 16) for k in kids)
        to = str(frame.get("to", "")).lower()
        inp = str(frame.get("input", "0x"))
        out.append({
            "depth": depth, "type": frame.get("type"), "contract": by_addr.get(to, to),
            "function": sels.get(inp[:10].lower(), inp[:10]), "gas": used,
            "self": used - child,
        })
        for k in kids:
            walk(k, depth + 1)

    walk(trace, 0)
    return out


def summarise_calls(tree: list[dict[str, Any]]) -> dict[str, dict[str, int]]:
    """Call tree folded per (contract.function): count, inclusive and exclusive gas."""
    agg: dict[str, dict[str, int]] = defaultdict(lambda: {"calls": 0, "gas": 0, "self": 0})
    for f in tree:
        key = f"{f['contract']}.{f['function']}"
        agg[key]["calls"] += 1
        agg[key]["gas"] += f["gas"]
        agg[key]["self"] += f["self"]
    return dict(agg)


class SourceMap:
    """pc -> (module, function, line) for one contract, from the Vyper compiler's raw pc -> AST
    map; a pc without an entry takes the nearest mapped pc below it. Compiles the contract
    again with the installed compiler and default settings (what ape-vyper uses here);
    `matches(code)` tells whether that is the deployed runtime code."""

    def __init__(self, path: str) -> None:
        import bisect
        import site
        from pathlib import Path

        from vyper import ast as vy_ast
        from vyper.compiler.input_bundle import FilesystemInputBundle
        from vyper.compiler.phases import CompilerData
        from vyper.ir import compile_ir

        root = Path(__file__).resolve().parent.parent
        bundle = FilesystemInputBundle([root, *map(Path, site.getsitepackages())])
        data = CompilerData(bundle.load_file(path), input_bundle=bundle)
        bytecode, maps = compile_ir.assembly_to_evm(data.assembly_runtime, compiler_metadata=None)
        self.bytecode = bytes(bytecode)
        pcs: dict[int, tuple[str, str, int]] = {}
        for pc, node in maps["pc_raw_ast_map"].items():
            if not isinstance(node, vy_ast.VyperNode):
                continue
            fn = node if isinstance(node, vy_ast.FunctionDef) else node.get_ancestor(
                vy_ast.FunctionDef)
            mod = node.module_node if hasattr(node, "module_node") else None
            stem = Path(str(getattr(mod, "resolved_path", "") or path)).stem
            pcs[int(pc)] = (stem, fn.name if fn is not None else "<dispatch>",
                            int(getattr(node, "lineno", 0) or 0))
        self._keys = sorted(pcs)
        self._vals = [pcs[k] for k in self._keys]
        self._bisect = bisect.bisect_right

    def at(self, pc: int) -> tuple[str, str, int] | None:
        i = self._bisect(self._keys, pc) - 1
        return self._vals[i] if i >= 0 else None

    def matches(self, code: bytes) -> bool:
        return bytes(code)[: len(self.bytecode) - 64] == self.bytecode[: len(self.bytecode) - 64]


# A JavaScript tracer run inside anvil (it replays the transaction, so it needs no
# --steps-tracing): exclusive gas per (contract, pc, opcode), costs taken from the gas left
# before consecutive steps (a call's own cost = gas before it - gas after it - what the callee
# used). SLOAD and SSTORE keep their exact cost in the key (cold/warm, new slot/change).
_JS_TRACER = """{
  agg: {}, prev: null, frames: [], pending: null,
  add: function(p, cost) {
    var k = p.a + ':' + p.pc + ':' + p.op;
    if (p.op == 'SLOAD' || p.op == 'SSTORE') k += ':' + cost;
    var e = this.agg[k];
    if (e === undefined) { this.agg[k] = [cost, 1]; } else { e[0] += cost; e[1] += 1; }
  },
  step: function(log, db) {
    var g = log.getGas(), d = log.getDepth(), p = this.prev;
    if (this.pending !== null) {
      var c = this.pending; this.pending = null;
      this.add(c.p, c.p.g - g - c.used);
      if (p !== c.p) this.add(p, 0);
    } else if (p !== null && d == p.d) {
      this.add(p, p.g - g);
    }
    this.prev = {a: toHex(log.contract.getAddress()), pc: log.getPC(),
                 op: log.op.toString(), g: g, d: d};
  },
  enter: function(f) { this.frames.push({p: this.prev, used: 0}); },
  exit: function(r) { var f = this.frames.pop(); f.used = r.getGasUsed(); this.pending = f; },
  fault: function(log, db) {},
  result: function(ctx, db) {
    if (this.prev !== null && this.pending === null) this.add(this.prev, 0);
    return {agg: this.agg, gasUsed: ctx.gasUsed};
  }
}"""


def _op_class(op: str, cost: int) -> str:
    if op in ("CALL", "STATICCALL", "DELEGATECALL", "CALLCODE"):
        return "call"
    if op == "SSTORE":
        return f"sstore_{cost}"
    if op == "SLOAD":
        return "sload_cold" if cost >= 2100 else "sload_warm"
    if op.startswith("LOG"):
        return "log"
    if op in ("KECCAK256", "SHA3"):
        return "keccak"
    if op in ("EXTCODESIZE", "EXTCODEHASH", "BALANCE"):
        return "account_access"
    return "compute"


def profile_opcodes(txn_hash: str, contracts: dict[str, Any],
                    maps: dict[str, SourceMap] | None = None) -> dict[str, Any]:
    """Opcode-level breakdown of a transaction (a JavaScript tracer replays it inside anvil,
    so no --steps-tracing is needed). Per contract: storage writes by pattern (each SSTORE's
    cost: 22,100 new slot cold, 20,000 new slot warm, 5,000 change cold, 2,900 change warm,
    2,200 / 100 unchanged or rewritten), storage reads cold and warm, logs, calls (the
    caller's side: warm access and memory), account access (EXTCODESIZE before a call: the
    2,600 cold-address cost lands here), keccak and all other computation; with `maps`,
    exclusive gas per source function and line, and every SSTORE by source line. Gas is
    execution gas before refunds and without the intrinsic 21,000 + calldata."""
    by_addr = {str(c.address).lower(): name for name, c in contracts.items()}
    res = chain.provider.make_request("debug_traceTransaction",
                                      [txn_hash, {"tracer": _JS_TRACER}])
    per: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    fn_gas: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    line_gas: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    fn_ops: dict[str, dict[str, dict[str, int]]] = defaultdict(
        lambda: defaultdict(lambda: defaultdict(int)))
    writes: dict[str, int] = defaultdict(int)
    total = 0
    for key, (gas, count) in res["agg"].items():
        parts = key.split(":")
        addr, pc, op = parts[0].lower(), int(parts[1]), parts[2]
        cost = int(parts[3]) if len(parts) > 3 else gas // max(count, 1)
        who = by_addr.get(addr, addr)
        cls = _op_class(op, cost)
        total += gas
        per[who][cls] += gas
        per[who]["n_" + cls] += count
        loc = maps[who].at(pc) if maps and who in maps else None
        if loc:
            fn_gas[who][f"{loc[0]}.{loc[1]}"] += gas
            line_gas[who][f"{loc[0]}:{loc[2]}"] += gas
            fn_ops[who][f"{loc[0]}.{loc[1]}"][cls] += gas
        if op == "SSTORE":
            writes[f"{who} {loc[0]}:{loc[2] if loc else '?'} {cost}" if loc
                   else f"{who} pc{pc} {cost}"] += count
    return {"execution_gas": total,
            "per_contract": {k: dict(v) for k, v in per.items()},
            "per_function": {k: dict(v) for k, v in fn_gas.items()},
            "per_function_ops": {k: {f: dict(c) for f, c in v.items()}
                                 for k, v in fn_ops.items()},
            "per_line": {k: dict(v) for k, v in line_gas.items()},
            "sstores": dict(writes)}


PROFILED = ("take_1_maker", "take_1_maker_cold", "place_resting", "cancel",
            "daily_update_6_series", "daily_update_listing_day", "settle", "claim_4_legs")
SOURCES = {"registry": "contracts/SeriesRegistry.vy", "clearinghouse": "contracts/Clearinghouse.vy",
           "book": "contracts/OrderBook.vy", "vault": "contracts/CollateralVault.vy"}


def profile_report(report_: dict[str, Any], names: tuple[str, ...] = PROFILED,
                   opcodes: bool = True) -> dict[str, Any]:
    """Profiles the median sample of each named operation: per external call (callTracer)
    and, with `opcodes`, per storage pattern and source function (a JavaScript tracer; the
    contracts are recompiled for their pc -> source maps, which takes a few seconds)."""
    bench: Bench = report_["_bench"]
    s = bench.system
    contracts = {"token": s.token, "vault": s.vault, "clearinghouse": s.clearinghouse,
                 "registry": bench.registry, "book": bench.book,
                 "feed_btc_usd": s.feeds["BTC/USD"], "feed_usd1_usd": s.feeds["USD1/USD"]}
    picks: dict[str, str] = {}
    for name in names:
        gas, hashes = bench.s.data.get(name), bench.s.hashes.get(name)
        if gas:
            m = median(gas)
            picks[name] = hashes[min(range(len(gas)), key=lambda i: abs(gas[i] - m))]
    maps = {}
    if opcodes:
        maps = {name: SourceMap(path) for name, path in SOURCES.items()}
        for name, m in maps.items():
            if not m.matches(bytes(chain.provider.get_code(contracts[name].address))):
                raise BenchError(f"{name}: recompiled code differs from the deployed code")
    out: dict[str, Any] = {}
    for name, h in picks.items():
        entry: dict[str, Any] = {"tx": h, "gas": int(chain.provider.make_request(
            "eth_getTransactionReceipt", [h])["gasUsed"], 16)}
        entry["calls"] = profile_call_tree(h, contracts)
        if opcodes:
            entry["opcodes"] = profile_opcodes(h, contracts, maps)
        out[name] = entry
    return out


# ---------------------------------------------------------------------------- options pool


POOL_LEGS = 12   # open legs of the pool for the deposit/redeem slope (the figure)


def measure_pool(b: Bench, expiry: int) -> None:
    """pool_deposit/pool_redeem with 0 and POOL_LEGS open legs, pool_buy/pool_sell (cold and
    warm) and one hedge through the book (DESIGN 15). Skipped when the market has no pool."""
    pool = b.market.pool
    if pool is None:
        return
    b.progress("options pool: deposit, redeem, buy, sell, hedge")
    lp, trader = b.funded("lp", record=False), b.funded("pool-trader", record=False)
    b.tx.send(lp, b.token, "approve", pool.address, MAX_UINT - 1)
    amount = b.system.usd(100_000)
    b.s.add("pool_deposit_cold", b.tx.send(lp, pool, "deposit", amount, lp))

    def lp_round(tag: str) -> None:
        for _ in range(b.config.reps):
            b.s.add(f"pool_deposit{tag}", b.tx.send(lp, pool, "deposit", amount // 10, lp))
            shares = int(pool.balanceOf(lp)) // 20
            b.s.add(f"pool_redeem{tag}", b.tx.send(lp, pool, "redeem", shares, lp, lp))

    lp_round("")
    strikes = b.active_strikes(expiry)
    mid = len(strikes) // 2
    probe = strikes[mid]
    big = 10**30
    b.s.add("pool_buy_cold", b.tx.send(trader, pool, "buy", expiry, CALL, probe, 1, big))
    for _ in range(b.config.reps):
        b.s.add("pool_buy", b.tx.send(trader, pool, "buy", expiry, CALL, probe, 1, big))
        b.s.add("pool_sell", b.tx.send(trader, pool, "sell", expiry, CALL, probe, 1, 0))
    legs = [(kind, k) for k in strikes[mid - 3: mid + 3] for kind in (CALL, PUT)]
    for kind, k in legs[: POOL_LEGS]:
        if (kind, k) != (CALL, probe):
            b.tx.send(trader, pool, "buy", expiry, kind, k, 1, big)
    b.tx.send(trader, pool, "buy", expiry, CALL, probe, 5, big)   # a clearly short delta
    lp_round(f"_{POOL_LEGS}_legs")
    maker = b.funded("hedge-maker", record=False)
    b.tx.send(maker, b.book, "place_order", expiry, FUTURE, 0, False,
              b.future_price(expiry, 10), 100, 0, 1)
    b.s.add("hedge", b.tx.send(trader, pool, "hedge", expiry))


def pool_operations(s: Samples) -> dict[str, int]:
    """Medians of the pool samples and the per-leg slopes (empty without pool samples)."""
    names = ("pool_buy", "pool_buy_cold", "pool_sell", "pool_deposit", "pool_deposit_cold",
             "pool_redeem", f"pool_deposit_{POOL_LEGS}_legs", f"pool_redeem_{POOL_LEGS}_legs",
             "hedge")
    ops = {n: s.median(n) for n in names if s.data.get(n)}
    for op in ("deposit", "redeem"):
        many = ops.get(f"pool_{op}_{POOL_LEGS}_legs")
        if many is not None and f"pool_{op}" in ops:
            ops[f"pool_{op}_per_leg"] = round((many - ops[f"pool_{op}"]) / POOL_LEGS)
    return ops
