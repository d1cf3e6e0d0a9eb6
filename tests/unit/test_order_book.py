"""OrderBook: price-time priority, partial fills, flags, self-trade, validation, dead orders.

Every revert test also checks that nothing changed (order ids, best bid/ask, balances and
requirements). Gas of the main paths is measured in `test_gas__report` (run with -s to see it).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import ape
import pytest
from ape import chain

FUTURE, CALL, PUT = 0, 1, 2
POST_ONLY, IOC = 1, 2
CANCEL_OWNER, CANCEL_IOC, CANCEL_SELF_TRADE, CANCEL_STALE = 1, 2, 3, 4
CANCEL_DEAD, CANCEL_MAX_FILLS, CANCEL_REDUCE_ONLY = 5, 6, 7
EIP170 = 24_576
GAS: dict[str, int] = {}


@dataclass
class Env:
    """The book under test and the series it trades (the farthest live expiry)."""

    book: Any
    registry: Any
    ch: Any
    token: Any
    vault: Any
    deployer: Any
    expiry: int
    lo: int
    hi: int
    tick: int
    min_qty: int
    system: Any = None

    @property
    def mid(self) -> int:
        return (self.lo + self.hi) // 2 // self.tick * self.tick

    def px(self, ticks: int) -> int:
        """A futures price `ticks` ticks away from the middle of the range."""
        return self.mid + ticks * self.tick

    def strike(self) -> int:
        """An active strike near the middle of the range."""
        active = [k for k in self.registry.strikes(self.expiry) if self.lo < k < self.hi]
        return active[len(active) // 2]

    def fund(self, account, amount: int) -> None:
        self.token.mint(account, amount, sender=self.deployer)
        self.token.approve(self.vault, amount, sender=account)
        self.vault.deposit(amount, sender=account)

    def balance(self, account) -> int:
        return self.vault.balance_of(account)

    def requirement(self, account) -> int:
        return self.ch.requirement(account)


@pytest.fixture(scope="module")
def env(system):
    market = system.markets["BTC"]
    registry = market.registry
    expiry = registry.live_expiries()[-1]
    lo, hi = registry.bounds(expiry)
    return Env(
        book=market.book,
        registry=registry,
        ch=system.clearinghouse,
        token=system.token,
        vault=system.vault,
        deployer=system.deployer,
        expiry=expiry,
        lo=lo,
        hi=hi,
        tick=registry.tick(),
        min_qty=registry.min_qty(),
        system=system,
    )


@pytest.fixture(scope="module")
def funded(env, deployer, guardian, maker, maker2, taker, stranger):
    """Makers and the taker hold plenty of collateral (every role set up once, up front)."""
    big = (env.hi + env.tick) * 10_000
    for account in (maker, maker2, taker):
        env.fund(account, big)
    return env


def place(env, who, price, qty, is_buy, kind=FUTURE, strike=0, flags=0, max_fills=8):
    return env.book.place_order(
        env.expiry, kind, strike, is_buy, price, qty, flags, max_fills, sender=who
    )


def rest(env, who, price, qty, is_buy, kind=FUTURE, strike=0) -> int:
    """Places a resting order and returns its id."""
    tx = place(env, who, price, qty, is_buy, kind, strike)
    return tx.return_value


def snapshot(env, *accounts) -> tuple:
    """Everything a rejected order must leave unchanged."""
    e = env.expiry
    return (
        env.book.next_order_id(),
        env.book.best_bid(e, FUTURE, 0),
        env.book.best_ask(e, FUTURE, 0),
        tuple(env.book.depth(e, FUTURE, 0, True, 32)),
        tuple(env.book.depth(e, FUTURE, 0, False, 32)),
        tuple((env.balance(a), env.requirement(a)) for a in accounts),
    )


# ---------------------------------------------------------------- deployment


def test_runtime_size__under_eip170(funded):
    env = funded
    size = len(ape.chain.provider.get_code(env.book.address))
    assert 0 < size < EIP170


def test_constructor__wiring(funded):
    env = funded
    assert env.book.registry() == env.registry.address
    assert env.book.clearinghouse() == env.ch.address
    assert env.book.tick() == env.tick
    assert env.book.MAX_FILLS() == 64
    assert env.book.MAX_PRICE_INDEX() == 65_536


# ---------------------------------------------------------------- resting and views


def test_place_order__resting_bid__sets_best_bid_and_reserves(funded, maker):
    env = funded
    before = env.requirement(maker)
    tx = place(env, maker, env.px(-2), 3, True)
    oid = tx.return_value
    assert oid == env.book.next_order_id() and oid > 0
    assert env.book.best_bid(env.expiry, FUTURE, 0) == env.px(-2)
    assert env.book.best_ask(env.expiry, FUTURE, 0) == 0
    info = env.book.orders(oid)
    assert info.owner == maker.address and info.qty == 3 and info.is_buy
    assert info.price == env.px(-2) and info.kind == FUTURE and info.expiry == env.expiry
    assert info.reserve >= 3 * (env.px(-2) - env.lo)  # stand-alone worst case (+ fee)
    assert env.requirement(maker) - before == info.reserve
    logs = tx.decode_logs(env.book.OrderPlaced)
    assert len(logs) == 1 and logs[0].order_id == oid and logs[0].qty == 3


def test_depth__levels_best_first_with_totals(funded, maker, maker2):
    env = funded
    rest(env, maker, env.px(-1), 2, True)
    rest(env, maker2, env.px(-1), 5, True)
    rest(env, maker, env.px(-3), 4, True)
    rest(env, maker, env.px(2), 1, False)
    rest(env, maker2, env.px(1), 6, False)
    bids = env.book.depth(env.expiry, FUTURE, 0, True, 10)
    asks = env.book.depth(env.expiry, FUTURE, 0, False, 10)
    assert [tuple(level) for level in bids] == [(env.px(-1), 7), (env.px(-3), 4)]
    assert [tuple(level) for level in asks] == [(env.px(1), 6), (env.px(2), 1)]
    assert len(env.book.depth(env.expiry, FUTURE, 0, True, 1)) == 1
    assert env.book.best_bid(env.expiry, FUTURE, 0) == env.px(-1)
    assert env.book.best_ask(env.expiry, FUTURE, 0) == env.px(1)


def test_depth__levels_far_apart__found_and_matched_across_bitmap_words(funded, maker, taker):
    env = funded
    t = env.tick
    bids = [env.lo, env.lo + 300 * t, env.mid - t]  # more than 256 ticks apart
    asks = [env.mid + t, env.hi - 300 * t, env.hi]
    assert env.lo + 300 * t < env.mid - t and env.hi - 300 * t > env.mid + t
    ids = [rest(env, maker, p, 1, True) for p in bids]
    for p in asks:
        rest(env, maker, p, 1, False)
    assert [lv[0] for lv in env.book.depth(env.expiry, FUTURE, 0, True, 32)] == bids[::-1]
    assert [lv[0] for lv in env.book.depth(env.expiry, FUTURE, 0, False, 32)] == asks
    tx = place(env, taker, env.lo, 3, False, max_fills=3)
    fills = tx.decode_logs(env.book.OrderFilled)
    assert [(f.maker_order_id, f.price) for f in fills] == list(zip(ids[::-1], bids[::-1]))
    assert env.book.best_bid(env.expiry, FUTURE, 0) == 0
    assert env.book.best_ask(env.expiry, FUTURE, 0) == env.mid + t


# ---------------------------------------------------------------- matching


def test_place_order__price_time_priority_across_levels(funded, maker, maker2, taker):
    env = funded
    a_far = rest(env, maker, env.px(3), 2, False)
    a_best = rest(env, maker2, env.px(1), 2, False)
    a_mid = rest(env, maker, env.px(2), 2, False)
    tx = place(env, taker, env.px(3), 5, True)
    fills = tx.decode_logs(env.book.OrderFilled)
    assert [(f.maker_order_id, f.price, f.qty) for f in fills] == [
        (a_best, env.px(1), 2),
        (a_mid, env.px(2), 2),
        (a_far, env.px(3), 1),
    ]
    assert tx.return_value == 0  # fully filled: nothing rests
    assert env.book.orders(a_far).qty == 1
    assert env.book.best_ask(env.expiry, FUTURE, 0) == env.px(3)


def test_place_order__time_priority_within_level(funded, maker, maker2, taker):
    env = funded
    first = rest(env, maker2, env.px(1), 2, False)
    second = rest(env, maker, env.px(1), 2, False)
    third = rest(env, maker2, env.px(1), 2, False)
    assert list(env.book.queue(env.expiry, FUTURE, 0, False, env.px(1), 10)) == [
        first,
        second,
        third,
    ]
    tx = place(env, taker, env.px(1), 3, True)
    fills = tx.decode_logs(env.book.OrderFilled)
    assert [(f.maker_order_id, f.qty, f.remaining) for f in fills] == [
        (first, 2, 0),
        (second, 1, 1),
    ]
    assert list(env.book.queue(env.expiry, FUTURE, 0, False, env.px(1), 10)) == [second, third]
    assert env.book.depth(env.expiry, FUTURE, 0, False, 1)[0][1] == 3


def test_place_order__fills_at_maker_price(funded, maker, taker):
    env = funded
    rest(env, maker, env.px(-1), 2, True)
    tx = place(env, taker, env.px(-5), 2, False)  # seller willing to go lower gets the bid
    assert [f.price for f in tx.decode_logs(env.book.OrderFilled)] == [env.px(-1)]


def test_place_order__partial_fill__pro_rata_release_then_exact_rest(funded, maker, taker):
    env = funded
    oid = rest(env, maker, env.px(1), 7, False)
    reserve = env.book.orders(oid).reserve
    req0 = env.requirement(maker)
    place(env, taker, env.px(1), 3, True)
    info = env.book.orders(oid)
    assert info.qty == 4
    assert info.reserve == reserve - reserve * 3 // 7  # released pro rata, rounded down
    place(env, taker, env.px(1), 4, True)
    assert env.book.orders(oid).owner == ape.utils.ZERO_ADDRESS
    assert env.book.best_ask(env.expiry, FUTURE, 0) == 0
    # the maker's whole order reserve left; what remains is its short position's requirement
    assert env.requirement(maker) <= req0 - reserve + 7 * (env.hi - env.px(1))


def test_place_order__taker_remainder_rests(funded, maker, taker):
    env = funded
    rest(env, maker, env.px(1), 2, False)
    tx = place(env, taker, env.px(2), 5, True)
    oid = tx.return_value
    assert oid > 0 and env.book.orders(oid).qty == 3
    assert env.book.best_bid(env.expiry, FUTURE, 0) == env.px(2)
    assert env.book.best_ask(env.expiry, FUTURE, 0) == 0


def test_place_order__ioc__remainder_cancelled(funded, maker, taker):
    env = funded
    rest(env, maker, env.px(1), 2, False)
    req0 = env.requirement(taker)
    tx = place(env, taker, env.px(1), 5, True, flags=IOC)
    assert tx.return_value == 0
    cancels = tx.decode_logs(env.book.OrderCancelled)
    assert [(c.owner, c.remaining, c.reason) for c in cancels] == [(taker.address, 3, CANCEL_IOC)]
    assert env.book.best_bid(env.expiry, FUTURE, 0) == 0
    assert env.requirement(taker) >= req0  # a position, no order reserve


def test_place_order__ioc_no_liquidity__nothing_happens(funded, taker):
    env = funded
    before = snapshot(env, taker)
    tx = place(env, taker, env.px(0), 2, True, flags=IOC)
    assert tx.return_value == 0
    assert snapshot(env, taker)[1:] == before[1:]


def test_place_order__post_only_crossing__reverts(funded, maker, taker):
    env = funded
    rest(env, maker, env.px(1), 2, False)
    before = snapshot(env, maker, taker)
    with ape.reverts("book: post-only would cross"):
        place(env, taker, env.px(1), 1, True, flags=POST_ONLY)
    assert snapshot(env, maker, taker) == before


def test_place_order__post_only_not_crossing__rests(funded, maker, taker):
    env = funded
    rest(env, maker, env.px(1), 2, False)
    oid = place(env, taker, env.px(0), 1, True, flags=POST_ONLY).return_value
    assert oid > 0 and env.book.best_bid(env.expiry, FUTURE, 0) == env.px(0)


def test_place_order__max_fills__stops_early_and_never_rests_crossed(funded, maker, maker2, taker):
    env = funded
    ids = [rest(env, maker if i % 2 else maker2, env.px(1), 1, False) for i in range(4)]
    tx = place(env, taker, env.px(1), 4, True, max_fills=2)
    fills = tx.decode_logs(env.book.OrderFilled)
    assert [f.maker_order_id for f in fills] == ids[:2]
    cancels = tx.decode_logs(env.book.OrderCancelled)
    assert [(c.remaining, c.reason) for c in cancels] == [(2, CANCEL_MAX_FILLS)]
    assert tx.return_value == 0
    assert env.book.best_bid(env.expiry, FUTURE, 0) == 0
    assert env.book.depth(env.expiry, FUTURE, 0, False, 1)[0][1] == 2


def test_place_order__self_trade__cancels_own_resting_order(funded, maker, maker2):
    env = funded
    own = rest(env, maker, env.px(1), 2, False)
    other = rest(env, maker2, env.px(2), 2, False)
    req_before = env.requirement(maker)
    own_reserve = env.book.orders(own).reserve
    tx = place(env, maker, env.px(2), 2, True, max_fills=2)
    cancels = tx.decode_logs(env.book.OrderCancelled)
    assert [(c.order_id, c.reason) for c in cancels] == [(own, CANCEL_SELF_TRADE)]
    fills = tx.decode_logs(env.book.OrderFilled)
    assert [(f.maker_order_id, f.maker) for f in fills] == [(other, maker2.address)]
    assert env.book.orders(own).qty == 0
    # own reserve released; only the new long position (worst case at most 2·(P − L)) remains
    assert (
        env.requirement(maker) <= req_before - own_reserve + 2 * (env.px(2) - env.lo) + 2 * env.tick
    )


def test_place_order__self_trade__counts_toward_max_fills(funded, maker, maker2):
    env = funded
    own = rest(env, maker, env.px(1), 2, False)
    rest(env, maker2, env.px(1), 2, False)
    tx = place(env, maker, env.px(1), 2, True, max_fills=1)
    assert next(c.order_id for c in tx.decode_logs(env.book.OrderCancelled)) == own
    assert tx.decode_logs(env.book.OrderFilled) == []
    assert tx.return_value == 0  # still crossing maker2: not rested


def test_place_order__futures_fill_outside_window__not_recorded(funded, maker, taker):
    env = funded
    rest(env, maker, env.px(1), 2, False)
    tx = place(env, taker, env.px(1), 2, True)
    assert len(tx.decode_logs(env.book.OrderFilled)) == 1
    # only fills inside the fixing window feed the VWAP (test_order_store.py: inside it)
    assert tx.decode_logs(env.registry.FillRecorded) == []


def test_place_order__option_fill__moves_position(funded, maker, taker):
    env = funded
    k = env.strike()
    premium = env.tick * 5
    rest(env, maker, premium, 2, False, kind=CALL, strike=k)
    assert env.book.best_ask(env.expiry, CALL, k) == premium
    tx = place(env, taker, premium, 2, True, kind=CALL, strike=k)
    assert tx.decode_logs(env.registry.FillRecorded) == []
    assert env.ch.option_position(taker, env.registry, env.expiry, CALL, k) == 2
    assert env.ch.option_position(maker, env.registry, env.expiry, CALL, k) == -2


# ---------------------------------------------------------------- cancel


def test_cancel_order__releases_reserve(funded, maker):
    env = funded
    req0 = env.requirement(maker)
    oid = rest(env, maker, env.px(-1), 2, True)
    tx = env.book.cancel_order(oid, sender=maker)
    assert env.requirement(maker) == req0
    assert env.book.best_bid(env.expiry, FUTURE, 0) == 0
    logs = tx.decode_logs(env.book.OrderCancelled)
    assert [(c.order_id, c.remaining, c.reason) for c in logs] == [(oid, 2, CANCEL_OWNER)]


def test_cancel_order__middle_of_queue__keeps_fifo(funded, maker, maker2):
    env = funded
    a = rest(env, maker, env.px(-1), 1, True)
    b = rest(env, maker2, env.px(-1), 2, True)
    c = rest(env, maker, env.px(-1), 3, True)
    env.book.cancel_order(b, sender=maker2)
    assert list(env.book.queue(env.expiry, FUTURE, 0, True, env.px(-1), 10)) == [a, c]
    env.book.cancel_order(c, sender=maker)
    d = rest(env, maker2, env.px(-1), 1, True)
    assert list(env.book.queue(env.expiry, FUTURE, 0, True, env.px(-1), 10)) == [a, d]
    assert env.book.depth(env.expiry, FUTURE, 0, True, 1)[0][1] == 2


def test_cancel_order__not_owner__reverts(funded, maker, stranger):
    env = funded
    oid = rest(env, maker, env.px(-1), 2, True)
    with ape.reverts("book: not order owner"):
        env.book.cancel_order(oid, sender=stranger)
    assert env.book.orders(oid).qty == 2


def test_cancel_order__unknown__reverts(funded, maker):
    with ape.reverts("book: unknown order"):
        funded.book.cancel_order(12345, sender=maker)


# ---------------------------------------------------------------- validation (no state change)


@pytest.mark.parametrize(
    "case, reason",
    [
        ("below_min_qty", "book: below min qty"),
        ("off_tick", "book: off tick"),
        ("below_range", "book: price out of range"),
        ("above_range", "book: price out of range"),
        ("futures_strike", "book: futures strike must be 0"),
        ("bad_kind", "book: bad kind"),
        ("bad_flags", "book: bad flags"),
        ("both_flags", "book: bad flags"),
        ("zero_max_fills", "book: bad max fills"),
        ("too_many_max_fills", "book: bad max fills"),
        ("not_live", "book: series not live"),
        ("inactive_strike", "book: inactive strike"),
        ("call_premium_above_max_payoff", "book: premium above max payoff"),
        ("put_premium_above_max_payoff", "book: premium above max payoff"),
        ("zero_premium", "book: zero price"),
    ],
)
def test_place_order__invalid__reverts(funded, maker, taker, case, reason):
    env = funded
    rest(env, maker, env.px(1), 1, False)
    k = env.strike()
    args = {
        "expiry": env.expiry,
        "kind": FUTURE,
        "strike": 0,
        "is_buy": True,
        "price": env.px(0),
        "qty": max(env.min_qty, 1),
        "flags": 0,
        "max_fills": 4,
    }
    if case == "below_min_qty":
        args["qty"] = env.min_qty - 1 if env.min_qty > 1 else 0
    elif case == "off_tick":
        args["price"] = env.px(0) + 1 if env.tick > 1 else pytest.skip("tick is 1")
    elif case == "below_range":
        args["price"] = env.lo - env.tick
    elif case == "above_range":
        args["price"] = env.hi + env.tick
    elif case == "futures_strike":
        args["strike"] = k
    elif case == "bad_kind":
        args["kind"] = 3
    elif case == "bad_flags":
        args["flags"] = 4
    elif case == "both_flags":
        args["flags"] = POST_ONLY | IOC
    elif case == "zero_max_fills":
        args["max_fills"] = 0
    elif case == "too_many_max_fills":
        args["max_fills"] = 65
    elif case == "not_live":
        args["expiry"] = env.expiry + 86_400
    elif case == "inactive_strike":
        args.update(kind=CALL, strike=k + env.tick, price=env.tick)
    elif case == "call_premium_above_max_payoff":
        args.update(kind=CALL, strike=k, price=env.hi - k + env.tick)
    elif case == "put_premium_above_max_payoff":
        args.update(kind=PUT, strike=k, price=k - env.lo + env.tick)
    elif case == "zero_premium":
        args.update(kind=CALL, strike=k, price=0)
    before = snapshot(env, maker, taker)
    with ape.reverts(reason):
        env.book.place_order(*args.values(), sender=taker)
    assert snapshot(env, maker, taker) == before


def test_place_order__premium_at_max_payoff__accepted(funded, maker):
    env = funded
    k = env.strike()
    oid = rest(env, maker, env.hi - k, 1, True, kind=CALL, strike=k)
    assert env.book.best_bid(env.expiry, CALL, k) == env.hi - k
    assert rest(env, maker, k - env.lo, 1, True, kind=PUT, strike=k) > oid


def test_place_order__range_edges__accepted(funded, maker):
    env = funded
    rest(env, maker, env.lo, 1, True)
    rest(env, maker, env.hi, 1, False)
    assert env.book.best_bid(env.expiry, FUTURE, 0) == env.lo
    assert env.book.best_ask(env.expiry, FUTURE, 0) == env.hi


def test_place_order__maker_insufficient_collateral__reverts(funded, stranger, maker):
    env = funded
    env.fund(stranger, 1)
    rest(env, maker, env.px(1), 1, False)
    before = snapshot(env, stranger, maker)
    with ape.reverts("clearinghouse: insufficient collateral"):
        place(env, stranger, env.px(-1), 10, True)
    assert snapshot(env, stranger, maker) == before


def test_place_order__taker_insufficient_collateral__reverts(funded, stranger, maker):
    env = funded
    env.fund(stranger, 10 * env.tick + 10 * env.px(1) // 100)  # fees, not the position
    rest(env, maker, env.px(1), 10, False)
    before = snapshot(env, stranger, maker)
    with ape.reverts("clearinghouse: insufficient collateral"):
        place(env, stranger, env.px(1), 10, True, flags=IOC)
    assert snapshot(env, stranger, maker) == before


# ---------------------------------------------------------------- pause and roles


def test_pause__guardian_stops_orders_cancels_continue(funded, guardian, maker):
    env = funded
    oid = rest(env, maker, env.px(-1), 1, True)
    env.book.pause(sender=guardian)
    assert env.book.paused()
    with ape.reverts("book: paused"):
        place(env, maker, env.px(-2), 1, True)
    env.book.cancel_order(oid, sender=maker)
    env.book.unpause(sender=guardian)
    rest(env, maker, env.px(-2), 1, True)


def test_pause__stranger__reverts(funded, stranger):
    with ape.reverts("book: not guardian"):
        funded.book.pause(sender=stranger)


def test_ownership__two_step(funded, deployer, stranger):
    env = funded
    owner = env.book.owner()
    env.book.transfer_ownership(stranger, sender=owner)
    assert env.book.owner() == owner and env.book.pending_owner() == stranger.address
    env.book.accept_ownership(sender=stranger)
    assert env.book.owner() == stranger.address
    env.book.set_guardian(stranger, sender=stranger)
    assert env.book.guardian() == stranger.address


# ---------------------------------------------------------------- dead orders


def test_sweep_dead_orders__after_expiry__releases_reserves(
    funded, guardian, maker, maker2, stranger
):
    env = funded
    req0 = env.requirement(maker)
    ids = [rest(env, maker, env.px(-1 - i), 1, True) for i in range(3)]
    other = rest(env, maker2, env.px(-1), 1, True)
    with ape.reverts("book: order not dead"):
        env.book.sweep_dead_orders(maker, ids, sender=stranger)
    chain.mine(timestamp=env.expiry + 1)
    env.book.pause(sender=guardian)  # sweeps and cancels never stop
    assert env.book.is_dead(ids[0])
    with ape.reverts("book: not order owner"):
        env.book.sweep_dead_orders(maker, [ids[0], other], sender=stranger)
    tx = env.book.sweep_dead_orders(maker, ids + [ids[0]], sender=stranger)  # repeats skipped
    assert tx.return_value == 3
    assert [c.reason for c in tx.decode_logs(env.book.OrderCancelled)] == [CANCEL_DEAD] * 3
    assert env.requirement(maker) == req0
    assert env.book.depth(env.expiry, FUTURE, 0, True, 5)[0][0] == env.px(-1)  # maker2's
    env.book.cancel_order(other, sender=maker2)  # still cancellable
    assert env.book.best_bid(env.expiry, FUTURE, 0) == 0


def advance_past_next_update(env, btc_usd: float = 100_000.0) -> int:
    """Moves to one minute after the next 08:00 UTC with fresh index and peg reports made
    inside that day's fixing window, so the lazy daily update can run. Returns that 08:00."""
    from rangebound.deploy import report

    now = chain.pending_timestamp
    update = now // 86_400 * 86_400 + 8 * 3_600
    if update <= now + 5:
        update += 86_400
    chain.mine(timestamp=max(update - 240, now))
    report(env.system.feeds["BTC/USD"], env.deployer, btc_usd)
    report(env.system.feeds["USD1/USD"], env.deployer, 1.0)
    chain.mine(timestamp=update + 60)
    return update


