"""rangebound.quant.pricing: textbook values, parity, Greeks, implied vol, quanto, range models."""

from __future__ import annotations

import math
from itertools import pairwise

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate, stats

from rangebound.quant import pricing as pr

FAST = settings(max_examples=60)
SLOW = settings(max_examples=15)

spots = st.floats(5.0, 500.0)
moneyness = st.floats(0.5, 2.0)
times = st.floats(0.02, 5.0)
rates = st.floats(-0.02, 0.12)
divs = st.floats(0.0, 0.08)
vols = st.floats(0.05, 1.5)
kinds = st.sampled_from(["call", "put"])


def payoff(kind: str, x: float, strike: float) -> float:
    return max(x - strike, 0.0) if kind == "call" else max(strike - x, 0.0)


# --------------------------------------------------------------------------- textbook values


def test_black_scholes__hull_example__call_4_76_put_0_81():
    assert pr.black_scholes("call", 42, 40, 0.5, 0.1, 0.2) == pytest.approx(4.76, abs=5e-3)
    assert pr.black_scholes("put", 42, 40, 0.5, 0.1, 0.2) == pytest.approx(0.81, abs=5e-3)


def test_black_scholes__hull_index_option_with_yield__51_83():
    # Hull, index option: S=930, K=900, r=8%, q=3%, sigma=20%, T=2 months.
    assert pr.black_scholes("call", 930, 900, 2 / 12, 0.08, 0.2, 0.03) == pytest.approx(
        51.83, abs=5e-3
    )


def test_black76__hull_futures_put__1_12():
    # Hull, European put on futures: F=K=20, r=9%, T=4 months, sigma=25%.
    assert pr.black76("put", 20, 20, 4 / 12, 0.09, 0.25) == pytest.approx(1.12, abs=5e-3)
    assert pr.black76("call", 20, 20, 4 / 12, 0.09, 0.25) == pytest.approx(1.12, abs=5e-3)


def test_black76__forward_of_spot__equals_black_scholes():
    fwd = 100 * math.exp((0.05 - 0.02) * 0.7)
    for kind in ("call", "put"):
        assert pr.black76(kind, fwd, 95, 0.7, 0.05, 0.3) == pytest.approx(
            pr.black_scholes(kind, 100, 95, 0.7, 0.05, 0.3, 0.02), rel=1e-13
        )


def test_greeks__hull_example__matches_book():
    # Hull: S=49, K=50, r=5%, sigma=20%, T=20 weeks.
    g = pr.greeks("call", 49, 50, 20 / 52, 0.05, 0.2)
    assert g["delta"] == pytest.approx(0.522, abs=5e-4)
    assert g["gamma"] == pytest.approx(0.066, abs=5e-4)
    assert g["vega"] == pytest.approx(12.1, abs=0.05)
    assert g["theta"] == pytest.approx(-4.31, abs=5e-3)  # per year
    assert g["rho"] == pytest.approx(8.91, abs=5e-3)


def test_black_scholes__t_zero__returns_intrinsic():
    assert pr.black_scholes("call", 105, 100, 0.0, 0.05, 0.3) == 5.0
    assert pr.black_scholes("put", 105, 100, 0.0, 0.05, 0.3) == 0.0
    assert pr.black_scholes("put", 95, 100, 0.0, 0.05, 0.3, 0.1) == 5.0
    assert pr.black76("call", 95, 100, 0.0, 0.05, 0.3) == 0.0


def test_black_scholes__zero_vol__discounted_forward_intrinsic():
    got = pr.black_scholes("call", 100, 90, 2.0, 0.05, 0.0, 0.01)
    assert got == pytest.approx(100 * math.exp(-0.02) - 90 * math.exp(-0.1), rel=1e-14)
    assert pr.black_scholes("put", 100, 90, 2.0, 0.05, 0.0) == 0.0


def test_black_scholes__arrays__broadcast_like_scalars():
    strikes = np.array([80.0, 100.0, 120.0])
    got = pr.black_scholes("call", 100, strikes, 0.5, 0.03, 0.4)
    assert isinstance(got, np.ndarray) and got.shape == (3,)
    for k, v in zip(strikes, got, strict=True):
        assert v == pr.black_scholes("call", 100, float(k), 0.5, 0.03, 0.4)
    assert isinstance(pr.black_scholes("call", 100, 100, 0.5, 0.03, 0.4), float)


