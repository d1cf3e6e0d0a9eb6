"""OrderBook deployment and roles: runtime size, constructor wiring, the guardian's pause,
two-step ownership."""

from __future__ import annotations

import ape
from helpers import EIP170

from .book_helpers import place, rest


def test_runtime_size__under_eip170(funded):
    env = funded
    size = len(ape.chain.provider.get_code(env.book.address))
    assert 0 < size < EIP170


def test_constructor__wiring(funded):
    env = funded
    assert env.book.registry() == env.registry.address
    assert env.book.clearinghouse() == env.ch.address
    assert env.book.tick() == env.tick
    assert env.book.MAX_FILLS() == 32
    assert env.book.MAX_PRICE_INDEX() == 65_025


def test_pause__guardian_stops_orders_cancels_continue(funded, guardian, maker):
    env = funded
    oid = rest(env, maker, env.px(-1), 1, True)
    env.book.pause(sender=guardian)
    assert env.book.paused()
    with ape.reverts("book: paused"):
        place(env, maker, env.px(-2), 1, True)
    env.book.cancel_order(oid, sender=maker)
    env.book.unpause(sender=guardian)
    rest(env, maker, env.px(-2), 1, True)


def test_pause__stranger__reverts(funded, stranger):
    with ape.reverts("book: not guardian"):
        funded.book.pause(sender=stranger)


def test_ownership__two_step(funded, deployer, stranger):
    env = funded
    owner = env.book.owner()
    env.book.transfer_ownership(stranger, sender=owner)
    assert env.book.owner() == owner and env.book.pending_owner() == stranger.address
    env.book.accept_ownership(sender=stranger)
    assert env.book.owner() == stranger.address
    env.book.set_guardian(stranger, sender=stranger)
    assert env.book.guardian() == stranger.address
