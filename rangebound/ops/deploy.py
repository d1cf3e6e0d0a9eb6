"""One deployment routine for tests, scripts, demo, benchmark and console.

`deploy_system(deployer, **params)` deploys (in order) the settlement token, the collateral
vault, the price feeds, the clearinghouse, per market a SeriesRegistry and an OrderBook, the
Lens (read-only views over all of them) and per market an OptionsPool, and wires them together. Its records (`save_deployment` / `load_deployment`, one per network in
`deployments/<ecosystem>_<network>.json`) live in `rangebound.ops.records` and are importable
from here too.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ape import chain, project

from rangebound.constants import DAILY_VOL_MAX, DAILY_VOL_MIN, LAMBDA, WAD, K, M
from rangebound.ops.records import (  # noqa: F401  (deploy's records, importable from here)
    DEPLOYMENTS,
    custom_network_key,
    deployment_record,
    deployments_dir,
    load_deployment,
    network_key,
    save_deployment,
)

USD = 10**6  # one USD1 at the default 6 decimals


@dataclass
class Market:
    """One underlying: its registry (calendar, ranges, fixing) and its order book."""

    name: str
    registry: Any
    book: Any
    pool: Any = None           # the market's OptionsPool, when deployed


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
    timelock: Any = None       # owner of every contract when deployed with governance="timelock"
    lens: Any = None           # the Clearinghouse's Lens (views for every market)

    @property
    def decimals(self) -> int:
        return int(self.params["decimals"])

    def usd(self, amount: float) -> int:
        """Raw token units of `amount` USD1."""
        return round(amount * 10**self.decimals)

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
        if self.lens is not None:
            out["lens"] = self.lens.address
        if self.timelock is not None:
            out["timelock"] = self.timelock.address
        for name, m in self.markets.items():
            out["markets"][name] = {"registry": m.registry.address, "book": m.book.address}
        return out


FEED_DECIMALS = 8

DEFAULTS: dict[str, Any] = {
    "decimals": 6,             # settlement token decimals (6 or 18)
    "guardian": None,          # may pause; defaults to the deployer
    "fee_account": None,       # receives fees in the vault; defaults to the deployer
    "btc_price": 100_000.0,    # first BTC/USD report (USD per BTC)
    "peg_price": 1.0,          # first USD1/USD report
    "lot_size": 10**15,        # WAD BTC per lot: 0.001 BTC
    "tick_usd": 0.01,          # USD1 per lot
    "min_qty": 1,              # lots
    "index_mode": True,        # every fixing = the fresh index (docs/architecture.md, fixing); False = market mode
    "min_fixing_volume": 10,   # market mode: lots in the window for the VWAP to count
    "guard_bps": 100,          # market mode: VWAP kept within 1% of a fresh index (0.25% at expiry)
    "k": K,                    # ranges.alpha's parameters (rangebound.constants)
    "m": M,
    "lam": LAMBDA,
    "daily_vol": 0.03,         # initial daily volatility (variance = vol**2)
    "vol_min": DAILY_VOL_MIN,  # daily volatility floor (= sqrt(ranges.V_MIN))
    "vol_max": DAILY_VOL_MAX,  # daily volatility cap (= sqrt(ranges.V_MAX))
    "strike_count": 25,
    "index_heartbeat": 26 * 3600,   # a daily keeper push plus slack
    "peg_heartbeat": 26 * 3600,
    "depeg_threshold": 0.97,   # USD per USD1; below it the market is reduce-only
    "index_max_deviation_bps": 2_500,
    "peg_max_deviation_bps": 5_000,
    "taker_fee_bps": 5,
    "maker_fee_bps": 2,
    "governance": "owner",     # "owner": the deployer owns everything (local); "timelock": below
    "timelock_delay": 86_400,  # s, the timelock's minimum delay (at least one day)
    "proposer": None,          # who may schedule timelocked changes (a multisig); default deployer
    "pool": True,              # deploy an OptionsPool per market (architecture §15)
    "pool_fees": True,         # the market's fees go to its pool (§15); False: to fee_account
}


def _addr(x: Any) -> str:
    return x.address if hasattr(x, "address") else x


def to_wad(x: float) -> int:
    return round(x * WAD)


def feed_answer(price: float) -> int:
    """A USD price as an 8-decimal feed answer."""
    return round(price * 10**FEED_DECIMALS)


def report(feed: Any, reporter: Any, price: float) -> Any:
    """Submit `price` (USD) as the next round of a ReporterFeed (min_submissions = 1)."""
    return feed.submit(feed.latest_round() + 1, feed_answer(price), sender=reporter)


def market_params(p: dict[str, Any], index_feed: Any, peg_feed: Any) -> dict[str, Any]:
    """The registry's MarketParams struct from deploy parameters."""
    unit = 10 ** p["decimals"]
    return {
        "name": "BTC",
        "lot_size": p["lot_size"],
        "token_decimals": p["decimals"],
        "tick": round(p["tick_usd"] * unit),
        "min_qty": p["min_qty"],
        "index_mode": p["index_mode"],
        "min_fixing_volume": p["min_fixing_volume"],
        "guard_bps": p["guard_bps"],
        "k": to_wad(p["k"]),
        "m": to_wad(p["m"]),
        "lam": to_wad(p["lam"]),
        "v_min": to_wad(p["vol_min"] ** 2),
        "v_max": to_wad(p["vol_max"] ** 2),
        "v0": to_wad(p["daily_vol"] ** 2),
        "strike_count": p["strike_count"],
        "index_feed": _addr(index_feed),
        "index_heartbeat": p["index_heartbeat"],
        "peg_feed": _addr(peg_feed),
        "peg_heartbeat": p["peg_heartbeat"],
        "depeg_threshold": to_wad(p["depeg_threshold"]),
    }


