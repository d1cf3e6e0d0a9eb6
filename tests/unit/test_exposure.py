"""The venue risk view's maths (`rangebound.ops.exposure`) on built portfolios, against brute force.

Venues are built from random trades between random accounts (so every fill is zero-sum, like the
Clearinghouse's), on a tick of 1 raw unit so a scan of every price in [L, U] is exact (random
venues use a 0-decimal token: raw units are USD1, so the Greeks stay in a natural scale).
"""

from __future__ import annotations

import json
import math
from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rangebound.constants import CALL, FUTURE, PUT
from rangebound.models import margin
from rangebound.ops import exposure as ex
from rangebound.ops.exposure_report import to_dict, write
from rangebound.ops.risk import AccountBook, Leg, SeriesBook, analyse

NOW = 1_000 * 86_400
DEC = 6
VAR = 9 * 10**14                   # WAD daily variance (3% daily vol)
SETTINGS = settings(max_examples=25)
ACCOUNTS = [f"0x{i:040x}" for i in range(1, 6)]


def _series(expiry_days: int, lo: int, hi: int, index: int) -> SeriesBook:
    return SeriesBook(market="BTC", registry="0x" + "22" * 20, expiry=NOW + expiry_days * 86_400,
                      lower=lo, upper=hi, settlement=0, tick=1, index_price=index,
                      index_fresh=True, variance=VAR, n=0, cost=0, legs=(),
                      stored_requirement=0, unclaimed_pnl=0)


def build_venue(series: list[SeriesBook], trades, pool: str | None = None,
                balance: int | None = None, decimals: int = DEC) -> ex.Venue:
    """Books from (buyer, seller, series index, kind, strike, price, qty) trades. Each account's
    balance = its requirement (fully collateralised, nothing spare) unless `balance` is given."""
    pos: dict[str, dict[int, list]] = {}
    for buyer, seller, si, kind, strike, price, qty in trades:
        for who, sign in ((buyer, 1), (seller, -1)):
            n, cost, legs = pos.setdefault(who, {}).setdefault(si, [0, 0, {}])
            if kind == FUTURE:
                pos[who][si] = [n + sign * qty, cost + sign * qty * price, legs]
            else:
                legs[(kind, strike)] = legs.get((kind, strike), 0) + sign * qty
                pos[who][si] = [n, cost + sign * qty * price, legs]   # premium paid
    books = []
    for who in sorted(pos):
        ss = []
        for si, (n, cost, legs) in sorted(pos[who].items()):
            ss.append(SeriesBook(**{**vars(series[si]), "n": n, "cost": cost, "legs": tuple(
                Leg(k, strike, q) for (k, strike), q in sorted(legs.items()) if q)}))
        req = sum(ex.locked(s) for s in ss)
        books.append(AccountBook(account=who, block=1, timestamp=NOW, decimals=decimals,
                                 balance=req if balance is None else balance, requirement=req,
                                 reserved=0, free_collateral=0, series=tuple(ss)))
    return ex.Venue(books=tuple(books), decimals=decimals, timestamp=NOW, pool=pool)


@st.composite
def venues(draw, pool: bool = False):
    n_series = draw(st.integers(1, 2))
    series = []
    for i in range(n_series):
        lo = draw(st.integers(60, 100))
        hi = lo + draw(st.integers(2, 60))
        index = draw(st.integers(lo - 20, hi + 20))
        series.append(_series(2 + 5 * i, lo, hi, index))
    trades = []
    for _ in range(draw(st.integers(1, 8))):
        buyer, seller = draw(st.permutations(ACCOUNTS[:4]))[:2]
        si = draw(st.integers(0, n_series - 1))
        s = series[si]
        kind = draw(st.sampled_from([FUTURE, CALL, PUT]))
        strike = 0 if kind == FUTURE else draw(st.integers(s.lower + 1, s.upper - 1))
        price = draw(st.integers(s.lower, s.upper)) if kind == FUTURE else draw(
            st.integers(1, s.upper - s.lower))
        trades.append((buyer, seller, si, kind, strike, price, draw(st.integers(1, 5))))
    return build_venue(series, trades, pool=ACCOUNTS[0] if pool else None, decimals=0)


