"""OrderBook fill records (docs/architecture.md §16): a futures order filled whole keeps its
book word as the fill's record and the Clearinghouse writes nothing of its maker; the maker's
position, reserve and fee wait for a fold (anyone's `fold`, a full index at the maker's next
futures order, reduce-only mode, the claim), and every view, cap and claim sees the fill."""

from __future__ import annotations

import ape
from ape.utils import ZERO_ADDRESS
from helpers import settle_series

from rangebound.constants import CALL, CANCEL_REDUCE_ONLY, FUTURE, INDEX_SLOTS, IOC
from rangebound.models import margin
from rangebound.ops.deploy import report

from .book_helpers import advance_past_next_update, place, rest


def records(env, owner, e=None) -> tuple:
    r = env.book.unfolded(owner, e or env.expiry)
    return (r.lots, r.cost, r.reserve, r.fee, r.bought)


def fee_account_balance(env) -> int:
    return env.vault.balance_of(env.ch.fee_account_of(env.registry))


def test_fill__whole_futures_order__recorded_not_booked(funded, maker, taker):
    env = funded
    e = env.expiry
    oid = rest(env, maker, env.px(1), 2, False)
    reserve = env.lens.orders(env.book, oid).reserve
    held, req, bal = env.ch.reserved(maker), env.requirement(maker), env.balance(maker)
    fees = fee_account_balance(env)
    tx = place(env, taker, env.px(1), 2, True)
    fill = tx.decode_logs(env.ch.Fill)[0]
    # nothing of the maker moved: reserve, requirement, balance, deferred, open list
    assert (env.ch.reserved(maker), env.requirement(maker), env.balance(maker)) == (held, req, bal)
    assert env.ch.deferred(maker, env.registry, e) == (0, 0)
    assert len(env.ch.open_series(maker)) == 0
    assert fee_account_balance(env) == fees + fill.taker_fee       # the maker fee waits
    # ... but every view sees the fill
    assert records(env, maker) == (-2, -2 * env.px(1), reserve, fill.maker_fee, 0)
    assert env.ch.futures_position(maker, env.registry, e) == (-2, -2 * env.px(1))
    assert env.lens.orders(env.book, oid).owner == ZERO_ADDRESS
    assert not tx.decode_logs(env.ch.Released)
    with ape.reverts("book: unknown order"):
        env.book.cancel_order(oid, sender=maker)


def test_fold__by_stranger__books_position_releases_reserve_pays_fee(funded, maker, taker, stranger):
    env = funded
    e = env.expiry
    oid = rest(env, maker, env.px(1), 2, False)
    reserve = env.lens.orders(env.book, oid).reserve
    held = env.ch.reserved(maker)
    fill = place(env, taker, env.px(1), 2, True).decode_logs(env.ch.Fill)[0]
    fees, bal = fee_account_balance(env), env.balance(maker)
    tx = env.book.fold(maker, e, sender=stranger)
    assert tx.return_value.lots == -2 and tx.return_value.reserve == reserve
    ev = tx.decode_logs(env.book.RecordsFolded)[0]
    assert (ev.owner, ev.expiry, ev.lots, ev.cost) == (maker.address, e, -2, -2 * env.px(1))
    assert records(env, maker) == (0, 0, 0, 0, 0)
    assert env.ch.futures_position(maker, env.registry, e) == (-2, -2 * env.px(1))
    assert env.ch.reserved(maker) == held - reserve
    assert env.balance(maker) == bal - fill.maker_fee
    assert fee_account_balance(env) == fees + fill.maker_fee
    lo, hi = env.registry.bounds(e)
    want = margin.requirement(-2, -2 * env.px(1), [], lo, hi)
    assert env.ch.series_requirement(maker, env.registry, e) == want
    assert env.requirement(maker) == held - reserve + want
    # nothing left: a second fold does nothing and calls nobody
    tx = env.book.fold(maker, e, sender=stranger)
    assert tx.return_value.reserve == 0 and not tx.decode_logs(env.book.RecordsFolded)
    assert not tx.decode_logs(env.ch.Released)


def test_fold__bid_records__open_interest_counted_then_netted(funded, maker, taker, stranger):
    """A bid's record counts its lots in the open interest at the fill (an upper bound); the
    fold nets them against the maker's short: the open interest only falls."""
    env = funded
    e = env.expiry
    rest(env, taker, env.px(0), 3, True)
    place(env, maker, env.px(0), 3, False)            # maker short 3 (taker), taker long 3
    env.book.fold(taker, e, sender=stranger)
    assert env.ch.open_interest(env.registry, e, FUTURE) == 3
    rest(env, maker, env.px(-1), 2, True)             # the maker bids to close 2
    place(env, taker, env.px(-1), 2, False)           # taker closes 2 (its longs -2), maker's bid recorded
    assert records(env, maker)[4] == 2
    assert env.ch.open_interest(env.registry, e, FUTURE) == 3 - 2 + 2
    env.book.fold(maker, e, sender=stranger)
    assert env.ch.futures_position(maker, env.registry, e)[0] == -1
    assert env.ch.open_interest(env.registry, e, FUTURE) == 1