def deploy_system(deployer: Any, **params: Any) -> System:
    """Deploy and wire the whole system; `params` override DEFAULTS.

    On local networks the deployer is the only reporter of both feeds (min_submissions 1) and
    reports a first price, so the registry can list its six series at deployment.
    `token=ADDRESS` uses an existing settlement token (a real USDC or USD1: 6 or 18 decimals)
    instead of deploying ReferenceUSD1; `feeds={"BTC/USD": ADDRESS, "USD1/USD": ADDRESS}` uses
    existing AggregatorV3 feeds (Chainlink proxies; either key may be left out). See
    `external_token_and_feeds` and `deployments/README.md`.
    """
    existing_token, existing_feeds = params.pop("token", None), params.pop("feeds", None) or {}
    unknown = set(params) - set(DEFAULTS)
    if unknown:
        raise TypeError(f"unknown deploy parameters: {sorted(unknown)}")
    p = {**DEFAULTS, **params}
    p["guardian"] = _addr(p["guardian"] or deployer)
    p["fee_account"] = _addr(p["fee_account"] or deployer)
    token = _settlement_token(p, deployer, existing_token)
    vault, ch = deploy_vault_and_clearinghouse(
        deployer, token.address, p["guardian"], p["fee_account"], p["taker_fee_bps"], p["maker_fee_bps"]
    )
    system = System(deployer=deployer, token=token, vault=vault, clearinghouse=ch, params=p)
    system.feeds.update(_price_feeds(p, deployer, existing_feeds))

    registry = project.SeriesRegistry.deploy(
        market_params(p, system.feeds["BTC/USD"], system.feeds["USD1/USD"]), sender=deployer
    )
    _deploy_trading(system, {"BTC": registry})
    deploy_lens(system)
    if p["pool"]:
        deploy_pools(system, market_fees=bool(p["pool_fees"]))
    if p["governance"] == "timelock":
        hand_to_timelock(system)
    elif p["governance"] != "owner":
        raise ValueError(f"governance must be 'owner' or 'timelock', not {p['governance']!r}")
    return system


