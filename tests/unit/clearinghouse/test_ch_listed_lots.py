"""The Clearinghouse's side of listed lots (docs/architecture.md §16): `reserve` answers
UNLISTED when the account's |futures position| plus the listed lots the book sends would pass
the position cap; a taker's and an unlisted maker's fills leave room for their listed lots; a
COVERED_FILL maker (its lots inside its listed lots) is not checked again. The book is the
test market's MockVenue (impersonated), so each value is sent exactly."""

from __future__ import annotations

import ape
import pytest
from helpers import fund

from rangebound.constants import (
    BLOCKED_POSITION_CAP,
    COVERED_FILL,
    FUTURE,
    LISTED_LOTS_SHIFT,
    UNLISTED,
)

from .clearinghouse_helpers import Env, maker_blocked_at, trading_state_of

CAP = 3


@pytest.fixture
def capped(env_dec, deployer, maker, taker) -> Env:
    env = env_dec
    env.ch.set_caps(env.registry, env.ch.oi_cap(env.registry), CAP, sender=deployer)
    for a in (maker, taker):
        fund(env.system, a, 10_000)
    return env


def _reserve(env: Env, who, qty: int, listing: int):
    e = env.expiries[0]
    return env.ch.reserve(who, e, FUTURE, 0, False, env.usd(100), qty, trading_state_of(env, e),
                          listing, sender=env.book)


def _sell(env: Env, taker, maker, qty: int, release: int = 0, taker_listed: int = 0):
    """`taker` sells `qty` lots to `maker`'s bid at 100 USD1."""
    e = env.expiries[0]
    return env.ch.settle_fills(taker, e, FUTURE, 0, False, [(maker, env.usd(100), qty, release)],
                               trading_state_of(env, e), taker_listed, sender=env.book)


@pytest.mark.parametrize("listing, unlisted", [(0, False), (CAP, False), (CAP + 1, True)])
def test_reserve__listing_against_cap__unlisted_past_it(capped, maker, listing, unlisted):
    answer = _reserve(capped, maker, 1, listing).return_value
    assert bool(answer & UNLISTED) == unlisted
    assert answer & ~UNLISTED == capped.ch.book_reserved(capped.book, maker)


def test_reserve__listing_counts_the_folded_position(capped, maker, taker):
    env = capped
    _sell(env, maker, taker, 2)                                  # maker short 2 (as taker)
    assert not _reserve(env, maker, 1, 1).return_value & UNLISTED
    assert _reserve(env, maker, 1, 2).return_value & UNLISTED    # |−2| + 2 > CAP


def test_settle_fills__taker_listed_lots__position_cap_reverts(capped, maker, taker):
    with ape.reverts("clearinghouse: position cap"):
        _sell(capped, taker, maker, 2, taker_listed=2)
    _sell(capped, taker, maker, 1, taker_listed=2)                # 1 + 2 = CAP
    assert capped.ch.futures_position(taker, capped.registry, capped.expiries[0])[0] == -1


def test_settle_fills__unlisted_maker_listed_lots__maker_blocked(capped, maker, taker):
    with ape.reverts(maker_blocked_at(0, BLOCKED_POSITION_CAP)):
        _sell(capped, taker, maker, 2, release=2 << LISTED_LOTS_SHIFT)
    _sell(capped, taker, maker, 1, release=2 << LISTED_LOTS_SHIFT)
    assert capped.ch.futures_position(maker, capped.registry, capped.expiries[0])[0] == 1


def test_settle_fills__covered_maker__not_checked_again(capped, maker, taker, stranger):
    """A listed order's lots were inside the cap when it was listed: its booked fill (a
    partial one, say) is not checked again, even past a cap lowered since."""
    env = capped
    _sell(env, taker, maker, CAP, release=COVERED_FILL)
    env.ch.set_caps(env.registry, env.ch.oi_cap(env.registry), CAP - 1, sender=env.system.deployer)
    fund(env.system, stranger, 10_000)
    _sell(env, stranger, maker, 1, release=COVERED_FILL)
    assert env.ch.futures_position(maker, env.registry, env.expiries[0])[0] == CAP + 1
    with ape.reverts(maker_blocked_at(0, BLOCKED_POSITION_CAP)):
        _sell(env, stranger, maker, 1)                            # unlisted: checked


def test_settle_fills__reducing__never_blocked_by_listed_lots(capped, maker, taker):
    env = capped
    _sell(env, maker, taker, 2)                                  # taker long 2
    _sell(env, taker, maker, 2, taker_listed=10**6)              # taker reduces to 0
    assert env.ch.futures_position(taker, env.registry, env.expiries[0])[0] == 0
