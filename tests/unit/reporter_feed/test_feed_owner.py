"""ReporterFeed: owner setters (reporters, parameters) and two-step ownership."""

from __future__ import annotations

import ape
import pytest
from feed_helpers import (
    MAX_REPORTERS,
    PRICE,
    feed_events,
    feed_state,
)

from rangebound.constants import BPS

# ---------------------------------------------------------------- owner: access


@pytest.mark.parametrize(
    "call",
    [
        lambda f, who: f.add_reporter(who, sender=who),
        lambda f, who: f.remove_reporter(who, sender=who),
        lambda f, who: f.set_reporter(who, True, sender=who),
        lambda f, who: f.set_min_submissions(1, sender=who),
        lambda f, who: f.set_max_deviation_bps(100, sender=who),
    ],
    ids=[
        "add_reporter",
        "remove_reporter",
        "set_reporter",
        "set_min_submissions",
        "set_max_deviation_bps",
    ],
)
def test_owner_setters__not_owner__reverts(feed, stranger, call):
    before = feed_state(feed, stranger)
    with ape.reverts("feed: not owner"):
        call(feed, stranger)
    assert feed_state(feed, stranger) == before


# ---------------------------------------------------------------- owner: reporters


def test_add_reporter__authorises_and_emits(feed, owner, stranger):
    tx = feed.add_reporter(stranger, sender=owner)
    assert [e.reporter for e in feed_events(tx, feed.ReporterAdded)] == [stranger]
    assert feed.is_reporter(stranger) and feed.reporter_count() == 4
    feed.submit(1, PRICE, sender=stranger)


def test_remove_reporter__revokes_and_emits(feed, owner, reporter):
    tx = feed.remove_reporter(reporter, sender=owner)
    assert [e.reporter for e in feed_events(tx, feed.ReporterRemoved)] == [reporter]
    assert not feed.is_reporter(reporter) and feed.reporter_count() == 2
    with ape.reverts("feed: not reporter"):
        feed.submit(1, PRICE, sender=reporter)


def test_set_reporter__both_ways(feed, owner, stranger):
    tx = feed.set_reporter(stranger, True, sender=owner)
    assert [e.reporter for e in feed_events(tx, feed.ReporterAdded)] == [stranger]
    tx = feed.set_reporter(stranger, False, sender=owner)
    assert [e.reporter for e in feed_events(tx, feed.ReporterRemoved)] == [stranger]
    assert not feed.is_reporter(stranger) and feed.reporter_count() == 3


def test_remove_reporter__report_on_open_round_still_counts(
    feed, owner, reporter, reporter2, reporter4
):
    feed.submit(1, PRICE - 50, sender=reporter)
    feed.remove_reporter(reporter, sender=owner)
    feed.add_reporter(reporter4, sender=owner)
    feed.submit(1, PRICE, sender=reporter2)
    feed.submit(1, PRICE + 50, sender=reporter4)
    assert feed.latestRoundData()[1] == PRICE


@pytest.mark.parametrize(
    "who, call, reason",
    [
        ("zero", lambda f, a, o: f.add_reporter(a, sender=o), "feed: zero address"),
        ("reporter", lambda f, a, o: f.add_reporter(a, sender=o), "feed: already reporter"),
        ("reporter", lambda f, a, o: f.set_reporter(a, True, sender=o), "feed: already reporter"),
        ("stranger", lambda f, a, o: f.remove_reporter(a, sender=o), "feed: not a reporter"),
        ("stranger", lambda f, a, o: f.set_reporter(a, False, sender=o), "feed: not a reporter"),
    ],
    ids=["add_zero", "add_twice", "set_twice", "remove_stranger", "unset_stranger"],
)
def test_reporter_setters__invalid__reverts(feed, owner, reporter, stranger, who, call, reason):
    target = {"zero": ape.utils.ZERO_ADDRESS, "reporter": reporter, "stranger": stranger}[who]
    before = feed_state(feed, reporter, stranger)
    with ape.reverts(reason):
        call(feed, target, owner)
    assert feed_state(feed, reporter, stranger) == before