def deploy_vault_and_clearinghouse(
    deployer: Any, token: Any, guardian: Any, fee_account: Any, taker_fee_bps: int, maker_fee_bps: int
) -> tuple[Any, Any]:
    """The CollateralVault and the Clearinghouse, in two consecutive transactions of `deployer`.

    The vault's risk engine is immutable, so it is deployed with the address the Clearinghouse
    will get: the CREATE address of the deployer's next nonce. The Clearinghouse's constructor
    reverts unless the vault names it, so a wrong prediction (another transaction of the
    deployer in between) fails loudly instead of wiring the wrong engine.
    """
    engine = deployer.get_deployment_address(deployer.nonce + 1)
    vault = project.CollateralVault.deploy(token, guardian, engine, sender=deployer)
    ch = project.Clearinghouse.deploy(vault.address, fee_account, taker_fee_bps, maker_fee_bps, sender=deployer)
    return vault, ch


def _deploy_trading(system: System, registries: dict[str, Any]) -> None:
    """One OrderBook per market, wired to its registry and the Clearinghouse; fills
    `system.markets`."""
    p, deployer, ch = system.params, system.deployer, system.clearinghouse
    for name, registry in registries.items():
        book = project.OrderBook.deploy(registry, ch, p["guardian"], sender=deployer)
        registry.set_order_book(book, sender=deployer)
        ch.register_market(registry, book, sender=deployer)
        system.markets[name] = Market(name=name, registry=registry, book=book)


def deploy_lens(system: System) -> Any:
    """The Lens of `system.clearinghouse` (stateless, unowned: one serves every market of
    the Clearinghouse: `unclaimed_pnl`, and `orders` / `is_dead` / `queue` of a book), kept in
    `system.lens`."""
    system.lens = project.Lens.deploy(system.clearinghouse, sender=system.deployer)
    return system.lens


# ---------------------------------------------------------------- existing token and feeds (issue 17)

FEED_NAMES = ("BTC/USD", "USD1/USD")   # deploy_system's feed keys (record and console names)


def feed_description(name: str) -> str:
    """Chainlink's spelling of a pair, "BTC / USD", for a feed key "BTC/USD"."""
    return " / ".join(part.strip() for part in name.split("/"))


def _settlement_token(p: dict[str, Any], deployer: Any, existing: Any) -> Any:
    """The reference USD1 (deployed), or an existing ERC20 at `existing` (its decimals win)."""
    if existing is None:
        return project.ReferenceUSD1.deploy(p["decimals"], sender=deployer)
    address = _addr(existing)
    if not chain.provider.get_code(address):
        raise ValueError(f"token {address}: no contract there")
    token = project.ReferenceUSD1.at(address)  # ERC20 views and transfers (same names)
    decimals = int(token.decimals())
    if decimals not in (6, 18):
        raise ValueError(f"token {address}: {decimals} decimals (6 or 18 supported)")
    p["decimals"], p["token"] = decimals, address
    return token


def _price_feeds(p: dict[str, Any], deployer: Any, existing: dict[str, Any]) -> dict[str, Any]:
    """The two feeds by key: existing AggregatorV3 feeds where given, else ReporterFeeds that
    the deployer reports to (first price reported now)."""
    unknown = set(existing) - set(FEED_NAMES)
    if unknown:
        raise TypeError(f"unknown feeds: {sorted(unknown)} (known: {list(FEED_NAMES)})")
    prices = {"BTC/USD": (p["btc_price"], p["index_max_deviation_bps"]),
              "USD1/USD": (p["peg_price"], p["peg_max_deviation_bps"])}
    feeds: dict[str, Any] = {}
    for name in FEED_NAMES:
        if name in existing:
            address = _addr(existing[name])
            if not chain.provider.get_code(address):
                raise ValueError(f"feed {name} {address}: no contract there")
            feeds[name] = project.ReporterFeed.at(address)  # AggregatorV3 views only
            continue
        price, dev = prices[name]
        feed = project.ReporterFeed.deploy(FEED_DECIMALS, feed_description(name), 1, dev,
                                           sender=deployer)
        feed.add_reporter(deployer, sender=deployer)
        report(feed, deployer, price)
        feeds[name] = feed
    return feeds


