"""What the OrderBook tests share (tests/unit/order_book/; fixtures in its conftest.py): the book
under test and its series (`Env`), placing and resting orders, the state a rejected order must
leave unchanged, moving past the next daily update."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ape import chain
from helpers import fund_account, next_update, push_prices

from rangebound.constants import (
    FUTURE,
)


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
    def lens(self) -> Any:
        """The system's Lens (`queue(book, ...)`), deployed by `deploy_system`."""
        return self.system.lens

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
        fund_account(self.token, self.vault, self.deployer, account, amount)

    def balance(self, account) -> int:
        return self.vault.balance_of(account)

    def requirement(self, account) -> int:
        return self.ch.requirement(account)


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


def advance_past_next_update(env, btc_usd: float = 100_000.0) -> int:
    """Moves to one minute after the next 08:00 UTC with fresh index and peg reports made
    inside that day's fixing window, so the lazy daily update can run. Returns that 08:00."""
    now = chain.pending_timestamp
    update = next_update(now + 5)
    chain.mine(timestamp=max(update - 240, now))
    push_prices(env.system, btc_usd)
    chain.mine(timestamp=update + 60)
    return update
