"""The market machine's world (tests/stateful/test_market_machine.py): one deployed system with
role-named accounts (`build_env`), a batched JSON-RPC view reader, the shadow ledger of one
position (`Pos`), a maker's unfolded fill records (`Records`) and the fee and exposure rules the
machine models."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import requests
from ape import chain
from eth_abi import decode, encode
from eth_utils import function_signature_to_4byte_selector
from helpers import sunday_noon_after
from strategies import TRADERS

from rangebound import margin
from rangebound.constants import BPS, CALL, FUTURE, MAX_UINT, PUT
from rangebound.deploy import deploy_system

WALLET_USD = 5_000_000
START_DEPOSIT_USD = 2_000
MIN_FIXING_VOLUME = 10
GUARD_BPS = 100           # market mode (the machine opts in): daily guard 1% (0.25% at expiry)
LOT_SIZE = 10**14          # WAD BTC per lot (0.0001 BTC)
TICK_USD = 0.001
GAS = 25_000_000          # explicit gas limit: no estimate per transaction (anvil: 30M blocks)


# ---------------------------------------------------------------------------- fast views


class Reader:
    """Many eth_calls in one JSON-RPC batch (anvil answers 100 views in ~10 ms)."""

    def __init__(self, uri: str):
        self.uri = uri
        self.session = requests.Session()
        self._sigs: dict[str, tuple[bytes, list[str]]] = {}

    def _sig(self, sig: str) -> tuple[bytes, list[str]]:
        if sig not in self._sigs:
            inner = sig[sig.index("(") + 1 : -1]
            self._sigs[sig] = (function_signature_to_4byte_selector(sig), [t for t in inner.split(",") if t])
        return self._sigs[sig]

    def many(self, calls: list[tuple]) -> list[Any]:
        """calls: (address, "fn(types)", args, [return types]) or ("block",) for the head time."""
        payload = []
        for i, c in enumerate(calls):
            if c[0] == "block":
                payload.append({"jsonrpc": "2.0", "id": i, "method": "eth_getBlockByNumber",
                                "params": ["latest", False]})
                continue
            to, sig, args, _ = c
            selector, types = self._sig(sig)
            data = "0x" + (selector + encode(types, list(args))).hex()
            payload.append({"jsonrpc": "2.0", "id": i, "method": "eth_call",
                            "params": [{"to": str(to), "data": data}, "latest"]})
        if not payload:
            return []
        answers = sorted(self.session.post(self.uri, json=payload, timeout=120).json(),
                         key=lambda r: r["id"])
        out: list[Any] = []
        for c, r in zip(calls, answers):
            if "error" in r:
                raise AssertionError(f"view {c[:3]} failed: {r['error']}")
            if c[0] == "block":
                out.append(int(r["result"]["timestamp"], 16))
                continue
            vals = decode(c[3], bytes.fromhex(r["result"][2:]))
            out.append(vals[0] if len(c[3]) == 1 else tuple(vals))
        return out

    def simulate(self, sender: str, to: str, data: bytes) -> str | None:
        """eth_call on the pending block; the revert reason, or None if it would succeed."""
        r = self.session.post(self.uri, json={
            "jsonrpc": "2.0", "id": 1, "method": "eth_call",
            "params": [{"from": sender, "to": str(to), "data": "0x" + bytes(data).hex(),
                        "gas": hex(GAS)}, "pending"]}, timeout=120).json()
        if "error" not in r:
            return None
        raw = r["error"].get("data") or ""
        if raw.startswith("0x08c379a0"):
            return decode(["string"], bytes.fromhex(raw[10:]))[0]
        raise AssertionError(f"simulation failed without a reason: {r['error']}")

    def one(self, *call) -> Any:
        return self.many([call])[0]



# ---------------------------------------------------------------------------- environment


@dataclass
class Env:
    system: Any
    registry: Any
    book: Any
    ch: Any
    vault: Any
    token: Any
    btc_feed: Any
    peg_feed: Any
    accounts: dict[str, Any]
    reader: Reader
    tick: int
    unit: int
    lot: int
    decimals: int
    maker_bps: int
    taker_bps: int
    minted: int
    base: Any = None


def build_env(accounts, decimals: int = 6) -> Env:
    deployer, guardian, treasury = accounts[0], accounts[1], accounts[7]
    roles = {
        "deployer": deployer, "guardian": guardian, "maker": accounts[2], "taker": accounts[3],
        "keeper": accounts[4], "stranger": accounts[5], "maker2": accounts[6],
        "treasury": treasury, "reporter2": accounts[8],
    }
    chain.provider.make_request("anvil_setBlockTimestampInterval", [1])
    chain.pending_timestamp = sunday_noon_after(chain.blocks.head.timestamp)
    # 0.0001 BTC lots on a 0.001 USD1 tick: a lot is ~10 USD1, a monthly range ~11,700 ticks,
    # and a fee (bps of a tick multiple) is not always whole, so fee rounding is exercised
    system = deploy_system(deployer, guardian=guardian, fee_account=treasury, decimals=decimals,
                           index_mode=False, min_fixing_volume=MIN_FIXING_VOLUME, guard_bps=GUARD_BPS,
                           lot_size=LOT_SIZE, tick_usd=TICK_USD,
                           pool_fees=False)   # fees to `treasury`, an account the machine sums
    market = system.markets["BTC"]
    for feed in system.feeds.values():
        feed.add_reporter(roles["reporter2"], sender=deployer)
    token, vault = system.token, system.vault
    wallet = system.usd(WALLET_USD)
    for name in TRADERS:
        a = roles[name]
        token.mint(a, wallet, sender=deployer)
        token.approve(vault, MAX_UINT, sender=a)
        vault.deposit(system.usd(START_DEPOSIT_USD), sender=a)
    return Env(
        system=system, registry=market.registry, book=market.book, ch=system.clearinghouse,
        vault=vault, token=token, btc_feed=system.feeds["BTC/USD"],
        peg_feed=system.feeds["USD1/USD"], accounts=roles, reader=Reader(chain.provider.uri),
        tick=market.registry.tick(), unit=10**decimals, lot=system.params["lot_size"],
        decimals=decimals, maker_bps=system.params["maker_fee_bps"],
        taker_bps=system.params["taker_fee_bps"], minted=wallet * len(TRADERS),
    )


# ---------------------------------------------------------------------------- shadow ledger

RECORDS = "(int256,int256,uint256,uint256,uint256)"     # IFillRecords.Records, as the reader decodes it


@dataclass(frozen=True)
class Records:
    """`OrderBook.unfolded(owner, expiry)` (docs/architecture.md §16): the owner's futures fills
    recorded by the book and not folded yet: Σ signed lots (a bid +q, an ask -q), Σ lots·price,
    the reserve still held for them (> 0 exactly when there are records), Σ maker fees as their
    `Fill` events stated them, and Σ lots of the bid records (already in the open interest)."""

    lots: int = 0
    cost: int = 0
    reserve: int = 0
    fee: int = 0
    bought: int = 0

    def any(self) -> bool:
        return self.reserve != 0

    def position(self) -> Pos:
        """The records alone as a futures position (what a fold adds to the folded one)."""
        return Pos(self.lots, self.cost)


NO_RECORDS = Records()


@dataclass
class Pos:
    n: int = 0
    cost: int = 0
    legs: dict[tuple[int, int], int] = field(default_factory=dict)

    def leg_list(self) -> list[tuple[int, int, int]]:
        """(kind, strike, qty) sorted by (strike, kind), as the Clearinghouse keeps them."""
        return [(k, s, q) for (s, k), q in sorted(self.legs.items()) if q != 0]

    def empty(self) -> bool:
        return self.n == 0 and self.cost == 0 and not any(self.legs.values())

    def qty(self, kind: int, strike: int) -> int:
        return self.n if kind == FUTURE else self.legs.get((strike, kind), 0)

    def add(self, kind: int, strike: int, price: int, delta: int) -> None:
        if kind == FUTURE:
            self.n += delta
            self.cost += delta * price
        else:
            q = self.legs.get((strike, kind), 0) + delta
            if q:
                self.legs[(strike, kind)] = q
            else:
                self.legs.pop((strike, kind), None)

    def folded(self, rec: Records) -> Pos:
        """The Clearinghouse's own (folded) position: the whole one less the unfolded records."""
        return Pos(self.n - rec.lots, self.cost - rec.cost, dict(self.legs))

    def long(self, kind: int) -> int:
        """Long lots of one kind (the position's part of that kind's open interest)."""
        if kind == FUTURE:
            return max(self.n, 0)
        return sum(max(q, 0) for (_, k), q in self.legs.items() if k == kind)

    def requirement(self, lo: int, hi: int) -> int:
        return margin.requirement(self.n, self.cost, self.leg_list(), lo, hi)

    def pnl(self, s: int) -> int:
        return margin.pnl(s, self.n, self.cost, self.leg_list())


KINDS = (FUTURE, CALL, PUT)


def fee(notional: int, bps: int) -> int:
    return -(-notional * bps // BPS)


def part(amount: int, frac: float) -> int:
    """`frac` (0..1) of a raw amount, in integers: `int(amount * frac)` loses the low digits
    of an 18-decimal amount and can land above `amount` (a withdrawal of "all but nothing"
    then asks for more than the balance)."""
    return amount * round(frac * 2**32) // 2**32


def adds_exposure(old: int, new: int) -> bool:
    if old >= 0 and new >= 0:
        return new > old
    if old <= 0 and new <= 0:
        return new < old
    return True
