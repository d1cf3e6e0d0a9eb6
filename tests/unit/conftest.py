"""Fixtures of the unit tests that are not in a contract's own folder."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="module")
def harness(request, project, deployer):
    """The module's test harness (the contract its `HARNESS` names), deployed once per module:
    the pure Vyper modules exposed for differential tests (contracts/harness/)."""
    return getattr(project, request.module.HARNESS).deploy(sender=deployer)