def _prices(s: SeriesBook) -> range:
    return range(s.lower, s.upper + 1)          # tick 1: every settleable price


# ------------------------------------------------------------------ Greeks


@SETTINGS
@given(venues())
def test_venue_greeks__random_portfolios__aggregate_equals_sum_of_accounts(venue):
    view = ex.venue_greeks(venue)
    for model in ex.MODELS:
        lots = ex.lot_greeks(venue, model)
        total = {}
        for b in venue.traders:
            for m, g in ex.book_greeks(b, lots).items():
                total[m] = total.get(m, ex.Greeks()) + g
        agg = view[model]["traders"]
        assert set(agg) == set(total)
        for m in agg:
            for key, v in agg[m].as_dict().items():
                assert v == pytest.approx(getattr(total[m], key), rel=1e-9, abs=1e-9)
    # Black-76 per account agrees with `ape run risk`'s own analysis of the same book
    lots = ex.lot_greeks(venue, "black76")
    for b in venue.books:
        mine, theirs = ex.book_greeks(b, lots)["BTC"], analyse(b).totals["BTC"]
        for key, v in mine.as_dict().items():
            assert v == pytest.approx(getattr(theirs, key), rel=1e-9, abs=1e-9)


def test_t_greeks__future_and_call_delta__match_design_closed_form():
    s = _series(3, 80_000_000, 120_000_000, 101_000_000)
    lots = ex.t_greeks(s, [(FUTURE, 0), (CALL, 105_000_000), (PUT, 95_000_000)], NOW, DEC)
    f = 101.0
    sc = f * math.sqrt(VAR / 1e18 * 3 / 2)

    def phi(x: float) -> float:        # docs/architecture.md §15: cdf of the nu = 4 t
        z = (x - f) / sc
        return 0.5 + z * (z * z + 6) / (2 * (z * z + 4) ** 1.5)

    assert lots[(FUTURE, 0)].delta == pytest.approx(phi(120) - phi(80), rel=1e-5)
    assert lots[(CALL, 105_000_000)].delta == pytest.approx(phi(120) - phi(105), rel=1e-5)
    assert lots[(PUT, 95_000_000)].delta == pytest.approx(-(phi(95) - phi(80)), rel=1e-5)
    assert lots[(CALL, 105_000_000)].gamma > 0 and lots[(CALL, 105_000_000)].vega > 0
    assert lots[(CALL, 105_000_000)].theta < 0
    assert 0 < lots[(FUTURE, 0)].delta < 1                     # the clamp caps a future's delta


def test_lot_greeks__black76_future__delta_one_and_bad_model_rejected():
    s = _series(3, 80_000_000, 120_000_000, 101_000_000)
    venue = build_venue([s], [(ACCOUNTS[0], ACCOUNTS[1], 0, FUTURE, 0, 100_000_000, 2)])
    lots = ex.lot_greeks(venue, "black76")
    assert lots[("BTC", s.expiry, FUTURE, 0)].delta == 1.0
    with pytest.raises(ValueError, match="model must be one of"):
        ex.lot_greeks(venue, "normal")


# ------------------------------------------------------------------ stress vs brute force


@SETTINGS
@given(venues(pool=True))
def test_stress__random_portfolios__equal_brute_force_over_settlement_prices(venue):
    reps = ex.series_of(venue)
    for sc in ex.stress_table(venue):
        bad = 0
        for key, price in sc.prices.items():
            s = reps[key]
            assert s.lower <= price <= s.upper
            losses = [margin.loss(price, x.n, x.cost, [leg.as_tuple() for leg in x.legs])
                      for b in venue.books for x in b.series if (x.market, x.expiry) == key]
            assert sc.moved.get(key, 0) == sum(max(0, v) for v in losses)
        for b in venue.books:
            worst = 0
            for x in b.series:
                legs = [leg.as_tuple() for leg in x.legs]
                brute = max(margin.loss(p, x.n, x.cost, legs) for p in _prices(x))
                loss = margin.loss(sc.prices[(x.market, x.expiry)], x.n, x.cost, legs)
                assert loss <= max(0, brute) == ex.locked(x)
                worst += max(0, loss)
            bad += max(0, worst - b.balance)
        assert sc.bad_debt == bad == 0
        assert sc.liquidations == 0 and sc.margin_calls == 0
        pool = venue.pool_book
        if pool is not None:
            assert sc.pool_nav_change == sum(
                ex.series_loss(x, ex.forward(x)) - ex.series_loss(x, sc.prices[(x.market,
                                                                                x.expiry)])
                for x in pool.series)
    # the worst case over every settlement price, per series
    for key, (moved, at) in ex.max_collateral_moved(venue).items():
        s = reps[key]
        books = [x for b in venue.books for x in b.series if (x.market, x.expiry) == key]
        scan = [sum(max(0, ex.series_loss(x, p)) for x in books) for p in _prices(s)]
        assert moved == max(scan) and at == s.lower + scan.index(max(scan))


