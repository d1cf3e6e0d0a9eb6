"""`ape run bench`: gas of every operation and how it scales, measured from receipts.

Deploys a fresh system with `deploy_system()` on a local anvil, replays a month of keeper
mornings with time travel and measures (see `rangebound/dev/scenario.py` for what exactly):

    ape run bench                     # the full benchmark (make bench), writes reports/gas.json
    ape run bench --quick             # a reduced run (seconds)
    ape run bench --profile           # + where the gas of the main operations goes: per
                                      #   external call, storage pattern, source function;
                                      #   and what one more maker adds to a take

Every number is a receipt's `gas_used` (21,000 base and calldata included, refunds
deducted), the median of repeated runs. Local networks only (time travel, impersonation).
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import click
from ape import accounts, chain
from ape.cli import ConnectedProviderCommand, network_option
from rich.console import Console
from rich.table import Table

from rangebound.dev.bench_table import DESCRIPTIONS, rows
from rangebound.dev.profiler import profile_report, slope_breakdown, slope_names, summarise_calls
from rangebound.dev.scenario import BenchConfig, run_benchmark, write_report

console = Console()
ROOT = Path(__file__).resolve().parent.parent


def _g(x: float) -> str:
    return f"{x:,.0f}"


def operations_table(report: dict) -> Table:
    t = Table(title="Gas per operation (receipt gas, median)", title_justify="left")
    t.add_column("operation", no_wrap=True)
    for col in ("target", "measured", "ratio", ""):
        t.add_column(col, justify="right", no_wrap=True)
    for name, target, measured, ratio in rows(report):
        if target is None:
            t.add_row(f"  {name}", "", _g(measured), "", "", style="dim")
            continue
        ok = measured <= target
        t.add_row(name, _g(target), _g(measured), f"{ratio:.2f}",
                  "[green]met[/]" if ok else "[red]missed[/]")
    return t


def legend(report: dict) -> Table:
    t = Table(title="What each row measures", title_justify="left", show_header=False)
    t.add_column("operation", no_wrap=True)
    t.add_column("what")
    for name in report["operations"]:
        t.add_row(name, DESCRIPTIONS.get(name, ""))
    return t


STEPPED = ("claim_vs_accounts", "take_vs_makers", "trade_vs_legs", "daily_update_vs_missed_days")


def scaling_table(report: dict) -> Table:
    t = Table(title="Scaling", title_justify="left")
    for col, just in (("series", "left"), ("x", "right"), ("gas", "right"),
                      ("per step of x", "right")):
        t.add_column(col, justify=just)
    for series, points in report["scaling"].items():
        prev = None
        for i, (x, gas) in enumerate(points.items()):
            step = ""
            if series in STEPPED and prev is not None and int(x) != int(prev[0]):
                step = _g((gas - prev[1]) / (int(x) - int(prev[0])))
            t.add_row(series if i == 0 else "", x, _g(gas), step)
            prev = (x, gas)
        t.add_section()
    return t


def print_profile(profile: dict) -> None:
    for name, entry in profile.items():
        t = Table(title=f"{name}: {entry['gas']:,} gas, per external call (callTracer)",
                  title_justify="left")
        for col in ("call", "calls", "inclusive", "exclusive"):
            t.add_column(col, justify="left" if col == "call" else "right")
        for key, v in summarise_calls(entry["calls"]).items():
            t.add_row(key, str(v["calls"]), _g(v["gas"]), _g(v["self"]))
        console.print(t)
        ops = entry.get("opcodes")
        if not ops:
            continue
        t = Table(title=f"{name}: per contract and storage pattern (pre-refund)",
                  title_justify="left")
        t.add_column("contract")
        t.add_column("breakdown")
        for contract, classes in ops["per_contract"].items():
            parts = sorted(((k, v) for k, v in classes.items() if not k.startswith("n_")),
                           key=lambda kv: -kv[1])
            t.add_row(contract, ", ".join(f"{k} {v:,} (x{classes['n_' + k]})"
                                          for k, v in parts))
        console.print(t)
        t = Table(title=f"{name}: top source functions (exclusive)", title_justify="left")
        t.add_column("contract")
        t.add_column("function")
        t.add_column("gas", justify="right")
        for contract, fns in ops["per_function"].items():
            for fn, gas in sorted(fns.items(), key=lambda kv: -kv[1])[:8]:
                t.add_row(contract, fn, _g(gas))
        console.print(t)


def print_slope(name: str, slope: dict) -> None:
    """`slope_breakdown`'s result: what one more maker adds, and where."""
    capped = slope["capped"]
    console.print(
        f"{name}: {slope['receipt']:,} receipt gas per step ({slope['execution']:,} of execution, "
        f"before refunds; {slope['steps']} steps); refunds {slope['refund']['lo']:,} / "
        f"{slope['refund']['hi']:,}, EIP-3529 cap binding: {capped['lo']} / {capped['hi']}"
    )
    t = Table(title=f"{name}: per step, per contract and storage pattern (pre-refund)",
              title_justify="left")
    t.add_column("contract")
    t.add_column("breakdown")
    for contract, classes in slope["per_contract"].items():
        t.add_row(contract, ", ".join(f"{k} {v:,}" for k, v in
                                      sorted(classes.items(), key=lambda kv: -kv[1])))
    console.print(t)
    t = Table(title=f"{name}: per step, top source lines (pre-refund)", title_justify="left")
    for col in ("line", "gas", "source"):
        t.add_column(col, justify="right" if col == "gas" else "left")
    for r in slope["lines"]:
        t.add_row(r["line"], _g(r["gas"]), r.get("source", ""))
    console.print(t)


