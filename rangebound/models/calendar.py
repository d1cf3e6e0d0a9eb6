"""Reference model of the expiry calendar (docs/architecture.md §3), mirroring contracts/modules/calendar.vy.

All times are unix seconds (UTC). A day starts at 00:00 UTC, weekday 0 = Sunday. Every expiry and
daily range update is at 08:00 UTC; the fixing window is 07:55:00-07:59:59 UTC inclusive.

At any ``now`` a market has six live expiries, each strictly after ``now``: the next Monday and the
next Wednesday (weekly series, listed 7 days before expiry) and the next four Fridays (monthly
series, 4-week life, listed 28 days before expiry, so one Friday series expires and one is listed
every Friday). At exactly 08:00 of an expiry day that expiry is no longer live.

Every function works on non-negative integers with floor division, exactly like the contract.
"""

from __future__ import annotations

from rangebound.constants import (
    DAY,
    EXPIRY_OFFSET,
    MONTHLY_LIFE,
    WEEK,
    WEEKLY_LIFE,
    WINDOW_END,
    WINDOW_START,
)

SUNDAY, MONDAY, TUESDAY, WEDNESDAY, THURSDAY, FRIDAY, SATURDAY = range(7)
EXPIRY_WEEKDAYS = (MONDAY, WEDNESDAY, FRIDAY)


def weekday(ts: int) -> int:
    """Day of the week of ``ts``, 0 = Sunday (1970-01-01 was a Thursday)."""
    return (ts // DAY + 4) % 7


def day_start(ts: int) -> int:
    """00:00 UTC of the day containing ``ts``."""
    return ts - ts % DAY


def update_time(ts: int) -> int:
    """The latest 08:00 UTC at or before ``ts``."""
    d = day_start(ts) + EXPIRY_OFFSET
    return d if ts >= d else d - DAY


def is_expiry_time(ts: int) -> bool:
    """True when ``ts`` is exactly 08:00:00 UTC on a Monday, Wednesday or Friday."""
    return ts % DAY == EXPIRY_OFFSET and weekday(ts) in EXPIRY_WEEKDAYS


def is_monthly(expiry: int) -> bool:
    """True for a Friday (monthly, 28-day) expiry."""
    return weekday(expiry) == FRIDAY


def listing_time(expiry: int) -> int:
    """When the series expiring at ``expiry`` is listed: 28 days before (Fri), else 7 days."""
    return expiry - (MONTHLY_LIFE if is_monthly(expiry) else WEEKLY_LIFE)


def _next_at(first: int, wd: int) -> int:
    """First 08:00 UTC at or after ``first`` (itself an 08:00 UTC timestamp) on weekday ``wd``."""
    return first + (wd - weekday(first)) % 7 * DAY


def live_expiries(now: int) -> list[int]:
    """The six live expiries at ``now``, ascending, each strictly after ``now``."""
    first = day_start(now) + EXPIRY_OFFSET
    if first <= now:
        first += DAY
    fri = _next_at(first, FRIDAY)
    weekly = [_next_at(first, MONDAY), _next_at(first, WEDNESDAY)]
    return sorted(weekly + [fri + i * WEEK for i in range(4)])


def window(day_start_ts: int) -> tuple[int, int]:
    """Fixing window of the day starting at ``day_start_ts``; both ends inclusive."""
    return day_start_ts + WINDOW_START, day_start_ts + WINDOW_END


def days_between(from_ts: int, to_ts: int) -> int:
    """Whole days from ``from_ts`` to ``to_ts`` (floor); ``to_ts`` must not be earlier."""
    if to_ts < from_ts:
        raise ValueError("to_ts before from_ts")
    return (to_ts - from_ts) // DAY
