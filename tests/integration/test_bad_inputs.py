"""The bad-input matrix: every external entry point of every contract, every reason it refuses.

One table, one test per row. Each row names the entry point, the caller (a role), the
arguments, an optional preparation (pause, depeg, lowered caps, a stale oracle, a second
reporter round, ...) and the exact revert reason. The test takes the state before the call
(after the preparation), asserts `ape.reverts(reason)`, and checks that nothing changed:

* a readable tuple: every role's wallet, vault balance, requirement, reserves and open series,
  the futures and option positions of every series in play, the vault totals, the book's next
  order id, the registry's clock and ranges, both feeds' rounds;
* and, stronger, a digest of the storage of every contract on the chain and of every ETH
  balance (from `anvil_dumpState`), so a rejected call provably wrote nothing anywhere.

The world (module fixture) has: positions on the nearest series (e0), settled, the winner
claimed and the loser not (locked collateral); positions and option legs on the next series
(e1), live; resting orders on the farthest series; a dead order on e0.

Many rows repeat checks of the unit suites on purpose, so that this one table is the complete
list (tests/unit/vault/, tests/unit/order_book/test_book_place_order_validation.py,
tests/unit/clearinghouse/ (*bad_inputs*), tests/unit/reporter_feed/ and
tests/integration/registry/test_registry_setters.py cover them one by one, the registry's
heartbeat and depeg-threshold bounds included). Not repeated here: the 65,536-tick bitmap bound
(tests/unit/order_book/test_book_place_order_validation.py::
test_place_order__price_index_beyond_bitmap__reverts, it needs a 0.001-USD tick market) and the
legs / open-series bounds (tests/unit/clearinghouse/test_ch_settle_fills_limits.py::
test_settle_fills__max_legs__33rd_reverts_closing_frees_a_slot, test_settle_fills__max_open_series__25th_reverts).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import ape
import pytest
import requests
from eth_abi import decode, encode
from eth_utils import function_signature_to_4byte_selector
from helpers import NOT_OWNER, deploy_reverts, fund, storage_digest, sunday_noon_after

from rangebound.constants import (
    CALL,
    DAY,
    FUTURE,
    IOC,
    MAX_FILLS,
    MAX_HEARTBEAT,
    MAX_UINT,
    POST_ONLY,
    PUT,
    WAD,
    ZERO_ADDRESS,
)
from rangebound.ops.deploy import deploy_system, feed_answer, market_params, report

RETURNS_FALSE, FEE, BLOCKLIST, PAUSABLE = 1, 2, 4, 8

PRICE_106K = feed_answer(106_000)     # the BTC feed's latest answer in the world

TRIED: list[str] = []


# ---------------------------------------------------------------------------- views


class Reader:
    """Many eth_calls in one JSON-RPC batch."""

    def __init__(self, uri: str):
        self.uri = uri
        self.session = requests.Session()

    def many(self, calls: list[tuple]) -> list[Any]:
        payload = []
        for i, (to, sig, args, _) in enumerate(calls):
            types = [t for t in sig[sig.index("(") + 1 : -1].split(",") if t]
            data = function_signature_to_4byte_selector(sig) + encode(types, list(args))
            payload.append({"jsonrpc": "2.0", "id": i, "method": "eth_call",
                            "params": [{"to": str(to), "data": "0x" + data.hex()}, "latest"]})
        answers = sorted(self.session.post(self.uri, json=payload, timeout=60).json(),
                         key=lambda r: r["id"])
        out = []
        for (_, sig, args, ret), r in zip(calls, answers):
            assert "error" not in r, f"{sig}{args}: {r['error']}"
            vals = decode(ret, bytes.fromhex(r["result"][2:]))
            out.append(vals[0] if len(ret) == 1 else tuple(vals))
        return out


@dataclass
class World:
    system: Any
    token: Any
    vault: Any
    ch: Any
    registry: Any
    book: Any
    btc: Any
    peg: Any
    acct: dict[str, Any]
    reader: Reader
    tick: int
    e0: int          # settled; maker (winner) claimed, taker (loser) not
    e1: int          # live; maker long futures and short a call, maker2 the other side
    far: int         # live; resting orders of maker (bid) and maker2 (ask)
    lo: int          # range of `far`
    hi: int
    k: int           # an active strike of `far`
    k1: int          # the strike traded on e1
    bid_id: int      # maker's resting bid on `far`
    ask_id: int      # maker2's resting ask on `far`
    dead_id: int     # maker2's bid on e0 (expired: dead)

    def usd(self, x: float) -> int:
        return self.system.usd(x)

    @property
    def mid(self) -> int:
        return (self.lo + self.hi) // 2 // self.tick * self.tick


@pytest.fixture(scope="module")
def world(accounts, chain) -> World:
    roles = {"deployer": accounts[0], "guardian": accounts[1], "maker": accounts[2],
             "taker": accounts[3], "keeper": accounts[4], "stranger": accounts[5],
             "maker2": accounts[6], "treasury": accounts[7], "reporter2": accounts[8]}
    chain.pending_timestamp = sunday_noon_after(chain.blocks.head.timestamp)
    d = roles["deployer"]
    # no pool here: the registry's set_pool rows need it unset (pool rows: tests/integration/pool/)
    system = deploy_system(d, guardian=roles["guardian"], fee_account=roles["treasury"], pool=False)
    market = system.markets["BTC"]
    reg, book, ch = market.registry, market.book, system.clearinghouse
    for who in ("maker", "maker2", "taker"):
        fund(system, roles[who], 200_000, allowance=MAX_UINT)
    fund(system, roles["stranger"], 1_000, deposit=False, allowance=MAX_UINT)               # a small trader ...
    system.vault.deposit(system.usd(1), sender=roles["stranger"])        # ... with 1 USD1 in
    live = list(reg.live_expiries())
    e0, e1, far = live[0], live[1], live[-1]
    tick = reg.tick()
    c = system.usd(100)                                                   # 0.001 BTC at 100,000
    m, m2, t = roles["maker"], roles["maker2"], roles["taker"]
    # e0: maker long 2 from the taker at 100; maker2's bid will be dead after expiry
    book.place_order(e0, FUTURE, 0, True, c, 2, 0, 4, sender=m)
    book.place_order(e0, FUTURE, 0, False, c, 2, IOC, 4, sender=t)
    dead_id = book.place_order(e0, FUTURE, 0, True, c - 10 * tick, 1, 0, 4, sender=m2).return_value
    # e1: maker long 1 future and short 1 call from maker2
    lo1, hi1 = reg.bounds(e1)
    k1 = [k for k in reg.strikes(e1) if lo1 < k < hi1][12]
    book.place_order(e1, FUTURE, 0, False, c, 1, 0, 4, sender=m2)
    book.place_order(e1, FUTURE, 0, True, c, 1, IOC, 4, sender=m)
    book.place_order(e1, CALL, k1, False, 5 * tick * 100, 1, 0, 4, sender=m)
    book.place_order(e1, CALL, k1, True, 5 * tick * 100, 1, IOC, 4, sender=m2)
    # far: resting orders
    lo, hi = reg.bounds(far)
    k = [x for x in reg.strikes(far) if lo < x < hi][12]
    bid_id = book.place_order(far, FUTURE, 0, True, c - 5 * tick, 3, 0, 4, sender=m).return_value
    ask_id = book.place_order(far, FUTURE, 0, False, c + 5 * tick, 3, 0, 4, sender=m2).return_value
    # e0 expires with the index at 106,000 (index mode: the fixing is the index, the trades
    # at 100 set nothing): the short taker loses and stays unclaimed, the long maker claims
    chain.pending_timestamp = e0 - 240
    report(system.feeds["BTC/USD"], d, 103_000)
    report(system.feeds["BTC/USD"], d, 106_000)
    report(system.feeds["USD1/USD"], d, 1.0)
    chain.pending_timestamp = e0 + 60
    reg.settle(e0, sender=roles["keeper"])
    assert reg.settlement_price(e0) > c
    ch.claim(m, reg, e0, sender=roles["keeper"])
    for f in system.feeds.values():
        f.add_reporter(roles["reporter2"], sender=d)
    return World(system=system, token=system.token, vault=system.vault, ch=ch, registry=reg,
                 book=book, btc=system.feeds["BTC/USD"], peg=system.feeds["USD1/USD"],
                 acct=roles, reader=Reader(chain.provider.uri), tick=tick, e0=e0, e1=e1,
                 far=far, lo=lo, hi=hi, k=k, k1=k1, bid_id=bid_id, ask_id=ask_id,
                 dead_id=dead_id)


# ---------------------------------------------------------------------------- state


def readable_state(w: World) -> tuple:
    v, c, r, b = w.vault.address, w.ch.address, w.registry.address, w.book.address
    calls: list[tuple] = [
        (w.token.address, "balanceOf(address)", [v], ["uint256"]),
        (v, "total_balances()", [], ["uint256"]),
        (v, "pnl_applied()", [], ["int256"]),
        (v, "paused()", [], ["bool"]),
        (b, "paused()", [], ["bool"]),
        (b, "next_order_id()", [], ["uint256"]),
        (r, "last_update()", [], ["uint256"]),
        (r, "variance()", [], ["uint256"]),
        (w.btc.address, "latest_round()", [], ["uint80"]),
        (w.peg.address, "latest_round()", [], ["uint80"]),
    ]
    for x in (w.e0, w.e1, w.far):
        calls += [(r, "bounds(uint256)", [x], ["uint256", "uint256"]),
                  (r, "settlement_price(uint256)", [x], ["uint256"])]
    for name, a in sorted(w.acct.items()):
        calls += [(w.token.address, "balanceOf(address)", [a.address], ["uint256"]),
                  (v, "balance_of(address)", [a.address], ["uint256"]),
                  (c, "requirement(address)", [a.address], ["uint256"]),
                  (c, "reserved(address)", [a.address], ["uint256"]),
                  (c, "open_series(address)", [a.address], ["(address,uint256)[]"])]
        for x in (w.e0, w.e1, w.far):
            calls += [(c, "futures_position(address,address,uint256)", [a.address, r, x], ["int256", "int256"]),
                      (c, "option_legs(address,address,uint256)", [a.address, r, x], ["(uint8,uint256,int256)[]"])]
    return tuple(w.reader.many(calls))


# ---------------------------------------------------------------------------- the table


@dataclass
class Case:
    id: str
    reason: str
    sender: str
    call: Callable[[World], tuple]                      # -> (contract method, args)
    prepare: Callable[[World, Any], None] | None = None   # (world, chain)


def _pause_vault(w, chain):
    w.vault.pause(sender=w.acct["guardian"])


def _pause_book(w, chain):
    w.book.pause(sender=w.acct["guardian"])


def _depeg(w, chain):
    report(w.peg, w.acct["deployer"], 0.88)
    assert w.registry.reduce_only()


def _caps(w, chain):
    w.ch.set_caps(w.registry, 10, 1, sender=w.acct["deployer"])


def _oi_cap(w, chain):
    w.ch.set_caps(w.registry, 1, 100, sender=w.acct["deployer"])


def _cancelled(w, chain):
    w.book.cancel_order(w.bid_id, sender=w.acct["maker"])


def _two_reporters(w, chain):
    w.btc.set_min_submissions(2, sender=w.acct["deployer"])
    w.btc.submit(w.btc.latest_round() + 1, feed_answer(106_000), sender=w.acct["deployer"])


def _pending_owner(w, chain):
    for c in (w.vault, w.ch, w.book, w.registry, w.btc):
        c.transfer_ownership(w.acct["keeper"], sender=w.acct["deployer"])


def _direct_tokens(w, chain):
    w.token.transfer(w.vault, 10, sender=w.acct["stranger"])


def _expire_e1(w, chain):
    """e1's expiry day has no fresh index (the last report is Monday 07:56)."""
    chain.mine(timestamp=w.e1 + 60)


