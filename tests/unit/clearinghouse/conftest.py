"""Fixtures of the Clearinghouse tests: the test market on the 6-decimal system (`env`), the
same on both token decimals (`env_dec`). Both systems are deployed once for the whole folder
(package scope: reverted to the folder's start after its last test; ape reverts every test's
and every module's changes).

The Clearinghouse is called directly: a second SeriesRegistry (the real one) is registered with
a MockVenue contract as its order book (the registry names it, it names the registry and the
Clearinghouse), and the tests send from that venue's address (impersonated), so every
venue-only entry point can be driven exactly. No account is ever a venue."""

from __future__ import annotations

import pytest
from helpers import folder_snapshot

from rangebound.deploy import deploy_system

from .clearinghouse_helpers import make_env

_folder_snapshot = pytest.fixture(scope="package", name="_folder_snapshot")(folder_snapshot)


@pytest.fixture(scope="package")
def env(_folder_snapshot, deployer, guardian, treasury, project, mock_venue):
    """The test market on the whole system as `deploy_system` deploys it (6-decimal USD1)."""
    system = deploy_system(deployer, guardian=guardian)
    return make_env(system, deployer, treasury, project, mock_venue)


@pytest.fixture(scope="package")
def env18(_folder_snapshot, deployer, guardian, treasury, project, mock_venue):
    """The test market on an 18-decimal system."""
    sys18 = deploy_system(deployer, guardian=guardian, decimals=18)
    return make_env(sys18, deployer, treasury, project, mock_venue)


@pytest.fixture(scope="package", autouse=True)
def _deployed_first(env, env18):
    """Both systems exist before any module's snapshot is taken, so no module's revert removes
    them."""


@pytest.fixture(params=[6, 18], ids=["dec6", "dec18"])
def env_dec(request, env, env18):
    """`env` or `env18`: function scope, so ape never rebases (re-deploys) the package's
    systems for a parameter change."""
    return env if request.param == 6 else env18
