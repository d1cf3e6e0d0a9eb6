# pragma version ~=0.4.3
"""
@title ReporterFeed
@notice A Chainlink AggregatorV3Interface price feed over a bounded set of authorised
        reporters, for local and test networks. Reporters `submit(round_id, answer)` to the one
        open round, which is always `latest_round + 1`. Once `min_submissions` reporters have
        reported on it, the round is final: its answer is the median of its reports (with an
        even count, the mean of the two middle reports rounded down, i.e. toward zero, since
        every answer is positive), `updatedAt` is the block time of the finalising report,
        `startedAt` the block time of its first report and `answeredInRound == roundId`.
        A final round is immutable: later reports on it revert with "feed: round closed".
        Rounds start at 1 and are contiguous, so every id in `1..latest_round` has data.
@custom:security Rejected: answers <= 0 or above max(int192) (Chainlink's OCR answer type),
        a round other than `latest_round + 1`, a second report by one reporter on one round.
        A report further than `max_deviation_bps` from the previous final answer (the bound
        itself is in band; the first round has no reference) never joins a median: it becomes
        a pending **jump**. A real move larger than the band is reportable (issue 12): the
        jump is final once JUMP_CONFIRMATIONS consecutive out-of-band reports agree with one
        another (each within the band of the pending answer), at least JUMP_SPACING seconds
        apart (a confirmation sooner reverts "feed: deviation too large"), from a reporter
        other than the previous confirmer when min_submissions > 1; the round then finalises
        at the last confirming answer. A disagreeing out-of-band report restarts the count;
        an in-band final round clears it. So one report can never move the feed beyond the
        band, and a real move is final within (JUMP_CONFIRMATIONS - 1) x JUMP_SPACING. The owner (two-step transfer)
        manages reporters and parameters; every setter checks bounds and emits an event.
        Reports already made on the open round stay counted if their reporter is removed.
        If fewer reporters than `min_submissions` remain, the open round waits until the
        owner adds reporters or lowers `min_submissions`; lowering it finalises an open round
        that already holds enough reports. No loop is unbounded (at most MAX_REPORTERS).
        A final round takes one storage slot, like Chainlink OCR (int192 answer, uint32
        times): finalising reverts "feed: timestamp overflow" from 2**32 s (year 2106) on.
        No external calls; the reentrancy locks only follow the project rule.
"""

from snekmate.auth import ownable
from snekmate.auth import ownable_2step

from interfaces import IAggregatorV3
from contracts.modules import constants as c

implements: IAggregatorV3

initializes: ownable
initializes: ownable_2step[ownable := ownable]

exports: (
    ownable_2step.owner,
    ownable_2step.pending_owner,
    ownable_2step.transfer_ownership,
    ownable_2step.accept_ownership,
)

MAX_REPORTERS: public(constant(uint256)) = 16   # reporters, and so reports per round
JUMP_CONFIRMATIONS: public(constant(uint256)) = 3   # agreeing out-of-band reports that make a jump final
JUMP_SPACING: public(constant(uint256)) = 300       # seconds between two counted jump reports
MAX_ANSWER: constant(int256) = 2**191 - 1       # feed units (10**decimals per unit price)
version: public(constant(uint256)) = 4           # AggregatorV3 version of this implementation

event ReportSubmitted:
    round_id: indexed(uint80)
    reporter: indexed(address)
    answer: int256

event NewRound:                                  # Chainlink: first report of a round
    roundId: indexed(uint256)
    startedBy: indexed(address)
    startedAt: uint256

event AnswerUpdated:                             # Chainlink: the round is final
    current: indexed(int256)
    roundId: indexed(uint256)
    updatedAt: uint256

event JumpPending:                               # an out-of-band report, not final yet
    round_id: indexed(uint80)
    reporter: indexed(address)
    answer: int256
    confirmations: uint256                       # agreeing out-of-band reports so far

event ReporterAdded:
    reporter: indexed(address)

event ReporterRemoved:
    reporter: indexed(address)

# @dev Emitted by `set_min_submissions` and at deployment.
event MinSubmissionsSet:
    min_submissions: uint256     # reports to finalise a round (1..MAX_REPORTERS)

