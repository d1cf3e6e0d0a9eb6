"""A client that is not Ape: plain web3.py, contracts built only from `abi/*.json` and the
addresses of the deployment record, drives the whole cycle on anvil: deposit, resting order,
matching order, cancel, settle, claim, withdraw. Time moves with anvil's own RPC.

The system is deployed once by `deploy_system` (the `system` fixture); from then on nothing
here touches an Ape contract object.
"""

from __future__ import annotations

import json

import pytest
from web3 import Web3
from web3.exceptions import ContractLogicError

from rangebound.constants import DAY, FUTURE, IOC, POST_ONLY
from rangebound.dev.abi_export import ROOT
from rangebound.dev.node import rpc


class Client:
    """web3 contracts from abi/ at the record's addresses; every account unlocked on anvil."""

    def __init__(self, url: str, record: dict):
        self.url = url
        self.w3 = Web3(Web3.HTTPProvider(url))
        c = record

        def at(name: str, addr: str):
            abi = json.loads((ROOT / "abi" / f"{name}.json").read_text())
            return self.w3.eth.contract(address=Web3.to_checksum_address(addr), abi=abi)

        self.token = at("ReferenceUSD1", c["token"])
        self.vault = at("CollateralVault", c["vault"])
        self.ch = at("Clearinghouse", c["clearinghouse"])
        self.reg = at("SeriesRegistry", c["markets"]["BTC"]["registry"])
        self.book = at("OrderBook", c["markets"]["BTC"]["book"])
        self.btc = at("ReporterFeed", c["feeds"]["BTC/USD"])
        self.peg = at("ReporterFeed", c["feeds"]["USD1/USD"])

    def send(self, fn, sender: str):
        """Transact and wait; returns the receipt (status checked)."""
        tx = fn.transact({"from": sender})
        receipt = self.w3.eth.wait_for_transaction_receipt(tx, timeout=30, poll_latency=0.01)
        assert receipt.status == 1
        return receipt

    def at_time(self, ts: int) -> None:
        """Mine an empty block at `ts`: later transactions (and their gas estimates) see it."""
        rpc(self.url, "evm_mine", ts)

    def report(self, reporter: str, btc_usd: float, peg_usd: float = 1.0) -> None:
        for feed, price in ((self.btc, btc_usd), (self.peg, peg_usd)):
            rid = feed.functions.latest_round().call() + 1
            self.send(feed.functions.submit(rid, round(price * 10**8)), reporter)


@pytest.fixture
def client(system, chain):
    return Client(chain.provider.uri, system.addresses())


def _fund(cl: Client, minter: str, account: str, amount: int) -> None:
    cl.send(cl.token.functions.mint(account, amount), minter)
    cl.send(cl.token.functions.approve(cl.vault.address, amount), account)
    cl.send(cl.vault.functions.deposit(amount), account)