def _place(w, expiry=None, kind=FUTURE, strike=0, is_buy=True, price=None, qty=1, flags=0,
           max_fills=4):
    return (w.book.place_order, (w.far if expiry is None else expiry, kind, strike, is_buy,
                                 w.mid if price is None else price, qty, flags, max_fills))


def _replace(w, order_id=None, price=None, qty=2):
    """maker's resting bid on `far` (3 lots at 100 USD − 5 ticks) moved to `price` (by default
    one tick lower: it crosses nothing)."""
    return (w.book.replace_order, (w.bid_id if order_id is None else order_id,
                                   w.system.usd(100) - 6 * w.tick if price is None else price, qty))


def _quotes(w, second_price=None, qty=1):
    """`place_quotes` of maker: a bid 7 ticks under 100 USD, then a second bid (by default 8)."""
    c = w.system.usd(100)
    second = c - 8 * w.tick if second_price is None else second_price
    return (w.book.place_quotes, ([(w.far, FUTURE, 0, True, c - 7 * w.tick, 1),
                                   (w.far, FUTURE, 0, True, second, qty)],))


def _vault_cases() -> list[Case]:
    V = lambda name: (lambda w: getattr(w.vault, name))
    return [
        Case("vault.deposit-zero", "vault: zero amount", "maker", lambda w: (w.vault.deposit, (0,))),
        Case("vault.deposit-no-allowance", "erc20: insufficient allowance", "keeper",
             lambda w: (w.vault.deposit, (w.usd(1),))),
        Case("vault.deposit-more-than-wallet", "erc20: transfer amount exceeds balance", "maker",
             lambda w: (w.vault.deposit, (w.usd(10**9),))),
        Case("vault.deposit-paused", "vault: paused", "maker",
             lambda w: (w.vault.deposit, (w.usd(1),)), _pause_vault),
        Case("vault.withdraw-zero", "vault: zero amount", "maker", lambda w: (w.vault.withdraw, (0,))),
        Case("vault.withdraw-above-balance", "vault: insufficient balance", "maker",
             lambda w: (w.vault.withdraw, (w.vault.balance_of(w.acct["maker"]) + 1,))),
        Case("vault.withdraw-nothing-deposited", "vault: insufficient balance", "keeper",
             lambda w: (w.vault.withdraw, (1,))),
        Case("vault.withdraw-reserved-by-orders", "vault: insufficient collateral", "maker2",
             lambda w: (w.vault.withdraw, (w.vault.balance_of(w.acct["maker2"]),))),
        Case("vault.withdraw-locked-open-position", "vault: insufficient collateral", "maker",
             lambda w: (w.vault.withdraw, (w.vault.balance_of(w.acct["maker"]),))),
        Case("vault.withdraw-loser-before-claim", "vault: insufficient collateral", "taker",
             lambda w: (w.vault.withdraw, (w.vault.balance_of(w.acct["taker"]),))),
        Case("vault.withdraw_to-zero-receiver", "vault: zero receiver", "maker",
             lambda w: (w.vault.withdraw_to, (ZERO_ADDRESS, 1))),
        Case("vault.withdraw_to-zero-amount", "vault: zero amount", "maker",
             lambda w: (w.vault.withdraw_to, (w.acct["keeper"], 0))),
        Case("vault.withdraw_to-locked", "vault: insufficient collateral", "taker",
             lambda w: (w.vault.withdraw_to, (w.acct["keeper"], w.vault.balance_of(w.acct["taker"])))),
        Case("vault.transfer_internal-stranger", "vault: not risk engine", "stranger",
             lambda w: (w.vault.transfer_internal, (w.acct["maker"], w.acct["stranger"], 1))),
        Case("vault.transfer_internal-owner", "vault: not risk engine", "deployer",
             lambda w: (w.vault.transfer_internal, (w.acct["maker"], w.acct["deployer"], 1))),
        Case("vault.apply_pnl-stranger", "vault: not risk engine", "stranger",
             lambda w: (w.vault.apply_pnl, (w.acct["stranger"], 10**12))),
        Case("vault.apply_pnl-owner", "vault: not risk engine", "deployer",
             lambda w: (w.vault.apply_pnl, (w.acct["maker"], -1))),
        Case("vault.set_guardian-guardian", NOT_OWNER, "guardian",
             lambda w: (w.vault.set_guardian, (w.acct["guardian"],))),
        Case("vault.pause-stranger", "vault: not guardian", "stranger", lambda w: (V("pause")(w), ())),
        Case("vault.pause-twice", "vault: paused", "guardian", lambda w: (V("pause")(w), ()), _pause_vault),
        Case("vault.unpause-not-paused", "vault: not paused", "guardian", lambda w: (V("unpause")(w), ())),
        Case("vault.unpause-stranger", "vault: not guardian", "stranger",
             lambda w: (V("unpause")(w), ()), _pause_vault),
        Case("vault.sweep-stranger", NOT_OWNER, "stranger",
             lambda w: (w.vault.sweep, (w.acct["stranger"],)), _direct_tokens),
        Case("vault.sweep-guardian", NOT_OWNER, "guardian",
             lambda w: (w.vault.sweep, (w.acct["guardian"],)), _direct_tokens),
        Case("vault.sweep-zero-receiver", "vault: zero receiver", "deployer",
             lambda w: (w.vault.sweep, (ZERO_ADDRESS,)), _direct_tokens),
        Case("vault.sweep-nothing", "vault: nothing to sweep", "deployer",
             lambda w: (w.vault.sweep, (w.acct["treasury"],))),
        Case("vault.transfer_ownership-stranger", NOT_OWNER, "stranger",
             lambda w: (w.vault.transfer_ownership, (w.acct["stranger"],))),
        Case("vault.accept_ownership-not-pending", "ownable_2step: caller is not the new owner",
             "stranger", lambda w: (w.vault.accept_ownership, ()), _pending_owner),
    ]


