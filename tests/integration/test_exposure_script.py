"""The venue risk view on the demo's market: `Simulation` (the engine of `make demo`) runs past
the 25% jump, then `rangebound.ops.exposure_chain` reads the venue from events and views alone and
`ape run exposure` renders it. Checked against the contracts' own views (open interest, every
account's book) and the promise: the jump's series settled clamped, and no stress scenario
produces bad debt, a margin call or a liquidation (computed per account)."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from rangebound.constants import FUTURE, IOC
from rangebound.dev.node import warp
from rangebound.dev.simulation import ROLES, Simulation
from rangebound.models import calendar as cal
from rangebound.ops import exposure as ex
from rangebound.ops.deploy import deploy_system
from rangebound.ops.exposure_chain import is_blacklisted, venue_from_system
from rangebound.ops.exposure_report import to_dict
from rangebound.ops.records import network_key, save_deployment
from rangebound.ops.risk import book_from_system


@pytest.fixture(scope="module")
def market(
    accounts, deployer, chain, load_script, project, stranger
) -> tuple[Any, Simulation, int]:
    """(load_script, project, stranger: requested here so that no test instantiates a
    wider-scoped fixture after Ape's per-test isolation began.) The demo's set-up (deployer =
    account 0, keeper = account 1, traders 2-6), started on a Thursday morning so that the
    simulation's 25% jump (on the first weekly expiry at least three days in) lands on day 4
    of 5: the shortest run that holds it."""
    t = cal.day_start(chain.pending_timestamp + cal.DAY) + 6 * 3600 + 1800
    while cal.weekday(t) != cal.THURSDAY:
        t += cal.DAY
    warp(chain, t)
    chain.mine()
    start = chain.blocks.head.number
    system = deploy_system(deployer)
    actors = {role: accounts[2 + i] for i, role in enumerate(ROLES)}
    sim = Simulation(system, actors, accounts[1], days=5, seed=7, quiet=True)
    sim.run()
    return system, sim, start


def test_read_venue__after_the_25pct_jump__clamped_series_and_no_bad_debt(market, chain):
    system, sim, start = market
    venue = venue_from_system(system, start_block=start)
    ch, reg = system.clearinghouse, system.markets["BTC"].registry
    # accounts found from events: every trader, plus the fee account credited by fills
    found = {b.account for b in venue.books}
    assert {a.address for a in sim.actors.values()} | {system.params["fee_account"]} == found
    for b in venue.books:
        assert b == book_from_system(system, b.account, now=venue.timestamp)
    # the jump: its series settled at a bound, and the view says so
    clamped = ex.clamped_series(venue)
    assert sim.shock_expiry in {c["expiry"] for c in clamped if c["state"] == "settled"}
    # open interest equals the Clearinghouse's own count (Σ long lots per series and kind)
    oi = ex.open_interest(venue)
    assert oi
    for m, e, kind, _ in oi:
        total = sum(lo for (m2, e2, k2, _), (lo, _) in oi.items() if (m2, e2, k2) == (m, e, kind))
        assert total == ch.open_interest(reg.address, e, kind)
    for lo, sh in oi.values():
        assert lo == sh
    # the promise, computed per account under every stress scenario
    table = ex.stress_table(venue)
    assert len(table) == 11 and any(s.total_moved > 0 for s in table)
    for s in table:
        assert (s.bad_debt, s.margin_calls, s.liquidations) == (0, 0, 0), s.name
        assert s.pool_nav_change is None                     # no options pool deployed
    for p in ex.pinned_losses(venue):
        assert p.moved_at_lower <= p.max_loss and p.moved_at_upper <= p.max_loss
    health = venue.health
    assert health is not None and health.reduce_only == {"BTC": False}
    assert health.total_balances == sum(b.balance for b in venue.books)
    assert set(health.blocklist.values()) == {None}          # ReferenceUSD1 has no blocklist
    assert ex.peg_summary(health, venue.timestamp)["last"] == 1.0


def _largest_delta_series(venue: ex.Venue, who: str) -> tuple[int, float]:
    view = {s.expiry: s for b in venue.books if b.account == who for s in b.series
            if not s.settled and s.legs}
    lots = ex.lot_greeks(venue, "black76")
    deltas = {e: sum(lots[("BTC", e, leg.kind, leg.strike)].delta * leg.qty for leg in s.legs)
              for e, s in view.items()}
    e = max(deltas, key=lambda x: abs(deltas[x]))
    return e, deltas[e]


def test_pool_view__an_account_as_pool__exposure_before_and_after_hedging(market):
    """No OptionsPool is deployed here: the view treats any account as the pool (its address
    alone), so the option writer stands in; it hedges its largest options delta with futures."""
    system, sim, start = market
    pool, counterparty = sim.actors["option_writer"], sim.actors["market_maker_1"]
    venue = venue_from_system(system, start_block=start, pool=pool.address)
    e, delta = _largest_delta_series(venue, pool.address)
    qty = round(abs(delta))
    assert qty >= 1
    book, reg = system.markets["BTC"].book, system.markets["BTC"].registry
    lo, hi = reg.bounds(e)
    price = min(max(reg.index_price()[0] // reg.tick() * reg.tick(), lo), hi)
    hedge_buys = delta < 0
    book.place_order(e, FUTURE, 0, not hedge_buys, price, qty, 0, 4, sender=counterparty)
    book.place_order(e, FUTURE, 0, hedge_buys, price, qty, IOC, 4, sender=pool)
    after = venue_from_system(system, start_block=start, pool=pool.address)
    for model in ex.MODELS:
        g0, g1 = ex.venue_greeks(venue)[model], ex.venue_greeks(after)[model]
        # the options are untouched (seconds of time decay apart); the futures hedge cut delta
        assert g1["pool_options"]["BTC"].delta == pytest.approx(g0["pool_options"]["BTC"].delta,
                                                                rel=1e-4)
        assert abs(g1["pool"]["BTC"].delta) < abs(g0["pool"]["BTC"].delta)
    for s in ex.stress_table(after):
        assert s.pool_nav_change is not None and s.bad_debt == 0


def test_script__json_tables_and_plot_on_recorded_deployment__under_20s(
    market, chain, tmp_path, monkeypatch, load_script
):
    from click.testing import CliRunner

    system, _, start = market
    monkeypatch.setenv("RANGEBOUND_DEPLOYMENTS", str(tmp_path))
    script = load_script("exposure")
    with pytest.raises(Exception, match="no deployment recorded"):
        script.main()
    path = save_deployment(system, network_key())
    record = json.loads(path.read_text())
    record["start_block"] = start
    path.write_text(json.dumps(record))
    network = ["--network", f"ethereum:local:{chain.provider.http_uri}"]
    runner = CliRunner()
    res = runner.invoke(script.cli, [*network, "--json"])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.output)
    assert doc == json.loads(json.dumps(to_dict(venue_from_system(system, start_block=start))))
    assert doc["pool"] is None and {s["bad_debt"] for s in doc["stress"]} == {0}
    png = tmp_path / "exposure.png"
    began = time.perf_counter()
    res = runner.invoke(script.cli, [*network, "--plot", str(png), "--quiet"])
    elapsed = time.perf_counter() - began
    assert res.exit_code == 0, res.output
    for text in ("Open interest", "Greeks", "Pinned losses", "Stress", "Collateral health",
                 "no options pool deployed", "clamped:"):
        assert text in res.output
    assert png.stat().st_size > 20_000
    assert elapsed < 20, f"exposure view took {elapsed:.1f} s"


def test_is_blacklisted__tokens_with_and_without_a_blocklist__bool_or_none(market, project, deployer, stranger):
    system, _, _ = market
    assert is_blacklisted(system.token, stranger.address) is None     # ReferenceUSD1: none
    token = project.MockHostileToken.deploy(6, 0, sender=deployer)
    token.set_blocked(stranger, True, sender=deployer)
    views = ("isBlacklisted(address)", "blocked(address)")            # the mock's own name
    assert is_blacklisted(token, stranger.address, views) is True
    assert is_blacklisted(token, deployer.address, views) is False
    assert is_blacklisted(token, stranger.address) is None            # no USDC/USDT view