def external_token_and_feeds(key: str | None = None) -> dict[str, Any]:
    """`{"token": ADDRESS, "feeds": {...}}` for `deploy_system(**...)` from
    `deployments/<key>.yaml` (the network's official token and feeds; a fork uses its
    upstream's file, `ethereum_sepolia_fork` -> `ethereum_sepolia.yaml`); {} when none."""
    import yaml

    key = key or network_key()
    for name in (key, key.removesuffix("_fork")):
        path = DEPLOYMENTS / f"{name}.yaml"
        if path.is_file():
            spec = yaml.safe_load(path.read_text()) or {}
            out: dict[str, Any] = {}
            if spec.get("token"):
                out["token"] = spec["token"]["address"]
            feeds = {k: v["address"] for k, v in (spec.get("feeds") or {}).items()
                     if k in FEED_NAMES}
            if feeds:
                out["feeds"] = feeds
            return out
    return {}




def hand_to_timelock(system: System) -> Any:
    """Governance (docs/architecture.md, "Who may"): deploy the Timelock (snekmate's timelock_controller, minimum delay
    `timelock_delay` >= 1 day, proposer `proposer` or the deployer, anyone may execute, no admin)
    and make it the owner of the vault, the clearinghouse, every registry, book and feed (two-step:
    each owner offers, the timelock accepts). The guardian keeps its immediate pause. The
    settlement token stays with the deployer (a local reference token, not part of custody)."""
    p, deployer = system.params, system.deployer
    zero = "0x0000000000000000000000000000000000000000"
    proposer = _addr(p["proposer"] or deployer)
    timelock = project.Timelock.deploy(p["timelock_delay"], [proposer], [zero], zero, sender=deployer)
    owned = [system.vault, system.clearinghouse, *system.feeds.values()]
    for market in system.markets.values():
        owned += [market.registry, market.book]
        owned += [market.pool] if market.pool is not None else []
    for contract in owned:
        contract.transfer_ownership(timelock, sender=deployer)
        timelock.accept_ownership_of(contract, sender=deployer)
    system.timelock = timelock
    return timelock


def register_venue(system: System, market: str, venue: Any, fees_to_venue: bool = True) -> None:
    """Make `venue` (a contract exposing `registry()` and `clearinghouse()`, e.g. the market's
    OptionsPool) a second venue of `market`: the registry names it (`set_pool`, once), the
    Clearinghouse registers it (`register_venue`, once) and, by default, the market's fees go to
    it (`set_market_fee_account`). Owner calls: run it before `hand_to_timelock`."""
    m, ch, deployer = system.markets[market], system.clearinghouse, system.deployer
    m.registry.set_pool(venue, sender=deployer)
    ch.register_venue(venue, sender=deployer)
    if fees_to_venue:
        ch.set_market_fee_account(m.registry, venue, sender=deployer)


def deploy_pools(system: System, market_fees: bool = True) -> None:
    """One OptionsPool per market (docs/architecture.md §15) sharing one PoolPricer: set as the registry's
    pool, registered as a venue of the Clearinghouse and, with `market_fees`, made the
    market's fee account (option and futures fees accrue to its LPs)."""
    p, deployer, ch = system.params, system.deployer, system.clearinghouse
    pricer = project.PoolPricer.deploy(sender=deployer)   # stateless: one for every market
    for name, market in system.markets.items():
        pool = project.OptionsPool.deploy(
            market.registry, market.book, ch, pricer, p["guardian"],
            f"Rangebound {name} pool"[:25], f"rp{name}"[:5], sender=deployer,
        )
        register_venue(system, name, pool, fees_to_venue=market_fees)
        market.pool = pool
