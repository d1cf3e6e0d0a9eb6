"""ABIs and Solidity interfaces for integrators, generated from the compiled contracts.

`ape run abi` (or `make abi`) writes, for every deployable contract (every `.vy` under
`contracts/` except `modules/`, `mocks/` and `harness/`):

- `abi/<Contract>.json`: the contract's ABI as the Vyper compiler emits it (a plain JSON
  array: cast, web3, ethers and viem read it as is);
- `interfaces/solidity/I<Contract>.sol`: a Solidity interface with the same functions and
  events. Vyper ABIs carry no struct names (a struct is an anonymous `tuple`), so each tuple is
  named after the Vyper struct with the same field names, found in `contracts/**/*.vy` and
  `interfaces/*.vyi` (`STRUCT_NAMES` overrides a lookup that would be ambiguous). The struct
  fields keep the Vyper sources' unit comments.

`ape run abi --check` (and `tests/unit/test_abi_solidity.py`) fails when a file on disk differs
from what the compiled contracts give: regenerate after changing a contract.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rangebound.constants import ROOT

NOT_DEPLOYABLE = ("contracts/modules/", "contracts/mocks/", "contracts/harness/")
SOLIDITY_PRAGMA = ">=0.8.4 <0.9.0"
# field names (in order) -> struct name, for tuples whose field names match several structs
STRUCT_NAMES: dict[tuple[str, ...], str] = {}
# Solidity keywords and units that a Vyper name may use; such a name gets a trailing "_"
SOLIDITY_RESERVED = {
    "after", "alias", "apply", "auto", "byte", "case", "copyof", "days", "default", "define",
    "ether", "final", "from", "gwei", "hours", "immutable", "implements", "in", "inline",
    "let", "macro", "match", "minutes", "mutable", "null", "of", "partial", "promise",
    "reference", "relocatable", "sealed", "seconds", "sizeof", "static", "supports", "switch",
    "typedef", "typeof", "unchecked", "var", "weeks", "wei", "years", "address", "bool",
    "string", "bytes", "mapping", "struct", "event", "function", "returns", "return", "type",
    "error", "emit", "public", "private", "external", "internal", "view", "pure", "payable",
    "memory", "storage", "calldata", "constant", "this", "super", "new", "delete", "contract",
    "interface", "library", "modifier", "constructor", "fallback", "receive", "enum", "assembly",
    "abstract", "override", "virtual", "indexed", "anonymous", "try", "catch", "revert",
    "unicode", "is", "for", "while", "do", "if", "else", "break", "continue", "true", "false",
}


@dataclass
class VyStruct:
    name: str
    fields: list[tuple[str, str]]  # (field name, unit comment or "")
    source: str


# ---------------------------------------------------------------- Vyper struct catalogue

_STRUCT_RE = re.compile(r"^struct\s+(\w+)\s*:\s*$")
_FIELD_RE = re.compile(r"^\s+(\w+)\s*:\s*[^#]+?(?:#\s*(.*))?$")


def vyper_structs(root: Path = ROOT) -> list[VyStruct]:
    """Every `struct` declared in contracts/**/*.vy and interfaces/*.vyi, with field comments."""
    out: list[VyStruct] = []
    files = sorted(root.glob("contracts/**/*.vy")) + sorted(root.glob("interfaces/*.vyi"))
    for path in files:
        cur: VyStruct | None = None
        for line in path.read_text().splitlines():
            m = _STRUCT_RE.match(line)
            if m:
                cur = VyStruct(m.group(1), [], str(path.relative_to(root)))
                out.append(cur)
                continue
            if cur is None:
                continue
            f = _FIELD_RE.match(line)
            if f and line.startswith((" ", "\t")):
                cur.fields.append((f.group(1), (f.group(2) or "").strip()))
            else:
                cur = None
    return out


def struct_for(components: list[dict], structs: list[VyStruct]) -> VyStruct:
    """The Vyper struct whose field names are exactly the tuple's component names."""
    names = tuple(c["name"] for c in components)
    if names in STRUCT_NAMES:
        return next(s for s in structs if s.name == STRUCT_NAMES[names])
    found = {s.name: s for s in structs if tuple(f for f, _ in s.fields) == names}
    if len(found) != 1:
        raise ValueError(
            f"tuple with fields {names} matches structs {sorted(found) or 'none'}; "
            "name it in rangebound.dev.abi_export.STRUCT_NAMES"
        )
    return next(iter(found.values()))


# ---------------------------------------------------------------- Solidity rendering


def _ident(name: str) -> str:
    return f"{name}_" if name in SOLIDITY_RESERVED else name


def _array_suffix(abi_type: str) -> tuple[str, str]:
    """("tuple", "[][3]") for "tuple[][3]"."""
    m = re.match(r"^([^\[]+)((?:\[\d*\])*)$", abi_type)
    assert m, abi_type
    return m.group(1), m.group(2)


class _Interface:
    """Collects the structs one interface needs while rendering its members."""

    def __init__(self, structs: list[VyStruct]):
        self.catalogue = structs
        self.used: dict[str, tuple[VyStruct, list[dict]]] = {}

    def sol_type(self, p: dict) -> str:
        base, arrays = _array_suffix(p["type"])
        if base == "tuple":
            s = struct_for(p["components"], self.catalogue)
            if s.name not in self.used:
                self.used[s.name] = (s, p["components"])
                for c in p["components"]:
                    self.sol_type(c)  # register nested structs first use
            return s.name + arrays
        return base + arrays

    def param(self, p: dict, location: str, with_name: bool = True) -> str:
        t = self.sol_type(p)
        reference = t.endswith("]") or p["type"].startswith("tuple") or t in ("string", "bytes")
        parts = [t]
        if reference and location:
            parts.append(location)
        if with_name and p.get("name"):
            parts.append(_ident(p["name"]))
        return " ".join(parts)

    def function(self, f: dict) -> str:
        ins = ", ".join(self.param(p, "calldata") for p in f["inputs"])
        mut = f.get("stateMutability", "nonpayable")
        line = f"    function {f['name']}({ins}) external"
        if mut != "nonpayable":
            line += f" {mut}"
        if f.get("outputs"):
            outs = ", ".join(self.param(p, "memory") for p in f["outputs"])
            line += f" returns ({outs})"
        return line + ";"

    def event(self, e: dict) -> str:
        args = []
        for p in e["inputs"]:
            t = self.sol_type(p)
            args.append(f"{t}{' indexed' if p.get('indexed') else ''} {_ident(p['name'])}")
        anon = " anonymous" if e.get("anonymous") else ""
        return f"    event {e['name']}({', '.join(args)}){anon};"

    def struct_blocks(self) -> list[str]:
        blocks = []
        for s, components in sorted(self.used.values(), key=lambda x: x[0].name):
            notes = dict(s.fields)
            lines = [f"    /// @dev Vyper struct `{s.name}` ({s.source})", f"    struct {s.name} {{"]
            for c in components:
                t = self.sol_type(c)
                note = f" // {notes[c['name']]}" if notes.get(c["name"]) else ""
                lines.append(f"        {t} {_ident(c['name'])};{note}")
            lines.append("    }")
            blocks.append("\n".join(lines))
        return blocks


def solidity_interface(name: str, abi: list[dict], source: str,
                       structs: list[VyStruct] | None = None) -> str:
    """`interface I<name>` with every function and event of `abi`, structs named."""
    iface = _Interface(structs if structs is not None else vyper_structs())
    events = sorted((e for e in abi if e["type"] == "event"), key=lambda e: e["name"])
    funcs = sorted((f for f in abi if f["type"] == "function"),
                   key=lambda f: (f["name"], len(f["inputs"])))
    names = {f["name"] for f in funcs} & {e["name"] for e in events}
    if names:
        raise ValueError(f"{name}: {sorted(names)} are both a function and an event")
    body_events = [iface.event(e) for e in events]
    body_funcs = [iface.function(f) for f in funcs]
    head = [
        "// SPDX-License-Identifier: MIT",
        f"// GENERATED by `make abi` from {source} (abi/{name}.json). Do not edit by hand.",
        "// Units: amounts are raw settlement-token units; prices, strikes, premiums and bounds are",
        "// raw units PER LOT; feeds answer with their own decimals (8: USD per unit of the asset);",
        "// days are UTC day numbers (timestamp / 86400); kinds FUTURE 0, CALL 1, PUT 2;",
        "// order flags POST_ONLY 1, IOC 2. See README.md, section \"For integrators\".",
        f"pragma solidity {SOLIDITY_PRAGMA};",
        "",
        f"interface I{name} {{",
    ]
    structs_block = "\n\n".join(iface.struct_blocks())  # after the members: they register them
    body = "\n\n".join(p for p in (structs_block, "\n".join(body_events), "\n".join(body_funcs)) if p)
    return "\n".join(head) + "\n" + body + "\n}\n"


# ---------------------------------------------------------------- project access


def deployables(project: Any) -> dict[str, Any]:
    """{contract name: ContractType} of every deployable in `contracts/`."""
    out = {}
    for name, ct in project.load_contracts().items():
        src = str(ct.source_id or "")
        if src.startswith("contracts/") and not src.startswith(NOT_DEPLOYABLE):
            out[name] = ct
    return dict(sorted(out.items()))


def abi_json(contract_type: Any) -> list[dict]:
    return [a.model_dump(mode="json", by_alias=True, exclude_none=True)
            for a in contract_type.abi]


def render(project: Any) -> dict[str, str]:
    """{path relative to the repo: text} of every generated file."""
    structs = vyper_structs()
    files: dict[str, str] = {}
    for name, ct in deployables(project).items():
        abi = abi_json(ct)
        files[f"abi/{name}.json"] = json.dumps(abi, indent=2) + "\n"
        files[f"interfaces/solidity/I{name}.sol"] = solidity_interface(
            name, abi, str(ct.source_id), structs
        )
    return files


def stale(project: Any, root: Path = ROOT) -> list[str]:
    """Generated files that are missing, different, or left over from a removed contract."""
    want = render(project)
    bad = [p for p, text in want.items()
           if not (root / p).is_file() or (root / p).read_text() != text]
    on_disk = [str(p.relative_to(root)) for p in (*(root / "abi").glob("*.json"),
                                                  *(root / "interfaces/solidity").glob("*.sol"))]
    bad += [p for p in on_disk if p not in want]
    return sorted(bad)


def write(project: Any, root: Path = ROOT) -> list[str]:
    """Write every generated file, remove left-over ones; returns the paths written."""
    want = render(project)
    for p in stale(project, root):
        if p not in want:
            (root / p).unlink()
    for p, text in want.items():
        (root / p).parent.mkdir(parents=True, exist_ok=True)
        (root / p).write_text(text)
    return sorted(want)
