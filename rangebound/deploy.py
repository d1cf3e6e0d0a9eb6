"""One deployment routine for tests, scripts, demo, benchmark and console.

`deploy_system(deployer, **params)` deploys (in order) the settlement token, the collateral
vault, the price feeds, the clearinghouse and, per market, a SeriesRegistry and an OrderBook,
and wires them together. `save_deployment` / `load_deployment` keep the record per network in
`deployments/<ecosystem>_<network>.json`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ape import chain, project

DEPLOYMENTS = Path(__file__).resolve().parent.parent / "deployments"

USD = 10**6  # one USD1 at the default 6 decimals
BTC_INDEX_DECIMALS = 8
PEG_DECIMALS = 8


@dataclass
class Market:
    """One underlying: its registry (calendar, ranges, fixing) and its order book."""

    name: str
    registry: Any
    book: Any = None


@dataclass
class System:
    """Everything `deploy_system` deployed, by role."""

    deployer: Any
    token: Any
    vault: Any
    clearinghouse: Any = None
    feeds: dict[str, Any] = field(default_factory=dict)
    markets: dict[str, Market] = field(default_factory=dict)
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def decimals(self) -> int:
        return int(self.params["decimals"])

    def usd(self, amount: float | int) -> int:
        """Raw token units of `amount` USD1."""
        return int(round(amount * 10 ** self.decimals))

    def addresses(self) -> dict[str, Any]:
        """The record written to deployments/ (plain JSON)."""
        out: dict[str, Any] = {
            "token": self.token.address,
            "vault": self.vault.address,
            "feeds": {k: v.address for k, v in self.feeds.items()},
            "markets": {},
        }
        if self.clearinghouse is not None:
            out["clearinghouse"] = self.clearinghouse.address
        for name, m in self.markets.items():
            out["markets"][name] = {
                "registry": m.registry.address,
                "book": m.book.address if m.book is not None else None,
            }
        return out


DEFAULTS: dict[str, Any] = {
    "decimals": 6,
    "guardian": None,          # defaults to the deployer
    "fee_account": None,       # defaults to the deployer
}


def deploy_system(deployer: Any, **params: Any) -> System:
    """Deploy and wire the whole system; `params` override DEFAULTS (see README)."""
    p = {**DEFAULTS, **params}
    guardian = p["guardian"] or deployer
    p["guardian"] = guardian.address if hasattr(guardian, "address") else guardian
    token = project.ReferenceUSD1.deploy(p["decimals"], sender=deployer)
    vault = project.CollateralVault.deploy(token.address, p["guardian"], sender=deployer)
    return System(deployer=deployer, token=token, vault=vault, params=p)


def network_key() -> str:
    """`<ecosystem>_<network>` of the connected provider, e.g. `ethereum_local`."""
    net = chain.provider.network
    return f"{net.ecosystem.name}_{net.name}".replace("-", "_")


def save_deployment(system: System, key: str | None = None) -> Path:
    """Write the deployment record for the current network."""
    DEPLOYMENTS.mkdir(exist_ok=True)
    path = DEPLOYMENTS / f"{key or network_key()}.json"
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


def load_deployment(key: str | None = None) -> dict[str, Any]:
    """The recorded deployment of the current (or named) network, as contract instances."""
    path = DEPLOYMENTS / f"{key or network_key()}.json"
    record = json.loads(path.read_text())
    c = record["contracts"]
    out: dict[str, Any] = {
        "token": project.ReferenceUSD1.at(c["token"]),
        "vault": project.CollateralVault.at(c["vault"]),
    }
    if c.get("clearinghouse"):
        out["clearinghouse"] = project.Clearinghouse.at(c["clearinghouse"])
    for name, addr in c.get("feeds", {}).items():
        out[f"feed_{name.replace('/', '_').lower()}"] = project.ReporterFeed.at(addr)
    for name, m in c.get("markets", {}).items():
        out[f"{name.lower()}_registry"] = project.SeriesRegistry.at(m["registry"])
        if m.get("book"):
            out[f"{name.lower()}_book"] = project.OrderBook.at(m["book"])
    return out
