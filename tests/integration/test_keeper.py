"""Keeper on anvil with time travel: one pass reports, updates, settles, sweeps and claims; a
second pass sends nothing; makers' fill records and deferred fills are folded once their fees
reach the threshold (a settled series left to its claim), and a series held only as fill records
is claimed; a week without keeper is caught up in one pass; an oracle outage is
reported, never papered over; a keeper killed mid-pass is restarted and finishes the job once.
Also the price sources (simulated path, CSV) and `scripts/keeper.py`'s `main`.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from ape import chain as ape_chain
from ape import project
from helpers import clear_of_fixing_window, fund, next_update
from rich.console import Console

from rangebound.constants import CALL, DAY, FUTURE, IOC, PUT
from rangebound.models import calendar as cal
from rangebound.ops.deploy import deploy_system, feed_answer, report
from rangebound.ops.keeper import Keeper, PassReport, window_start_due
from rangebound.ops.keeper_fills import FoldDue
from rangebound.ops.records import network_key, save_deployment
from rangebound.quant.pricepath import CsvPath, SimulatedPath, load_csv, simulate

TRADING = hasattr(project, "Clearinghouse") and hasattr(project, "OrderBook")
needs_trading = pytest.mark.skipif(not TRADING, reason="trading contracts not in this checkout")
ROOT = Path(__file__).resolve().parents[2]


# ---------------------------------------------------------------------------- fixtures


class Deployed:
    def __init__(self, system: Any, start_block: int, origin_day: int) -> None:
        self.system = system
        self.start_block = start_block
        self.origin_day = origin_day
        self.registry = system.markets["BTC"].registry
        self.book = system.markets["BTC"].book
        self.path = SimulatedPath(seed=11, origin_day=origin_day, vol=0.03, start=100_000.0)


@pytest.fixture(scope="module")
def dep(chain, deployer, guardian, keeper) -> Deployed:
    clear_of_fixing_window(chain)
    start = chain.blocks.height + 1
    system = deploy_system(deployer, guardian=guardian)
    for feed in system.feeds.values():
        feed.add_reporter(keeper, sender=deployer)
    return Deployed(system, start, chain.blocks.head.timestamp // DAY)


def make_keeper(dep: Deployed, sender: Any, cls: type[Keeper] = Keeper, **kw: Any) -> Keeper:
    kw.setdefault("quiet", True)
    return cls.from_system(
        dep.system, sender, sources={"BTC": dep.path}, start_block=dep.start_block, **kw
    )


def walk(chain: Any, kp: Keeper, until: int, at: int = 60) -> list[PassReport]:
    """One keeper pass at 08:00 + `at` seconds every day from the next update to `until`."""
    t = next_update(chain.pending_timestamp)
    out = []
    while t <= until:
        chain.pending_timestamp = t + at
        out.append(kp.run_pass())
        t += DAY
    return out


def push(dep: Deployed, price: float, peg: float = 1.0) -> None:
    """An independent reporter (the deployer) reports both feeds."""
    report(dep.system.feeds["BTC/USD"], dep.system.deployer, price)
    report(dep.system.feeds["USD1/USD"], dep.system.deployer, peg)


def expired_listings(first: int, now: int) -> list[int]:
    """Every expiry listed between `first` and `now` (calendar model) that is due at `now`."""
    seen: set[int] = set(cal.live_expiries(first))
    t = next_update(first)
    while t <= now:
        seen.update(cal.live_expiries(t))
        t += DAY
    return sorted(e for e in seen if e <= now)


# ---------------------------------------------------------------------------- passes


def test_pass__reports_updates_settles__second_pass_and_restart_idle(dep, chain, keeper):
    kp = make_keeper(dep, keeper)
    e0 = dep.registry.live_expiries()[0]
    passes = walk(chain, kp, until=e0)
    for rep in passes:
        assert (rep.prices_reported, rep.updates) == (2, 1), rep.blocked
        assert not rep.blocked
    last = passes[-1]
    assert last.settled == 1 and sum(r.settled for r in passes) == 1
    assert dep.registry.settlement_price(e0) != 0
    assert dep.registry.last_update() == e0
    feed = dep.system.feeds["BTC/USD"]
    assert feed.latestRoundData()[1] == feed_answer(dep.path.price_at(e0 // DAY))
    print(f"keeper pass (2 reports, update, settle): {last.gas_used:,} gas, "
          f"{last.transactions} txs; by step {dict(last.gas_by_step)}")

    height = chain.blocks.height
    again = kp.run_pass()
    assert again.idle and again.transactions == 0 and not again.blocked and again.skipped == 0
    restarted = make_keeper(dep, keeper).run_pass()           # fresh memory, same chain
    assert restarted.transactions == 0
    assert chain.blocks.height == height                       # not even a failed tx


def test_week_without_keeper__one_pass_catches_up_and_settles_all(dep, chain, keeper):
    kp = make_keeper(dep, keeper)
    first = chain.pending_timestamp
    t = next_update(first)
    for d in range(8):                     # the oracle keeps reporting at 07:56, nobody else acts
        chain.pending_timestamp = t + d * DAY - 4 * 60
        push(dep, dep.path.price_at((t + d * DAY) // DAY))
    now = t + 7 * DAY + 60
    chain.pending_timestamp = now
    due = expired_listings(first, now)
    assert len(due) >= 3                   # a Monday, a Wednesday and a Friday at least
    rep = kp.run_pass()
    assert rep.prices_reported == 0        # feeds fresh for today's window already
    assert rep.updates == 1                # seven missed days replayed in one call
    assert rep.settled == len(due) and not rep.blocked
    assert all(dep.registry.settlement_price(e) != 0 for e in due)
    assert dep.registry.last_update() == cal.update_time(now)
    assert list(dep.registry.listed_expiries()) == cal.live_expiries(now)
    print(f"catch-up pass (7 days, {len(due)} settlements): {rep.gas_used:,} gas")
    assert kp.run_pass().transactions == 0


def test_oracle_outage__market_runs_on__settles_on_first_round_after(dep, chain, keeper, deployer):
    """Three days without any report (issue 12, attack 3). The old keeper pass was blocked
    ("registry: no fixing source") until governance widened the heartbeat. Now the days form
    no fixing and keep their ranges; the keeper reports today's prices, and the series that
    expired in the outage settle on that first round after their windows."""
    kp = make_keeper(dep, keeper)
    first = chain.pending_timestamp
    now = next_update(first) + 3 * DAY + 60        # three days without any report
    chain.pending_timestamp = now
    rep = kp.run_pass()
    assert rep.prices_reported == 2                # today's prices go in ...
    due = expired_listings(first, now)
    assert rep.updates == 1 and rep.settled == len(due) and not rep.blocked
    assert dep.registry.last_update() == cal.update_time(now)
    price = dep.registry.index_price()[0]
    waited = 0
    for e in due:                                  # a day still fresh kept its own fixing
        lo, hi = dep.registry.bounds(e)
        fixing = dep.registry.fixing(e, e // DAY)
        waited += fixing == 0
        assert dep.registry.settlement_price(e) == max(lo, min(fixing or price, hi))
    assert waited >= 1
    assert kp.run_pass().transactions == 0


def test_preflight_revert__classified__nothing_sent(dep, chain, keeper):
    kp = make_keeper(dep, keeper)
    e0 = dep.registry.live_expiries()[0]
    rep = PassReport()
    height = chain.blocks.height
    assert kp._send(rep, "settle", "early", dep.registry.settle, e0) is None
    assert rep.blocked == ["settle early: registry: not expired"] and rep.transactions == 0
    walk(chain, kp, until=e0)
    assert kp._send(rep, "settle", "again", dep.registry.settle, e0) is None
    assert rep.skipped == 1 and rep.actions[-1].status == "skipped"    # someone already did it
    assert chain.blocks.height > height


def test_summary_table__printed_unless_quiet(dep, chain, keeper):
    out = io.StringIO()
    kp = make_keeper(dep, keeper, console=Console(file=out, width=140), quiet=False)
    walk(chain, kp, until=dep.registry.live_expiries()[0])
    kp.run_pass()
    text = out.getvalue()
    assert "keeper pass at" in text and "settle" in text and "total" in text
    assert "nothing to do" in text


# ---------------------------------------------------------------------------- trading


class Trade:
    def __init__(self, expiry: int, fills: list[tuple[int, int]], dead_ids: list[int],
                 deposits: int) -> None:
        self.expiry, self.fills, self.dead_ids, self.deposits = expiry, fills, dead_ids, deposits

    def taker_pnl(self, settle: int) -> int:
        return sum(qty * (settle - price) for price, qty in self.fills)


@pytest.fixture
def trade(dep, maker, taker) -> Trade:
    """Maker rests 10 lots at 100, 2 at 103 and 5 at 105; the taker lifts 12 up to 103 (the
    last trade, so the fixing, is 103): both orders filled whole, the maker holds the series
    only as fill records (its claim folds them). The 5 lots at 105 and a resting call offer
    stay and die at expiry (one sweep for both)."""
    s, book = dep.system, dep.book
    e0 = dep.registry.live_expiries()[0]
    deposits = fund(s, maker, 10_000) + fund(s, taker, 10_000)
    book.place_order(e0, FUTURE, 0, False, s.usd(100), 10, 0, 1, sender=maker)
    book.place_order(e0, FUTURE, 0, False, s.usd(103), 2, 0, 1, sender=maker)
    dead = [book.place_order(e0, FUTURE, 0, False, s.usd(105), 5, 0, 1, sender=maker)]
    strikes = list(dep.registry.strikes(e0))
    dead.append(book.place_order(e0, CALL, strikes[len(strikes) // 2], False, s.usd(1), 3, 0, 1,
                                 sender=maker))
    dead_ids = [tx.events.filter(book.OrderPlaced)[0].order_id for tx in dead]
    tx = book.place_order(e0, FUTURE, 0, True, s.usd(103), 12, 0, 4, sender=taker)
    fills = [(int(f.price), int(f.qty)) for f in tx.events.filter(book.OrderFilled)]
    assert fills == [(s.usd(100), 10), (s.usd(103), 2)]
    assert all(s.lens.orders(book, i).qty > 0 for i in dead_ids)
    assert book.unfolded(maker, e0).lots == -12 and not s.clearinghouse.open_series(maker)
    return Trade(e0, fills, dead_ids, deposits)


def assert_all_settled_and_claimed(dep: Deployed, trade: Trade, maker: Any, taker: Any) -> None:
    s, ch = dep.system, dep.system.clearinghouse
    settle = dep.registry.settlement_price(trade.expiry)
    assert settle != 0
    for acct in (maker, taker):
        assert ch.requirement(acct) == 0 and ch.reserved(acct) == 0
        assert tuple(ch.futures_position(acct, dep.registry, trade.expiry)) == (0, 0)
    assert all(s.lens.orders(dep.book, i).qty == 0 for i in trade.dead_ids)
    assert dep.book.unfolded(maker, trade.expiry).reserve == 0       # the claim folded them
    height = ape_chain.blocks.height
    claims = {ev.account: ev.pnl for ev in ch.Claimed.range(dep.start_block, height + 1)}
    assert claims[taker.address] == trade.taker_pnl(settle) != 0
    assert claims[maker.address] == -claims[taker.address]
    fees = s.vault.balance_of(ch.fee_account_of(dep.registry))  # the market's (its pool's)
    assert s.vault.balance_of(maker) + s.vault.balance_of(taker) + fees == trade.deposits
    assert s.token.balanceOf(s.vault) == s.vault.total_balances()


@needs_trading
def test_trade__one_pass_settles_sweeps_claims_both__second_pass_nothing(
    dep, chain, keeper, maker, taker, trade
):
    kp = make_keeper(dep, keeper)
    passes = walk(chain, kp, until=trade.expiry)
    assert all(r.claimed == 0 for r in passes[:-1])
    last = passes[-1]
    assert (last.settled, last.swept, last.claimed) == (1, 2, 2), last.blocked
    assert last.tx_by_step["sweep"] == 1                     # one owner: one sweep call
    assert_all_settled_and_claimed(dep, trade, maker, taker)
    print(f"keeper pass (2 reports, update, settle, sweep of 2, 2 claims): {last.gas_used:,} gas; "
          f"by step {dict(last.gas_by_step)}")
    again = kp.run_pass()
    assert again.transactions == 0 and again.claimed == 0 and again.skipped == 0


class PowerCut(RuntimeError):
    pass


class CrashingKeeper(Keeper):
    """Dies (like a killed process) when about to send its `crash_after`+1-th transaction."""

    def __init__(self, *args: Any, crash_after: int, **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.left = crash_after

    def _send(self, rep: PassReport, step: str, target: str, fn: Any, *args: Any) -> Any:
        if self.left == 0:
            raise PowerCut(f"killed before {step} {target}")
        self.left -= 1
        return super()._send(rep, step, target, fn, *args)


FULL_PASS = {"prices_reported": 2, "updates": 1, "settled": 1, "swept": 2, "claimed": 2}
FULL_PASS_TXS = 7            # 2 reports, update, settle, one sweep (one owner), 2 claims


@needs_trading
@pytest.mark.parametrize("crash_after", [1, 4, 6], ids=["mid-report", "after-settle", "mid-claims"])
def test_crash_mid_pass__restart_finishes_exactly_once(
    dep, chain, keeper, maker, taker, trade, crash_after
):
    walk(chain, make_keeper(dep, keeper), until=trade.expiry - DAY)
    chain.pending_timestamp = trade.expiry + 60
    dying = make_keeper(dep, keeper, CrashingKeeper, crash_after=crash_after)
    with pytest.raises(PowerCut):
        dying.run_pass()
    rep = make_keeper(dep, keeper).run_pass()                 # the restarted process
    done = rep.counts()
    assert rep.transactions == FULL_PASS_TXS - crash_after
    assert all(done[k] <= v for k, v in FULL_PASS.items())
    assert rep.skipped == 0 and not rep.blocked
    assert_all_settled_and_claimed(dep, trade, maker, taker)
    assert make_keeper(dep, keeper).run_pass().transactions == 0


@needs_trading
def test_partial_steps_then_full_pass__and_second_keeper__no_double_work(
    dep, chain, keeper, stranger, maker, taker, trade
):
    walk(chain, make_keeper(dep, keeper), until=trade.expiry - DAY)
    chain.pending_timestamp = trade.expiry + 60
    # a keeper that is not a reporter settles but stops before sweeping and claiming
    other = make_keeper(dep, stranger)
    part = other.run_pass(steps=("report", "update", "settle"))
    assert (part.prices_reported, part.updates, part.settled, part.claimed) == (0, 1, 1, 0)
    rest = make_keeper(dep, keeper).run_pass()
    assert (rest.prices_reported, rest.updates, rest.settled) == (2, 0, 0)
    assert (rest.swept, rest.claimed) == (2, 2)
    assert_all_settled_and_claimed(dep, trade, maker, taker)
    assert other.run_pass().transactions == 0


@needs_trading
def test_option_order_left_outside_shrinking_range__swept_while_series_lives(
    dep, chain, keeper, maker
):
    s, book, reg = dep.system, dep.book, dep.registry
    fund(s, maker, 1_000)
    e = reg.live_expiries()[-1]                  # a four-week Friday: its range moves daily
    k = min(reg.strikes(e))
    assert reg.strike_active(e, k)
    tx = book.place_order(e, PUT, k, True, s.usd(0.01), 1, 0, 1, sender=maker)
    oid = tx.events.filter(book.OrderPlaced)[0].order_id
    kp = make_keeper(dep, keeper)
    t = next_update(chain.pending_timestamp)
    for day in range(20):                        # the index climbs 2% a day: L rises past K
        chain.pending_timestamp = t + day * DAY + 60
        rep = kp.run_pass(index=100_000 * 1.02**day)
        if not reg.strike_active(e, k):
            break
        assert rep.swept == 0
    assert not reg.strike_active(e, k) and chain.pending_timestamp < e
    assert rep.swept == 1 and s.lens.orders(book, oid).qty == 0
    assert s.clearinghouse.reserved(maker) == 0
    assert kp.run_pass().transactions == 0


# ---------------------------------------------------------------------------- fold


def mid_price(dep: Deployed, expiry: int, ticks: int = 0) -> int:
    """The series' mid range on its tick, moved by `ticks` ticks."""
    lo, hi = dep.registry.bounds(expiry)
    tick = dep.registry.tick()
    return ((lo + hi) // 2 // tick + ticks) * tick


def maker_fill(dep: Deployed, maker: Any, taker: Any, expiry: int, rest: int, take: int,
               maker_buys: bool = False, ticks: int = 0) -> Any:
    """`maker` rests `rest` futures lots (an ask, or a bid with `maker_buys`) `ticks` ticks off
    mid range; `taker` trades `take` of them (IOC). Returns the taker's receipt."""
    s = dep.system
    fund(s, maker, 50_000)
    fund(s, taker, 50_000)
    price = mid_price(dep, expiry, ticks)
    dep.book.place_order(expiry, FUTURE, 0, maker_buys, price, rest, 0, 1, sender=maker)
    return dep.book.place_order(expiry, FUTURE, 0, not maker_buys, price, take, IOC, 1,
                                sender=taker)


def defer_maker_fill(dep: Deployed, maker: Any, taker: Any, expiry: int, lots: int) -> tuple[int, int]:
    """`maker` rests `lots` + 1 futures at mid range, `taker` lifts `lots`: a partial fill, so
    the book defers the maker's reserve share and fee (`Clearinghouse.deferred`), returned as
    (share, fee); one lot still rests."""
    maker_fill(dep, maker, taker, expiry, lots + 1, lots)
    share, fee = dep.system.clearinghouse.deferred(maker, dep.registry, expiry)
    assert fee > 0 and share > fee
    assert dep.book.unfolded(maker, expiry).reserve == 0
    return int(share), int(fee)


def record_maker_fill(dep: Deployed, maker: Any, taker: Any, expiry: int, lots: int,
                      maker_buys: bool = False, ticks: int = 0) -> Any:
    """`maker` rests `lots` futures, `taker` trades them all: the order filled whole stays in
    the book as a fill record (docs/architecture.md §16). Returns `OrderBook.unfolded`, whose
    fee is the one the `Fill` event stated."""
    ch = dep.system.clearinghouse
    deferred = tuple(ch.deferred(maker, dep.registry, expiry))
    tx = maker_fill(dep, maker, taker, expiry, lots, lots, maker_buys, ticks)
    rec = dep.book.unfolded(maker, expiry)
    [fill] = [f for f in tx.events.filter(ch.Fill) if f.maker == maker]
    assert rec.reserve > 0 and rec.fee == fill.maker_fee > 0
    assert rec.lots == (lots if maker_buys else -lots)
    assert tuple(ch.deferred(maker, dep.registry, expiry)) == deferred    # not deferred
    return rec


def usd(dep: Deployed, raw: int) -> float:
    """Raw units as USD1, as the keeper converts them."""
    return raw / 10 ** dep.system.token.decimals()


@needs_trading
def test_fold__fees_at_threshold__one_recalculate_pays_fee_account__below_left(
    dep, keeper, maker2, taker
):
    s, ch, reg = dep.system, dep.system.clearinghouse, dep.registry
    e = reg.live_expiries()[1]
    share, fee = defer_maker_fill(dep, maker2, taker, e, 200)
    fee_usd = usd(dep, fee)
    fee_to = ch.fee_account_of(reg)
    fees_before, reserved_before = s.vault.balance_of(fee_to), ch.reserved(maker2)

    above = make_keeper(dep, keeper, fold_min_usd=fee_usd * 1.01)
    assert above.fold_due() == []
    assert above.run_pass(steps=("fold",)).transactions == 0
    assert tuple(ch.deferred(maker2, reg, e)) == (share, fee)

    kp = make_keeper(dep, keeper, fold_min_usd=fee_usd)
    assert kp.fold_due() == [FoldDue(maker2.address, fee_usd, (), True)]
    rep = kp.run_pass()                          # the default steps fold
    assert (rep.folded, rep.tx_by_step["fold"]) == (1, 1) and not rep.blocked
    assert tuple(ch.deferred(maker2, reg, e)) == (0, 0)
    assert s.vault.balance_of(fee_to) == fees_before + fee
    assert ch.reserved(maker2) == reserved_before - share
    assert kp.fold_due() == [] and kp.run_pass(steps=("fold",)).transactions == 0
    assert make_keeper(dep, keeper, fold_min_usd=None).fold_due() == []


@needs_trading
def test_fold__records__keeper_folds_at_threshold(dep, keeper, maker2, taker):
    """A futures order filled whole leaves a fill record: the maker's reserve stays held, its
    fee unmoved, the series off its open list. Below the threshold the keeper sends nothing; at
    it, one `OrderBook.fold`: the fee reaches the fee account, the reserve comes back, the
    position (the views already counted the record) is unchanged and now listed, and the book
    logs RecordsFolded. A second pass, and a restarted keeper, send nothing."""
    s, ch, reg, book = dep.system, dep.system.clearinghouse, dep.registry, dep.book
    e = reg.live_expiries()[1]
    rec = record_maker_fill(dep, maker2, taker, e, 200)
    fee_usd = usd(dep, rec.fee)
    fee_to = ch.fee_account_of(reg)
    fees_before, reserved_before = s.vault.balance_of(fee_to), ch.reserved(maker2)
    position = (rec.lots, rec.cost)
    assert tuple(ch.futures_position(maker2, reg, e)) == position
    assert all(int(x.expiry) != e for x in ch.open_series(maker2))

    above = make_keeper(dep, keeper, fold_min_usd=fee_usd * 1.01)
    assert above.fold_due() == [] and above.run_pass(steps=("fold",)).transactions == 0
    assert book.unfolded(maker2, e).reserve == rec.reserve

    kp = make_keeper(dep, keeper, fold_min_usd=fee_usd)
    [due] = kp.fold_due()
    assert (due.account, due.usd, due.recalculate) == (maker2.address, fee_usd, False)
    assert [(m.name, x, f) for m, x, f in due.records] == [("BTC", e, fee_usd)]
    height = ape_chain.blocks.height
    rep = kp.run_pass()
    assert (rep.folded, rep.tx_by_step["fold"]) == (1, 1) and not rep.blocked
    [log] = book.RecordsFolded.range(height + 1, ape_chain.blocks.height + 1)
    assert (log.owner, log.expiry, log.lots, log.cost) == (maker2.address, e, *position)
    left = book.unfolded(maker2, e)
    assert (left.lots, left.cost, left.reserve, left.fee, left.bought) == (0, 0, 0, 0, 0)
    assert s.vault.balance_of(fee_to) == fees_before + rec.fee
    assert ch.reserved(maker2) == reserved_before - rec.reserve
    assert tuple(ch.futures_position(maker2, reg, e)) == position
    assert any(int(x.expiry) == e for x in ch.open_series(maker2))
    assert kp.fold_due() == [] and kp.run_pass(steps=("fold",)).transactions == 0
    assert make_keeper(dep, keeper, fold_min_usd=0.0).run_pass(steps=("fold",)).transactions == 0


@needs_trading
def test_fold__records_in_reduce_only_market__folded_below_the_threshold(dep, keeper, maker2, taker):
    """In reduce-only mode the book cancels a maker holding fill records when a taker reaches
    it, so the keeper folds every record of a reduce-only market, whatever its fees."""
    ch, reg, book = dep.system.clearinghouse, dep.registry, dep.book
    e = reg.live_expiries()[1]
    rec = record_maker_fill(dep, maker2, taker, e, 200)
    kp = make_keeper(dep, keeper, fold_min_usd=usd(dep, rec.fee) * 100)
    assert kp.fold_due() == []
    report(dep.system.feeds["USD1/USD"], dep.system.deployer, 0.90)
    assert reg.reduce_only()
    [due] = kp.fold_due()
    assert due.account == maker2.address
    kp.run_pass(steps=("fold",))
    assert book.unfolded(maker2, e).reserve == 0
    assert tuple(ch.futures_position(maker2, reg, e)) == (rec.lots, rec.cost)


@needs_trading
def test_fold__records_and_deferred_in_one_series__fees_summed__one_fold_folds_both(
    dep, keeper, maker2, taker
):
    """The keeper sums an account's maker fees over its fill records and its deferred fills:
    each alone is below the threshold, together they reach it. Both are in one series, whose
    `fold` refreshes it and so folds the deferred fill too: no `recalculate` is sent."""
    s, ch, reg, book = dep.system, dep.system.clearinghouse, dep.registry, dep.book
    e = reg.live_expiries()[2]
    share, fee = defer_maker_fill(dep, maker2, taker, e, 150)          # an ask at mid
    rec = record_maker_fill(dep, maker2, taker, e, 100, maker_buys=True, ticks=-10)
    total = usd(dep, fee + rec.fee)
    fee_to = ch.fee_account_of(reg)
    fees_before, reserved_before = s.vault.balance_of(fee_to), ch.reserved(maker2)
    assert make_keeper(dep, keeper, fold_min_usd=total * 1.01).fold_due() == []
    kp = make_keeper(dep, keeper, fold_min_usd=total)
    [due] = kp.fold_due()
    assert (due.usd, [x for _, x, _ in due.records], due.recalculate) == (total, [e], False)
    rep = kp.run_pass(steps=("fold",))
    assert (rep.folded, rep.tx_by_step["fold"]) == (1, 1) and not rep.blocked
    assert tuple(ch.deferred(maker2, reg, e)) == (0, 0) and book.unfolded(maker2, e).reserve == 0
    assert s.vault.balance_of(fee_to) == fees_before + fee + rec.fee
    assert ch.reserved(maker2) == reserved_before - share - rec.reserve
    assert kp.run_pass(steps=("fold",)).transactions == 0


@needs_trading
def test_fold__records_and_deferred_in_two_series__fold_then_recalculate(
    dep, keeper, maker2, taker
):
    """Fill records in one series and a deferred fill in another: one `fold` for the records,
    then one `recalculate` for the deferred fill; the account counts once."""
    s, ch, reg, book = dep.system, dep.system.clearinghouse, dep.registry, dep.book
    e1, e2 = reg.live_expiries()[1:3]
    rec = record_maker_fill(dep, maker2, taker, e1, 100)
    share, fee = defer_maker_fill(dep, maker2, taker, e2, 100)
    fee_to = ch.fee_account_of(reg)
    fees_before, reserved_before = s.vault.balance_of(fee_to), ch.reserved(maker2)
    kp = make_keeper(dep, keeper, fold_min_usd=0.0)
    [due] = kp.fold_due()
    assert ([x for _, x, _ in due.records], due.recalculate) == ([e1], True)
    rep = kp.run_pass(steps=("fold",))
    assert (rep.folded, rep.tx_by_step["fold"]) == (1, 2) and not rep.blocked
    assert ["records" in a.target for a in rep.actions] == [True, False]    # fold, recalculate
    assert book.unfolded(maker2, e1).reserve == 0 and tuple(ch.deferred(maker2, reg, e2)) == (0, 0)
    assert s.vault.balance_of(fee_to) == fees_before + rec.fee + fee
    assert ch.reserved(maker2) == reserved_before - rec.reserve - share
    assert kp.run_pass(steps=("fold",)).transactions == 0


@needs_trading
def test_fold__settled_series__left_to_its_claim(dep, chain, keeper, maker, maker2, taker):
    """A deferred fill (maker2) and a fill record (maker) in a series that settles before the
    keeper folds them: the fold step leaves both to the claims, which fold them (fees paid)."""
    s, ch, reg = dep.system, dep.system.clearinghouse, dep.registry
    e0 = reg.live_expiries()[0]
    _, fee = defer_maker_fill(dep, maker2, taker, e0, 50)
    rec = record_maker_fill(dep, maker, taker, e0, 30, maker_buys=True, ticks=-10)
    fee_to = ch.fee_account_of(reg)
    walk(chain, make_keeper(dep, keeper, fold_min_usd=None), until=e0 - DAY)
    assert ch.deferred(maker2, reg, e0)[1] == fee
    assert dep.book.unfolded(maker, e0).fee == rec.fee
    fees_before = s.vault.balance_of(fee_to)
    chain.pending_timestamp = e0 + 60
    rep = make_keeper(dep, keeper, fold_min_usd=0.0).run_pass()
    assert rep.settled >= 1 and rep.folded == 0 and rep.claimed == 3, rep.blocked
    assert tuple(ch.deferred(maker2, reg, e0)) == (0, 0)
    assert dep.book.unfolded(maker, e0).reserve == 0
    assert s.vault.balance_of(fee_to) == fees_before + fee + rec.fee   # moved by the claims
    for who in (maker, maker2, taker):
        assert all(int(x.expiry) != e0 for x in ch.open_series(who))


@needs_trading
def test_claim__records_only_series__keeper_claims_it_once(dep, chain, keeper, maker2, taker):
    """A maker whose only exposure in a series is a fill record has no PositionOpened log and
    the series is not on its open list. After settlement the keeper's claim step finds it from
    the `Fill` log (no fold step: `fold_min_usd` None) and claims it: the claim folds the record
    (PositionOpened then Claimed, one transaction), applies n·S − C and moves the fee. A second
    pass and a restarted keeper send nothing."""
    s, ch, reg = dep.system, dep.system.clearinghouse, dep.registry
    e0 = reg.live_expiries()[0]
    rec = record_maker_fill(dep, maker2, taker, e0, 40)
    kp = make_keeper(dep, keeper, fold_min_usd=None)
    walk(chain, kp, until=e0 - DAY)
    assert dep.book.unfolded(maker2, e0).reserve == rec.reserve      # nobody folded it
    fee_to = ch.fee_account_of(reg)
    fees_before, reserved_before = s.vault.balance_of(fee_to), ch.reserved(maker2)
    chain.pending_timestamp = e0 + 60
    height = ape_chain.blocks.height
    rep = kp.run_pass()
    assert (rep.settled, rep.claimed) == (1, 2) and not rep.blocked
    settle = reg.settlement_price(e0)
    claims = {ev.account: ev.pnl for ev in ch.Claimed.range(height + 1, ape_chain.blocks.height + 1)}
    assert claims[maker2.address] == rec.lots * settle - rec.cost == -claims[taker.address]
    opened = [ev.account for ev in ch.PositionOpened.range(height + 1, ape_chain.blocks.height + 1)]
    assert opened == [maker2.address]
    assert dep.book.unfolded(maker2, e0).reserve == 0
    assert ch.reserved(maker2) == reserved_before - rec.reserve
    assert s.vault.balance_of(fee_to) == fees_before + rec.fee
    assert kp.run_pass().transactions == 0
    assert make_keeper(dep, keeper, fold_min_usd=None).run_pass().transactions == 0


# ---------------------------------------------------------------------------- script


def test_script_main__recorded_deployment__csv_then_idle__loop_with_warp(
    dep, chain, keeper, tmp_path, monkeypatch, load_script
):
    monkeypatch.setenv("RANGEBOUND_DEPLOYMENTS", str(tmp_path))
    script = load_script("keeper")
    save_deployment(dep.system, network_key())
    csv = tmp_path / "btc.csv"
    first = chain.pending_timestamp
    day0 = first // DAY
    rows = [f"{day * DAY},{100_000 + 500 * (day - day0)}" for day in range(day0, day0 + 10)]
    csv.write_text("timestamp,price\n" + "\n".join(rows) + "\n")
    chain.pending_timestamp = next_update(chain.pending_timestamp) + 60
    [rep] = script.main(keeper, prices=f"csv:{csv}", quiet=True)
    assert rep.prices_reported == 2 and rep.updates == 1
    answer = dep.system.feeds["BTC/USD"].latestRoundData()[1]
    assert answer == feed_answer(CsvPath(csv).price_at(chain.pending_timestamp // DAY))
    [idle] = script.main(keeper, prices=str(csv), fold_min=None, quiet=True)
    assert idle.transactions == 0
    reps = script.main(keeper, loop=True, passes=4, warp=DAY, prices="simulated", quiet=True)
    assert [r.updates for r in reps] == [0, 1, 1, 1] and not any(r.blocked for r in reps)
    due = expired_listings(first, reps[-1].started_at)
    assert sum(r.settled for r in reps) + rep.settled == len(due)
    assert all(dep.registry.settlement_price(e) != 0 for e in due)


def test_script_main__fresh_local_chain__deploys_with_flag(chain, keeper, tmp_path, monkeypatch,
                                                            load_script):
    import click

    monkeypatch.setenv("RANGEBOUND_DEPLOYMENTS", str(tmp_path))
    script = load_script("keeper")
    with pytest.raises(click.UsageError):
        script.main(keeper, quiet=True)
    [rep] = script.main(keeper, deploy=True, quiet=True)
    assert (tmp_path / f"{network_key()}.json").exists()
    assert rep.transactions == 0                 # just deployed: everything fresh
    assert script.has_live_deployment(network_key())


# ---------------------------------------------------------------------------- price sources


def test_simulate__seeded_deterministic_prefix_stable():
    a = simulate(30, seed=3)
    assert len(a) == 31 and a[0] == 100_000.0
    assert a == simulate(30, seed=3) and a == simulate(90, seed=3)[:31]
    assert a != simulate(30, seed=4)
    assert simulate(5, seed=3, vol=0.0) == [100_000.0] * 6
    assert all(x > 0 for x in simulate(2_000, seed=1, vol=0.15))
    path = SimulatedPath(seed=3, origin_day=20_000)
    assert path.price_at(19_000) == 100_000.0
    assert path.price_at(20_030) == a[30] and path.price_at(20_007) == a[7]
    assert path.price_at_time(20_007 * DAY + 5) == a[7]
    with pytest.raises(ValueError):
        simulate(-1, seed=1)


def test_load_csv__dates_timestamps_gaps_and_errors(tmp_path):
    f = tmp_path / "p.csv"
    f.write_text("Date,Price\n2026-11-22,95000\n\n2026-11-24T07:56:00Z,97000.5\n")
    day = cal.day_start(1_795_320_000) // DAY          # 2026-11-22
    prices = load_csv(f)
    assert prices == {day: 95_000.0, day + 2: 97_000.5}
    src = CsvPath(f)
    assert src.price_at(day - 5) == 95_000.0 and src.price_at(day + 1) == 95_000.0
    assert src.price_at(day + 99) == 97_000.5
    f.write_text("timestamp,price\n1795320000,1.5\n1795330000,2\n")
    assert load_csv(f) == {day: 2.0}
    for bad in ("when,price\n1,2\n", "date,price\n2026-11-22,-1\n", "date,price\n",
                "date,price\n2026-11-22,abc\n"):
        f.write_text(bad)
        with pytest.raises(ValueError):
            load_csv(f)


def test_window_start_due__most_recent_0755():
    day = 20_000 * DAY
    assert window_start_due(day + cal.WINDOW_START) == day + cal.WINDOW_START
    assert window_start_due(day + cal.WINDOW_START - 1) == day - DAY + cal.WINDOW_START
    assert window_start_due(day + 23 * 3600) == day + cal.WINDOW_START