def test_web3_client__abi_only__full_cycle(client, deployer, maker, taker, keeper, chain):
    cl, d, m, t = client, deployer.address, maker.address, taker.address
    unit = 10 ** cl.token.functions.decimals().call()
    for a in (m, t):
        _fund(cl, d, a, 5_000 * unit)
    assert cl.vault.functions.balance_of(m).call() == 5_000 * unit

    e = cl.reg.functions.live_expiries().call()[0]
    lo, hi = cl.reg.functions.bounds(e).call()
    tick = cl.reg.functions.tick().call()
    price = (lo + hi) // 2 // tick * tick
    params = cl.reg.functions.params().call()  # a named struct, decoded as a tuple
    assert params[0] == "BTC" and params[3] == tick

    # resting order (post-only sell), then a matching IOC buy from the taker
    r = cl.send(cl.book.functions.place_order(e, FUTURE, 0, False, price, 2, POST_ONLY, 1), m)
    placed = cl.book.events.OrderPlaced().process_receipt(r)
    assert placed and placed[0].args.qty == 2 and placed[0].args.price == price
    assert cl.book.functions.best_ask(e, FUTURE, 0).call() == price
    r = cl.send(cl.book.functions.place_order(e, FUTURE, 0, True, price, 2, IOC, 4), t)
    fills = cl.ch.events.Fill().process_receipt(r)
    assert [(f.args.qty, f.args.price, f.args.maker) for f in fills] == [(2, price, m)]
    assert cl.ch.functions.futures_position(t, cl.reg.address, e).call() == [2, 2 * price]

    # a second resting order, cancelled: its reserve is released
    before = cl.ch.functions.requirement(m).call()
    cl.send(cl.book.functions.place_order(e, FUTURE, 0, False, price + tick, 1, POST_ONLY, 1), m)
    oid = cl.book.functions.next_order_id().call()
    assert cl.ch.functions.requirement(m).call() > before
    r = cl.send(cl.book.functions.cancel_order(oid), m)
    assert cl.book.events.OrderCancelled().process_receipt(r)[0].args.order_id == oid
    assert cl.ch.functions.requirement(m).call() == before

    # a revert reason is readable by a plain client
    with pytest.raises(ContractLogicError, match="vault: insufficient"):
        cl.vault.functions.withdraw(10**9 * unit).call({"from": m})

    # to the expiry: reports at 07:56 of each day, then settle (it runs the daily updates)
    now = chain.pending_timestamp
    day = now - now % DAY + 8 * 3600 - 240
    while day < e:
        if day > now:
            cl.at_time(day)
            cl.report(d, 110_000.0)
        day += DAY
    cl.at_time(e + 60)
    r = cl.send(cl.reg.functions.settle(e), keeper.address)
    s = cl.reg.events.SeriesSettled().process_receipt(r)[0].args.price
    assert s == cl.reg.functions.settlement_price(e).call() > price
    assert cl.reg.functions.fixing(e, e // DAY).call() > 0

    # claims for both sides (anyone may claim), zero-sum, then withdraw everything
    pnl = {}
    for a in (t, m):
        r = cl.send(cl.ch.functions.claim(a, cl.reg.address, e), keeper.address)
        pnl[a] = cl.ch.events.Claimed().process_receipt(r)[0].args.pnl
        assert cl.ch.functions.requirement(a).call() == 0
    assert pnl[t] == 2 * (s - price) == -pnl[m]
    for a in (t, m):
        bal = cl.vault.functions.balance_of(a).call()
        cl.send(cl.vault.functions.withdraw(bal), a)
        assert cl.vault.functions.balance_of(a).call() == 0
        assert cl.token.functions.balanceOf(a).call() >= bal


CONSUMER = """
// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;
import {ISeriesRegistry} from "ISeriesRegistry.sol";
import {IReporterFeed} from "IReporterFeed.sol";

contract RangeReader {
    /// The series' range and the market's tick, through the generated named structs.
    function lot_range(address reg, uint256 expiry)
        external view returns (uint256 lower, uint256 upper, uint256 tick, string memory name)
    {
        ISeriesRegistry.Series memory s = ISeriesRegistry(reg).series_info(expiry);
        ISeriesRegistry.MarketParams memory p = ISeriesRegistry(reg).params();
        return (s.lower, s.upper, p.tick, p.name);
    }

    /// The index feed read as a Chainlink AggregatorV3 consumer does.
    function index_answer(address reg) external view returns (int256 answer, string memory d) {
        IReporterFeed feed = IReporterFeed(ISeriesRegistry(reg).params().index_feed);
        (, answer,,,) = feed.latestRoundData();
        d = feed.description();
    }
}
"""


def test_solidity_consumer__generated_interfaces__reads_structs_and_feed(client, deployer):
    from rangebound.dev.solc import compile_sources

    cl = client
    sources = {n: (ROOT / "interfaces/solidity" / n).read_text()
               for n in ("ISeriesRegistry.sol", "IReporterFeed.sol")}
    out = compile_sources({**sources, "RangeReader.sol": CONSUMER},
                          outputs=("abi", "evm.bytecode.object"), evm_version="shanghai")
    art = out["contracts"]["RangeReader.sol"]["RangeReader"]
    factory = cl.w3.eth.contract(abi=art["abi"], bytecode="0x" + art["evm"]["bytecode"]["object"])
    rcpt = cl.send(factory.constructor(), deployer.address)
    reader = cl.w3.eth.contract(address=rcpt.contractAddress, abi=art["abi"])
    e = cl.reg.functions.live_expiries().call()[1]
    lo, hi = cl.reg.functions.bounds(e).call()
    assert reader.functions.lot_range(cl.reg.address, e).call() == [
        lo, hi, cl.reg.functions.tick().call(), "BTC"]
    assert reader.functions.index_answer(cl.reg.address).call() == [100_000 * 10**8, "BTC / USD"]
