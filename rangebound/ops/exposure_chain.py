"""Read a whole venue from chain state and events into a `rangebound.ops.exposure.Venue`.

Accounts are found from events alone: `Clearinghouse.PositionOpened` (every account that ever
touched a series) and the vault's `Deposit` and `InternalTransfer` receivers (every account that
ever held a balance: depositors, the fee account, an options pool). A maker that holds a series
only as fill records (docs/architecture.md §16) has no PositionOpened until a fold, but its
orders reserved collateral, so a Deposit or an InternalTransfer names it. Each account's book is
read with `rangebound.ops.risk.read_book` (the same views `ape run risk` uses), which finds those
series through the books' `unfolded` views. The options pool is an
explicit address (`--pool`), else the deployment's (a market's `.pool`, or the record's
`markets.<name>.pool`), else the one a market's registry names (`registry.pool()`, so any
deployment shows it); it is one of those accounts: nothing pool-specific is read, so the view
works before and after the pool exists. One pool per venue view (the first market's that has one).

Collateral health: the USD1/USD feed's rounds over a window (`getRoundData` walking back from
`latestRoundData`, bounded by MAX_PEG_ROUNDS), each registry's `reduce_only()`, the vault's token
balance and `total_balances`, and `isBlacklisted(address)` on the token for the vault and the
largest accounts when the token has it, or USDT's `isBlackListed` (a raw call: a revert or an
answer that is not one bool word = no blocklist).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from rangebound.ops.exposure import Health, Venue
from rangebound.ops.risk import _field, read_book

MAX_PEG_ROUNDS = 500                 # bound on the peg rounds read back
PEG_WINDOW = 7 * 86_400              # seconds of peg history summarised
BLOCKLIST_TOP = 5                    # largest accounts checked against the blocklist
BLOCKLIST_VIEWS = ("isBlacklisted(address)",   # USDC (FiatTokenV2)
                   "isBlackListed(address)")   # USDT

Progress = Callable[[str, int, int], None]   # (stage, done, total)


def _addr(x: Any) -> str:
    return str(getattr(x, "address", x))


def _logs(contract: Any, event: str, start: int, stop: int) -> list[Any]:
    return list(getattr(contract, event).range(start, stop))


def discover_accounts(clearinghouse: Any, vault: Any, start_block: int,
                      stop_block: int) -> list[str]:
    """Every account seen in PositionOpened, Deposit or an InternalTransfer's receiver."""
    found: dict[str, None] = {}
    for log in _logs(clearinghouse, "PositionOpened", start_block, stop_block):
        found[str(log.account)] = None
    for log in _logs(vault, "Deposit", start_block, stop_block):
        found[str(log.account)] = None
    for log in _logs(vault, "InternalTransfer", start_block, stop_block):
        found[str(log.receiver)] = None
    return sorted(found)


def peg_rounds(feed: Any, now: int, window: int = PEG_WINDOW) -> tuple[tuple[int, int, int], ...]:
    """(round id, answer, updated_at) of the feed's rounds updated within `window` seconds
    (at least the latest), oldest first, at most MAX_PEG_ROUNDS."""
    rid, ans, _, upd, _ = feed.latestRoundData()
    rounds = [(int(rid), int(ans), int(upd))]
    r = int(rid) - 1
    while r > 0 and len(rounds) < MAX_PEG_ROUNDS:
        try:
            x = feed.getRoundData(r)
        except Exception:  # noqa: BLE001 - rounds before a feed's first are not an error
            break
        if int(x[3]) == 0 or int(x[3]) < now - window:
            break
        rounds.append((int(x[0]), int(x[1]), int(x[3])))
        r -= 1
    return tuple(reversed(rounds))


def is_blacklisted(token: Any, account: str,
                   views: tuple[str, ...] = BLOCKLIST_VIEWS) -> bool | None:
    """The first of `views` (a `name(address)` view returning bool) the token answers, for
    `account`; None when it answers none of them (no blocklist)."""
    from ape import chain
    from eth_utils.crypto import keccak

    arg = account.lower().removeprefix("0x").rjust(64, "0")
    for view in views:
        data = "0x" + keccak(text=view)[:4].hex() + arg
        try:
            raw = chain.provider.web3.eth.call({"to": _addr(token), "data": data})
        except Exception:  # noqa: BLE001, S112 - no such function (revert): try the next
            continue
        if len(raw) == 32 and int.from_bytes(raw, "big") in (0, 1):
            return int.from_bytes(raw, "big") == 1
    return None


