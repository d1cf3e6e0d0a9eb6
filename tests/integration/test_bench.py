"""The gas benchmark (`ape run bench`) on its reduced configuration: the JSON report's shape,
receipts as the source of every number, and the scaling claims (flat claims, linear takes,
bounded margin checks, linear catch-up) checked loosely. Runs in seconds (raw RPC sends)."""

from __future__ import annotations

import json

import pytest
from ape import chain

from rangebound.constants import CONTRACTS
from rangebound.dev.bench_table import TARGETS, rows
from rangebound.dev.profiler import (
    intrinsic_gas,
    profile_call_tree,
    profile_opcodes,
    slope_breakdown,
    slope_names,
    source_line,
)
from rangebound.dev.scenario import BenchConfig, run_benchmark, write_report

RECEIPTS = ("deposit", "withdraw", "place_resting", "cancel", "take_1_maker", "settle",
            "claim_4_legs", "trade_16_legs")
SERIES = ("claim_vs_accounts", "take_vs_makers", "trade_vs_legs",
          "daily_update_vs_missed_days")


@pytest.fixture(scope="module")
def report(deployer):
    return run_benchmark(deployer, BenchConfig.quick())


@pytest.fixture(scope="module")
def written(report, tmp_path_factory):
    path = write_report(report, tmp_path_factory.mktemp("bench") / "reports" / "gas.json")
    return json.loads(path.read_text())


def test_report__json_shape(written):
    assert set(written) >= {"operations", "scaling", "targets"}
    assert written["targets"] == TARGETS
    assert set(TARGETS) <= set(written["operations"])
    for name, gas in written["operations"].items():
        assert isinstance(gas, int) and gas > 0, name
    assert set(SERIES) <= set(written["scaling"])
    for series, points in written["scaling"].items():
        assert points, series
        for x, gas in points.items():
            assert int(x) >= 0 and isinstance(gas, int) and gas > 0, (series, x)


def test_report__every_operation_is_a_receipt_median(report):
    bench = report["_bench"]
    for name in RECEIPTS:
        gas = report["operations"][name]
        assert gas > 21_000, name       # receipt gas includes the base cost
    for name in ("deposit", "take_1_maker", "claim_4_legs"):
        h = bench.s.hashes[name][0]
        receipt = chain.provider.make_request("eth_getTransactionReceipt", [h])
        assert int(receipt["gasUsed"], 16) == bench.s.data[name][0]


def test_claim__flat_in_accounts_per_series(report):
    claims = report["scaling"]["claim_vs_accounts"]
    one, most = claims["1"], claims[max(claims, key=int)]
    assert abs(most - one) <= 0.10 * one


def test_take__linear_with_a_small_slope(report):
    takes = report["scaling"]["take_vs_makers"]
    xs = sorted(int(x) for x in takes)
    gas = [takes[str(x)] for x in xs]
    assert gas == sorted(gas)
    slope = report["operations"]["take_extra_maker"]
    assert 0 < slope < report["operations"]["take_1_maker"]
    for x, g in zip(xs, gas):           # every point near the line through the ends
        assert abs(g - (gas[0] + slope * (x - xs[0]))) <= 0.10 * g


def test_trade__margin_check_grows_slowly_with_legs(report):
    legs = report["scaling"]["trade_vs_legs"]
    xs = sorted(int(x) for x in legs)
    gas = [legs[str(x)] for x in xs]
    assert gas == sorted(gas)
    per_leg = (gas[-1] - gas[0]) / (xs[-1] - xs[0])
    assert per_leg < 10_000              # one cold slot plus the sweep, per leg


def test_daily_update__catch_up_grows_with_missed_days(report):
    days = report["scaling"]["daily_update_vs_missed_days"]
    xs = sorted(int(x) for x in days)
    assert xs[0] == 0 and len(xs) >= 3
    gas = [days[str(x)] for x in xs]
    assert gas == sorted(gas)
    per_series = report["operations"]["daily_update_per_series"]
    assert per_series == round(report["operations"]["daily_update_6_series"] / 6)


