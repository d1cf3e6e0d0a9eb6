"""`ape run demo` with a short horizon: runs, prints the report, writes consistent files."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from rangebound.dev.node import free_host

ROOT = Path(__file__).resolve().parents[2]


def test_demo__short_horizon__writes_consistent_reports(tmp_path):
    env = dict(os.environ)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env["MPLBACKEND"] = "Agg"
    # The demo's anvil on a kernel-picked free port: Ape's `host: auto` draws from 49152-60999,
    # inside the ephemeral range this session's open connections hold (tests/fork/conftest.py).
    env["APE_FOUNDRY_HOST"] = free_host()
    out = subprocess.run(
        ["ape", "run", "demo", "--days", "6", "--quiet", "--out", str(tmp_path)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600, check=False,
    )
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    assert "Settled series" in out.stdout and "Solvency" in out.stdout
    report = json.loads((tmp_path / "demo.json").read_text())
    assert {"series", "accounts", "solvency", "gas"} <= set(report)
    for s in report["series"]:
        assert {"expiry", "range_at_listing", "range_at_expiry", "settlement_price"} <= set(s)
        lo, hi = s["range_at_expiry"]
        assert lo <= s["settlement_price"] <= hi
    for row in report["accounts"].values():
        assert {"pnl", "fees", "final_balance"} <= set(row)
    sv = report["solvency"]
    assert sv["vault_token_balance"] >= sv["sum_balances"] - sv["pnl_applied_unclaimed"]
    assert sv["sum_balances"] == sv["vault_total_balances"]
    assert all(v == 0 for v in sv["pnl_plus_fees_by_series"].values())
    accounts = report["accounts"]      # the market's fees go to its pool (docs/architecture.md §15)
    paid = sum(row["fees"] for row in accounts.values())
    assert accounts["pool"]["fees_received"] == paid > 0
    assert accounts["fee_account"]["fees_received"] == 0
    words = " ".join(out.stdout.split())      # rich wraps lines at the terminal width
    assert "received" in words and "hedge (futures) P&L" in words
    pnl = report["pool"]["pnl"]
    assert pnl["fees"] == paid - accounts["pool"]["fees"]
    assert pnl["spread"] > 0
    for op, g in report["gas"].items():
        assert g["count"] > 0 and g["median"] > 0, op
    png = tmp_path / "demo.png"
    assert png.stat().st_size > 20_000