# --------------------------------------------------------------------------- parity


@FAST
@given(spots, moneyness, times, rates, divs, vols)
def test_put_call_parity__black_scholes__gap_below_1e_10(s, m, t, r, q, v):
    k = s * m
    call = pr.black_scholes("call", s, k, t, r, v, q)
    put = pr.black_scholes("put", s, k, t, r, v, q)
    assert abs(pr.put_call_parity_gap(call, put, s, k, t, r, q)) < 1e-10
    assert pr.put_from_call(call, s, k, t, r, q) == pytest.approx(put, abs=1e-10)
    assert pr.call_from_put(put, s, k, t, r, q) == pytest.approx(call, abs=1e-10)


@FAST
@given(spots, moneyness, times, rates, vols, st.floats(0, 0.3), st.floats(-1, 1))
def test_put_call_parity__black76_and_quanto__gap_below_1e_10(f, m, t, r, v, fxv, rho):
    k = f * m
    df = math.exp(-r * t)
    gap76 = pr.black76("call", f, k, t, r, v) - pr.black76("put", f, k, t, r, v)
    assert gap76 == pytest.approx(df * (f - k), abs=1e-10)
    fq = pr.quanto_forward(f, t, r, v, fxv, rho)
    gapq = pr.quanto("call", f, k, t, r, v, fxv, rho) - pr.quanto("put", f, k, t, r, v, fxv, rho)
    assert gapq == pytest.approx(df * (fq - k), abs=1e-10)


def test_put_call_parity_gap__mispriced_put__reports_the_difference():
    call = pr.black_scholes("call", 100, 100, 1, 0.05, 0.2)
    put = pr.black_scholes("put", 100, 100, 1, 0.05, 0.2)
    assert pr.put_call_parity_gap(call, put + 0.25, 100, 100, 1, 0.05) == pytest.approx(-0.25)


# --------------------------------------------------------------------------- Greeks


def _fd(f, x: float, h: float) -> float:
    return (f(x + h) - f(x - h)) / (2 * h)


def _check_greeks(kind, s, k, t, r, v, q):
    g = pr.greeks(kind, s, k, t, r, v, q)

    def price(s_=s, t_=t, r_=r, v_=v):
        return pr.black_scholes(kind, s_, k, t_, r_, v_, q)

    def delta(x):
        return pr.greeks(kind, x, k, t, r, v, q)["delta"]

    hs, ht = 1e-5 * s, 1e-5 * t
    assert g["price"] == price()
    assert g["delta"] == pytest.approx(_fd(lambda x: price(s_=x), s, hs), abs=1e-7)
    assert g["gamma"] == pytest.approx(_fd(delta, s, hs), rel=1e-6, abs=1e-9 / s)
    assert g["vega"] == pytest.approx(_fd(lambda x: price(v_=x), v, 1e-5), rel=1e-6, abs=1e-7 * s)
    assert g["theta"] == pytest.approx(-_fd(lambda x: price(t_=x), t, ht), rel=1e-5, abs=1e-6 * s)
    assert g["rho"] == pytest.approx(_fd(lambda x: price(r_=x), r, 1e-6), rel=1e-6, abs=1e-7 * s)


@pytest.mark.parametrize("kind", ["call", "put"])
@pytest.mark.parametrize("k", [70.0, 100.0, 140.0])
@pytest.mark.parametrize("t", [0.05, 1.0, 4.0])
def test_greeks__grid__match_finite_differences(kind, k, t):
    _check_greeks(kind, 100.0, k, t, 0.04, 0.35, 0.015)


@FAST
@given(kinds, spots, st.floats(0.7, 1.4), st.floats(0.05, 3.0), rates, divs, st.floats(0.1, 1.2))
def test_greeks__random_inputs__match_finite_differences(kind, s, m, t, r, q, v):
    _check_greeks(kind, s, s * m, t, r, v, q)


def test_greeks__put_call_relations__hold():
    c = pr.greeks("call", 100, 110, 0.8, 0.03, 0.5, 0.01)
    p = pr.greeks("put", 100, 110, 0.8, 0.03, 0.5, 0.01)
    assert c["delta"] - p["delta"] == pytest.approx(math.exp(-0.01 * 0.8), rel=1e-14)
    assert c["gamma"] == p["gamma"] and c["vega"] == p["vega"]
    assert c["rho"] - p["rho"] == pytest.approx(110 * 0.8 * math.exp(-0.03 * 0.8), rel=1e-13)


