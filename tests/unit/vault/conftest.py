"""Fixtures of the CollateralVault tests: both token decimals, a bare vault, a vault wired to a
mock risk engine, vaults over hostile tokens."""

from __future__ import annotations

import pytest
from ape.utils import ZERO_ADDRESS


@pytest.fixture(scope="module", params=[6, 18], ids=["dec6", "dec18"])
def decimals(request):
    return request.param


@pytest.fixture(scope="module")
def unit(decimals):
    return 10**decimals


@pytest.fixture(scope="module")
def token(project, deployer, decimals):
    return project.ReferenceUSD1.deploy(decimals, sender=deployer)


@pytest.fixture(scope="module")
def vault(project, deployer, guardian, token):
    return project.CollateralVault.deploy(token, guardian, ZERO_ADDRESS, sender=deployer)


@pytest.fixture(scope="module")
def engine(project, deployer):
    return project.MockRiskEngine.deploy(sender=deployer)


@pytest.fixture(scope="module")
def wired_vault(project, deployer, guardian, token, engine):
    return project.CollateralVault.deploy(token, guardian, engine, sender=deployer)


@pytest.fixture(scope="module")
def hostile(project, deployer, guardian, decimals):
    def make(behaviour):
        tok = project.MockHostileToken.deploy(decimals, behaviour, sender=deployer)
        v = project.CollateralVault.deploy(tok, guardian, ZERO_ADDRESS, sender=deployer)
        return tok, v

    return make
