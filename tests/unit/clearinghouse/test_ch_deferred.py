"""Clearinghouse: a book's futures fill, or an option the maker sells, defers the maker's bookkeeping (its reserve share, its
maker fee and its series requirement) until the series is folded: the maker's next refresh of
it (its own taker order there, a recalculation), anyone's `recalculate`, its claim. The vault's
own recalculation (inside a withdrawal) folds the share less the fees and keeps the fees
reserved. The position, the open interest and the Fill event are written at the fill; the
maker stays covered all the while (docs/architecture.md §16)."""

from __future__ import annotations

import ape
import pytest
from helpers import fund

from rangebound import margin
from rangebound.constants import CALL, FUTURE, PUT

from .clearinghouse_helpers import (
    Env,
    active_strikes,
    reference_requirement,
    reserve_ask,
    settle_series,
    trading_state_of,
)

QTY, FILLED = 3, 2


def take(env: Env, taker, maker, e: int, price: int, qty: int, release: int, kind=FUTURE,
         strike=0, venue=None, registry=None):
    """The taker buys `qty` lots of the maker's ask in one `settle_fills` call."""
    return env.ch.settle_fills(taker, e, kind, strike, True, [(maker, price, qty, release)],
                               trading_state_of(env, e, registry), 0, sender=venue or env.book)


@pytest.fixture
def pending(env_dec, maker, taker):
    """The maker's ask of QTY lots rests; the taker buys FILLED of them: deferred."""
    env = env_dec
    e, price = env.expiries[0], env.usd(100.25)
    for a in (maker, taker):
        fund(env.system, a, 10_000)
    reserve = reserve_ask(env, maker, e, price, QTY)
    share = reserve * FILLED // QTY                     # the book's pro-rata release
    before = {a: env.vault.balance_of(a) for a in (maker, taker, env.fee_to)}
    tx = take(env, taker, maker, e, price, FILLED, share)
    fee = margin.fee(FILLED * price, env.ch.maker_fee_bps())
    return env, e, price, reserve, share, fee, before, tx


def test_settle_fills__book_futures_fill__maker_bookkeeping_deferred(pending, maker, taker):
    env, e, price, reserve, share, fee, before, tx = pending
    ch, reg, vault = env.ch, env.registry, env.vault
    taker_fee = margin.fee(FILLED * price, ch.taker_fee_bps())
    assert vault.balance_of(maker) == before[maker]               # no fee moved yet
    assert vault.balance_of(taker) == before[taker] - taker_fee
    assert vault.balance_of(env.fee_to) == before[env.fee_to] + taker_fee
    assert ch.futures_position(maker, reg, e) == (-FILLED, -FILLED * price)
    assert ch.open_interest(reg, e, FUTURE) == FILLED
    assert ch.deferred(maker, reg, e) == (share, fee)
    assert ch.reserved(maker) == reserve                          # the share is still held
    assert ch.series_requirement(maker, reg, e) == 0              # not refreshed yet
    assert [f.maker_fee for f in tx.events.filter(ch.Fill)] == [fee]
    assert not tx.events.filter(ch.Released)
    assert [r.account for r in tx.events.filter(ch.RequirementUpdated)] == [taker.address]
    # covered: the share is at least the fill's own requirement and its fee
    lo, hi = reg.bounds(e)
    assert share >= margin.requirement(-FILLED, -FILLED * price, [], lo, hi) + fee


