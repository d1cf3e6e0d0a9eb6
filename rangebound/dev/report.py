"""Turn a `SimResult` into what `make demo` shows: a rich report, `demo.json` and `demo.png`."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from rangebound.dev.simulation import SimResult


def _date(ts: int) -> str:
    return datetime.fromtimestamp(ts, tz=UTC).strftime("%a %Y-%m-%d")


def _usd(raw: int, decimals: int) -> str:
    return f"{raw / 10**decimals:,.2f}"


def to_json(res: SimResult) -> dict[str, Any]:
    """The machine-readable report (reports/demo.json)."""
    return {
        "params": {
            "days": len(res.days),
            "token_decimals": res.system.decimals,
            "tick": res.system.markets["BTC"].registry.tick(),
            "lot": "0.001 BTC",
            "units": "prices, ranges and amounts in raw USD1 units (per lot for prices)",
        },
        "series": res.series,
        "accounts": res.accounts,
        "solvency": res.solvency,
        "gas": res.gas,
        "transactions": res.tx_count,
        "shock_expiry": res.shock_expiry,
        "pool": res.pool,
        "days": [
            {"ts": p.ts, "index": p.index, "index_per_lot": p.index_per_lot, "fixing": p.fixing,
             "ranges": {str(e): list(r) for e, r in p.ranges.items()}}
            for p in res.days
        ],
    }


def print_report(res: SimResult, console: Console) -> None:
    dec = res.system.decimals
    t = Table(title="Settled series (USD1 per lot of 0.001 BTC)")
    for col in ("expiry", "range at listing", "range at expiry", "fixing", "settlement", ""):
        t.add_column(col, justify="right")
    for s in res.series:
        lo0, hi0 = s["range_at_listing"]
        lo1, hi1 = s["range_at_expiry"]
        t.add_row(_date(s["expiry"]), f"{_usd(lo0, dec)} – {_usd(hi0, dec)}",
                  f"{_usd(lo1, dec)} – {_usd(hi1, dec)}", _usd(s["fixing"], dec),
                  _usd(s["settlement_price"], dec),
                  "[bold red]clamped[/]" if s["clamped"] else "")
    console.print(t)

    a = Table(title="Accounts (USD1)")
    for col in ("account", "deposits", "P&L", "fees paid", "fees received", "final balance"):
        a.add_column(col, justify="right")
    for name, row in res.accounts.items():
        pnl = row["pnl"]
        colour = "green" if pnl >= 0 else "red"
        a.add_row(name, _usd(row["deposits"], dec), f"[{colour}]{_usd(pnl, dec)}[/]",
                  _usd(row["fees"], dec), _usd(row.get("fees_received", 0), dec),
                  _usd(row["final_balance"], dec))
    console.print(a)

    sv = res.solvency
    ok_bal = sv["vault_token_balance"] == sv["sum_balances"] == sv["vault_total_balances"]
    zero = all(v == 0 for v in sv["pnl_plus_fees_by_series"].values())
    console.print(
        f"[bold]Solvency[/]: token.balanceOf(vault) = {sv['vault_token_balance']:,} raw, "
        f"Σ balances = {sv['sum_balances']:,} raw → "
        f"{'[green]equal[/]' if ok_bal else '[red]MISMATCH[/]'}; "
        f"Σ P&L + fees per settled series: "
        f"{'[green]0 for all ' + str(len(sv['pnl_plus_fees_by_series'])) + ' series[/]' if zero else sv['pnl_plus_fees_by_series']}"
    )
    if res.pool:
        print_pool(res, console)
    g = Table(title=f"Gas per operation ({res.tx_count} transactions)")
    for col in ("operation", "count", "median gas"):
        g.add_column(col, justify="right")
    for k, v in res.gas.items():
        g.add_row(k, str(v["count"]), f"{v['median']:,}")
    console.print(g)


def print_pool(res: SimResult, console: Console) -> None:
    """Book vs pool on the same days (options), and the pool's NAV per share and P&L split."""
    dec, p = res.system.decimals, res.pool
    t = Table(title="Options: order book vs pool (same days)")
    for col in ("venue", "trades", "lots", "avg paid over model / lot", "median gas / trade"):
        t.add_column(col, justify="right")
    for name, v in p["venues"].items():
        markup = "-" if v["avg_markup_per_lot"] is None else _usd(v["avg_markup_per_lot"], dec)
        gas = "-" if v["median_gas"] is None else f"{v['median_gas']:,}"
        t.add_row(name, str(v["trades"]), str(v["lots"]), markup, gas)
    console.print(t)
    nav = p["nav_per_share"]
    first, last = (nav[0][1], nav[-1][1]) if nav else (0.0, 0.0)
    pnl = p["pnl"]
    console.print(
        f"[bold]Pool[/]: NAV per share {first:.6f} → {last:.6f} USD1; P&L {_usd(pnl['total'], dec)} = "
        f"fees {_usd(pnl['fees'], dec)} + spread {_usd(pnl['spread'], dec)} + option P&L "
        f"{_usd(pnl['options'], dec)} + hedge (futures) P&L {_usd(pnl['hedge'], dec)}; "
        f"{p['hedges']} hedges"
    )


