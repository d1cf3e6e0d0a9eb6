"""ReporterFeed: `submit`: rounds, medians, guards and every revert reason."""

from __future__ import annotations

import ape
import pytest
from feed_helpers import (
    MAX_REPORTERS,
    PRICE,
    feed_events,
    feed_state,
    py_median,
)
from hypothesis import given, settings
from hypothesis import strategies as st

from rangebound.constants import BPS, MAX_ANSWER

# ---------------------------------------------------------------- rounds


def test_submit__min_one__finalises_immediately(feed1, reporter):
    tx = feed1.submit(1, PRICE, sender=reporter)
    assert feed1.latest_round() == 1
    assert tuple(feed1.latestRoundData()) == (1, PRICE, tx.timestamp, tx.timestamp, 1)
    assert tuple(feed1.getRoundData(1)) == (1, PRICE, tx.timestamp, tx.timestamp, 1)
    assert tuple(feed1.open_round()) == (2, 0)
    [new] = feed_events(tx, feed1.NewRound)
    assert (new.roundId, new.startedBy, new.startedAt) == (1, reporter, tx.timestamp)
    [rep] = feed_events(tx, feed1.ReportSubmitted)
    assert (rep.round_id, rep.reporter, rep.answer) == (1, reporter, PRICE)
    [upd] = feed_events(tx, feed1.AnswerUpdated)
    assert (upd.current, upd.roundId, upd.updatedAt) == (PRICE, 1, tx.timestamp)


def test_submit__min_three__median_after_third_report(chain, feed, reporter, reporter2, reporter3):
    tx1 = feed.submit(1, PRICE + 7, sender=reporter)
    assert [e.roundId for e in feed_events(tx1, feed.NewRound)] == [1]
    assert feed_events(tx1, feed.AnswerUpdated) == []
    assert tuple(feed.open_round()) == (1, 1)
    assert feed.has_reported(reporter) and not feed.has_reported(reporter2)
    chain.mine(deltatime=60)
    tx2 = feed.submit(1, PRICE - 3, sender=reporter2)
    assert feed_events(tx2, feed.NewRound) == [] and feed_events(tx2, feed.AnswerUpdated) == []
    assert tuple(feed.open_round()) == (1, 2)
    with ape.reverts("feed: no data"):
        feed.latestRoundData()
    chain.mine(deltatime=60)
    tx3 = feed.submit(1, PRICE, sender=reporter3)
    assert tx3.timestamp > tx1.timestamp
    assert tuple(feed.latestRoundData()) == (1, PRICE, tx1.timestamp, tx3.timestamp, 1)
    [upd] = feed_events(tx3, feed.AnswerUpdated)
    assert (upd.current, upd.roundId, upd.updatedAt) == (PRICE, 1, tx3.timestamp)
    assert tuple(feed.open_round()) == (2, 0)
    assert not feed.has_reported(reporter)


def test_submit__four_reports__even_median_rounds_down(
    feed, owner, reporter, reporter2, reporter3, reporter4
):
    feed.add_reporter(reporter4, sender=owner)
    feed.set_min_submissions(4, sender=owner)
    reports = [PRICE, PRICE + 1, PRICE + 4, PRICE + 900]  # middle pair averages to PRICE + 2.5
    for who, x in zip([reporter, reporter2, reporter3, reporter4], reports):
        feed.submit(1, x, sender=who)
    assert feed.latestRoundData()[1] == PRICE + 2 == py_median(reports)


def test_submit__even_median_at_max_answer__no_overflow(feed1, owner, reporter, reporter2):
    feed1.set_min_submissions(2, sender=owner)
    feed1.submit(1, MAX_ANSWER, sender=reporter)
    feed1.submit(1, MAX_ANSWER - 2, sender=reporter2)
    assert feed1.latestRoundData()[1] == MAX_ANSWER - 1


def test_get_round_data__past_rounds(chain, feed_round1, reporter, reporter2):
    t1 = feed_round1.latestRoundData()[3]
    chain.mine(deltatime=3_600)
    tx2 = feed_round1.submit(2, PRICE + 10, sender=reporter2)
    tx3 = feed_round1.submit(3, PRICE + 20, sender=reporter)
    assert tuple(feed_round1.getRoundData(1)) == (1, PRICE, t1, t1, 1)
    assert tuple(feed_round1.getRoundData(2)) == (2, PRICE + 10, tx2.timestamp, tx2.timestamp, 2)
    assert tuple(feed_round1.latestRoundData()) == (3, PRICE + 20, tx3.timestamp, tx3.timestamp, 3)


# ---------------------------------------------------------------- submit reverts


def test_submit__not_reporter__reverts(feed, stranger, reporter):
    before = feed_state(feed, stranger, reporter)
    with ape.reverts("feed: not reporter"):
        feed.submit(1, PRICE, sender=stranger)
    assert feed_state(feed, stranger, reporter) == before


@pytest.mark.parametrize("answer", [0, -1, -PRICE])
def test_submit__answer_not_positive__reverts(feed, reporter, answer):
    before = feed_state(feed, reporter)
    with ape.reverts("feed: answer not positive"):
        feed.submit(1, answer, sender=reporter)
    assert feed_state(feed, reporter) == before


def test_submit__answer_too_large__reverts(feed, reporter):
    before = feed_state(feed, reporter)
    with ape.reverts("feed: answer too large"):
        feed.submit(1, MAX_ANSWER + 1, sender=reporter)
    assert feed_state(feed, reporter) == before
    feed.submit(1, MAX_ANSWER, sender=reporter)  # the bound itself is accepted