# @dev Emitted by `set_max_deviation_bps` and at deployment.
event MaxDeviationSet:
    max_deviation_bps: uint256   # bps vs the previous final answer (1..BPS)

decimals: public(immutable(uint8))               # decimals of every answer
description: public(immutable(String[64]))       # e.g. "BTC / USD"

min_submissions: public(uint256)                 # reports, 1..MAX_REPORTERS, to finalise a round
max_deviation_bps: public(uint256)               # basis points, 1..BPS, vs previous final answer
is_reporter: public(HashMap[address, bool])      # authorised reporters
reporter_count: public(uint256)                  # reporters, <= MAX_REPORTERS
latest_round: public(uint80)                     # round id of the latest final round (0 = none)
rounds: HashMap[uint80, uint256]                 # per final round, one slot (as Chainlink OCR):
                                                 # answer (feed units, < 2**191) << 64
                                                 # | startedAt (unix s, uint32) << 32 | updatedAt
open_reports: DynArray[int256, MAX_REPORTERS]    # feed units, reports on round latest_round + 1
open_started_at: uint256                         # unix seconds, first report on the open round
last_reported: HashMap[address, uint80]          # round id of each reporter's last open report
jump_answer: public(int256)                      # feed units, pending out-of-band answer (0 = none)
jump_count: public(uint256)                      # agreeing out-of-band reports, < JUMP_CONFIRMATIONS
jump_last: public(uint256)                       # unix s, time of the last counted jump report
jump_reporter: public(address)                   # reporter of the last counted jump report


@deploy
def __init__(decimals_: uint8, description_: String[64], min_submissions_: uint256, max_deviation_bps_: uint256):
    """
    @notice Deploys a feed with no reporters; the deployer becomes owner.
    @param decimals_ Decimals of the answers (at most 18).
    @param description_ Human-readable pair, e.g. "BTC / USD".
    @param min_submissions_ Reports needed to finalise a round, 1..MAX_REPORTERS.
    @param max_deviation_bps_ Largest accepted move from the previous answer, 1..10000 bps.
    """
    assert decimals_ <= 18, "feed: decimals out of bounds"
    ownable.__init__()
    ownable_2step.__init__()
    decimals = decimals_
    description = description_
    self._set_min_submissions(min_submissions_)
    self._set_max_deviation_bps(max_deviation_bps_)


# ---------------------------------------------------------------- role checks

@internal
def _check_owner():
    assert msg.sender == ownable.owner, "feed: not owner"


@internal
def _check_reporter():
    assert self.is_reporter[msg.sender], "feed: not reporter"


# ---------------------------------------------------------------- AggregatorV3Interface

@view
@internal
def _round(round_id: uint80) -> (uint80, int256, uint256, uint256, uint80):
    assert round_id != 0 and round_id <= self.latest_round, "feed: no data"
    r: uint256 = self.rounds[round_id]
    return round_id, convert(r >> 64, int256), (r >> 32) % 2**32, r % 2**32, round_id


@view
@external
def getRoundData(_roundId: uint80) -> (uint80, int256, uint256, uint256, uint80):
    """
    @notice A final round: (roundId, answer, startedAt, updatedAt, answeredInRound).
    @dev Reverts "feed: no data" for round 0 and rounds not final yet.
    @param _roundId Round id, 1..latest_round.
    """
    return self._round(_roundId)


@view
@external
def latestRoundData() -> (uint80, int256, uint256, uint256, uint80):
    """
    @notice The latest final round: (roundId, answer, startedAt, updatedAt, answeredInRound).
    @dev Reverts "feed: no data" before the first round is final.
    """
    return self._round(self.latest_round)


@view
@external
def open_round() -> (uint80, uint256):
    """
    @notice The round that accepts reports (always latest_round + 1) and its report count.
    """
    return self.latest_round + 1, len(self.open_reports)


@view
@external
def has_reported(reporter: address) -> bool:
    """
    @notice Whether `reporter` has reported on the open round (a keeper's idempotency check).
    @param reporter Account to check.
    """
    return self.last_reported[reporter] == self.latest_round + 1


# ---------------------------------------------------------------- reports

