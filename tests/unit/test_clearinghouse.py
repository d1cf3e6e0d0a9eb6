"""Clearinghouse: reserves, fills (premium and fees to the unit), cross-margin by expiry, caps,
reduce-only, the legs and open-series bounds, recalculation as ranges shrink, claims.

The Clearinghouse is called directly: a second SeriesRegistry (the real one) is registered with
a MockVenue contract as its order book (the registry names it, it names the registry and the
Clearinghouse), and the tests send from that venue's address (impersonated), so every
venue-only entry point can be driven exactly. No account is ever a venue.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import ape
import pytest
from eth_utils import keccak

from rangebound import calendar as cal
from rangebound import margin
from rangebound.anvil_node import warp
from rangebound.deploy import deploy_system, market_params, report

FUTURE, CALL, PUT = 0, 1, 2
DAY = 86_400
EIP170 = 24_576


@dataclass
class Env:
    """One deployed system with an extra registry whose 'book' is a plain account."""

    system: Any
    ch: Any
    vault: Any
    token: Any
    registry: Any
    book: Any
    fee_to: Any

    def usd(self, x: float) -> int:
        return self.system.usd(x)

    @property
    def expiries(self) -> list[int]:
        return list(self.registry.live_expiries())


def _new_registry(system, deployer, project):
    return project.SeriesRegistry.deploy(
        market_params(system.params, system.feeds["BTC/USD"], system.feeds["USD1/USD"]),
        sender=deployer,
    )


def _make_env(system, deployer, treasury, project, mock_venue) -> Env:
    registry = _new_registry(system, deployer, project)
    ch = system.clearinghouse
    book = mock_venue(registry, ch)
    ch.set_fee_account(treasury, sender=deployer)
    return Env(system, ch, system.vault, system.token, registry, book, treasury)


@pytest.fixture(scope="module")
def env(system, deployer, treasury, project, mock_venue):
    return _make_env(system, deployer, treasury, project, mock_venue)


@pytest.fixture(scope="module", params=[6, 18], ids=["dec6", "dec18"])
def env_dec(request, env, deployer, guardian, treasury, project, mock_venue):
    if request.param == 6:
        return env
    sys18 = deploy_system(deployer, guardian=guardian, decimals=18)
    return _make_env(sys18, deployer, treasury, project, mock_venue)


def maker_blocked(code: int) -> str:
    """Revert data of the Clearinghouse's `MakerBlocked(uint8 code)` error, as ape shows it."""
    return "0x" + keccak(text="MakerBlocked(uint8)")[:4].hex() + code.to_bytes(32, "big").hex()


def _fund(env: Env, account, usd: float) -> int:
    amount = env.usd(usd)
    env.token.mint(account, amount, sender=env.system.deployer)
    env.token.approve(env.vault, amount, sender=account)
    env.vault.deposit(amount, sender=account)
    return amount


def _fill(env: Env, taker, maker, e, kind, strike, taker_is_buy, price, qty, release=0):
    return env.ch.settle_fill(
        taker, maker, e, kind, strike, taker_is_buy, price, qty, release, _state_of(env, e),
        sender=env.book
    )


def _legs(env: Env, account, e) -> list[tuple[int, int, int]]:
    return [(int(x[0]), int(x[1]), int(x[2])) for x in env.ch.option_legs(account, env.registry, e)]


def _reference_req(env: Env, account, e) -> int:
    n, cost = env.ch.futures_position(account, env.registry, e)
    lo, hi = env.registry.bounds(e)
    return margin.requirement(n, cost, _legs(env, account, e), lo, hi)


def _state(env: Env, *accounts) -> tuple:
    out = []
    for a in accounts:
        out.append(
            (
                env.vault.balance_of(a),
                env.ch.requirement(a),
                env.ch.reserved(a),
                tuple((s[0], s[1]) for s in env.ch.open_series(a)),
                tuple(
                    (tuple(env.ch.futures_position(a, env.registry, e)), tuple(_legs(env, a, e)))
                    for e in env.expiries
                ),
            )
        )
    return tuple(out)


def _strikes(env: Env, e) -> list[int]:
    return [k for k in env.registry.strikes(e) if env.registry.strike_active(e, k)]


def _push(env: Env, btc: float, peg: float = 1.0) -> None:
    report(env.system.feeds["BTC/USD"], env.system.deployer, btc)
    report(env.system.feeds["USD1/USD"], env.system.deployer, peg)


def _next_update(ts: int) -> int:
    return cal.update_time(ts) + DAY


def _settle(env: Env, chain, keeper, e: int, btc: float) -> int:
    """Run the registry's daily updates (a keeper reporting at 07:56) up to `e`, settle it."""
    t = _next_update(chain.pending_timestamp)
    while True:
        warp(chain, t - 240)
        _push(env, btc)
        warp(chain, t)
        if t >= e:
            env.registry.settle(e, sender=keeper)
            return env.registry.settlement_price(e)
        env.registry.daily_update(sender=keeper)
        t += DAY


# ------------------------------------------------------------------ deployment, governance

def test_runtime__under_eip170(env, chain, project):
    size = len(chain.provider.get_code(env.ch.address))
    print(f"Clearinghouse runtime: {size} bytes")
    assert 0 < size < EIP170


def test_constructor__bounds__revert(project, deployer, env, treasury):
    with ape.reverts("clearinghouse: fee too high"):
        project.Clearinghouse.deploy(env.vault, treasury, 51, 0, sender=deployer)
    with ape.reverts("clearinghouse: fee too high"):
        project.Clearinghouse.deploy(env.vault, treasury, 0, 51, sender=deployer)
    with ape.reverts("clearinghouse: zero address"):
        project.Clearinghouse.deploy(env.vault, ape.utils.ZERO_ADDRESS, 5, 2, sender=deployer)
    with ape.reverts("clearinghouse: vault not a contract"):
        project.Clearinghouse.deploy(treasury, treasury, 5, 2, sender=deployer)


def test_constructor__public_face(env, deployer):
    ch = env.ch
    assert ch.vault() == env.vault.address
    assert ch.owner() == deployer.address
    assert ch.taker_fee_bps() == 5 and ch.maker_fee_bps() == 2
    assert ch.MAX_FEE_BPS() == 50 and ch.MAX_OPEN_SERIES() == 24
    assert env.vault.risk_engine() == ch.address


def test_register_market__both_ways_defaults_and_events(env, deployer, project, mock_venue):
    ch = env.ch
    assert ch.book_of(env.registry) == env.book.address
    assert ch.registry_of(env.book) == env.registry.address
    assert ch.oi_cap(env.registry) == ch.DEFAULT_OI_CAP()
    assert ch.position_cap(env.registry) == ch.DEFAULT_POSITION_CAP()
    other = _new_registry(env.system, deployer, project)
    venue = mock_venue(other, ch, register=False)
    tx = ch.register_market(other, venue, sender=deployer)
    ev = tx.events.filter(ch.MarketRegistered)[0]
    assert ev.registry == other.address and ev.book == venue.address
    assert tx.events.filter(ch.VenueRegistered)[0].venue == venue.address
    assert ch.registry_of(venue) == other.address and ch.book_of(other) == venue.address
    caps = tx.events.filter(ch.CapsSet)[0]
    assert caps.oi_cap == ch.DEFAULT_OI_CAP() and caps.position_cap == ch.DEFAULT_POSITION_CAP()