def test_greeks__expiry__are_the_payoff_limits():
    itm = pr.greeks("call", 105, 100, 0.0, 0.05, 0.3)
    assert (itm["price"], itm["delta"], itm["gamma"], itm["vega"]) == (5.0, 1.0, 0.0, 0.0)
    otm = pr.greeks("put", 105, 100, 0.0, 0.05, 0.3)
    assert (otm["price"], otm["delta"], otm["gamma"], otm["theta"]) == (0.0, 0.0, 0.0, 0.0)
    atm = pr.greeks("call", 100, 100, 0.0, 0.05, 0.3)
    assert atm["delta"] == 0.5 and atm["gamma"] == math.inf


@pytest.mark.parametrize("kind", ["call", "put"])
@pytest.mark.parametrize("usd_rate", [None, 0.03])
def test_quanto_greeks__match_finite_differences(kind, usd_rate):
    s, k, t, r, v, fxv, rho, q = 100.0, 105.0, 0.75, 0.045, 0.55, 0.047, 0.3, 0.01

    def price(s_=s, t_=t, r_=r, v_=v, fxv_=fxv, rho_=rho):
        return pr.quanto(kind, s_, k, t_, r_, v_, fxv_, rho_, q, usd_rate=usd_rate)

    g = pr.quanto_greeks(kind, s, k, t, r, v, fxv, rho, q, usd_rate=usd_rate)
    assert g["price"] == pytest.approx(price(), rel=1e-14)
    assert g["delta"] == pytest.approx(_fd(lambda x: price(s_=x), s, 1e-3), abs=1e-8)
    assert g["vega"] == pytest.approx(_fd(lambda x: price(v_=x), v, 1e-5), rel=1e-7)
    assert g["theta"] == pytest.approx(-_fd(lambda x: price(t_=x), t, 1e-5), rel=1e-6)
    assert g["rho"] == pytest.approx(_fd(lambda x: price(r_=x), r, 1e-6), rel=1e-6)
    assert g["dcorr"] == pytest.approx(_fd(lambda x: price(rho_=x), rho, 1e-5), rel=1e-7)
    assert g["dfx_vol"] == pytest.approx(_fd(lambda x: price(fxv_=x), fxv, 1e-5), rel=1e-7)


# --------------------------------------------------------------------------- implied vol


@pytest.mark.parametrize("kind", ["call", "put"])
@pytest.mark.parametrize("t", [1 / 365, 0.1, 1.0, 5.0])
@pytest.mark.parametrize("vol", [0.05, 0.3, 1.0, 2.5])
def test_implied_vol__round_trip__across_moneyness(kind, t, vol):
    s, r, q = 100.0, 0.03, 0.01
    strikes = s * np.array([0.5, 0.7, 0.9, 1.0, 1.1, 1.4, 2.0])
    prices = pr.black_scholes(kind, s, strikes, t, r, vol, q)
    ivs = pr.implied_vol(kind, prices, s, strikes, t, r, q)
    back = pr.black_scholes(kind, s, strikes, t, r, ivs, q)
    assert np.allclose(back, prices, rtol=1e-9, atol=1e-11 * s)
    vega = pr.greeks(kind, s, strikes, t, r, vol, q)["vega"]
    informative = vega > 1e-4 * s  # elsewhere the price does not pin the vol down
    assert np.all(np.abs(ivs - vol)[informative] < 1e-7)


@FAST
@given(kinds, spots, moneyness, times, rates, divs, st.floats(0.02, 3.0))
def test_implied_vol__random_round_trip__recovers_vol(kind, s, m, t, r, q, v):
    k = s * m
    price = pr.black_scholes(kind, s, k, t, r, v, q)
    iv = pr.implied_vol(kind, price, s, k, t, r, q)
    back = pr.black_scholes(kind, s, k, t, r, iv, q)
    assert back == pytest.approx(price, rel=1e-9, abs=2e-12 * max(s, k))  # 0 vol below 1e-12
    if pr.greeks(kind, s, k, t, r, v, q)["vega"] > 1e-3 * s:
        assert iv == pytest.approx(v, abs=1e-7)