def _clearinghouse_venue_cases() -> list[Case]:
    """Venue-only entry points called by accounts that are not venues."""
    def reserve(w):
        return (w.ch.reserve, (w.acct["stranger"], w.far, FUTURE, 0, True, w.mid, 1,
                               (True, True, w.mid, w.mid, False, 1, False), 0))

    out = []
    for who in ("stranger", "deployer", "guardian", "keeper"):
        out += [
            Case(f"clearinghouse.reserve-{who}", "clearinghouse: not a venue", who, reserve),
            Case(f"clearinghouse.release-{who}", "clearinghouse: not a venue", who,
                 lambda w: (w.ch.release, (w.acct["maker"], 1))),
            Case(f"clearinghouse.settle_fills-{who}", "clearinghouse: not a venue", who,
                 lambda w: (w.ch.settle_fills, (w.acct["stranger"], w.far, FUTURE, 0, True,
                                                [(w.acct["maker"], w.mid, 1, 0)],
                                                (True, True, w.mid, w.mid, False, 1, False), 0))),
            Case(f"clearinghouse.check_collateral-{who}", "clearinghouse: not a venue", who,
                 lambda w: (w.ch.check_collateral, (w.acct["maker"],))),
            Case(f"clearinghouse.fold_fills-{who}", "clearinghouse: not a venue", who,
                 lambda w: (w.ch.fold_fills, (w.acct["maker"], w.far, (-1, -w.mid, 1, 0, 0)))),
        ]
    return out