def test_add_reporter__too_many__reverts(full_feed, owner, stranger):
    assert full_feed.reporter_count() == MAX_REPORTERS
    before = feed_state(full_feed, stranger)
    with ape.reverts("feed: too many reporters"):
        full_feed.add_reporter(stranger, sender=owner)
    assert feed_state(full_feed, stranger) == before


# ---------------------------------------------------------------- owner: parameters


def test_set_min_submissions__sets_and_emits(feed, owner):
    tx = feed.set_min_submissions(MAX_REPORTERS, sender=owner)
    assert feed.min_submissions() == MAX_REPORTERS
    assert [(e.event_name, e.min_submissions) for e in tx.events] == [("MinSubmissionsSet", MAX_REPORTERS)]


def test_set_max_deviation_bps__sets_and_emits(feed, owner):
    for bps in (1, BPS):
        tx = feed.set_max_deviation_bps(bps, sender=owner)
        assert feed.max_deviation_bps() == bps
        assert [(e.event_name, e.max_deviation_bps) for e in tx.events] == [("MaxDeviationSet", bps)]


@pytest.mark.parametrize(
    "setter, value, reason",
    [
        ("set_min_submissions", 0, "feed: min_submissions out of bounds"),
        ("set_min_submissions", MAX_REPORTERS + 1, "feed: min_submissions out of bounds"),
        ("set_max_deviation_bps", 0, "feed: max_deviation out of bounds"),
        ("set_max_deviation_bps", BPS + 1, "feed: max_deviation out of bounds"),
    ],
    ids=["min0", "min17", "dev0", "dev10001"],
)
def test_parameter_setters__out_of_bounds__reverts(feed, owner, setter, value, reason):
    before = feed_state(feed)
    with ape.reverts(reason):
        getattr(feed, setter)(value, sender=owner)
    assert feed_state(feed) == before


def test_set_min_submissions__lowered__finalises_open_round(
    chain, feed, owner, reporter, reporter2
):
    tx1 = feed.submit(1, PRICE, sender=reporter)
    feed.submit(1, PRICE + 10, sender=reporter2)
    chain.mine(deltatime=60)
    tx = feed.set_min_submissions(2, sender=owner)
    [upd] = feed_events(tx, feed.AnswerUpdated)
    assert (upd.current, upd.roundId) == (PRICE + 5, 1)
    assert tuple(feed.latestRoundData()) == (1, PRICE + 5, tx1.timestamp, tx.timestamp, 1)
    assert tuple(feed.open_round()) == (2, 0)


def test_set_min_submissions__raised__keeps_round_open(feed, owner, reporter):
    feed.submit(1, PRICE, sender=reporter)
    tx = feed.set_min_submissions(4, sender=owner)
    assert feed_events(tx, feed.AnswerUpdated) == []
    assert tuple(feed.open_round()) == (1, 1) and feed.latest_round() == 0


# ---------------------------------------------------------------- ownership (two-step)


def test_ownership__two_step_transfer(feed, owner, stranger, reporter4):
    with ape.reverts("ownable: caller is not the owner"):
        feed.transfer_ownership(stranger, sender=stranger)
    feed.transfer_ownership(stranger, sender=owner)
    assert feed.owner() == owner and feed.pending_owner() == stranger
    feed.add_reporter(reporter4, sender=owner)  # still the owner until accepted
    with ape.reverts("ownable_2step: caller is not the new owner"):
        feed.accept_ownership(sender=reporter4)
    feed.accept_ownership(sender=stranger)
    assert feed.owner() == stranger and feed.pending_owner() == ape.utils.ZERO_ADDRESS
    with ape.reverts("feed: not owner"):
        feed.remove_reporter(reporter4, sender=owner)
    feed.remove_reporter(reporter4, sender=stranger)