def test_implied_vol__at_lower_bound__returns_zero():
    intrinsic = 100 - 90 * math.exp(-0.05)
    assert pr.implied_vol("call", intrinsic, 100, 90, 1.0, 0.05) == 0.0
    assert pr.implied_vol("put", 0.0, 100, 90, 1.0, 0.05) == 0.0


def test_implied_vol__no_solution__raises():
    with pytest.raises(ValueError, match="below the no-arbitrage lower bound"):
        pr.implied_vol("call", 5.0, 100, 90, 1.0, 0.05)  # intrinsic is 14.39
    with pytest.raises(ValueError, match="upper bound"):
        pr.implied_vol("call", 100.0, 100, 90, 1.0, 0.05)  # a call is worth less than spot
    with pytest.raises(ValueError, match="upper bound"):
        pr.implied_vol("put", 96.0, 100, 100, 1.0, 0.05)  # a put is worth less than K e^-rt


def test_implied_vol__t_zero__raises():
    with pytest.raises(ValueError, match="t must be > 0"):
        pr.implied_vol("call", 1.0, 100, 100, 0.0, 0.05)


def test_implied_vol__negative_price__raises():
    with pytest.raises(ValueError, match="price must be >= 0"):
        pr.implied_vol("call", -1.0, 100, 100, 1.0, 0.05)


# --------------------------------------------------------------------------- quanto

EXAMPLE = {"spot": 100_000.0, "strike": 110_000.0, "t": 1.0, "rate": 0.045, "vol": 0.55}


def test_quanto__zero_corr_or_zero_fx_vol__equals_vanilla():
    for kind in ("call", "put"):
        vanilla = pr.black_scholes(kind, 100, 110, 0.5, 0.04, 0.6, 0.01)
        assert pr.quanto(kind, 100, 110, 0.5, 0.04, 0.6, 0.05, 0.0, 0.01) == vanilla
        assert pr.quanto(kind, 100, 110, 0.5, 0.04, 0.6, 0.0, 0.7, 0.01) == vanilla


@FAST
@given(spots, moneyness, times, rates, vols, st.floats(0.005, 0.3), st.floats(-1, 0.98))
def test_quanto__call_monotone_in_corr__put_opposite(s, m, t, r, v, fxv, rho):
    k, step = s * m, 0.02
    c0, c1 = (pr.quanto("call", s, k, t, r, v, fxv, x) for x in (rho, rho + step))
    p0, p1 = (pr.quanto("put", s, k, t, r, v, fxv, x) for x in (rho, rho + step))
    assert c1 >= c0 and p1 <= p0
    assert pr.quanto_greeks("call", s, k, t, r, v, fxv, rho)["dcorr"] >= 0


def test_quanto__positive_corr__raises_call_and_forward():
    naive = pr.black_scholes("call", **EXAMPLE)
    for rho in (0.1, 0.5, 1.0):
        assert pr.quanto("call", **EXAMPLE, fx_vol=0.047, corr=rho) > naive
        assert pr.quanto("call", **EXAMPLE, fx_vol=0.047, corr=-rho) < naive
    assert pr.quanto_forward(100, 1, 0.045, 0.55, 0.047, 0.5) > 100 * math.exp(0.045)


def test_quanto__is_black_scholes_with_shifted_carry():
    adj = 0.087 * 0.55 * 0.047
    assert pr.quanto("call", **EXAMPLE, fx_vol=0.047, corr=0.087) == pytest.approx(
        pr.black_scholes("call", **EXAMPLE, div=-adj), rel=1e-14
    )
    separate = pr.quanto("call", **EXAMPLE, fx_vol=0.047, corr=0.087, usd_rate=0.05)
    fwd = 100_000 * math.exp(0.05 + adj)
    assert separate == pytest.approx(pr.black76("call", fwd, 110_000, 1.0, 0.045, 0.55), rel=1e-14)