def _clearinghouse_cases() -> list[Case]:
    out = _clearinghouse_venue_cases()
    out += [
        Case("clearinghouse.register_market-stranger", NOT_OWNER, "stranger",
             lambda w: (w.ch.register_market, (w.token, w.acct["stranger"]))),
        Case("clearinghouse.register_market-registered", "clearinghouse: market registered",
             "deployer", lambda w: (w.ch.register_market, (w.registry, w.acct["stranger"]))),
        Case("clearinghouse.register_market-not-contract", "clearinghouse: not a contract",
             "deployer", lambda w: (w.ch.register_market, (w.acct["stranger"], w.acct["keeper"]))),
        Case("clearinghouse.register_market-zero-book", "clearinghouse: zero address", "deployer",
             lambda w: (w.ch.register_market, (w.token, ZERO_ADDRESS))),
        Case("clearinghouse.register_market-registry-is-book", "clearinghouse: registry is book",
             "deployer", lambda w: (w.ch.register_market, (w.token, w.token))),
        Case("clearinghouse.register_market-book-taken", "clearinghouse: book registered",
             "deployer", lambda w: (w.ch.register_market, (w.token, w.book))),
        Case("clearinghouse.register_market-account-as-book", "clearinghouse: venue not a contract",
             "deployer", lambda w: (w.ch.register_market, (w.token, w.acct["stranger"]))),
        Case("clearinghouse.register_venue-stranger", NOT_OWNER, "stranger",
             lambda w: (w.ch.register_venue, (w.book,))),
        Case("clearinghouse.register_venue-account", "clearinghouse: venue not a contract",
             "deployer", lambda w: (w.ch.register_venue, (w.acct["stranger"],))),
        Case("clearinghouse.register_venue-book-again", "clearinghouse: venue registered",
             "deployer", lambda w: (w.ch.register_venue, (w.book,))),
        Case("clearinghouse.set_market_fee_account-stranger", NOT_OWNER, "stranger",
             lambda w: (w.ch.set_market_fee_account, (w.registry, w.acct["stranger"]))),
        Case("clearinghouse.set_market_fee_account-unknown-market", "clearinghouse: unknown market",
             "deployer", lambda w: (w.ch.set_market_fee_account, (w.token, w.acct["stranger"]))),
        Case("clearinghouse.set_caps-stranger", NOT_OWNER, "stranger",
             lambda w: (w.ch.set_caps, (w.registry, 1, 1))),
        Case("clearinghouse.set_caps-unknown-market", "clearinghouse: unknown market", "deployer",
             lambda w: (w.ch.set_caps, (w.token, 1, 1))),
        Case("clearinghouse.set_caps-zero-oi", "clearinghouse: cap out of bounds", "deployer",
             lambda w: (w.ch.set_caps, (w.registry, 0, 1))),
        Case("clearinghouse.set_caps-zero-position", "clearinghouse: cap out of bounds", "deployer",
             lambda w: (w.ch.set_caps, (w.registry, 1, 0))),
        Case("clearinghouse.set_caps-above-max", "clearinghouse: cap out of bounds", "deployer",
             lambda w: (w.ch.set_caps, (w.registry, 2**48, 1))),              # MAX_CAP + 1
        Case("clearinghouse.set_fees-stranger", NOT_OWNER, "stranger",
             lambda w: (w.ch.set_fees, (1, 1))),
        Case("clearinghouse.set_fees-taker-too-high", "clearinghouse: fee too high", "deployer",
             lambda w: (w.ch.set_fees, (51, 0))),
        Case("clearinghouse.set_fees-maker-too-high", "clearinghouse: fee too high", "deployer",
             lambda w: (w.ch.set_fees, (0, 51))),
        Case("clearinghouse.set_fee_account-stranger", NOT_OWNER, "stranger",
             lambda w: (w.ch.set_fee_account, (w.acct["stranger"],))),
        Case("clearinghouse.set_fee_account-zero", "clearinghouse: zero address", "deployer",
             lambda w: (w.ch.set_fee_account, (ZERO_ADDRESS,))),
        Case("clearinghouse.claim-unknown-market", "clearinghouse: unknown market", "keeper",
             lambda w: (w.ch.claim, (w.acct["taker"], w.token, w.e0))),
        Case("clearinghouse.claim-nothing", "clearinghouse: nothing to claim", "keeper",
             lambda w: (w.ch.claim, (w.acct["stranger"], w.registry, w.e0))),
        Case("clearinghouse.claim-twice", "clearinghouse: nothing to claim", "keeper",
             lambda w: (w.ch.claim, (w.acct["maker"], w.registry, w.e0))),
        Case("clearinghouse.claim-not-settled", "clearinghouse: not settled", "keeper",
             lambda w: (w.ch.claim, (w.acct["maker"], w.registry, w.e1))),
        Case("clearinghouse.claim-expiry-too-large", "clearinghouse: bad expiry", "keeper",
             lambda w: (w.ch.claim, (w.acct["maker"], w.registry, 2**96))),
        Case("clearinghouse.transfer_ownership-stranger", NOT_OWNER, "stranger",
             lambda w: (w.ch.transfer_ownership, (w.acct["stranger"],))),
        Case("clearinghouse.accept_ownership-not-pending", "ownable_2step: caller is not the new owner",
             "stranger", lambda w: (w.ch.accept_ownership, ()), _pending_owner),
    ]
    return out