def test_fill__partial_or_option__deferred_not_recorded(funded, maker, taker):
    """Only a futures order filled whole is recorded: a partial fill, or an option's, takes the
    deferred path (`deferred`) as before."""
    env = funded
    e = env.expiry
    rest(env, maker, env.px(1), 3, False)
    place(env, taker, env.px(1), 1, True)             # partial: 2 lots still rest
    assert records(env, maker)[2] == 0
    share = env.ch.deferred(maker, env.registry, e)[0]
    assert share > 0
    strike, premium = env.strike(), env.tick * 5
    rest(env, maker, premium, 1, False, CALL, strike)
    place(env, taker, premium, 1, True, CALL, strike)
    assert records(env, maker)[2] == 0
    assert env.ch.deferred(maker, env.registry, e)[0] > share


def test_fold__fee_rate_changed_after_fill__charges_the_fills_rate(funded, maker, taker, stranger):
    env = funded
    e = env.expiry
    rest(env, maker, env.px(2), 4, False)
    fill = place(env, taker, env.px(2), 4, True).decode_logs(env.ch.Fill)[0]
    taker_bps = env.ch.taker_fee_bps()
    env.ch.set_fees(taker_bps, env.ch.MAX_FEE_BPS(), sender=env.deployer)
    assert env.ch.maker_fee_bps() != fill.maker_fee
    bal = env.balance(maker)
    env.book.fold(maker, e, sender=stranger)
    assert env.balance(maker) == bal - fill.maker_fee


def test_fill__fee_raised_since_rest__reserve_short__booked_not_recorded(funded, maker, taker):
    """A record must stay covered by its order's reserve: when the maker fee was raised after
    the order rested and the reserve no longer covers the fill, it is booked at once."""
    env = funded
    taker_bps = env.ch.taker_fee_bps()
    env.ch.set_fees(taker_bps, 0, sender=env.deployer)
    oid = rest(env, maker, env.px(1), 1, False)       # reserve: the worst case, no fee
    assert env.lens.orders(env.book, oid).reserve == env.hi - env.px(1)
    env.ch.set_fees(taker_bps, env.ch.MAX_FEE_BPS(), sender=env.deployer)
    tx = place(env, taker, env.px(1), 1, True)
    assert records(env, maker)[2] == 0 and env.ch.deferred(maker, env.registry, env.expiry) == (0, 0)
    assert tx.decode_logs(env.ch.Released)[0].amount == env.hi - env.px(1)
    assert env.ch.futures_position(maker, env.registry, env.expiry) == (-1, -env.px(1))


def test_index__at_its_bound__next_order_unlisted_until_a_fold(funded, maker, taker, stranger):
    """`INDEX_SLOTS` orders resting fill the owner's index; the next futures order finds it full of
    resting orders (FULL set, no scan after that) and rests unlisted: its fill is deferred,
    not recorded. Once a fill records one of the listed ones, anyone's fold frees the slot."""
    env = funded
    e = env.expiry
    listed = [rest(env, maker, env.px(10 + i), 1, False) for i in range(INDEX_SLOTS)]
    extra = rest(env, maker, env.px(1), 1, False)
    place(env, taker, env.px(1), 1, True)             # the unlisted order fills
    assert records(env, maker)[2] == 0 and env.ch.deferred(maker, env.registry, e)[0] > 0
    assert extra not in listed
    place(env, taker, env.px(10), 1, True)            # the first listed one: recorded
    assert records(env, maker)[0] == -1
    env.book.fold(maker, e, sender=stranger)
    again = rest(env, maker, env.px(1), 1, False)     # the freed slot lists it
    place(env, taker, env.px(1), 1, True)
    assert records(env, maker)[0] == -1 and env.lens.orders(env.book, again).owner == ZERO_ADDRESS


def test_index__full_of_records__next_order_folds_them(funded, maker, taker):
    """The maker's next futures order folds its records when they fill its index ("when the
    maker next acts"), so its later fills are recorded again."""
    env = funded
    e = env.expiry
    for i in range(INDEX_SLOTS):
        rest(env, maker, env.px(1), 1, False)
    place(env, taker, env.px(1), INDEX_SLOTS, True)
    assert records(env, maker)[0] == -INDEX_SLOTS
    held = env.ch.reserved(maker)
    tx = place(env, maker, env.px(3), 1, False)
    assert tx.decode_logs(env.book.RecordsFolded)[0].lots == -INDEX_SLOTS
    assert records(env, maker)[0] == 0 and env.ch.reserved(maker) < held
    assert env.ch.futures_position(maker, env.registry, e)[0] == -INDEX_SLOTS
    place(env, taker, env.px(3), 1, True)
    assert records(env, maker)[0] == -1


def test_index__cancelled_orders__dead_ids_dropped_when_full(funded, maker, taker):
    env = funded
    ids = [rest(env, maker, env.px(10 + i), 1, False) for i in range(INDEX_SLOTS)]
    for oid in ids:
        env.book.cancel_order(oid, sender=maker)
    oid = rest(env, maker, env.px(1), 1, False)       # full of dead ids: dropped, then listed
    place(env, taker, env.px(1), 1, True)
    assert records(env, maker)[0] == -1 and env.lens.orders(env.book, oid).owner == ZERO_ADDRESS


