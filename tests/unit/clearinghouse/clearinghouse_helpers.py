"""What the Clearinghouse tests share (tests/unit/clearinghouse/; fixtures in its conftest.py): the
test market (a second SeriesRegistry whose order book is a MockVenue), fills sent from that
venue, positions and state read back, settling a series."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import ape
from eth_utils import keccak
from helpers import new_registry, next_update, push_prices, settle_series  # noqa: F401  (re-exported)

from rangebound import margin
from rangebound.constants import DAY, FUTURE
from rangebound.dev.node import warp


@dataclass
class Env:
    """One deployed system with an extra registry whose order book is a MockVenue (`book`, the
    impersonated venue account) and whose second venue (its pool) is another (`pool`: a venue
    that is not the book, so its fills never defer and a maker's refusal is `MakerBlocked`)."""

    system: Any
    ch: Any
    vault: Any
    token: Any
    registry: Any
    book: Any
    fee_to: Any
    pool: Any

    def usd(self, x: float) -> int:
        return self.system.usd(x)

    @property
    def lens(self) -> Any:
        """The system's Lens (`unclaimed_pnl`), deployed by `deploy_system`."""
        return self.system.lens

    @property
    def expiries(self) -> list[int]:
        return list(self.registry.live_expiries())


def make_env(system, deployer, treasury, project, mock_venue) -> Env:
    registry = new_registry(system, deployer, project)
    ch = system.clearinghouse
    book = mock_venue(registry, ch)
    pool = project.MockVenue.deploy(registry, ch, sender=deployer)
    registry.set_pool(pool, sender=deployer)
    ch.register_venue(pool, sender=deployer)
    ch.set_fee_account(treasury, sender=deployer)
    pool_account = ape.accounts[pool.address]            # impersonated: venue calls come from the contract
    pool_account.balance = 10**18
    return Env(system, ch, system.vault, system.token, registry, book, treasury, pool_account)


def reserve_ask(env: Env, maker, e: int, price: int, qty: int, kind: int = 0, strike: int = 0,
                venue=None) -> int:
    """`reserve` for a resting ask (a future unless `kind`) from the test market's book (or
    `venue`); returns the amount its `Reserved` event states."""
    tx = env.ch.reserve(maker, e, kind, strike, False, price, qty, trading_state_of(env, e, kind=kind, strike=strike), 0, sender=venue or env.book)
    return tx.events.filter(env.ch.Reserved)[0].amount


def trading_state_of(env: Env, e, registry=None, kind: int = FUTURE, strike: int = 0) -> tuple:
    """The registry's trading state of an instrument as a venue passes it on (TradingState:
    current, live, range, reduce-only, min qty, whether an option's strike is active)."""
    reg = registry or env.registry
    lo, hi = reg.bounds(e)
    active = kind != FUTURE and bool(reg.strike_active(e, strike))
    return (True, reg.is_live(e), lo, hi, reg.reduce_only(), 1, active)


def fill(env: Env, taker, maker, e, kind, strike, taker_is_buy, price, qty, release=0, sender=None):
    """One fill booked as the test market's book (or `sender`, another venue) books a taker
    order: `settle_fills` with one entry."""
    return env.ch.settle_fills(
        taker, e, kind, strike, taker_is_buy, [(maker, price, qty, release)],
        trading_state_of(env, e), 0, sender=sender or env.book
    )


def maker_blocked(code: int) -> str:
    """Revert data of the Clearinghouse's `MakerBlocked(uint8 code)` (a venue other than the
    book), as ape shows it."""
    return "0x" + keccak(text="MakerBlocked(uint8)")[:4].hex() + code.to_bytes(32, "big").hex()


def maker_blocked_at(index: int, code: int) -> str:
    """Revert data of `MakerBlockedAt(uint256 index, uint8 code)` (the book's fill `index`), as
    ape shows it."""
    return ("0x" + keccak(text="MakerBlockedAt(uint256,uint8)")[:4].hex()
            + index.to_bytes(32, "big").hex() + code.to_bytes(32, "big").hex())


def legs_of(env: Env, account, e) -> list[tuple[int, int, int]]:
    return [(int(x[0]), int(x[1]), int(x[2])) for x in env.ch.option_legs(account, env.registry, e)]


def reference_requirement(env: Env, account, e) -> int:
    n, cost = env.ch.futures_position(account, env.registry, e)
    lo, hi = env.registry.bounds(e)
    return margin.requirement(n, cost, legs_of(env, account, e), lo, hi)


def ch_state(env: Env, *accounts) -> tuple:
    out = []
    for a in accounts:
        out.append(
            (
                env.vault.balance_of(a),
                env.ch.requirement(a),
                env.ch.reserved(a),
                tuple((s[0], s[1]) for s in env.ch.open_series(a)),
                tuple(
                    (tuple(env.ch.futures_position(a, env.registry, e)), tuple(legs_of(env, a, e)))
                    for e in env.expiries
                ),
            )
        )
    return tuple(out)


def active_strikes(env: Env, e) -> list[int]:
    return [k for k in env.registry.strikes(e) if env.registry.strike_active(e, k)]


def daily_updates(env: Env, chain, keeper, days: int, btc: float = 100_000) -> None:
    """`days` daily updates by the keeper, each after a report at 07:56 (the range shrinks)."""
    t = next_update(chain.pending_timestamp)
    for _ in range(days):
        warp(chain, t - 240)
        push_prices(env.system, btc)
        warp(chain, t)
        env.registry.daily_update(sender=keeper)
        t += DAY
