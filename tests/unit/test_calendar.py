"""Calendar: contracts/modules/calendar.vy (through MathHarness) against rangebound.calendar."""

from __future__ import annotations

from datetime import UTC, datetime

import ape
from hypothesis import given, settings
from hypothesis import strategies as st

from rangebound.models import calendar as cal

SETTINGS = settings(max_examples=60)

# 2020-01-01 .. 2100-01-01
TS = st.integers(min_value=1_577_836_800, max_value=4_102_444_800)


def utc(y: int, mo: int, d: int, h: int = 0, mi: int = 0, s: int = 0) -> int:
    return int(datetime(y, mo, d, h, mi, s, tzinfo=UTC).timestamp())


HARNESS = "MathHarness"  # deployed by the `harness` fixture (tests/unit/conftest.py)


def check_all_functions(harness, ts: int) -> None:
    """Every calendar function at ``ts``: contract == reference."""
    assert harness.weekday(ts) == cal.weekday(ts)
    assert harness.day_start(ts) == cal.day_start(ts)
    assert harness.update_time(ts) == cal.update_time(ts)
    assert harness.is_expiry_time(ts) == cal.is_expiry_time(ts)
    assert harness.is_monthly(ts) == cal.is_monthly(ts)
    assert harness.listing_time(ts) == cal.listing_time(ts)
    assert list(harness.live_expiries(ts)) == cal.live_expiries(ts)
    assert tuple(harness.window(cal.day_start(ts))) == cal.window(cal.day_start(ts))


def check_live_set(now: int, live: list[int]) -> None:
    """Six expiries, ascending, strictly after now, one Mon, one Wed, four Fri, all listed."""
    assert len(live) == 6
    assert live == sorted(set(live))
    assert all(e > now for e in live)
    assert all(cal.is_expiry_time(e) for e in live)
    days = [cal.weekday(e) for e in live]
    assert days.count(cal.MONDAY) == 1
    assert days.count(cal.WEDNESDAY) == 1
    assert days.count(cal.FRIDAY) == 4
    # every live series has already been listed, and nothing listed and unexpired is missing
    assert all(cal.listing_time(e) <= now for e in live)
    first = cal.update_time(now) + cal.DAY
    for e in range(first, first + 35 * cal.DAY, cal.DAY):
        if cal.is_expiry_time(e) and cal.listing_time(e) <= now:
            assert e in live


def test_weekday__epoch_was_a_thursday(harness):
    assert harness.weekday(0) == cal.THURSDAY == 4
    assert harness.weekday(utc(2026, 11, 22)) == cal.SUNDAY
    assert harness.weekday(utc(2026, 11, 23, 23, 59, 59)) == cal.MONDAY
    assert harness.weekday(utc(2026, 11, 27, 8)) == cal.FRIDAY


def test_live_expiries__design_example__sunday_noon(harness):
    now = utc(2026, 11, 22, 12)
    expected = [
        utc(2026, 11, 23, 8),
        utc(2026, 11, 25, 8),
        utc(2026, 11, 27, 8),
        utc(2026, 12, 4, 8),
        utc(2026, 12, 11, 8),
        utc(2026, 12, 18, 8),
    ]
    assert cal.live_expiries(now) == expected
    assert list(harness.live_expiries(now)) == expected


def test_live_expiries__design_example__monday_0800_rolls_to_next_monday(harness):
    now = utc(2026, 11, 23, 8)
    live = list(harness.live_expiries(now))
    assert utc(2026, 11, 23, 8) not in live
    assert live[0] == utc(2026, 11, 25, 8)
    assert utc(2026, 11, 30, 8) in live
    assert live == cal.live_expiries(now)
    # one second earlier the Monday is still live
    assert harness.live_expiries(now - 1)[0] == utc(2026, 11, 23, 8)


def test_live_expiries__friday_0800__one_monthly_expires_one_listed(harness):
    fri = utc(2026, 11, 27, 8)
    before = list(harness.live_expiries(fri - 1))
    after = list(harness.live_expiries(fri))
    assert fri in before and fri not in after
    fridays_before = [e for e in before if cal.is_monthly(e)]
    fridays_after = [e for e in after if cal.is_monthly(e)]
    assert fridays_after == fridays_before[1:] + [fri + 28 * cal.DAY]
    assert harness.listing_time(fri + 28 * cal.DAY) == fri


def test_calendar__every_weekday_around_0800__matches_reference(harness):
    monday = utc(2026, 11, 23, 8)
    for day in range(7):
        expiry_like = monday + day * cal.DAY
        start = cal.day_start(expiry_like)
        win_lo, win_hi = cal.window(start)
        for ts in (
            expiry_like - 1,
            expiry_like,
            expiry_like + 1,
            start,
            start - 1,
            win_lo - 1,
            win_lo,
            win_hi,
            win_hi + 1,
        ):
            check_all_functions(harness, ts)
            check_live_set(ts, cal.live_expiries(ts))


def test_is_expiry_time__only_mon_wed_fri_exactly_0800(harness):
    monday = utc(2026, 11, 23, 8)
    for day in range(7):
        ts = monday + day * cal.DAY
        expected = cal.weekday(ts) in (cal.MONDAY, cal.WEDNESDAY, cal.FRIDAY)
        assert harness.is_expiry_time(ts) is expected
        assert harness.is_expiry_time(ts - 1) is False
        assert harness.is_expiry_time(ts + 1) is False


def test_listing_time__weekly_7_days__monthly_28_days(harness):
    mon, wed, fri = utc(2026, 11, 23, 8), utc(2026, 11, 25, 8), utc(2026, 11, 27, 8)
    assert harness.listing_time(mon) == mon - 7 * cal.DAY
    assert harness.listing_time(wed) == wed - 7 * cal.DAY
    assert harness.listing_time(fri) == fri - 28 * cal.DAY
    assert harness.is_monthly(fri) and not harness.is_monthly(mon) and not harness.is_monthly(wed)


def test_window__0755_to_075959_inclusive(harness):
    start = utc(2026, 11, 23)
    assert tuple(harness.window(start)) == (utc(2026, 11, 23, 7, 55), utc(2026, 11, 23, 7, 59, 59))
    assert cal.window(start)[1] < harness.update_time(utc(2026, 11, 23, 8))


def test_update_time__latest_0800_at_or_before(harness):
    assert harness.update_time(utc(2026, 11, 23, 8)) == utc(2026, 11, 23, 8)
    assert harness.update_time(utc(2026, 11, 23, 7, 59, 59)) == utc(2026, 11, 22, 8)
    assert harness.update_time(utc(2026, 11, 23, 23, 59, 59)) == utc(2026, 11, 23, 8)


def test_days_between__whole_days(harness):
    a = utc(2026, 11, 23, 8)
    assert harness.days_between(a, a) == 0
    assert harness.days_between(a, a + 28 * cal.DAY) == 28
    assert harness.days_between(a, a + cal.DAY - 1) == 0
    assert cal.days_between(a, a + 3 * cal.DAY + 5) == 3
    with ape.reverts():
        harness.days_between(a + 1, a)


@SETTINGS
@given(now=TS)
def test_live_expiries__random_now__matches_reference_and_invariants(harness, now):
    live = list(harness.live_expiries(now))
    assert live == cal.live_expiries(now)
    check_live_set(now, live)


@settings(SETTINGS, max_examples=40)
@given(ts=TS)
def test_calendar__random_ts__all_functions_match_reference(harness, ts):
    check_all_functions(harness, ts)
    assert harness.days_between(cal.update_time(ts), ts) == 0
    assert cal.update_time(ts) <= ts < cal.update_time(ts) + cal.DAY
