"""What `make bench` reports beside the numbers: each operation's target (receipt gas, DESIGN
§16 and the issues that set them), a one-line description of every operation measured, and the
rows of its table (targeted operations first, each followed by its variants)."""

from __future__ import annotations

from typing import Any

# receipt gas, including the 21,000 base cost (issue 9; cancel and take_extra_maker as issue 13 set them)
TARGETS: dict[str, int] = {
    "deposit": 80_000,
    "withdraw": 90_000,
    "place_resting": 110_000,
    "cancel": 50_000,
    "take_1_maker": 160_000,
    "take_extra_maker": 25_000,
    "daily_update_per_series": 100_000,
    "settle": 80_000,
    "claim_4_legs": 100_000,
    "trade_16_legs": 400_000,
    "pool_buy": 200_000,
    "pool_sell": 200_000,
    "pool_deposit": 250_000,
    "pool_redeem": 250_000,
    "pool_deposit_per_leg": 10_000,
    "pool_redeem_per_leg": 10_000,
    "hedge": 250_000,
}

DESCRIPTIONS: dict[str, str] = {
    "deposit": "vault.deposit, account already holds a vault balance",
    "deposit_cold": "vault.deposit, first deposit of the account",
    "withdraw": "vault.withdraw, no open series (recalculate has nothing to do)",
    "withdraw_1_series": "vault.withdraw, one open futures position (recalculated)",
    "place_resting": "book.place_order resting on a new price level, maker holds reserves",
    "place_resting_same_level": "book.place_order joining an existing price level",
    "place_resting_cold": "book.place_order, the maker's first order (reserve slots 0 -> x)",
    "place_resting_new_side": "book.place_order, first order ever on a side (an option strike's bids)",
    "place_resting_requote": "book.place_order on a side its last cancel emptied, one tick away",
    "place_resting_after_fill": "book.place_order at a price whose level a fill just emptied (a maker re-quoting after its fill)",
    "cancel": "book.cancel_order, the level's only order",
    "replace_order": "book.replace_order one tick away, same size (the re-quote in one call)",
    "place_quotes_per_order": "book.place_quotes of MAX_QUOTES asks on new levels, per order",
    "take_1_maker": "IOC futures buy filling one maker, both already hold the series",
    "take_1_maker_cold": "IOC futures buy filling one maker, first trade of both in the series",
    "take_1_maker_in_window": "take_1_maker at 07:56, the day's first fill in the fixing window (VWAP accumulator)",
    "take_1_maker_in_window_again": "the same, the window's second take",
    "take_extra_maker": "slope: extra gas per additional maker filled (1 -> 20 makers)",
    "daily_update_per_series": "registry.daily_update on a day without listing / 6 series",
    "daily_update_6_series": "registry.daily_update on a day without listing (total)",
    "daily_update_listing_day": "registry.daily_update on Mon/Wed/Fri: one expires, one lists",
    "daily_update_6_series_no_refill": "registry.daily_update, no listing, no strike inserted",
    "daily_update_catch_up_per_day": "slope: extra gas per missed day replayed (1 -> 10)",
    "take_extra_maker_same_account": "slope: extra gas per order filled, all of one maker",
    "claim_counterparty": "clearinghouse.claim of the market maker (4 short legs, pays)",
    "settle": "registry.settle after that morning's daily update",
    "claim_4_legs": "clearinghouse.claim, 4 option legs, by a keeper",
    "trade_16_legs": "IOC option buy (existing leg) by a taker holding 16 legs",
    "pool_buy": "pool.buy 1 lot of a call the trader and the pool already hold",
    "pool_buy_cold": "pool.buy, first trade of the trader and the pool in the series",
    "pool_sell": "pool.sell 1 lot back (existing legs)",
    "pool_deposit": "pool.deposit (ERC-4626), no open legs",
    "pool_deposit_cold": "pool.deposit, first LP of an empty pool",
    "pool_redeem": "pool.redeem (ERC-4626), no open legs",
    "pool_deposit_12_legs": "pool.deposit with 12 open option legs (marked at the model)",
    "pool_redeem_12_legs": "pool.redeem with 12 open option legs",
    "pool_deposit_per_leg": "slope: extra deposit gas per open leg of the pool (0 -> 12)",
    "pool_redeem_per_leg": "slope: extra redeem gas per open leg of the pool (0 -> 12)",
    "hedge": "pool.hedge: IOC futures order filling one resting maker",
    "take_refused_maker": "take_1_maker behind a refused ask (maker fee raised over its exact reserve)",
}


def rows(report_: dict[str, Any]) -> list[tuple[str, int | None, int, float | None]]:
    """(name, target, measured, ratio) for the table: targeted operations first, then the
    variants (cold, listing day, ...) against the same target where one applies."""
    ops, targets = report_["operations"], report_["targets"]
    out = []
    for name, target in targets.items():
        out.append((name, target, ops[name], ops[name] / target))
        for variant in sorted(ops):
            if variant != name and variant.startswith(name) and variant not in targets:
                out.append((variant, None, ops[variant], None))
    listed = {r[0] for r in out}
    out += [(name, None, ops[name], None) for name in sorted(set(ops) - listed)]
    return out
