"""Fixtures of the ReporterFeed tests: role-named reporters and three feeds (`stranger` is
tests/conftest.py's)."""

from __future__ import annotations

import pytest
from feed_helpers import PRICE, deploy_feed

from rangebound.constants import BPS, MAX_REPORTERS


@pytest.fixture(scope="module")
def owner(accounts):
    return accounts[0]


@pytest.fixture(scope="module")
def reporter(accounts):
    return accounts[1]


@pytest.fixture(scope="module")
def reporter2(accounts):
    return accounts[2]


@pytest.fixture(scope="module")
def reporter3(accounts):
    return accounts[3]


@pytest.fixture(scope="module")
def reporter4(accounts):
    return accounts[4]


@pytest.fixture(scope="module")
def reporter_pool(accounts, reporter, reporter2, reporter3, reporter4):
    """MAX_REPORTERS funded reporter accounts (the named ones first)."""
    pool = [reporter, reporter2, reporter3, reporter4] + [accounts[i] for i in range(6, 10)]
    while len(pool) < MAX_REPORTERS:
        extra = accounts.generate_test_account()
        extra.balance = 10**20
        pool.append(extra)
    return pool


@pytest.fixture(scope="module")
def feed(project, owner, reporter, reporter2, reporter3):
    """min_submissions 3, max deviation 10 %, three reporters."""
    return deploy_feed(project, owner, 3, 1_000, [reporter, reporter2, reporter3])


@pytest.fixture(scope="module")
def feed1(project, owner, reporter, reporter2):
    """min_submissions 1, max deviation 5 %, two reporters."""
    return deploy_feed(project, owner, 1, 500, [reporter, reporter2], "USD1 / USD")


@pytest.fixture(scope="module")
def full_feed(project, owner, reporter_pool):
    """min_submissions 1, max deviation 100 %, MAX_REPORTERS reporters."""
    return deploy_feed(project, owner, 1, BPS, reporter_pool)


@pytest.fixture
def feed_round1(feed1, reporter):
    """feed1 with round 1 final at PRICE."""
    feed1.submit(1, PRICE, sender=reporter)
    return feed1
