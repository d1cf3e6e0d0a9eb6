"""Fixtures of the OptionsPool tests (docs/architecture.md §15): the deployed system with an LP in
the pool and traders funded (`world`), deployed once for the whole folder (package scope, set up
before any module's snapshot, reverted to the folder's start after its last test; ape reverts
every test's and every module's changes)."""

from __future__ import annotations

import pytest
from helpers import folder_snapshot, pool_world

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
    return pool_world(chain, deployer, guardian, lp, 100_000, {taker: 20_000, maker: 50_000})