def test_replace_order__listed_order_stays_listed_once(funded, maker, taker, stranger):
    env = funded
    oid = rest(env, maker, env.px(4), 2, False)
    env.book.replace_order(oid, env.px(2), 3, sender=maker)
    place(env, taker, env.px(2), 3, True)
    assert records(env, maker)[0] == -3
    env.book.fold(maker, env.expiry, sender=stranger)
    # the index held the id once: nothing is folded twice
    assert env.ch.futures_position(maker, env.registry, env.expiry)[0] == -3


def test_reduce_only__records_folded_before_the_checks(funded, maker, taker, stranger):
    """In reduce-only mode the book folds the taker's records before its own checks, so the
    Clearinghouse's reduce-only checks see its whole position: a maker long 2 only in records
    may sell 2 (it reduces), not 3."""
    env = funded
    rest(env, maker, env.px(0), 2, True)
    place(env, taker, env.px(0), 2, False)            # maker long 2, all of it a record
    assert records(env, maker)[0] == 2
    report(env.system.feeds["USD1/USD"], env.deployer, 0.90)
    assert env.registry.reduce_only()
    with ape.reverts("book: reduce only"):
        place(env, maker, env.px(1), 3, False)
    tx = place(env, maker, env.px(1), 2, False)       # rests: it reduces the long 2
    assert tx.decode_logs(env.book.RecordsFolded)[0].lots == 2
    assert env.ch.futures_position(maker, env.registry, env.expiry) == (2, 2 * env.px(0))
    assert records(env, maker)[0] == 0


def test_claim__records_only__claim_folds_and_pays(funded, maker, taker, keeper):
    """A maker whose only exposure in a series is a record: the claim folds it (opening the
    series on its list), pays the P&L and the fee, and releases the reserve."""
    env = funded
    e = env.registry.live_expiries()[0]
    lo, hi = env.registry.bounds(e)
    price = (lo + hi) // 2 // env.tick * env.tick
    env.book.place_order(e, FUTURE, 0, False, price, 2, 0, 8, sender=maker)
    fill = env.book.place_order(e, FUTURE, 0, True, price, 2, 0, 8, sender=taker).decode_logs(env.ch.Fill)[0]
    assert len(env.ch.open_series(maker)) == 0
    s = settle_series(env, ape.chain, keeper, e, 100_000)
    want = 2 * price - 2 * s                           # short 2 at `price`, settled at s
    assert env.lens.unclaimed_pnl(maker, env.registry, e) == want
    bal, fees = env.balance(maker), fee_account_balance(env)
    tx = env.ch.claim(maker, env.registry, e, sender=keeper)
    assert tx.decode_logs(env.ch.Claimed)[0].pnl == want
    assert env.balance(maker) == bal + want - fill.maker_fee
    assert fee_account_balance(env) == fees + fill.maker_fee
    assert env.ch.reserved(maker) == 0 and env.requirement(maker) == 0
    assert records(env, maker, e) == (0, 0, 0, 0, 0)
    with ape.reverts("clearinghouse: nothing to claim"):
        env.ch.claim(maker, env.registry, e, sender=keeper)


def test_fold__expired_unsettled__books_at_the_range(funded, maker, taker, stranger):
    """Anyone may fold after the series stopped trading; the requirement is then that of the
    range until the settlement."""
    env = funded
    rest(env, maker, env.px(1), 1, False)
    place(env, taker, env.px(1), 1, True)
    advance_past_next_update(env)
    env.book.fold(maker, env.expiry, sender=stranger)
    assert env.ch.futures_position(maker, env.registry, env.expiry)[0] == -1


def test_reduce_only__maker_with_records__cancelled_taker_goes_on(funded, maker, taker):
    """In reduce-only mode a maker that holds unfolded fill records in the expiry is cancelled
    (reason 7) when a taker reaches it, instead of being folded there: a fold opens the series
    on the maker's list and could revert the taker; the Clearinghouse's reduce-only check of a
    maker reads its folded position. Its records stay for anyone's fold."""
    env = funded
    rest(env, maker, env.px(0), 2, True)
    place(env, taker, env.px(0), 2, False)            # maker long 2 in a record; taker short 2
    ask = rest(env, maker, env.px(2), 2, False)       # it would close the maker's long
    report(env.system.feeds["USD1/USD"], env.deployer, 0.90)
    assert env.registry.reduce_only()
    tx = place(env, taker, env.px(2), 2, True, flags=IOC)    # the taker would close its short
    cancels = [(c.order_id, c.reason) for c in tx.decode_logs(env.book.OrderCancelled)]
    assert (ask, CANCEL_REDUCE_ONLY) in cancels
    assert not tx.decode_logs(env.book.OrderFilled)
    assert records(env, maker)[0] == 2
    assert env.ch.futures_position(taker, env.registry, env.expiry)[0] == -2
