"""`ape run risk --network ... --account ...`: an account's positions, collateral, max loss, Greeks.

    ape run risk --network ethereum:local:foundry                 # test account 0 (local only)
    ape run risk --network ethereum:sepolia:node --account ALIAS  # a keyfile alias, never unlocked
    ape run risk --network ... --address 0xABC...                 # any account, read-only
    ape run risk --network ... --account TEST::3 --json           # a JSON document, no tables

Read-only: nothing is signed or sent. Works on the deployment recorded for the network
(`deployments/<ecosystem>_<network>.json`, written by `ape run deploy`; `--deployment KEY` reads
another record). Positions and requirements come from the contracts; max loss uses the reference
margin model over each series' current range, and the Greeks use Black-76 on the index price
clamped into the range (see `rangebound/ops/risk.py` for the model and units).
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from datetime import UTC, datetime

import click
from ape import accounts, chain
from ape.cli import ConnectedProviderCommand, network_option
from eth_utils.address import to_checksum_address
from rich import box
from rich.console import Console
from rich.table import Table

from rangebound.ops.records import json_option, network_key, record_errors
from rangebound.ops.risk import AccountRisk, Greeks, SeriesRisk, kind_name, risk_from_deployment

ADDRESS = re.compile(r"^0x[0-9a-fA-F]{40}$")


def _is_local() -> bool:
    net = chain.provider.network
    return bool(net.is_local) or "fork" in net.name


def resolve_address(account: str | None, address: str | None) -> str:
    """The address to inspect: `--address`, or `--account` (0x address, `TEST::N` or a keyfile
    alias, loaded without unlocking), or test account 0 on a local/fork network."""
    if account and address:
        raise click.UsageError("pass either --account or --address, not both")
    ref = address or account
    if ref is None:
        if _is_local():
            return str(accounts.test_accounts[0].address)
        raise click.UsageError("pass --account ALIAS or --address 0x... on a live network")
    if ADDRESS.match(ref):
        return str(to_checksum_address(ref))
    if address:
        raise click.BadParameter(f"not an address: {address!r}", param_hint="--address")
    if ref.upper().startswith("TEST::"):
        index = ref[len("TEST::"):]
        if not index.isdigit() or int(index) >= len(accounts.test_accounts):
            raise click.BadParameter(f"no test account {ref!r}", param_hint="--account")
        return str(accounts.test_accounts[int(index)].address)
    if ref in accounts.aliases:
        return str(accounts.load(ref).address)
    raise click.BadParameter(f"no account alias {ref!r} (nor an address)", param_hint="--account")


def main(address: str, key: str | None = None) -> AccountRisk:
    """The risk report of `address` on the recorded deployment of the connected network."""
    key = key or network_key()
    with record_errors(key):
        return risk_from_deployment(address, key)


# --------------------------------------------------------------------------- rendering


def _usd(raw: int, decimals: int) -> str:
    return f"{raw / 10**decimals:,.2f}"


def _num(x: float, places: int = 4) -> str:
    x += 0.0  # no "-0"
    return f"{x:,.{places}f}" if abs(x) >= 1e-3 or x == 0 else f"{x:,.3e}"


def _date(ts: int) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d %H:%M")


def _greek_cells(g: Greeks) -> list[str]:
    return [_num(g.delta), _num(g.gamma, 6), _num(g.vega), _num(g.theta), _num(g.delta_usd, 2)]


GREEK_COLUMNS = ["delta", "gamma", "vega", "theta", "delta USD1"]
GREEK_UNITS = "delta: lots; gamma: lots per USD1; vega: per vol point; theta: per day"
RECORDS_NOTE = ("fill records: maker fills not yet folded, already in the future's qty (anyone's "
                "`fold`, or the claim, books them; their reserve stays held until then)")


def _label(s: SeriesRisk) -> str:
    return f"{s.book.market} {datetime.fromtimestamp(s.book.expiry, UTC):%Y-%m-%d}"


def _table(title: str, columns: Sequence[str], rows: Sequence[Sequence[str]],
           left: int = 1, bold_from: int | None = None, caption: str | None = None) -> Table:
    """A table whose cells never shrink (each column at least as wide as its widest cell), so
    a narrow console wraps headers rather than truncating numbers. The first `left` columns are
    left-aligned; rows from `bold_from` on are bold (totals)."""
    table = Table(title=title, caption=caption, box=box.SIMPLE_HEAD, collapse_padding=True,
                  pad_edge=False)
    for i, col in enumerate(columns):
        width = max((len(r[i]) for r in rows), default=0)
        table.add_column(col, justify="left" if i < left else "right", min_width=width)
    for i, row in enumerate(rows):
        table.add_row(*row, style="bold" if bold_from is not None and i >= bold_from else None)
    return table


def tables(risk: AccountRisk) -> list[Table]:
    """Collateral, positions, per-series max loss, per-series and total Greeks (rich tables)."""
    b, dec = risk.book, risk.book.decimals
    collateral = [
        ("vault balance", b.balance),
        ("requirement (stored)", b.requirement),
        ("  of which order reserves", b.reserved),
        ("    held for unfolded maker fills", risk.held_for_fills),
        ("free collateral", b.free_collateral),
        ("unfolded maker fees", risk.unfolded_fees),
        ("max loss at today's ranges", risk.max_loss),
        ("requirement after recalculate and folds", risk.current_requirement),
        ("free after recalculate and folds", risk.free_after_recalculate),
    ]
    summary = _table("Collateral (USD1)", ("", "amount"),
                     [(label, _usd(raw, dec)) for label, raw in collateral])

    held: list[tuple[str, ...]] = []
    records = any(s.book.record_reserve for s in risk.series)
    for s in risk.series:
        if s.book.n or s.book.cost:
            avg = _num(s.book.cost / s.book.n / 10**dec, 2) if s.book.n else "-"
            held.append((_label(s), "future", str(s.book.n), avg, _usd(s.forward, dec)))
        if s.book.record_reserve:
            lots = s.book.record_lots
            avg = _num(s.book.record_cost / lots / 10**dec, 2) if lots else "-"
            held.append((_label(s), "  of which fill records", str(lots), avg, ""))
        for lr in s.legs:
            held.append((_label(s), kind_name(lr.leg.kind), str(lr.leg.qty),
                         _usd(lr.leg.strike, dec), _num(lr.value, 2)))
    positions = _table("Positions (USD1 per lot)",
                       ("series", "instrument", "qty", "avg price / strike", "mark / value"),
                       held, left=2, caption=RECORDS_NOTE if records else None)

    loss_rows: list[tuple[str, ...]] = []
    for s in risk.series:
        lo, hi = s.book.price_range
        rng = f"settled {_usd(lo, dec)}" if s.book.settled else f"{_usd(lo, dec)}-{_usd(hi, dec)}"
        fwd = _usd(s.forward, dec) + ("" if s.book.index_fresh or s.book.settled else " stale")
        loss_rows.append((
            _label(s), rng, fwd, f"{s.vol:.1%}", f"{s.t_years * 365:.2f}", _usd(s.max_loss, dec),
            _usd(s.worst_price, dec), _usd(s.book.stored_requirement, dec),
        ))
    losses = _table("Max loss per series (USD1; prices per lot)",
                    ("series", "range", "forward", "vol", "days", "max loss", "at", "stored"),
                    loss_rows, caption="at: the worst settlement price; stored: on-chain, "
                    "before `recalculate` and folds (fill records excluded)")

    greek_rows = [(_label(s), *_greek_cells(s.greeks), _num(s.model_value, 2))
                  for s in risk.series]
    for market, g in risk.totals.items():
        value = sum(s.model_value for s in risk.series if s.book.market == market)
        greek_rows.append((f"{market} total", *_greek_cells(g), _num(value, 2)))
    greeks = _table("Greeks (Black-76 on the clamped index, rate 0)",
                    ("series", *GREEK_COLUMNS, "value"), greek_rows,
                    bold_from=len(risk.series), caption=GREEK_UNITS + "; value: model P&L")
    return [summary, positions, losses, greeks]


def render(risk: AccountRisk, console: Console) -> None:
    b = risk.book
    console.print(f"[bold]{b.account}[/] on {b.network}, block {b.block} ({_date(b.timestamp)} UTC)")
    for table in tables(risk):
        console.print(table)
    if not risk.series:
        console.print("no open positions")


@click.command(cls=ConnectedProviderCommand)
@network_option()
@click.option("--account", "account", default=None,
              help="alias, TEST::N or 0x address (default on local networks: test account 0)")
@click.option("--address", default=None, help="inspect any account by address (no signing)")
@json_option()
@click.option("--deployment", default=None,
              help="deployment record key (default: <ecosystem>_<network> of the connection)")
def cli(account: str | None, address: str | None, as_json: bool, deployment: str | None) -> None:
    """An account's positions, requirement, free collateral, max loss and Greeks."""
    risk = main(resolve_address(account, address), deployment)
    if as_json:
        click.echo(json.dumps(risk.to_dict(), indent=2, allow_nan=False))
    else:
        render(risk, Console())
