"""Helpers the test modules share (`from helpers import fund, ...`; tests/ is on sys.path through
tests/conftest.py). Actors are the role fixtures of tests/conftest.py (deployer, guardian, maker,
taker, keeper, stranger, maker2, treasury); constants (kinds, flags, cancel reasons, limits) come
from `rangebound.constants`, which reads them from the contracts."""

from __future__ import annotations

import functools
import gzip
import hashlib
import json
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import ape
from eth_abi import encode
from eth_utils import keccak

from rangebound.constants import DAY, ROOT
from rangebound.dev.node import warp
from rangebound.models import calendar as cal
from rangebound.ops.deploy import deploy_system, market_params, report

EIP170 = 24_576               # bytes: the largest deployable runtime (EIP-170)
NOT_OWNER = "ownable: caller is not the owner"   # snekmate ownable's revert reason
EIP7825_TX_GAS_CAP = 2**24    # gas: the per-transaction cap (Fusaka), below any block limit


# ------------------------------------------------------------------ funding

SEPOLIA_CHAIN_ID = 11155111  # the public test network the fork tests fork
# OptionsPool's setters: (setter, getter = its event's field, event, lowest, highest), the bounds
# of contracts/modules/pool_params.vy
POOL_SETTERS = [
    ("set_vol_multiplier", "vol_multiplier", "VolMultiplierSet", 10**17, 10 * 10**18),
    ("set_beta", "beta", "BetaSet", 0, 10**18),
    ("set_depth", "depth", "DepthSet", 1, 4_000_000),
    ("set_base_spread", "base_spread", "BaseSpreadSet", 0, 1_000),
    ("set_util_spread", "util_spread", "UtilSpreadSet", 0, 5_000),
    ("set_max_utilisation", "max_utilisation", "MaxUtilisationSet", 10**17, 10**18),
    ("set_cutoff", "cutoff", "CutoffSet", 600, 86_400),
    ("set_hedge_band", "hedge_band", "HedgeBandSet", 0, 10**9),
    ("set_max_slippage", "max_slippage", "MaxSlippageSet", 1, 2_000),
    ("set_fee", "fee_bps", "FeeSet", 0, 500),
    ("set_lp_fee", "lp_fee_bps", "LpFeeSet", 0, 100),
]


def fund_account(token: Any, vault: Any, minter: Any, account: Any, amount: int,
                 deposit: bool = True, allowance: int | None = None) -> int:
    """Mint `amount` raw units to `account`, approve the vault for `allowance` (default: the
    amount) and, by default, deposit it all; returns `amount`."""
    token.mint(account, amount, sender=minter)
    token.approve(vault, amount if allowance is None else allowance, sender=account)
    if deposit:
        vault.deposit(amount, sender=account)
    return amount


def fund(system: Any, account: Any, usd: float, deposit: bool = True,
         allowance: int | None = None) -> int:
    """`fund_account` on a `deploy_system` result, in USD1: returns the raw units."""
    return fund_account(system.token, system.vault, system.deployer, account, system.usd(usd),
                        deposit=deposit, allowance=allowance)


# ------------------------------------------------------------------ chain state


def folder_snapshot(chain: Any) -> Any:
    """Body of a test folder's package-scoped `_folder_snapshot` fixture: an anvil snapshot before
    the folder's deployments, reverted after its last test, so nothing the folder deployed is
    left for the rest of the session. (A folder is a package, with an `__init__.py`; without one
    pytest ends "package" fixtures with the session. Ape's own package isolation does not
    revert them: measured, the folder's contracts were still on the chain after it.)"""
    snap = chain.provider.make_request("evm_snapshot", [])
    yield
    chain.provider.make_request("evm_revert", [snap])


# ------------------------------------------------------------------ time


def clear_of_fixing_window(chain: Any) -> None:
    """Move the clock to 08:10 UTC when it is within 07:50-08:05: deploying there would make
    the first window's report the deployer's (and a pool's first trades fall in the window)."""
    now = chain.pending_timestamp
    if 0 <= now % DAY - (cal.WINDOW_START - 300) < 900:
        warp(chain, cal.day_start(now) + cal.EXPIRY_OFFSET + 600)


