"""`ape run pool ...`: the options pool of a market (docs/architecture.md §15) on the recorded deployment.

    ape run pool quotes --network ethereum:local:foundry [--expiry TS] [--qty 1]
    ape run pool status --network ...                        # NAV, NAV/share, utilisation, positions
    ape run pool deposit --network ... --account ALIAS --usd 1000
    ape run pool redeem --network ... --account ALIAS [--shares N | --all]

The pool is found through the recorded registry (`registry.pool()`); `--market` picks the market.
Quotes are the pool's own `quote` (bid = what a seller receives, ask = what a buyer pays, per lot,
fees included), the model price per lot and the option's delta from the bit-exact mirror
`rangebound.pool` on the same inputs. Reads need no account; deposit/redeem sign with --account
(test account 0 on a local network).
"""

from __future__ import annotations

from typing import Any

import click
from ape import accounts, chain, project
from ape.cli import ConnectedProviderCommand, account_option, network_option
from ape.exceptions import ContractLogicError
from rich.console import Console
from rich.table import Table

from rangebound.models import pool as pm
from rangebound.ops.records import load_deployment

KINDS = {1: "call", 2: "put"}


def find_pool(market: str = "BTC", key: str | None = None) -> Any:
    """The OptionsPool of `market` in the recorded deployment of the connected network."""
    registry = load_deployment(key)[f"{market.lower()}_registry"]
    address = registry.pool()
    if int(address, 16) == 0:
        raise click.ClickException(f"market {market} has no pool")
    return project.OptionsPool.at(address)


def _registry(pool: Any) -> Any:
    return project.SeriesRegistry.at(pool.registry())


def _scale_inputs(pool: Any, expiry: int) -> tuple[int, int, int, int]:
    """(forward, scale, lo, hi) as the pool computes them at the pending block."""
    reg = _registry(pool)
    lo, hi = reg.bounds(expiry)
    idx, fresh = reg.index_price()
    f = min(max(int(idx if fresh else reg.reference_price()), lo), hi)
    tau = max(int(expiry) - int(chain.pending_timestamp), 0)
    return f, pm.scale(f, int(pool.vol_multiplier()), int(reg.variance()), tau), lo, hi


def _quote(pool: Any, *args: Any) -> int | None:
    try:
        return int(pool.quote(*args))
    except ContractLogicError:
        return None