def _book_cases() -> list[Case]:
    def k(w):
        return w.k

    return [
        Case("book.place-paused", "book: paused", "maker", lambda w: _place(w), _pause_book),
        Case("book.place-bad-kind", "book: bad kind", "maker", lambda w: _place(w, kind=3)),
        Case("book.place-bad-flags", "book: bad flags", "maker", lambda w: _place(w, flags=4)),
        Case("book.place-both-flags", "book: bad flags", "maker", lambda w: _place(w, flags=3)),
        Case("book.place-zero-max-fills", "book: bad max fills", "maker", lambda w: _place(w, max_fills=0)),
        Case("book.place-over-max-fills", "book: bad max fills", "maker", lambda w: _place(w, max_fills=MAX_FILLS + 1)),
        Case("book.place-expired-series", "book: series not live", "maker",
             lambda w: _place(w, expiry=w.e0, price=w.system.usd(100))),
        Case("book.place-unknown-series", "book: series not live", "maker",
             lambda w: _place(w, expiry=w.far + DAY)),
        Case("book.place-expiry-2**40", "book: series not live", "maker",
             lambda w: _place(w, expiry=2**40 + w.far)),
        Case("book.place-future-with-strike", "book: futures strike must be 0", "maker",
             lambda w: _place(w, strike=w.k)),
        Case("book.place-off-grid-strike", "book: inactive strike", "maker",
             lambda w: _place(w, kind=CALL, strike=w.k + w.tick, price=w.tick)),
        Case("book.place-strike-at-lower-bound", "book: inactive strike", "maker",
             lambda w: _place(w, kind=PUT, strike=w.lo, price=w.tick)),
        Case("book.place-strike-2**128", "book: inactive strike", "maker",
             lambda w: _place(w, kind=CALL, strike=2**128, price=w.tick)),
        Case("book.place-option-strike-0", "book: inactive strike", "maker",
             lambda w: _place(w, kind=PUT, strike=0, price=w.tick)),
        Case("book.place-off-tick-future", "book: off tick", "maker", lambda w: _place(w, price=w.mid + 1)),
        Case("book.place-off-tick-premium", "book: off tick", "maker",
             lambda w: _place(w, kind=CALL, strike=k(w), price=w.tick + 1)),
        Case("book.place-future-below-range", "book: price out of range", "maker",
             lambda w: _place(w, price=w.lo - w.tick)),
        Case("book.place-future-above-range", "book: price out of range", "maker",
             lambda w: _place(w, price=w.hi + w.tick)),
        Case("book.place-future-zero-price", "book: price out of range", "maker", lambda w: _place(w, price=0)),
        Case("book.place-zero-premium", "book: zero price", "maker",
             lambda w: _place(w, kind=CALL, strike=k(w), price=0)),
        Case("book.place-call-premium-above-max-payoff", "book: premium above max payoff", "maker",
             lambda w: _place(w, kind=CALL, strike=k(w), price=w.hi - w.k + w.tick)),
        Case("book.place-put-premium-above-max-payoff", "book: premium above max payoff", "maker",
             lambda w: _place(w, kind=PUT, strike=k(w), price=w.k - w.lo + w.tick)),
        Case("book.place-dust-zero-qty", "book: below min qty", "maker", lambda w: _place(w, qty=0)),
        Case("book.place-qty-above-2**96", "book: qty too large", "maker", lambda w: _place(w, qty=2**96)),
        Case("book.place-post-only-crossing", "book: post-only would cross", "taker",
             lambda w: _place(w, price=w.system.usd(100) + 5 * w.tick, flags=POST_ONLY)),
        Case("book.place-maker-insufficient-collateral", "clearinghouse: insufficient collateral",
             "taker", lambda w: _place(w, price=w.hi, qty=10_000)),
        Case("book.place-taker-insufficient-collateral", "clearinghouse: insufficient collateral",
             "stranger", lambda w: _place(w, price=w.system.usd(100) + 5 * w.tick, flags=IOC)),
        Case("book.place-reduce-only-opening", "book: reduce only", "taker", lambda w: _place(w), _depeg),
        Case("book.place-reduce-only-flip", "book: reduce only", "maker",
             lambda w: _place(w, expiry=w.e1, price=w.system.usd(100), is_buy=False, qty=2), _depeg),
        Case("book.place-position-cap", "clearinghouse: position cap", "taker",
             lambda w: _place(w, price=w.system.usd(100) + 5 * w.tick, qty=2, flags=IOC), _caps),
        Case("book.place-open-interest-cap", "clearinghouse: open interest cap", "taker",
             lambda w: _place(w, price=w.system.usd(100) + 5 * w.tick, qty=2, flags=IOC), _oi_cap),
        Case("book.cancel-unknown", "book: unknown order", "maker", lambda w: (w.book.cancel_order, (10**9,))),
        Case("book.cancel-zero-id", "book: unknown order", "maker", lambda w: (w.book.cancel_order, (0,))),
        Case("book.cancel-not-owner", "book: not order owner", "stranger",
             lambda w: (w.book.cancel_order, (w.bid_id,))),
        Case("book.cancel-by-counterparty", "book: not order owner", "maker2",
             lambda w: (w.book.cancel_order, (w.bid_id,))),
        Case("book.cancel-twice", "book: unknown order", "maker",
             lambda w: (w.book.cancel_order, (w.bid_id,)), _cancelled),
        Case("book.sweep-not-dead", "book: order not dead", "keeper",
             lambda w: (w.book.sweep_dead_orders, (w.acct["maker"], [w.bid_id]))),
        Case("book.sweep-wrong-owner", "book: not order owner", "keeper",
             lambda w: (w.book.sweep_dead_orders, (w.acct["maker"], [w.dead_id]))),
        Case("book.pause-stranger", "book: not guardian", "stranger", lambda w: (w.book.pause, ())),
        Case("book.pause-twice", "book: paused", "guardian", lambda w: (w.book.pause, ()), _pause_book),
        Case("book.unpause-not-paused", "book: not paused", "guardian", lambda w: (w.book.unpause, ())),
        Case("book.unpause-stranger", "book: not guardian", "stranger",
             lambda w: (w.book.unpause, ()), _pause_book),
        Case("book.set_guardian-guardian", NOT_OWNER, "guardian",
             lambda w: (w.book.set_guardian, (w.acct["stranger"],))),
        Case("book.transfer_ownership-stranger", NOT_OWNER, "stranger",
             lambda w: (w.book.transfer_ownership, (w.acct["stranger"],))),
        Case("book.accept_ownership-not-pending", "ownable_2step: caller is not the new owner",
             "stranger", lambda w: (w.book.accept_ownership, ()), _pending_owner),
    ]