def test_rows__targets_with_ratio_then_variants(report):
    out = rows(report)
    targeted = [r for r in out if r[1] is not None]
    assert [r[0] for r in targeted] == list(TARGETS)
    for name, target, measured, ratio in targeted:
        assert measured == report["operations"][name]
        assert ratio == pytest.approx(measured / target)
    assert {r[0] for r in out} == set(report["operations"])


def test_profile__call_tree_and_opcodes_add_up(report):
    bench = report["_bench"]
    contracts = {"registry": bench.registry, "book": bench.book, "clearinghouse": bench.ch,
                 "vault": bench.vault, "token": bench.token}
    h = bench.s.hashes["take_1_maker"][0]
    tree = profile_call_tree(h, contracts)
    assert tree[0]["contract"] == "book" and tree[0]["function"] == "place_order"
    assert sum(f["self"] for f in tree) == tree[0]["gas"]
    assert any(f["function"] == "settle_fills" for f in tree)   # one call per taker order
    # settle refunds nothing: execution gas = receipt - 21,000 - calldata
    h = bench.s.hashes["settle"][0]
    ops = profile_opcodes(h, contracts)
    assert ops["execution_gas"] == bench.s.data["settle"][0] - intrinsic_gas(h)
    # the settlement price: one write into the series' fixing word (no fresh slot)
    assert ops["per_contract"]["registry"]["sstore_2900"] == 2_900
    assert "sstore_20000" not in ops["per_contract"]["registry"]


def _profiled(bench, contracts, name):
    """The first sample of `name` as `profile_report` would give it, without source maps."""
    h = bench.s.hashes[name][0]
    return {"gas": bench.s.data[name][0], "intrinsic": intrinsic_gas(h),
            "opcodes": profile_opcodes(h, contracts)}


def test_slope_breakdown__adds_up_to_the_receipts(report):
    bench = report["_bench"]
    contracts = {"registry": bench.registry, "book": bench.book, "clearinghouse": bench.ch,
                 "vault": bench.vault, "token": bench.token}
    lo_name, hi_name, steps = slope_names(bench)
    assert (lo_name, hi_name, steps) == ("take_1_makers", "take_3_makers", 2)
    lo, hi = _profiled(bench, contracts, lo_name), _profiled(bench, contracts, hi_name)
    slope = slope_breakdown(lo, hi, steps)
    assert slope["receipt"] == round((hi["gas"] - lo["gas"]) / steps)
    for side, e in (("lo", lo), ("hi", hi)):     # receipt = execution + intrinsic - refund
        assert e["gas"] == e["opcodes"]["execution_gas"] + e["intrinsic"] - slope["refund"][side]
        assert slope["capped"][side] is False    # a few makers: far below a fifth of the gas
    # uncapped, each extra maker's receipt is its execution less its refund
    refund_step = (slope["refund"]["hi"] - slope["refund"]["lo"]) / steps
    assert abs(slope["receipt"] - (slope["execution"] - refund_step)) <= 1
    # each filled order is recorded (docs/architecture.md §16): its link word is cleared, its
    # book word rewritten as the fill's record (no refund)
    assert refund_step == 4_800
    parts = sum(v for row in slope["per_contract"].values() for v in row.values())
    assert abs(parts - slope["execution"]) <= 12  # each class rounded on its own
    # each extra maker: its order's two words written in the book (the link cleared, the record
    # kept); the level it empties is left as it is (STALE, order_store), not written
    assert slope["per_contract"]["book"]["sstore_2900"] == 2 * 2_900
    # and no word of the maker in the Clearinghouse (no position, no deferral)
    assert slope["per_contract"]["clearinghouse"].get("sstore_2900", 0) == 0
    assert slope["lines"] == []                  # no source maps given


def test_source_line__reads_the_contract_line():
    lines = (CONTRACTS / "Clearinghouse.vy").read_text().splitlines()
    n = next(i for i, t in enumerate(lines, 1) if t.startswith("def settle_fills("))
    assert source_line(f"Clearinghouse:{n}").startswith("def settle_fills(")
    assert source_line("order_store:1").startswith("# pragma version")   # a module
    assert source_line("NoSuchFile:3") == ""