def test_quanto__published_example__our_numbers_and_their_conventions():
    """docs/pricing.md: naive 19,738.11 and quanto 19,867.26 (+0.654 %), not 19,879.13/19,964.06.

    The published naive figure is Black-Scholes at a 4.875 % rate (not 4.5 %), and its quanto
    step is the correction added to the rate used for discounting too (a rho-sized effect).
    """
    naive = pr.black_scholes("call", **EXAMPLE)
    q = pr.quanto("call", **EXAMPLE, fx_vol=0.047, corr=0.087)
    assert naive == pytest.approx(19_738.11, abs=0.005)
    assert q == pytest.approx(19_867.26, abs=0.005)
    assert q / naive - 1 == pytest.approx(0.00654, abs=5e-6)
    per_pct = pr.quanto_greeks("call", **EXAMPLE, fx_vol=0.047, corr=0.087)["dcorr"] / 100 / naive
    assert per_pct == pytest.approx(0.00075, abs=5e-6)
    # Reconstructions of the published figures (not what we use).
    at_4875 = dict(EXAMPLE, rate=0.04875)
    assert pr.black_scholes("call", **at_4875) == pytest.approx(19_879.13, abs=0.01)
    bumped = dict(EXAMPLE, rate=0.04875 + 0.087 * 0.55 * 0.047)
    assert pr.black_scholes("call", **bumped) == pytest.approx(19_964.06, abs=0.2)


# --------------------------------------------------------------------------- range models


def _t_untruncated(kind: str, k: float, mu: float, sc: float, nu: float) -> float:
    """E[payoff] for S = mu + sc*T_nu (nu > 1), the textbook closed form."""
    z = (k - mu) / sc
    tail = sc * (nu + z * z) / (nu - 1) * stats.t.pdf(z, nu)
    call = (mu - k) * stats.t.sf(z, nu) + tail
    return call if kind == "call" else call - (mu - k)


T_CASES = [  # strike, center, scale, dof, lo, hi
    (100.0, 100.0, 5.0, 3.0, 80.0, 120.0),
    (90.0, 100.0, 5.0, 1.0, 85.0, 130.0),
    (112.0, 100.0, 8.0, 0.6, 70.0, 125.0),
    (100.0, 120.0, 3.0, 30.0, 90.0, 115.0),
    (50.0, 100.0, 5.0, 4.0, 60.0, 140.0),
    (100.0, 100.0, 5.0, 2.5, -math.inf, math.inf),
]
LN_CASES = [  # strike, forward, vol, t, lo, hi
    (110.0, 100.0, 0.5, 1.0, 50.0, 200.0),
    (100.0, 100.0, 0.2, 0.1, 90.0, 108.0),
    (70.0, 100.0, 1.2, 2.0, 0.0, math.inf),
    (130.0, 100.0, 0.6, 0.5, 110.0, 125.0),
    (100.0, 100.0, 0.8, 1.0, 0.0, 150.0),
]


RANGE_CASES = [  # (model, its arguments after kind): both views of both models
    *((fn, case) for fn in (pr.truncated_t, pr.clamped_t) for case in T_CASES),
    *((fn, case) for fn in (pr.truncated_lognormal, pr.clamped_lognormal) for case in LN_CASES),
]


@pytest.mark.parametrize("kind", ["call", "put"])
@pytest.mark.parametrize(
    ("fn", "case"), RANGE_CASES, ids=[f"{fn.__name__}-{case}" for fn, case in RANGE_CASES]
)
def test_range_models__closed_form__matches_quadrature(kind, fn, case):
    closed = fn(kind, *case)
    assert fn(kind, *case, method="quad") == pytest.approx(closed, rel=1e-9, abs=1e-10)


@SLOW
@given(
    kinds,
    st.floats(60, 140),
    st.floats(1, 30),
    st.floats(0.3, 50),
    st.floats(-3, 1),
    st.floats(0.05, 4),
)
def test_truncated_t__random_inputs__closed_matches_quad(kind, k, sc, nu, z_lo, width):
    lo = 100 + z_lo * sc
    hi = lo + width * sc
    for fn in (pr.truncated_t, pr.clamped_t):
        closed = fn(kind, k, 100.0, sc, nu, lo, hi)
        assert fn(kind, k, 100.0, sc, nu, lo, hi, method="quad") == pytest.approx(
            closed, rel=1e-8, abs=1e-10
        )


