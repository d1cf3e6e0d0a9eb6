"""`rangebound.ops.risk` and `scripts/risk.py` against a deployed system with a real book.

The maker and the taker trade, in the farthest BTC series, 3 futures (taker long), 2 calls
(taker long) and 1 put (maker long), plus 1 future in the nearest series; the maker also leaves
a resting bid (an order reserve). The maker's futures orders are filled whole, so they stay in
the book as fill records (docs/architecture.md §16): the nearest series is one the maker holds
only as a record, off its open list. The report must agree with the contract views, the
reference margin model and the pricing toolkit. Pure-maths cases (settled, expired, empty) use
synthetic books and need no chain.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest
from helpers import cli_json, fund, on_tick

from rangebound.constants import CALL, FUTURE, PUT, WAD
from rangebound.models import margin
from rangebound.ops.records import network_key, save_deployment
from rangebound.ops.risk import (
    YEAR,
    AccountBook,
    AccountRisk,
    Leg,
    SeriesBook,
    analyse,
    book_from_system,
    risk_from_system,
)
from rangebound.quant import pricing as pr

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Traded:
    system: Any
    registry: Any
    expiry: int          # farthest series: futures, a call and a put
    near: int            # nearest series: one future
    price: int           # futures fill price (raw per lot)
    strike: int
    call_premium: int
    put_premium: int
    bid: int             # the maker's resting bid (order reserve)
    near_reserve: int    # the maker's near futures order's reserve, held for its fill record
    near_fee: int        # the maker fee its Fill event stated


@pytest.fixture(scope="module")
def traded(system, maker, taker, keeper, stranger, accounts, chain) -> Traded:
    """(keeper, stranger, accounts, chain: requested here so that no test instantiates a
    wider-scoped fixture after Ape's per-test isolation began.)"""
    registry, book = system.markets["BTC"].registry, system.markets["BTC"].book
    live = registry.live_expiries()
    expiry, near = live[-1], live[0]
    lo, hi = registry.bounds(expiry)
    tick = registry.tick()
    index = registry.index_price()[0]
    price = on_tick(index, tick)
    strike = min((k for k in registry.strikes(expiry) if lo < k < hi), key=lambda k: abs(k - index))
    t = (expiry - registry.last_update()) / YEAR
    vol = math.sqrt(registry.variance() / WAD * 365)
    unit = 10**system.decimals
    premium = {
        kind: on_tick(float(pr.black76(kind, price / unit, strike / unit, t, 0.0, vol)) * unit,
                       tick)
        for kind in ("call", "put")
    }
    for who in (maker, taker):
        fund(system, who, 5_000)

    def trade(exp: int, kind: int, k: int, px: int, qty: int, seller: Any,
              buyer: Any) -> tuple[int, int]:
        """The seller rests, the buyer takes it all: (the resting order's reserve, the maker
        fee of the fill)."""
        oid = book.place_order(exp, kind, k, False, px, qty, 0, 4, sender=seller).return_value
        reserve = system.lens.orders(book, oid).reserve
        tx = book.place_order(exp, kind, k, True, px, qty, 0, 4, sender=buyer)
        [fill] = tx.events.filter(system.clearinghouse.Fill)
        return int(reserve), int(fill.maker_fee)

    trade(expiry, FUTURE, 0, price, 3, maker, taker)
    trade(expiry, CALL, strike, premium["call"], 2, maker, taker)
    trade(expiry, PUT, strike, premium["put"], 1, taker, maker)
    near_reserve, near_fee = trade(near, FUTURE, 0, price, 1, maker, taker)
    bid = price - 10 * tick
    book.place_order(expiry, FUTURE, 0, True, bid, 1, 0, 4, sender=maker)
    return Traded(system, registry, expiry, near, price, strike, premium["call"],
                  premium["put"], bid, near_reserve, near_fee)


def _series(risk: AccountRisk, expiry: int) -> Any:
    [s] = [s for s in risk.series if s.book.expiry == expiry]
    return s


def fold_everything(traded: Traded, who: Any, sender: Any) -> None:
    """Anyone's `recalculate` and `fold` of each series with fill records: every maker fill of
    `who` folded (deferred fills and records)."""
    ch, book = traded.system.clearinghouse, traded.system.markets["BTC"].book
    ch.recalculate(who, sender=sender)
    for e in (traded.expiry, traded.near):
        if book.unfolded(who, e).reserve:
            book.fold(who, e, sender=sender)


# ---------------------------------------------------------------------------- chain


def test_positions__match_contract_views(traded, maker, taker):
    """Every open series and every series held only as fill records (the maker's near one)."""
    s, ch, book = traded.system, traded.system.clearinghouse, traded.system.markets["BTC"].book
    for who in (maker, taker):
        risk = risk_from_system(s, who)
        refs = {(str(r.registry), int(r.expiry)) for r in ch.open_series(who)}
        records = {(traded.registry.address, e) for e in (traded.expiry, traded.near)
                   if book.unfolded(who, e).reserve}
        assert {(x.book.registry, x.book.expiry) for x in risk.series} == refs | records
        assert {x.book.expiry for x in risk.series} == {traded.expiry, traded.near}
        for x in risk.series:
            assert x.book.listed == ((x.book.registry, x.book.expiry) in refs)
        for x in risk.series:
            b = x.book
            assert (b.n, b.cost) == tuple(ch.futures_position(who, b.registry, b.expiry))
            legs = [tuple(leg) for leg in ch.option_legs(who, b.registry, b.expiry)]
            assert [leg.as_tuple() for leg in b.legs] == legs
            assert (b.lower, b.upper) == tuple(traded.registry.bounds(b.expiry))
            assert b.market == "BTC" and b.settlement == 0 and b.unclaimed_pnl == 0
    far = _series(risk_from_system(s, taker), traded.expiry).book
    assert (far.n, far.cost) == (3, 3 * traded.price)
    assert [leg.as_tuple() for leg in far.legs] == [
        (CALL, traded.strike, 2), (PUT, traded.strike, -1)
    ]


def test_unfolded_fills__risk_predicts_the_folds(traded, maker, taker, keeper):
    """The maker holds both its futures sales as fill records (the far series', whose call sale
    its own put purchase folded, and the near one), the taker a deferred fill (the put it sold
    from the book): the report reads what each holds and owes and predicts the requirement and
    the free collateral that anyone's `recalculate` and `fold`s leave."""
    s, ch, vault = traded.system, traded.system.clearinghouse, traded.system.vault
    book = s.markets["BTC"].book
    risks = {who: risk_from_system(s, who) for who in (maker, taker)}
    for who, risk in risks.items():
        for x in risk.series:
            b, r = x.book, book.unfolded(who, x.book.expiry)
            assert (b.deferred_share, b.deferred_fee) == tuple(
                ch.deferred(who, b.registry, b.expiry))
            assert (b.record_lots, b.record_cost, b.record_reserve, b.record_fee) == (
                r.lots, r.cost, r.reserve, r.fee)
        assert risk.held_for_fills == sum(
            x.book.deferred_share + x.book.record_reserve for x in risk.series) > 0
        assert risk.book.requirement > risk.current_requirement
    made = {x.book.expiry: x.book for x in risks[maker].series}
    assert (made[traded.expiry].record_lots, made[traded.near].record_lots) == (-3, -1)
    assert risks[maker].unfolded_fees == sum(b.record_fee for b in made.values())
    far = _series(risks[taker], traded.expiry).book
    assert far.deferred_share > far.deferred_fee > 0 and far.record_reserve == 0
    for who, risk in risks.items():
        fold_everything(traded, who, keeper)
        assert ch.requirement(who) == risk.current_requirement
        assert vault.free_collateral(who) == risk.free_after_recalculate


def test_fill_records__records_only_series__position_reserve_and_fee_shown(traded, maker):
    """The maker's only exposure in the near series is a fill record: no position word, not on
    its open list, nothing stored. The report still shows the series: the short lot at the fill
    price, the order's whole reserve still held (in `reserved`) and the maker fee its `Fill`
    stated, still to move; its max loss is that of the short lot."""
    s, ch = traded.system, traded.system.clearinghouse
    assert all(int(r.expiry) != traded.near for r in ch.open_series(maker))
    risk = risk_from_system(s, maker)
    x = _series(risk, traded.near)
    b = x.book
    assert not b.listed and b.stored_requirement == 0 and b.legs == ()
    assert (b.n, b.cost) == (-1, -traded.price) == (b.record_lots, b.record_cost)
    assert (b.record_reserve, b.record_fee) == (traded.near_reserve, traded.near_fee)
    assert (b.deferred_share, b.deferred_fee) == (0, 0)
    assert traded.near_fee > 0 and traded.near_reserve > traded.near_fee
    assert x.max_loss == x.requirement == b.upper - traded.price     # a short future: U − P
    assert x.futures.delta == -1
    doc = _series_doc(risk, traded.near)
    assert doc["records"] == {"lots": -1, "cost": -traded.price,
                              "reserve": traded.near_reserve, "fee": traded.near_fee}
    assert doc["listed"] is False


def _series_doc(risk: AccountRisk, expiry: int) -> dict[str, Any]:
    return next(x for x in risk.to_dict()["series"] if x["expiry"] == expiry)


def test_max_loss__equals_contract_and_reference_after_recalculate_and_folds(
    traded, maker, taker, keeper
):
    s, ch, vault = traded.system, traded.system.clearinghouse, traded.system.vault
    for who in (maker, taker):
        fold_everything(traded, who, keeper)
        risk = risk_from_system(s, who)
        for x in risk.series:
            b = x.book
            legs = [leg.as_tuple() for leg in b.legs]
            assert x.requirement == ch.series_requirement(who, b.registry, b.expiry)
            assert x.requirement == b.stored_requirement
            assert x.requirement == margin.requirement(b.n, b.cost, legs, b.lower, b.upper)
            assert x.max_loss == margin.max_loss(b.n, b.cost, legs, b.lower, b.upper)
            assert margin.loss(x.worst_price, b.n, b.cost, legs) == x.max_loss
            assert b.lower <= x.worst_price <= b.upper
        assert risk.book.requirement == ch.requirement(who) == risk.current_requirement
        assert risk.book.reserved == ch.reserved(who)
        assert risk.book.balance == vault.balance_of(who)
        assert risk.book.free_collateral == vault.free_collateral(who)
        assert risk.free_after_recalculate == risk.book.free_collateral
    assert risk_from_system(s, maker).book.reserved > 0   # the resting bid
    assert risk_from_system(s, taker).book.reserved == 0


def test_greeks__futures_delta_call_and_put_deltas_and_signs(traded, maker, taker):
    s = traded.system
    taker_risk, maker_risk = risk_from_system(s, taker), risk_from_system(s, maker)
    far, near = _series(taker_risk, traded.expiry), _series(taker_risk, traded.near)
    assert far.futures.delta == 3 and _series(maker_risk, traded.expiry).futures.delta == -3
    assert near.greeks.delta == 1 and near.greeks.gamma == near.greeks.vega == 0
    call, put = far.legs
    assert 0 < call.per_lot.delta < 1 and -1 < put.per_lot.delta < 0
    assert call.per_lot.delta - put.per_lot.delta == pytest.approx(1.0)    # parity, rate 0
    assert call.per_lot.gamma > 0 and call.per_lot.vega > 0 and call.per_lot.theta < 0
    assert call.greeks.delta == pytest.approx(2 * call.per_lot.delta)
    assert put.greeks.delta == pytest.approx(-put.per_lot.delta)
    assert far.greeks.delta == pytest.approx(3 + call.greeks.delta + put.greeks.delta)
    # the model inputs: forward = index clamped into [L, U], vol from the WAD daily variance
    b = far.book
    assert far.forward == min(max(traded.registry.index_price()[0], b.lower), b.upper)
    assert far.vol == pytest.approx(math.sqrt(traded.registry.variance() / WAD * 365))
    assert far.t_years == pytest.approx((b.expiry - taker_risk.book.timestamp) / YEAR)
    unit = 10**s.decimals
    assert call.value == pytest.approx(
        pr.black76("call", far.forward / unit, traded.strike / unit, far.t_years, 0.0, far.vol)
    )
    # maker and taker hold opposite books: the Greeks cancel
    for key in ("delta", "gamma", "vega", "theta", "delta_usd"):
        total = getattr(taker_risk.totals["BTC"], key) + getattr(maker_risk.totals["BTC"], key)
        assert total == pytest.approx(0.0, abs=1e-9)
    assert taker_risk.totals["BTC"].delta == pytest.approx(far.greeks.delta + 1)


def test_json__serialisable_and_complete(traded, taker, stranger):
    risk = risk_from_system(traded.system, taker)
    doc = json.loads(json.dumps(risk.to_dict(), allow_nan=False))
    assert doc["account"] == taker.address and doc["network"] == network_key()
    assert doc["collateral"]["free_collateral"] == risk.book.free_collateral
    far = next(x for x in doc["series"] if x["expiry"] == traded.expiry)
    assert far["futures"]["qty"] == 3
    assert [(o["kind"], o["qty"]) for o in far["options"]] == [("call", 2), ("put", -1)]
    assert set(doc["totals"]["BTC"]) == {"delta", "gamma", "vega", "theta", "delta_usd"}
    empty = risk_from_system(traded.system, stranger.address)
    assert empty.series == () and empty.max_loss == 0 and empty.totals == {}
    json.dumps(empty.to_dict(), allow_nan=False)


# ---------------------------------------------------------------------------- script


def test_script__cli_json_and_tables_on_recorded_deployment(
    traded, taker, accounts, chain, tmp_path, monkeypatch, load_script
):
    from click.testing import CliRunner

    monkeypatch.setenv("RANGEBOUND_DEPLOYMENTS", str(tmp_path))
    script = load_script("risk")
    with pytest.raises(Exception, match="no deployment recorded"):
        script.main(taker.address)
    save_deployment(traded.system, network_key())
    # the test's own anvil by URI: `ethereum:local:foundry` would start a second anvil
    network = ["--network", f"ethereum:local:{chain.provider.http_uri}"]
    doc = cli_json(script.cli, [*network, "--address", taker.address])
    assert doc == json.loads(json.dumps(risk_from_system(traded.system, taker).to_dict()))
    runner = CliRunner()
    res = runner.invoke(script.cli, [*network, "--account", "TEST::3"])
    assert res.exit_code == 0, res.output
    for text in ("free collateral", "Max loss per series", "BTC total", "call", "put"):
        assert text in res.output
    assert script.resolve_address(None, None) == accounts[0].address
    assert script.resolve_address(taker.address.lower(), None) == taker.address
    res = runner.invoke(script.cli, [*network, "--account", "TEST::0", "--address", taker.address])
    assert res.exit_code != 0 and "not both" in res.output


# ---------------------------------------------------------------------------- pure maths


def _book(*series: SeriesBook, now: int = 1_000 * 86_400) -> AccountBook:
    return AccountBook(account="0x" + "11" * 20, block=1, timestamp=now, decimals=6, balance=10**9,
                       requirement=0, reserved=0, free_collateral=10**9, series=series)


SERIES = SeriesBook(
    market="BTC", registry="0x" + "22" * 20, expiry=1_007 * 86_400, lower=80_000_000,
    upper=125_000_000, settlement=0, tick=10_000, index_price=100_000_000, index_fresh=True,
    variance=9 * 10**14, n=-2, cost=-2 * 101_000_000,
    legs=(Leg(PUT, 90_000_000, -1), Leg(CALL, 110_000_000, 1)), stored_requirement=0,
    unclaimed_pnl=0,
)


def test_analyse__worst_price_forward_clamp_and_short_put():
    [x] = analyse(_book(SERIES)).series
    legs = [leg.as_tuple() for leg in SERIES.legs]
    assert x.max_loss == margin.max_loss(-2, SERIES.cost, legs, SERIES.lower, SERIES.upper)
    assert x.worst_price in margin.candidate_prices(legs, SERIES.lower, SERIES.upper)
    assert x.t_years == pytest.approx(7 / 365) and x.vol == pytest.approx(0.03 * math.sqrt(365))
    above = analyse(_book(replace(SERIES, index_price=200_000_000))).series[0]
    assert above.forward == SERIES.upper                               # clamped into [L, U]
    stale = analyse(_book(replace(SERIES, index_price=0, index_fresh=False))).series[0]
    assert stale.forward == SERIES.lower


def test_analyse__settled_series_has_no_greeks_and_values_at_pnl():
    s = 120_000_000
    legs = [leg.as_tuple() for leg in SERIES.legs]
    pnl = margin.pnl(s, SERIES.n, SERIES.cost, legs)
    settled = replace(SERIES, settlement=s, unclaimed_pnl=pnl)
    [x] = analyse(_book(settled)).series
    assert x.greeks == x.futures == type(x.greeks)()
    assert x.max_loss == -pnl and x.worst_price == s and x.forward == s and x.t_years == 0
    assert x.model_value == pytest.approx(pnl / 10**6)


def test_analyse__expired_unsettled_at_the_strike_stays_finite():
    at_strike = replace(SERIES, index_price=110_000_000)
    risk = analyse(_book(at_strike, now=SERIES.expiry + 3_600))
    [x] = risk.series
    assert x.t_years == 0
    json.dumps(risk.to_dict(), allow_nan=False)
    assert all(math.isfinite(v) for v in x.greeks.as_dict().values())


def test_book_from_system__now_override(traded, taker):
    book = book_from_system(traded.system, taker, now=traded.expiry - 86_400)
    [far] = [x for x in analyse(book).series if x.book.expiry == traded.expiry]
    assert far.t_years == pytest.approx(1 / 365)
