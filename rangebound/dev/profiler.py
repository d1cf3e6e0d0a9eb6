"""Per-transaction gas profiles of the bench's median samples.

`profile_call_tree(hash)` breaks one transaction down per external call (callTracer),
`profile_opcodes(hash)` per storage pattern and per source function and line (a JavaScript
tracer that anvil runs while replaying the transaction: no `--steps-tracing` needed; the
contracts are recompiled with the installed Vyper for their pc -> source maps, `SourceMap`).
`slope_breakdown(lo, hi, steps)` turns two profiled takes into what one more maker costs,
per storage pattern and source line, and whether EIP-3529's refund cap binds.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from ape import chain, project

from rangebound.constants import CONTRACTS, ROOT
from rangebound.dev.scenario import Bench
from rangebound.dev.sender import BenchError, median


def profile_call_tree(txn_hash: str, contracts: dict[str, Any]) -> list[dict[str, Any]]:
    """Per external call of a transaction (callTracer): depth, contract, function, inclusive gas and
    exclusive gas (its own code, excluding sub-calls). The top frame's gas includes the
    intrinsic cost (21,000 + calldata); refunds are not subtracted here."""
    by_addr = {str(c.address).lower(): name for name, c in contracts.items()}
    sels = {}
    for c in contracts.values():
        for sig, sel in c.contract_type.method_identifiers.items():
            sels[sel.lower()] = sig.split("(")[0]
    trace = chain.provider.make_request("debug_traceTransaction",
                                        [txn_hash, {"tracer": "callTracer"}])
    out: list[dict[str, Any]] = []

    def walk(frame: dict[str, Any], depth: int) -> None:
        used = int(frame.get("gasUsed", "0x0"), 16)
        kids = frame.get("calls", []) or []
        child = sum(int(k.get("gasUsed", "0x0"), 16) for k in kids)
        to = str(frame.get("to", "")).lower()
        inp = str(frame.get("input", "0x"))
        out.append({
            "depth": depth, "type": frame.get("type"), "contract": by_addr.get(to, to),
            "function": sels.get(inp[:10].lower(), inp[:10]), "gas": used,
            "self": used - child,
        })
        for k in kids:
            walk(k, depth + 1)

    walk(trace, 0)
    return out


def summarise_calls(tree: list[dict[str, Any]]) -> dict[str, dict[str, int]]:
    """Call tree folded per (contract.function): count, inclusive and exclusive gas."""
    agg: dict[str, dict[str, int]] = defaultdict(lambda: {"calls": 0, "gas": 0, "self": 0})
    for f in tree:
        key = f"{f['contract']}.{f['function']}"
        agg[key]["calls"] += 1
        agg[key]["gas"] += f["gas"]
        agg[key]["self"] += f["self"]
    return dict(agg)


class SourceMap:
    """pc -> (module, function, line) for one contract, from the Vyper compiler's raw pc -> AST
    map; a pc without an entry takes the nearest mapped pc below it. Compiles the contract
    again with the installed compiler and default settings (what ape-vyper uses here);
    `matches(code)` tells whether that is the deployed runtime code."""

    def __init__(self, path: str) -> None:
        import bisect
        import site
        from pathlib import Path

        from vyper import ast as vy_ast
        from vyper.compiler.input_bundle import FilesystemInputBundle
        from vyper.compiler.phases import CompilerData
        from vyper.ir import compile_ir

        root = ROOT
        bundle = FilesystemInputBundle([root, *map(Path, site.getsitepackages())])
        data = CompilerData(bundle.load_file(path), input_bundle=bundle)
        bytecode, maps = compile_ir.assembly_to_evm(data.assembly_runtime, compiler_metadata=None)
        self.bytecode = bytes(bytecode)
        pcs: dict[int, tuple[str, str, int]] = {}
        for pc, node in maps["pc_raw_ast_map"].items():
            if not isinstance(node, vy_ast.VyperNode):
                continue
            fn = node if isinstance(node, vy_ast.FunctionDef) else node.get_ancestor(
                vy_ast.FunctionDef)
            mod = node.module_node if hasattr(node, "module_node") else None
            stem = Path(str(getattr(mod, "resolved_path", "") or path)).stem
            pcs[int(pc)] = (stem, fn.name if fn is not None else "<dispatch>",
                            int(getattr(node, "lineno", 0) or 0))
        self._keys = sorted(pcs)
        self._vals = [pcs[k] for k in self._keys]
        self._bisect = bisect.bisect_right

    def at(self, pc: int) -> tuple[str, str, int] | None:
        i = self._bisect(self._keys, pc) - 1
        return self._vals[i] if i >= 0 else None

    def matches(self, code: bytes) -> bool:
        return bytes(code)[: len(self.bytecode) - 64] == self.bytecode[: len(self.bytecode) - 64]


# A JavaScript tracer run inside anvil (it replays the transaction, so it needs no
# --steps-tracing): exclusive gas per (contract, pc, opcode), costs taken from the gas left
# before consecutive steps (a call's own cost = gas before it - gas after it - what the callee
# used). SLOAD and SSTORE keep their exact cost in the key (cold/warm, new slot/change).
_JS_TRACER = """{
  agg: {}, prev: null, frames: [], pending: null,
  add: function(p, cost) {
    var k = p.a + ':' + p.pc + ':' + p.op;
    if (p.op == 'SLOAD' || p.op == 'SSTORE') k += ':' + cost;
    var e = this.agg[k];
    if (e === undefined) { this.agg[k] = [cost, 1]; } else { e[0] += cost; e[1] += 1; }
  },
  step: function(log, db) {
    var g = log.getGas(), d = log.getDepth(), p = this.prev;
    if (this.pending !== null) {
      var c = this.pending; this.pending = null;
      this.add(c.p, c.p.g - g - c.used);
      if (p !== c.p) this.add(p, 0);
    } else if (p !== null && d == p.d) {
      this.add(p, p.g - g);
    }
    this.prev = {a: toHex(log.contract.getAddress()), pc: log.getPC(),
                 op: log.op.toString(), g: g, d: d};
  },
  enter: function(f) { this.frames.push({p: this.prev, used: 0}); },
  exit: function(r) { var f = this.frames.pop(); f.used = r.getGasUsed(); this.pending = f; },
  fault: function(log, db) {},
  result: function(ctx, db) {
    if (this.prev !== null && this.pending === null) this.add(this.prev, 0);
    return {agg: this.agg, gasUsed: ctx.gasUsed};
  }
}"""


def _op_class(op: str, cost: int) -> str:
    if op in ("CALL", "STATICCALL", "DELEGATECALL", "CALLCODE"):
        return "call"
    if op == "SSTORE":
        return f"sstore_{cost}"
    if op == "SLOAD":
        return "sload_cold" if cost >= 2100 else "sload_warm"
    if op.startswith("LOG"):
        return "log"
    if op in ("KECCAK256", "SHA3"):
        return "keccak"
    if op in ("EXTCODESIZE", "EXTCODEHASH", "BALANCE"):
        return "account_access"
    return "compute"


def profile_opcodes(txn_hash: str, contracts: dict[str, Any],
                    maps: dict[str, SourceMap] | None = None) -> dict[str, Any]:
    """Opcode-level breakdown of a transaction (a JavaScript tracer replays it inside anvil,
    so no --steps-tracing is needed). Per contract: storage writes by pattern (each SSTORE's
    cost: 22,100 new slot cold, 20,000 new slot warm, 5,000 change cold, 2,900 change warm,
    2,200 / 100 unchanged or rewritten), storage reads cold and warm, logs, calls (the
    caller's side: warm access and memory), account access (EXTCODESIZE before a call: the
    2,600 cold-address cost lands here), keccak and all other computation; with `maps`,
    exclusive gas per source function and line, and every SSTORE by source line. Gas is
    execution gas before refunds and without the intrinsic 21,000 + calldata."""
    by_addr = {str(c.address).lower(): name for name, c in contracts.items()}
    res = chain.provider.make_request("debug_traceTransaction",
                                      [txn_hash, {"tracer": _JS_TRACER}])
    per: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    fn_gas: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    line_gas: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    fn_ops: dict[str, dict[str, dict[str, int]]] = defaultdict(
        lambda: defaultdict(lambda: defaultdict(int)))
    writes: dict[str, int] = defaultdict(int)
    total = 0
    for key, (gas, count) in res["agg"].items():
        parts = key.split(":")
        addr, pc, op = parts[0].lower(), int(parts[1]), parts[2]
        cost = int(parts[3]) if len(parts) > 3 else gas // max(count, 1)
        who = by_addr.get(addr, addr)
        cls = _op_class(op, cost)
        total += gas
        per[who][cls] += gas
        per[who]["n_" + cls] += count
        loc = maps[who].at(pc) if maps and who in maps else None
        if loc:
            fn_gas[who][f"{loc[0]}.{loc[1]}"] += gas
            line_gas[who][f"{loc[0]}:{loc[2]}"] += gas
            fn_ops[who][f"{loc[0]}.{loc[1]}"][cls] += gas
        if op == "SSTORE":
            writes[f"{who} {loc[0]}:{loc[2] if loc else '?'} {cost}" if loc
                   else f"{who} pc{pc} {cost}"] += count
    return {"execution_gas": total,
            "per_contract": {k: dict(v) for k, v in per.items()},
            "per_function": {k: dict(v) for k, v in fn_gas.items()},
            "per_function_ops": {k: {f: dict(c) for f, c in v.items()}
                                 for k, v in fn_ops.items()},
            "per_line": {k: dict(v) for k, v in line_gas.items()},
            "sstores": dict(writes)}


PROFILED = ("take_1_maker", "take_1_maker_cold", "place_resting", "cancel",
            "daily_update_6_series", "daily_update_listing_day", "settle", "claim_4_legs",
            "pool_buy", "pool_sell", "pool_redeem", "pool_redeem_12_legs")
SOURCES = {"registry": "contracts/SeriesRegistry.vy", "clearinghouse": "contracts/Clearinghouse.vy",
           "book": "contracts/OrderBook.vy", "vault": "contracts/CollateralVault.vy",
           "pool": "contracts/OptionsPool.vy", "pricer": "contracts/PoolPricer.vy"}


def slope_names(bench: Bench) -> tuple[str, str, int]:
    """The two takes whose difference is `take_extra_maker` (fewest and most makers filled by
    one taker call) and the number of makers between them."""
    lo, hi = min(bench.config.makers), max(bench.config.makers)
    return f"take_{lo}_makers", f"take_{hi}_makers", hi - lo


def intrinsic_gas(txn_hash: str) -> int:
    """21,000 + the calldata's cost (4 per zero byte, 16 per other byte): what a receipt
    holds beyond execution gas, before refunds."""
    tx = chain.provider.make_request("eth_getTransactionByHash", [txn_hash])
    data = bytes.fromhex(str(tx["input"])[2:])
    return 21_000 + sum(16 if b else 4 for b in data)


def profile_report(report_: dict[str, Any], names: tuple[str, ...] = PROFILED,
                   opcodes: bool = True) -> dict[str, Any]:
    """Profiles the median sample of each named operation, and the two takes of
    `slope_names`: per external call (callTracer) and, with `opcodes`, per storage pattern
    and source function (a JavaScript tracer; the contracts are recompiled for their
    pc -> source maps, which takes a few seconds)."""
    bench: Bench = report_["_bench"]
    names = tuple(dict.fromkeys((*names, *slope_names(bench)[:2])))
    s = bench.system
    contracts = {"token": s.token, "vault": s.vault, "clearinghouse": s.clearinghouse,
                 "registry": bench.registry, "book": bench.book,
                 "feed_btc_usd": s.feeds["BTC/USD"], "feed_usd1_usd": s.feeds["USD1/USD"]}
    pool = bench.market.pool
    if pool is not None:
        contracts["pool"] = pool
        contracts["pricer"] = project.PoolPricer.at(pool.pricer())
    picks: dict[str, str] = {}
    for name in names:
        gas, hashes = bench.s.data.get(name), bench.s.hashes.get(name)
        if gas:
            m = median(gas)
            picks[name] = hashes[min(range(len(gas)), key=lambda i: abs(gas[i] - m))]
    maps = {}
    if opcodes:
        maps = {name: SourceMap(path) for name, path in SOURCES.items() if name in contracts}
        for name, m in maps.items():
            if not m.matches(bytes(chain.provider.get_code(contracts[name].address))):
                raise BenchError(f"{name}: recompiled code differs from the deployed code")
    out: dict[str, Any] = {}
    for name, h in picks.items():
        entry: dict[str, Any] = {"tx": h, "gas": int(chain.provider.make_request(
            "eth_getTransactionReceipt", [h])["gasUsed"], 16), "intrinsic": intrinsic_gas(h)}
        entry["calls"] = profile_call_tree(h, contracts)
        if opcodes:
            entry["opcodes"] = profile_opcodes(h, contracts, maps)
        out[name] = entry
    return out


def source_line(key: str) -> str:
    """The text of source line `key` ("<file stem>:<line>") under contracts/, or ""."""
    stem, _, line = key.rpartition(":")
    for path in CONTRACTS.rglob(f"{stem}.vy"):
        lines = path.read_text().splitlines()
        if 0 < int(line) <= len(lines):
            return lines[int(line) - 1].strip()
    return ""


def slope_breakdown(lo: dict[str, Any], hi: dict[str, Any], steps: int,
                    top: int = 16) -> dict[str, Any]:
    """What each of `steps` more makers adds between two profiled takes (`profile_report`
    entries with opcodes): the receipt slope (the bench's `take_extra_maker`), the execution
    slope, per contract and storage pattern, and the `top` source lines by gas with their
    text. Refunds: a receipt is execution + intrinsic gas less the refund, capped by EIP-3529
    at a fifth of that sum; where the cap binds (`capped`), one more maker costs 0.8 of its
    execution gas and a slot it clears earns nothing. Per-step figures are pre-refund and
    rounded to the nearest gas unit."""
    def total(e: dict[str, Any]) -> int:
        return e["opcodes"]["execution_gas"] + e["intrinsic"]

    def per_step(a: float, b: float) -> int:
        return round((b - a) / steps)

    def diff(a: dict[str, int], b: dict[str, int]) -> dict[str, int]:
        """Per-step change of every key of either table, the keys that do not change left out."""
        out_: dict[str, int] = {}
        for k in sorted(set(a) | set(b)):
            if step := per_step(a.get(k, 0), b.get(k, 0)):
                out_[k] = step
        return out_

    out: dict[str, Any] = {
        "steps": steps,
        "receipt": per_step(lo["gas"], hi["gas"]),
        "execution": per_step(lo["opcodes"]["execution_gas"], hi["opcodes"]["execution_gas"]),
        "refund": {"lo": total(lo) - lo["gas"], "hi": total(hi) - hi["gas"]},
        "capped": {"lo": total(lo) - lo["gas"] == total(lo) // 5,
                   "hi": total(hi) - hi["gas"] == total(hi) // 5},
    }
    classes: dict[str, dict[str, int]] = {}
    a_pc, b_pc = lo["opcodes"]["per_contract"], hi["opcodes"]["per_contract"]
    for contract in sorted(set(a_pc) | set(b_pc)):
        row = {k: v for k, v in diff(a_pc.get(contract, {}), b_pc.get(contract, {})).items()
               if not k.startswith("n_")}
        if row:
            classes[contract] = row
    out["per_contract"] = classes
    lines: list[dict[str, Any]] = []
    a_pl, b_pl = lo["opcodes"].get("per_line", {}), hi["opcodes"].get("per_line", {})
    for contract in set(a_pl) | set(b_pl):
        for key, gas in diff(a_pl.get(contract, {}), b_pl.get(contract, {})).items():
            lines.append({"contract": contract, "line": key, "gas": gas})
    lines.sort(key=lambda r: -abs(r["gas"]))
    for r in lines[:top]:
        r["source"] = source_line(r["line"])
    out["lines"] = lines[:top]
    return out