def _replace_cases() -> list[Case]:
    """`replace_order` (the maker's resting bid on `far`, `_replace`) and `place_quotes`."""
    return [
        Case("book.replace-unknown", "book: unknown order", "maker", lambda w: _replace(w, order_id=10**9)),
        Case("book.replace-not-owner", "book: not order owner", "maker2", lambda w: _replace(w)),
        Case("book.replace-cancelled", "book: unknown order", "maker", lambda w: _replace(w), _cancelled),
        Case("book.replace-paused", "book: paused", "maker", lambda w: _replace(w), _pause_book),
        Case("book.replace-off-tick", "book: off tick", "maker",
             lambda w: _replace(w, price=w.system.usd(100) - 6 * w.tick + 1)),
        Case("book.replace-out-of-range", "book: price out of range", "maker",
             lambda w: _replace(w, price=w.lo - w.tick)),
        Case("book.replace-zero-qty", "book: below min qty", "maker", lambda w: _replace(w, qty=0)),
        Case("book.replace-would-cross", "book: post-only would cross", "maker",
             lambda w: _replace(w, price=w.system.usd(100) + 5 * w.tick)),
        Case("book.replace-insufficient-collateral", "clearinghouse: insufficient collateral", "maker",
             lambda w: _replace(w, qty=10**8)),
        Case("book.replace-reduce-only-opening", "book: reduce only", "maker", lambda w: _replace(w), _depeg),
        Case("book.replace-dead-order", "book: series not live", "maker2",
             lambda w: _replace(w, order_id=w.dead_id, price=w.system.usd(100))),
        Case("book.quotes-none", "book: no quotes", "maker", lambda w: (w.book.place_quotes, ([],))),
        Case("book.quotes-paused", "book: paused", "maker", lambda w: _quotes(w), _pause_book),
        Case("book.quotes-one-crosses", "book: post-only would cross", "maker",
             lambda w: _quotes(w, w.system.usd(100) + 5 * w.tick)),
        Case("book.quotes-one-uncovered", "clearinghouse: insufficient collateral", "maker",
             lambda w: _quotes(w, qty=10**8)),
    ]


