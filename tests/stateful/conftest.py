"""Stateful (hypothesis) campaign: the state machines' size per hypothesis profile, and the
step counter.

The profile (`ci` or `long`, registered in tests/conftest.py) decides how much runs: CI a short,
derandomised campaign; `RANGEBOUND_FUZZ=long` (what `make fuzz` sets) a long seeded one.
`RANGEBOUND_FUZZ_EXAMPLES`, `RANGEBOUND_FUZZ_STEPS` and `RANGEBOUND_FUZZ_SEED` override the
numbers. Every machine counts the steps it executes into `FUZZ_STATS`; the totals are printed
at the end of the session (terminal summary, visible without `-s`).
"""

from __future__ import annotations

import os
import time
from types import SimpleNamespace

import pytest
from hypothesis import HealthCheck, Phase, settings

# examples and steps per machine and profile: CI keeps the whole tests/stateful directory
# inside ~3 minutes; long runs thousands of steps
SIZES = {"ci": (10, 25), "long": (120, 50)}

FUZZ_STATS: dict[str, dict[str, int | float]] = {}


def _profile() -> str:
    return "long" if os.environ.get("RANGEBOUND_FUZZ", "").lower() == "long" else "ci"


def fuzz_settings(examples: int | None = None, steps: int | None = None,
                  long: tuple[int, int] | None = None) -> settings:
    """Settings of one machine: the active profile, sized for state machines (a machine may ask
    for its own CI size, and `long` for its own long size; the environment overrides win)."""
    profile = _profile()
    n, k = SIZES[profile]
    if profile == "ci":
        n, k = examples or n, steps or k
    elif long is not None:
        n, k = long
    return settings(
        settings.get_profile(profile),
        max_examples=int(os.environ.get("RANGEBOUND_FUZZ_EXAMPLES", n)),
        stateful_step_count=int(os.environ.get("RANGEBOUND_FUZZ_STEPS", k)),
        phases=(Phase.explicit, Phase.generate, Phase.shrink, Phase.explain),
        suppress_health_check=list(HealthCheck),
        report_multiple_bugs=False,
    )


def fuzz_seed() -> int | None:
    """Seed of a long campaign (printed so a failure can be replayed), None in CI."""
    if _profile() != "long":
        return None
    return int(os.environ.get("RANGEBOUND_FUZZ_SEED", int(time.time()) % 100_000))


def record(machine: str, **counts: float) -> None:
    """Adds counts (steps, examples, transactions, ...) of one machine to the session totals."""
    entry = FUZZ_STATS.setdefault(machine, {})
    for key, value in counts.items():
        entry[key] = entry.get(key, 0) + value


@pytest.fixture(scope="session")
def campaign() -> SimpleNamespace:
    """What a machine asks of the campaign: settings, seed, the step counter and its totals."""
    return SimpleNamespace(long=_profile() == "long", settings=fuzz_settings, seed=fuzz_seed,
                           record=record, stats=FUZZ_STATS)


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    if not FUZZ_STATS:
        return
    tr = terminalreporter
    mode = "long (RANGEBOUND_FUZZ=long)" if _profile() == "long" else "CI (derandomised)"
    tr.section(f"rangebound stateful campaign: {mode}")
    total = 0
    for name, counts in sorted(FUZZ_STATS.items()):
        steps = int(counts.get("steps", 0))
        total += steps
        rest = ", ".join(f"{k} {v:g}" if isinstance(v, float) else f"{k} {v}"
                         for k, v in sorted(counts.items()) if k != "steps")
        tr.write_line(f"{name}: {steps} steps ({rest})")
    tr.write_line(f"TOTAL STATEFUL STEPS EXECUTED: {total}")
