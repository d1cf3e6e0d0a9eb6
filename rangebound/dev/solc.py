"""Solidity compiler from npm (`node_modules/solc`, pinned in package.json), through node.

`compile_sources({path: text}, compiler="solc")` runs a standard-JSON compile with
`tools/solc.js` and returns solc's output (raises on any error). The compilers are the npm
packages' bundled `soljson.js`: nothing is downloaded at run time.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from typing import Any

from rangebound.constants import ROOT

SOLC_JS = ROOT / "tools" / "solc.js"
COMPILE_TIMEOUT = 300


def compile_sources(sources: dict[str, str], compiler: str = "solc", optimize: bool = False,
                    outputs: tuple[str, ...] = ("abi", "evm.methodIdentifiers"),
                    evm_version: str | None = None) -> dict[str, Any]:
    """solc standard-JSON output of `sources`; raises RuntimeError listing solc's errors."""
    settings: dict[str, Any] = {
        "optimizer": {"enabled": optimize, "runs": 200},
        "outputSelection": {"*": {"*": list(outputs)}},
    }
    if evm_version:
        settings["evmVersion"] = evm_version
    request = {"language": "Solidity",
               "sources": {k: {"content": v} for k, v in sources.items()},
               "settings": settings}
    proc = subprocess.run(["node", str(SOLC_JS), compiler], input=json.dumps(request),
                          capture_output=True, text=True, cwd=ROOT, timeout=COMPILE_TIMEOUT,
                          check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"solc ({compiler}) failed: {proc.stderr[-3000:]}")
    result = json.loads(proc.stdout)
    out = result["output"]
    errors = [e for e in out.get("errors", []) if e["severity"] == "error"]
    if errors:
        raise RuntimeError("\n".join(e["formattedMessage"] for e in errors))
    out["compiler_version"] = result["version"]
    return out


_IMPORT_RE = re.compile(r'^\s*import\s+(?:[^"\']*from\s+)?["\']([^"\']+)["\']', re.MULTILINE)


def with_imports(entry: Path, root: Path) -> dict[str, str]:
    """`{path relative to root: text}` of `entry` and everything it imports (relative imports)."""
    out: dict[str, str] = {}
    todo = [entry.resolve()]
    while todo:
        path = todo.pop()
        key = str(path.relative_to(root.resolve()))
        if key in out:
            continue
        text = path.read_text()
        out[key] = text
        for imp in _IMPORT_RE.findall(text):
            todo.append((path.parent / imp).resolve())
    return out