def plot(res: SimResult, path: Path) -> None:
    """Index path, daily fixings, each series' range band over its life, settlement points."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.dates import DateFormatter

    dec = res.system.decimals
    scale = 1000 / 10**dec        # raw units per lot -> USD per BTC
    when = [datetime.fromtimestamp(p.ts, tz=UTC) for p in res.days]
    fig, ax = plt.subplots(figsize=(12, 6.5), dpi=110)
    bands: dict[int, list[tuple[datetime, float, float]]] = {}
    for p, w in zip(res.days, when, strict=True):
        for e, (lo, hi) in p.ranges.items():
            bands.setdefault(e, []).append((w, lo * scale, hi * scale))
    for e, pts in bands.items():   # carry the last range to the expiry (the settle point)
        end = datetime.fromtimestamp(e, tz=UTC)
        if end > pts[-1][0] and e <= res.days[-1].ts + 86_400:
            pts.append((end, pts[-1][1], pts[-1][2]))
    cmap = plt.get_cmap("tab10")
    for i, (e, pts) in enumerate(sorted(bands.items())):
        xs = [x for x, _, _ in pts]
        colour = cmap(i % 10)
        ax.fill_between(xs, [lo for _, lo, _ in pts], [hi for _, _, hi in pts],
                        step="post", alpha=0.10, color=colour, linewidth=0)
        ax.step(xs, [lo for _, lo, _ in pts], where="post", color=colour, lw=0.8, alpha=0.7)
        ax.step(xs, [hi for _, _, hi in pts], where="post", color=colour, lw=0.8, alpha=0.7)
    ax.plot(when, [p.index for p in res.days], color="black", lw=1.8, label="BTC index (07:55)")
    fx = [(w, p.fixing * scale) for p, w in zip(res.days, when, strict=True) if p.fixing]
    if fx:
        ax.scatter([w for w, _ in fx], [v for _, v in fx], s=14, color="tab:blue", zorder=3,
                   label="fixing of the nearest series")
    for s in res.series:
        w = datetime.fromtimestamp(s["expiry"], tz=UTC)
        colour = "tab:red" if s["clamped"] else "tab:green"
        ax.scatter([w], [s["settlement_price"] * scale], marker="D", s=40, color=colour,
                   edgecolor="black", zorder=4)
        if s["clamped"]:
            ax.scatter([w], [s["fixing"] * scale], marker="x", s=50, color="tab:red", zorder=4)
            ax.annotate("fixing outside range:\nsettled at the bound", (w, s["fixing"] * scale),
                        textcoords="offset points", xytext=(8, 6), fontsize=8, color="tab:red")
    ax.scatter([], [], marker="D", color="tab:green", edgecolor="black", label="settlement")
    ax.scatter([], [], marker="D", color="tab:red", edgecolor="black",
               label="settlement clamped to range (× = fixing)")
    ax.fill_between([], [], [], color="grey", alpha=0.2, label="each series' range [L, U] over its life")
    if res.pool and res.pool["nav_per_share"]:
        nav_ax = ax.twinx()
        nav_ax.plot([datetime.fromtimestamp(t, tz=UTC) for t, _ in res.pool["nav_per_share"]],
                    [v for _, v in res.pool["nav_per_share"]], color="tab:purple", lw=1.4,
                    ls="--", label="pool NAV per share (right axis)")
        nav_ax.set_ylabel("pool NAV per share (USD1)", color="tab:purple")
        nav_ax.legend(loc="upper left", fontsize=8, frameon=False)
    ax.set_ylabel("USD per BTC (range bounds are per-lot prices × 1000)")
    ax.set_title("Rangebound demo: index, fixings and every series' trading range (ranges only narrow)")
    ax.xaxis.set_major_formatter(DateFormatter("%b %d"))
    ax.grid(alpha=0.25)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.08), ncol=3, fontsize=8,
              frameon=False)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)


def write(res: SimResult, out_dir: Path) -> tuple[Path, Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    j = out_dir / "demo.json"
    j.write_text(json.dumps(to_json(res), indent=2) + "\n")
    png = out_dir / "demo.png"
    plot(res, png)
    return j, png
