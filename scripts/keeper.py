"""`ape run keeper --network ...`: push local feed prices, daily update, settle, sweep, fold,
claim, hedge.

One pass by default; `--loop` runs a pass every `--interval` seconds until interrupted (or
`--passes N` times). Works on the deployment recorded for the network
(`deployments/<ecosystem>_<network>.json`, written by `ape run deploy`). Idempotent: a pass finds
its work from chain state alone, so running it twice changes nothing the second time, and a
keeper killed mid-pass is simply started again.

Prices (only reported to feeds on which the account is an authorised reporter):
  --prices simulated    seeded GBM path (`--seed`, `--vol`) from the deployment's first price
  --prices PATH.csv     `date,price` or `timestamp,price` rows (also `--prices csv:PATH`)
  --prices none         report nothing (e.g. a fork with real Chainlink feeds)

Folding (`--fold-min USD1`, default 1.0): a maker's book fills leave its bookkeeping unfolded
until a fold: a futures order filled whole stays in the book as a fill record (its reserve held,
its maker fee not moved; `OrderBook.unfolded`), a partial futures fill (or a book option it
sold) leaves a reserve share and maker fee deferred (`Clearinghouse.deferred`). For every account
whose unfolded maker fees in unsettled series reach the threshold, the keeper calls
`OrderBook.fold(account, expiry)` for each series with records and `recalculate(account)` for
deferred fills elsewhere, so fees reach the fee account without waiting for the maker (a
negative value never folds). A settled series is left to its claim, which folds both; the claim
step also claims series an account holds only as fill records.

Local networks start an empty chain for every `ape run`: `--deploy` deploys (and records) a
fresh system first when the network has none, and `--warp SECONDS` moves the chain clock forward
before each pass, so `ape run keeper --network ethereum:local:foundry --deploy --loop --passes 10
--warp 86400` shows ten keeper days in a few seconds.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
from ape import chain
from ape.cli import ConnectedProviderCommand, account_option, network_option
from rich.console import Console

from rangebound.models import calendar as cal
from rangebound.ops.deploy import deploy_system
from rangebound.ops.keeper import Keeper
from rangebound.ops.records import (
    deployment_record,
    is_local_network,
    network_key,
    resolve_account,
    save_deployment,
)
from rangebound.quant.pricepath import CsvPath, PriceSource, SimulatedPath

console = Console()


def price_sources(prices: str, seed: int, vol: float, record: dict[str, Any]) -> dict[str, Any]:
    """{market: PriceSource} for `--prices`; the simulated path starts at the deployment's
    first index price on the day of the deployment block, so every run prices a day alike."""
    if prices == "none":
        return {}
    markets = list(record["contracts"].get("markets", {})) or ["BTC"]
    src: PriceSource
    if prices == "simulated":
        start = float(record.get("params", {}).get("btc_price", 100_000.0))
        origin = int(chain.blocks[int(record.get("block", 0))].timestamp) // cal.DAY
        src = SimulatedPath(seed=seed, origin_day=origin, vol=vol, start=start)
    else:
        path = Path(prices.removeprefix("csv:"))
        if not path.exists():
            raise click.BadParameter(f"{path} not found", param_hint="--prices")
        src = CsvPath(path)
    return {m: src for m in markets}


def has_live_deployment(key: str) -> bool:
    try:
        record = deployment_record(key)
    except FileNotFoundError:
        return False
    return len(chain.provider.get_code(record["contracts"]["token"])) > 0


def main(
    sender: Any,
    *,
    loop: bool = False,
    interval: float = 60.0,
    passes: int | None = None,
    prices: str = "simulated",
    seed: int = 7,
    vol: float = 0.03,
    peg: float = 1.0,
    batch: int = 32,
    fold_min: float | None = 1.0,
    deploy: bool = False,
    warp: int = 0,
    quiet: bool = False,
) -> list[Any]:
    """Run the keeper on the connected network; returns the pass reports."""
    key = network_key()
    if not has_live_deployment(key):
        if not (deploy and is_local_network()):
            raise click.UsageError(
                f"no live deployment for {key}: run `ape run deploy` against this chain "
                "(or pass --deploy on a local network)"
            )
        system = deploy_system(sender)
        path = save_deployment(system, key)
        if not quiet:
            console.print(f"deployed a fresh system, recorded in {path}")
    if warp and not is_local_network():
        raise click.UsageError("--warp only on local networks")
    record = deployment_record(key)
    keeper = Keeper.from_deployment(
        sender,
        key,
        sources=price_sources(prices, seed, vol, record),
        peg=peg,
        batch=batch,
        fold_min_usd=fold_min,
        console=console,
        quiet=quiet,
    )
    if not quiet:
        console.print(f"keeper {sender.address} on {key}")

    def before_pass(n: int) -> None:
        if warp and n > 0:
            chain.pending_timestamp = chain.pending_timestamp + warp

    if not loop:
        return [keeper.run_pass()]
    return keeper.loop(
        interval=0 if warp else interval, max_passes=passes, before_pass=before_pass
    )


@click.command(cls=ConnectedProviderCommand)
@network_option()
@account_option(prompt=False)
@click.option("--loop/--once", default=False, show_default=True, help="keep running passes")
@click.option("--interval", default=60.0, show_default=True, help="seconds between passes")
@click.option("--passes", type=int, default=None, help="stop after N passes (with --loop)")
@click.option("--prices", default="simulated", show_default=True,
              help="simulated | PATH.csv | csv:PATH | none")
@click.option("--seed", default=7, show_default=True, help="seed of the simulated path")
@click.option("--vol", default=0.03, show_default=True, help="daily vol of the simulated path")
@click.option("--peg", default=1.0, show_default=True, help="USD1/USD price to report")
@click.option("--batch", default=32, show_default=True, help="claims checked per batch")
@click.option("--fold-min", default=1.0, show_default=True,
              help="USD1 of unfolded maker fees (per account) worth a fold; negative: never")
@click.option("--deploy", is_flag=True, help="deploy first if the (local) network has none")
@click.option("--warp", default=0, show_default=True,
              help="local only: seconds to move the chain clock before each later pass")
@click.option("--quiet", is_flag=True, help="no progress or tables")
def cli(
    network: Any, account: Any, loop: bool, interval: float, passes: int | None, prices: str,
    seed: int, vol: float, peg: float, batch: int, fold_min: float, deploy: bool, warp: int,
    quiet: bool,
) -> None:
    """Report prices, run the daily update, settle due series, sweep dead orders, fold makers'
    fill records and deferred fills, claim, hedge the pools."""
    try:
        main(
            resolve_account(account), loop=loop, interval=interval, passes=passes,
            prices=prices, seed=seed, vol=vol, peg=peg, batch=batch,
            fold_min=None if fold_min < 0 else fold_min, deploy=deploy, warp=warp, quiet=quiet,
        )
    except KeyboardInterrupt:
        console.print("stopped")
