"""The options pool's side of a demo run: book vs pool on the same days, and the pool's P&L
split exactly into fees, spread, hedge and options (`rangebound.dev.simulation` calls both)."""

from __future__ import annotations

from collections import defaultdict
from statistics import median
from typing import Any

from rangebound.constants import FUTURE


def pool_summary(sim: Any, gas: dict[str, list[int]]) -> dict[str, Any]:
    """Book vs pool on the same days (options only): trades, lots, average markup paid over the
    pool's model per lot (spread + fees; raw units), median gas per option trade; the pool's NAV
    per share over time (its P&L split: `pool_pnl_split`)."""
    out: dict[str, Any] = {"venues": {}}
    take_gas = gas.get("take_option", [])
    for name, v in sim.venues.items():
        g = take_gas if name == "book" else gas.get("pool_buy", []) + gas.get("pool_sell", [])
        out["venues"][name] = {
            "trades": v["trades"], "lots": v["lots"],
            "avg_markup_per_lot": round(v["markup"] / v["lots"]) if v["lots"] else None,
            "median_gas": int(median(g)) if g else None,
        }
    out["nav_per_share"] = [[t, v] for t, v in sim.nav]
    out["hedges"] = len(gas.get("hedge", []))
    return out


def pool_pnl_split(sim: Any, fees_received: int, fees_paid: int, head: int) -> dict[str, int]:
    """The pool's P&L (totalAssets − LP deposits, raw units) split exactly into: `fees` (the
    Clearinghouse fees it received as the market's fee account less those it paid), `spread`
    (Σ over its trades of (price − model) × lots in its favour, its fee bps included), `hedge`
    (its futures: Σ per expiry n·X − C, X the settlement price once settled, else the model
    E[S]) and `options` (the rest: its option positions at model against the model premiums)."""
    pool, reg = sim.pool, sim.registry
    total = int(pool.totalAssets()) - sim.pool_deposit
    spread = 0
    for t in pool.Traded.range(0, head):
        spread += (t.price - t.model if t.trader_is_buy else t.model - t.price) * t.qty
    futs: dict[int, list[int]] = defaultdict(lambda: [0, 0])      # expiry -> [n, cost]
    for f in sim.ch.Fill.range(0, head):
        if f.kind != FUTURE or pool.address not in (f.taker, f.maker):
            continue
        n = f.qty if f.taker_is_buy == (f.taker == pool.address) else -f.qty
        futs[f.expiry][0] += n
        futs[f.expiry][1] += n * f.price
    hedge = 0
    for e, (n, cost) in futs.items():
        x = reg.settlement_price(e) or pool.model_price(e, FUTURE, 0)
        hedge += n * x - cost
    fees = fees_received - fees_paid
    return {"total": total, "fees": fees, "spread": spread, "hedge": hedge,
            "options": total - fees - spread - hedge}
