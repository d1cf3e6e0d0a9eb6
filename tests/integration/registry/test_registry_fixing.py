"""SeriesRegistry fixings: no wash trade sets a settlement; no missed report stalls a market
(issue 12, attacks 2 and 3).

docs/architecture.md §4 as revised: index mode is the default (every fixing is the fresh index; the
window VWAP is published, never used); market mode is opt-in, VWAP >= minimum -> index, guarded
within 0.25% (expiry) / 1% (daily) of a fresh index, never without one, and a trade outside the
window never sets anything. A day without a source keeps its ranges, skips the variance and lets
trading go on (tests/integration/registry/test_registry_daily_update.py); a settlement without its fixing
takes the first index round after the window.

On the old code (VWAP -> last trade -> index, 5% guard) the same scenarios gave: one wash lot at L
at 07:59 (honest volume 8 < 10) or one lot at 07:30 -> settlement max(L, 0.95 x index); a window of
wash lots at L -> the same; a stale index -> the unguarded VWAP (anywhere in [L, U]); a stale day
-> "registry: no fixing source" for daily_update, place_order and settle."""

from __future__ import annotations

import ape
from helpers import holds_series, push_prices

from rangebound.constants import (
    DAY,
    SOURCE_INDEX,
    SOURCE_INDEX_MODE,
    SOURCE_VWAP,
)
from rangebound.dev.node import warp
from rangebound.models import calendar as cal

from .registry_helpers import funded_system, trade


def _to_expiry_window(chain, systems, e, price=100_000.0, before=270):
    """Fresh reports every day up to the expiry day (updates applied), then `before` seconds
    before the expiry (default 07:55:30, inside the window)."""
    t = cal.update_time(chain.pending_timestamp) + DAY
    while t < e:
        warp(chain, t - 240)
        for s in systems:
            push_prices(s, price)
        warp(chain, t + 60)
        for s in systems:
            s.markets["BTC"].registry.daily_update(sender=s.deployer)
        t += DAY
    warp(chain, e - before)


def _settle(chain, system, e):
    warp(chain, max(chain.pending_timestamp, e + 60))
    reg = system.markets["BTC"].registry
    tx = reg.settle(e, sender=system.deployer)
    return reg.settlement_price(e), tx


def _attack_day(s, reg, a_sell, a_buy, volume):
    """The attacker trades `volume` lots with itself at each live series' lower bound."""
    for e in reg.listed_expiries():
        lo, _ = reg.bounds(e)
        trade(s, e, a_sell, a_buy, lo, volume)


def test_settle__wash_lot_at_0759_over_thin_window__index_wins(market_sys, chain, actors):
    """8 honest lots at the index, then one wash lot at L at 07:59:30 (volume 9 < 10): the old
    last-trade fallback settled at max(L, 95% of the index); now the index."""
    maker, taker, a_sell, a_buy = actors
    s, reg = market_sys, market_sys.markets["BTC"].registry
    e = reg.live_expiries()[0]
    _to_expiry_window(chain, [s], e)
    push_prices(s)
    idx = s.usd(100)
    trade(s, e, maker, taker, idx, 8)
    warp(chain, e - 30)
    lo, _ = reg.bounds(e)
    trade(s, e, a_sell, a_buy, lo, 1)
    price, tx = _settle(chain, s, e)
    fix = next(ev for ev in tx.events.filter(reg.FixingSet) if ev.expiry == e)
    assert (fix.price, fix.source) == (idx, SOURCE_INDEX)
    assert price == idx