def test_recalculate__stranger__folds_share_fee_and_requirement(pending, maker, stranger):
    env, e, price, reserve, share, fee, before, _ = pending
    ch, reg, vault = env.ch, env.registry, env.vault
    fee_to = vault.balance_of(env.fee_to)
    tx = ch.recalculate(maker, sender=stranger)
    lo, hi = reg.bounds(e)
    assert ch.deferred(maker, reg, e) == (0, 0)
    assert ch.reserved(maker) == reserve - share
    assert vault.balance_of(maker) == before[maker] - fee
    assert vault.balance_of(env.fee_to) == fee_to + fee
    assert ch.series_requirement(maker, reg, e) == margin.requirement(-FILLED, -FILLED * price, [], lo, hi)
    assert [r.amount for r in tx.events.filter(ch.Released)] == [share]
    assert [(t.sender, t.amount) for t in tx.events.filter(vault.InternalTransfer)] == [(maker.address, fee)]
    again = ch.recalculate(maker, sender=stranger)                # folded once
    assert not again.events.filter(ch.Released) and not again.events.filter(vault.InternalTransfer)


def test_withdraw__deferred__share_less_fee_released_fee_kept(pending, maker, stranger):
    env, e, price, reserve, share, fee, before, _ = pending
    ch, reg, vault = env.ch, env.registry, env.vault
    lo, hi = reg.bounds(e)
    need = reserve - share + fee + margin.requirement(-FILLED, -FILLED * price, [], lo, hi)
    free = before[maker] - need
    with ape.reverts("vault: insufficient collateral"):
        vault.withdraw(free + 1, sender=maker)
    tx = vault.withdraw(free - 1, sender=maker)
    # the vault's own call moves no balance: the fee stays owed and reserved
    assert not tx.events.filter(vault.InternalTransfer)
    assert [r.amount for r in tx.events.filter(ch.Released)] == [share - fee]
    assert ch.deferred(maker, reg, e) == (fee, fee)
    again = vault.withdraw(1, sender=maker)         # nothing more to release there
    assert not again.events.filter(ch.Released) and not again.events.filter(vault.InternalTransfer)
    assert ch.deferred(maker, reg, e) == (fee, fee)
    assert ch.reserved(maker) == reserve - share + fee
    assert vault.balance_of(maker) == before[maker] - free == ch.requirement(maker)
    ch.recalculate(maker, sender=stranger)
    assert ch.deferred(maker, reg, e) == (0, 0)
    assert ch.reserved(maker) == reserve - share
    assert vault.balance_of(maker) == before[maker] - free - fee


def test_claim__deferred__folds_first(pending, maker, keeper, chain):
    env, e, price, reserve, share, fee, before, _ = pending
    ch, reg, vault = env.ch, env.registry, env.vault
    s = settle_series(env, chain, keeper, e, 99_000)
    tx = ch.claim(maker, reg, e, sender=keeper)
    pnl = margin.pnl(s, -FILLED, -FILLED * price, [])
    assert tx.events.filter(ch.Claimed)[0].pnl == pnl
    assert [r.amount for r in tx.events.filter(ch.Released)] == [share]
    assert ch.deferred(maker, reg, e) == (0, 0)
    assert ch.reserved(maker) == reserve - share                  # the order's rest
    assert vault.balance_of(maker) == before[maker] + pnl - fee
    assert ch.open_series(maker) == []


def test_settle_fills__maker_takes_in_its_series__folds(pending, maker, maker2):
    env, e, price, reserve, share, fee, before, _ = pending
    ch, reg, vault = env.ch, env.registry, env.vault
    fund(env.system, maker2, 10_000)
    r2 = reserve_ask(env, maker2, e, price, 1)
    take(env, maker, maker2, e, price, 1, r2)                     # the maker buys one back
    assert ch.deferred(maker, reg, e) == (0, 0)
    assert ch.reserved(maker) == reserve - share
    taker_fee = margin.fee(price, ch.taker_fee_bps())
    assert vault.balance_of(maker) == before[maker] - fee - taker_fee
    assert ch.deferred(maker2, reg, e) == (r2, margin.fee(price, ch.maker_fee_bps()))


