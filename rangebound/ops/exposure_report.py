"""Render a `rangebound.ops.exposure.Venue`: a JSON document, rich tables and a picture.

Used by `ape run exposure` and at the end of `make demo` (reports/exposure.json, .png).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich import box
from rich.console import Console
from rich.table import Table

from rangebound.ops import exposure as ex
from rangebound.ops.risk import Greeks, kind_name

GREEKS = ("delta", "gamma", "vega", "theta")


def _day(ts: int) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d")


def _usd(raw: int | None, dec: int) -> str:
    return "-" if raw is None else f"{raw / 10**dec:,.2f}"


def _num(x: float) -> str:
    x += 0.0
    return f"{x:,.4f}" if abs(x) >= 1e-3 or x == 0 else f"{x:,.3e}"


def _label(market: str, expiry: int) -> str:
    return f"{market} {_day(expiry)}"


# --------------------------------------------------------------------------- JSON


def _greeks_doc(view: dict[str, dict[str, dict[str, Greeks]]]) -> dict[str, Any]:
    return {model: {who: {m: g.as_dict() for m, g in per.items()} for who, per in v.items()}
            for model, v in view.items()}


def _scenario_doc(s: ex.Scenario) -> dict[str, Any]:
    return {
        "name": s.name, "index_move": s.index_move, "peg": s.peg,
        "series": [{"market": m, "expiry": e, "price": s.prices[(m, e)],
                    "collateral_moved": s.moved.get((m, e), 0),
                    "accounts_at_max_loss": s.at_max.get((m, e), 0)} for m, e in s.prices],
        "collateral_moved": s.total_moved, "pool_nav_change": s.pool_nav_change,
        "bad_debt": s.bad_debt, "margin_calls": s.margin_calls,
        "liquidations": s.liquidations, "reduce_only": s.reduce_only,
        "usd_value_change": s.usd_value_change,
    }


def to_dict(venue: ex.Venue) -> dict[str, Any]:
    """The machine-readable view (reports/exposure.json): raw integer units, float Greeks."""
    oi = ex.open_interest(venue)
    worst = ex.max_collateral_moved(venue)
    health = venue.health
    doc: dict[str, Any] = {
        "network": venue.network, "block": venue.block, "timestamp": venue.timestamp,
        "decimals": venue.decimals,
        "units": {"amounts": f"raw settlement-token units (10**{venue.decimals} per USD1)",
                  "prices": "raw units per lot", "qty": "lots",
                  "greeks": "delta lots; gamma lots per USD1; vega USD1 per vol point; "
                            "theta USD1 per day"},
        "accounts": len(venue.books),
        "pool": venue.pool,
        "open_interest": [{"market": m, "expiry": e, "kind": kind_name(k), "strike": strike,
                           "long": lo, "short": sh} for (m, e, k, strike), (lo, sh) in oi.items()],
        "unfolded_fills": [{"market": m, "expiry": e, "accounts": n, "reserve": held, "fees": fees}
                           for (m, e), (n, held, fees) in ex.unfolded_fills(venue).items()],
        "greeks": _greeks_doc(ex.venue_greeks(venue)),
        "account_greeks": {a: {model: {m: g.as_dict() for m, g in per.items()}
                               for model, per in v.items()}
                           for a, v in account_greeks(venue).items()},
        "gamma_by_strike": {model: [{"market": m, "expiry": e, "kind": kind_name(k),
                                     "strike": strike, "gamma": g}
                                    for (m, e, k, strike), g in
                                    gamma_by_strike(venue, model).items()]
                            for model in ex.MODELS},
        "pinned": [dict(vars(p), share_lower=p.share_lower, share_upper=p.share_upper)
                   for p in ex.pinned_losses(venue)],
        "worst_case": [{"market": m, "expiry": e, "collateral_moved": v, "at": at}
                       for (m, e), (v, at) in worst.items()],
        "stress": [_scenario_doc(s) for s in ex.stress_table(venue)],
        "clamped_series": ex.clamped_series(venue),
        "collateral": None if health is None else {
            "peg": ex.peg_summary(health, venue.timestamp),
            "reduce_only": health.reduce_only,
            "vault_token_balance": health.vault_token_balance,
            "total_balances": health.total_balances,
            "concentration": [{"account": a, "balance": b, "share": sh}
                              for a, b, sh in ex.concentration(venue)],
            "blocklist": health.blocklist,
        },
    }
    return doc


def gamma_by_strike(venue: ex.Venue, model: str) -> dict[ex.Instrument, float]:
    """Gamma of the open interest per option instrument: long lots × gamma per lot (the longs'
    gamma; the writers hold the opposite, so with no pool the traders' net is zero)."""
    lots = ex.lot_greeks(venue, model)
    return {key: lots[key].gamma * long for key, (long, _) in ex.open_interest(venue).items()
            if key[2] != 0}


def account_greeks(venue: ex.Venue) -> dict[str, dict[str, dict[str, Greeks]]]:
    """{account: {model: {market: Greeks}}} for every account with open series."""
    lots = {model: ex.lot_greeks(venue, model) for model in ex.MODELS}
    return {b.account: {model: ex.book_greeks(b, lots[model]) for model in ex.MODELS}
            for b in venue.books if any(not s.settled for s in b.series)}


# --------------------------------------------------------------------------- tables


def _table(title: str, columns: list[str], rows: list[list[str]], caption: str | None = None,
           left: int = 1) -> Table:
    t = Table(title=title, caption=caption, box=box.SIMPLE_HEAD, collapse_padding=True,
              pad_edge=False)
    for i, c in enumerate(columns):
        width = max((len(r[i]) for r in rows), default=0)
        t.add_column(c, justify="left" if i < left else "right", min_width=width)
    for r in rows:
        t.add_row(*r)
    return t


def oi_table(venue: ex.Venue) -> Table:
    dec = venue.decimals
    rows = [[_label(m, e), kind_name(k), _usd(strike, dec) if strike else "-", str(lo), str(sh)]
            for (m, e, k, strike), (lo, sh) in ex.open_interest(venue).items()]
    unfolded = ex.unfolded_fills(venue)
    caption = None
    if unfolded:
        held = sum(v[1] for v in unfolded.values())
        fees = sum(v[2] for v in unfolded.values())
        caption = (f"maker fills not yet folded (in the positions): {_usd(held, dec)} USD1 "
                   f"reserve held, {_usd(fees, dec)} USD1 fees to move")
    return _table("Open interest (lots)", ["series", "kind", "strike", "long", "short"], rows,
                  caption=caption, left=2)


def greeks_table(venue: ex.Venue) -> Table:
    view = ex.venue_greeks(venue)
    rows = []

    def row(name: str, b: Greeks, t: Greeks) -> None:
        rows.append([name, *[f"{_num(getattr(b, g))} | {_num(getattr(t, g))}" for g in GREEKS]])

    for a, per in account_greeks(venue).items():
        for market in sorted(per["black76"]):
            tag = " (pool)" if venue.is_pool(a) else ""
            row(f"{a[:10]}…{tag} {market}", per["black76"][market], per["student_t"][market])
    whos = ["traders"] + (["pool_options", "pool"] if venue.pool_book is not None else [])
    names = {"traders": "traders' aggregate", "pool_options": "pool before hedge (options)",
             "pool": "pool after hedge (+ futures)"}
    for who in whos:
        for market in sorted(view["black76"][who]):
            row(f"{names[who]} {market}", view["black76"][who][market],
                view["student_t"][who][market])
    caption = ("each cell: Black-76 | clamped Student-t (nu = 4); " + ex_units()
               + ("" if venue.pool is not None else "; no options pool deployed: the traders' "
                  "aggregate is the whole (zero-sum) book"))
    return _table("Greeks per account and aggregate", ["book", *GREEKS], rows, caption=caption)


def ex_units() -> str:
    return "delta lots, gamma lots/USD1, vega USD1/vol pt, theta USD1/day"


def pinned_table(venue: ex.Venue) -> Table:
    dec = venue.decimals
    worst = ex.max_collateral_moved(venue)
    rows = [[_label(p.market, p.expiry), f"{_usd(p.lower, dec)}-{_usd(p.upper, dec)}",
             str(p.accounts), _usd(p.max_loss, dec),
             f"{_usd(p.moved_at_lower, dec)} ({p.share_lower:.0%})", str(p.at_max_lower),
             f"{_usd(p.moved_at_upper, dec)} ({p.share_upper:.0%})", str(p.at_max_upper),
             _usd(worst[(p.market, p.expiry)][0], dec)]
            for p in ex.pinned_losses(venue)]
    return _table("Pinned losses (USD1)", ["series", "range", "accts", "max loss (locked)",
                  "moved at L", "at max", "moved at U", "at max", "worst price"], rows,
                  caption="moved: collateral paid by losers if the fixing sat at the bound; "
                  "worst price: the maximum over every price in [L, U]")


def stress_table(venue: ex.Venue) -> Table:
    """The promise under stress: bad debt, margin calls, liquidations (computed per account)."""
    dec = venue.decimals
    rows = []
    for s in ex.stress_table(venue):
        rows.append([s.name, _usd(s.total_moved, dec), str(sum(s.at_max.values())),
                     _usd(s.pool_nav_change, dec), _usd(s.bad_debt, dec), str(s.margin_calls),
                     str(s.liquidations), "yes" if s.reduce_only else "no",
                     _usd(s.usd_value_change, dec)])
    pool = "" if venue.pool is not None else "; pool NAV: no options pool deployed"
    return _table("Stress (USD1)", ["scenario", "moved", "at max loss", "pool NAV",
                  "bad debt", "margin calls", "liquid.", "reduce-only", "USD value"], rows,
                  caption="each account's loss at the clamped settlement vs its locked "
                  "collateral and balance; USD value: the balances' USD value change" + pool)


def stress_series_table(venue: ex.Venue) -> Table:
    """Collateral moved per series under each scenario."""
    dec = venue.decimals
    table = ex.stress_table(venue)
    keys = sorted({k for s in table for k in s.prices})
    rows = [[s.name, *[_usd(s.moved.get(k, 0), dec) for k in keys]] for s in table]
    return _table("Stress: collateral moved per series (USD1)",
                  ["scenario", *[_label(*k) for k in keys]], rows)


def health_table(venue: ex.Venue) -> Table:
    h, dec = venue.health, venue.decimals
    if h is None:
        return _table("Collateral health", ["", "value"], [["not read", "-"]])
    peg = ex.peg_summary(h, venue.timestamp)
    rows = [["USD1/USD last", f"{peg['last']}" if peg["last"] is not None else "-"],
            ["  age (s)", str(peg["age_s"])],
            [f"  min / max ({peg['rounds']} rounds)", f"{peg['min']} / {peg['max']}"],
            ["  depeg threshold", f"{h.depeg_threshold}"],
            ["reduce-only", ", ".join(f"{m}: {v}" for m, v in h.reduce_only.items())],
            ["vault token balance", _usd(h.vault_token_balance, dec)],
            ["sum of balances", _usd(h.total_balances, dec)]]
    for a, b, sh in ex.concentration(venue):
        tag = " (pool)" if venue.is_pool(a) else ""
        rows.append([f"  {a[:10]}…{tag}", f"{_usd(b, dec)} ({sh:.1%})"])
    for a, v in h.blocklist.items():
        rows.append([f"blocklisted {a[:10]}…", "no blocklist" if v is None else str(v)])
    return _table("Collateral health", ["", "value"], rows)


def render(venue: ex.Venue, console: Console) -> None:
    console.print(f"[bold]venue[/] on {venue.network}, block {venue.block} "
                  f"({_day(venue.timestamp)}), {len(venue.books)} accounts, pool: "
                  f"{venue.pool or 'no options pool deployed'}")
    for t in (oi_table(venue), greeks_table(venue), pinned_table(venue),
              stress_series_table(venue), stress_table(venue), health_table(venue)):
        console.print(t)
    for c in ex.clamped_series(venue):
        console.print(f"clamped: {_label(c['market'], c['expiry'])} fixing "
                      f"{_usd(c['fixing'], venue.decimals)} -> {_usd(c['price'], venue.decimals)}"
                      f" ({c['state']})")


# --------------------------------------------------------------------------- picture


def plot(venue: ex.Venue, path: Path) -> Path:
    """Gamma and open interest by strike for the live series; the stress curve (needs the
    `report` extra: matplotlib)."""
    try:
        import matplotlib
    except ModuleNotFoundError as err:
        raise RuntimeError("the picture needs matplotlib: pip install -e '.[report]' "
                           "(make install installs it)") from err

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    dec = venue.decimals
    fig, (a1, a2, a3) = plt.subplots(1, 3, figsize=(16, 5), dpi=100)
    oi: dict[tuple[str, int], dict[int, int]] = {}
    for (m, e, k, strike), (lo, _) in ex.open_interest(venue).items():
        if k != 0:
            oi.setdefault((m, e), {}).setdefault(strike, 0)
            oi[(m, e)][strike] += lo
    for i, ((m, e), per) in enumerate(sorted(oi.items())):
        ks = sorted(per)
        a1.bar([k / 10**dec for k in ks], [per[k] for k in ks], width=1.0, alpha=0.6,
               color=f"C{i % 10}", label=_label(m, e))
    a1.set_title("options open interest by strike (lots)")
    for model, style in (("black76", "-o"), ("student_t", "--x")):
        by: dict[tuple[str, int], list[tuple[int, float]]] = {}
        for (m, e, _, strike), g in gamma_by_strike(venue, model).items():
            by.setdefault((m, e), []).append((strike, g))
        for i, ((m, e), pts) in enumerate(sorted(by.items())):
            agg: dict[int, float] = {}
            for k, g in pts:
                agg[k] = agg.get(k, 0.0) + g
            ks = sorted(agg)
            a2.plot([k / 10**dec for k in ks], [agg[k] for k in ks], style, color=f"C{i % 10}",
                    label=f"{_label(m, e)} {model}")
    a2.set_title("gamma of the open interest by strike (longs; lots per USD1)")
    moves = [m / 100 for m in range(-60, 61, 5)]
    moved = [ex.scenario(venue, move=m).total_moved / 10**dec for m in moves]
    a3.plot([m * 100 for m in moves], moved, "-o")
    a3.set_title("stress: collateral moved vs index move")
    a3.set_xlabel("index move (%)")
    a3.set_ylabel("USD1")
    for ax in (a1, a2):
        ax.set_xlabel("strike (USD1 per lot)")
        if ax.get_legend_handles_labels()[0]:
            ax.legend(fontsize=7)
    for ax in (a1, a2, a3):
        ax.grid(alpha=0.25)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)
    return path