@click.command(cls=ConnectedProviderCommand)
@network_option()
@click.option("--quick", is_flag=True, help="reduced run (the integration test's size)")
@click.option("--profile", is_flag=True,
              help="break the main operations down per external call, storage pattern and "
                   "source function; writes reports/gas_profile.json")
@click.option("--verbose", is_flag=True, help="also print what each row measures")
@click.option("--output", default=str(ROOT / "reports" / "gas.json"), show_default=True,
              type=click.Path(dir_okay=False))
def cli(network, quick, profile, verbose, output):
    """Measure gas per operation and its scaling; print a table; write reports/gas.json."""
    net = chain.provider.network
    if not net.is_local:
        raise click.UsageError("the benchmark time-travels: run it on a local network")
    started = time.time()
    config = BenchConfig.quick() if quick else BenchConfig.full()
    with console.status("deploying") as status:
        report = run_benchmark(
            accounts.test_accounts[0], config,
            progress=lambda msg: status.update(f"[{time.time() - started:5.1f}s] {msg}"),
        )
    path = write_report(report, output)
    console.print(operations_table(report))
    console.print(scaling_table(report))
    fit = report.get("daily_update_fit")
    if fit:
        console.print(
            f"daily_update on days without listing ({fit['days']} days, least squares): "
            f"{fit['base_6_series']:,} for 6 series + {fit['per_series_refilled']:,} per "
            f"series whose strikes are refilled + {fit['per_strike_inserted']:,} per strike "
            "inserted"
        )
    if verbose:
        console.print(legend(report))
    missed = [n for n, t, m, _ in rows(report) if t is not None and m > t]
    console.print(
        f"{len(report['targets']) - len(missed)}/{len(report['targets'])} targets met"
        + (f"; missed: {', '.join(missed)}" if missed else "")
    )
    if profile:
        prof = profile_report(report)
        print_profile(prof)
        lo, hi, steps = slope_names(report["_bench"])
        slope = slope_breakdown(prof[lo], prof[hi], steps)
        print_slope("take_extra_maker", slope)
        ppath = Path(output).with_name("gas_profile.json")
        ppath.write_text(json.dumps({**prof, "take_extra_maker": slope}, indent=1) + "\n")
        console.print(f"profile written to {ppath}")
    meta = report["meta"]
    console.print(
        f"{meta['transactions']:,} transactions measured in {meta['seconds']:.0f} s "
        f"({time.time() - started:.0f} s in all); written to {path}"
    )