@SETTINGS
@given(venues())
def test_pinned_losses__random_portfolios__equal_brute_force_at_the_bounds(venue):
    for p in ex.pinned_losses(venue):
        books = [x for b in venue.books for x in b.series if (x.market, x.expiry) ==
                 (p.market, p.expiry)]
        brute = [max(ex.series_loss(x, q) for q in _prices(x)) for x in books]
        assert p.max_loss == sum(max(0, w) for w in brute)
        assert p.moved_at_lower == sum(max(0, ex.series_loss(x, p.lower)) for x in books)
        assert p.moved_at_upper == sum(max(0, ex.series_loss(x, p.upper)) for x in books)
        assert p.at_max_lower == sum(w > 0 and ex.series_loss(x, p.lower) == w
                                     for x, w in zip(books, brute, strict=True))
        assert p.moved_at_lower <= p.max_loss and p.moved_at_upper <= p.max_loss


@SETTINGS
@given(venues())
def test_open_interest__random_trades__long_equals_short_equals_traded(venue):
    oi = ex.open_interest(venue)
    for (m, e, kind, strike), (long, short) in oi.items():
        assert long == short > 0
        held = sum(max(0, x.n if kind == FUTURE else sum(
            leg.qty for leg in x.legs if (leg.kind, leg.strike) == (kind, strike)))
            for b in venue.books for x in b.series if (x.market, x.expiry) == (m, e))
        assert long == held


# ------------------------------------------------------------------ named cases


def _short_call_venue(balance: int | None = None, pool: str | None = None) -> ex.Venue:
    s = _series(3, 80_000_000, 120_000_000, 100_000_000)
    return build_venue([s], [(ACCOUNTS[1], ACCOUNTS[0], 0, CALL, 100_000_000, 2_000_000, 3)],
                       pool=pool, balance=balance)


def test_scenario__underfunded_account__bad_debt_and_margin_call_computed():
    # the writer holds less than its locked collateral: the view must say so, not assume
    venue = _short_call_venue(balance=10_000_000)
    up = ex.scenario(venue, move=0.5)
    writer_loss = 3 * (120_000_000 - 100_000_000) - 3 * 2_000_000
    assert up.prices == {("BTC", venue.books[0].series[0].expiry): 120_000_000}
    assert up.bad_debt == writer_loss - 10_000_000
    assert up.margin_calls == 1 and up.liquidations == 0     # the writer; the buyer is covered
    assert up.at_max == {("BTC", venue.books[0].series[0].expiry): 1}


def test_scenario__depeg__reduce_only_and_usd_value_only():
    venue = _short_call_venue()
    base = ex.scenario(venue)
    for sc in ex.stress_table(venue)[-3:]:
        assert sc.reduce_only == (sc.peg < 0.97)
        assert sc.moved == base.moved and sc.bad_debt == 0
        total = sum(b.balance for b in venue.books)
        assert sc.usd_value_change == round(total * (sc.peg - 1))
    assert ex.scenario(venue, peg=0.98, threshold=0.99).reduce_only


