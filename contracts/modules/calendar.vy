# pragma version ~=0.4.3
"""
@title Rangebound calendar
@notice Pure calendar maths for the six-expiry rolling schedule (docs/architecture.md §3).
        Time is unix seconds, UTC; a day starts at 00:00 UTC; weekday 0 = Sunday.
        Every expiry and every daily range update is at 08:00 UTC. The fixing window of a
        day is 07:55:00-07:59:59 UTC inclusive.
        Live set at any `now`: the next Monday and the next Wednesday (weekly series, listed
        7 days before expiry) and the next four Fridays (monthly series, 4-week life, listed
        28 days before expiry), each at 08:00 UTC and strictly after `now`. At exactly 08:00
        of an expiry day that expiry is no longer live (it is due for settlement) and its
        successor is. This is the deliberate reading of "2 weekly (Mon/Wed) + 4 monthly
        (Fridays), 4-week duration": one Friday series expires and one is listed every Friday.
        Python mirror: `rangebound/models/calendar.py`.
@custom:security Pure functions, no state. Every division below is a floor division of
        non-negative integers (calendar arithmetic is exact; nothing is rounded in anyone's
        favour). Timestamps before 1970-01-01 08:00 UTC are not supported by `_update_time`
        (it would underflow and revert).
"""

from contracts.modules import constants as c

MONDAY: constant(uint256) = 1
WEDNESDAY: constant(uint256) = 3
FRIDAY: constant(uint256) = 5


@internal
@pure
def _weekday(ts: uint256) -> uint256:
    """
    @notice Day of the week of `ts`, 0 = Sunday ... 6 = Saturday (1970-01-01 was a Thursday).
    """
    # floor division: whole days since the epoch
    return (ts // c.DAY + 4) % 7


@internal
@pure
def _day_start(ts: uint256) -> uint256:
    """
    @notice 00:00 UTC of the day containing `ts`.
    """
    return ts - ts % c.DAY


@internal
@pure
def _update_time(ts: uint256) -> uint256:
    """
    @notice The latest 08:00 UTC at or before `ts` (the daily update this moment belongs to).
    """
    d: uint256 = self._day_start(ts)
    if ts >= d + c.EXPIRY_OFFSET:
        return d + c.EXPIRY_OFFSET
    return d + c.EXPIRY_OFFSET - c.DAY


@internal
@pure
def _is_expiry_time(ts: uint256) -> bool:
    """
    @notice True when `ts` is exactly 08:00:00 UTC on a Monday, Wednesday or Friday.
    """
    if ts % c.DAY != c.EXPIRY_OFFSET:
        return False
    wd: uint256 = self._weekday(ts)
    return wd == MONDAY or wd == WEDNESDAY or wd == FRIDAY


@internal
@pure
def _is_monthly(expiry: uint256) -> bool:
    """
    @notice True for a Friday expiry (monthly series, 28-day life); Mon/Wed are weekly.
    """
    return self._weekday(expiry) == FRIDAY


@internal
@pure
def _listing_time(expiry: uint256) -> uint256:
    """
    @notice When the series expiring at `expiry` is listed: 28 days before a Friday expiry,
            7 days before a Monday or Wednesday expiry.
    """
    if self._is_monthly(expiry):
        return expiry - c.MONTHLY_LIFE
    return expiry - c.WEEKLY_LIFE


@internal
@pure
def _next_at(first: uint256, weekday: uint256) -> uint256:
    """
    @dev The first 08:00 UTC at or after `first` falling on `weekday`; `first` is itself an
         08:00 UTC timestamp.
    """
    # (weekday - wd) mod 7 without underflow
    delta: uint256 = (weekday + 7 - self._weekday(first)) % 7
    return first + delta * c.DAY


@internal
@pure
def _live_expiries(now: uint256) -> DynArray[uint256, 6]:
    """
    @notice The six live expiries at `now`, ascending: next Monday, next Wednesday and the
            next four Fridays, at 08:00 UTC, each strictly after `now`.
    """
    # first 08:00 UTC strictly after now
    first: uint256 = self._day_start(now) + c.EXPIRY_OFFSET
    if first <= now:
        first += c.DAY
    mon: uint256 = self._next_at(first, MONDAY)
    wed: uint256 = self._next_at(first, WEDNESDAY)
    fri: uint256 = self._next_at(first, FRIDAY)
    # mon, wed, fri are distinct and all within [first, first + 6 days]; the three later
    # Fridays are more than 7 days after `first`, so only the first three need sorting.
    lo: uint256 = min(min(mon, wed), fri)
    hi: uint256 = max(max(mon, wed), fri)
    mid: uint256 = mon + wed + fri - lo - hi
    return [lo, mid, hi, fri + c.WEEK, fri + 2 * c.WEEK, fri + 3 * c.WEEK]


@internal
@pure
def _window(day_start: uint256) -> (uint256, uint256):
    """
    @notice Fixing window of the day starting at `day_start` (00:00 UTC):
            [day_start + 07:55:00, day_start + 07:59:59], both ends inclusive.
    """
    return day_start + c.WINDOW_START, day_start + c.WINDOW_END


@internal
@pure
def _days_between(from_ts: uint256, to_ts: uint256) -> uint256:
    """
    @notice Whole days from `from_ts` to `to_ts` (floor); reverts if `to_ts < from_ts`.
            Between two 08:00 UTC timestamps this is exact.
    """
    # floor division: partial days do not count
    return (to_ts - from_ts) // c.DAY
