"""`ape run demo` (= `make demo`): a living BTC market on a fresh local anvil.

Deploys the whole system with `deploy_system()`, funds five role-named traders and a keeper,
simulates `--days` days of a seeded BTC index path (`--seed`, `--vol`) with market makers,
a hedger, a speculator and an option writer, lets the keeper report prices, update ranges,
settle and claim, then prints a report and writes `reports/demo.json` and `reports/demo.png`.
"""

from __future__ import annotations

import time
from pathlib import Path

import click
from ape import accounts
from ape.cli import ConnectedProviderCommand, network_option
from ape.logging import logger
from rich.console import Console

from rangebound.dev.node import fast_receipt_polling
from rangebound.dev.report import print_report, write
from rangebound.dev.simulation import ROLES, Simulation
from rangebound.ops.deploy import deploy_system
from rangebound.ops.exposure_report import demo_exposure
from rangebound.ops.records import network_key

REPORTS = Path(__file__).resolve().parent.parent / "reports"


@click.command(cls=ConnectedProviderCommand)
@network_option()
@click.option("--days", default=28, show_default=True, help="days to simulate (28 rolls all six)")
@click.option("--seed", default=7, show_default=True, help="seed of the BTC index path")
@click.option("--vol", default=0.03, show_default=True, help="daily volatility of the path")
@click.option("--out", default=str(REPORTS), show_default=True, help="report folder")
@click.option("--quiet", is_flag=True, help="no progress bar")
def cli(network, days, seed, vol, out, quiet):
    """Run the Rangebound demo and write reports/demo.json and reports/demo.png."""
    console = Console(width=None if Console().is_terminal else 110)
    logger.set_level("WARNING")       # one line per transaction would drown the report
    started = time.time()
    fast_receipt_polling()            # the demo runs on test accounts, i.e. a local chain
    test = accounts.test_accounts
    deployer, keeper = test[0], test[1]
    actors = {role: test[2 + i] for i, role in enumerate(ROLES)}
    console.rule("[bold]Rangebound demo")
    console.print(f"deploying on {network_key()} …")
    system = deploy_system(deployer)
    console.print(f"deployed: vault {system.vault.address}, BTC registry "
                  f"{system.markets['BTC'].registry.address}, book "
                  f"{system.markets['BTC'].book.address}")
    sim = Simulation(system, actors, keeper, days=days, seed=seed, vol=vol, console=console,
                     quiet=quiet, pool=True)
    res = sim.run()
    print_report(res, console)
    j, png = write(res, Path(out))
    console.print(f"wrote {j} and {png} in {time.time() - started:.0f} s")
    demo_exposure(system, console, Path(out))     # venue risk view: stress table, exposure.*