def test_place_order__expired_series__reverts(funded, maker):
    env = funded
    nearest = env.registry.live_expiries()[0]
    for _ in range(8):
        if chain.pending_timestamp > nearest:
            break
        advance_past_next_update(env)
    with ape.reverts("book: series not live"):
        env.book.place_order(nearest, FUTURE, 0, True, env.px(0), 1, 0, 1, sender=maker)


def test_place_order__range_shrank__stale_maker_cancelled_not_filled(funded, maker, maker2, taker):
    env = funded
    stale = rest(env, maker, env.lo, 2, False)  # valid today, at the lower bound
    good = rest(env, maker2, env.px(0), 2, False)
    stale_reserve = env.book.orders(stale).reserve
    req0 = env.requirement(maker)
    advance_past_next_update(env)
    env.registry.daily_update(sender=taker)
    lo, _ = env.registry.bounds(env.expiry)
    assert lo > env.lo  # one day less: the range shrank
    tx = place(env, taker, env.px(0), 2, True)
    cancels = tx.decode_logs(env.book.OrderCancelled)
    assert [(c.order_id, c.reason) for c in cancels] == [(stale, CANCEL_STALE)]
    fills = tx.decode_logs(env.book.OrderFilled)
    assert [(f.maker_order_id, f.price) for f in fills] == [(good, env.px(0))]
    assert env.requirement(maker) <= req0 - stale_reserve
    assert env.book.best_ask(env.expiry, FUTURE, 0) == 0


