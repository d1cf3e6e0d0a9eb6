"""No resting order can block a book, at the bound (MAX_FILLS; docs/architecture.md §6).

A maker whose fill the Clearinghouse refuses (`MakerBlockedAt`) is cancelled and the match goes
on. Before round 5 every refusal re-planned and re-sent the whole match: 64 refusable orders
ran a taker asking for 64 fills out of gas in a 30M block (measured 29,975,658), and so did 32
honest fills ahead of 32 refusable orders (each refusal re-booked the 32). Now a refusal keeps
the plan before it, books those fills once on their own, and the walk goes on after the refused
order: every fill reaches the Clearinghouse at most twice.

Each taker call here is sent with EIP-7825's per-transaction gas cap (2**24) as its gas limit:
the worst call at the bound must fit one transaction. At MAX_FILLS = 64 it did not (64
refusals, 25,666,700 gas), which is why MAX_FILLS is 32 (docs/decisions.md).

The refusable maker (`stranger`) deposits exactly the reserve of its one-lot asks; the maker fee
is then raised, so none of its fills can be covered (`CANCEL_COLLATERAL`).
"""

from __future__ import annotations

import pytest
from helpers import EIP7825_TX_GAS_CAP, cancels, fund

from rangebound.constants import CANCEL_COLLATERAL, CANCEL_IOC, FUTURE, IOC, MAX_FILLS
from rangebound.ops.risk import order_reserve

HALF = MAX_FILLS // 2
LINEAR = 6_000_000      # HALF fills and HALF refusals: measured 4.30 M; re-booking the HALF fills per
                        # refusal (HALF * HALF more fill bookings, ~55 k each) would be ~14 M more


@pytest.fixture(scope="module")
def mk(system, maker, taker):
    m = system.markets["BTC"]
    for who in (maker, taker):
        fund(system, who, 5_000_000)
    return m


def _series(mk):
    e = mk.registry.live_expiries()[-1]
    lo, hi = mk.registry.bounds(e)
    tick = mk.registry.tick()
    return e, (lo + hi) // 2 // tick * tick, tick


def _refusable_asks(system, mk, deployer, stranger, e, price, n):
    """`n` one-lot asks of `stranger`, funded with exactly their reserve (ids in time order)."""
    ch, vault, token = system.clearinghouse, system.vault, system.token
    need = n * order_reserve(ch, mk.registry, e, FUTURE, 0, False, price, 1)
    token.mint(stranger, need, sender=deployer)
    token.approve(vault, need, sender=stranger)
    vault.deposit(need, sender=stranger)
    return [mk.book.place_order(e, FUTURE, 0, False, price, 1, 0, 1, sender=stranger).return_value
            for _ in range(n)]


def _raise_maker_fee(system, deployer):
    ch = system.clearinghouse
    ch.set_fees(ch.taker_fee_bps(), ch.MAX_FEE_BPS(), sender=deployer)


def _filled(tx, book):
    return [(int(f.maker_order_id), int(f.qty)) for f in tx.decode_logs(book.OrderFilled)]


def test_place_order__max_fills_refusable_asks__all_cancelled_in_one_transaction(mk, system, deployer, stranger, taker):
    """MAX_FILLS refusable asks at the best price, a taker asking for MAX_FILLS fills: every ask
    is cancelled with its reason, the stranger's reserve is released, the taker's bid rests, all
    within one transaction's gas cap."""
    book, ch = mk.book, system.clearinghouse
    e, mid, _ = _series(mk)
    bad = _refusable_asks(system, mk, deployer, stranger, e, mid, MAX_FILLS)
    _raise_maker_fee(system, deployer)
    tx = book.place_order(e, FUTURE, 0, True, mid, MAX_FILLS, 0, MAX_FILLS, sender=taker, gas=EIP7825_TX_GAS_CAP)
    assert cancels(tx, book) == [(oid, CANCEL_COLLATERAL) for oid in bad]
    assert _filled(tx, book) == []
    assert ch.reserved(stranger) == 0
    # the book was cleared, so it no longer crosses: the taker's lots rest
    assert system.lens.orders(book, tx.return_value).qty == MAX_FILLS
    print(f"\n{MAX_FILLS} refusals: {tx.gas_used:,} gas")


def test_place_order__half_fills_then_half_refusable__fills_booked_once(mk, system, deployer, stranger, maker, taker):
    """MAX_FILLS / 2 honest asks ahead of as many refusable ones: the honest ones fill (booked
    once more on their own after the first refusal, not once per refusal), the refusable ones
    are cancelled."""
    book, ch = mk.book, system.clearinghouse
    e, mid, _ = _series(mk)
    good = [book.place_order(e, FUTURE, 0, False, mid, 1, 0, 1, sender=maker).return_value
            for _ in range(HALF)]
    bad = _refusable_asks(system, mk, deployer, stranger, e, mid, HALF)
    _raise_maker_fee(system, deployer)
    before = ch.futures_position(taker, mk.registry, e)[0]
    tx = book.place_order(e, FUTURE, 0, True, mid, MAX_FILLS, IOC, MAX_FILLS, sender=taker, gas=EIP7825_TX_GAS_CAP)
    assert _filled(tx, book) == [(oid, 1) for oid in good]
    own = book.next_order_id()                  # the taker's IOC order: its HALF lots left are cancelled
    assert cancels(tx, book) == [(oid, CANCEL_COLLATERAL) for oid in bad] + [(own, CANCEL_IOC)]
    assert ch.futures_position(taker, mk.registry, e)[0] == before + HALF
    assert ch.futures_position(maker, mk.registry, e)[0] == -HALF
    assert ch.reserved(stranger) == 0
    print(f"\n{HALF} fills, {HALF} refusals: {tx.gas_used:,} gas")
    assert tx.gas_used < LINEAR


def test_place_order__refusals_between_fills__walk_goes_on_after_each(mk, system, deployer, stranger, maker, taker):
    """Honest and refusable asks alternate over four levels and the last honest ask is larger
    than what is left: each refusal is cancelled, every honest ask after it still fills, the
    last one partly, and the taker's whole quantity is filled."""
    book, ch = mk.book, system.clearinghouse
    e, mid, tick = _series(mk)
    plan = []                                   # (order id, honest?) in price-time order
    for level in range(4):
        price = mid + level * tick
        plan.append((book.place_order(e, FUTURE, 0, False, price, 2, 0, 1, sender=maker).return_value, True))
        plan.append((_refusable_asks(system, mk, deployer, stranger, e, price, 1)[0], False))
    last = book.place_order(e, FUTURE, 0, False, mid + 3 * tick, 5, 0, 1, sender=maker).return_value
    _raise_maker_fee(system, deployer)
    tx = book.place_order(e, FUTURE, 0, True, mid + 3 * tick, 10, IOC, MAX_FILLS, sender=taker, gas=EIP7825_TX_GAS_CAP)
    assert _filled(tx, book) == [(oid, 2) for oid, honest in plan if honest] + [(last, 2)]
    assert cancels(tx, book) == [(oid, CANCEL_COLLATERAL) for oid, honest in plan if not honest]
    assert system.lens.orders(book, last).qty == 3
    assert ch.futures_position(taker, mk.registry, e)[0] == 10
    assert ch.reserved(stranger) == 0
