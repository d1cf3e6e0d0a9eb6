"""Fixtures of the OrderBook tests: the book under test on the farthest live expiry (`env`) and
the same with makers and the taker funded (`funded`), deployed once for the whole folder
(package scope: reverted to the folder's start after its last test; ape reverts every test's
and every module's changes)."""

from __future__ import annotations

import pytest
from helpers import folder_snapshot

from rangebound.ops.deploy import deploy_system

from .book_helpers import Env

_folder_snapshot = pytest.fixture(scope="package", name="_folder_snapshot")(folder_snapshot)


@pytest.fixture(scope="package")
def env(_folder_snapshot, deployer, guardian):
    system = deploy_system(deployer, guardian=guardian)
    market = system.markets["BTC"]
    registry = market.registry
    expiry = registry.live_expiries()[-1]
    lo, hi = registry.bounds(expiry)
    return Env(
        book=market.book,
        registry=registry,
        ch=system.clearinghouse,
        token=system.token,
        vault=system.vault,
        deployer=system.deployer,
        expiry=expiry,
        lo=lo,
        hi=hi,
        tick=registry.tick(),
        min_qty=registry.min_qty(),
        system=system,
    )


@pytest.fixture(scope="package", autouse=True)
def funded(env, maker, maker2, taker):
    """Makers and the taker hold plenty of collateral (set up once, before any module's snapshot
    is taken: autouse)."""
    big = (env.hi + env.tick) * 10_000
    for account in (maker, maker2, taker):
        env.fund(account, big)
    return env
