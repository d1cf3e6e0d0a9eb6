"""The book's price levels against a Python model of price-time priority, over seeded random
sequences of resting asks, cancels, re-quotes (`replace_order`) and IOC takes that sweep levels
(so levels are emptied by fills, left STALE by `order_store`, and reused). After every step each
price's `queue`, the side's `depth` and every fill of a take (its maker order and lots, from
`OrderFilled`) must be what the model says."""

from __future__ import annotations

import random

import pytest

from rangebound.constants import FUTURE, IOC

from .book_helpers import place

PRICES = 4             # consecutive ticks above the middle of the range
STEPS = 60             # actions per sequence
MAX_FILLS = 8          # a take's bound (the model stops at it too)


class LevelModel:
    """Asks of one futures side: price -> FIFO list of [order id, lots]."""

    def __init__(self, prices: list[int]) -> None:
        self.levels: dict[int, list[list[int]]] = {p: [] for p in prices}

    def rest(self, price: int, oid: int, qty: int) -> None:
        self.levels[price].append([oid, qty])

    def remove(self, oid: int) -> tuple[int, int]:
        for price, queue in self.levels.items():
            for i, (o, q) in enumerate(queue):
                if o == oid:
                    del queue[i]
                    return price, q
        raise KeyError(oid)

    def resting(self) -> list[int]:
        return [o for queue in self.levels.values() for o, _ in queue]

    def take(self, limit: int, qty: int) -> list[tuple[int, int]]:
        """The fills of an IOC buy of `qty` lots up to `limit`: best price first, oldest first,
        at most MAX_FILLS orders."""
        fills: list[tuple[int, int]] = []
        for price in sorted(self.levels):
            queue = self.levels[price]
            while price <= limit and queue and qty > 0 and len(fills) < MAX_FILLS:
                oid, left = queue[0]
                q = min(left, qty)
                fills.append((oid, q))
                qty -= q
                if q == left:
                    queue.pop(0)
                else:
                    queue[0][1] -= q
        return fills

    def depth(self) -> list[list[int]]:
        return [[p, sum(q for _, q in queue)] for p, queue in sorted(self.levels.items()) if queue]


def _check(env, model: LevelModel) -> None:
    for price, queue in model.levels.items():
        assert list(env.lens.queue(env.book, env.expiry, FUTURE, 0, False, price, 32)) == [o for o, _ in queue], price
    assert [list(row) for row in env.book.depth(env.expiry, FUTURE, 0, False, 32)] == model.depth()


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_levels__random_rests_cancels_requotes_and_sweeps__match_price_time_model(
    funded, maker, maker2, taker, seed
):
    env = funded
    rng = random.Random(seed)
    prices = [env.px(20 + i) for i in range(PRICES)]
    model = LevelModel(prices)
    owner: dict[int, object] = {}
    for _ in range(STEPS):
        action = rng.choice(("rest", "rest", "rest", "cancel", "replace", "take"))
        resting = model.resting()
        if action == "cancel" and resting:
            oid = rng.choice(resting)
            env.book.cancel_order(oid, sender=owner[oid])
            model.remove(oid)
        elif action == "replace" and resting:
            oid = rng.choice(resting)
            price, qty = rng.choice(prices), rng.randint(1, 3)
            env.book.replace_order(oid, price, qty, sender=owner[oid])
            model.remove(oid)
            model.rest(price, oid, qty)             # same id, back of its new level's queue
        elif action == "take" and resting:
            limit, qty = rng.choice(prices), rng.randint(1, 8)
            tx = place(env, taker, limit, qty, True, flags=IOC, max_fills=MAX_FILLS)
            want = model.take(limit, qty)
            assert [(e.maker_order_id, e.qty) for e in tx.events.filter(env.book.OrderFilled)] == want
        else:
            who = rng.choice((maker, maker2))
            price, qty = rng.choice(prices), rng.randint(1, 3)
            oid = place(env, who, price, qty, False).return_value
            owner[oid] = who
            model.rest(price, oid, qty)
        _check(env, model)
    for oid in model.resting():                     # the book as it was
        env.book.cancel_order(oid, sender=owner[oid])
    assert env.book.depth(env.expiry, FUTURE, 0, False, 32) == []