def test_register_market__invalid__reverts(env, deployer, stranger, maker2, project, accounts):
    ch, reg, book = env.ch, env.registry, env.book
    real = env.system.markets["BTC"].registry
    feed = env.system.feeds["BTC/USD"]
    with ape.reverts("ownable: caller is not the owner"):
        ch.register_market(reg, maker2, sender=stranger)
    with ape.reverts("clearinghouse: market registered"):
        ch.register_market(reg, maker2, sender=deployer)
    with ape.reverts("clearinghouse: not a contract"):
        ch.register_market(stranger, maker2, sender=deployer)
    with ape.reverts("clearinghouse: zero address"):
        ch.register_market(feed, ape.utils.ZERO_ADDRESS, sender=deployer)
    with ape.reverts("clearinghouse: registry is book"):
        ch.register_market(feed, feed, sender=deployer)
    with ape.reverts("clearinghouse: book registered"):
        ch.register_market(feed, book, sender=deployer)
    with ape.reverts("clearinghouse: book registered"):
        ch.register_market(feed, real, sender=deployer)
    with ape.reverts("clearinghouse: market registered"):
        ch.register_market(env.system.markets["BTC"].book, maker2, sender=deployer)


def test_register_market__account_as_book__reverts(env, deployer, maker2, project):
    """Custody (issue 12 part 4): an account can never be a book, so no key books fills."""
    other = _new_registry(env.system, deployer, project)
    with ape.reverts("clearinghouse: venue not a contract"):
        env.ch.register_market(other, maker2, sender=deployer)
    assert env.ch.book_of(other) == ape.utils.ZERO_ADDRESS


def _loose_venue(env, deployer, project, registry=None, ch=None):
    registry = registry or _new_registry(env.system, deployer, project)
    return registry, project.MockVenue.deploy(registry, ch or env.ch, sender=deployer)


def test_register_market__venue_checks__revert_state_unchanged(env, deployer, project):
    ch = env.ch
    reg, venue = _loose_venue(env, deployer, project)
    with ape.reverts("clearinghouse: registry disowns venue"):      # registry does not name it
        ch.register_market(reg, venue, sender=deployer)
    reg.set_order_book(venue, sender=deployer)
    venue.set_targets(reg, env.vault, sender=deployer)
    with ape.reverts("clearinghouse: venue of another clearinghouse"):
        ch.register_market(reg, venue, sender=deployer)
    venue.set_targets(deployer, ch, sender=deployer)
    with ape.reverts("clearinghouse: venue registry not a contract"):
        ch.register_market(reg, venue, sender=deployer)
    other = _new_registry(env.system, deployer, project)
    venue.set_targets(other, ch, sender=deployer)
    with ape.reverts("clearinghouse: registry disowns venue"):
        ch.register_market(reg, venue, sender=deployer)
    other.set_order_book(venue, sender=deployer)
    with ape.reverts("clearinghouse: venue of another market"):
        ch.register_market(reg, venue, sender=deployer)
    assert ch.book_of(reg) == ape.utils.ZERO_ADDRESS and ch.registry_of(venue) == ape.utils.ZERO_ADDRESS


def test_register_venue__pool_of_market__trades_and_reserves_per_venue(env, deployer, maker, taker, project, accounts, mock_venue):
    """A second venue (a pool) of a registered market: registered once, books fills with
    itself as maker, reserves and releases only its own reserve."""
    ch = env.ch
    reg, pool = _loose_venue(env, deployer, project)
    book = mock_venue(reg, ch)
    reg.set_pool(pool, sender=deployer)
    assert reg.is_venue(pool) and reg.is_venue(book) and reg.pool() == pool.address
    tx = ch.register_venue(pool, sender=deployer)
    ev = tx.events.filter(ch.VenueRegistered)[0]
    assert ev.registry == reg.address and ev.venue == pool.address
    assert ch.registry_of(pool) == reg.address and ch.book_of(reg) == book.address
    p = accounts[pool.address]
    p.balance = 10**18
    _fund(env, taker, 1_000)
    e = reg.live_expiries()[0]
    ch.reserve(taker, e, FUTURE, 0, True, env.usd(100), 1, sender=p)
    held = ch.book_reserved(pool, taker)
    assert held > 0 and ch.book_reserved(book, taker) == 0
    with ape.reverts("clearinghouse: release exceeds reserve"):
        ch.release(taker, 1, sender=book)
    ch.release(taker, held, sender=p)
    _fund(env, maker, 1_000)
    ch.settle_fill(taker, maker, e, FUTURE, 0, True, env.usd(100), 2, 0, _state_of(env, e), sender=p)
    ch.check_collateral(taker, sender=p)
    assert ch.futures_position(taker, reg, e)[0] == 2 and ch.futures_position(maker, reg, e)[0] == -2


def test_register_venue__invalid__reverts(env, deployer, stranger, project, mock_venue):
    ch = env.ch
    reg, pool = _loose_venue(env, deployer, project)
    with ape.reverts("ownable: caller is not the owner"):
        ch.register_venue(pool, sender=stranger)
    with ape.reverts("clearinghouse: venue not a contract"):
        ch.register_venue(stranger, sender=deployer)
    with ape.reverts("clearinghouse: registry disowns venue"):
        ch.register_venue(pool, sender=deployer)
    with ape.reverts("ownable: caller is not the owner"):
        reg.set_pool(pool, sender=stranger)
    with ape.reverts("registry: not a contract"):
        reg.set_pool(stranger, sender=deployer)
    tx = reg.set_pool(pool, sender=deployer)
    assert [(e.name, e.value) for e in tx.events] == [("pool", pool.address)]
    with ape.reverts("registry: pool already set"):
        reg.set_pool(env.vault, sender=deployer)
    assert reg.pool() == pool.address and reg.is_venue(pool) and not reg.is_venue(stranger)
    assert not reg.is_venue(ape.utils.ZERO_ADDRESS)
    with ape.reverts("clearinghouse: unknown market"):          # register_market comes first
        ch.register_venue(pool, sender=deployer)
    pool.set_targets(reg, env.vault, sender=deployer)
    with ape.reverts("clearinghouse: venue of another clearinghouse"):
        ch.register_venue(pool, sender=deployer)
    pool.set_targets(reg, ch, sender=deployer)
    mock_venue(reg, ch)
    ch.register_venue(pool, sender=deployer)
    with ape.reverts("clearinghouse: venue registered"):         # never replaced
        ch.register_venue(pool, sender=deployer)
    with ape.reverts("clearinghouse: venue registered"):         # a book is already a venue
        ch.register_venue(env.book, sender=deployer)


def test_set_market_fee_account__fees_of_that_market_only(env, deployer, stranger, maker, taker, treasury, keeper):
    ch = env.ch
    assert ch.fee_account_of(env.registry) == treasury.address
    with ape.reverts("ownable: caller is not the owner"):
        ch.set_market_fee_account(env.registry, keeper, sender=stranger)
    with ape.reverts("clearinghouse: unknown market"):
        ch.set_market_fee_account(env.token, keeper, sender=deployer)
    tx = ch.set_market_fee_account(env.registry, keeper, sender=deployer)
    ev = tx.events.filter(ch.MarketFeeAccountSet)[0]
    assert ev.registry == env.registry.address and ev.account == keeper.address
    assert ch.fee_account_of(env.registry) == keeper.address
    btc = env.system.markets["BTC"]                # another market keeps its own (its pool)
    assert ch.fee_account_of(btc.registry) == btc.pool.address
    _fund(env, maker, 1_000)
    _fund(env, taker, 1_000)
    before = (env.vault.balance_of(keeper), env.vault.balance_of(treasury))
    e = env.expiries[0]
    _fill(env, taker, maker, e, FUTURE, 0, True, env.usd(100), 2)
    fees = margin.fee(env.usd(100) * 2, ch.taker_fee_bps()) + margin.fee(env.usd(100) * 2, ch.maker_fee_bps())
    assert env.vault.balance_of(keeper) == before[0] + fees
    assert env.vault.balance_of(treasury) == before[1]
    ch.set_market_fee_account(env.registry, ape.utils.ZERO_ADDRESS, sender=deployer)
    assert ch.fee_account_of(env.registry) == treasury.address


