"""What the SeriesRegistry tests share (tests/integration/registry/; fixtures in its conftest.py):
a system with its actors funded, a futures trade between two accounts."""

from __future__ import annotations

from helpers import fund

from rangebound.constants import (
    FUTURE,
    IOC,
)
from rangebound.ops.deploy import deploy_system


def funded_system(deployer, guardian, actors, **params):
    """`deploy_system(**params)` with 1,000,000 USD1 deposited for each of `actors`."""
    s = deploy_system(deployer, guardian=guardian, **params)
    for who in actors:
        fund(s, who, 1_000_000)
    return s


def trade(system, e, seller, buyer, price, qty):
    """`seller` rests `qty` futures of series `e` at `price`; `buyer` takes them (IOC)."""
    book = system.markets["BTC"].book
    book.place_order(e, FUTURE, 0, False, price, qty, 0, 1, sender=seller)
    book.place_order(e, FUTURE, 0, True, price, qty, IOC, 1, sender=buyer)