@pytest.mark.parametrize("round_id", [0, 3, 2**64])
def test_submit__round_not_sequential__reverts(feed_round1, reporter, round_id):
    before = feed_state(feed_round1, reporter)
    with ape.reverts("feed: round not sequential"):
        feed_round1.submit(round_id, PRICE, sender=reporter)
    assert feed_state(feed_round1, reporter) == before


def test_submit__round_closed__reverts(feed_round1, reporter, reporter2):
    before = feed_state(feed_round1, reporter, reporter2)
    for who in (reporter, reporter2):  # min_submissions 1: round 1 is final
        with ape.reverts("feed: round closed"):
            feed_round1.submit(1, PRICE + 1, sender=who)
    assert feed_state(feed_round1, reporter, reporter2) == before
    assert feed_round1.latestRoundData()[1] == PRICE


def test_submit__already_reported__reverts(feed, reporter, reporter2):
    feed.submit(1, PRICE, sender=reporter)
    before = feed_state(feed, reporter, reporter2)
    with ape.reverts("feed: already reported"):
        feed.submit(1, PRICE + 1, sender=reporter)
    assert feed_state(feed, reporter, reporter2) == before


@pytest.mark.parametrize("sign", [1, -1], ids=["up", "down"])
def test_submit__deviation_bound__accepted_one_past_pending_not_final(feed_round1, reporter2, sign):
    """One tick past the band is not final (a pending jump); a confirmation sooner than
    JUMP_SPACING reverts "feed: deviation too large"; the bound itself is final at once."""
    bound = PRICE * 500 // BPS  # feed1: 5 % of PRICE, exact
    before = feed_state(feed_round1, reporter2)
    tx = feed_round1.submit(2, PRICE + sign * (bound + 1), sender=reporter2)
    assert [(e.answer, e.confirmations) for e in tx.events.filter(feed_round1.JumpPending)] == [
        (PRICE + sign * (bound + 1), 1)
    ]
    assert feed_state(feed_round1, reporter2) == before and feed_round1.jump_count() == 1
    with ape.reverts("feed: deviation too large"):
        feed_round1.submit(2, PRICE + sign * (bound + 1), sender=reporter2)
    feed_round1.submit(2, PRICE + sign * bound, sender=reporter2)
    assert feed_round1.latestRoundData()[1] == PRICE + sign * bound
    assert feed_round1.jump_count() == 0 and feed_round1.jump_answer() == 0   # in-band clears it


def test_submit__real_jump__final_after_spaced_confirmations(feed_round1, reporter, reporter2, chain):
    """A real 40 % crash on a 5 % band: the old feed refused every report ("feed: deviation too
    large") and stayed stale forever; now three agreeing reports JUMP_SPACING apart make it
    final, and a disagreeing report restarts the count."""
    feed = feed_round1
    spacing, need = feed.JUMP_SPACING(), feed.JUMP_CONFIRMATIONS()
    crash = PRICE * 60 // 100
    feed.submit(2, crash, sender=reporter)
    chain.mine(timestamp=chain.pending_timestamp + spacing)
    feed.submit(2, PRICE * 2, sender=reporter2)                  # disagrees: a new candidate
    assert feed.jump_count() == 1 and feed.jump_answer() == PRICE * 2
    for i in range(need):
        chain.mine(timestamp=chain.pending_timestamp + spacing)
        feed.submit(2, crash + i, sender=reporter if i % 2 else reporter2)
        assert feed.latest_round() == (1 if i < need - 1 else 2)
    rid, answer, _, _, answered = feed.latestRoundData()
    assert (rid, answer, answered) == (2, crash + need - 1, 2)
    assert feed.jump_count() == 0
    feed.submit(3, crash, sender=reporter)                       # the band now follows the crash
    assert feed.latest_round() == 3


def test_submit__jump_with_quorum__needs_another_reporter(feed, reporter, reporter2, reporter3, chain):
    """With min_submissions > 1 a reporter cannot confirm its own jump."""
    for r in (reporter, reporter2, reporter3):
        feed.submit(1, PRICE, sender=r)
    feed.submit(2, PRICE * 2, sender=reporter)
    chain.mine(timestamp=chain.pending_timestamp + feed.JUMP_SPACING())
    with ape.reverts("feed: already reported"):
        feed.submit(2, PRICE * 2, sender=reporter)
    feed.submit(2, PRICE * 2, sender=reporter2)
    assert feed.jump_count() == 2 and feed.latest_round() == 1


def test_submit__timestamp_overflow__reverts(chain, feed1, reporter):
    chain.mine(timestamp=2**32)  # year 2106
    with ape.reverts("feed: timestamp overflow"):
        feed1.submit(1, PRICE, sender=reporter)
    assert feed1.latest_round() == 0 and tuple(feed1.open_round()) == (1, 0)


def test_submit__first_round__no_deviation_reference(feed1, reporter):
    feed1.submit(1, 1, sender=reporter)
    assert feed1.latestRoundData()[1] == 1


# ---------------------------------------------------------------- median (differential)


@settings(max_examples=25)
@given(
    reports=st.lists(
        st.integers(min_value=1_000, max_value=2_000), min_size=1, max_size=MAX_REPORTERS
    )
)
def test_submit__median_matches_python(full_feed, owner, reporter_pool, reports):
    # answers in [1000, 2000] and max deviation 100 % keep every report within the guard of
    # whatever the previous example finalised; rounds carry on across examples
    n = len(reports)
    if full_feed.min_submissions() != n:
        full_feed.set_min_submissions(n, sender=owner)
    round_id = full_feed.latest_round() + 1
    for who, x in zip(reporter_pool, reports):
        full_feed.submit(round_id, x, sender=who)
    assert tuple(full_feed.latestRoundData())[:2] == (round_id, py_median(reports))
