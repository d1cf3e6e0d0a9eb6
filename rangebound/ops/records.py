"""Deployment records and the connected network.

A deployment is recorded per network in `deployments/<ecosystem>_<network>.json` (addresses,
parameters, the block it was made at); `save_deployment` writes it, `deployment_record` reads it
as JSON, `load_deployment` as contract instances and `markets_from_record` as the `Market`s the
keeper and the exposure reader work on. `network_key` names the record of the connected network;
`resolve_account` picks the account scripts send from.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

from ape import accounts, chain, project

from rangebound.constants import ROOT

if TYPE_CHECKING:
    from rangebound.ops.deploy import Market, System

DEPLOYMENTS = ROOT / "deployments"


def deployments_dir() -> Path:
    """Where records live: `deployments/`, or `$RANGEBOUND_DEPLOYMENTS` (tests use a temp dir)."""
    return Path(os.environ.get("RANGEBOUND_DEPLOYMENTS", DEPLOYMENTS))


# ------------------------------------------------------------------ the connected network


def network_key() -> str:
    """`<ecosystem>_<network>` of the connected provider, e.g. `ethereum_local`; on a node
    given by URI (`--network http://127.0.0.1:8545`) named after it: `ethereum_127_0_0_1_8545`."""
    net = chain.provider.network
    if net.name == "custom":
        return custom_network_key(net.ecosystem.name, str(getattr(chain.provider, "uri", "")))
    return f"{net.ecosystem.name}_{net.name}".replace("-", "_")


def custom_network_key(ecosystem: str, uri: str) -> str:
    """Record name of a node given by URI: `http://127.0.0.1:8545` -> `ethereum_127_0_0_1_8545`
    (scheme and path dropped); a URI without a host keeps Ape's name, `ethereum_custom`."""
    u = urlparse(uri)
    if not u.hostname:
        return f"{ecosystem}_custom"
    host = re.sub(r"[^0-9A-Za-z]+", "_", u.hostname).strip("_")
    return f"{ecosystem}_{host}_{u.port}" if u.port else f"{ecosystem}_{host}"


def is_local_network() -> bool:
    """A local chain or a fork: test accounts may send."""
    net = chain.provider.network
    return bool(net.is_local) or "fork" in net.name


def resolve_account(account: Any) -> Any:
    """The given account, or test account 0 on a local/fork network (scripts' `--account`)."""
    import click

    if account is not None:
        return account
    if is_local_network():
        return accounts.test_accounts[0]
    raise click.UsageError(
        "pass --account ALIAS on a live network (on an anvil node you run: --account TEST::0)"
    )


# ------------------------------------------------------------------ records


def save_deployment(system: System, key: str | None = None) -> Path:
    """Write the deployment record for the current network."""
    deployments_dir().mkdir(parents=True, exist_ok=True)
    path = deployments_dir() / f"{key or network_key()}.json"
    record = {
        "network": key or network_key(),
        "chain_id": chain.chain_id,
        "block": chain.blocks.head.number,
        "deployer": system.deployer.address,
        "params": {k: v for k, v in system.params.items() if isinstance(v, (int, str, float))},
        "contracts": system.addresses(),
    }
    path.write_text(json.dumps(record, indent=2) + "\n")
    return path


def deployment_record(key: str | None = None) -> dict[str, Any]:
    """The raw JSON record `save_deployment` wrote for the connected (or named) network."""
    path = deployments_dir() / f"{key or network_key()}.json"
    if not path.exists():
        raise FileNotFoundError(f"no deployment recorded at {path}; run `ape run deploy` first")
    return dict(json.loads(path.read_text()))


