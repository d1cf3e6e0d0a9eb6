"""OptionsPool quotes: the model price equals the Python mirror; `ape run pool quotes|status`
helpers (bid below model below ask, NAV, utilisation, positions)."""

from __future__ import annotations

from helpers import fund

from rangebound.constants import CALL
from rangebound.models import pool as pm

from .pool_helpers import series


def test_model_price__equals_mirror(world, chain):
    m = world.markets["BTC"]
    pool, reg = m.pool, m.registry
    expiry, strike = series(world)
    lo, hi = reg.bounds(expiry)
    idx, fresh = reg.index_price()
    assert fresh
    f = min(max(idx, lo), hi)
    # the eth_call runs against the latest block: its timestamp, not the pending one (which
    # follows the wall clock, so a loaded machine made the two differ)
    tau = expiry - chain.blocks.head.timestamp
    s = pm.scale(f, pool.vol_multiplier(), reg.variance(), tau)
    assert pool.model_price(expiry, CALL, strike) == pm.price(CALL, strike, f, s, lo, hi)


def test_script_quotes__every_strike__bid_below_model_below_ask(world, load_script):
    script = load_script("pool")
    pool = world.markets["BTC"].pool
    expiry, _ = series(world)
    rows = script.quotes(pool, expiry)
    strikes = list(world.markets["BTC"].registry.strikes(expiry))
    assert [(r["strike"], r["kind"]) for r in rows] == [
        (k, n) for k in strikes for n in ("call", "put")
    ]
    tick = world.markets["BTC"].registry.tick()
    for r in rows:
        assert r["bid"] is not None and r["ask"] is not None
        assert r["bid"] <= max(r["model"], tick) <= r["ask"]
        assert (0 <= r["delta"] <= 1) if r["kind"] == "call" else (-1 <= r["delta"] <= 0)


def test_script_status__after_trade__nav_utilisation_positions(world, load_script, taker, stranger):
    script = load_script("pool")
    pool = world.markets["BTC"].pool
    expiry, strike = series(world)
    pool.buy(expiry, CALL, strike, 2, 10**30, sender=taker)
    st = script.status(pool)
    assert st["nav"] == pool.totalAssets() and 0 < st["utilisation"] < 1
    assert [p["legs"] for p in st["positions"]] == [[("call", strike, -2)]]
    fund(world, stranger, 500, deposit=False)
    shares = script.deposit(pool, stranger, world.usd(500))
    assert shares == pool.balanceOf(stranger) > 0
    paid = script.redeem(pool, stranger)
    assert 0 < paid < world.usd(500) and pool.balanceOf(stranger) == 0
