"""Shared fixtures: role-named accounts, token units, the deployed system; the hypothesis
profiles. Shared helpers (funding, time, logs) are in tests/helpers.py.

Hypothesis profiles: `ci` (the default: derandomised, no example database, no deadline, so a
run is reproducible) and `long` (random seeds, many examples: `make fuzz`, or
`RANGEBOUND_FUZZ=long`). A test's own `@settings(max_examples=...)` sizes it within the profile;
tests/stateful/conftest.py scales the state machines by profile.
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import pytest
from hypothesis import HealthCheck, settings

from rangebound.dev.node import fast_receipt_polling, free_host
from rangebound.models import calendar as cal
from rangebound.ops.deploy import deploy_system

fast_receipt_polling()   # every test runs on a local anvil

_COMMON = {
    "deadline": None,                 # anvil round trips vary with the machine's load
    "database": None,                 # no hidden state between runs
    "print_blob": True,
    "suppress_health_check": [HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                           HealthCheck.data_too_large],
}
settings.register_profile("ci", derandomize=True, **_COMMON)
settings.register_profile("long", derandomize=False, **_COMMON)
settings.load_profile("long" if os.environ.get("RANGEBOUND_FUZZ", "").lower() == "long" else "ci")

# Two halves for `make test`'s two pytest-xdist workers (`-n 2 --dist loadscope`): one runs
# tests/unit and tests/stateful, the other tests/integration and tests/fork, each in collection
# order. A worker's tests share its chain clock and Ape's caches from file to file, so a fixed
# order per worker makes a run reproducible (xdist's `loadfile` deals files by speed). The halves
# are the scheduler's scopes, so node ids stay as they are (Ape's fixture isolation keys on
# them: a `loadgroup` suffix made it set module fixtures up again for every test).
CHAIN_HALF = ("tests/integration/", "tests/fork/")


def pytest_configure(config):
    """Each test process's anvil gets a port the kernel reports free (`free_host`), not Ape's
    `host: auto` draw: that draw is random in 49152-60999, inside Linux's ephemeral range, and
    when it hits a port held by an open connection of any process on the machine, anvil exits
    at once ("Address already in use") and Ape waits 20 s and raises RPCTimeoutError at
    session start (docs/decisions.md, "Tooling"). Set in each xdist worker, never in the
    controller, so the workers' ports differ; a host the user set is kept. Subprocesses that
    must start their own anvil override or drop it (test_demo.py, test_deploy_and_console.py),
    and the fork fixtures connect without it (tests/fork/conftest.py, `_connect_fork`)."""
    in_controller = os.environ.get("PYTEST_XDIST_WORKER") is None and getattr(config.option, "numprocesses", None)
    if "APE_FOUNDRY_HOST" not in os.environ and not in_controller:
        os.environ["APE_FOUNDRY_HOST"] = free_host()


@pytest.hookimpl(optionalhook=True)    # xdist's hook: pytest without xdist runs in one process
def pytest_xdist_make_scheduler(config, log):
    if config.getoption("dist") != "loadscope":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class Halves(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return "chain" if nodeid.startswith(CHAIN_HALF) else "unit"

    return Halves(config, log)


@pytest.fixture(scope="session")
def deployer(accounts):
    return accounts[0]


@pytest.fixture(scope="session")
def guardian(accounts):
    return accounts[1]


@pytest.fixture(scope="session")
def maker(accounts):
    return accounts[2]


@pytest.fixture(scope="session")
def taker(accounts):
    return accounts[3]


@pytest.fixture(scope="session")
def keeper(accounts):
    return accounts[4]


@pytest.fixture(scope="session")
def stranger(accounts):
    return accounts[5]


@pytest.fixture(scope="session")
def maker2(accounts):
    return accounts[6]


@pytest.fixture(scope="session")
def treasury(accounts):
    return accounts[7]


@pytest.fixture(scope="module")
def system(deployer, guardian):
    """The whole system as `deploy_system` deploys it (6-decimal USD1), once per module."""
    return deploy_system(deployer, guardian=guardian)


@pytest.fixture(scope="session")
def load_script() -> Callable[[str], ModuleType]:
    """`load_script("keeper")` imports `scripts/keeper.py` as a module (its `cli` and helpers),
    the way `ape run keeper` finds it, without going through a subprocess."""

    def load(name: str) -> ModuleType:
        path = Path(__file__).resolve().parents[1] / "scripts" / f"{name}.py"
        spec = importlib.util.spec_from_file_location(f"{name}_script", path)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module

    return load


@pytest.fixture(scope="session", autouse=True)
def _session_clock(chain):
    """Every session starts at the same point of the week, whatever the wall clock says:
    the first Sunday at RANGEBOUND_TEST_START (UTC, "HH:MM", default 06:30) after anvil's start.
    Tests move time relative to the chain, so this makes a run's calendar reproducible (a run
    that starts minutes before 08:00 UTC behaves like any other)."""
    hh, mm = (int(x) for x in os.environ.get("RANGEBOUND_TEST_START", "06:30").split(":"))
    t = cal.day_start(chain.pending_timestamp + cal.DAY) + hh * 3600 + mm * 60
    while cal.weekday(t) != cal.SUNDAY:
        t += cal.DAY
    chain.pending_timestamp = t
    chain.mine()



@pytest.fixture(scope="session")
def mock_venue(project, accounts, deployer):
    """`mock_venue(registry, clearinghouse, register=True)`: a MockVenue contract naming both,
    made the registry's order book and (by default) registered with the clearinghouse as that
    market's book; returns the impersonated venue account (funded with gas), so tests call the
    venue-only entry points exactly from a contract address (never an EOA as a venue)."""

    def make(registry, clearinghouse, register: bool = True):
        venue = project.MockVenue.deploy(registry, clearinghouse, sender=deployer)
        registry.set_order_book(venue, sender=deployer)
        if register:
            clearinghouse.register_market(registry, venue, sender=deployer)
        account = accounts[venue.address]
        account.balance = 10**18
        return account

    return make


@pytest.fixture(scope="session", autouse=True)
def _session_fixtures_first(deployer, guardian, maker, taker, keeper, stranger, maker2, treasury,
                            mock_venue, load_script):
    """Every session-scoped fixture exists before the first test. ape's isolation otherwise sees
    a session fixture that first appears in the middle of a module (a test that is the first
    to ask for `stranger`, say) as new state, reverts to the session snapshot and re-creates
    every package- and module-scoped fixture (a "rebase": the module's deployments again)."""