def load_deployment(key: str | None = None) -> dict[str, Any]:
    """The recorded deployment of the current (or named) network, as contract instances."""
    path = deployments_dir() / f"{key or network_key()}.json"
    record = json.loads(path.read_text())
    c = record["contracts"]
    out: dict[str, Any] = {
        "token": project.ReferenceUSD1.at(c["token"]),
        "vault": project.CollateralVault.at(c["vault"]),
    }
    if c.get("clearinghouse"):
        out["clearinghouse"] = project.Clearinghouse.at(c["clearinghouse"])
    if c.get("lens"):                      # a record written before the Lens existed has none
        out["lens"] = project.Lens.at(c["lens"])
    for name, addr in c.get("feeds", {}).items():
        out[f"feed_{name.replace('/', '_').lower()}"] = project.ReporterFeed.at(addr)
    for name, m in c.get("markets", {}).items():
        out[f"{name.lower()}_registry"] = project.SeriesRegistry.at(m["registry"])
        out[f"{name.lower()}_book"] = project.OrderBook.at(m["book"])
    return out


def markets_from_record(record: Mapping[str, Any], contracts: Mapping[str, Any]
                        ) -> dict[str, Market]:
    """The `Market`s (registry, book and, when the registry names one, pool) of a record and
    its `load_deployment` contracts."""
    from rangebound.ops.deploy import Market

    markets = {
        name: Market(name=name, registry=contracts[f"{name.lower()}_registry"],
                     book=contracts[f"{name.lower()}_book"])
        for name in record["contracts"].get("markets", {})
    }
    attach_pools(markets)
    return markets


def attach_pools(markets: Mapping[str, Market]) -> None:
    """Give each market its OptionsPool (the registry's `pool()`, when set), so a keeper built
    from a deployment record hedges the pools too."""
    for m in markets.values():
        if m.pool is not None:
            continue
        address = str(m.registry.pool())
        if int(address, 16):
            m.pool = project.OptionsPool.at(address)


def record_start_block(record: Mapping[str, Any], markets: Mapping[str, Market]) -> int:
    """First block to scan for a deployment's logs: the record's `start_block` if it has one,
    else the creation block of the first registry when the node can tell, else a margin before
    the record's block (the registry lists its first series in its constructor)."""
    if "start_block" in record:
        return int(record["start_block"])
    for m in markets.values():
        try:
            meta = chain.contracts.get_creation_metadata(m.registry.address)
            if meta is not None and meta.block is not None:
                return int(meta.block)
        except Exception:  # noqa: BLE001, S112 - node without creation lookups
            continue
    return max(0, int(record.get("block", 0)) - 1_000)


@contextmanager
def record_errors(key: str) -> Iterator[None]:
    """Turns the ways reading the deployment recorded for `key` fails (no record, a record of
    another chain, a bad value) into a click usage error that says what to do; the scripts
    that read a recorded deployment (`ape run risk`, `ape run exposure`) share it."""
    import click
    from ape.exceptions import ContractNotFoundError

    try:
        yield
    except FileNotFoundError as exc:
        raise click.UsageError(
            f"no deployment recorded for {key}: run `ape run deploy` against this chain first"
        ) from exc
    except ContractNotFoundError as exc:
        raise click.UsageError(
            f"the deployment recorded for {key} is not on this chain ({exc}); a local network "
            "starts an empty chain per `ape run` unless APE_FOUNDRY_HOST points at a running one"
        ) from exc
    except ValueError as exc:
        raise click.UsageError(str(exc)) from exc


def json_option() -> Callable:
    """`--json` for the scripts that read a recorded deployment: an eager flag that lowers Ape's
    log level to WARNING before the network connects, so stdout holds the JSON document alone
    (Ape logs "Connecting to a 'anvil' node." at INFO on stdout) and `| jq` works."""
    import click

    def quiet_logs(_ctx: Any, _param: Any, value: bool) -> bool:
        if value:
            from ape.logging import logger

            logger.set_level("WARNING")
        return value

    return click.option("--json", "as_json", is_flag=True, is_eager=True, callback=quiet_logs,
                        help="print a JSON document instead of tables")
