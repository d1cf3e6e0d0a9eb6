"""What the ReporterFeed tests share: units, the Python median, deploying a feed, a snapshot of
its state and its logs (tests/unit/reporter_feed/; fixtures in its conftest.py)."""

from __future__ import annotations

from rangebound.constants import MAX_REPORTERS  # noqa: F401  (the tests' bound, re-exported)

DECIMALS = 8
PRICE = 100_000 * 10**DECIMALS  # BTC / USD in feed units


def py_median(xs: list[int]) -> int:
    """The contract's median: an even count averages the two middle reports, rounded toward
    zero; every answer is positive, so Python's floor `//` is the same rounding."""
    s = sorted(xs)
    n = len(s)
    return s[n // 2] if n % 2 else (s[n // 2 - 1] + s[n // 2]) // 2


def deploy_feed(project, owner, min_submissions, max_dev_bps, reporters, description="BTC / USD"):
    feed = project.ReporterFeed.deploy(
        DECIMALS, description, min_submissions, max_dev_bps, sender=owner
    )
    for r in reporters:
        feed.add_reporter(r, sender=owner)
    return feed


def feed_state(feed, *accounts):
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


def feed_events(tx, event):
    return list(tx.decode_logs(event))
