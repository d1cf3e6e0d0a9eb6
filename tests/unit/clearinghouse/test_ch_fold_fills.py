"""Clearinghouse and fill records (docs/architecture.md §16): a book's fill sent with
RECORD_FILL that could defer is recorded (the taker's half, the open interest and `Fill`
only; `settle_fills` returns its tag and the maker fee rate), `fold_fills` books a book's
folded records into the maker's position, and the claim and the views see records the
book still holds. The book is the test market's MockVenue, whose records a test sets."""

from __future__ import annotations

import ape
import pytest
from helpers import fund

from rangebound import margin
from rangebound.constants import FILL_TAG_SHIFT, FUTURE, RECORD_FILL
from rangebound.ops.deploy import report

from .clearinghouse_helpers import Env, reserve_ask, settle_series, trading_state_of


def mock_book(env: Env, project):
    """The MockVenue contract behind the impersonated book account."""
    return project.MockVenue.at(env.book.address)


def recordable(release: int, tag: int = 0) -> int:
    """A fill's `release` as the book sends one it may record."""
    return release | RECORD_FILL | (tag << FILL_TAG_SHIFT)


@pytest.fixture
def recorded(env_dec, maker, taker):
    """The maker's ask of 2 lots rests and the taker buys both: the fill is recorded."""
    env = env_dec
    e, price = env.expiries[0], env.usd(100.25)
    for a in (maker, taker):
        fund(env.system, a, 10_000)
    reserve = reserve_ask(env, maker, e, price, 2)
    tx = env.ch.settle_fills(taker, e, FUTURE, 0, True, [(maker, price, 2, recordable(reserve, 5))],
                             trading_state_of(env, e), 0, sender=env.book)
    return env, e, price, reserve, tx


def test_settle_fills__recordable_fill__maker_untouched_tag_returned(recorded, maker):
    env, e, price, reserve, tx = recorded
    bps = env.ch.maker_fee_bps()
    assert tx.return_value == (1 << 5) | (bps << 32)
    fill = tx.events.filter(env.ch.Fill)[0]
    assert fill.maker_fee == margin.fee(2 * price, bps)
    assert env.ch.futures_position(maker, env.registry, e) == (0, 0)   # the mock book holds no record
    assert env.ch.book_reserved(env.book, maker) == reserve
    assert env.ch.deferred(maker, env.registry, e) == (0, 0)
    assert len(env.ch.open_series(maker)) == 0
    assert env.ch.open_interest(env.registry, e, FUTURE) == 2            # the taker's long


def test_fold_fills__book_folds__position_reserve_fee_requirement(recorded, maker, project):
    env, e, price, reserve, tx = recorded
    fee = tx.events.filter(env.ch.Fill)[0].maker_fee
    r = (-2, -2 * price, reserve, fee, 0)
    mock_book(env, project).set_records(maker, e, r, sender=env.book)
    assert env.ch.futures_position(maker, env.registry, e) == (-2, -2 * price)    # the view adds them
    bal, fees = env.vault.balance_of(maker), env.vault.balance_of(env.fee_to)
    env.ch.fold_fills(maker, e, r, sender=env.book)
    mock_book(env, project).set_records(maker, e, (0, 0, 0, 0, 0), sender=env.book)
    assert env.ch.futures_position(maker, env.registry, e) == (-2, -2 * price)
    assert env.ch.book_reserved(env.book, maker) == 0
    assert env.vault.balance_of(maker) == bal - fee
    assert env.vault.balance_of(env.fee_to) == fees + fee
    lo, hi = env.registry.bounds(e)
    want = margin.requirement(-2, -2 * price, [], lo, hi)
    assert env.ch.requirement(maker) == want
    assert env.ch.open_interest(env.registry, e, FUTURE) == 2


def test_fold_fills__bid_records__open_interest_netted(env, maker, taker):
    """A maker bid's record counts +q in the open interest; folding it into a short nets it."""
    e, price = env.expiries[0], env.usd(100)
    for a in (maker, taker):
        fund(env.system, a, 10_000)
    env.ch.settle_fills(maker, e, FUTURE, 0, True, [(taker, price, 3, 0)], trading_state_of(env, e), 0,
                        sender=env.book)                                 # maker long 3, taker short 3
    reserve = env.ch.reserve(taker, e, FUTURE, 0, True, price, 2, trading_state_of(env, e), 0,
                             sender=env.book).return_value
    env.ch.settle_fills(maker, e, FUTURE, 0, False, [(taker, price, 2, recordable(reserve))],
                        trading_state_of(env, e), 0, sender=env.book)      # taker's bid recorded
    assert env.ch.open_interest(env.registry, e, FUTURE) == 1 + 2
    fee = margin.fee(2 * price, env.ch.maker_fee_bps())
    env.ch.fold_fills(taker, e, (2, 2 * price, reserve, fee, 2), sender=env.book)
    assert env.ch.futures_position(taker, env.registry, e)[0] == -1
    assert env.ch.open_interest(env.registry, e, FUTURE) == 1


