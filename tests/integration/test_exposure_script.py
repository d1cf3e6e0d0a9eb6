"""The venue risk view on the demo's market: `Simulation` (the engine of `make demo`) runs past
the 25% jump, then `rangebound.ops.exposure_chain` reads the venue from events and views alone and
`ape run exposure` renders it. Checked against the contracts' own views (open interest, every
account's book) and the promise: the jump's series settled clamped, and no stress scenario
produces bad debt, a margin call or a liquidation (computed per account). The simulation runs
with the market's OptionsPool on, as `make demo` does: the view finds the pool from the chain
(`registry.pool()`) and shows its Greeks before and after its own `hedge(expiry)`."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from helpers import cli_json, fund

from rangebound.constants import CALL, FUTURE, IOC, PUT
from rangebound.dev.node import warp
from rangebound.dev.simulation import ROLES, Simulation
from rangebound.models import calendar as cal
from rangebound.ops import exposure as ex
from rangebound.ops.deploy import deploy_system, network_key, save_deployment
from rangebound.ops.exposure_chain import is_blacklisted, venue_from_system
from rangebound.ops.exposure_report import to_dict
from rangebound.ops.risk import book_from_system

MAX_POOL_BUYS = 6                # bound on the traders' pool purchases (3 lots each)


@pytest.fixture(scope="module")
def market(accounts, deployer, chain) -> tuple[Any, Simulation, int]:
    """The demo's set-up (deployer = account 0, keeper = account 1, traders 2-6), started on a Thursday morning so that the
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
    sim = Simulation(system, actors, accounts[1], days=5, seed=7, quiet=True, pool=True)
    sim.run()
    return system, sim, start


@pytest.fixture(scope="module")
def venue(market) -> ex.Venue:
    """The venue read from the chain once, right after the simulation (every test starts from
    that state: ape reverts each test's changes)."""
    system, _, start = market
    return venue_from_system(system, start_block=start)


def test_read_venue__after_the_25pct_jump__clamped_series_and_no_bad_debt(market, venue, chain):
    system, sim, _ = market
    ch, reg = system.clearinghouse, system.markets["BTC"].registry
    # accounts found from events: every trader, the fee account credited by fills, the pool
    found = {b.account for b in venue.books}
    pool = system.markets["BTC"].pool.address
    assert venue.pool == pool and venue.pool_book is not None
    assert ch.fee_account_of(reg) == pool                # the market's fees go to its pool
    assert {a.address for a in sim.actors.values()} | {pool} == found
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
        assert s.pool_nav_change is not None                 # the demo's OptionsPool
    for p in ex.pinned_losses(venue):
        assert p.moved_at_lower <= p.max_loss and p.moved_at_upper <= p.max_loss
    health = venue.health
    assert health is not None and health.reduce_only == {"BTC": False}
    assert health.total_balances == sum(b.balance for b in venue.books)
    assert set(health.blocklist.values()) == {None}          # ReferenceUSD1 has no blocklist
    assert ex.peg_summary(health, venue.timestamp)["last"] == 1.0


def test_read_venue__maker_holding_only_fill_records__found_and_shown(market, accounts):
    """A maker new to the venue deposits and rests a futures ask; the speculator lifts it
    whole, so the fill is a record (docs/architecture.md §16): no PositionOpened log, the series
    off the maker's open list. The view still finds the maker (its Deposit) and shows the series
    with its short lots, the reserve still held and the fee still to move; its open interest,
    which nets each account's records into its position, is the Clearinghouse's own count (a
    maker's ask adds none) and no stress scenario calls the maker's margin."""
    system, sim, start = market
    ch, reg, book = system.clearinghouse, system.markets["BTC"].registry, system.markets["BTC"].book
    newcomer = accounts[8]                       # no role in the simulation
    fund(system, newcomer, 10_000)
    e = reg.listed_expiries()[1]
    lo, hi = reg.bounds(e)
    price = (lo + hi) // 2 // reg.tick() * reg.tick()
    book.place_order(e, FUTURE, 0, False, price, 3, 0, 1, sender=newcomer)
    tx = book.place_order(e, FUTURE, 0, True, price, 3, IOC, 1, sender=sim.actors["speculator"])
    [fill] = [f for f in tx.events.filter(ch.Fill) if f.maker == newcomer.address]
    rec = book.unfolded(newcomer, e)
    assert rec.lots == -3 and not ch.open_series(newcomer)
    venue = venue_from_system(system, start_block=start)
    [b] = [b for b in venue.books if b.account == newcomer.address]
    [s] = b.series
    assert (s.expiry, s.listed, s.n, s.cost) == (e, False, -3, -3 * price)
    assert (s.record_reserve, s.record_fee) == (rec.reserve, fill.maker_fee) and rec.fee > 0
    assert b.reserved == rec.reserve
    oi = ex.open_interest(venue)
    assert oi[("BTC", e, FUTURE, 0)] == (ch.open_interest(reg, e, FUTURE),) * 2
    assert ex.unfolded_fills(venue)[("BTC", e)] == (1, rec.reserve, rec.fee)
    for sc in ex.stress_table(venue):
        assert (sc.bad_debt, sc.margin_calls, sc.liquidations) == (0, 0, 0), sc.name


def _series_delta(venue: ex.Venue, who: str, expiry: int, model: str) -> float:
    """One account's delta in one BTC series (lots): its futures plus its option legs."""
    lots = ex.lot_greeks(venue, model)
    s = next(s for b in venue.books if b.account == who for s in b.series
             if s.expiry == expiry)
    return s.n + sum(lots[("BTC", expiry, leg.kind, leg.strike)].delta * leg.qty
                     for leg in s.legs)


