"""`ape run deploy --network ... --account ...`: deploy the whole system and record it.

Writes `deployments/<ecosystem>_<network>.json` (`$RANGEBOUND_DEPLOYMENTS` overrides the
folder). On local networks the default account is the first test account; elsewhere pass
`--account ALIAS` (on an anvil you run: `--account TEST::0`, anvil's first dev account, the
same mnemonic as Ape's test accounts). `--yes` skips the confirmation.

Onto a node you run: `ape run deploy --network http://127.0.0.1:8545 --account TEST::0`
(or `make deploy NETWORK=http://127.0.0.1:8545 ACCOUNT=TEST::0`): the record is named after the
node, `deployments/ethereum_127_0_0_1_8545.json`, and `ape console --network
http://127.0.0.1:8545` / `ape run keeper --network http://127.0.0.1:8545 --account TEST::0`
find it. Plain `ape run deploy` (ethereum:local) deploys onto the anvil Ape starts for this one
command, which is stopped when it ends: the script says so.

Settlement token and feeds: when `deployments/<network>.yaml` exists (Sepolia: Circle's USDC and
Chainlink's feeds) they are used instead of the reference USD1 and ReporterFeeds; `--token` and
`--feed NAME=ADDRESS` override it, `--reference` ignores it.
"""

from __future__ import annotations

import click
from ape import chain
from ape.cli import ConnectedProviderCommand, account_option, network_option
from rich.console import Console
from rich.table import Table

from rangebound.ops.deploy import FEED_NAMES, deploy_system, external_token_and_feeds
from rangebound.ops.records import network_key, resolve_account, save_deployment

console = Console()
TEMPORARY = (
    "note: this chain is temporary. Ape started an anvil for this one command and stops it when "
    "the command ends, so the record describes a chain that no longer exists. To keep one: run "
    "`anvil` yourself, then `make deploy NETWORK=http://127.0.0.1:8545 ACCOUNT=TEST::0`."
)


def chain_is_temporary() -> bool:
    """True when the provider started its own node for this process (stopped at exit)."""
    return getattr(chain.provider, "process", None) is not None


def external(token, feed, reference, key):
    """deploy_system's `token`/`feeds` from the options, else `deployments/<key>.yaml`."""
    spec = {} if reference else external_token_and_feeds(key)
    if token:
        spec["token"] = token
    for item in feed:
        name, _, addr = item.partition("=")
        if name not in FEED_NAMES or not addr:
            raise click.BadParameter(f"{item!r}: expected NAME=ADDRESS, NAME in {FEED_NAMES}")
        spec.setdefault("feeds", {})[name] = addr
    return spec


@click.command(cls=ConnectedProviderCommand)
@network_option()
@account_option(prompt=False)
@click.option("--decimals", default="6", show_default=True, type=click.Choice(["6", "18"]))
@click.option("--token", default=None, help="existing settlement token (ERC20, 6 or 18 dec.)")
@click.option("--feed", multiple=True, help="existing AggregatorV3 feed, NAME=ADDRESS "
              "(NAME: BTC/USD or USD1/USD); repeatable")
@click.option("--reference", is_flag=True,
              help="deploy the reference token and feeds even if deployments/<network>.yaml "
                   "names official ones")
@click.option("--yes", is_flag=True, help="do not ask for confirmation")
def cli(network, account, decimals, token, feed, reference, yes):
    """Deploy token, vault, feeds, clearinghouse and the BTC market; record them."""
    deployer = resolve_account(account)
    key = network_key()
    spec = external(token, feed, reference, key)
    if spec:
        console.print(f"using existing contracts: {spec}")
    if not yes and not click.confirm(f"Deploy Rangebound to {key} from {deployer.address}?"):
        raise click.Abort()
    system = deploy_system(deployer, decimals=int(decimals), **spec)
    path = save_deployment(system, key)
    table = Table(title=f"Rangebound on {key}")
    table.add_column("contract")
    table.add_column("address")
    for name, addr in _flatten(system.addresses()):
        table.add_row(name, str(addr))
    console.print(table)
    console.print(f"recorded in {path}")
    if chain_is_temporary():
        console.print(TEMPORARY)


def _flatten(d, prefix=""):
    for k, v in d.items():
        if isinstance(v, dict):
            yield from _flatten(v, f"{prefix}{k}.")
        else:
            yield f"{prefix}{k}", v
