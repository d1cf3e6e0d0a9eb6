"""The gas bench's options-pool scenario: ERC-4626 deposit/redeem with and without open legs,
buy/sell (cold and warm) and one hedge through the book; `pool_operations` folds the samples."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rangebound.constants import CALL, FUTURE, PUT
from rangebound.dev.sender import MAX_UINT, Samples

if TYPE_CHECKING:
    from rangebound.dev.scenario import Bench


POOL_LEGS = 12   # open legs of the pool for the deposit/redeem slope (the figure)


def measure_pool(b: Bench, expiry: int) -> None:
    """pool_deposit/pool_redeem with 0 and POOL_LEGS open legs, pool_buy/pool_sell (cold and
    warm) and one hedge through the book (docs/architecture.md §15). Skipped when the market has no pool."""
    pool = b.market.pool
    if pool is None:
        return
    b.progress("options pool: deposit, redeem, buy, sell, hedge")
    lp, trader = b.funded("lp", record=False), b.funded("pool-trader", record=False)
    b.tx.send(lp, b.token, "approve", pool.address, MAX_UINT - 1)
    amount = b.system.usd(100_000)
    b.s.add("pool_deposit_cold", b.tx.send(lp, pool, "deposit", amount, lp))

    def lp_round(tag: str) -> None:
        for _ in range(b.config.reps):
            b.s.add(f"pool_deposit{tag}", b.tx.send(lp, pool, "deposit", amount // 10, lp))
            shares = int(pool.balanceOf(lp)) // 20
            b.s.add(f"pool_redeem{tag}", b.tx.send(lp, pool, "redeem", shares, lp, lp))

    lp_round("")
    strikes = b.active_strikes(expiry)
    mid = len(strikes) // 2
    probe = strikes[mid]
    big = 10**30
    b.s.add("pool_buy_cold", b.tx.send(trader, pool, "buy", expiry, CALL, probe, 1, big))
    for _ in range(b.config.reps):
        b.s.add("pool_buy", b.tx.send(trader, pool, "buy", expiry, CALL, probe, 1, big))
        b.s.add("pool_sell", b.tx.send(trader, pool, "sell", expiry, CALL, probe, 1, 0))
    legs = [(kind, k) for k in strikes[mid - 3: mid + 3] for kind in (CALL, PUT)]
    for kind, k in legs[: POOL_LEGS]:
        if (kind, k) != (CALL, probe):
            b.tx.send(trader, pool, "buy", expiry, kind, k, 1, big)
    b.tx.send(trader, pool, "buy", expiry, CALL, probe, 5, big)   # a clearly short delta
    lp_round(f"_{POOL_LEGS}_legs")
    maker = b.funded("hedge-maker", record=False)
    b.tx.send(maker, b.book, "place_order", expiry, FUTURE, 0, False,
              b.future_price(expiry, 10), 100, 0, 1)
    b.s.add("hedge", b.tx.send(trader, pool, "hedge", expiry))


def pool_operations(s: Samples) -> dict[str, int]:
    """Medians of the pool samples and the per-leg slopes (empty without pool samples)."""
    names = ("pool_buy", "pool_buy_cold", "pool_sell", "pool_deposit", "pool_deposit_cold",
             "pool_redeem", f"pool_deposit_{POOL_LEGS}_legs", f"pool_redeem_{POOL_LEGS}_legs",
             "hedge")
    ops = {n: s.median(n) for n in names if s.data.get(n)}
    for op in ("deposit", "redeem"):
        many = ops.get(f"pool_{op}_{POOL_LEGS}_legs")
        if many is not None and f"pool_{op}" in ops:
            ops[f"pool_{op}_per_leg"] = round((many - ops[f"pool_{op}"]) / POOL_LEGS)
    return ops