def test_place_order__reduce_only__blocks_new_exposure(funded, maker, maker2, taker):
    from rangebound.deploy import report

    env = funded
    rest(env, maker, env.px(0), 2, True)
    place(env, taker, env.px(0), 2, False)  # maker long 2, taker short 2
    flat_ask = rest(env, maker2, env.px(1), 1, False)  # maker2 flat: a fill would open
    closing_ask = rest(env, maker, env.px(2), 2, False)  # maker long 2: a fill closes
    report(env.system.feeds["USD1/USD"], env.deployer, 0.90)
    assert env.registry.reduce_only()
    before = snapshot(env, taker)
    with ape.reverts("book: reduce only"):
        place(env, taker, env.px(2), 3, True)  # would flip short 2 to long 1
    assert snapshot(env, taker) == before
    tx = place(env, taker, env.px(2), 2, True)
    cancels = tx.decode_logs(env.book.OrderCancelled)
    assert [(c.order_id, c.reason) for c in cancels] == [(flat_ask, CANCEL_REDUCE_ONLY)]
    assert [f.maker_order_id for f in tx.decode_logs(env.book.OrderFilled)] == [closing_ask]
    assert env.ch.futures_position(taker, env.registry, env.expiry)[0] == 0
    assert env.ch.futures_position(maker, env.registry, env.expiry)[0] == 0