def test_venue__no_pool__pool_entries_absent():
    venue = _short_call_venue()
    assert venue.pool_book is None
    assert ex.scenario(venue, move=0.1).pool_nav_change is None
    assert set(ex.venue_greeks(venue)["student_t"]) == {"traders"}
    doc = to_dict(venue)
    assert doc["pool"] is None and set(doc["greeks"]["black76"]) == {"traders"}


def test_venue__pool_is_an_ordinary_account__hedge_views():
    s = _series(3, 80_000_000, 120_000_000, 100_000_000)
    pool, trader = ACCOUNTS[0], ACCOUNTS[1]
    venue = build_venue([s], [(trader, pool, 0, CALL, 100_000_000, 2_000_000, 4),
                              (pool, trader, 0, FUTURE, 0, 100_000_000, 2)], pool=pool)
    view = ex.venue_greeks(venue)
    for model in ex.MODELS:
        before = view[model]["pool_options"]["BTC"].delta
        after = view[model]["pool"]["BTC"].delta
        lots = ex.lot_greeks(venue, model)
        assert before == pytest.approx(-4 * lots[("BTC", s.expiry, CALL, 100_000_000)].delta)
        assert after == pytest.approx(before + 2 * lots[("BTC", s.expiry, FUTURE, 0)].delta)
        assert abs(after) < abs(before)
        assert view[model]["traders"]["BTC"].delta == pytest.approx(-after)


def test_health__built_rounds_and_balances__peg_concentration_clamped_and_files(tmp_path):
    venue = _short_call_venue()
    health = ex.Health(peg_decimals=8, peg_rounds=((1, 99_000_000, NOW - 900),
                                                   (2, 100_100_000, NOW - 60)),
                       depeg_threshold=0.97, reduce_only={"BTC": False},
                       vault_token_balance=10, total_balances=10,
                       blocklist={ACCOUNTS[0]: None})
    peg = ex.peg_summary(health, NOW)
    assert (peg["last"], peg["age_s"], peg["min"], peg["max"]) == (1.001, 60, 0.99, 1.001)
    conc = ex.concentration(venue)
    assert sum(sh for _, _, sh in conc) == pytest.approx(1.0)
    assert [b for _, b, _ in conc] == sorted((b.balance for b in venue.books), reverse=True)
    settled = ({"market": "BTC", "expiry": 5, "fixing": 130, "price": 120},
               {"market": "BTC", "expiry": 6, "fixing": 110, "price": 110})
    outside = ex.Venue(books=venue.books, decimals=DEC, timestamp=NOW, settled=settled,
                       health=health)
    assert [c["expiry"] for c in ex.clamped_series(outside)] == [5]
    j, png = write(outside, tmp_path)
    doc = json.loads(j.read_text())
    assert doc["collateral"]["peg"]["min"] == 0.99 and len(doc["stress"]) == 11
    assert png.stat().st_size > 10_000


def test_render__empty_venue_and_pool_venue__tables_say_so():
    from rich.console import Console

    from rangebound.ops.exposure_report import render

    empty = ex.Venue(books=(), decimals=DEC, timestamp=NOW)
    doc = json.loads(json.dumps(to_dict(empty), allow_nan=False))
    assert doc["open_interest"] == [] and doc["accounts"] == 0
    assert {s["collateral_moved"] for s in doc["stress"]} == {0}
    console = Console(record=True, width=160)
    render(empty, console)
    assert "no options pool deployed" in console.export_text()
    pooled = _short_call_venue(pool=ACCOUNTS[0])
    console = Console(record=True, width=160)
    render(pooled, console)
    text = console.export_text()
    for part in ("pool before hedge", "pool after hedge", "(pool)", "Stress", "Pinned losses"):
        assert part in text


def test_pool_greeks_table__hedged_pool__options_and_hedged_rows_both_models():
    from rich.console import Console

    from rangebound.ops.exposure_report import _num, pool_greeks_table

    s = _series(3, 80_000_000, 120_000_000, 100_000_000)
    pool, trader = ACCOUNTS[0], ACCOUNTS[1]
    venue = build_venue([s], [(trader, pool, 0, CALL, 100_000_000, 2_000_000, 4),
                              (pool, trader, 0, FUTURE, 0, 100_000_000, 2)], pool=pool)
    console = Console(record=True, width=200)
    console.print(pool_greeks_table(venue))
    text = console.export_text()
    view = ex.venue_greeks(venue)
    assert pool in text
    for who, label in (("pool_options", "options (before hedge) BTC"),
                       ("pool", "options + futures hedge BTC")):
        cell = (f"{_num(view['black76'][who]['BTC'].delta)} | "
                f"{_num(view['student_t'][who]['BTC'].delta)}")
        line = next(x for x in text.splitlines() if label in x)
        assert cell in line