def write(venue: ex.Venue, out_dir: Path) -> tuple[Path, Path]:
    """reports/exposure.json and reports/exposure.png."""
    out_dir.mkdir(parents=True, exist_ok=True)
    j = out_dir / "exposure.json"
    j.write_text(json.dumps(to_dict(venue), indent=2, allow_nan=False) + "\n")
    return j, plot(venue, out_dir / "exposure.png")


def demo_exposure(system: object, console: Console, out_dir: Path,
                  start_block: int = 0) -> tuple[Path, Path]:
    """The end of `make demo`: read the venue, print the stress table, write the files."""
    import time

    from rangebound.ops.exposure_chain import venue_from_system

    began = time.perf_counter()
    venue = venue_from_system(system, start_block=start_block)
    if venue.pool_book is not None:
        console.print(pool_greeks_table(venue))
    console.print(stress_series_table(venue))
    console.print(stress_table(venue))
    for c in ex.clamped_series(venue):
        console.print(f"clamped: {_label(c['market'], c['expiry'])} fixing "
                      f"{_usd(c['fixing'], venue.decimals)} -> {_usd(c['price'], venue.decimals)}"
                      f" ({c['state']})")
    paths = write(venue, out_dir)
    console.print(f"exposure view ({len(venue.books)} accounts) read, analysed and written in "
                  f"{time.perf_counter() - began:.1f} s: {paths[0]}, {paths[1]}")
    return paths


def pool_greeks_table(venue: ex.Venue) -> Table:
    """The options pool's Greeks per market: its options alone and with its futures hedge."""
    view = ex.venue_greeks(venue)
    names = {"pool_options": "options (before hedge)", "pool": "options + futures hedge"}
    rows = [[f"{names[who]} {market}",
             *[f"{_num(getattr(b, g))} | {_num(getattr(view['student_t'][who][market], g))}"
               for g in GREEKS]]
            for who in names for market, b in sorted(view["black76"].get(who, {}).items())]
    return _table(f"Options pool {venue.pool}", ["book", *GREEKS], rows,
                  caption="each cell: Black-76 | clamped Student-t (nu = 4); " + ex_units())
