"""The package's shape (docs/architecture.md, "The Python package"): public names import, the
layers exist, one definition of every shared constant and it agrees with the contracts, the
size rules hold, nobody imports the flat pre-layer paths."""

from __future__ import annotations

import importlib
import re
import subprocess
import sys
from pathlib import Path

import pytest

import rangebound
from rangebound import constants as c

ROOT = Path(__file__).resolve().parents[2]


def test_public_names__import__are_their_layer_modules():
    out = subprocess.run(
        [sys.executable, "-c", ("import rangebound.calendar, rangebound.ranges, "
         "rangebound.margin, rangebound.deploy, sys; print('ape' in sys.modules)")],
        capture_output=True, text=True, check=True, cwd=ROOT,
    )
    assert out.stdout.strip() == "True"          # deploy brings ape; the models alone do not
    for name, target in rangebound.PUBLIC.items():
        assert importlib.import_module(f"rangebound.{name}") is importlib.import_module(target)


def test_reference_models__import__without_ape():
    code = ("import sys, rangebound.calendar, rangebound.ranges, rangebound.margin, "
            "rangebound.quant.pricing; print('ape' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=ROOT)
    assert out.stdout.strip() == "False"


def test_layers__tree__holds_every_module():
    top = sorted(p.name for p in (ROOT / "rangebound").iterdir() if p.suffix == ".py")
    assert top == ["__init__.py", "constants.py"]
    layers = sorted(p.name for p in (ROOT / "rangebound").iterdir()
                    if p.is_dir() and p.name != "__pycache__")
    assert layers == ["dev", "models", "ops", "quant"]


def test_legacy_paths__code__imports_none_of_them():
    legacy = "|".join(rangebound.LEGACY)
    pattern = re.compile(rf"(from rangebound import ({legacy})\b|rangebound\.({legacy})\b)")
    files = [p for d in ("rangebound", "scripts", "tests", "tools")
             for p in (ROOT / d).rglob("*.py")] + [ROOT / "ape_console_extras.py"]
    hits = [f"{p.relative_to(ROOT)}: {m[0]}" for p in files if p.name != "__init__.py"
            for m in pattern.finditer(p.read_text())]
    assert hits == []


def test_constants__sources__match_the_contract_literals():
    assert (c.FUTURE, c.CALL, c.PUT, c.POST_ONLY, c.IOC) == (0, 1, 2, 1, 2)   # public (§14)
    assert c.CANCEL_REASONS == {1: "owner", 2: "ioc", 3: "self_trade", 4: "stale", 5: "dead",
                                6: "max_fills", 7: "reduce_only", 8: "legs", 9: "series",
                                10: "position_cap", 11: "oi_cap", 12: "collateral"}
    assert c.WINDOW_END == 7 * 3600 + 59 * 60 + 59 and c.MAX_PRICE_INDEX == 255 * 255
    assert (c.MAX_GUARD_BPS, c.EXPIRY_GUARD_BPS) == (100, 25)     # SeriesRegistry, private


def test_constants__read_constants__refuses_what_it_cannot_evaluate(tmp_path, monkeypatch):
    (tmp_path / "X.vy").write_text("A: constant(uint256) = 2**8\nB: constant(uint256) = foo(A)\n")
    monkeypatch.setattr(c, "CONTRACTS", tmp_path)
    with pytest.raises(ValueError, match="not a constant expression"):
        c.read_constants("X.vy")


def test_constants__public_getters__equal_the_deployed_values(system):
    book, ch = system.markets["BTC"].book, system.clearinghouse
    assert (book.MAX_FILLS(), book.MAX_SWEEP(), book.MAX_DEPTH(), system.lens.MAX_QUEUE()) == (
        c.MAX_FILLS, c.MAX_SWEEP, c.MAX_DEPTH, c.MAX_QUEUE)
    assert (ch.MAX_OPEN_SERIES(), ch.MAX_FEE_BPS()) == (c.MAX_OPEN_SERIES, c.MAX_FEE_BPS)
    assert (ch.DEFAULT_OI_CAP(), ch.DEFAULT_POSITION_CAP()) == (
        c.DEFAULT_OI_CAP, c.DEFAULT_POSITION_CAP)
    assert system.feeds["BTC/USD"].MAX_REPORTERS() == c.MAX_REPORTERS


def test_variance_clamp__ranges_and_deploy__agree():
    from rangebound import deploy, ranges

    assert ranges.V_MIN == deploy.DEFAULTS["vol_min"] ** 2
    assert ranges.V_MAX == deploy.DEFAULTS["vol_max"] ** 2
    assert (ranges.K, ranges.M, ranges.LAMBDA) == (
        deploy.DEFAULTS["k"], deploy.DEFAULTS["m"], deploy.DEFAULTS["lam"])


def test_size_rules__code_base__hold():
    sys.path.insert(0, str(ROOT / "tools"))
    try:
        import check_sizes
    finally:
        sys.path.pop(0)
    assert check_sizes.breaches(ROOT) == []