@pure
@internal
def _median(reports: DynArray[int256, MAX_REPORTERS]) -> int256:
    """
    @dev Median of 1..MAX_REPORTERS positive values; an even count takes the mean of the two
         middle values rounded down (toward zero: both are positive, `a + (b - a) // 2` cannot
         overflow). Insertion sort in memory, at most MAX_REPORTERS**2 / 2 steps.
    """
    xs: DynArray[int256, MAX_REPORTERS] = reports
    n: uint256 = len(xs)
    for i: uint256 in range(1, MAX_REPORTERS):
        if i >= n:
            break
        x: int256 = xs[i]
        j: uint256 = i
        for _k: uint256 in range(MAX_REPORTERS):
            if j == 0 or xs[j - 1] <= x:
                break
            xs[j] = xs[j - 1]
            j -= 1
        xs[j] = x
    mid: uint256 = n // 2
    if n % 2 == 1:
        return xs[mid]
    return xs[mid - 1] + (xs[mid] - xs[mid - 1]) // 2


@internal
def _finalize(round_id: uint80, reports: DynArray[int256, MAX_REPORTERS], started_at: uint256):
    assert block.timestamp < 2**32, "feed: timestamp overflow"
    answer: int256 = self._median(reports)
    # 0 < answer <= MAX_ANSWER < 2**191 and started_at <= block.timestamp < 2**32: fields fit
    self.rounds[round_id] = (convert(answer, uint256) << 64) | (started_at << 32) | block.timestamp
    self.latest_round = round_id
    if len(self.open_reports) != 0:
        self.open_reports = []
    if self.jump_count != 0:
        self.jump_answer = 0
        self.jump_count = 0
        self.jump_last = 0
        self.jump_reporter = empty(address)
    log AnswerUpdated(current=answer, roundId=convert(round_id, uint256), updatedAt=block.timestamp)


@external
@nonreentrant
def submit(round_id: uint80, answer: int256):
    """
    @notice Reports `answer` for round `round_id`; the report that brings the round to
            `min_submissions` reports finalises it at the median.
    @dev Reverts "feed: not reporter", "feed: round not sequential" (0 or beyond the open
         round), "feed: round closed" (already final), "feed: answer not positive",
         "feed: answer too large", "feed: already reported", "feed: deviation too large",
         and "feed: timestamp overflow" when finalising after 2106 (rounds keep uint32 times).
    @param round_id The open round, latest_round + 1.
    @param answer Price in feed units (10**decimals per unit), > 0.
    """
    self._check_reporter()
    latest: uint80 = self.latest_round
    next_id: uint80 = latest + 1
    assert round_id != 0 and round_id <= next_id, "feed: round not sequential"
    assert round_id == next_id, "feed: round closed"
    assert answer > 0, "feed: answer not positive"
    assert answer <= MAX_ANSWER, "feed: answer too large"
    assert self.last_reported[msg.sender] != round_id, "feed: already reported"
    if latest != 0:
        prev: int256 = convert(self.rounds[latest] >> 64, int256)
        # both in (0, 2**191): no overflow; a move of exactly the bound is accepted
        move: uint256 = convert(abs(answer - prev), uint256)
        if move * c.BPS > convert(prev, uint256) * self.max_deviation_bps:
            self._jump(round_id, answer)
            return

    reports: DynArray[int256, MAX_REPORTERS] = self.open_reports
    started_at: uint256 = block.timestamp
    if len(reports) == 0:
        log NewRound(roundId=convert(round_id, uint256), startedBy=msg.sender, startedAt=block.timestamp)
    else:
        started_at = self.open_started_at
    log ReportSubmitted(round_id=round_id, reporter=msg.sender, answer=answer)
    # an open round holds < min_submissions <= MAX_REPORTERS reports, so this append fits
    reports.append(answer)
    if len(reports) >= self.min_submissions:
        self._finalize(round_id, reports, started_at)
    else:
        if len(reports) == 1:
            self.open_started_at = block.timestamp
        self.open_reports.append(answer)
        self.last_reported[msg.sender] = round_id