def quotes(pool: Any, expiry: int, qty: int = 1) -> list[dict[str, Any]]:
    """One row per (strike, kind): bid/ask per lot (None where the pool does not quote),
    model per lot (raw units) and delta per lot (float)."""
    reg = _registry(pool)
    f, s, lo, hi = _scale_inputs(pool, expiry)
    rows = []
    for strike in reg.strikes(expiry):
        for kind, name in KINDS.items():
            bid, ask = (
                _quote(pool, expiry, kind, strike, qty, False),
                _quote(pool, expiry, kind, strike, qty, True),
            )
            rows.append(
                {
                    "strike": int(strike),
                    "kind": name,
                    "bid": None if bid is None else bid // qty,
                    "ask": None if ask is None else -(-ask // qty),
                    "model": int(pool.model_price(expiry, kind, strike)),
                    "delta": pm.delta(kind, int(strike), f, s, lo, hi) / pm.WAD,
                }
            )
    return rows


def status(pool: Any) -> dict[str, Any]:
    """NAV, shares, NAV per share (asset units per whole share), utilisation and positions."""
    ch = project.Clearinghouse.at(pool.clearinghouse())
    vault = project.CollateralVault.at(pool.vault())
    reg = _registry(pool)
    nav, supply = int(pool.totalAssets()), int(pool.totalSupply())
    cash, req = int(vault.balance_of(pool)), int(ch.requirement(pool))
    positions = []
    for ref in ch.open_series(pool):
        e = int(ref.expiry)
        n, cost = ch.futures_position(pool, reg, e)
        legs = [
            (KINDS[int(x.kind)], int(x.strike), int(x.qty)) for x in ch.option_legs(pool, reg, e)
        ]
        positions.append(
            {
                "expiry": e,
                "futures": int(n),
                "cost": int(cost),
                "legs": legs,
                "delta": int(pool.delta(e)) / pm.WAD,
            }
        )
    unit = 10 ** int(pool.decimals())
    return {
        "nav": nav,
        "cash": cash,
        "requirement": req,
        "shares": supply,
        "nav_per_share": nav * unit / supply if supply else None,
        "utilisation": req / cash if cash else None,
        "free_collateral": int(vault.free_collateral(pool)),
        "positions": positions,
    }


def deposit(pool: Any, account: Any, amount: int) -> int:
    """Approve and deposit `amount` raw units; returns the shares minted."""
    token = project.ReferenceUSD1.at(pool.asset())
    token.approve(pool, amount, sender=account)
    before = int(pool.balanceOf(account))
    pool.deposit(amount, account, sender=account)
    return int(pool.balanceOf(account)) - before


def redeem(pool: Any, account: Any, shares: int | None = None) -> int:
    """Redeem `shares` (default: as many as `maxRedeem` allows); returns the assets paid."""
    shares = int(pool.maxRedeem(account)) if shares is None else shares
    token = project.ReferenceUSD1.at(pool.asset())
    before = int(token.balanceOf(account))
    pool.redeem(shares, account, account, sender=account)
    return int(token.balanceOf(account)) - before


# ---------------------------------------------------------------- CLI


def _usd(pool: Any, raw: int | None) -> str:
    if raw is None:
        return "-"
    return f"{raw / 10 ** (int(pool.decimals()) - 3):,.2f}"


def _signer(account: Any) -> Any:
    if account is not None:
        return account
    if chain.provider.network.is_local:
        return accounts.test_accounts[0]
    raise click.UsageError("pass --account ALIAS on a live network")


@click.group()
def cli() -> None:
    """The market's options pool: quotes, status, LP deposit and redeem."""


@cli.command("quotes", cls=ConnectedProviderCommand)
@network_option()
@click.option("--market", default="BTC", show_default=True)
@click.option("--expiry", type=int, default=None, help="series (default: second live expiry)")
@click.option("--qty", type=int, default=1, show_default=True)
def quotes_cmd(network: Any, market: str, expiry: int | None, qty: int) -> None:
    """Bid / ask / model / delta per strike of one series."""
    pool = find_pool(market)
    e = expiry or int(_registry(pool).live_expiries()[1])
    table = Table(title=f"{market} pool quotes, expiry {e}, {qty} lot(s), USD1 per lot")
    for col in ("strike", "kind", "bid", "ask", "model", "delta"):
        table.add_column(col, justify="right")
    for r in quotes(pool, e, qty):
        table.add_row(
            _usd(pool, r["strike"]),
            r["kind"],
            _usd(pool, r["bid"]),
            _usd(pool, r["ask"]),
            _usd(pool, r["model"]),
            f"{r['delta']:+.3f}",
        )
    Console().print(table)


@cli.command("status", cls=ConnectedProviderCommand)
@network_option()
@click.option("--market", default="BTC", show_default=True)
def status_cmd(network: Any, market: str) -> None:
    """NAV, NAV per share, utilisation and the pool's positions."""
    pool = find_pool(market)
    st = status(pool)
    c = Console()
    c.print(
        f"NAV {_usd(pool, st['nav'])} USD1 · cash {_usd(pool, st['cash'])} · requirement "
        f"{_usd(pool, st['requirement'])} · free {_usd(pool, st['free_collateral'])}"
    )
    c.print(
        f"shares {st['shares']} · NAV/share {st['nav_per_share']} · utilisation {st['utilisation']}"
    )
    for p in st["positions"]:
        c.print(
            f"expiry {p['expiry']}: futures {p['futures']} delta {p['delta']:+.2f} legs {p['legs']}"
        )


@cli.command("deposit", cls=ConnectedProviderCommand)
@network_option()
@account_option(prompt=False)
@click.option("--market", default="BTC", show_default=True)
@click.option("--usd", type=float, required=True, help="USD1 to deposit")
def deposit_cmd(network: Any, account: Any, market: str, usd: float) -> None:
    """Deposit USD1 for LP shares."""
    pool = find_pool(market)
    amount = round(usd * 10 ** (int(pool.decimals()) - 3))
    Console().print(f"minted {deposit(pool, _signer(account), amount)} shares")


@cli.command("redeem", cls=ConnectedProviderCommand)
@network_option()
@account_option(prompt=False)
@click.option("--market", default="BTC", show_default=True)
@click.option("--shares", type=int, default=None, help="shares to redeem (default: the maximum)")
def redeem_cmd(network: Any, account: Any, market: str, shares: int | None) -> None:
    """Redeem LP shares (at most what the pool's free collateral allows)."""
    pool = find_pool(market)
    Console().print(f"received {_usd(pool, redeem(pool, _signer(account), shares))} USD1")