# ------------------------------------------------------------------ fill records


def _records_venue() -> tuple[ex.Venue, SeriesBook, int, int]:
    """A maker whose only exposure is a fill record (its ask of 2 lots at 100 filled whole by a
    taker): the record is in its position (n, cost) and its order's reserve is still held (in
    `reserved`, as `record_reserve`), its maker fee not moved. The maker's balance is exactly
    that reserve (what the Clearinghouse required of it); the taker's is its locked
    collateral. Returns (venue, the maker's series, reserve, fee)."""
    base = _series(3, 80_000_000, 120_000_000, 100_000_000)
    price, lots, bps = 100_000_000, 2, 2
    reserve = margin.reserve(FUTURE, 0, False, price, lots, base.lower, base.upper, bps)
    fee = lots * margin.fee(price, bps)
    made = SeriesBook(**{**vars(base), "n": -lots, "cost": -lots * price, "record_lots": -lots,
                         "record_cost": -lots * price, "record_reserve": reserve,
                         "record_fee": fee, "listed": False})
    taken = SeriesBook(**{**vars(base), "n": lots, "cost": lots * price})
    maker = AccountBook(account=ACCOUNTS[0], block=1, timestamp=NOW, decimals=DEC,
                        balance=reserve, requirement=reserve, reserved=reserve,
                        free_collateral=0, series=(made,))
    taker = AccountBook(account=ACCOUNTS[1], block=1, timestamp=NOW, decimals=DEC,
                        balance=ex.locked(taken), requirement=ex.locked(taken), reserved=0,
                        free_collateral=0, series=(taken,))
    return ex.Venue(books=(maker, taker), decimals=DEC, timestamp=NOW), made, reserve, fee


def test_fill_records__records_only_maker__counted_once_in_stress_and_shown():
    """The record and the reserve held for it are one exposure: the stress's requirement after
    the update counts the series (the record folded) plus the reserves not held for fills, so a
    maker funded exactly as the Clearinghouse required gets no margin call (counting the reserve
    on top of the series made one at today's index). Open interest nets the record into the
    maker's position; `unfolded_fills` and the report show its reserve and fee."""
    venue, made, reserve, fee = _records_venue()
    assert ex.held_for_fills(venue.books[0]) == reserve > ex.locked(made) > 0
    for sc in ex.stress_table(venue):
        assert (sc.margin_calls, sc.bad_debt, sc.liquidations) == (0, 0, 0), sc.name
    key = ("BTC", made.expiry)
    assert ex.open_interest(venue) == {(*key, FUTURE, 0): (2, 2)}
    assert ex.unfolded_fills(venue) == {key: (1, reserve, fee)}
    doc = json.loads(json.dumps(to_dict(venue), allow_nan=False))
    assert doc["unfolded_fills"] == [{"market": "BTC", "expiry": made.expiry, "accounts": 1,
                                      "reserve": reserve, "fees": fee}]
    from rich.console import Console

    from rangebound.ops.exposure_report import render

    console = Console(record=True, width=200)
    render(venue, console)
    assert "maker fills not yet folded" in console.export_text()


def test_fill_records__underfunded_maker__margin_call_still_counted():
    """Leaving the held reserve out does not hide a real shortfall: a maker whose balance is
    below its series' requirement after the update still counts a margin call."""
    venue, _, _, _ = _records_venue()
    poor = replace(venue.books[0], balance=1)
    assert ex.scenario(replace(venue, books=(poor, venue.books[1]))).margin_calls == 1
    aggregate = ex.net_book(venue.books)
    assert [(s.n, s.record_reserve, s.record_fee) for s in aggregate.series] == [(0, 0, 0)]
