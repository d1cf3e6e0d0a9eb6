"""No resting order can block a book (issue 12, attack 1; docs/architecture.md §6).

Each test builds one maker whose fill the Clearinghouse cannot book (its leg limit, its open-series
limit, its position cap, the market's open-interest cap, a maker fee raised after it rested, a
price the range moved past) and lets an honest taker reach it. The old code reverted the taker
(texts in the closing note of issue 12 and in SECURITY.md); now the maker order is cancelled with
its own reason code, its reserve released, and the taker goes on to the next maker or rests.
"""

from __future__ import annotations

import ape
import pytest
from ape import chain
from helpers import cancels, fund

from rangebound.constants import (
    CALL,
    CANCEL_COLLATERAL,
    CANCEL_LEGS,
    CANCEL_OI_CAP,
    CANCEL_POSITION_CAP,
    CANCEL_SERIES,
    CANCEL_STALE,
    FUTURE,
    IOC,
    POST_ONLY,
    PUT,
)
from rangebound.ops.deploy import market_params, report
from rangebound.ops.risk import order_reserve


@pytest.fixture(scope="module")
def mk(system, deployer, maker, maker2, taker, keeper):
    """The BTC market with three funded traders; `keeper` plays the attacker A."""
    m = system.markets["BTC"]
    for who in (maker, maker2, taker, keeper):
        fund(system, who, 2_000_000)
    return m


def _far(mk):
    e = mk.registry.live_expiries()[-1]
    lo, hi = mk.registry.bounds(e)
    return e, lo, hi, mk.registry.tick()


def _trade(book, e, kind, strike, buyer, seller, price, qty=1):
    book.place_order(e, kind, strike, False, price, qty, 0, 1, sender=seller)
    book.place_order(e, kind, strike, True, price, qty, IOC, 1, sender=buyer)


def _blocked_then_honest(mk, system, e, attacker, attacker_price, honest, honest_price, taker, reason, meanwhile=None, attacker_qty=1):
    """A's bid rests above an honest bid; a taker sells into both: A's order is cancelled with
    `reason` (reserve released), the honest bid fills, the taker's call succeeds. With
    `attacker_qty` > 1 A's order is only partly reached, so its fill is booked, not recorded
    (a record is checked against A's caps only when it folds: docs/architecture.md §16)."""
    book, ch = mk.book, system.clearinghouse
    reserved_before = ch.reserved(attacker)
    bad = book.place_order(e, FUTURE, 0, True, attacker_price, attacker_qty, 0, 1, sender=attacker).return_value
    good = book.place_order(e, FUTURE, 0, True, honest_price, 1, 0, 1, sender=honest).return_value
    if meanwhile is not None:
        meanwhile()
    tx = book.place_order(e, FUTURE, 0, False, honest_price, 1, 0, 4, sender=taker)
    assert cancels(tx, book) == [(bad, reason)]
    assert [(f.maker_order_id, f.qty) for f in tx.decode_logs(book.OrderFilled)] == [(good, 1)]
    assert system.lens.orders(book, bad).owner == ape.utils.ZERO_ADDRESS
    assert ch.reserved(attacker) == reserved_before
    assert tx.return_value == 0                                 # nothing of the taker rests


def test_place_order__maker_at_leg_limit__cancelled_taker_sells(mk, system, keeper, maker2, taker):
    """A holds 32 one-lot option legs and bids the maximum premium for a 33rd: sellers used to
    revert ("clearinghouse: too many legs"); now A's bid is cancelled and the ask rests."""
    book, reg = mk.book, mk.registry
    e, lo, hi, tick = _far(mk)
    active = [k for k in reg.strikes(e) if lo < k < hi]
    legs = [(kind, k) for k in active[:16] for kind in (CALL, PUT)]
    for kind, k in legs:
        _trade(book, e, kind, k, keeper, maker2, tick)
    assert len(system.clearinghouse.option_legs(keeper, reg, e)) == 32
    k33 = active[16]
    bad = book.place_order(e, CALL, k33, True, hi - k33, 1, 0, 1, sender=keeper).return_value
    tx = book.place_order(e, CALL, k33, False, tick, 1, 0, 4, sender=taker)
    assert cancels(tx, book) == [(bad, CANCEL_LEGS)]
    assert tx.return_value > 0 and book.best_ask(e, CALL, k33) == tick
    assert book.best_bid(e, CALL, k33) == 0