def _pool_value_changes(system: Any, moves: list[float]) -> list[int]:
    """Brute force, from the Clearinghouse's position views and the registry alone: per index
    move, the pool's settlement value n·P + Σ q·payoff(P) at the stressed price minus at the
    clamped index, over its live series."""
    m, ch = system.markets["BTC"], system.clearinghouse
    pool, reg = m.pool, m.registry
    idx = int(reg.index_price()[0])
    held = []                                     # (lo, hi, futures lots, [(kind, strike, q)])
    for e in {int(ref.expiry) for ref in ch.open_series(pool)}:
        if reg.is_live(e):
            legs = [(kind, k, int(ch.option_position(pool, reg, e, kind, k)))
                    for k in reg.strikes(e) for kind in (CALL, PUT)]
            held.append((*reg.bounds(e), int(ch.futures_position(pool, reg, e)[0]),
                         [x for x in legs if x[2]]))

    def value(p: int, n: int, legs: list[tuple[int, int, int]]) -> int:
        return n * p + sum(q * max(p - k if kind == CALL else k - p, 0) for kind, k, q in legs)

    out = []
    for move in moves:
        total = 0
        for lo, hi, n, legs in held:
            f, p = min(max(idx, lo), hi), min(max(round(idx * (1 + move)), lo), hi)
            total += value(p, n, legs) - value(f, n, legs)
        out.append(total)
    return out


def test_pool_view__traders_buy_from_pool_then_it_hedges__options_delta_kept_total_cut(market):
    """The real OptionsPool of the demo's market: traders buy calls from it (it writes them),
    the view shows its Greeks (both models); its `hedge(expiry)` buys futures on the book, the
    options-only delta is unchanged and the total delta is smaller; the stress table's pool NAV
    change equals a brute-force recomputation; no scenario makes bad debt."""
    system, sim, start = market
    m = system.markets["BTC"]
    pool, reg = m.pool, m.registry
    idx = int(reg.index_price()[0])
    # a series listed after the jump: the index sits inside its range (earlier ones are pinned
    # at U, where a call's delta is small), nearest the middle of the range
    inside = {e: (lo, hi) for e in reg.listed_expiries() for lo, hi in [reg.bounds(e)]
              if lo < idx < hi}
    e = min(inside, key=lambda x: abs(2 * idx - sum(inside[x])) / (inside[x][1] - inside[x][0]))
    k = min((k for k in reg.strikes(e) if reg.strike_active(e, k)), key=lambda x: abs(x - idx))
    band = int(pool.hedge_band()) * 10**18
    for i in range(MAX_POOL_BUYS):                # traders buy calls until the pool is short
        if int(pool.delta(e)) < -band - 10**18:   # over one lot beyond its hedge band
            break
        qty, who = 3, sim.actors[("speculator", "hedger")[i % 2]]
        pool.buy(e, CALL, k, qty, pool.quote(e, CALL, k, qty, True), sender=who)
    sim._quote_futures(idx)                       # the market maker's futures quotes ...
    sim._flush_quotes()                           # ... sent to the book (`place_quotes`)
    before = venue_from_system(system, start_block=start)
    assert before.pool == pool.address and before.pool_book is not None
    d_chain = int(pool.delta(e))
    assert d_chain < -band                                       # short calls: beyond the band
    d0 = {model: _series_delta(before, pool.address, e, model) for model in ex.MODELS}
    assert d0["student_t"] == pytest.approx(d_chain / 10**18, rel=0.02)   # the pool's own model
    assert d0["black76"] < 0
    pool.hedge(e, sender=sim.keeper_account)
    after = venue_from_system(system, start_block=start)
    assert int(pool.delta(e)) > d_chain
    for model in ex.MODELS:
        g0, g1 = ex.venue_greeks(before)[model], ex.venue_greeks(after)[model]
        assert g1["pool_options"]["BTC"].delta == pytest.approx(g0["pool_options"]["BTC"].delta,
                                                                rel=1e-4)
        assert g0["pool_options"]["BTC"].gamma < 0                 # the pool wrote the options
        assert abs(g1["pool"]["BTC"].delta) < abs(g0["pool"]["BTC"].delta)
        assert abs(_series_delta(after, pool.address, e, model)) < abs(d0[model])
    table = ex.stress_table(after)
    assert any(s.pool_nav_change for s in table)
    brute = _pool_value_changes(system, [s.index_move for s in table])
    assert [s.pool_nav_change for s in table] == brute
    for s in table:
        assert (s.bad_debt, s.margin_calls, s.liquidations) == (0, 0, 0), s.name


def test_script__json_tables_and_plot_on_recorded_deployment__under_20s(
    market, venue, chain, tmp_path, monkeypatch, load_script
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
    doc = cli_json(script.cli, network)
    assert doc == json.loads(json.dumps(to_dict(venue)))
    # the record names no pool: the view found it from the registry's `pool()`
    assert "pool" not in record["contracts"]["markets"]["BTC"]
    assert doc["pool"] == system.markets["BTC"].pool.address
    assert {s["bad_debt"] for s in doc["stress"]} == {0}
    assert None not in {s["pool_nav_change"] for s in doc["stress"]}
    png = tmp_path / "exposure.png"
    began = time.perf_counter()
    res = CliRunner().invoke(script.cli, [*network, "--plot", str(png), "--quiet"])
    elapsed = time.perf_counter() - began
    assert res.exit_code == 0, res.output
    for text in ("Open interest", "Greeks", "Pinned losses", "Stress", "Collateral health",
                 "pool before hedge (options)", "(pool)", "clamped:"):
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
