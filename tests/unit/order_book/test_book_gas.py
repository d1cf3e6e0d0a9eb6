"""OrderBook gas of the main paths (`test_gas__report`, run with -s to see it)."""

from __future__ import annotations

from rangebound.constants import (
    IOC,
)

from .book_helpers import place

GAS: dict[str, int] = {}


def test_gas__report(funded, maker, maker2, taker):
    env = funded
    tx = place(env, maker, env.px(1), 1, False)
    GAS["place resting (new level)"] = tx.gas_used
    tx = place(env, maker2, env.px(1), 1, False)
    GAS["place resting (same level)"] = tx.gas_used
    tx = env.book.cancel_order(tx.return_value, sender=maker2)
    GAS["cancel"] = tx.gas_used
    tx = place(env, taker, env.px(1), 1, True, flags=IOC)
    GAS["take 1 maker (futures)"] = tx.gas_used
    for i in range(10):
        place(env, maker if i % 2 else maker2, env.px(2 + i % 3), 1, False)
    tx = place(env, taker, env.px(4), 10, True, flags=IOC, max_fills=10)
    assert len(tx.decode_logs(env.book.OrderFilled)) == 10
    GAS["take 10 makers (futures)"] = tx.gas_used
    print("\nOrderBook gas:", {k: v for k, v in GAS.items()})
    assert GAS["cancel"] < GAS["place resting (new level)"]