def test_settle_fills__maker_fee_raised_after_rest__settles_at_once(env, maker, taker, deployer):
    ch, reg, vault = env.ch, env.registry, env.vault
    e, price = env.expiries[0], env.usd(100.25)
    for a in (maker, taker):
        fund(env.system, a, 10_000)
    reserve = reserve_ask(env, maker, e, price, 1)
    ch.set_fees(ch.taker_fee_bps(), ch.MAX_FEE_BPS(), sender=deployer)
    balance = vault.balance_of(maker)
    tx = take(env, taker, maker, e, price, 1, reserve)
    fee = margin.fee(price, ch.MAX_FEE_BPS())
    assert reserve < (env.registry.bounds(e)[1] - price) + fee    # the share no longer covers it
    assert ch.deferred(maker, reg, e) == (0, 0)
    assert ch.reserved(maker) == 0
    assert vault.balance_of(maker) == balance - fee
    assert [r.amount for r in tx.events.filter(ch.Released)] == [reserve]


def _option_setup(env: Env, maker, taker):
    e = env.expiries[0]
    k = active_strikes(env, e)[len(active_strikes(env, e)) // 2]
    for a in (maker, taker):
        fund(env.system, a, 10_000)
    return e, k, env.usd(1.5)


@pytest.mark.parametrize("kind", [CALL, PUT], ids=["call", "put"])
def test_settle_fills__option_the_maker_sells__deferred_premium_moves(env_dec, maker, taker, stranger, kind):
    """The maker's option ask is bought: its share (max payoff + fee) covers the fill, so its
    release, fee and requirement wait; the premium moves at once (it only adds to the
    maker's balance). The leg count is stored at the fill, so the fold reads the new leg."""
    env = env_dec
    ch, reg, vault = env.ch, env.registry, env.vault
    e, k, premium = _option_setup(env, maker, taker)
    reserve = reserve_ask(env, maker, e, premium, QTY, kind, k)
    share = reserve * FILLED // QTY
    before = {a: vault.balance_of(a) for a in (maker, taker)}
    tx = take(env, taker, maker, e, premium, FILLED, share, kind, k)
    fee = margin.fee(FILLED * premium, ch.maker_fee_bps())
    taker_fee = margin.fee(FILLED * premium, ch.taker_fee_bps())
    assert ch.deferred(maker, reg, e) == (share, fee)
    assert ch.reserved(maker) == reserve and ch.series_requirement(maker, reg, e) == 0
    assert ch.option_position(maker, reg, e, kind, k) == -FILLED
    assert vault.balance_of(maker) == before[maker] + FILLED * premium           # no fee yet
    assert vault.balance_of(taker) == before[taker] - FILLED * premium - taker_fee
    assert not tx.events.filter(ch.Released)
    assert reference_requirement(env, maker, e) + fee <= share                   # covered
    ch.recalculate(maker, sender=stranger)                                        # the fold
    assert ch.deferred(maker, reg, e) == (0, 0)
    assert ch.series_requirement(maker, reg, e) == reference_requirement(env, maker, e) > 0
    assert ch.reserved(maker) == reserve - share
    assert vault.balance_of(maker) == before[maker] + FILLED * premium - fee


def test_settle_fills__option_leg_closed_by_a_deferred_fill__fold_closes_the_series(env, maker, taker, stranger):
    """A maker long a call sells it back through its ask: the deferred fill empties the legs,
    the stored count follows (0), and the fold closes the series."""
    ch, reg = env.ch, env.registry
    e, k, premium = _option_setup(env, maker, taker)
    bid = ch.reserve(maker, e, CALL, k, True, premium, 1, trading_state_of(env, e, kind=CALL, strike=k), 0, sender=env.book).events.filter(ch.Reserved)[0].amount
    env.ch.settle_fills(maker, e, CALL, k, True, [(taker, premium, 1, 0)], trading_state_of(env, e), 0,
                        sender=env.book)                                          # maker buys one as taker
    assert ch.option_position(maker, reg, e, CALL, k) == 1
    ch.release(maker, bid, sender=env.book)
    reserve = reserve_ask(env, maker, e, premium, 1, CALL, k)
    take(env, taker, maker, e, premium, 1, reserve, CALL, k)
    assert ch.option_position(maker, reg, e, CALL, k) == 0
    assert ch.deferred(maker, reg, e)[0] == reserve
    ch.recalculate(maker, sender=stranger)
    assert ch.deferred(maker, reg, e) == (0, 0) and ch.reserved(maker) == 0
    assert ch.open_series(maker) == []


def test_settle_fills__option_the_maker_buys__settles_at_once(env, maker, taker):
    """A maker's option bid pays the premium out of its balance: its share is released at
    the fill (else the requirement would still count what was spent)."""
    ch, reg, vault = env.ch, env.registry, env.vault
    e, k, premium = _option_setup(env, maker, taker)
    reserve = ch.reserve(maker, e, CALL, k, True, premium, 1, trading_state_of(env, e, kind=CALL, strike=k), 0, sender=env.book).events.filter(ch.Reserved)[0].amount
    balance = vault.balance_of(maker)
    env.ch.settle_fills(taker, e, CALL, k, False, [(maker, premium, 1, reserve)], trading_state_of(env, e), 0,
                        sender=env.book)
    assert ch.deferred(maker, reg, e) == (0, 0)
    assert ch.reserved(maker) == 0
    assert ch.option_position(maker, reg, e, CALL, k) == 1
    assert vault.balance_of(maker) == balance - premium - margin.fee(premium, ch.maker_fee_bps())


def test_settle_fills__venue_not_the_book__settles_at_once(env, maker, taker, accounts):
    """A registered venue that is not its market's book (the pool) never defers: the fold
    releases from the market's book, so only the book may leave a share there."""
    ch, vault = env.ch, env.vault
    market = env.system.markets["BTC"]
    reg = market.registry
    pool = accounts[market.pool.address]           # the impersonated venue, with gas
    pool.balance = 10**18
    e = int(reg.live_expiries()[0])
    lo, hi = reg.bounds(e)
    price = (lo + hi) // 2 // reg.tick() * reg.tick()
    for a in (maker, taker):
        fund(env.system, a, 10_000)
    reserve = reserve_ask(env, maker, e, price, 1, venue=pool)
    balance = vault.balance_of(maker)
    tx = take(env, taker, maker, e, price, 1, reserve, venue=pool, registry=reg)
    assert ch.deferred(maker, reg, e) == (0, 0)
    assert ch.book_reserved(pool, maker) == 0 == ch.reserved(maker)
    assert vault.balance_of(maker) == balance - margin.fee(price, ch.maker_fee_bps())
    assert [r.amount for r in tx.events.filter(ch.Released)] == [reserve]


def test_require_covered__fold_moves_a_fee__reads_the_balance_again(pending, maker):
    """A new order's collateral check that has to fold first compares the balance the fold
    left (a fee moved) with the requirement: one raw unit short of the order's need reverts
    (the balance before the fold would have passed); exactly enough passes with no fold."""
    env, e, price, reserve, _share, fee, _before, _ = pending
    ch, vault = env.ch, env.vault
    vault.withdraw(1, sender=maker)                 # the vault's fold: the fee stays owed
    assert ch.deferred(maker, env.registry, e) == (fee, fee)
    need = ch.requirement(maker)
    extra = reserve * 1 // QTY                       # one more lot at the same price
    for short, reason in ((1, "clearinghouse: insufficient collateral"), (0, None)):
        target = need + extra - short
        snap = ape.chain.snapshot()
        vault.withdraw(vault.balance_of(maker) - target, sender=maker)
        if reason:
            with ape.reverts(reason):
                reserve_ask(env, maker, e, price, 1)
        else:
            reserve_ask(env, maker, e, price, 1)
            assert vault.balance_of(maker) == target == ch.requirement(maker)
            assert ch.deferred(maker, env.registry, e) == (fee, fee)
        ape.chain.restore(snap)