@FAST
@given(
    kinds,
    st.floats(1, 300),
    st.floats(0.5, 30),
    st.floats(0.2, 20),
    st.floats(-4, 3),
    st.floats(0.01, 6),
)
def test_truncated_t__prices__within_zero_and_max_payoff(kind, k, sc, nu, z_lo, width):
    lo, hi = 100 + z_lo * sc, 100 + (z_lo + width) * sc
    cap = max(hi - k, 0.0) if kind == "call" else max(k - lo, 0.0)
    for fn in (pr.truncated_t, pr.clamped_t):
        value = fn(kind, k, 100.0, sc, nu, lo, hi)
        assert -1e-12 <= value <= cap * (1 + 1e-12) + 1e-12


@FAST
@given(
    kinds,
    st.floats(10, 300),
    st.floats(0.05, 1.5),
    st.floats(0.02, 3),
    st.floats(0.01, 1.2),
    st.floats(1.01, 4),
)
def test_truncated_lognormal__prices__within_zero_and_max_payoff(kind, k, v, t, lo_m, width):
    lo, hi = 100 * lo_m, 100 * lo_m * width
    cap = max(hi - k, 0.0) if kind == "call" else max(k - lo, 0.0)
    for fn in (pr.clamped_lognormal, pr.truncated_lognormal):
        try:
            value = fn(kind, k, 100.0, v, t, lo, hi)
        except ValueError as exc:  # a range that holds no probability at all
            assert "no probability mass" in str(exc) and fn is pr.truncated_lognormal
            continue
        assert -1e-12 <= value <= cap * (1 + 1e-12) + 1e-12


@pytest.mark.parametrize("kind", ["call", "put"])
@pytest.mark.parametrize("k", [85.0, 100.0, 118.0])
def test_truncated_t__range_widens__converges_to_untruncated(kind, k):
    mu, sc, nu = 100.0, 6.0, 4.0
    full = _t_untruncated(kind, k, mu, sc, nu)
    errors = [
        abs(fn(kind, k, mu, sc, nu, mu - w * sc, mu + w * sc) - full)
        for w in (2.0, 8.0, 50.0, 1000.0)
        for fn in (pr.truncated_t,)
    ]
    assert all(b < a for a, b in pairwise(errors))
    assert errors[-1] < 1e-6 * sc
    for fn in (pr.truncated_t, pr.clamped_t):
        assert fn(kind, k, mu, sc, nu, -math.inf, math.inf) == pytest.approx(full, rel=1e-12)


@pytest.mark.parametrize("kind", ["call", "put"])
@pytest.mark.parametrize("k", [60.0, 100.0, 150.0])
def test_truncated_lognormal__range_widens__converges_to_black76(kind, k):
    fwd, v, t, r = 100.0, 0.7, 1.5, 0.04
    full = pr.black76(kind, fwd, k, t, r, v) * math.exp(r * t)
    errors = [
        abs(pr.truncated_lognormal(kind, k, fwd, v, t, fwd / w, fwd * w) - full)
        for w in (1.5, 3.0, 10.0, 100.0, 1e4)
    ]
    assert all(b < a for a, b in pairwise(errors))
    assert errors[-1] < 1e-10
    for fn in (pr.truncated_lognormal, pr.clamped_lognormal):
        assert fn(kind, k, fwd, v, t, 0.0, math.inf) == pytest.approx(full, rel=1e-12)


def _clamped_by_integration(kind, k, pdf, lo, hi, support=(-math.inf, math.inf)):
    """E[payoff(clamp(S))] by direct quadrature of the density in price space (scipy.stats)."""
    edges = sorted({support[0], lo, k, hi, support[1]})

    def f(x):
        return payoff(kind, min(max(x, lo), hi), k) * pdf(x)

    pieces = (
        integrate.quad(f, a, b, epsabs=1e-13, epsrel=1e-11, limit=200)[0]
        for a, b in pairwise(edges)
    )
    return sum(pieces)


@pytest.mark.parametrize("kind", ["call", "put"])
@pytest.mark.parametrize("k", [85.0, 100.0, 121.0])
@pytest.mark.parametrize("nu", [0.8, 3.0, 12.0])
def test_clamped_t__matches_direct_numeric_integration(kind, k, nu):
    lo, hi = 88.0, 118.0
    dist = stats.t(nu, loc=100.0, scale=7.0)
    expected = _clamped_by_integration(kind, k, dist.pdf, lo, hi)
    assert pr.clamped_t(kind, k, 100.0, 7.0, nu, lo, hi) == pytest.approx(expected, rel=1e-8)