def pool_world(chain: Any, deployer: Any, guardian: Any, lp: Any, lp_usd: float,
               traders: dict[Any, float]) -> Any:
    """A system deployed clear of the fixing window with the market's fees going to its pool,
    `lp_usd` of the LP's USD1 deposited in the BTC pool and each trader's USD1 in the vault."""
    clear_of_fixing_window(chain)
    system = deploy_system(deployer, guardian=guardian, pool_fees=True)
    pool = system.markets["BTC"].pool
    amount = fund(system, lp, lp_usd, deposit=False)
    system.token.approve(pool, amount, sender=lp)
    pool.deposit(amount, lp, sender=lp)
    for who, usd in traders.items():
        fund(system, who, usd)
    return system


def next_update(ts: int) -> int:
    """The first 08:00 UTC strictly after `ts`."""
    return cal.update_time(ts) + DAY


def settle_series(env: Any, chain: Any, keeper: Any, e: int, btc: float) -> int:
    """Run the registry's daily updates (a keeper reporting at 07:56) up to `e`, settle it
    (`env`: any test environment with `.system` and `.registry`). Returns the settlement price."""
    t = next_update(chain.pending_timestamp)
    while True:
        warp(chain, t - 240)
        push_prices(env.system, btc)
        warp(chain, t)
        if t >= e:
            env.registry.settle(e, sender=keeper)
            return env.registry.settlement_price(e)
        env.registry.daily_update(sender=keeper)
        t += DAY


def holds_series(ch: Any, book: Any, account: Any, registry: Any, expiry: int) -> bool:
    """Whether `account` has something to claim in the series: a position on its open list, or
    fill records its market's book has not folded yet (docs/architecture.md §16)."""
    reg = str(getattr(registry, "address", registry)).lower()
    listed = any(str(x[0]).lower() == reg and int(x[1]) == expiry for x in ch.open_series(account))
    return listed or book.unfolded(account, expiry).reserve > 0


def sunday_noon_after(head: int) -> int:
    """A deterministic phase: the first Sunday 12:00 UTC at least a day after `head`."""
    t = cal.day_start(head + DAY) + 12 * 3_600
    while cal.weekday(t) != cal.SUNDAY:
        t += DAY
    return t


# ------------------------------------------------------------------ prices and logs


def push_prices(system: Any, btc: float = 100_000.0, peg: float = 1.0) -> None:
    """The deployer reports `btc` (USD per BTC) and the USD1 peg on a `deploy_system` result's
    feeds."""
    report(system.feeds["BTC/USD"], system.deployer, btc)
    report(system.feeds["USD1/USD"], system.deployer, peg)


def new_registry(system: Any, deployer: Any, project: Any) -> Any:
    """A second SeriesRegistry on a `deploy_system` result's feeds and parameters (no book yet:
    `mock_venue` makes one)."""
    return project.SeriesRegistry.deploy(
        market_params(system.params, system.feeds["BTC/USD"], system.feeds["USD1/USD"]),
        sender=deployer,
    )


def on_tick(x: float, tick: int) -> int:
    """`x` rounded to the nearest tick, at least one tick."""
    return max(tick, round(x / tick) * tick)


def cancels(tx: Any, book: Any) -> list[tuple[int, int]]:
    """(order id, reason) of every OrderCancelled log of `tx`, in order."""
    return [(int(c.order_id), int(c.reason)) for c in tx.decode_logs(book.OrderCancelled)]


SYSTEM_CONTRACTS = {
    0x0000F90827F1C53A10CB7A02335B175320002935,   # EIP-2935 block-hash history (every block)
    0x000F3DF6D732807EF1319FB7B8BB8522D0BEAC02,   # EIP-4788 beacon roots
}


