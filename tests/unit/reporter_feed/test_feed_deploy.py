"""ReporterFeed: constructor, parameters, size and the AggregatorV3 views before any round."""

from __future__ import annotations

import ape
import pytest
from feed_helpers import (
    DECIMALS,
    MAX_REPORTERS,
    feed_events,
)
from helpers import EIP170, deploy_reverts

from rangebound.constants import BPS

# ---------------------------------------------------------------- deployment


def test_deploy__sets_parameters(feed, owner, reporter, stranger):
    assert feed.decimals() == DECIMALS
    assert feed.description() == "BTC / USD"
    assert feed.version() == 4
    assert feed.min_submissions() == 3
    assert feed.max_deviation_bps() == 1_000
    assert feed.MAX_REPORTERS() == MAX_REPORTERS
    assert feed.owner() == owner
    assert feed.pending_owner() == ape.utils.ZERO_ADDRESS
    assert feed.reporter_count() == 3
    assert feed.is_reporter(reporter) and not feed.is_reporter(stranger)
    assert feed.latest_round() == 0
    assert tuple(feed.open_round()) == (1, 0)


def test_deploy__emits_parameters(chain, project, owner):
    f = project.ReporterFeed.deploy(DECIMALS, "ETH / USD", 2, 300, sender=owner)
    receipt = chain.get_receipt(f.txn_hash)
    assert [e.min_submissions for e in feed_events(receipt, f.MinSubmissionsSet)] == [2]
    assert [e.max_deviation_bps for e in feed_events(receipt, f.MaxDeviationSet)] == [300]


@pytest.mark.parametrize(
    "args, reason",
    [
        ((DECIMALS, 0, 100), "feed: min_submissions out of bounds"),
        ((DECIMALS, MAX_REPORTERS + 1, 100), "feed: min_submissions out of bounds"),
        ((DECIMALS, 1, 0), "feed: max_deviation out of bounds"),
        ((DECIMALS, 1, BPS + 1), "feed: max_deviation out of bounds"),
        ((19, 1, 100), "feed: decimals out of bounds"),
    ],
    ids=["min0", "min17", "dev0", "dev10001", "decimals19"],
)
def test_deploy__bad_parameters__reverts(project, owner, args, reason):
    decimals, n, dev = args
    with deploy_reverts(reason, owner):
        project.ReporterFeed.deploy(decimals, "X / USD", n, dev, sender=owner)


def test_deploy__runtime_under_eip170(project):
    assert len(project.ReporterFeed.contract_type.get_runtime_bytecode()) < EIP170


# ---------------------------------------------------------------- views before data


def test_latest_round_data__no_rounds__reverts(feed):
    with ape.reverts("feed: no data"):
        feed.latestRoundData()


@pytest.mark.parametrize("round_id", [0, 2, 2**64], ids=["zero", "open", "far"])
def test_get_round_data__unknown_round__reverts(feed_round1, round_id):
    assert tuple(feed_round1.open_round()) == (2, 0)  # round 2 is open, not final
    with ape.reverts("feed: no data"):
        feed_round1.getRoundData(round_id)
