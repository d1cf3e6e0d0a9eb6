"""Fixtures of the OptionsPool tests (docs/architecture.md §15): the deployed system with an LP in
the pool and traders funded (`world`), deployed once for the whole folder (package scope, set up
before any module's snapshot, reverted to the folder's start after its last test; ape reverts
every test's and every module's changes)."""

from __future__ import annotations

import pytest
from helpers import folder_snapshot, fund

from rangebound.dev.node import warp
from rangebound.models import calendar as cal
from rangebound.ops.deploy import deploy_system

_folder_snapshot = pytest.fixture(scope="package", name="_folder_snapshot")(folder_snapshot)


@pytest.fixture(scope="package")
def lp(accounts):
    return accounts[8]


@pytest.fixture(scope="package", autouse=True)
def world(_folder_snapshot, chain, deployer, guardian, lp, maker, taker):
    """The deployed system with an LP's 100,000 USD1 in the pool, 20,000 USD1 of the taker's
    and 50,000 of the maker's in the vault (ape reverts each test's own changes). The session
    fixtures exist before it (tests/conftest.py); autouse: it exists before any module's
    snapshot."""
    now = chain.pending_timestamp
    if 0 <= now % cal.DAY - (cal.WINDOW_START - 300) < 900:
        warp(chain, cal.day_start(now) + cal.EXPIRY_OFFSET + 600)
    system = deploy_system(deployer, guardian=guardian, pool_fees=True)
    pool = system.markets["BTC"].pool
    amount = fund(system, lp, 100_000, deposit=False)
    system.token.approve(pool, amount, sender=lp)
    pool.deposit(amount, lp, sender=lp)
    fund(system, taker, 20_000)
    fund(system, maker, 50_000)
    return system