def test_settle__one_lot_outside_window__sets_nothing(market_sys, chain, actors):
    _, _, a_sell, a_buy = actors
    s, reg = market_sys, market_sys.markets["BTC"].registry
    e = reg.live_expiries()[0]
    _to_expiry_window(chain, [s], e, before=1_800)           # 07:30
    push_prices(s)
    lo, _ = reg.bounds(e)
    trade(s, e, a_sell, a_buy, lo, 12)
    w = reg.window(e, e // DAY)
    assert w.volume == 0
    price, _ = _settle(chain, s, e)
    assert price == s.usd(100)


def test_settle__full_wash_window__market_mode_within_expiry_guard(market_sys, chain, actors):
    """A full window of wash lots at L: the VWAP counts but is clamped to 0.25% of the index
    (the old 5% guard let it land 5% below)."""
    _, _, a_sell, a_buy = actors
    s, reg = market_sys, market_sys.markets["BTC"].registry
    e = reg.live_expiries()[0]
    _to_expiry_window(chain, [s], e)
    push_prices(s)
    lo, _ = reg.bounds(e)
    trade(s, e, a_sell, a_buy, lo, 10)
    price, tx = _settle(chain, s, e)
    fix = next(ev for ev in tx.events.filter(reg.FixingSet) if ev.expiry == e)
    idx, tick = s.usd(100), reg.tick()
    floor = -(-idx * (10_000 - 25) // 10_000 // tick) * tick
    assert fix.source == SOURCE_VWAP and fix.price == max(lo, floor) and price == fix.price
    assert idx - price <= idx * 25 // 10_000


def test_settle__full_wash_window__index_mode_default_ignores_it(index_sys, chain, actors):
    _, _, a_sell, a_buy = actors
    s, reg = index_sys, index_sys.markets["BTC"].registry
    assert reg.params().index_mode
    e = reg.live_expiries()[0]
    _to_expiry_window(chain, [s], e)
    push_prices(s)
    lo, _ = reg.bounds(e)
    trade(s, e, a_sell, a_buy, lo, 20)
    price, tx = _settle(chain, s, e)
    fix = next(ev for ev in tx.events.filter(reg.FixingSet) if ev.expiry == e)
    assert (fix.price, fix.source) == (s.usd(100), SOURCE_INDEX_MODE) and price == s.usd(100)
    assert (fix.window_volume, fix.window_notional) == (20, 20 * lo)   # published, not used
    assert reg.window(e, e // DAY).volume == 20


def test_settle__stale_index_market_mode__no_vwap_fixing_waits_for_next_round(market_sys, chain, actors):
    """No fresh index at the expiry window: the wash VWAP used to be the fixing unguarded; now
    there is no fixing, settle waits, and the first round after the window settles it."""
    _, _, a_sell, a_buy = actors
    s, reg = market_sys, market_sys.markets["BTC"].registry
    e = reg.live_expiries()[0]
    _to_expiry_window(chain, [s], e, before=3 * 3_600)
    push_prices(s)                                                 # 05:00, still fresh for trading
    warp(chain, e - 240)
    lo, _ = reg.bounds(e)
    trade(s, e, a_sell, a_buy, lo, 10)
    # make the 05:00 report stale at the window end by shortening the heartbeat
    reg.set_index_heartbeat(3_600, sender=s.deployer)
    warp(chain, e + 60)
    with ape.reverts("registry: no fixing source"):
        reg.settle(e, sender=s.deployer)
    assert reg.fixing(e, e // DAY) == 0
    push_prices(s, 101_000.0)                                      # first round after the window
    reg.settle(e, sender=s.deployer)
    assert reg.settlement_price(e) == s.usd(101)


def test_settle__market_mode_attacker_owns_every_window_for_a_week__bounded_and_reported(deployer, guardian, actors, chain):
    """The trade-off stated in the README for a market that opts into market mode: an attacker
    trades the minimum volume with itself at the lower bound of every live series in every window
    for seven days. Compared with an identical market left alone (same index), it moves each
    fixing by at most the guard (1% daily, 0.25% at expiry), walks the ranges and the variance a
    little, and pays only fees. Printed with -s."""
    _, _, a_sell, a_buy = actors
    honest = funded_system(deployer, guardian, [a_sell, a_buy], index_mode=False)
    attacked = funded_system(deployer, guardian, [a_sell, a_buy], index_mode=False)
    h_reg, x_reg = honest.markets["BTC"].registry, attacked.markets["BTC"].registry
    vol = x_reg.params().min_fixing_volume
    wallet0 = attacked.vault.balance_of(a_sell) + attacked.vault.balance_of(a_buy)
    t = cal.update_time(chain.pending_timestamp) + DAY
    start_live = list(x_reg.listed_expiries())
    settled: dict[int, tuple[int, int]] = {}
    max_fix_gap = 0.0
    for _ in range(7):
        warp(chain, t - 270)
        for s in (honest, attacked):
            push_prices(s)
        _attack_day(attacked, x_reg, a_sell, a_buy, vol)
        warp(chain, t + 60)
        for s in (honest, attacked):
            s.markets["BTC"].registry.daily_update(sender=deployer)
        for e in list(h_reg.listed_expiries()):
            f_h, f_x = h_reg.fixing(e, t // DAY), x_reg.fixing(e, t // DAY)
            if f_h == 0:                                     # listed today: no fixing yet
                continue
            max_fix_gap = max(max_fix_gap, (f_h - f_x) / f_h)
        t += DAY
    # settle every series that expired in the week on both markets
    for e in start_live:
        if e <= chain.pending_timestamp:
            h_reg.settle(e, sender=deployer)
            x_reg.settle(e, sender=deployer)
            settled[e] = (h_reg.settlement_price(e), x_reg.settlement_price(e))
    ch = attacked.clearinghouse
    for e in settled:
        for who in (a_sell, a_buy):
            if holds_series(ch, attacked.markets["BTC"].book, who, x_reg, e):
                ch.claim(who, x_reg, e, sender=deployer)
    cost = wallet0 - attacked.vault.balance_of(a_sell) - attacked.vault.balance_of(a_buy)
    shifts = []
    for e in x_reg.listed_expiries():
        (hl, hh), (xl, xh) = h_reg.bounds(e), x_reg.bounds(e)
        shifts.append(((hl - xl) / hl, (hh - xh) / hh))
    max_settle_gap = max((h - x) / h for h, x in settled.values())
    var_ratio = x_reg.variance() / h_reg.variance()
    print(
        f"\nmarket-mode attack, 7 days x {len(list(x_reg.listed_expiries()))} series x {vol} lots at L:"
        f" fixings moved <= {max_fix_gap:.4%}, settlements ({len(settled)}) moved <= {max_settle_gap:.4%},"
        f" lower bounds moved <= {max(a for a, _ in shifts):.4%}, upper <= {max(b for _, b in shifts):.4%},"
        f" variance x{var_ratio:.3f}; attacker paid {cost / 10**attacked.decimals:.2f} USD1 in fees"
    )
    assert settled and max_settle_gap <= 0.0025 + 1e-9
    assert max_fix_gap <= 0.01 + 1e-9
    assert 0 < cost