def test_settle_fills__recordable__other_venue_or_reduce_only__booked(env, maker, taker):
    """Only the market's book may record, and never in reduce-only mode: such fills are booked
    in the maker's position as before (`settle_fills` returns 0)."""
    e, price = env.expiries[0], env.usd(100)
    for a in (maker, taker):
        fund(env.system, a, 10_000)
    reserve = reserve_ask(env, maker, e, price, 1, venue=env.pool)
    tx = env.ch.settle_fills(taker, e, FUTURE, 0, True, [(maker, price, 1, recordable(reserve))],
                             trading_state_of(env, e), 0, sender=env.pool)
    assert tx.return_value == 0 and env.ch.futures_position(maker, env.registry, e)[0] == -1
    bid = env.ch.reserve(maker, e, FUTURE, 0, True, price, 1, trading_state_of(env, e), 0,
                         sender=env.book).return_value
    report(env.system.feeds["USD1/USD"], env.system.deployer, 0.9)
    assert env.registry.reduce_only()
    tx = env.ch.settle_fills(taker, e, FUTURE, 0, False, [(maker, price, 1, recordable(bid))],
                             trading_state_of(env, e), 0, sender=env.book)   # both close their 1
    assert tx.return_value == 0 and env.ch.futures_position(maker, env.registry, e)[0] == 0


def test_fold_fills__not_the_book__reverts(env, maker, stranger):
    e = env.expiries[0]
    with ape.reverts("clearinghouse: not a book"):
        env.ch.fold_fills(maker, e, (1, 1, 0, 0, 1), sender=env.pool)
    with ape.reverts("clearinghouse: not a venue"):
        env.ch.fold_fills(maker, e, (1, 1, 0, 0, 1), sender=stranger)


def test_fold_fills__more_reserve_than_held__reverts(recorded, maker):
    env, e, price, reserve, _tx = recorded
    with ape.reverts("clearinghouse: release exceeds reserve"):
        env.ch.fold_fills(maker, e, (-2, -2 * price, reserve + 1, 0, 0), sender=env.book)


def test_claim__records_only__folded_then_claimed(recorded, maker, keeper, project, chain):
    """The claim takes the book's records (its `fold`, which for the Clearinghouse only clears
    them) and books them first: a maker with only records in the series is paid."""
    env, e, price, reserve, tx = recorded
    fee = tx.events.filter(env.ch.Fill)[0].maker_fee
    mock_book(env, project).set_records(maker, e, (-2, -2 * price, reserve, fee, 0), sender=env.book)
    s = settle_series(env, chain, keeper, e, 100_000)
    assert env.lens.unclaimed_pnl(maker, env.registry, e) == 2 * price - 2 * s
    bal = env.vault.balance_of(maker)
    out = env.ch.claim(maker, env.registry, e, sender=keeper)
    assert out.events.filter(env.ch.Claimed)[0].pnl == 2 * price - 2 * s
    assert env.vault.balance_of(maker) == bal + 2 * price - 2 * s - fee
    assert env.ch.book_reserved(env.book, maker) == 0 and env.ch.requirement(maker) == 0
    assert mock_book(env, project).unfolded(maker, e).reserve == 0
    with ape.reverts("clearinghouse: nothing to claim"):
        env.ch.claim(maker, env.registry, e, sender=keeper)


def test_settle_fills__recordable_bid_over_oi_cap__booked_closes_short(env, maker, taker, stranger, deployer):
    """A bid's record would count +q over the open-interest cap; whether it closes a short
    needs the maker's position, so it is booked instead: a bid closing a short passes."""
    e, price = env.expiries[0], env.usd(100)
    for a in (maker, taker, stranger):
        fund(env.system, a, 10_000)
    env.ch.settle_fills(taker, e, FUTURE, 0, True, [(maker, price, 2, 0)], trading_state_of(env, e), 0,
                        sender=env.book)                                 # maker short 2, OI 2
    env.ch.set_caps(env.registry, 2, 10**9, sender=deployer)
    bid = env.ch.reserve(maker, e, FUTURE, 0, True, price, 1, trading_state_of(env, e), 0,
                         sender=env.book).return_value
    tx = env.ch.settle_fills(stranger, e, FUTURE, 0, False, [(maker, price, 1, recordable(bid))],
                             trading_state_of(env, e), 0, sender=env.book)  # stranger opens a short
    assert tx.return_value == 0
    assert env.ch.futures_position(maker, env.registry, e)[0] == -1
    assert env.ch.open_interest(env.registry, e, FUTURE) == 2