def read_health(token: Any, vault: Any, registries: Mapping[str, Any], balances: Mapping[str, int],
                now: int, window: int = PEG_WINDOW) -> Health:
    """The collateral's health: peg rounds, reduce-only, vault totals, blocklist checks."""
    from ape import project

    first = next(iter(registries.values()))
    params = first.params()
    feed = project.ReporterFeed.at(str(_field(params, "peg_feed", 17)))  # AggregatorV3 ABI
    top = sorted(balances, key=lambda a: -balances[a])[:BLOCKLIST_TOP]
    return Health(
        peg_decimals=int(feed.decimals()),
        peg_rounds=peg_rounds(feed, now, window),
        depeg_threshold=int(_field(params, "depeg_threshold", 19)) / 10**18,
        reduce_only={name: bool(r.reduce_only()) for name, r in registries.items()},
        vault_token_balance=int(token.balanceOf(vault)),
        total_balances=int(vault.total_balances()),
        blocklist={a: is_blacklisted(token, a) for a in [_addr(vault), *top]},
    )


def settled_series(registries: Mapping[str, Any], start: int, stop: int) -> tuple[dict, ...]:
    """Every SeriesSettled log: market, expiry, fixing and (clamped) settlement price."""
    out = []
    for name, reg in registries.items():
        for log in _logs(reg, "SeriesSettled", start, stop):
            out.append({"market": name, "expiry": int(log.expiry), "fixing": int(log.fixing),
                        "price": int(log.price)})
    return tuple(sorted(out, key=lambda x: (x["market"], x["expiry"])))


def read_venue(*, token: Any, vault: Any, clearinghouse: Any, registries: Mapping[str, Any],
               pool: str | None, start_block: int = 0, network: str | None = None,
               progress: Progress | None = None, window: int = PEG_WINDOW) -> Venue:
    """Read the whole venue at the head block (see the module docstring)."""
    from ape import chain

    head = chain.blocks.head
    stop, now = int(head.number or 0) + 1, int(head.timestamp)
    tell = progress or (lambda stage, done, total: None)
    tell("events", 0, 1)
    pool = pool or registry_pool(registries)
    accounts = discover_accounts(clearinghouse, vault, start_block, stop)
    if pool is not None and pool not in accounts:
        accounts.append(pool)
    settled = settled_series(registries, start_block, stop)
    tell("events", 1, 1)
    decimals = int(token.decimals())
    books = []
    for i, who in enumerate(accounts):
        books.append(read_book(who, vault=vault, clearinghouse=clearinghouse,
                               registries=registries, decimals=decimals, now=now,
                               network=network))
        tell("accounts", i + 1, len(accounts))
    tell("health", 0, 1)
    health = read_health(token, vault, registries, {b.account: b.balance for b in books}, now,
                         window)
    tell("health", 1, 1)
    return Venue(books=tuple(books), decimals=decimals, timestamp=now, block=stop - 1,
                 pool=pool, network=network, settled=settled, health=health,
                 ticks={name: int(r.tick()) for name, r in registries.items()})


def pool_of(market: Any) -> str | None:
    """The options pool's address of a `deploy_system` market (None when none is deployed)."""
    return None if market.pool is None else _addr(market.pool)


def venue_from_system(system: Any, start_block: int = 0, progress: Progress | None = None,
                      pool: str | None = None) -> Venue:
    """`read_venue` for a `deploy_system` result (tests, demo). `pool` overrides the address."""
    from rangebound.ops.records import network_key

    pools = [p for p in (pool_of(m) for m in system.markets.values()) if p]
    return read_venue(
        token=system.token, vault=system.vault, clearinghouse=system.clearinghouse,
        registries={name: m.registry for name, m in system.markets.items()},
        pool=pool or (pools[0] if pools else None), start_block=start_block,
        network=network_key(), progress=progress,
    )


def venue_from_deployment(key: str | None = None, progress: Progress | None = None,
                          pool: str | None = None) -> Venue:
    """`read_venue` for the recorded deployment of the connected (or named) network."""
    from rangebound.ops.records import (
        deployment_record,
        load_deployment,
        markets_from_record,
        network_key,
        record_start_block,
    )

    record = deployment_record(key)
    contracts = load_deployment(key)
    if "clearinghouse" not in contracts:
        raise ValueError("the recorded deployment has no clearinghouse")
    registries = {name: contracts[f"{name.lower()}_registry"]
                  for name in record["contracts"].get("markets", {})}
    pools = [m.get("pool") for m in record["contracts"].get("markets", {}).values()]
    markets = markets_from_record(record, contracts)
    return read_venue(
        token=contracts["token"], vault=contracts["vault"],
        clearinghouse=contracts["clearinghouse"], registries=registries,
        pool=pool or next((p for p in pools if p), None),
        start_block=record_start_block(record, markets), network=key or network_key(),
        progress=progress,
    )


def registry_pool(registries: Mapping[str, Any]) -> str | None:
    """The OptionsPool the first market's registry names (`pool()`), None when no registry names
    one (zero address) or has that view (a registry deployed before the pool existed)."""
    for reg in registries.values():
        try:
            address = str(reg.pool())
        except Exception:  # noqa: BLE001, S112 - no `pool()` view (AttributeError or a revert)
            continue
        if int(address, 16):
            return address
    return None