def test_set_fees__events_and_bounds(env, deployer, stranger):
    ch = env.ch
    tx = ch.set_fees(50, 0, sender=deployer)
    evs = tx.events.filter(ch.ParameterSet)
    assert [(e.name, e.value) for e in evs] == [("taker_fee_bps", 50), ("maker_fee_bps", 0)]
    assert ch.taker_fee_bps() == 50 and ch.maker_fee_bps() == 0
    with ape.reverts("clearinghouse: fee too high"):
        ch.set_fees(51, 0, sender=deployer)
    with ape.reverts("clearinghouse: fee too high"):
        ch.set_fees(0, 51, sender=deployer)
    with ape.reverts("ownable: caller is not the owner"):
        ch.set_fees(1, 1, sender=stranger)
    assert ch.taker_fee_bps() == 50 and ch.maker_fee_bps() == 0


def test_set_fee_account__event_and_zero__reverts(env, deployer, stranger, keeper):
    ch = env.ch
    tx = ch.set_fee_account(keeper, sender=deployer)
    ev = tx.events.filter(ch.AddressSet)[0]
    assert ev.name == "fee_account" and ev.value == keeper.address
    with ape.reverts("clearinghouse: zero address"):
        ch.set_fee_account(ape.utils.ZERO_ADDRESS, sender=deployer)
    with ape.reverts("ownable: caller is not the owner"):
        ch.set_fee_account(stranger, sender=stranger)
    assert ch.fee_account() == keeper.address


def test_set_caps__events_and_bounds(env, deployer, stranger):
    ch, reg = env.ch, env.registry
    tx = ch.set_caps(reg, 7, 3, sender=deployer)
    ev = tx.events.filter(ch.CapsSet)[0]
    assert ev.registry == reg.address and ev.oi_cap == 7 and ev.position_cap == 3
    max_cap = ch.MAX_CAP()
    for oi, pos in ((0, 1), (1, 0), (max_cap + 1, 1), (1, max_cap + 1)):
        with ape.reverts("clearinghouse: cap out of bounds"):
            ch.set_caps(reg, oi, pos, sender=deployer)
    ch.set_caps(reg, max_cap, max_cap, sender=deployer)
    ch.set_caps(reg, 7, 3, sender=deployer)
    with ape.reverts("clearinghouse: unknown market"):
        ch.set_caps(stranger, 7, 3, sender=deployer)
    with ape.reverts("ownable: caller is not the owner"):
        ch.set_caps(reg, 9, 9, sender=stranger)
    assert ch.oi_cap(reg) == 7 and ch.position_cap(reg) == 3


def test_ownership__two_step(env, deployer, guardian, stranger):
    ch = env.ch
    ch.transfer_ownership(guardian, sender=deployer)
    assert ch.owner() == deployer.address and ch.pending_owner() == guardian.address
    with ape.reverts("ownable_2step: caller is not the new owner"):
        ch.accept_ownership(sender=stranger)
    ch.accept_ownership(sender=guardian)
    assert ch.owner() == guardian.address
    with ape.reverts("ownable: caller is not the owner"):
        ch.set_fees(1, 1, sender=deployer)


# ------------------------------------------------------------------ reserve / release

ORDERS = [
    ("buy_future", FUTURE, True),
    ("sell_future", FUTURE, False),
    ("buy_call", CALL, True),
    ("sell_call", CALL, False),
    ("buy_put", PUT, True),
    ("sell_put", PUT, False),
]


@pytest.mark.parametrize("name,kind,is_buy", ORDERS, ids=[o[0] for o in ORDERS])
def test_reserve__each_order__matches_reference(env_dec, maker, name, kind, is_buy):
    env = env_dec
    ch, reg = env.ch, env.registry
    e = env.expiries[0]
    lo, hi = reg.bounds(e)
    _fund(env, maker, 10_000)
    if kind == FUTURE:
        strike, price = 0, env.usd(101.37)
    else:
        strike, price = _strikes(env, e)[10], env.usd(1.23)
    qty = 7
    want = margin.reserve(kind, strike, is_buy, price, qty, lo, hi, ch.maker_fee_bps())
    assert ch.order_reserve(reg, e, kind, strike, is_buy, price, qty) == want
    tx = ch.reserve(maker, e, kind, strike, is_buy, price, qty, sender=env.book)
    ev = tx.events.filter(ch.Reserved)[0]
    assert ev.account == maker.address and ev.amount == want
    assert ch.reserved(maker) == want == ch.requirement(maker)
    assert ch.book_reserved(env.book, maker) == want
    # a pro-rata release is exact: the reserve is qty x a per-lot amount
    assert want % qty == 0