@internal
def _jump(round_id: uint80, answer: int256):
    """
    @dev An out-of-band report: counts towards a pending jump, which becomes the round's
         final answer at JUMP_CONFIRMATIONS agreeing reports spaced JUMP_SPACING apart.
    """
    pending: int256 = self.jump_answer
    count: uint256 = 1
    if pending != 0 and convert(abs(answer - pending), uint256) * c.BPS <= convert(pending, uint256) * self.max_deviation_bps:
        assert block.timestamp >= self.jump_last + JUMP_SPACING, "feed: deviation too large"
        assert self.min_submissions == 1 or msg.sender != self.jump_reporter, "feed: already reported"
        count = self.jump_count + 1
    log JumpPending(round_id=round_id, reporter=msg.sender, answer=answer, confirmations=count)
    if count >= JUMP_CONFIRMATIONS:
        reports: DynArray[int256, MAX_REPORTERS] = [answer]
        self._finalize(round_id, reports, block.timestamp)
        return
    self.jump_answer = answer
    self.jump_count = count
    self.jump_last = block.timestamp
    self.jump_reporter = msg.sender


# ---------------------------------------------------------------- owner

@internal
def _set_min_submissions(n: uint256):
    assert n >= 1 and n <= MAX_REPORTERS, "feed: min_submissions out of bounds"
    self.min_submissions = n
    log MinSubmissionsSet(min_submissions=n)


@internal
def _set_max_deviation_bps(bps: uint256):
    assert bps >= 1 and bps <= c.BPS, "feed: max_deviation out of bounds"
    self.max_deviation_bps = bps
    log MaxDeviationSet(max_deviation_bps=bps)


@internal
def _add_reporter(reporter: address):
    assert reporter != empty(address), "feed: zero address"
    assert not self.is_reporter[reporter], "feed: already reporter"
    assert self.reporter_count < MAX_REPORTERS, "feed: too many reporters"
    self.is_reporter[reporter] = True
    self.reporter_count += 1
    log ReporterAdded(reporter=reporter)


@internal
def _remove_reporter(reporter: address):
    assert self.is_reporter[reporter], "feed: not a reporter"
    self.is_reporter[reporter] = False
    self.reporter_count -= 1
    log ReporterRemoved(reporter=reporter)


@external
@nonreentrant
def add_reporter(reporter: address):
    """
    @notice Authorises `reporter` (owner only; at most MAX_REPORTERS).
    @dev Reverts "feed: zero address", "feed: already reporter", "feed: too many reporters".
    @param reporter Account allowed to submit.
    """
    self._check_owner()
    self._add_reporter(reporter)


@external
@nonreentrant
def remove_reporter(reporter: address):
    """
    @notice Revokes `reporter` (owner only); its report on the open round, if any, stays.
    @dev Reverts "feed: not a reporter".
    @param reporter Account to revoke.
    """
    self._check_owner()
    self._remove_reporter(reporter)


@external
@nonreentrant
def set_reporter(reporter: address, allowed: bool):
    """
    @notice Sets `reporter`'s status (owner only): add_reporter when `allowed`, else
            remove_reporter, with their checks and events.
    @param reporter Account to set.
    @param allowed True to authorise, False to revoke.
    """
    self._check_owner()
    if allowed:
        self._add_reporter(reporter)
    else:
        self._remove_reporter(reporter)


@external
@nonreentrant
def set_min_submissions(n: uint256):
    """
    @notice Sets the reports needed to finalise a round (owner only). Lowering it to or below
            the open round's report count finalises that round now.
    @dev Reverts "feed: min_submissions out of bounds" unless 1 <= n <= MAX_REPORTERS
         (and "feed: timestamp overflow" if it finalises after 2106).
    @param n Reports per round.
    """
    self._check_owner()
    self._set_min_submissions(n)
    reports: DynArray[int256, MAX_REPORTERS] = self.open_reports
    if len(reports) != 0 and len(reports) >= n:
        self._finalize(self.latest_round + 1, reports, self.open_started_at)


@external
@nonreentrant
def set_max_deviation_bps(bps: uint256):
    """
    @notice Sets the largest accepted move of a report from the previous answer (owner only).
    @dev Reverts "feed: max_deviation out of bounds" unless 1 <= bps <= 10000.
    @param bps Basis points.
    """
    self._check_owner()
    self._set_max_deviation_bps(bps)
