"""`ape run exposure --network ...`: the whole venue's risk, from chain state and events alone.

    ape run exposure --network ethereum:local:foundry          # tables
    ape run exposure --network ... --json                      # a JSON document, no tables
    ape run exposure --network ... --plot reports/exposure.png # also the picture
    ape run exposure --network ... --pool 0xABC...             # treat an account as the pool

Read-only. Works on the deployment recorded for the network (`--deployment KEY` reads another
record). Accounts come from PositionOpened and vault Deposit / InternalTransfer events; the
options pool is the record's `markets.<name>.pool`, else the one a registry names (`pool()`).
Shows open interest per series x kind x strike, the Greeks of the traders' aggregate and of the
pool under Black-76 and the clamped Student-t, pinned losses, the stress table (bad debt, margin
calls and liquidations computed per account) and the collateral's health. See `rangebound/ops/exposure.py`.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import click
from ape.cli import ConnectedProviderCommand, network_option
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from rangebound.ops.exposure import Venue
from rangebound.ops.exposure_chain import venue_from_deployment
from rangebound.ops.exposure_report import plot, render, to_dict
from rangebound.ops.records import json_option, network_key, record_errors


def main(key: str | None = None, pool: str | None = None, quiet: bool = True) -> Venue:
    """Read the venue of the recorded deployment of the connected network (with a progress bar
    on stderr unless `quiet`)."""
    key = key or network_key()
    bar = Progress(TextColumn("[bold]{task.description}"), BarColumn(),
                   TextColumn("{task.completed}/{task.total}"), TimeElapsedColumn(),
                   console=Console(stderr=True), disable=quiet, transient=True)
    tasks: dict[str, int] = {}

    def tell(stage: str, done: int, total: int) -> None:
        if stage not in tasks:
            tasks[stage] = bar.add_task(f"reading {stage}", total=total)
        bar.update(tasks[stage], completed=done, total=total)

    with record_errors(key), bar:
        return venue_from_deployment(key, progress=tell, pool=pool)


@click.command(cls=ConnectedProviderCommand)
@network_option()
@json_option()
@click.option("--plot", "plot_path", default=None, type=click.Path(dir_okay=False),
              help="write the picture (gamma and OI by strike, stress curve) to this PNG")
@click.option("--pool", default=None, help="address of the options pool account (override)")
@click.option("--deployment", default=None,
              help="deployment record key (default: <ecosystem>_<network> of the connection)")
@click.option("--quiet", is_flag=True, help="no progress bar")
def cli(as_json: bool, plot_path: str | None, pool: str | None, deployment: str | None,
        quiet: bool) -> None:
    """The venue's open interest, Greeks, pinned losses, stress table and collateral health."""
    started = time.perf_counter()
    venue = main(deployment, pool, quiet=quiet or as_json)
    if as_json:
        click.echo(json.dumps(to_dict(venue), indent=2, allow_nan=False))
    else:
        render(venue, Console())
    if plot_path:
        plot(venue, Path(plot_path))
        if not as_json:
            click.echo(f"wrote {plot_path}")
    if not as_json:
        click.echo(f"read and analysed in {time.perf_counter() - started:.1f} s")