def test_place_order__price_index_beyond_bitmap__reverts(deployer, guardian, maker):
    """A 0.001-USD tick makes the monthly range wider than the 65,536 ticks a book indexes."""
    from rangebound.deploy import deploy_system

    system = deploy_system(deployer, guardian=guardian, tick_usd=0.001)
    market = system.markets["BTC"]
    book, registry = market.book, market.registry
    expiry = registry.live_expiries()[-1]
    lo, hi = registry.bounds(expiry)
    tick = registry.tick()
    assert (hi - lo) // tick > 65_536
    amount = hi * 100
    system.token.mint(maker, amount, sender=deployer)
    system.token.approve(system.vault, amount, sender=maker)
    system.vault.deposit(amount, sender=maker)
    book.place_order(expiry, FUTURE, 0, True, lo + 65_535 * tick, 1, 0, 1, sender=maker)
    with ape.reverts("book: price index too large"):
        book.place_order(expiry, FUTURE, 0, True, lo + 65_536 * tick, 1, 0, 1, sender=maker)
    k = next(x for x in registry.strikes(expiry) if lo < x < hi)
    assert hi - k > 65_537 * tick
    book.place_order(expiry, CALL, k, True, 65_536 * tick, 1, 0, 1, sender=maker)
    with ape.reverts("book: price index too large"):
        book.place_order(expiry, CALL, k, True, 65_537 * tick, 1, 0, 1, sender=maker)
    assert book.best_bid(expiry, CALL, k) == 65_536 * tick
    assert book.best_bid(expiry, FUTURE, 0) == lo + 65_535 * tick


# ---------------------------------------------------------------- gas


def test_gas__report(funded, maker, maker2, taker):
    env = funded
    tx = place(env, maker, env.px(1), 1, False)
    GAS["place resting (new level)"] = tx.gas_used
    tx = place(env, maker2, env.px(1), 1, False)
    GAS["place resting (same level)"] = tx.gas_used
    tx = env.book.cancel_order(tx.return_value, sender=maker2)
    GAS["cancel"] = tx.gas_used
    tx = place(env, taker, env.px(1), 1, True, flags=IOC)
    GAS["take 1 maker (futures)"] = tx.gas_used
    for i in range(10):
        place(env, maker if i % 2 else maker2, env.px(2 + i % 3), 1, False)
    tx = place(env, taker, env.px(4), 10, True, flags=IOC, max_fills=10)
    assert len(tx.decode_logs(env.book.OrderFilled)) == 10
    GAS["take 10 makers (futures)"] = tx.gas_used
    print("\nOrderBook gas:", {k: v for k, v in GAS.items()})
    assert GAS["cancel"] < GAS["place resting (new level)"]
