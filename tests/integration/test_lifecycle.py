"""Three simulated weeks on anvil (then the drain: every open series to its claim): trade,
update, expire, settle, roll, claim, and balance. Three weeks hold every kind of event (the Monday and
Wednesday expiries and the four Fridays, a listing on each of those days, the clamped shock on
the second weekly expiry) at ~60% of the time of the five weeks it ran before."""

from __future__ import annotations

import pytest

from rangebound.constants import FUTURE, IOC
from rangebound.dev.simulation import ROLES, Simulation
from rangebound.models import calendar as cal
from rangebound.ops.deploy import deploy_system


@pytest.fixture(scope="module")
def finished(accounts, deployer, keeper):
    system = deploy_system(deployer)
    actors = {role: accounts[2 + i] for i, role in enumerate(ROLES)}
    sim = Simulation(system, actors, keeper, days=21, seed=11, quiet=True)
    traded = sim.run()
    drained = sim.drain()
    return system, sim, traded, drained


def test_three_weeks__every_series_traded_settled_and_rolled(finished, chain):
    system, _, _, drained = finished
    reg = system.markets["BTC"].registry
    fills = list(system.clearinghouse.Fill.range(0, chain.blocks.head.number + 1))
    kinds = {f.kind for f in fills}
    assert kinds == {0, 1, 2}, "futures, calls and puts all traded"
    traded_series = {f.expiry for f in fills}
    listed = {log.expiry for log in reg.SeriesListed.range(0, chain.blocks.head.number + 1)}
    start = drained.days[0].ts
    end = drained.days[-1].ts
    # every series live on any trading day from the second week on saw futures trades
    for e in listed:
        if start + 7 * 86_400 <= e <= end:
            assert e in traded_series, f"series {e} never traded"
    settled = {s["expiry"] for s in drained.series}
    assert {e for e in traded_series} <= settled, "a traded series did not settle"
    # the six first series and three new ones a week (Monday, Wednesday, Friday)
    assert len(settled) >= 6 + 3 * 3
    assert len(list(reg.live_expiries())) == 6
    assert list(reg.listed_expiries()) == cal.live_expiries(reg.last_update())


def test_three_weeks__clamped_settlement_shown(finished):
    _, sim, _, drained = finished
    clamped = [s for s in drained.series if s["clamped"]]
    assert clamped and clamped[0]["expiry"] == sim.shock_expiry
    for s in drained.series:
        lo, hi = s["range_at_expiry"]
        assert lo <= s["settlement_price"] <= hi
        l0, h0 = s["range_at_listing"]
        assert l0 <= lo < hi <= h0, "range widened over a series' life"


def test_three_weeks__pnl_plus_fees_zero_per_series(finished):
    _, _, _, drained = finished
    per_series = drained.solvency["pnl_plus_fees_by_series"]
    assert per_series and all(v == 0 for v in per_series.values())


def test_three_weeks__every_stated_fee_reached_the_fee_account_at_the_end(finished):
    """When the trading stops (before the drain) the makers' fill records and deferred fills
    of the series still live are folded (`Simulation._fold_all`: `fold` and `recalculate`), and
    those of settled series by their claims, so the market's fee account holds every fee the
    `Fill` events stated: none waits in a maker's reserve (docs/architecture.md §16)."""
    _, _, traded, drained = finished
    for result in (traded, drained):
        row = result.accounts.get("market_fee_account") or result.accounts["fee_account"]
        assert row["final_balance"] == result.solvency["fees_collected"] > 0


def test_fold_all__record_left_in_a_live_series__folded_and_fee_paid(finished):
    """A futures quote filled whole in a live series leaves a fill record (its reserve held,
    its fee unmoved, no open series). `_fold_all`, what the run does when the trading stops,
    finds it (`_records`) and folds it: the record is gone and its fee reaches the market's fee
    account."""
    system, sim, _, _ = finished
    ch, vault = system.clearinghouse, system.vault
    reg, book = system.markets["BTC"].registry, system.markets["BTC"].book
    maker, taker = sim.actors["market_maker_1"], sim.actors["hedger"]
    e = reg.listed_expiries()[1]
    lo, hi = reg.bounds(e)
    price = (lo + hi) // 2 // reg.tick() * reg.tick()
    book.place_order(e, FUTURE, 0, False, price, 2, 0, 1, sender=maker)
    tx = book.place_order(e, FUTURE, 0, True, price, 2, IOC, 1, sender=taker)
    [fill] = tx.events.filter(ch.Fill)
    assert sim._records() == [(maker, e)] and ch.open_series(maker) == []
    fee_to = ch.fee_account_of(reg)
    before = vault.balance_of(fee_to)
    sim._fold_all()
    assert sim._records() == [] and book.unfolded(maker, e).reserve == 0
    assert vault.balance_of(fee_to) == before + fill.maker_fee > before
    assert tuple(ch.futures_position(maker, reg, e)) == (-2, -2 * price)


def test_three_weeks__vault_exactly_solvent_and_nothing_locked(finished):
    system, sim, _, drained = finished
    sv = drained.solvency
    assert sv["vault_token_balance"] == sv["sum_balances"] == sv["vault_total_balances"]
    assert sv["pnl_applied_unclaimed"] == 0
    ch, vault = system.clearinghouse, system.vault
    for acct in sim.actors.values():
        assert ch.open_series(acct) == []
        assert ch.requirement(acct) == 0
        assert vault.free_collateral(acct) == vault.balance_of(acct)
    deposits = sum(a["deposits"] for a in drained.accounts.values())
    assert sum(a["final_balance"] for a in drained.accounts.values()) == deposits


def test_three_weeks__keeper_second_pass_idle(finished):
    _, sim, _, _ = finished
    rep = sim.keeper.run_pass(steps=("update", "settle", "sweep", "claim"), summary=False)
    assert rep.transactions == 0
