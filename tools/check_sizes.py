"""Size rules of the code base (docs/architecture.md, "Size rules"): every module of
rangebound/ under 600 lines, every Python function (rangebound/, scripts/, tests/, tools/) and
every Vyper function (contracts/) under 80 lines. `make lint` runs it; so does
tests/unit/test_layout.py. Exit status 1 and one line per breach when a rule is broken; there
are no waivers.
"""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MAX_MODULE_LINES = 600
MAX_FUNCTION_LINES = 80
PY_DIRS = ("rangebound", "scripts", "tests", "tools")


def python_functions(path: Path) -> list[tuple[str, int]]:
    """(name, lines) of every function and method of a Python file, decorators excluded."""
    tree = ast.parse(path.read_text())
    return [(n.name, n.end_lineno - n.lineno + 1) for n in ast.walk(tree)
            if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)]


def vyper_functions(path: Path) -> list[tuple[str, int]]:
    """(name, lines) of every top-level `def` of a Vyper file: from its `def` line to the line
    before the next top-level statement or decorator, trailing blank lines and comments left
    out."""
    lines = path.read_text().splitlines()
    out: list[tuple[str, int]] = []
    starts = [i for i, s in enumerate(lines) if s.startswith("def ")]
    for i in starts:
        j = i + 1
        while j < len(lines) and (not lines[j] or lines[j][0] in " \t#)"):
            j += 1
        while j > i + 1 and (not lines[j - 1].strip() or lines[j - 1].lstrip().startswith("#")):
            j -= 1
        out.append((re.match(r"def (\w+)", lines[i])[1], j - i))
    return out


def breaches(root: Path = ROOT) -> list[str]:
    """Every breach of the size rules under `root`, as readable lines."""
    found: list[str] = []
    for path in sorted((root / "rangebound").rglob("*.py")):
        n = len(path.read_text().splitlines())
        if n > MAX_MODULE_LINES:
            found.append(f"{path.relative_to(root)}: {n} lines (max {MAX_MODULE_LINES})")
    files = [p for d in PY_DIRS for p in sorted((root / d).rglob("*.py"))]
    files += [root / "ape_console_extras.py"]
    measured = [(p, python_functions(p)) for p in files]
    measured += [(p, vyper_functions(p)) for p in sorted((root / "contracts").rglob("*.vy"))]
    for path, functions in measured:
        rel = path.relative_to(root)
        for name, n in functions:
            if n > MAX_FUNCTION_LINES:
                found.append(f"{rel}::{name}: {n} lines (max {MAX_FUNCTION_LINES})")
    return found


def main() -> int:
    found = breaches()
    for line in found:
        print(line)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