def storage_digest(chain) -> str:
    """sha256 over the code, storage and ETH balance of every contract on the chain (the
    protocol's system contracts aside, they change with every block). Externally owned
    accounts are left out: a reverted transaction still bumps its sender's nonce and pays
    gas, and that is all it may change."""
    dump = json.loads(gzip.decompress(bytes.fromhex(chain.provider.make_request("anvil_dumpState", [])[2:])))
    h = hashlib.sha256()
    for addr, a in sorted(dump["accounts"].items()):
        if int(addr, 16) in SYSTEM_CONTRACTS or a.get("code") in (None, "", "0x"):
            continue
        storage = a.get("storage") or {}
        if isinstance(storage, str):
            storage = json.loads(storage.replace("'", '"'))
        h.update(f"{addr}|{a.get('balance')}|{a.get('code')}|{sorted(storage.items())}".encode())
    return h.hexdigest()


def _compiler_output(contract: str, fmt: str) -> dict[str, Any]:
    """`vyper -f <fmt>` of `contracts/<contract>.vy`, parsed."""
    vyper = Path(sys.executable).parent / "vyper"
    out = subprocess.run([str(vyper), "-p", str(ROOT), "-f", fmt, f"contracts/{contract}.vy"],
                         capture_output=True, text=True, check=True, cwd=ROOT)
    return json.loads(out.stdout)


@functools.cache
def storage_layout(contract: str) -> dict[str, Any]:
    """The compiler's storage layout of `contracts/<contract>.vy` (`vyper -f layout`): variable
    (or module, then its variables) -> {"slot", "type", "n_slots"}. Run once per contract and
    session (a compiler run each; callers only read it)."""
    return _compiler_output(contract, "layout")["storage_layout"]


@functools.cache
def frame_starts(contract: str) -> dict[str, int]:
    """Bytes: where the compiler puts each function's memory frame in `contracts/<contract>.vy`
    (`vyper -f metadata`, `frame_info.frame_start`), by function name. Vyper places a frame above
    the frames of everything the function can call, so an external function's start is the
    height every call to it pays memory expansion for. Run once per contract and session."""
    info = _compiler_output(contract, "metadata")["function_info"]
    return {v["name"]: v["frame_info"]["frame_start"] for v in info.values()}


def map_slot(slot: int, *keys: bytes | int | str) -> int:
    """The slot of `m[k1][k2]...` for a HashMap `m` at `slot` (Vyper: keccak256(slot . key) per
    level); a key is a 32-byte word, an int or an address."""
    for key in keys:
        if isinstance(key, str):
            key = int(key, 16)
        word = key.to_bytes(32, "big") if isinstance(key, int) else key
        slot = int.from_bytes(keccak(slot.to_bytes(32, "big") + word), "big")
    return slot


def book_side(expiry: int, kind: int, strike: int, is_buy: bool) -> bytes:
    """The OrderBook's key of one side of an instrument's book (`OrderBook._side`):
    keccak256(abi_encode(expiry, kind, strike, is_buy))."""
    return keccak(encode(["uint256", "uint8", "uint256", "bool"], [expiry, kind, strike, is_buy]))


def storage_word(contract: Any, slot: int) -> int:
    """The word stored at `slot` of `contract`."""
    return int.from_bytes(bytes(contract.provider.get_storage(contract.address, slot)), "big")


def cli_json(cli: Any, args: list[str]) -> Any:
    """Invoke a script's click `cli` with `--json` and parse its output, which must be the JSON
    document alone. Ape's logger is at INFO while it runs (as for a user), so a log line printed
    on stdout (Ape's "Connecting to a 'anvil' node.") would fail the parse."""
    from ape.logging import logger
    from click.testing import CliRunner

    level = logger.level
    logger.set_level("INFO")
    try:
        res = CliRunner().invoke(cli, [*args, "--json"])
    finally:
        logger.set_level(level)
    assert res.exit_code == 0, res.output
    return json.loads(res.output)


@contextmanager
def deploy_reverts(reason: str, sender: Any) -> Iterator[None]:
    """`ape.reverts(reason)` around a deploy that must revert. Ape caches contract types by
    address and keeps them across snapshot reverts; a reverted deploy is traced, and the trace
    decodes the constructor with the type cached at the address the deploy would take (another
    test's contract, another constructor): an ABI decoding error instead of the revert, in
    whichever order of tests reuses that address. The stale entry is dropped first."""
    address = sender.get_deployment_address()
    try:
        del ape.chain.contracts[address]
    except KeyError:
        pass
    with ape.reverts(reason):
        yield
