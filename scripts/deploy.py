"""`ape run deploy --network ... --account ...`: deploy the whole system and record it.

Writes `deployments/<ecosystem>_<network>.json`. On local networks the default account is
the first test account; elsewhere pass `--account ALIAS`. `--yes` skips the confirmation.
"""

from __future__ import annotations

import click
from ape import accounts, chain
from ape.cli import ConnectedProviderCommand, account_option, network_option
from rich.console import Console
from rich.table import Table

from rangebound.deploy import deploy_system, network_key, save_deployment

console = Console()


def resolve_account(account):
    """The given account, or test account 0 on a local/fork network."""
    if account is not None:
        return account
    if chain.provider.network.is_local or "fork" in chain.provider.network.name:
        return accounts.test_accounts[0]
    raise click.UsageError("pass --account ALIAS on a live network")


@click.command(cls=ConnectedProviderCommand)
@network_option()
@account_option(prompt=False)
@click.option("--decimals", default="6", show_default=True, type=click.Choice(["6", "18"]))
@click.option("--yes", is_flag=True, help="do not ask for confirmation")
def cli(network, account, decimals, yes):
    """Deploy token, vault, feeds, clearinghouse and the BTC market; record them."""
    deployer = resolve_account(account)
    key = network_key()
    if not yes and not click.confirm(f"Deploy Rangebound to {key} from {deployer.address}?"):
        raise click.Abort()
    system = deploy_system(deployer, decimals=int(decimals))
    path = save_deployment(system, key)
    table = Table(title=f"Rangebound on {key}")
    table.add_column("contract")
    table.add_column("address")
    for name, addr in _flatten(system.addresses()):
        table.add_row(name, str(addr))
    console.print(table)
    console.print(f"recorded in {path}")


def _flatten(d, prefix=""):
    for k, v in d.items():
        if isinstance(v, dict):
            yield from _flatten(v, f"{prefix}{k}.")
        else:
            yield f"{prefix}{k}", v