def test_place_order__maker_at_open_series_limit__cancelled(mk, system, deployer, keeper, maker, maker2, taker, project, guardian):
    """A holds one-lot positions in 24 series of four other markets, then bids in this one:
    sellers used to revert ("clearinghouse: too many series")."""
    ch = system.clearinghouse
    count = 0
    for _ in range(4):
        reg = project.SeriesRegistry.deploy(
            market_params(system.params, system.feeds["BTC/USD"], system.feeds["USD1/USD"]), sender=deployer
        )
        bk = project.OrderBook.deploy(reg, ch, guardian, sender=deployer)
        reg.set_order_book(bk, sender=deployer)
        ch.register_market(reg, bk, sender=deployer)
        for x in reg.live_expiries():
            lo, hi = reg.bounds(x)
            _trade(bk, x, FUTURE, 0, keeper, maker2, (lo + hi) // 2 // reg.tick() * reg.tick())
            count += 1
    assert len(ch.open_series(keeper)) == 24 == count
    e, lo, hi, tick = _far(mk)
    mid = (lo + hi) // 2 // tick * tick
    _blocked_then_honest(mk, system, e, keeper, mid + tick, maker, mid, taker, CANCEL_SERIES)


def test_place_order__maker_at_position_cap__cancelled(mk, system, deployer, keeper, maker, maker2, taker):
    """A holds the position cap and bids one more lot: sellers used to revert
    ("clearinghouse: position cap")."""
    e, lo, hi, tick = _far(mk)
    mid = (lo + hi) // 2 // tick * tick
    system.clearinghouse.set_caps(mk.registry, 10**12, 2, sender=deployer)
    _trade(mk.book, e, FUTURE, 0, keeper, maker2, mid, 2)
    _blocked_then_honest(mk, system, e, keeper, mid + tick, maker, mid, taker, CANCEL_POSITION_CAP,
                         attacker_qty=2)


def test_place_order__maker_bid_over_open_interest_cap__cancelled(mk, system, deployer, keeper, maker, maker2, taker):
    """Open interest sits at the cap; A bids to open a long: sellers opening a short used to
    revert ("clearinghouse: open interest cap"); a bid that closes a short still fills."""
    e, lo, hi, tick = _far(mk)
    mid = (lo + hi) // 2 // tick * tick
    system.clearinghouse.set_caps(mk.registry, 2, 10**9, sender=deployer)
    _trade(mk.book, e, FUTURE, 0, maker2, maker, mid, 2)          # OI 2 = cap; maker short 2
    # the maker's short is a fill record until folded (the keeper's fold step): a bid that
    # closes a short passes the cap only against the folded position
    mk.book.fold(maker, e, sender=taker)
    _blocked_then_honest(mk, system, e, keeper, mid + tick, maker, mid, taker, CANCEL_OI_CAP)
    assert system.clearinghouse.open_interest(mk.registry, e, FUTURE) == 2


def test_place_order__maker_fee_raised_after_rest__cancelled(mk, system, deployer, stranger, maker, taker):
    """A rests a bid with exactly its reserve in the vault; the maker fee is raised; its fill
    would leave it short: sellers used to revert ("clearinghouse: insufficient collateral")."""
    ch, vault = system.clearinghouse, system.vault
    e, lo, hi, tick = _far(mk)
    mid = (lo + hi) // 2 // tick * tick
    need = order_reserve(ch, mk.registry, e, FUTURE, 0, True, mid + tick, 1)
    system.token.mint(stranger, need, sender=deployer)
    system.token.approve(vault, need, sender=stranger)
    vault.deposit(need, sender=stranger)
    raise_fee = lambda: ch.set_fees(ch.taker_fee_bps(), ch.MAX_FEE_BPS(), sender=deployer)
    _blocked_then_honest(mk, system, e, stranger, mid + tick, maker, mid, taker, CANCEL_COLLATERAL, raise_fee)
    assert vault.balance_of(stranger) == need and ch.requirement(stranger) == 0


def _shrink(mk, system, deployer):
    """One daily update later the far series' range is narrower; returns the new bounds."""
    now = chain.pending_timestamp
    update = now // 86_400 * 86_400 + 8 * 3_600
    if update <= now + 5:
        update += 86_400
    chain.mine(timestamp=max(update - 240, now))
    report(system.feeds["BTC/USD"], deployer, 100_000.0)
    report(system.feeds["USD1/USD"], deployer, 1.0)
    chain.mine(timestamp=update + 60)
    mk.registry.daily_update(sender=deployer)


def test_place_order__post_only_under_stale_bid__rests_and_views_skip_it(mk, system, deployer, maker, maker2, taker):
    """A bid at the old upper bound is stale once the range shrinks: it neither shows as the
    best bid nor makes a post-only ask revert ("book: post-only would cross"); the post-only
    order cancels it on the way and rests."""
    book = mk.book
    e, lo, hi, tick = _far(mk)
    stale = book.place_order(e, FUTURE, 0, True, hi, 1, 0, 1, sender=maker).return_value
    honest = book.place_order(e, FUTURE, 0, True, (lo + hi) // 2 // tick * tick, 1, 0, 1, sender=maker2).return_value
    _shrink(mk, system, deployer)
    _, hi2 = mk.registry.bounds(e)
    assert hi2 < hi
    assert book.best_bid(e, FUTURE, 0) == system.lens.orders(book, honest).price
    ask = hi2 - tick
    tx = book.place_order(e, FUTURE, 0, False, ask, 1, POST_ONLY, 4, sender=taker)
    assert cancels(tx, book) == [(stale, CANCEL_STALE)]
    assert tx.return_value > 0 and book.best_ask(e, FUTURE, 0) == ask
    # a post-only ask that crosses a live bid still reverts
    with ape.reverts("book: post-only would cross"):
        book.place_order(e, FUTURE, 0, False, system.lens.orders(book, honest).price, 1, POST_ONLY, 4, sender=taker)


def test_best_ask__stale_asks_below_range__skipped(mk, system, deployer, maker, maker2):
    book = mk.book
    e, lo, _, _ = _far(mk)
    book.place_order(e, FUTURE, 0, False, lo, 1, 0, 1, sender=maker)
    _shrink(mk, system, deployer)
    lo2, hi2 = mk.registry.bounds(e)
    assert lo2 > lo
    assert book.best_ask(e, FUTURE, 0) == 0
    book.place_order(e, FUTURE, 0, False, hi2, 1, 0, 1, sender=maker2)
    assert book.best_ask(e, FUTURE, 0) == hi2