def test_release__partial_then_rest__events(env, maker):
    ch = env.ch
    e = env.expiries[0]
    _fund(env, maker, 1_000)
    ch.reserve(maker, e, FUTURE, 0, True, env.usd(100), 3, sender=env.book)
    held = ch.reserved(maker)
    tx = ch.release(maker, held // 3, sender=env.book)
    ev = tx.events.filter(ch.Released)[0]
    assert ev.account == maker.address and ev.amount == held // 3
    ch.release(maker, held - held // 3, sender=env.book)
    assert ch.reserved(maker) == 0 == ch.requirement(maker)


def test_release__exceeds_reserve__reverts(env, maker):
    ch = env.ch
    e = env.expiries[0]
    _fund(env, maker, 1_000)
    ch.reserve(maker, e, FUTURE, 0, True, env.usd(100), 3, sender=env.book)
    before = _state(env, maker)
    held = ch.reserved(maker)
    with ape.reverts("clearinghouse: release exceeds reserve"):
        ch.release(maker, held + 1, sender=env.book)
    assert _state(env, maker) == before


def test_release__another_books_reserve__reverts(env, maker, deployer, project, mock_venue):
    """A book can only release what it reserved itself (one book's bug stays in its market)."""
    ch = env.ch
    other = mock_venue(_new_registry(env.system, deployer, project), ch)
    _fund(env, maker, 1_000)
    ch.reserve(maker, env.expiries[0], FUTURE, 0, True, env.usd(100), 3, sender=env.book)
    with ape.reverts("clearinghouse: release exceeds reserve"):
        ch.release(maker, 1, sender=other)


def test_reserve__insufficient_collateral__reverts_state_unchanged(env, maker):
    ch = env.ch
    e = env.expiries[0]
    lo, _ = env.registry.bounds(e)
    price = env.usd(100)
    need = margin.reserve(FUTURE, 0, True, price, 10, lo, 0, ch.maker_fee_bps())
    _fund(env, maker, 0.01)
    top_up = need - env.vault.balance_of(maker) - 1
    env.token.mint(maker, top_up, sender=env.system.deployer)
    env.token.approve(env.vault, top_up, sender=maker)
    env.vault.deposit(top_up, sender=maker)          # one raw unit short
    before = _state(env, maker)
    with ape.reverts("clearinghouse: insufficient collateral"):
        ch.reserve(maker, e, FUTURE, 0, True, price, 10, sender=env.book)
    assert _state(env, maker) == before
    _fund(env, maker, 0.000001)
    ch.reserve(maker, e, FUTURE, 0, True, price, 10, sender=env.book)
    assert ch.requirement(maker) == need == env.vault.balance_of(maker)
    assert env.vault.free_collateral(maker) == 0


def test_reserve__not_a_book__reverts(env, maker, stranger):
    e = env.expiries[0]
    _fund(env, maker, 1_000)
    with ape.reverts("clearinghouse: not a venue"):
        env.ch.reserve(maker, e, FUTURE, 0, True, env.usd(100), 1, sender=stranger)
    with ape.reverts("clearinghouse: not a venue"):
        env.ch.release(maker, 0, sender=stranger)
    with ape.reverts("clearinghouse: not a venue"):
        env.ch.check_collateral(maker, sender=stranger)
    with ape.reverts("clearinghouse: not a venue"):
        env.ch.settle_fill(stranger, maker, e, FUTURE, 0, True, env.usd(100), 1, 0,
                           _state_of(env, e), sender=stranger)


def _bad_reserves(env: Env):
    e = env.expiries[0]
    lo, hi = env.registry.bounds(e)
    ks = _strikes(env, e)
    inactive = ks[0] + env.registry.tick()   # not on the strike grid
    tick = env.registry.tick()
    return [
        ("clearinghouse: zero quantity", (e, FUTURE, 0, True, env.usd(100), 0)),
        ("clearinghouse: bad kind", (e, 3, ks[0], True, env.usd(1), 1)),
        ("clearinghouse: bad strike", (e, FUTURE, ks[0], True, env.usd(100), 1)),
        ("clearinghouse: price out of range", (e, FUTURE, 0, True, lo - tick, 1)),
        ("clearinghouse: price out of range", (e, FUTURE, 0, False, hi + tick, 1)),
        ("clearinghouse: price out of range", (e, CALL, ks[5], True, 0, 1)),
        ("clearinghouse: price out of range", (e, CALL, ks[5], False, hi - ks[5] + tick, 1)),
        ("clearinghouse: price out of range", (e, PUT, ks[5], True, ks[5] - lo + tick, 1)),
        ("clearinghouse: strike not active", (e, CALL, inactive, True, env.usd(1), 1)),
        ("clearinghouse: series not live", (e + DAY, FUTURE, 0, True, env.usd(100), 1)),
        ("clearinghouse: bad expiry", (2**96, FUTURE, 0, True, env.usd(100), 1)),
    ]


def test_reserve__bad_inputs__revert_with_reason_state_unchanged(env, maker):
    _fund(env, maker, 10_000)
    before = _state(env, maker)
    for reason, args in _bad_reserves(env):
        with ape.reverts(reason):
            env.ch.reserve(maker, *args, sender=env.book)
    # the maximum premiums themselves are fine
    e = env.expiries[0]
    lo, hi = env.registry.bounds(e)
    k = _strikes(env, e)[5]
    assert env.ch.order_reserve(env.registry, e, CALL, k, True, hi - k, 1) > 0
    assert env.ch.order_reserve(env.registry, e, PUT, k, True, k - lo, 1) > 0
    assert _state(env, maker) == before


def test_order_reserve__unknown_market__reverts(env, stranger):
    with ape.reverts("clearinghouse: unknown market"):
        env.ch.order_reserve(stranger, env.expiries[0], FUTURE, 0, True, env.usd(100), 1)


# ------------------------------------------------------------------ fills

def test_settle_fill__future__positions_fees_exact(env_dec, maker, taker):
    env = env_dec
    ch, reg, vault = env.ch, env.registry, env.vault
    e = env.expiries[0]
    _fund(env, maker, 1_000)
    _fund(env, taker, 1_000)
    price, qty = env.usd(101.37), 3
    res = ch.reserve(maker, e, FUTURE, 0, False, price, qty, sender=env.book)
    reserved = res.events.filter(ch.Reserved)[0].amount
    before = [vault.balance_of(a) for a in (taker, maker, env.fee_to)]
    tx = _fill(env, taker, maker, e, FUTURE, 0, True, price, qty, reserved)
    taker_fee = margin.fee(price * qty, 5)
    maker_fee = margin.fee(price * qty, 2)
    after = [vault.balance_of(a) for a in (taker, maker, env.fee_to)]
    assert after == [before[0] - taker_fee, before[1] - maker_fee, before[2] + taker_fee + maker_fee]
    assert ch.futures_position(taker, reg, e) == (qty, qty * price)
    assert ch.futures_position(maker, reg, e) == (-qty, -qty * price)
    assert ch.reserved(maker) == 0
    lo, hi = reg.bounds(e)
    assert ch.series_requirement(taker, reg, e) == qty * (price - lo)
    assert ch.series_requirement(maker, reg, e) == qty * (hi - price)
    assert ch.requirement(taker) == qty * (price - lo)
    ev = tx.events.filter(ch.Fill)[0]
    assert (ev.taker, ev.maker, ev.price, ev.qty, ev.taker_fee, ev.maker_fee) == (
        taker.address, maker.address, price, qty, taker_fee, maker_fee,
    )
    assert ev.registry == reg.address and ev.expiry == e and ev.taker_is_buy
    opened = tx.events.filter(ch.PositionOpened)
    assert {o.account for o in opened} == {taker.address, maker.address}
    assert ch.open_interest(reg, e, FUTURE) == qty
    assert [tuple(s) for s in ch.open_series(taker)] == [(reg.address, e)]
    ch.reserve(maker, e, FUTURE, 0, False, price, 1, sender=env.book)
    again = _fill(env, taker, maker, e, FUTURE, 0, True, price, 1, ch.reserved(maker))
    print(f"settle_fill gas (future): both new {tx.gas_used}, both existing {again.gas_used}")


@pytest.mark.parametrize("kind", [CALL, PUT], ids=["call", "put"])
@pytest.mark.parametrize("taker_is_buy", [True, False], ids=["taker_buys", "taker_sells"])
def test_settle_fill__option__premium_and_fees_exact(env_dec, maker, taker, kind, taker_is_buy):
    env = env_dec
    ch, reg, vault = env.ch, env.registry, env.vault
    e = env.expiries[0]
    lo, hi = reg.bounds(e)
    k = _strikes(env, e)[12]
    _fund(env, maker, 1_000)
    _fund(env, taker, 1_000)
    premium, qty = env.usd(0.37), 11
    reserved = ch.reserve(maker, e, kind, k, not taker_is_buy, premium, qty, sender=env.book)
    reserved = reserved.events.filter(ch.Reserved)[0].amount
    before = [vault.balance_of(a) for a in (taker, maker, env.fee_to)]
    _fill(env, taker, maker, e, kind, k, taker_is_buy, premium, qty, reserved)
    pay = premium * qty
    taker_fee, maker_fee = margin.fee(pay, 5), margin.fee(pay, 2)
    sign = -1 if taker_is_buy else 1
    after = [vault.balance_of(a) for a in (taker, maker, env.fee_to)]
    assert after == [
        before[0] + sign * pay - taker_fee,
        before[1] - sign * pay - maker_fee,
        before[2] + taker_fee + maker_fee,
    ]
    q = qty if taker_is_buy else -qty
    assert ch.option_position(taker, reg, e, kind, k) == q
    assert ch.option_position(maker, reg, e, kind, k) == -q
    assert _legs(env, taker, e) == [(kind, k, q)]
    worst = (hi - k) if kind == CALL else (k - lo)
    short = maker if taker_is_buy else taker
    assert ch.series_requirement(short, reg, e) == qty * worst
    long_ = taker if taker_is_buy else maker
    assert ch.series_requirement(long_, reg, e) == 0
    assert ch.open_interest(reg, e, kind) == qty
    # the book's collateral check of the taker passes
    ch.check_collateral(taker, sender=env.book)


def test_settle_fill__partial_release__maker_keeps_rest(env, maker, taker):
    ch = env.ch
    e = env.expiries[0]
    _fund(env, maker, 1_000)
    _fund(env, taker, 1_000)
    price = env.usd(100)
    ch.reserve(maker, e, FUTURE, 0, True, price, 10, sender=env.book)
    held = ch.reserved(maker)
    _fill(env, taker, maker, e, FUTURE, 0, False, price, 4, held * 4 // 10)
    assert ch.reserved(maker) == held * 6 // 10
    lo, _ = env.registry.bounds(e)
    assert ch.requirement(maker) == held * 6 // 10 + 4 * (price - lo)


def test_cross_margin__long_105_short_106__needs_nothing(env, maker, maker2, taker):
    ch, reg = env.ch, env.registry
    e = env.expiries[0]
    for a in (maker, maker2, taker):
        _fund(env, a, 1_000)
    ch.set_fees(0, 0, sender=env.system.deployer)
    _fill(env, taker, maker, e, FUTURE, 0, True, env.usd(105), 1)
    lo, _ = reg.bounds(e)
    assert ch.requirement(taker) == env.usd(105) - lo
    _fill(env, taker, maker2, e, FUTURE, 0, False, env.usd(106), 1)
    assert ch.futures_position(taker, reg, e) == (0, -env.usd(1))
    assert ch.series_requirement(taker, reg, e) == 0 == ch.requirement(taker)
    # the locked gain keeps the series open until it is claimed
    assert [tuple(s) for s in ch.open_series(taker)] == [(reg.address, e)]


def test_cross_margin__different_expiries__never_offset(env, maker, taker):
    ch, reg = env.ch, env.registry
    e1, e2 = env.expiries[0], env.expiries[1]
    _fund(env, maker, 1_000)
    _fund(env, taker, 1_000)
    ch.set_fees(0, 0, sender=env.system.deployer)
    _fill(env, taker, maker, e1, FUTURE, 0, True, env.usd(105), 1)
    _fill(env, taker, maker, e2, FUTURE, 0, False, env.usd(106), 1)
    lo1, _ = reg.bounds(e1)
    _, hi2 = reg.bounds(e2)
    assert ch.requirement(taker) == (env.usd(105) - lo1) + (hi2 - env.usd(106))
    assert len(ch.open_series(taker)) == 2


def test_cross_margin__spreads_and_covered_call__match_reference(env, maker, taker):
    ch, reg = env.ch, env.registry
    e = env.expiries[0]
    ks = _strikes(env, e)
    _fund(env, maker, 10_000)
    _fund(env, taker, 10_000)
    lo, hi = reg.bounds(e)
    steps = [
        (FUTURE, 0, True, env.usd(100), 2),       # long 2 futures
        (CALL, ks[14], False, env.usd(0.5), 2),    # covered calls
        (PUT, ks[8], True, env.usd(0.4), 1),       # protective put
        (CALL, ks[10], False, env.usd(1.5), 3),    # call spread: short lower ...
        (CALL, ks[16], True, env.usd(0.2), 3),     # ... long higher
        (PUT, ks[8], False, env.usd(0.4), 1),      # close the put (leg removed)
        (FUTURE, 0, False, env.usd(103), 5),       # flip the futures short
    ]
    for kind, k, is_buy, price, qty in steps:
        _fill(env, taker, maker, e, kind, k, is_buy, price, qty)
        for a in (taker, maker):
            assert ch.series_requirement(a, reg, e) == _reference_req(env, a, e)
    assert ch.option_position(taker, reg, e, PUT, ks[8]) == 0
    assert len(_legs(env, taker, e)) == 3
    # offsetting legs need less than their stand-alone requirements
    legs = _legs(env, taker, e)
    n, cost = ch.futures_position(taker, reg, e)
    alone = sum(margin.requirement(0, 0, [leg], lo, hi) for leg in legs)
    alone += margin.requirement(n, cost, [], lo, hi)
    assert ch.series_requirement(taker, reg, e) < alone


def test_settle_fill__self_trade__reverts(env, maker):
    _fund(env, maker, 1_000)
    with ape.reverts("clearinghouse: self trade"):
        _fill(env, maker, maker, env.expiries[0], FUTURE, 0, True, env.usd(100), 1)


def test_settle_fill__maker_insufficient_collateral__reverts_state_unchanged(env, maker, taker):
    e = env.expiries[0]
    _fund(env, taker, 1_000)
    _fund(env, maker, 1)                  # far less than U - P for a short
    before = _state(env, taker, maker)
    with ape.reverts(maker_blocked(5)):   # the book cancels such a maker order (reason 12)
        _fill(env, taker, maker, e, FUTURE, 0, True, env.usd(100), 1)
    assert _state(env, taker, maker) == before


def test_settle_fill__taker_uncovered__reverts_insufficient_collateral(env, maker, taker):
    """settle_fill (the pool's one fill) checks the taker itself, at the end; an uncovered
    taker reverts it and nothing changes. check_collateral stays for venues that check later."""
    ch = env.ch
    e = env.expiries[0]
    ch.set_fees(0, 0, sender=env.system.deployer)
    _fund(env, maker, 1_000)
    before = _state(env, taker, maker)
    with ape.reverts("clearinghouse: insufficient collateral"):
        _fill(env, taker, maker, e, FUTURE, 0, True, env.usd(100), 1)   # unfunded taker
    assert _state(env, taker, maker) == before
    _fund(env, taker, 1_000)
    _fill(env, taker, maker, e, FUTURE, 0, True, env.usd(100), 1)
    assert ch.requirement(taker) <= env.vault.balance_of(taker)
    ch.check_collateral(taker, sender=env.book)


def test_settle_fill__bad_inputs__revert_state_unchanged(env, maker, taker):
    e = env.expiries[0]
    lo, hi = env.registry.bounds(e)
    k = _strikes(env, e)[3]
    _fund(env, maker, 1_000)
    _fund(env, taker, 1_000)
    before = _state(env, taker, maker)
    tick = env.registry.tick()
    cases = [
        ("clearinghouse: zero quantity", (e, FUTURE, 0, True, env.usd(100), 0, 0)),
        ("clearinghouse: bad kind", (e, 3, k, True, env.usd(1), 1, 0)),
        ("clearinghouse: bad strike", (e, FUTURE, k, True, env.usd(100), 1, 0)),
        ("clearinghouse: bad strike", (e, CALL, 0, True, env.usd(1), 1, 0)),
        ("clearinghouse: bad strike", (e, PUT, 2**120, True, env.usd(1), 1, 0)),
        ("clearinghouse: price out of range", (e, FUTURE, 0, True, lo - tick, 1, 0)),
        ("clearinghouse: price out of range", (e, FUTURE, 0, True, hi + tick, 1, 0)),
        ("clearinghouse: series not live", (e + DAY, FUTURE, 0, True, env.usd(100), 1, 0)),
        ("clearinghouse: release exceeds reserve", (e, FUTURE, 0, True, env.usd(100), 1, 1)),
    ]
    for reason, (ex, kind, strike, is_buy, price, qty, rel) in cases:
        with ape.reverts(reason):
            _fill(env, taker, maker, ex, kind, strike, is_buy, price, qty, rel)
    assert _state(env, taker, maker) == before


# ------------------------------------------------------------------ caps, reduce-only

def test_position_cap__breaking_fill__reverts_reducing_allowed(env, maker, taker, deployer):
    ch, reg = env.ch, env.registry
    e = env.expiries[0]
    k = _strikes(env, e)[12]
    _fund(env, maker, 10_000)
    _fund(env, taker, 10_000)
    ch.set_caps(reg, 10**6, 5, sender=deployer)
    _fill(env, taker, maker, e, FUTURE, 0, True, env.usd(100), 5)
    before = _state(env, taker, maker)
    with ape.reverts("clearinghouse: position cap"):
        _fill(env, taker, maker, e, FUTURE, 0, True, env.usd(100), 1)
    assert _state(env, taker, maker) == before
    _fill(env, taker, maker, e, CALL, k, False, env.usd(1), 5)      # options: per leg
    with ape.reverts("clearinghouse: position cap"):
        _fill(env, taker, maker, e, CALL, k, False, env.usd(1), 1)
    ch.set_caps(reg, 10**6, 2, sender=deployer)                      # below current size
    _fill(env, taker, maker, e, FUTURE, 0, False, env.usd(100), 2)  # reducing: 5 -> 3
    with ape.reverts("clearinghouse: position cap"):
        _fill(env, taker, maker, e, FUTURE, 0, False, env.usd(100), 6)  # 3 -> -3 is larger
    _fill(env, taker, maker, e, FUTURE, 0, False, env.usd(100), 5)  # 3 -> -2 is smaller
    assert ch.futures_position(taker, reg, e)[0] == -2


def test_open_interest_cap__breaking_fill__reverts_closing_allowed(env, maker, maker2, taker, deployer):
    ch, reg = env.ch, env.registry
    e = env.expiries[0]
    for a in (maker, maker2, taker):
        _fund(env, a, 10_000)
    ch.set_caps(reg, 10, 10**6, sender=deployer)
    _fill(env, taker, maker, e, FUTURE, 0, True, env.usd(100), 6)   # OI 6
    _fill(env, maker2, maker, e, FUTURE, 0, True, env.usd(100), 4)  # OI 10
    assert ch.open_interest(reg, e, FUTURE) == 10
    before = _state(env, taker, maker, maker2)
    with ape.reverts("clearinghouse: open interest cap"):
        _fill(env, taker, maker, e, FUTURE, 0, True, env.usd(100), 1)
    assert _state(env, taker, maker, maker2) == before
    # a long selling to another long-to-be moves OI nowhere: allowed at the cap
    _fill(env, taker, maker2, e, FUTURE, 0, False, env.usd(100), 2)
    assert ch.open_interest(reg, e, FUTURE) == 10
    # closing trades lower it, even after the cap is lowered under it
    ch.set_caps(reg, 1, 10**6, sender=deployer)
    _fill(env, taker, maker, e, FUTURE, 0, False, env.usd(100), 4)
    assert ch.open_interest(reg, e, FUTURE) == 6
    # options count per kind: calls have their own OI
    k = _strikes(env, e)[12]
    _fill(env, taker, maker, e, CALL, k, True, env.usd(1), 1)
    with ape.reverts("clearinghouse: open interest cap"):
        _fill(env, taker, maker, e, PUT, k, True, env.usd(1), 2)


def test_reduce_only__increasing_fill_or_reserve__reverts(env, maker, taker, chain):
    ch, reg = env.ch, env.registry
    e = env.expiries[0]
    _fund(env, maker, 10_000)
    _fund(env, taker, 10_000)
    _fill(env, taker, maker, e, FUTURE, 0, True, env.usd(100), 3)
    report(env.system.feeds["USD1/USD"], env.system.deployer, 0.9)   # depeg
    assert reg.reduce_only()
    before = _state(env, taker, maker)
    with ape.reverts("clearinghouse: reduce only"):
        _fill(env, taker, maker, e, FUTURE, 0, True, env.usd(100), 1)      # taker grows
    with ape.reverts("clearinghouse: reduce only"):
        _fill(env, taker, maker, e, FUTURE, 0, False, env.usd(100), 4)     # taker flips
    with ape.reverts("clearinghouse: reduce only"):
        ch.reserve(taker, e, FUTURE, 0, True, env.usd(100), 1, sender=env.book)
    with ape.reverts("clearinghouse: reduce only"):
        ch.reserve(maker, e, FUTURE, 0, False, env.usd(100), 1, sender=env.book)
    assert _state(env, taker, maker) == before
    assert ch.would_increase(taker, reg, e, FUTURE, 0, True, 1)
    assert not ch.would_increase(taker, reg, e, FUTURE, 0, False, 3)
    assert ch.would_increase(taker, reg, e, FUTURE, 0, False, 4)
    # both sides reducing: fine
    ch.reserve(taker, e, FUTURE, 0, False, env.usd(100), 2, sender=env.book)
    _fill(env, maker, taker, e, FUTURE, 0, True, env.usd(100), 2)
    assert ch.futures_position(taker, reg, e)[0] == 1


# ------------------------------------------------------------------ bounds: legs, series

def test_legs__32_fit_33rd_reverts_closing_frees_a_slot(env, maker, taker):
    ch, reg = env.ch, env.registry
    e = env.expiries[-1]                       # widest range, most active strikes
    ks = _strikes(env, e)
    instruments = [(CALL, k) for k in ks] + [(PUT, k) for k in ks]
    assert len(instruments) >= 33
    _fund(env, maker, 1_000_000)
    _fund(env, taker, 1_000_000)
    ch.set_fees(0, 0, sender=env.system.deployer)
    premium = env.usd(0.01)
    gas = []
    for kind, k in instruments[:32]:
        tx = _fill(env, taker, maker, e, kind, k, False, premium, 1)    # taker sells
        gas.append(tx.gas_used)
    assert len(_legs(env, taker, e)) == 32 == len(_legs(env, maker, e))
    assert ch.series_requirement(taker, reg, e) == _reference_req(env, taker, e)
    before = _state(env, taker, maker)
    kind, k = instruments[32]
    with ape.reverts("clearinghouse: too many legs"):
        _fill(env, taker, maker, e, kind, k, False, premium, 1)
    assert _state(env, taker, maker) == before
    # closing one leg (both sides) frees a slot
    k0kind, k0 = instruments[0]
    _fill(env, taker, maker, e, k0kind, k0, True, premium, 1)
    assert len(_legs(env, taker, e)) == 31
    tx = _fill(env, taker, maker, e, kind, k, False, premium, 1)
    assert len(_legs(env, taker, e)) == 32
    assert ch.series_requirement(taker, reg, e) == _reference_req(env, taker, e)
    assert ch.series_requirement(maker, reg, e) == _reference_req(env, maker, e)
    print(f"settle_fill gas, 32 legs each side: {tx.gas_used} (first {gas[0]}, 32nd {gas[-1]})")
    rc = ch.recalculate(taker, sender=env.book)
    print(f"recalculate gas, one series of 32 legs: {rc.gas_used}")


def test_open_series__25th__reverts(env, maker, taker, deployer, project, mock_venue):
    ch = env.ch
    _fund(env, maker, 1_000_000)
    _fund(env, taker, 1_000_000)
    markets = [(env.registry, env.book)]
    for _ in range(4):
        reg = _new_registry(env.system, deployer, project)
        markets.append((reg, mock_venue(reg, ch)))
    count = 0
    for reg, bk in markets[:4]:
        for e in reg.live_expiries():
            ch.settle_fill(taker, maker, e, FUTURE, 0, True, env.usd(100), 1, 0,
                           _state_of(env, e, reg), sender=bk)
            count += 1
    assert count == 24 == len(ch.open_series(taker))
    reg, bk = markets[4]
    e = reg.live_expiries()[0]
    with ape.reverts("clearinghouse: too many series"):
        ch.settle_fill(taker, maker, e, FUTURE, 0, True, env.usd(100), 1, 0,
                       _state_of(env, e, reg), sender=bk)
    # the open series list and the stored requirements agree
    total = 0
    for s in ch.open_series(taker):
        total += ch.series_requirement(taker, s[0], s[1])
    assert total == ch.requirement(taker)
    rc = ch.recalculate(taker, sender=env.book)
    print(f"recalculate gas, 24 futures series: {rc.gas_used}")


def test_open_series__flat_position_leaves_list__order_kept_consistent(env, maker, taker):
    ch = env.ch
    e0, e1, e2 = env.expiries[:3]
    _fund(env, maker, 1_000)
    _fund(env, taker, 1_000)
    ch.set_fees(0, 0, sender=env.system.deployer)
    price = env.usd(100)
    for e in (e0, e1, e2):
        _fill(env, taker, maker, e, FUTURE, 0, True, price, 1)
    assert [s[1] for s in ch.open_series(taker)] == [e0, e1, e2]
    _fill(env, taker, maker, e0, FUTURE, 0, False, price, 1)    # flat, no locked P&L
    assert [s[1] for s in ch.open_series(taker)] == [e2, e1]
    _fill(env, taker, maker, e2, FUTURE, 0, False, price, 1)
    assert [s[1] for s in ch.open_series(taker)] == [e1]
    tx = _fill(env, taker, maker, e0, FUTURE, 0, True, price, 1)  # re-opens
    assert tx.events.filter(ch.PositionOpened)[0].expiry == e0
    assert [s[1] for s in ch.open_series(taker)] == [e1, e0]
    assert ch.requirement(taker) == sum(_reference_req(env, taker, e) for e in (e0, e1))


# ------------------------------------------------------------------ recalculate as ranges shrink

def test_recalculate__range_narrows__requirement_only_falls(env, maker, taker, keeper, stranger, chain):
    ch, reg = env.ch, env.registry
    e = env.expiries[-1]
    _fund(env, maker, 10_000)
    _fund(env, taker, 10_000)
    ks = _strikes(env, e)
    _fill(env, taker, maker, e, FUTURE, 0, True, env.usd(100), 2)
    _fill(env, taker, maker, e, CALL, ks[len(ks) // 2], False, env.usd(1), 1)
    stored = {a: ch.requirement(a) for a in (taker, maker)}
    bounds0 = reg.bounds(e)
    t = _next_update(chain.pending_timestamp)
    for _ in range(3):
        warp(chain, t - 240)
        _push(env, 100_000)
        warp(chain, t)
        reg.daily_update(sender=keeper)
        t += DAY
    lo, hi = reg.bounds(e)
    assert bounds0[0] < lo and hi < bounds0[1], "range should have narrowed"
    assert {a: ch.requirement(a) for a in (taker, maker)} == stored   # stored, not stale-low
    tx = ch.recalculate(taker, sender=stranger)                        # permissionless
    assert ch.requirement(taker) == _reference_req(env, taker, e) < stored[taker]
    ev = tx.events.filter(ch.RequirementUpdated)[0]
    assert ev.account == taker.address and ev.requirement == ch.requirement(taker)
    # the vault refreshes the maker's requirement itself on withdrawal
    free_before = env.vault.free_collateral(maker)
    want = _reference_req(env, maker, e)
    assert want < stored[maker]
    env.vault.withdraw(free_before + (stored[maker] - want), sender=maker)
    assert ch.requirement(maker) == want == env.vault.balance_of(maker)
    # recalculating again changes nothing
    again = ch.recalculate(taker, sender=stranger)
    assert not again.events.filter(ch.RequirementUpdated)


def test_recalculate__stale_requirement_falls_when_a_trade_needs_it(env, maker, taker, keeper, chain):
    """An order that only fits with today's narrower ranges is not refused: the stored
    requirement is brought down first."""
    ch, reg = env.ch, env.registry
    e = env.expiries[-1]
    ch.set_fees(0, 0, sender=env.system.deployer)
    _fund(env, maker, 10_000)
    lo0, _ = reg.bounds(e)
    price, qty = env.usd(100), 50
    need = qty * (price - lo0)
    env.token.mint(taker, need, sender=env.system.deployer)
    env.token.approve(env.vault, need, sender=taker)
    env.vault.deposit(need, sender=taker)
    _fill(env, taker, maker, e, FUTURE, 0, True, price, qty)
    ch.check_collateral(taker, sender=env.book)                 # exactly covered
    t = _next_update(chain.pending_timestamp)
    for _ in range(3):
        warp(chain, t - 240)
        _push(env, 100_000)
        warp(chain, t)
        reg.daily_update(sender=keeper)
        t += DAY
    stale, fresh = ch.requirement(taker), _reference_req(env, taker, e)
    extra = ch.order_reserve(reg, e, FUTURE, 0, True, price, 1)
    assert fresh + extra <= env.vault.balance_of(taker) < stale + extra
    tx = ch.reserve(taker, e, FUTURE, 0, True, price, 1, sender=env.book)
    assert ch.requirement(taker) == fresh + extra
    assert tx.events.filter(ch.RequirementUpdated)[0].requirement == fresh


# ------------------------------------------------------------------ claims

@pytest.fixture
def settled(env_dec, maker, taker, maker2, keeper, chain):
    """Taker long 3 futures at 101 and short 2 calls at K; maker2 long a put; settled at 103."""
    env = env_dec
    e = env.expiries[0]
    ks = _strikes(env, e)
    k_call = min(ks, key=lambda k: abs(k - env.usd(102)))
    k_put = min(ks, key=lambda k: abs(k - env.usd(104)))
    for a in (maker, taker, maker2):
        _fund(env, a, 10_000)
    _fill(env, taker, maker, e, FUTURE, 0, True, env.usd(101), 3)
    _fill(env, taker, maker, e, CALL, k_call, False, env.usd(0.8), 2)
    _fill(env, maker2, maker, e, PUT, k_put, True, env.usd(1.1), 4)
    s = _settle(env, chain, keeper, e, 103_000)
    assert s == env.usd(103)
    return env, e, s, k_call, k_put


def test_claim__pnl_exact_zero_sum_released(settled, maker, taker, maker2, keeper):
    env, e, s, k_call, k_put = settled
    ch, reg, vault = env.ch, env.registry, env.vault
    want = {
        taker: margin.pnl(s, 3, 3 * env.usd(101), [(CALL, k_call, -2)]),
        maker: margin.pnl(s, -3, -3 * env.usd(101), [(CALL, k_call, 2), (PUT, k_put, -4)]),
        maker2: margin.pnl(s, 0, 0, [(PUT, k_put, 4)]),
    }
    assert sum(want.values()) == 0
    for a, pnl in want.items():
        assert ch.unclaimed_pnl(a, reg, e) == pnl
    # after settlement the requirement is the loss at S: recalculate brings it there
    ch.recalculate(maker, sender=keeper)
    assert ch.requirement(maker) == max(0, -want[maker])
    total_before = vault.total_balances()
    gas = []
    for a, pnl in want.items():
        bal = vault.balance_of(a)
        tx = ch.claim(a, reg, e, sender=keeper)
        gas.append(tx.gas_used)
        ev = tx.events.filter(ch.Claimed)[0]
        assert ev.account == a.address and ev.pnl == pnl and ev.expiry == e
        assert vault.balance_of(a) == bal + pnl
        assert ch.requirement(a) == 0
        assert ch.unclaimed_pnl(a, reg, e) == 0
        assert len(ch.open_series(a)) == 0
        assert ch.futures_position(a, reg, e) == (0, 0) and _legs(env, a, e) == []
    assert vault.total_balances() == total_before
    assert env.token.balanceOf(vault) == vault.total_balances()
    print(f"claim gas (futures+1 leg, 2 legs, 1 leg): {gas}")


def test_claim__twice__reverts(settled, taker, keeper):
    env, e, *_ = settled
    env.ch.claim(taker, env.registry, e, sender=keeper)
    before = _state(env, taker)
    with ape.reverts("clearinghouse: nothing to claim"):
        env.ch.claim(taker, env.registry, e, sender=keeper)
    assert _state(env, taker) == before


def test_claim__no_position__reverts(settled, stranger, keeper):
    env, e, *_ = settled
    with ape.reverts("clearinghouse: nothing to claim"):
        env.ch.claim(stranger, env.registry, e, sender=keeper)
    with ape.reverts("clearinghouse: unknown market"):
        env.ch.claim(stranger, stranger, e, sender=keeper)


def test_claim__unsettled__reverts(env, maker, taker, keeper):
    e = env.expiries[0]
    _fund(env, maker, 1_000)
    _fund(env, taker, 1_000)
    _fill(env, taker, maker, e, FUTURE, 0, True, env.usd(100), 1)
    before = _state(env, taker)
    with ape.reverts("clearinghouse: not settled"):
        env.ch.claim(taker, env.registry, e, sender=keeper)
    assert _state(env, taker) == before
    assert env.ch.unclaimed_pnl(taker, env.registry, e) == 0


def test_claim__settled_series__no_more_fills_or_reserves(settled, maker, taker):
    env, e, *_ = settled
    with ape.reverts("clearinghouse: series not live"):
        _fill(env, taker, maker, e, FUTURE, 0, True, env.usd(100), 1)
    with ape.reverts("clearinghouse: series not live"):
        env.ch.reserve(taker, e, FUTURE, 0, True, env.usd(100), 1, sender=env.book)


def test_claim__loser_keeps_locked_collateral_until_claimed(settled, maker, keeper):
    """The maker lost; its requirement keeps the loss locked, and the claim pays it."""
    env, e, *_ = settled
    ch, vault = env.ch, env.vault
    loss = -ch.unclaimed_pnl(maker, env.registry, e)
    assert loss > 0
    bal = vault.balance_of(maker)
    with ape.reverts("vault: insufficient collateral"):
        vault.withdraw(bal - loss + 1, sender=maker)
    vault.withdraw(bal - loss, sender=maker)
    ch.claim(maker, env.registry, e, sender=keeper)
    assert vault.balance_of(maker) == 0


def test_register_venue__deploy_helper__registry_and_fees(deployer, guardian, project):
    """`rangebound.deploy.register_venue` wires a pool: set_pool, register_venue, fees to it
    (on a system deployed without its own pool: a registry names its pool once)."""
    from rangebound.deploy import register_venue

    system = deploy_system(deployer, guardian=guardian, pool=False)
    ch = system.clearinghouse
    pool = project.MockVenue.deploy(system.markets["BTC"].registry, ch, sender=deployer)
    register_venue(system, "BTC", pool)
    reg = system.markets["BTC"].registry
    assert reg.pool() == pool.address and ch.registry_of(pool) == reg.address
    assert ch.fee_account_of(reg) == pool.address


# ------------------------------------------------------------------ settle_fills (issue 13)

def maker_blocked_at(index: int, code: int) -> str:
    """Revert data of `MakerBlockedAt(uint256 index, uint8 code)`, as ape shows it."""
    return ("0x" + keccak(text="MakerBlockedAt(uint256,uint8)")[:4].hex()
            + index.to_bytes(32, "big").hex() + code.to_bytes(32, "big").hex())


def _state_of(env: Env, e, registry=None) -> tuple:
    """The registry's trading state as the book passes it on (TradingState)."""
    reg = registry or env.registry
    lo, hi = reg.bounds(e)
    return (True, reg.is_live(e), lo, hi, reg.reduce_only(), 1, False)


def _reserve(env: Env, account, e, price, qty) -> int:
    tx = env.ch.reserve(account, e, FUTURE, 0, False, price, qty, sender=env.book)
    return tx.events.filter(env.ch.Reserved)[0].amount


def test_settle_fills__two_makers__taker_written_once_fees_per_fill(env, maker, maker2, taker):
    ch, reg, vault = env.ch, env.registry, env.vault
    e = env.expiries[0]
    for a in (maker, maker2, taker):
        _fund(env, a, 1_000)
    p1, p2 = env.usd(100.01), env.usd(100.37)
    r1, r2 = _reserve(env, maker, e, p1, 2), _reserve(env, maker2, e, p2, 3)
    before = [vault.balance_of(a) for a in (taker, maker, maker2, env.fee_to)]
    tx = ch.settle_fills(taker, e, FUTURE, 0, True, [(maker, p1, 2, r1), (maker2, p2, 3, r2)],
                         _state_of(env, e), sender=env.book)
    t_fee = margin.fee(2 * p1, 5) + margin.fee(3 * p2, 5)      # per fill, each rounded up
    m1, m2 = margin.fee(2 * p1, 2), margin.fee(3 * p2, 2)
    after = [vault.balance_of(a) for a in (taker, maker, maker2, env.fee_to)]
    assert after == [before[0] - t_fee, before[1] - m1, before[2] - m2, before[3] + t_fee + m1 + m2]
    assert ch.futures_position(taker, reg, e) == (5, 2 * p1 + 3 * p2)
    assert ch.futures_position(maker, reg, e) == (-2, -2 * p1)
    assert ch.futures_position(maker2, reg, e) == (-3, -3 * p2)
    assert ch.reserved(maker) == ch.reserved(maker2) == 0
    assert ch.open_interest(reg, e, FUTURE) == 5
    assert ch.series_requirement(taker, reg, e) == _reference_req(env, taker, e)
    assert [(f.maker, f.qty) for f in tx.events.filter(ch.Fill)] == [(maker.address, 2), (maker2.address, 3)]
    assert len(tx.events.filter(ch.RequirementUpdated)) == 3   # the taker's once


def test_settle_fills__second_maker_blocked__reverts_with_index_state_unchanged(env, maker, maker2, taker):
    e = env.expiries[0]
    _fund(env, taker, 1_000)
    _fund(env, maker, 1_000)
    _fund(env, maker2, 1)                 # cannot cover a short: collateral (code 5)
    before = _state(env, taker, maker, maker2)
    with ape.reverts(maker_blocked_at(1, 5)):
        env.ch.settle_fills(taker, e, FUTURE, 0, True,
                            [(maker, env.usd(100), 1, 0), (maker2, env.usd(100), 1, 0)],
                            _state_of(env, e), sender=env.book)
    assert _state(env, taker, maker, maker2) == before


def test_settle_fills__taker_uncovered__reverts(env, maker, taker):
    e = env.expiries[0]
    env.ch.set_fees(0, 0, sender=env.system.deployer)
    _fund(env, maker, 1_000)
    with ape.reverts("clearinghouse: insufficient collateral"):
        env.ch.settle_fills(taker, e, FUTURE, 0, True, [(maker, env.usd(100), 1, 0)],
                            _state_of(env, e), sender=env.book)


def test_settle_fills__no_fills__reverts(env, taker):
    with ape.reverts("clearinghouse: zero quantity"):
        env.ch.settle_fills(taker, env.expiries[0], FUTURE, 0, True, [],
                            _state_of(env, env.expiries[0]), sender=env.book)


def test_settle_fills__stranger__reverts(env, maker, stranger):
    with ape.reverts("clearinghouse: not a venue"):
        env.ch.settle_fills(stranger, env.expiries[0], FUTURE, 0, True,
                            [(maker, env.usd(100), 1, 0)],
                            _state_of(env, env.expiries[0]), sender=stranger)
