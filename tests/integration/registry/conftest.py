"""Fixtures of the SeriesRegistry tests on anvil with time travel: the default system and its
registry (`sys_`, `registry`), the actors of the fixing attacks and two funded systems, one in
index mode (the default, `index_sys`) and one in market mode (`market_sys`). All are deployed
once for the whole folder, before any module's snapshot (package scope: reverted to the
folder's start after its last test; ape reverts every test's and every module's changes)."""

from __future__ import annotations

import pytest
from helpers import folder_snapshot

from rangebound.ops.deploy import deploy_system

from .registry_helpers import funded_system

_folder_snapshot = pytest.fixture(scope="package", name="_folder_snapshot")(folder_snapshot)


@pytest.fixture(scope="package")
def sys_(_folder_snapshot, deployer, guardian):
    return deploy_system(deployer, guardian=guardian)


@pytest.fixture(scope="package")
def registry(sys_):
    return sys_.markets["BTC"].registry


@pytest.fixture(scope="package")
def actors(maker, taker, maker2, stranger):
    """Honest maker/taker; the attacker's two accounts (maker2 sells, stranger buys)."""
    return maker, taker, maker2, stranger


@pytest.fixture(scope="package")
def index_sys(_folder_snapshot, deployer, guardian, actors):
    return funded_system(deployer, guardian, actors)


@pytest.fixture(scope="package")
def market_sys(_folder_snapshot, deployer, guardian, actors):
    return funded_system(deployer, guardian, actors, index_mode=False)


@pytest.fixture(scope="package", autouse=True)
def _deployed_first(sys_, index_sys, market_sys):
    """The three systems exist before any module's snapshot is taken."""