def _registry_cases() -> list[Case]:
    P = lambda name, value: (lambda w: (getattr(w.registry, f"set_{name}"), (value,)))
    return [
        Case("registry.record_fills-stranger", "registry: not order book", "stranger",
             lambda w: (w.registry.record_fills, (w.far, w.mid, 1))),
        Case("registry.record_fills-owner", "registry: not order book", "deployer",
             lambda w: (w.registry.record_fills, (w.far, w.mid, 1))),
        Case("registry.settle-unknown-series", "registry: unknown series", "keeper",
             lambda w: (w.registry.settle, (w.far + DAY,))),
        Case("registry.settle-early", "registry: not expired", "keeper",
             lambda w: (w.registry.settle, (w.e1,))),
        Case("registry.settle-a-minute-early", "registry: not expired", "keeper",
             lambda w: (w.registry.settle, (w.e1,)), lambda w, chain: chain.mine(timestamp=w.e1 - 60)),
        Case("registry.settle-twice", "registry: already settled", "keeper",
             lambda w: (w.registry.settle, (w.e0,))),
        # a stale index no longer stops daily_update or trading (docs/architecture.md §4, issue 12): only the
        # settlement of a day without a fixing waits for the first index round after its window
        Case("registry.settle-stale-index", "registry: no fixing source", "keeper",
             lambda w: (w.registry.settle, (w.e1,)), _expire_e1),
        Case("registry.set_order_book-stranger", NOT_OWNER, "stranger",
             lambda w: (w.registry.set_order_book, (w.book,))),
        Case("registry.set_order_book-twice", "registry: order book already set", "deployer",
             lambda w: (w.registry.set_order_book, (w.token,))),
        Case("registry.set_pool-stranger", NOT_OWNER, "stranger",
             lambda w: (w.registry.set_pool, (w.token,))),
        Case("registry.set_pool-account", "registry: not a contract", "deployer",
             lambda w: (w.registry.set_pool, (w.acct["stranger"],))),
        Case("registry.set_guard_bps-stranger", NOT_OWNER, "stranger", P("guard_bps", 100)),
        Case("registry.set_depeg_threshold-guardian", NOT_OWNER, "guardian", P("depeg_threshold", 0)),
        Case("registry.set_index_mode-stranger", NOT_OWNER, "stranger", P("index_mode", False)),
        Case("registry.set_guard_bps-too-wide", "registry: guard too wide", "deployer",
             P("guard_bps", 10_001)),
        Case("registry.set_guard_bps-above-1pct", "registry: guard too wide", "deployer",
             P("guard_bps", 101)),
        Case("registry.set_v_min-zero", "registry: variance bounds", "deployer", P("v_min", 0)),
        Case("registry.set_v_min-above-v_max", "registry: variance bounds", "deployer",
             P("v_min", int(0.15**2 * WAD) * 2)),
        Case("registry.set_v_max-too-large", "registry: v_max too large", "deployer",
             P("v_max", WAD // 10 + 1)),
        Case("registry.set_strike_count-19", "registry: strike count", "deployer",
             P("strike_count", 19)),
        Case("registry.set_strike_count-51", "registry: strike count", "deployer",
             P("strike_count", 51)),
        Case("registry.set_index_heartbeat-0", "registry: zero heartbeat", "deployer",
             P("index_heartbeat", 0)),
        Case("registry.set_peg_heartbeat-0", "registry: zero heartbeat", "deployer",
             P("peg_heartbeat", 0)),
        Case("registry.set_depeg_threshold-above-1", "registry: depeg threshold", "deployer",
             P("depeg_threshold", WAD + 1)),
        Case("registry.set_depeg_threshold-below-half", "registry: depeg threshold", "deployer",
             P("depeg_threshold", WAD // 2 - 1)),
        Case("registry.set_depeg_threshold-zero", "registry: depeg threshold", "deployer",
             P("depeg_threshold", 0)),
        Case("registry.set_index_heartbeat-week+1", "registry: heartbeat too long",
             "deployer", P("index_heartbeat", MAX_HEARTBEAT + 1)),
        Case("registry.set_peg_heartbeat-week+1", "registry: heartbeat too long",
             "deployer", P("peg_heartbeat", MAX_HEARTBEAT + 1)),
        Case("registry.set_index_heartbeat-2**200", "registry: heartbeat too long",
             "deployer", P("index_heartbeat", 2**200)),
        Case("registry.transfer_ownership-stranger", NOT_OWNER, "stranger",
             lambda w: (w.registry.transfer_ownership, (w.acct["stranger"],))),
        Case("registry.accept_ownership-not-pending", "ownable_2step: caller is not the new owner",
             "stranger", lambda w: (w.registry.accept_ownership, ()), _pending_owner),
    ]


def _pending_jump(price: float, feed: str = "btc"):
    """Preparation: the deployer reports `price`, beyond the band: a pending jump."""
    def prep(w, chain):
        fd = getattr(w, feed)
        tx = fd.submit(fd.latest_round() + 1, feed_answer(price), sender=w.acct["deployer"])
        assert tx.events.filter(fd.JumpPending) and fd.jump_count() == 1
    return prep


def _feed_cases() -> list[Case]:
    def submit(delta_round=1, answer=PRICE_106K, feed="btc"):
        def f(w):
            fd = getattr(w, feed)
            return (fd.submit, (fd.latest_round() + delta_round, answer))
        return f

    return [
        Case("feed.submit-stranger", "feed: not reporter", "stranger", submit()),
        Case("feed.submit-guardian", "feed: not reporter", "guardian", submit()),
        Case("feed.submit-zero-answer", "feed: answer not positive", "deployer", submit(answer=0)),
        Case("feed.submit-negative-answer", "feed: answer not positive", "deployer", submit(answer=-1)),
        Case("feed.submit-answer-too-large", "feed: answer too large", "deployer", submit(answer=2**191)),
        Case("feed.submit-round-zero", "feed: round not sequential", "deployer",
             lambda w: (w.btc.submit, (0, feed_answer(106_000)))),
        Case("feed.submit-future-round", "feed: round not sequential", "deployer", submit(delta_round=2)),
        Case("feed.submit-far-future-round", "feed: round not sequential", "deployer",
             lambda w: (w.btc.submit, (2**64, feed_answer(106_000)))),
        Case("feed.submit-closed-round", "feed: round closed", "deployer", submit(delta_round=0)),
        # one report beyond max_deviation_bps is a pending jump (no revert, nothing final);
        # confirming it sooner than JUMP_SPACING reverts (issue 12: real moves stay reportable)
        Case("feed.submit-jump-up", "feed: deviation too large", "deployer",
             submit(answer=feed_answer(106_000 * 1.2501)), _pending_jump(106_000 * 1.2501)),
        Case("feed.submit-jump-down", "feed: deviation too large", "reporter2",
             submit(answer=feed_answer(106_000 * 0.7499)), _pending_jump(106_000 * 0.7499)),
        Case("feed.submit-peg-jump", "feed: deviation too large", "deployer",
             submit(answer=feed_answer(0.49), feed="peg"), _pending_jump(0.49, "peg")),
        Case("feed.submit-peg-zero", "feed: answer not positive", "deployer",
             submit(answer=0, feed="peg")),
        Case("feed.submit-already-reported", "feed: already reported", "deployer", submit(), _two_reporters),
        Case("feed.set_min_submissions-stranger", "feed: not owner", "stranger",
             lambda w: (w.btc.set_min_submissions, (1,))),
        Case("feed.set_min_submissions-zero", "feed: min_submissions out of bounds", "deployer",
             lambda w: (w.btc.set_min_submissions, (0,))),
        Case("feed.set_min_submissions-17", "feed: min_submissions out of bounds", "deployer",
             lambda w: (w.btc.set_min_submissions, (17,))),
        Case("feed.set_max_deviation-stranger", "feed: not owner", "stranger",
             lambda w: (w.btc.set_max_deviation_bps, (100,))),
        Case("feed.set_max_deviation-zero", "feed: max_deviation out of bounds", "deployer",
             lambda w: (w.btc.set_max_deviation_bps, (0,))),
        Case("feed.set_max_deviation-above-100%", "feed: max_deviation out of bounds", "deployer",
             lambda w: (w.btc.set_max_deviation_bps, (10_001,))),
        Case("feed.add_reporter-stranger", "feed: not owner", "stranger",
             lambda w: (w.btc.add_reporter, (w.acct["stranger"],))),
        Case("feed.add_reporter-reporter", "feed: not owner", "reporter2",
             lambda w: (w.btc.add_reporter, (w.acct["stranger"],))),
        Case("feed.add_reporter-zero", "feed: zero address", "deployer", lambda w: (w.btc.add_reporter, (ZERO_ADDRESS,))),
        Case("feed.add_reporter-twice", "feed: already reporter", "deployer",
             lambda w: (w.btc.add_reporter, (w.acct["reporter2"],))),
        Case("feed.remove_reporter-stranger", "feed: not owner", "stranger",
             lambda w: (w.btc.remove_reporter, (w.acct["reporter2"],))),
        Case("feed.remove_reporter-not-reporter", "feed: not a reporter", "deployer",
             lambda w: (w.btc.remove_reporter, (w.acct["stranger"],))),
        Case("feed.set_reporter-stranger", "feed: not owner", "stranger",
             lambda w: (w.btc.set_reporter, (w.acct["stranger"], True))),
        Case("feed.transfer_ownership-stranger", NOT_OWNER, "stranger",
             lambda w: (w.btc.transfer_ownership, (w.acct["stranger"],))),
        Case("feed.accept_ownership-not-pending", "ownable_2step: caller is not the new owner",
             "stranger", lambda w: (w.btc.accept_ownership, ()), _pending_owner),
    ]


CASES = (_vault_cases() + _clearinghouse_cases() + _book_cases() + _replace_cases() + _registry_cases()
         + _feed_cases())


class _Summary:
    """Prints how many bad inputs were tried in the terminal summary (visible without -s)."""

    def pytest_terminal_summary(self, terminalreporter):
        terminalreporter.write_line(
            f"bad-input matrix: {len(TRIED)} bad inputs tried, each reverted with its reason "
            f"and changed no contract storage"
        )


@pytest.fixture(scope="module", autouse=True)
def _summary(request):
    plugin = _Summary()
    if not request.config.pluginmanager.is_registered(plugin):
        request.config.pluginmanager.register(plugin, "rangebound-bad-inputs-summary")
    yield
    print(f"\nbad-input matrix: {len(TRIED)} bad inputs tried")


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input__reverts_with_reason__changes_nothing(world, chain, case):
    if case.prepare is not None:
        case.prepare(world, chain)
    method, args = case.call(world)
    before, digest = readable_state(world), storage_digest(chain)
    with ape.reverts(case.reason):
        method(*args, sender=world.acct[case.sender])
    assert readable_state(world) == before
    assert storage_digest(chain) == digest, "a rejected call changed contract storage"
    TRIED.append(case.id)


# ---------------------------------------------------------------------------- deployments


DEPLOYS = [
    ("vault-token-not-contract", "vault: token not a contract"),
    ("clearinghouse-vault-not-contract", "clearinghouse: vault not a contract"),
    ("clearinghouse-vault-names-another", "clearinghouse: vault names another risk engine"),
    ("clearinghouse-zero-fee-account", "clearinghouse: zero address"),
    ("clearinghouse-taker-fee-51", "clearinghouse: fee too high"),
    ("book-registry-not-contract", "book: registry not a contract"),
    ("book-clearinghouse-not-contract", "book: clearinghouse not a contract"),
    ("feed-decimals-19", "feed: decimals out of bounds"),
    ("feed-min-submissions-0", "feed: min_submissions out of bounds"),
    ("feed-deviation-0", "feed: max_deviation out of bounds"),
    ("registry-zero-tick", "registry: zero parameter"),
    ("registry-decimals-8", "registry: bad decimals"),
    ("registry-k-zero", "registry: k out of bounds"),
    ("registry-lambda-1", "registry: lambda out of bounds"),
    ("registry-strike-count-60", "registry: strike count"),
    ("registry-feed-not-contract", "registry: feed not a contract"),
    ("registry-stale-index", "registry: no fixing source"),
    ("registry-guard-above-1pct", "registry: guard too wide"),
    ("timelock-delay-below-one-day", "timelock: delay below one day"),
]


@pytest.mark.parametrize("name,reason", DEPLOYS, ids=[d[0] for d in DEPLOYS])
def test_bad_deployment__reverts_with_reason__changes_nothing(world, chain, project, name, reason):
    w, d = world, world.acct["deployer"]
    params = market_params(w.system.params, w.btc, w.peg)
    stranger = w.acct["stranger"]
    if name == "vault-token-not-contract":
        call = lambda: project.CollateralVault.deploy(stranger, stranger, stranger, sender=d)
    elif name == "clearinghouse-vault-not-contract":
        call = lambda: project.Clearinghouse.deploy(stranger, stranger, 5, 2, sender=d)
    elif name == "clearinghouse-vault-names-another":
        call = lambda: project.Clearinghouse.deploy(w.vault, stranger, 5, 2, sender=d)
    elif name == "clearinghouse-zero-fee-account":
        call = lambda: project.Clearinghouse.deploy(w.vault, ZERO_ADDRESS, 5, 2, sender=d)
    elif name == "clearinghouse-taker-fee-51":
        call = lambda: project.Clearinghouse.deploy(w.vault, stranger, 51, 2, sender=d)
    elif name == "book-registry-not-contract":
        call = lambda: project.OrderBook.deploy(stranger, w.ch, stranger, sender=d)
    elif name == "book-clearinghouse-not-contract":
        call = lambda: project.OrderBook.deploy(w.registry, stranger, stranger, sender=d)
    elif name == "timelock-delay-below-one-day":
        call = lambda: project.Timelock.deploy(DAY - 1, [d], [ZERO_ADDRESS], ZERO_ADDRESS, sender=d)
    elif name.startswith("feed-"):
        args = {"feed-decimals-19": (19, "X", 1, 100), "feed-min-submissions-0": (8, "X", 0, 100),
                "feed-deviation-0": (8, "X", 1, 0)}[name]
        call = lambda: project.ReporterFeed.deploy(*args, sender=d)
    else:
        changes = {"registry-zero-tick": {"tick": 0}, "registry-decimals-8": {"token_decimals": 8},
                   "registry-k-zero": {"k": 0}, "registry-lambda-1": {"lam": WAD},
                   "registry-strike-count-60": {"strike_count": 60},
                   "registry-feed-not-contract": {"index_feed": stranger.address},
                   "registry-guard-above-1pct": {"guard_bps": 101},
                   "registry-stale-index": {}}[name]
        params = {**params, **changes}
        if name == "registry-stale-index":
            chain.mine(timestamp=chain.pending_timestamp + 3 * DAY)
        call = lambda: project.SeriesRegistry.deploy(params, sender=d)
    before, digest = readable_state(w), storage_digest(chain)
    with deploy_reverts(reason, d):
        call()
    assert readable_state(w) == before and storage_digest(chain) == digest
    TRIED.append(name)


# ---------------------------------------------------------------------------- hostile tokens


HOSTILE = [
    ("returns-false-deposit", RETURNS_FALSE, "deposit", "vault: transfer failed"),
    ("returns-false-withdraw", RETURNS_FALSE, "withdraw", "vault: transfer failed"),
    ("fee-on-transfer-deposit", FEE, "deposit", "vault: fee-on-transfer token"),
    ("blocklisted-withdraw", BLOCKLIST, "withdraw", "token: blocked"),
    ("blocklisted-deposit", BLOCKLIST, "deposit", "token: blocked"),
    ("paused-token-withdraw", PAUSABLE, "withdraw", "token: paused"),
    ("paused-token-deposit", PAUSABLE, "deposit", "token: paused"),
]


@pytest.mark.parametrize("name,behaviour,action,reason", HOSTILE, ids=[h[0] for h in HOSTILE])
def test_hostile_token__reverts_with_reason__changes_nothing(world, chain, project, name,
                                                            behaviour, action, reason):
    """A vault over a misbehaving token refuses the operation and keeps its books exact.
    (tests/unit/vault/test_vault_hostile_tokens.py covers the same tokens for 6 and 18 decimals.)"""
    d, maker = world.acct["deployer"], world.acct["maker"]
    tok = project.MockHostileToken.deploy(6, 0, sender=d)
    v = project.CollateralVault.deploy(tok, world.acct["guardian"], ZERO_ADDRESS, sender=d)
    tok.mint(maker, 3 * 10**6, sender=d)
    tok.approve(v, 3 * 10**6, sender=maker)
    v.deposit(10**6, sender=maker)
    tok.set_behaviour(behaviour, sender=d)
    if behaviour == BLOCKLIST:
        tok.set_blocked(maker, True, sender=d)
    if behaviour == PAUSABLE:
        tok.set_paused(True, sender=d)
    state = lambda: (v.balance_of(maker), v.total_balances(), tok.balanceOf(v), tok.balanceOf(maker))
    before, digest = state(), storage_digest(chain)
    with ape.reverts(reason):
        (v.deposit if action == "deposit" else v.withdraw)(10**6, sender=maker)
    assert state() == before and storage_digest(chain) == digest
    TRIED.append(name)
