"""Quote an option: vanilla Black-Scholes vs the USD1 quanto, with Greeks.

    ape run quote --spot 100000 --strike 110000 --t 1 --vol 0.55 --corr 0.087
    ape run quote --example          # the published BTC/USD1 example vs this library
    python scripts/quote.py --example

No network is needed: this is a plain click command (no Ape network option). See docs/pricing.md.
"""

from __future__ import annotations

from typing import Any, cast

import click
from rich.console import Console
from rich.table import Table

from rangebound.quant import pricing as pr

# The published example (docs/pricing.md): BTC 100,000, strike 110,000, one year, USD1 rate 4.5 %,
# BTC rate 0, BTC vol 55 %, stablecoin vol 4.7 %, correlation 8.7 %.
EXAMPLE = {"spot": 100_000.0, "strike": 110_000.0, "t": 1.0, "rate": 0.045, "vol": 0.55}
EXAMPLE_FX_VOL, EXAMPLE_CORR = 0.047, 0.087
PUBLISHED = {"naive": 19_879.13, "quanto": 19_964.06, "pct": 0.43, "per_pct_corr": 0.05}
PUBLISHED_RATE = 0.04875  # the rate that reproduces the published naive figure to the cent

# (label, key, factor): displayed value = Greek * factor
ROWS = [
    ("price", "price", 1.0),
    ("delta", "delta", 1.0),
    ("gamma", "gamma", 1.0),
    ("vega (per vol point)", "vega", 0.01),
    ("theta (per day)", "theta", 1 / 365),
    ("rho (per 1% rate)", "rho", 0.01),
]


def _fmt(x: float) -> str:
    x += 0.0  # no "-0"
    return f"{x:,.6g}" if abs(x) < 1 else f"{x:,.4f}"


def quote_table(
    kind: str,
    spot: float,
    strike: float,
    t: float,
    rate: float,
    vol: float,
    fx_vol: float,
    corr: float,
    div: float,
) -> Table:
    """Vanilla vs quanto prices and Greeks as a rich table."""
    k = cast(pr.Kind, kind)
    van = pr.greeks(k, spot, strike, t, rate, vol, div)
    qua = pr.quanto_greeks(k, spot, strike, t, rate, vol, fx_vol, corr, div)
    title = (
        f"{kind} K={strike:,.2f}  S={spot:,.2f}  t={t:g}y  r={rate:.4%}  q={div:.4%}  "
        f"vol={vol:.2%}  fx_vol={fx_vol:.2%}  corr={corr:+.3f}"
    )
    table = Table(title=title)
    for col in ("", "vanilla (BS)", "quanto (USD1)", "quanto - vanilla"):
        table.add_column(col, justify="right" if col else "left")
    for label, key, factor in ROWS:
        a, b = float(van[key]) * factor, float(qua[key]) * factor
        table.add_row(label, _fmt(a), _fmt(b), _fmt(b - a))
    price = float(van["price"])
    change = float(qua["price"]) / price - 1 if price > 0 else float("nan")
    table.add_row("price change", "", f"{change:+.4%}", "")
    table.add_row("d price / d corr (per 1%)", "", _fmt(float(qua["dcorr"]) / 100), "")
    return table


def example_table() -> Table:
    """The published example next to this library and to a reconstruction of the published maths."""
    fx_vol, corr = EXAMPLE_FX_VOL, EXAMPLE_CORR
    naive = float(pr.black_scholes("call", **EXAMPLE))
    quanto = float(pr.quanto("call", **EXAMPLE, fx_vol=fx_vol, corr=corr))
    per_pct = float(pr.quanto_greeks("call", **EXAMPLE, fx_vol=fx_vol, corr=corr)["dcorr"]) / 100
    # Reconstruction: naive at 4.875 %, quanto = the correction added to the *discount* rate too.
    adj = corr * EXAMPLE["vol"] * fx_vol
    rec = dict(EXAMPLE, rate=PUBLISHED_RATE)
    rec_naive = float(pr.black_scholes("call", **rec))
    rec_quanto = float(pr.black_scholes("call", **dict(rec, rate=PUBLISHED_RATE + adj)))
    rec_per_pct = float(pr.greeks("call", **rec)["rho"]) * EXAMPLE["vol"] * fx_vol / 100

    table = Table(title="Published BTC/USD1 example: call S=100,000 K=110,000 T=1y")
    for col in ("", "published", "this library", "reconstruction of published"):
        table.add_column(col, justify="right" if col else "left")
    table.add_row("rate used", "4.5 % (stated)", "4.5 %", "4.875 %, bumped by corr*vol*fx_vol")
    table.add_row("naive (BS)", f"{PUBLISHED['naive']:,.2f}", f"{naive:,.2f}", f"{rec_naive:,.2f}")
    table.add_row("quanto", f"{PUBLISHED['quanto']:,.2f}", f"{quanto:,.2f}", f"{rec_quanto:,.2f}")
    table.add_row(
        "quanto vs naive",
        f"+{PUBLISHED['pct']:.2f} %",
        f"{quanto / naive - 1:+.3%}",
        f"{rec_quanto / rec_naive - 1:+.3%}",
    )
    table.add_row(
        "per 1% of correlation",
        f"~{PUBLISHED['per_pct_corr']:.2f} %",
        f"{per_pct / naive:+.4%} ({per_pct:,.2f})",
        f"{rec_per_pct / rec_naive:+.4%} ({rec_per_pct:,.2f})",
    )
    return table


@click.command()
@click.option("--kind", type=click.Choice(["call", "put"]), default="call", show_default=True)
@click.option("--spot", type=float, default=EXAMPLE["spot"], show_default=True)
@click.option("--strike", type=float, default=EXAMPLE["strike"], show_default=True)
@click.option("--t", "t", type=float, default=EXAMPLE["t"], show_default=True, help="years")
@click.option("--rate", type=float, default=EXAMPLE["rate"], show_default=True, help="USD1 rate")
@click.option("--vol", type=float, default=EXAMPLE["vol"], show_default=True)
@click.option(
    "--fx-vol", "--fx_vol", "fx_vol", type=float, default=EXAMPLE_FX_VOL, show_default=True
)
@click.option("--corr", type=float, default=EXAMPLE_CORR, show_default=True)
@click.option("--div", type=float, default=0.0, show_default=True, help="underlying carry yield")
@click.option("--example", is_flag=True, help="Show the published example vs this library.")
def cli(example: bool, **inputs: Any) -> None:
    """Vanilla vs quanto (USD1-settled) option prices and Greeks."""
    console = Console()
    try:
        if example:
            console.print(example_table())
            console.print(
                "The published figures are not reproducible with the stated 4.5 % rate; "
                "see docs/pricing.md."
            )
        console.print(quote_table(**inputs))  # kind, spot, ... div: the options above
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc


if __name__ == "__main__":
    cli()