@pytest.mark.parametrize("kind", ["call", "put"])
@pytest.mark.parametrize("k", [70.0, 100.0, 140.0])
def test_clamped_lognormal__matches_direct_numeric_integration(kind, k):
    fwd, v, t, lo, hi = 100.0, 0.6, 1.0, 75.0, 135.0
    sd = v * math.sqrt(t)
    dist = stats.lognorm(sd, scale=fwd * math.exp(-sd * sd / 2))
    expected = _clamped_by_integration(kind, k, dist.pdf, lo, hi, support=(0.0, math.inf))
    assert pr.clamped_lognormal(kind, k, fwd, v, t, lo, hi) == pytest.approx(expected, rel=1e-8)


def test_clamped__parity_inside_the_range__holds():
    lo, hi = 80.0, 125.0
    for k in (70.0, 95.0, 110.0, 140.0):
        c, p = (pr.clamped_t(kind, k, 100.0, 9.0, 2.0, lo, hi) for kind in ("call", "put"))
        mean_clamped = lo + pr.clamped_t("call", lo, 100.0, 9.0, 2.0, lo, hi)
        assert c - p == pytest.approx(mean_clamped - k, abs=1e-10)


def test_truncated__parity_inside_the_range__holds():
    lo, hi = 80.0, 125.0
    mean_inside = lo + pr.truncated_lognormal("call", lo, 100.0, 0.4, 1.0, lo, hi)
    for k in (70.0, 95.0, 110.0, 140.0):
        c, p = (
            pr.truncated_lognormal(kind, k, 100.0, 0.4, 1.0, lo, hi) for kind in ("call", "put")
        )
        assert c - p == pytest.approx(mean_inside - k, abs=1e-10)


def test_clamped__bounded_by_contract_collateral():
    """A short call never owes more than max(U - K, 0), a short put max(K - L, 0) (docs/architecture.md §1)."""
    lo, hi = 90.0, 110.0
    strikes = np.array([80.0, 95.0, 100.0, 105.0, 120.0])
    call = pr.clamped_t("call", strikes, 100.0, 50.0, 1.0, lo, hi)
    put = pr.clamped_t("put", strikes, 100.0, 50.0, 1.0, lo, hi)
    assert np.all(call <= np.maximum(hi - strikes, 0) + 1e-12)
    assert np.all(put <= np.maximum(strikes - lo, 0) + 1e-12)
    # With most of the mass outside the range, the clamped view is near the bound payoffs.
    assert call[0] == pytest.approx(100.0 - 80.0, rel=0.05)


def test_clamped_vs_truncated__mass_outside_goes_to_the_bounds():
    lo, hi, k = 95.0, 105.0, 100.0
    trunc = pr.truncated_t("call", k, 100.0, 5.0, 3.0, lo, hi)
    clamp = pr.clamped_t("call", k, 100.0, 5.0, 3.0, lo, hi)
    p_in = stats.t.cdf(1, 3) - stats.t.cdf(-1, 3)
    p_above = stats.t.sf(1, 3)
    assert clamp == pytest.approx(trunc * p_in + (hi - k) * p_above, rel=1e-12)


def test_range_models__vectorised_strikes__match_scalar_calls():
    strikes = np.linspace(80, 120, 9)
    grid = pr.truncated_t("put", strikes, 100.0, 5.0, 3.0, 85.0, 118.0)
    quad = pr.truncated_t("put", strikes, 100.0, 5.0, 3.0, 85.0, 118.0, method="quad")
    for k, g, q in zip(strikes, grid, quad, strict=True):
        assert g == pr.truncated_t("put", float(k), 100.0, 5.0, 3.0, 85.0, 118.0)
        assert q == pytest.approx(g, rel=1e-9, abs=1e-12)


def test_truncated_t__dof_near_one__is_continuous():
    values = [pr.truncated_t("call", 100, 101, 5, nu, 60, 150) for nu in (1 - 1e-9, 1.0, 1 + 1e-9)]
    assert max(values) - min(values) < 1e-8


def test_truncated_t__large_dof__tends_to_truncated_normal():
    # Truncated normal via the lognormal machinery is not available, so compare with quadrature.
    value = pr.truncated_t("call", 102.0, 100.0, 4.0, 1e7, 90.0, 115.0)
    dist = stats.norm(100.0, 4.0)
    num = integrate.quad(lambda x: max(x - 102.0, 0) * dist.pdf(x), 102.0, 115.0, epsrel=1e-12)[0]
    assert value == pytest.approx(num / (dist.cdf(115.0) - dist.cdf(90.0)), rel=1e-6)


