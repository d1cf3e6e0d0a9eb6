"""Clearinghouse `register_market` and `register_venue`: both-way links, venue checks, one
registration per venue, the deploy helper."""

from __future__ import annotations

import ape
from helpers import fund, new_registry

from rangebound.constants import FUTURE
from rangebound.deploy import deploy_system

from .clearinghouse_helpers import fill, trading_state_of


def _loose_venue(env, deployer, project, registry=None, ch=None):
    registry = registry or new_registry(env.system, deployer, project)
    return registry, project.MockVenue.deploy(registry, ch or env.ch, sender=deployer)


def test_register_market__both_ways_defaults_and_events(env, deployer, project, mock_venue):
    ch = env.ch
    assert ch.book_of(env.registry) == env.book.address
    assert ch.registry_of(env.book) == env.registry.address
    assert ch.oi_cap(env.registry) == ch.DEFAULT_OI_CAP()
    assert ch.position_cap(env.registry) == ch.DEFAULT_POSITION_CAP()
    other = new_registry(env.system, deployer, project)
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
    other = new_registry(env.system, deployer, project)
    with ape.reverts("clearinghouse: venue not a contract"):
        env.ch.register_market(other, maker2, sender=deployer)
    assert env.ch.book_of(other) == ape.utils.ZERO_ADDRESS


def test_register_market__venue_checks__revert_state_unchanged(env, deployer, project):
    ch = env.ch
    reg, venue = _loose_venue(env, deployer, project)
    with ape.reverts("clearinghouse: registry disowns venue"):      # registry does not name it
        ch.register_market(reg, venue, sender=deployer)
    tx = reg.set_order_book(venue, sender=deployer)
    assert [(e.event_name, e.order_book) for e in tx.events] == [("OrderBookSet", venue.address)]
    venue.set_targets(reg, env.vault, sender=deployer)
    with ape.reverts("clearinghouse: venue of another clearinghouse"):
        ch.register_market(reg, venue, sender=deployer)
    venue.set_targets(deployer, ch, sender=deployer)
    with ape.reverts("clearinghouse: venue registry not a contract"):
        ch.register_market(reg, venue, sender=deployer)
    other = new_registry(env.system, deployer, project)
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
    fund(env.system, taker, 1_000)
    e = reg.live_expiries()[0]
    ch.reserve(taker, e, FUTURE, 0, True, env.usd(100), 1, trading_state_of(env, e, registry=reg), 0, sender=p)
    held = ch.book_reserved(pool, taker)
    assert held > 0 and ch.book_reserved(book, taker) == 0
    with ape.reverts("clearinghouse: release exceeds reserve"):
        ch.release(taker, 1, sender=book)
    ch.release(taker, held, sender=p)
    fund(env.system, maker, 1_000)
    fill(env, taker, maker, e, FUTURE, 0, True, env.usd(100), 2, sender=p)
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
    assert [(e.event_name, e.pool) for e in tx.events] == [("PoolSet", pool.address)]
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
