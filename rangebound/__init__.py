"""Rangebound's Python side, in four layers (docs/architecture.md, "The Python package"):

* ``rangebound.models``: bit-exact reference models of the contracts' maths (calendar, ranges,
  margin), used to test the contracts differentially;
* ``rangebound.quant``: the quant library (option pricing, price paths), no chain needed;
* ``rangebound.ops``: chain-facing operations (deploy and deployment records, keeper, risk and
  exposure reading);
* ``rangebound.dev``: development tools (bench scenario and profiler, simulation, demo report,
  local anvil node, ABI export, Solidity compiler);
* ``rangebound.constants``: every constant the contracts define (kinds, flags, cancel codes,
  limits), read from the contract sources.

The public names of the design (``rangebound.calendar``, ``.ranges``, ``.margin``, ``.deploy``,
``.pool``) stay importable: each is the same module object as its home in a layer (an alias, not
a copy), so ``import rangebound.calendar`` and ``from rangebound.models import calendar`` agree.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.util
import sys

# public name -> the module it is (docs/architecture.md, "Public names")
PUBLIC = {
    "calendar": "rangebound.models.calendar",
    "ranges": "rangebound.models.ranges",
    "margin": "rangebound.models.margin",
    "deploy": "rangebound.ops.deploy",
    "pool": "rangebound.models.pool",
}

# the flat module names before the layers (issue 14); kept as aliases so branches written
# against them still import. New code uses the layered paths (a test checks that none of the
# package, scripts or tests uses these).
LEGACY = {
    "pricing": "rangebound.quant.pricing",
    "pricepath": "rangebound.quant.pricepath",
    "keeper": "rangebound.ops.keeper",
    "risk": "rangebound.ops.risk",
    "exposure": "rangebound.ops.exposure",
    "exposure_chain": "rangebound.ops.exposure_chain",
    "exposure_report": "rangebound.ops.exposure_report",
    "bench": "rangebound.dev.bench",
    "simulation": "rangebound.dev.simulation",
    "demo_report": "rangebound.dev.report",
    "anvil_node": "rangebound.dev.node",
    "abi_export": "rangebound.dev.abi_export",
    "solc": "rangebound.dev.solc",
}


class _Alias(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Makes ``rangebound.<alias>`` import its target module (the same object, imported lazily:
    ``import rangebound.calendar`` does not pull in ape)."""

    def __init__(self, table: dict[str, str]) -> None:
        self.table = {f"{__name__}.{k}": v for k, v in table.items()}

    def find_spec(self, fullname, path=None, target=None):
        if fullname not in self.table:
            return None
        return importlib.util.spec_from_loader(fullname, self)

    def create_module(self, spec):
        module = importlib.import_module(self.table[spec.name])
        self._spec = module.__spec__    # importlib overwrites __spec__ of what we return
        return module

    def exec_module(self, module) -> None:
        module.__spec__ = self._spec
        sys.modules[module.__spec__.name] = module


sys.meta_path.insert(0, _Alias({**PUBLIC, **LEGACY}))


def __getattr__(name: str):
    """``from rangebound import calendar`` (attribute access) finds the aliases too."""
    if name in PUBLIC or name in LEGACY:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(name)