def test_truncated__no_mass_in_range__raises_but_clamped_works():
    with pytest.raises(ValueError, match="no probability mass"):
        pr.truncated_lognormal("call", 100, 100.0, 0.01, 0.01, 1000.0, 2000.0)
    assert pr.clamped_lognormal("call", 100, 100.0, 0.01, 0.01, 1000.0, 2000.0) == 900.0


# --------------------------------------------------------------------------- bad inputs

BS = {"kind": "call", "spot": 100.0, "strike": 100.0, "t": 1.0, "rate": 0.05, "vol": 0.2}
TT = {"kind": "call", "strike": 100.0, "center": 100.0, "scale": 5.0, "dof": 3.0}
TT |= {"lo": 80.0, "hi": 120.0}
LN = {"kind": "call", "strike": 100.0, "forward": 100.0, "vol": 0.3, "t": 1.0}
LN |= {"lo": 50.0, "hi": 150.0}
QU = dict(BS, fx_vol=0.05, corr=0.1)

BAD = [
    ("kind", pr.black_scholes, dict(BS, kind="straddle"), "kind must be 'call' or 'put'"),
    ("negative_vol", pr.black_scholes, dict(BS, vol=-0.2), "vol must be >= 0"),
    ("negative_t", pr.black_scholes, dict(BS, t=-0.1), "t must be >= 0"),
    ("zero_strike", pr.black_scholes, dict(BS, strike=0.0), "strike must be > 0"),
    ("negative_spot", pr.black_scholes, dict(BS, spot=-1.0), "spot must be > 0"),
    ("nan_rate", pr.black_scholes, dict(BS, rate=math.nan), "rate must be a number"),
    ("text_spot", pr.black_scholes, dict(BS, spot="abc"), "spot must be a number"),
    ("strike_array", pr.black_scholes, dict(BS, strike=[90.0, -1.0]), "strike must be > 0"),
    ("b76_forward", pr.black76, dict(BS, forward=0.0, spot=None), "forward must be > 0"),
    ("greeks_vol", pr.greeks, dict(BS, vol=-1.0), "vol must be >= 0"),
    ("corr_above_one", pr.quanto, dict(QU, corr=1.5), r"corr must be in \[-1, 1\]"),
    ("negative_fx_vol", pr.quanto, dict(QU, fx_vol=-0.01), "fx_vol must be >= 0"),
    ("t_dof_zero", pr.truncated_t, dict(TT, dof=0.0), "dof must be > 0"),
    ("t_scale_negative", pr.truncated_t, dict(TT, scale=-5.0), "scale must be > 0"),
    ("t_lo_ge_hi", pr.truncated_t, dict(TT, lo=120.0, hi=120.0), "need lo < hi"),
    ("t_hi_minus_inf", pr.clamped_t, dict(TT, lo=-math.inf, hi=-math.inf), "hi must be > -inf"),
    ("t_cauchy_infinite", pr.truncated_t, dict(TT, dof=1.0, hi=math.inf), "dof <= 1 has no mean"),
    ("t_method", pr.truncated_t, dict(TT, method="mc"), "method must be 'closed' or 'quad'"),
    ("t_strike", pr.clamped_t, dict(TT, strike=-3.0), "strike must be > 0"),
    ("ln_lo_negative", pr.truncated_lognormal, dict(LN, lo=-1.0), "lo must be >= 0"),
    ("ln_vol_zero", pr.clamped_lognormal, dict(LN, vol=0.0), "vol must be > 0"),
    ("ln_t_zero", pr.truncated_lognormal, dict(LN, t=0.0), "t must be > 0"),
    ("ln_lo_ge_hi", pr.clamped_lognormal, dict(LN, lo=150.0, hi=50.0), "need lo < hi"),
]


@pytest.mark.parametrize(("fn", "kwargs", "message"), [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_bad_input__raises_value_error(fn, kwargs, message):
    kwargs = {k: v for k, v in kwargs.items() if v is not None}
    with pytest.raises(ValueError, match=message):
        fn(**kwargs)
