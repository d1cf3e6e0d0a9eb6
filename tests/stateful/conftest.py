"""Stateful (hypothesis) campaign settings and the step counter.

CI runs a short, derandomised campaign. `RANGEBOUND_FUZZ=long` (what `make fuzz` sets) runs a
long seeded one; `RANGEBOUND_FUZZ_EXAMPLES`, `RANGEBOUND_FUZZ_STEPS` and `RANGEBOUND_FUZZ_SEED`
override the numbers. Every machine counts the steps it executes into `FUZZ_STATS`; the totals
are printed at the end of the session (terminal summary, visible without `-s`).
"""

from __future__ import annotations

import os
import time

import pytest
from hypothesis import HealthCheck, Phase, settings

LONG = os.environ.get("RANGEBOUND_FUZZ", "").lower() == "long"

# Per machine: CI keeps the whole tests/stateful directory inside ~3 minutes; long runs
# thousands of steps.
CI_EXAMPLES, CI_STEPS = 10, 25
LONG_EXAMPLES, LONG_STEPS = 120, 50

FUZZ_STATS: dict[str, dict[str, int | float]] = {}


def fuzz_settings(examples: int | None = None, steps: int | None = None) -> settings:
    """Hypothesis settings of one machine for the current campaign (CI or long)."""
    if LONG:
        n = int(os.environ.get("RANGEBOUND_FUZZ_EXAMPLES", LONG_EXAMPLES))
        k = int(os.environ.get("RANGEBOUND_FUZZ_STEPS", LONG_STEPS))
    else:
        n = int(os.environ.get("RANGEBOUND_FUZZ_EXAMPLES", examples or CI_EXAMPLES))
        k = int(os.environ.get("RANGEBOUND_FUZZ_STEPS", steps or CI_STEPS))
    return settings(
        max_examples=n,
        stateful_step_count=k,
        deadline=None,
        derandomize=not LONG,          # CI: the same examples every run
        database=None,                 # no hidden state between runs
        print_blob=True,
        phases=(Phase.explicit, Phase.generate, Phase.shrink, Phase.explain),
        suppress_health_check=list(HealthCheck),
        report_multiple_bugs=False,
    )


def fuzz_seed() -> int | None:
    """Seed of a long campaign (printed so a failure can be replayed), None in CI."""
    if not LONG:
        return None
    return int(os.environ.get("RANGEBOUND_FUZZ_SEED", int(time.time()) % 100_000))


def record(machine: str, **counts: float) -> None:
    """Adds counts (steps, examples, transactions, ...) of one machine to the session totals."""
    entry = FUZZ_STATS.setdefault(machine, {})
    for key, value in counts.items():
        entry[key] = entry.get(key, 0) + value


class Campaign:
    """What a machine needs from the campaign: its settings, seed and the step counter."""

    long = LONG
    settings = staticmethod(fuzz_settings)
    seed = staticmethod(fuzz_seed)
    record = staticmethod(record)
    stats = FUZZ_STATS


@pytest.fixture(scope="session")
def campaign() -> Campaign:
    return Campaign()


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    if not FUZZ_STATS:
        return
    tr = terminalreporter
    mode = "long (RANGEBOUND_FUZZ=long)" if LONG else "CI (derandomised)"
    tr.section(f"rangebound stateful campaign: {mode}")
    total = 0
    for name, counts in sorted(FUZZ_STATS.items()):
        steps = int(counts.get("steps", 0))
        total += steps
        rest = ", ".join(f"{k} {v:g}" if isinstance(v, float) else f"{k} {v}"
                         for k, v in sorted(counts.items()) if k != "steps")
        tr.write_line(f"{name}: {steps} steps ({rest})")
    tr.write_line(f"TOTAL STATEFUL STEPS EXECUTED: {total}")
