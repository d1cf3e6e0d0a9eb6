"""ReporterFeed: AggregatorV3 over authorised reporters, median rounds, guards, owner setters."""

from __future__ import annotations

import ape
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rangebound.constants import BPS, MAX_ANSWER, MAX_REPORTERS

DECIMALS = 8
PRICE = 100_000 * 10**DECIMALS  # BTC / USD in feed units
EIP170 = 24_576


def py_median(xs: list[int]) -> int:
    """The contract's median: an even count averages the two middle reports, rounded toward
    zero; every answer is positive, so Python's floor `//` is the same rounding."""
    s = sorted(xs)
    n = len(s)
    return s[n // 2] if n % 2 else (s[n // 2 - 1] + s[n // 2]) // 2


# ---------------------------------------------------------------- actors


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
def stranger(accounts):
    return accounts[5]


@pytest.fixture(scope="module")
def reporter_pool(accounts, reporter, reporter2, reporter3, reporter4):
    """MAX_REPORTERS funded reporter accounts (the named ones first)."""
    pool = [reporter, reporter2, reporter3, reporter4] + [accounts[i] for i in range(6, 10)]
    while len(pool) < MAX_REPORTERS:
        extra = accounts.generate_test_account()
        extra.balance = 10**20
        pool.append(extra)
    return pool


# ---------------------------------------------------------------- feeds


def _deploy(project, owner, min_submissions, max_dev_bps, reporters, description="BTC / USD"):
    feed = project.ReporterFeed.deploy(
        DECIMALS, description, min_submissions, max_dev_bps, sender=owner
    )
    for r in reporters:
        feed.add_reporter(r, sender=owner)
    return feed


@pytest.fixture(scope="module")
def feed(project, owner, reporter, reporter2, reporter3):
    """min_submissions 3, max deviation 10 %, three reporters."""
    return _deploy(project, owner, 3, 1_000, [reporter, reporter2, reporter3])


@pytest.fixture(scope="module")
def feed1(project, owner, reporter, reporter2):
    """min_submissions 1, max deviation 5 %, two reporters."""
    return _deploy(project, owner, 1, 500, [reporter, reporter2], "USD1 / USD")


@pytest.fixture(scope="module")
def full_feed(project, owner, reporter_pool):
    """min_submissions 1, max deviation 100 %, MAX_REPORTERS reporters."""
    return _deploy(project, owner, 1, BPS, reporter_pool)


@pytest.fixture
def feed_round1(feed1, reporter):
    """feed1 with round 1 final at PRICE."""
    feed1.submit(1, PRICE, sender=reporter)
    return feed1


def _state(feed, *accounts):
    latest = feed.latest_round()
    data = tuple(feed.latestRoundData()) if latest else None
    return (
        latest,
        data,
        tuple(feed.open_round()),
        tuple(feed.has_reported(a) for a in accounts),
        tuple(feed.is_reporter(a) for a in accounts),
        feed.reporter_count(),
        feed.min_submissions(),
        feed.max_deviation_bps(),
        feed.owner(),
        feed.pending_owner(),
    )


def _events(tx, event):
    return list(tx.decode_logs(event))


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
    logs = _events(chain.get_receipt(f.txn_hash), f.ParameterSet)
    assert [(e.name, e.value) for e in logs] == [("min_submissions", 2), ("max_deviation_bps", 300)]


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
    with ape.reverts(reason):
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


# ---------------------------------------------------------------- rounds


def test_submit__min_one__finalises_immediately(feed1, reporter):
    tx = feed1.submit(1, PRICE, sender=reporter)
    assert feed1.latest_round() == 1
    assert tuple(feed1.latestRoundData()) == (1, PRICE, tx.timestamp, tx.timestamp, 1)
    assert tuple(feed1.getRoundData(1)) == (1, PRICE, tx.timestamp, tx.timestamp, 1)
    assert tuple(feed1.open_round()) == (2, 0)
    [new] = _events(tx, feed1.NewRound)
    assert (new.roundId, new.startedBy, new.startedAt) == (1, reporter, tx.timestamp)
    [rep] = _events(tx, feed1.ReportSubmitted)
    assert (rep.round_id, rep.reporter, rep.answer) == (1, reporter, PRICE)
    [upd] = _events(tx, feed1.AnswerUpdated)
    assert (upd.current, upd.roundId, upd.updatedAt) == (PRICE, 1, tx.timestamp)


def test_submit__min_three__median_after_third_report(chain, feed, reporter, reporter2, reporter3):
    tx1 = feed.submit(1, PRICE + 7, sender=reporter)
    assert [e.roundId for e in _events(tx1, feed.NewRound)] == [1]
    assert _events(tx1, feed.AnswerUpdated) == []
    assert tuple(feed.open_round()) == (1, 1)
    assert feed.has_reported(reporter) and not feed.has_reported(reporter2)
    chain.mine(deltatime=60)
    tx2 = feed.submit(1, PRICE - 3, sender=reporter2)
    assert _events(tx2, feed.NewRound) == [] and _events(tx2, feed.AnswerUpdated) == []
    assert tuple(feed.open_round()) == (1, 2)
    with ape.reverts("feed: no data"):
        feed.latestRoundData()
    chain.mine(deltatime=60)
    tx3 = feed.submit(1, PRICE, sender=reporter3)
    assert tx3.timestamp > tx1.timestamp
    assert tuple(feed.latestRoundData()) == (1, PRICE, tx1.timestamp, tx3.timestamp, 1)
    [upd] = _events(tx3, feed.AnswerUpdated)
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
    before = _state(feed, stranger, reporter)
    with ape.reverts("feed: not reporter"):
        feed.submit(1, PRICE, sender=stranger)
    assert _state(feed, stranger, reporter) == before


@pytest.mark.parametrize("answer", [0, -1, -PRICE])
def test_submit__answer_not_positive__reverts(feed, reporter, answer):
    before = _state(feed, reporter)
    with ape.reverts("feed: answer not positive"):
        feed.submit(1, answer, sender=reporter)
    assert _state(feed, reporter) == before


def test_submit__answer_too_large__reverts(feed, reporter):
    before = _state(feed, reporter)
    with ape.reverts("feed: answer too large"):
        feed.submit(1, MAX_ANSWER + 1, sender=reporter)
    assert _state(feed, reporter) == before
    feed.submit(1, MAX_ANSWER, sender=reporter)  # the bound itself is accepted


@pytest.mark.parametrize("round_id", [0, 3, 2**64])
def test_submit__round_not_sequential__reverts(feed_round1, reporter, round_id):
    before = _state(feed_round1, reporter)
    with ape.reverts("feed: round not sequential"):
        feed_round1.submit(round_id, PRICE, sender=reporter)
    assert _state(feed_round1, reporter) == before


def test_submit__round_closed__reverts(feed_round1, reporter, reporter2):
    before = _state(feed_round1, reporter, reporter2)
    for who in (reporter, reporter2):  # min_submissions 1: round 1 is final
        with ape.reverts("feed: round closed"):
            feed_round1.submit(1, PRICE + 1, sender=who)
    assert _state(feed_round1, reporter, reporter2) == before
    assert feed_round1.latestRoundData()[1] == PRICE


def test_submit__already_reported__reverts(feed, reporter, reporter2):
    feed.submit(1, PRICE, sender=reporter)
    before = _state(feed, reporter, reporter2)
    with ape.reverts("feed: already reported"):
        feed.submit(1, PRICE + 1, sender=reporter)
    assert _state(feed, reporter, reporter2) == before


@pytest.mark.parametrize("sign", [1, -1], ids=["up", "down"])
def test_submit__deviation_bound__accepted_one_past_pending_not_final(feed_round1, reporter2, sign):
    """One tick past the band is not final (a pending jump); a confirmation sooner than
    JUMP_SPACING reverts "feed: deviation too large"; the bound itself is final at once."""
    bound = PRICE * 500 // BPS  # feed1: 5 % of PRICE, exact
    before = _state(feed_round1, reporter2)
    tx = feed_round1.submit(2, PRICE + sign * (bound + 1), sender=reporter2)
    assert [(e.answer, e.confirmations) for e in tx.events.filter(feed_round1.JumpPending)] == [
        (PRICE + sign * (bound + 1), 1)
    ]
    assert _state(feed_round1, reporter2) == before and feed_round1.jump_count() == 1
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
    before = _state(feed, stranger)
    with ape.reverts("feed: not owner"):
        call(feed, stranger)
    assert _state(feed, stranger) == before


# ---------------------------------------------------------------- owner: reporters


def test_add_reporter__authorises_and_emits(feed, owner, stranger):
    tx = feed.add_reporter(stranger, sender=owner)
    assert [e.reporter for e in _events(tx, feed.ReporterAdded)] == [stranger]
    assert feed.is_reporter(stranger) and feed.reporter_count() == 4
    feed.submit(1, PRICE, sender=stranger)


def test_remove_reporter__revokes_and_emits(feed, owner, reporter):
    tx = feed.remove_reporter(reporter, sender=owner)
    assert [e.reporter for e in _events(tx, feed.ReporterRemoved)] == [reporter]
    assert not feed.is_reporter(reporter) and feed.reporter_count() == 2
    with ape.reverts("feed: not reporter"):
        feed.submit(1, PRICE, sender=reporter)


def test_set_reporter__both_ways(feed, owner, stranger):
    tx = feed.set_reporter(stranger, True, sender=owner)
    assert [e.reporter for e in _events(tx, feed.ReporterAdded)] == [stranger]
    tx = feed.set_reporter(stranger, False, sender=owner)
    assert [e.reporter for e in _events(tx, feed.ReporterRemoved)] == [stranger]
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
    before = _state(feed, reporter, stranger)
    with ape.reverts(reason):
        call(feed, target, owner)
    assert _state(feed, reporter, stranger) == before


def test_add_reporter__too_many__reverts(full_feed, owner, stranger):
    assert full_feed.reporter_count() == MAX_REPORTERS
    before = _state(full_feed, stranger)
    with ape.reverts("feed: too many reporters"):
        full_feed.add_reporter(stranger, sender=owner)
    assert _state(full_feed, stranger) == before


# ---------------------------------------------------------------- owner: parameters


def test_set_min_submissions__sets_and_emits(feed, owner):
    tx = feed.set_min_submissions(MAX_REPORTERS, sender=owner)
    assert feed.min_submissions() == MAX_REPORTERS
    assert [(e.name, e.value) for e in _events(tx, feed.ParameterSet)] == [
        ("min_submissions", MAX_REPORTERS)
    ]


def test_set_max_deviation_bps__sets_and_emits(feed, owner):
    for bps in (1, BPS):
        tx = feed.set_max_deviation_bps(bps, sender=owner)
        assert feed.max_deviation_bps() == bps
        assert [(e.name, e.value) for e in _events(tx, feed.ParameterSet)] == [
            ("max_deviation_bps", bps)
        ]


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
    before = _state(feed)
    with ape.reverts(reason):
        getattr(feed, setter)(value, sender=owner)
    assert _state(feed) == before


def test_set_min_submissions__lowered__finalises_open_round(
    chain, feed, owner, reporter, reporter2
):
    tx1 = feed.submit(1, PRICE, sender=reporter)
    feed.submit(1, PRICE + 10, sender=reporter2)
    chain.mine(deltatime=60)
    tx = feed.set_min_submissions(2, sender=owner)
    [upd] = _events(tx, feed.AnswerUpdated)
    assert (upd.current, upd.roundId) == (PRICE + 5, 1)
    assert tuple(feed.latestRoundData()) == (1, PRICE + 5, tx1.timestamp, tx.timestamp, 1)
    assert tuple(feed.open_round()) == (2, 0)


def test_set_min_submissions__raised__keeps_round_open(feed, owner, reporter):
    feed.submit(1, PRICE, sender=reporter)
    tx = feed.set_min_submissions(4, sender=owner)
    assert _events(tx, feed.AnswerUpdated) == []
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
