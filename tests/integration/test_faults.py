"""Faults the venue must survive (docs/architecture.md §4, §8, §9, §10, §11), each from open positions.

* the index oracle goes stale mid-week: fixings fall back to the last futures trade, or the
  update waits with "registry: no fixing source"; a price is never invented;
* nobody calls the registry for ten days: one call catches up, every series settles, every
  position is claimed and P&L sums to zero;
* anvil's state is dumped mid-series and loaded into a fresh anvil: contracts, balances and
  positions are all there and a settle + claim + withdraw completes on the new node;
* a blocklisted account still gets its money out with `withdraw_to`;
* a reentrant token cannot double-spend (withdraw, deposit or claim re-entered);
* the USD1 peg goes 1.00, 0.98, 0.88, 0.50 and back: below 0.97 the market is reduce-only
  (new exposure reverts, closes, cancels, withdrawals, settlement and claims work); a stale
  peg feed counts as a depeg;
* the guardian pauses the vault and the book: new orders and deposits stop; cancels, sweeps,
  withdrawals, daily updates, settlement, claims and recalculation never do.

Every scenario ends with the vault's books exact (`token.balanceOf(vault) == total_balances
- pnl_applied`) and, where positions were closed out, with every token withdrawn.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import ape
import pytest
from eth_abi import decode
from eth_utils import function_signature_to_4byte_selector
from helpers import EIP7825_TX_GAS_CAP, fund_account, holds_series, sunday_noon_after

from rangebound.constants import (
    CALL,
    CANCEL_REDUCE_ONLY,
    DAY,
    FUTURE,
    HOUR,
    IOC,
    MAX_CATCH_UP_DAYS,
    MAX_UINT,
    PUT,
)
from rangebound.dev.node import rpc, start_anvil
from rangebound.models import calendar as cal
from rangebound.ops.deploy import (
    DEFAULTS,
    deploy_lens,
    deploy_system,
    deploy_vault_and_clearinghouse,
    feed_answer,
    market_params,
)

REENTRANT, BLOCKLIST = 16, 4
SOURCE_INDEX_MODE = 4              # FixingSet.source in index mode (the default)
ROOT = Path(__file__).resolve().parents[2]

SURVIVED: list[str] = []


class _Summary:
    def pytest_terminal_summary(self, terminalreporter):
        terminalreporter.write_line(
            f"faults: {len(SURVIVED)} fault scenarios survived ({', '.join(SURVIVED)})"
        )


@pytest.fixture(scope="module", autouse=True)
def _summary(request, chain):
    plugin = _Summary()
    request.config.pluginmanager.register(plugin, "rangebound-faults-summary")
    # every block one second after the previous: block times are exact, never wall-clock
    chain.provider.make_request("anvil_setBlockTimestampInterval", [1])
    yield
    chain.provider.make_request("anvil_removeBlockTimestampInterval", [])
    print(f"\nfaults survived: {len(SURVIVED)}")


# ---------------------------------------------------------------------------- world


class Net:
    """One deployed system, its roles and helpers to move time and prices like a keeper."""

    def __init__(self, system, roles, chain):
        self.s = system
        self.r = roles
        self.chain = chain
        self.token, self.vault, self.ch = system.token, system.vault, system.clearinghouse
        self.lens = system.lens
        self.reg = system.markets["BTC"].registry
        self.book = system.markets["BTC"].book
        self.btc_feed, self.peg_feed = system.feeds["BTC/USD"], system.feeds["USD1/USD"]
        self.tick = self.reg.tick()
        self.btc = 100_000.0
        self.peg = 1.0

    def usd(self, x: float) -> int:
        return self.s.usd(x)

    @property
    def now(self) -> int:
        """Timestamp of the next block."""
        return self.chain.pending_timestamp

    def at(self, ts: int) -> None:
        assert ts >= self.now
        self.chain.pending_timestamp = ts

    def fund(self, who: str, usd: float) -> int:
        return fund_account(self.token, self.vault, self.r["deployer"], self.r[who],
                            self.usd(usd), allowance=MAX_UINT)

    def report_btc(self, price: float) -> None:
        self.btc_feed.submit(self.btc_feed.latest_round() + 1, feed_answer(price), sender=self.r["deployer"])
        self.btc = price

    def report_peg(self, price: float) -> None:
        self.peg_feed.submit(self.peg_feed.latest_round() + 1, feed_answer(price), sender=self.r["deployer"])
        self.peg = price

    def days(self, until: int, prices=None, update: bool = False, peg: bool = True) -> None:
        """Moves time to `until`; the reporter pushes a price at 07:56 of every day crossed
        (and the keeper runs the 08:00 update if `update`)."""
        prices = list(prices or [])
        t8 = cal.update_time(self.now) + DAY
        if self.now > t8 - 240:           # already inside (or past) this morning's window
            t8 += DAY
        while True:
            if t8 - 240 >= until:
                break
            self.at(max(self.now, t8 - 240))
            self.report_btc(prices.pop(0) if prices else self.btc)
            if peg:
                self.report_peg(self.peg)
            if update and t8 < until:
                self.at(t8)
                self.reg.daily_update(sender=self.r["keeper"])
            t8 += DAY
        if until > self.now:
            self.at(until)

    def mid(self, expiry: int) -> int:
        lo, hi = self.reg.bounds(expiry)
        c = min(max(self.usd(self.btc / 1000), lo), hi)
        return c - c % self.tick

    def trade(self, expiry: int, buyer: str, seller: str, qty: int, price: int | None = None,
              kind: int = FUTURE, strike: int = 0) -> int:
        """`seller` rests an ask, `buyer` lifts it (IOC); returns the price."""
        px = self.mid(expiry) if price is None else price
        self.book.place_order(expiry, kind, strike, False, px, qty, 0, 4, sender=self.r[seller])
        self.book.place_order(expiry, kind, strike, True, px, qty, IOC, 4, sender=self.r[buyer])
        return px

    def strike(self, expiry: int) -> int:
        lo, hi = self.reg.bounds(expiry)
        active = [k for k in self.reg.strikes(expiry) if lo < k < hi]
        return active[len(active) // 2]

    def books_exact(self) -> None:
        held = self.token.balanceOf(self.vault)
        assert held == self.vault.total_balances() - self.vault.pnl_applied()
        # every role, plus the market's fee account (its options pool when fees go there)
        holders = {str(a) for a in self.r.values()} | {str(self.ch.fee_account_of(self.reg))}
        total = sum(self.vault.balance_of(a) for a in holders)
        assert total == self.vault.total_balances()

    def claim_all(self, expiry: int, accounts: list[str]) -> dict[str, int]:
        """Claims every position of a settled series (keeper); checks zero-sum P&L."""
        out = {}
        for a in accounts:
            if holds_series(self.ch, self.book, self.r[a], self.reg, expiry):
                tx = self.ch.claim(self.r[a], self.reg, expiry, sender=self.r["keeper"])
                out[a] = tx.events.filter(self.ch.Claimed)[0].pnl
        assert sum(out.values()) == 0, f"P&L of {expiry} does not sum to zero: {out}"
        return out

    def withdraw_all(self, accounts: list[str]) -> None:
        for a in accounts:
            bal = self.vault.balance_of(self.r[a])
            if bal:
                self.vault.withdraw(bal, sender=self.r[a])


ROLES = ("deployer", "guardian", "maker", "taker", "keeper", "stranger", "maker2", "treasury")
TRADERS = ["maker", "maker2", "taker", "stranger"]


def _roles(accounts) -> dict[str, Any]:
    return {name: accounts[i] for i, name in enumerate(ROLES)}


@pytest.fixture(scope="module")
def net(accounts, chain) -> Net:
    roles = _roles(accounts)
    chain.pending_timestamp = sunday_noon_after(chain.blocks.head.timestamp)
    system = deploy_system(roles["deployer"], guardian=roles["guardian"], fee_account=roles["treasury"])
    n = Net(system, roles, chain)
    for who in TRADERS:
        n.fund(who, 100_000)
    return n


def build_hostile(project, roles, chain) -> Net:
    """The whole system wired exactly as deploy_system does, over MockHostileToken."""
    d = roles["deployer"]
    p = {**DEFAULTS, "guardian": roles["guardian"].address, "fee_account": roles["treasury"].address}
    token = project.MockHostileToken.deploy(6, 0, sender=d)
    feeds = {}
    for name, price, dev in (("BTC/USD", 100_000.0, 2_500), ("USD1/USD", 1.0, 5_000)):
        feed = project.ReporterFeed.deploy(8, name, 1, dev, sender=d)
        feed.add_reporter(d, sender=d)
        feed.submit(1, feed_answer(price), sender=d)
        feeds[name] = feed
    registry = project.SeriesRegistry.deploy(market_params(p, feeds["BTC/USD"], feeds["USD1/USD"]), sender=d)
    vault, ch = deploy_vault_and_clearinghouse(d, token, roles["guardian"], p["fee_account"],
                                               p["taker_fee_bps"], p["maker_fee_bps"])
    book = project.OrderBook.deploy(registry, ch, roles["guardian"], sender=d)
    registry.set_order_book(book, sender=d)
    ch.register_market(registry, book, sender=d)
    from rangebound.ops.deploy import Market, System

    system = System(deployer=d, token=token, vault=vault, clearinghouse=ch, feeds=feeds,
                    markets={"BTC": Market("BTC", registry, book)}, params=p)
    deploy_lens(system)
    n = Net(system, roles, chain)
    for who in ("maker", "taker", "maker2"):
        n.fund(who, 50_000)
    return n


def _calldata(contract_method, *args) -> bytes:
    return bytes(contract_method.encode_input(*args))


# ---------------------------------------------------------------------------- oracle stale


def test_oracle_stale_midweek__no_fixing_ranges_kept_trading_goes_on__settles_on_next_round(net, chain):
    """docs/architecture.md §4 (issue 12, attack 3). The old code fell back to the last trade (one lot
    could set it) and then stalled: "registry: no fixing source" for daily_update, place_order
    and settle until the owner acted. Now a day without a fresh index forms no fixing, keeps its
    ranges and variance, trading goes on, and the series expiring that day settles on the first
    index round reported after its window."""
    n = net
    live = list(n.reg.live_expiries())
    for i, e in enumerate(live):                  # trades outside any window: they set nothing
        n.trade(e, "taker", "maker", 2, n.mid(e) + i * 3 * n.tick)
    mon = cal.update_time(n.now) + DAY
    n.days(mon + 60, update=True)                 # Monday 07:56 report; Monday update
    tue = mon + DAY
    # the reporter goes quiet after Monday 07:56; Tuesday's window still sees it (24h < 26h)
    n.at(tue + 60)
    n.reg.daily_update(sender=n.r["keeper"])
    wed = tue + DAY
    wed_expiry = next(e for e in live if e == wed)
    n.at(wed + 60)
    chain.mine()
    assert not n.reg.index_price()[1], "the index must be stale by now"
    listed = list(n.reg.listed_expiries())
    before = ([tuple(n.reg.bounds(e)) for e in listed if e > wed], n.reg.variance())
    tx = n.reg.daily_update(sender=n.r["keeper"])
    assert not tx.events.filter(n.reg.FixingSet), "a fixing was invented"
    assert not tx.events.filter(n.reg.VarianceUpdated)
    assert ([tuple(n.reg.bounds(e)) for e in listed if e > wed], n.reg.variance()) == before
    assert n.reg.last_update() == wed
    # the Wednesday series waits for the first round after its window; trading goes on
    with ape.reverts("registry: no fixing source"):
        n.reg.settle(wed_expiry, sender=n.r["stranger"])
    far = listed[-1]
    n.book.place_order(far, FUTURE, 0, True, n.mid(far), 1, 0, 4, sender=n.r["maker"])
    # what never needs the oracle keeps working: withdrawals of free collateral, recalculation
    n.ch.recalculate(n.r["maker"], sender=n.r["stranger"])
    free = n.vault.free_collateral(n.r["maker"])
    n.vault.withdraw(free // 2, sender=n.r["maker"])
    # the first report after the window settles it (clamped), and claims work
    n.report_btc(101_000)
    n.reg.settle(wed_expiry, sender=n.r["stranger"])
    lo, hi = n.reg.bounds(wed_expiry)
    assert n.reg.settlement_price(wed_expiry) == max(lo, min(n.usd(101), hi))
    n.claim_all(wed_expiry, TRADERS)
    # Thursday's window sees that report (fresh): every series fixes on it again
    thu = wed + DAY
    n.at(thu + 60)
    tx = n.reg.daily_update(sender=n.r["keeper"])
    got = {ev.expiry: (ev.price, ev.source) for ev in tx.events.filter(n.reg.FixingSet)}
    assert got and all(v == (n.usd(101), SOURCE_INDEX_MODE) for v in got.values())
    n.books_exact()
    SURVIVED.append("oracle stale mid-week")


# ---------------------------------------------------------------------------- keeper absent


def test_keeper_absent_ten_days__one_call_catches_up__everything_settles(net, chain):
    n = net
    live = list(n.reg.live_expiries())
    mon, wed, fri = live[0], live[1], live[2]
    far = live[-1]
    prices = {}
    for e in (mon, wed, fri, far):
        prices[e] = n.trade(e, "taker", "maker", 3)
        n.trade(e, "maker2", "taker", 1, prices[e] + 4 * n.tick)
    k = n.strike(fri)
    n.trade(fri, "taker", "maker", 2, 5 * n.usd(1), CALL, k)
    n.trade(fri, "maker2", "stranger", 1, 3 * n.usd(1), PUT, k)
    bounds_far = tuple(n.reg.bounds(far))
    start = n.reg.last_update()
    # ten days: the reporter reports every morning, nobody calls the registry or the book
    path = [100_000 * (1 + 0.01 * d) for d in range(1, 12)]
    n.days(start + 10 * DAY + HOUR, path)
    assert n.reg.last_update() == start and n.reg.needs_update()
    tx = n.reg.settle(mon, sender=n.r["stranger"])            # one call catches up ten days
    assert n.reg.last_update() == start + 10 * DAY
    assert len(tx.events.filter(n.reg.VarianceUpdated)) == 10
    assert list(n.reg.listed_expiries()) == cal.live_expiries(start + 10 * DAY)
    catch_up_gas = tx.gas_used
    expired = [e for e in cal.live_expiries(start) + list(n.reg.listed_expiries())
               if e <= n.now and n.reg.bounds(e)[1] != 0]
    for e in sorted(set(expired)):
        if n.reg.settlement_price(e) == 0:
            stx = n.reg.settle(e, sender=n.r["keeper"])
            assert stx.gas_used < catch_up_gas / 5, "settling after the catch-up is O(1)"
        lo, hi = n.reg.bounds(e)
        s = n.reg.settlement_price(e)
        assert lo <= s <= hi and s == max(lo, min(n.reg.fixing(e, e // DAY), hi))
    for e in (mon, wed, fri):
        n.claim_all(e, TRADERS)
    lo, hi = n.reg.bounds(far)
    assert bounds_far[0] <= lo < hi <= bounds_far[1], "a range widened during the catch-up"
    for a in ("taker", "maker", "maker2", "stranger"):
        assert {x[1] for x in n.ch.open_series(n.r[a])} <= {far}
    n.books_exact()
    SURVIVED.append("keeper absent ten days")


# ---------------------------------------------------------------------------- dump / reload


class Node:
    """A second anvil, driven with plain JSON-RPC (its dev accounts are unlocked)."""

    def __init__(self, url: str):
        self.url = url

    def rpc(self, method: str, *params):
        return rpc(self.url, method, *params, timeout=120)   # loading a dumped state is slow

    def view(self, to, sig: str, args_data: bytes, out: list[str]):
        data = "0x" + (function_signature_to_4byte_selector(sig) + args_data).hex()
        res = self.rpc("eth_call", {"to": str(to), "data": data}, "latest")
        vals = decode(out, bytes.fromhex(res[2:]))
        return vals[0] if len(out) == 1 else tuple(vals)

    def send(self, sender, to, data: bytes, at: int | None = None) -> dict:
        if at is not None:
            self.rpc("evm_setNextBlockTimestamp", at)
        h = self.rpc("eth_sendTransaction", {"from": str(sender), "to": str(to),
                                             "data": "0x" + data.hex(), "gas": hex(10_000_000)})
        receipt = None
        deadline = time.monotonic() + 30
        while receipt is None and time.monotonic() < deadline:
            receipt = self.rpc("eth_getTransactionReceipt", h)
            if receipt is None:
                time.sleep(0.05)
        assert receipt and int(receipt["status"], 16) == 1, f"transaction failed on the new node: {receipt}"
        return receipt


@pytest.fixture
def fresh_anvil(tmp_path):
    node = start_anvil(tmp_path / "anvil.log")
    try:
        yield Node(node.url)
    finally:
        node.stop()


def test_anvil_state_dumped_and_reloaded_mid_series__lifecycle_completes(net, chain, fresh_anvil):
    n = net
    e0 = n.reg.live_expiries()[0]
    px = n.trade(e0, "maker", "taker", 3)                  # maker long 3, taker short 3
    k = n.strike(e0)
    n.trade(e0, "maker2", "taker", 2, 2 * n.usd(1), CALL, k)
    resting = n.book.place_order(e0, FUTURE, 0, True, px - 10 * n.tick, 1, 0, 4, sender=n.r["maker2"]).return_value
    contracts = [n.token, n.vault, n.ch, n.lens, n.reg, n.book, n.btc_feed, n.peg_feed]
    reg_addr = n.reg.address

    def picture(node_view) -> tuple:
        rows = []
        for a in TRADERS + ["treasury"]:
            addr = n.r[a].address
            args = bytes.fromhex(addr[2:].rjust(64, "0"))
            rows.append((
                node_view(n.vault.address, "balance_of(address)", args, ["uint256"]),
                node_view(n.ch.address, "requirement(address)", args, ["uint256"]),
                node_view(n.token.address, "balanceOf(address)", args, ["uint256"]),
                node_view(n.ch.address, "futures_position(address,address,uint256)",
                          _calldata(n.ch.futures_position, addr, reg_addr, e0)[4:], ["int256", "int256"]),
            ))
        rows.append(node_view(n.token.address, "balanceOf(address)",
                              bytes.fromhex(n.vault.address[2:].rjust(64, "0")), ["uint256"]))
        rows.append(node_view(n.book.address, "next_order_id()", b"", ["uint256"]))
        return tuple(rows)

    here = Node(chain.provider.uri)
    before = picture(here.view)
    blob = chain.provider.make_request("anvil_dumpState", [])
    assert isinstance(blob, str) and blob.startswith("0x") and len(blob) > 1000

    new = fresh_anvil
    assert new.rpc("eth_getCode", n.vault.address, "latest") == "0x"     # really a fresh node
    assert new.rpc("anvil_loadState", blob) is True
    for c in contracts:
        assert new.rpc("eth_getCode", c.address, "latest") == here.rpc("eth_getCode", c.address, "latest")
    assert picture(new.view) == before, "balances or positions differ after the reload"

    # the series expires and settles on the new node; everybody claims and withdraws
    head = int(new.rpc("eth_getBlockByNumber", "latest", False)["timestamp"], 16)
    assert head < e0 - 240
    d = n.r["deployer"].address
    rnd = new.view(n.btc_feed.address, "latest_round()", b"", ["uint80"])
    new.send(d, n.btc_feed.address, _calldata(n.btc_feed.submit, rnd + 1, feed_answer(110_000)), at=e0 - 240)
    new.send(n.r["keeper"].address, reg_addr, _calldata(n.reg.settle, e0), at=e0 + 60)
    s = new.view(reg_addr, "settlement_price(uint256)", _calldata(n.reg.settlement_price, e0)[4:], ["uint256"])
    assert s > 0
    new.send(n.r["maker2"].address, n.book.address, _calldata(n.book.cancel_order, resting))
    pnl = {}
    for a in ("maker", "maker2", "taker"):
        addr = n.r[a].address
        pnl[a] = new.view(n.lens.address, "unclaimed_pnl(address,address,uint256)",
                          _calldata(n.lens.unclaimed_pnl, addr, reg_addr, e0)[4:], ["int256"])
        new.send(n.r["keeper"].address, n.ch.address, _calldata(n.ch.claim, addr, reg_addr, e0))
    assert sum(pnl.values()) == 0 and pnl["maker"] == 3 * (s - px)
    for a in ("maker", "maker2", "taker"):
        addr = n.r[a].address
        args = bytes.fromhex(addr[2:].rjust(64, "0"))
        assert new.view(n.ch.address, "requirement(address)", args, ["uint256"]) == 0
        bal = new.view(n.vault.address, "balance_of(address)", args, ["uint256"])
        new.send(addr, n.vault.address, _calldata(n.vault.withdraw, bal))
    held = new.view(n.token.address, "balanceOf(address)", bytes.fromhex(n.vault.address[2:].rjust(64, "0")), ["uint256"])
    total = new.view(n.vault.address, "total_balances()", b"", ["uint256"])
    assert held == total, "the reloaded vault does not hold exactly Σ balances"
    # the original node never saw any of it
    assert picture(here.view) == before
    SURVIVED.append("anvil state dumped and reloaded")


# ---------------------------------------------------------------------------- hostile tokens


def test_blocklisted_account__gets_its_money_out_with_withdraw_to(accounts, chain, project):
    roles = _roles(accounts)
    chain.pending_timestamp = sunday_noon_after(chain.blocks.head.timestamp)
    n = build_hostile(project, roles, chain)
    e0 = n.reg.live_expiries()[0]
    px = n.trade(e0, "maker", "taker", 4)
    n.token.set_behaviour(BLOCKLIST, sender=roles["deployer"])
    n.token.set_blocked(roles["taker"], True, sender=roles["deployer"])   # frozen mid-series
    n.days(e0 + 60, [90_000])
    n.reg.settle(e0, sender=roles["keeper"])                             # internal: unaffected
    pnl = n.claim_all(e0, ["maker", "taker"])
    s = n.reg.settlement_price(e0)
    assert pnl["taker"] == 4 * (px - s)
    bal = n.vault.balance_of(roles["taker"])
    assert bal > 0 and n.ch.requirement(roles["taker"]) == 0
    with ape.reverts("token: blocked"):
        n.vault.withdraw(bal, sender=roles["taker"])
    with ape.reverts("token: blocked"):
        n.vault.deposit(1, sender=roles["taker"])
    rescue = roles["stranger"]
    n.vault.withdraw_to(rescue, bal, sender=roles["taker"])
    assert n.token.balanceOf(rescue) == bal and n.vault.balance_of(roles["taker"]) == 0
    n.withdraw_all(["maker", "maker2", "treasury"])
    assert n.token.balanceOf(n.vault) == 0 == n.vault.total_balances()
    SURVIVED.append("blocklisted account")


def test_reentrant_token__cannot_double_spend(accounts, chain, project):
    from eth_abi import encode

    roles = _roles(accounts)
    chain.pending_timestamp = sunday_noon_after(chain.blocks.head.timestamp)
    n = build_hostile(project, roles, chain)
    d, maker, taker = roles["deployer"], roles["maker"], roles["taker"]
    e0 = n.reg.live_expiries()[0]
    n.trade(e0, "maker", "taker", 4)
    n.days(e0 + 60, [110_000])
    n.reg.settle(e0, sender=roles["keeper"])
    owed = {a: n.lens.unclaimed_pnl(roles[a], n.reg, e0) for a in ("maker", "taker")}
    assert owed["maker"] > 0

    def sel(sig, types, values):
        return function_signature_to_4byte_selector(sig) + encode(types, values)

    probes = [
        # the token re-enters the vault's withdraw while the vault pays out
        (n.vault, sel("withdraw(uint256)", ["uint256"], [10**6])),
        # ... or claims the maker's winnings again in the middle of the maker's withdrawal
        (n.ch, sel("claim(address,address,uint256)", ["address", "address", "uint256"],
                   [maker.address, n.reg.address, e0])),
        # ... or moves money between accounts through the vault's hook
        (n.vault, sel("transfer_internal(address,address,uint256)", ["address", "address", "uint256"],
                      [taker.address, maker.address, 10**6])),
    ]
    n.token.set_behaviour(REENTRANT, sender=d)
    for target, payload in probes:
        n.token.set_reentry(target, payload, sender=d)
        bal = n.vault.balance_of(maker)
        n.vault.withdraw(10**6, sender=maker)
        assert not n.token.reentry_ok(), "a re-entrant call succeeded"
        assert n.vault.balance_of(maker) == bal - 10**6
        n.books_exact()
        n.token.approve(n.vault, 10**6, sender=maker)
        n.vault.deposit(10**6, sender=maker)
        assert not n.token.reentry_ok()
        assert n.vault.balance_of(maker) == bal
        n.books_exact()
    n.token.set_behaviour(0, sender=d)
    # the claims still happen exactly once, for exactly what was owed
    got = n.claim_all(e0, ["maker", "taker"])
    assert got == owed
    with ape.reverts("clearinghouse: nothing to claim"):
        n.ch.claim(maker, n.reg, e0, sender=roles["keeper"])
    n.withdraw_all(["maker", "taker", "maker2", "treasury"])
    assert n.token.balanceOf(n.vault) == 0 == n.vault.total_balances()
    SURVIVED.append("reentrant token")


# ---------------------------------------------------------------------------- depeg


def test_depeg_breaker__reduce_only_below_threshold__closes_and_exits_work(net, chain):
    n = net
    live = list(n.reg.live_expiries())
    e0, far = live[0], live[-1]
    k = n.strike(far)
    px0 = n.trade(e0, "maker", "taker", 2)                       # maker long 2 on e0
    px = n.trade(far, "maker", "taker", 4)                       # maker long 4 on far
    n.trade(far, "maker2", "taker", 2, 4 * n.usd(1), CALL, k)    # taker short 2 calls
    t = n.tick

    def opening_orders_work():
        oid = n.book.place_order(far, FUTURE, 0, True, px - 20 * t, 1, 0, 4, sender=n.r["stranger"]).return_value
        n.book.cancel_order(oid, sender=n.r["stranger"])
        oid = n.book.place_order(far, PUT, k, False, 2 * n.usd(1), 1, 0, 4, sender=n.r["stranger"]).return_value
        n.book.cancel_order(oid, sender=n.r["stranger"])

    for level in (1.00, 0.98):
        n.report_peg(level)
        assert not n.reg.reduce_only()
        opening_orders_work()
    # an ask that would add exposure, resting from before the depeg
    opener = n.book.place_order(far, FUTURE, 0, False, px + 2 * t, 1, 0, 4, sender=n.r["stranger"]).return_value
    for level in (0.88, 0.50):
        n.report_peg(level)
        assert n.reg.reduce_only(), f"not reduce-only at {level}"
        for who, kind, strike, is_buy, price, qty in (
            ("stranger", FUTURE, 0, True, px - 20 * t, 1),       # flat: any order opens
            ("stranger", FUTURE, 0, False, px + 20 * t, 1),
            ("maker", FUTURE, 0, True, px - 20 * t, 1),          # long 4: buying adds
            ("maker", FUTURE, 0, False, px + 20 * t, 5),         # long 4: selling 5 flips
            ("taker", CALL, k, False, 4 * n.usd(1), 1),          # short 2 calls: selling adds
            ("stranger", PUT, k, True, n.usd(1), 1),
        ):
            before = (n.book.next_order_id(), n.ch.requirement(n.r[who]), n.vault.balance_of(n.r[who]))
            with ape.reverts("book: reduce only"):
                n.book.place_order(far, kind, strike, is_buy, price, qty, 0, 4, sender=n.r[who])
            assert (n.book.next_order_id(), n.ch.requirement(n.r[who]), n.vault.balance_of(n.r[who])) == before
    # closing works: the maker sells 1 of its 4, the taker buys back 1 of its short futures;
    # the stranger's opening ask is met first and cancelled, not filled
    close = n.book.place_order(far, FUTURE, 0, False, px + 3 * t, 1, 0, 4, sender=n.r["maker"]).return_value
    tx = n.book.place_order(far, FUTURE, 0, True, px + 3 * t, 1, IOC, 4, sender=n.r["taker"])
    cancels = [(c.order_id, c.reason) for c in tx.decode_logs(n.book.OrderCancelled)]
    assert (opener, CANCEL_REDUCE_ONLY) in cancels
    assert [f.maker_order_id for f in tx.decode_logs(n.book.OrderFilled)] == [close]
    assert n.ch.futures_position(n.r["maker"], n.reg, far)[0] == 3
    n.trade(far, "taker", "maker2", 1, 3 * n.usd(1), CALL, k)  # taker buys back a call
    assert n.ch.option_position(n.r["taker"], n.reg, far, CALL, k) == -1
    # cancels, deposits, withdrawals, settlement and claims all work while depegged
    oid = n.book.place_order(far, FUTURE, 0, False, px + 30 * t, 1, 0, 4, sender=n.r["maker"]).return_value
    n.book.cancel_order(oid, sender=n.r["maker"])
    n.vault.withdraw(n.usd(10), sender=n.r["maker"])
    n.vault.deposit(n.usd(10), sender=n.r["maker"])
    n.days(e0 + 60, [99_000])
    assert n.reg.reduce_only()
    n.reg.settle(e0, sender=n.r["stranger"])
    pnl = n.claim_all(e0, TRADERS)
    assert pnl["maker"] == 2 * (n.reg.settlement_price(e0) - px0)
    # back to par through allowed rounds (the peg feed moves at most 50% a round)
    for level in (0.74, 1.00):
        n.report_peg(level)
    assert not n.reg.reduce_only()
    opening_orders_work()
    # a peg feed nobody updates counts as a depeg
    n.days(n.now + 2 * DAY, peg=False)
    assert n.reg.reduce_only(), "a stale peg feed must make the market reduce-only"
    with ape.reverts("book: reduce only"):
        n.book.place_order(far, FUTURE, 0, True, n.mid(far), 1, 0, 4, sender=n.r["stranger"])
    n.report_peg(1.0)
    assert not n.reg.reduce_only()
    n.books_exact()
    SURVIVED.append("depeg 1.00/0.98/0.88/0.50/1.00 and stale peg")


# ---------------------------------------------------------------------------- pause


def test_guardian_pause__stops_orders_and_deposits__never_exits(net, chain):
    n = net
    live = list(n.reg.live_expiries())
    e0, far = live[0], live[-1]
    px0 = n.trade(e0, "maker", "taker", 2)
    n.trade(far, "maker", "taker", 2)
    resting = n.book.place_order(far, FUTURE, 0, True, n.mid(far) - 10 * n.tick, 1, 0, 4, sender=n.r["maker2"]).return_value
    dead = n.book.place_order(e0, FUTURE, 0, True, px0 - 10 * n.tick, 1, 0, 4, sender=n.r["maker2"]).return_value
    g = n.r["guardian"]
    n.vault.pause(sender=g)
    n.book.pause(sender=g)
    # stops: new orders (every kind) and deposits
    for kind, strike, price in ((FUTURE, 0, n.mid(far)), (CALL, n.strike(far), n.usd(1))):
        with ape.reverts("book: paused"):
            n.book.place_order(far, kind, strike, True, price, 1, 0, 4, sender=n.r["maker"])
    with ape.reverts("vault: paused"):
        n.vault.deposit(n.usd(1), sender=n.r["maker"])
    # never stops: cancel, withdraw, withdraw_to, recalculate, daily update, settle, sweep, claim
    n.book.cancel_order(resting, sender=n.r["maker2"])
    n.vault.withdraw(n.usd(5), sender=n.r["maker"])
    n.vault.withdraw_to(n.r["keeper"], n.usd(5), sender=n.r["maker"])
    n.ch.recalculate(n.r["taker"], sender=n.r["stranger"])
    n.days(e0 + 60, [98_000])
    n.reg.daily_update(sender=n.r["keeper"])
    n.reg.settle(e0, sender=n.r["keeper"])
    assert n.book.sweep_dead_orders(n.r["maker2"], [dead], sender=n.r["keeper"]).return_value == 1
    pnl = n.claim_all(e0, TRADERS)
    assert pnl["maker"] == 2 * (n.reg.settlement_price(e0) - px0)
    n.vault.withdraw(n.vault.free_collateral(n.r["taker"]), sender=n.r["taker"])
    assert n.vault.paused() and n.book.paused()
    n.books_exact()
    # and trading resumes after the guardian unpauses
    n.vault.unpause(sender=g)
    n.book.unpause(sender=g)
    n.vault.deposit(n.usd(1), sender=n.r["maker"])
    n.book.place_order(far, FUTURE, 0, True, n.mid(far), 1, 0, 4, sender=n.r["maker"])
    n.books_exact()
    SURVIVED.append("guardian pause")


# ---------------------------------------------------------------------------- gas and size limits


def test_keeper_absent_forty_days__catch_up_in_bounded_calls_each_under_tx_cap(net, chain):
    """Forty days without a single call: trading and settlement refuse a half-done catch-up with
    a clear reason (and write nothing); four `daily_update` calls of at most 10 days each, every
    one under the 2**24 per-transaction gas cap, bring the registry current; then the book
    trades again and every expired series settles."""
    n = net
    start = n.reg.last_update()
    n.days(start + 40 * DAY + HOUR)                  # the reporter reports, nobody else calls
    assert n.reg.needs_update()
    expired = [e for e in n.reg.listed_expiries() if e <= n.now]   # listed 40 days ago
    assert expired
    far = max(cal.live_expiries(n.now))
    with ape.reverts("registry: catch-up incomplete"):
        n.reg.settle(expired[0], sender=n.r["stranger"])
    with ape.reverts("book: catch-up incomplete"):
        n.book.place_order(expired[0], FUTURE, 0, True, n.mid(expired[0]), 1, 0, 4,
                           sender=n.r["maker"])
    assert n.reg.last_update() == start, "a reverted call kept part of its catch-up"
    gas = []
    limit = chain.blocks.head.gas_limit
    for _ in range(8):                               # a keeper may need several calls ...
        if not n.reg.needs_update():
            break
        before = n.reg.last_update()
        tx = n.reg.daily_update(sender=n.r["keeper"], gas=limit)
        assert n.reg.last_update() - before == min(MAX_CATCH_UP_DAYS * DAY, start + 40 * DAY - before)
        gas.append(tx.gas_used)
    print(f"\ncatch-up of 40 days: {len(gas)} calls, gas {gas}")
    assert n.reg.last_update() == start + 40 * DAY and not n.reg.needs_update()
    assert len(gas) == -(-40 // MAX_CATCH_UP_DAYS)
    assert max(gas) <= EIP7825_TX_GAS_CAP           # ... and each fits one transaction
    for e in sorted(set(expired) | {x for x in n.reg.listed_expiries() if x <= n.now}):
        if n.reg.settlement_price(e) == 0:
            n.reg.settle(e, sender=n.r["keeper"])
        lo, hi = n.reg.bounds(e)
        assert lo <= n.reg.settlement_price(e) <= hi
    assert far in list(n.reg.live_expiries())
    oid = n.book.place_order(far, FUTURE, 0, True, n.mid(far), 1, 0, 4,
                             sender=n.r["maker"]).return_value
    n.book.cancel_order(oid, sender=n.r["maker"])
    n.books_exact()
    SURVIVED.append("keeper absent forty days")


def test_every_deployable__runtime_under_eip170(net, chain):
    """Public networks refuse runtime code above 24,576 bytes (EIP-170)."""
    deployed = (("ReferenceUSD1", net.token), ("CollateralVault", net.vault),
                ("Clearinghouse", net.ch), ("SeriesRegistry", net.reg), ("OrderBook", net.book),
                ("ReporterFeed", net.btc_feed), ("Lens", net.lens))
    sizes = {name: len(chain.provider.get_code(c.address)) for name, c in deployed}
    print("\nruntime sizes (bytes):", sizes)
    for name, size in sizes.items():
        assert 0 < size <= 24_576, f"{name} runtime is {size} bytes, over EIP-170"
