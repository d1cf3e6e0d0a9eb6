"""Option pricing for Rangebound (see docs/pricing.md).

Vanilla models:
  * Black-Scholes on spot with a rate and a continuous carry (`div`), and Black-76 on a forward;
  * the quanto adjustment for options on BTC/USD paid in the USD stablecoin USD1;
  * analytic Greeks, implied volatility, put-call parity helpers.

Range models (the contracts clamp the settlement price into the trading range [L, U]):
  * `truncated_t` / `truncated_lognormal`: expected payoff *given* settlement inside [lo, hi];
  * `clamped_t` / `clamped_lognormal`: expected payoff of the clamped settlement
    `min(max(S, lo), hi)`, i.e. the mass outside the range sits on the bounds.

Conventions: `kind` is "call" or "put"; `t` in years; `rate`, `div`, `vol` are annual decimals
with continuous compounding. Greeks are per unit of the input: vega per 1.00 of vol (divide by 100
for a vol point), rho per 1.00 of rate, theta per year of calendar time (dV/d(now) = -dV/dt).
Every function accepts numpy arrays (broadcast together) and returns a float for scalar inputs.
Bad inputs raise `ValueError` naming the argument.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike
from scipy import optimize, special

from rangebound.quant._core import (
    Array,
    FloatOrArray,
    Kind,
    Method,
    _black,
    _corr,
    _d1,
    _finite,
    _nonneg,
    _npdf,
    _out,
    _positive,
    _require,
    _sign,
    _time,
)
from rangebound.quant.range_models import (
    clamped_lognormal,
    clamped_t,
    truncated_lognormal,
    truncated_t,
)

__all__ = [
    "Kind",
    "Method",
    "black76",
    "black_scholes",
    "call_from_put",
    "clamped_lognormal",
    "clamped_t",
    "greeks",
    "implied_vol",
    "put_call_parity_gap",
    "put_from_call",
    "quanto",
    "quanto_forward",
    "quanto_greeks",
    "truncated_lognormal",
    "truncated_t",
]

_VOL_CAP = 100.0  # implied-vol search stops at 10,000 % a year


def _spot_inputs(
    spot: ArrayLike, strike: ArrayLike, t: ArrayLike, rate: ArrayLike, div: ArrayLike
) -> tuple[Array, Array, Array, Array, Array]:
    """Checked (spot, strike, t, rate, div) of the functions on spot, in that order."""
    s, k, tt = _positive("spot", spot), _positive("strike", strike), _time(t)
    return s, k, tt, _finite("rate", rate), _finite("div", div)


def black_scholes(
    kind: Kind,
    spot: ArrayLike,
    strike: ArrayLike,
    t: ArrayLike,
    rate: ArrayLike,
    vol: ArrayLike,
    div: ArrayLike = 0.0,
) -> FloatOrArray:
    """Black-Scholes(-Merton) price on spot: forward S*exp((rate-div)*t), discount exp(-rate*t).

    `div` is the continuous carry yield of the underlying (dividend, foreign rate, lending
    yield). t == 0 returns the intrinsic value; vol == 0 the discounted intrinsic of the forward.
    """
    w = _sign(kind)
    s, k, tt, r, q = _spot_inputs(spot, strike, t, rate, div)
    v = _nonneg("vol", vol)
    forward = s * np.exp((r - q) * tt)
    return _out(_black(w, forward, k, tt, v, np.exp(-r * tt)))


def black76(
    kind: Kind, forward: ArrayLike, strike: ArrayLike, t: ArrayLike, rate: ArrayLike, vol: ArrayLike
) -> FloatOrArray:
    """Black-76 price of an option on a futures/forward price, discounted at `rate`."""
    w = _sign(kind)
    f, k, tt = _positive("forward", forward), _positive("strike", strike), _time(t)
    r, v = _finite("rate", rate), _nonneg("vol", vol)
    return _out(_black(w, f, k, tt, v, np.exp(-r * tt)))


# --------------------------------------------------------------------------- quanto


def quanto_forward(
    spot: ArrayLike,
    t: ArrayLike,
    rate: ArrayLike,
    vol: ArrayLike,
    fx_vol: ArrayLike,
    corr: ArrayLike,
    div: ArrayLike = 0.0,
    *,
    usd_rate: ArrayLike | None = None,
) -> FloatOrArray:
    """Forward of the USD-quoted underlying under the USD1 (payment currency) measure.

    F_q = S * exp((usd_rate - div + corr * vol * fx_vol) * t), where `corr` is the correlation of
    the underlying/USD and USD1/USD log returns and `fx_vol` the vol of USD1/USD. `usd_rate`
    (the rate of the quote currency, USD) defaults to `rate` (the USD1 rate): a pegged coin.
    """
    s, tt = _positive("spot", spot), _time(t)
    r, q = _finite("rate", rate), _finite("div", div)
    ru = r if usd_rate is None else _finite("usd_rate", usd_rate)
    v, fxv, rho = _nonneg("vol", vol), _nonneg("fx_vol", fx_vol), _corr(corr)
    return _out(s * np.exp((ru - q + rho * v * fxv) * tt))


def quanto(
    kind: Kind,
    spot: ArrayLike,
    strike: ArrayLike,
    t: ArrayLike,
    rate: ArrayLike,
    vol: ArrayLike,
    fx_vol: ArrayLike,
    corr: ArrayLike,
    div: ArrayLike = 0.0,
    *,
    usd_rate: ArrayLike | None = None,
) -> FloatOrArray:
    """Price in USD1 of an option on a USD price (e.g. BTC/USD) whose payoff is paid in USD1.

    Black-76 on `quanto_forward(...)`, discounted at the USD1 `rate`. Positive `corr` (underlying
    and stablecoin moving up together against USD) raises the forward, so it raises calls and
    lowers puts; corr == 0 or fx_vol == 0 gives `black_scholes`.
    """
    w = _sign(kind)
    k = _positive("strike", strike)
    fwd = np.asarray(quanto_forward(spot, t, rate, vol, fx_vol, corr, div, usd_rate=usd_rate))
    tt, r, v = _time(t), _finite("rate", rate), _nonneg("vol", vol)
    return _out(_black(w, fwd, k, tt, v, np.exp(-r * tt)))


# --------------------------------------------------------------------------- Greeks


def greeks(
    kind: Kind,
    spot: ArrayLike,
    strike: ArrayLike,
    t: ArrayLike,
    rate: ArrayLike,
    vol: ArrayLike,
    div: ArrayLike = 0.0,
) -> dict[str, FloatOrArray]:
    """Analytic Black-Scholes Greeks: delta, gamma, vega, theta, rho (and `price`).

    Units: per 1.00 of spot, vol and rate; theta per year of calendar time. When vol*sqrt(t) == 0
    the limits are returned: delta is a step (half a step exactly at the forward), gamma is 0
    (+inf exactly at the forward), vega -> S*e^(-qt)*sqrt(t)*n(d1).
    """
    w = _sign(kind)
    s, k, tt, r, q = _spot_inputs(spot, strike, t, rate, div)
    v = _nonneg("vol", vol)
    dq, dr = np.exp(-q * tt), np.exp(-r * tt)
    forward = s * np.exp((r - q) * tt)
    sd = v * np.sqrt(tt)
    d1 = _d1(forward, k, sd)
    d2 = d1 - sd
    n1, cdf1, cdf2 = _npdf(d1), special.ndtr(w * d1), special.ndtr(w * d2)
    at_fwd = (sd == 0) & (forward == k)
    with np.errstate(divide="ignore", invalid="ignore"):
        gamma = np.where(sd > 0, dq * n1 / (s * sd), np.where(at_fwd, np.inf, 0.0))
        decay = np.where(sd > 0, -s * dq * n1 * v / (2 * np.sqrt(tt)), 0.0)
    decay = np.where(at_fwd & (v > 0), -np.inf, decay)
    out = {
        "price": _black(w, forward, k, tt, v, dr),
        "delta": w * dq * cdf1,
        "gamma": gamma,
        "vega": s * dq * n1 * np.sqrt(tt),
        "theta": decay - w * r * k * dr * cdf2 + w * q * s * dq * cdf1,
        "rho": w * k * tt * dr * cdf2,
    }
    return {key: _out(val) for key, val in out.items()}


def quanto_greeks(
    kind: Kind,
    spot: ArrayLike,
    strike: ArrayLike,
    t: ArrayLike,
    rate: ArrayLike,
    vol: ArrayLike,
    fx_vol: ArrayLike,
    corr: ArrayLike,
    div: ArrayLike = 0.0,
    *,
    usd_rate: ArrayLike | None = None,
) -> dict[str, FloatOrArray]:
    """Greeks of `quanto(...)`: the keys of `greeks` plus `dcorr` and `dfx_vol`.

    The quanto is Black-Scholes with carry q' = div - corr*vol*fx_vol (- usd_rate + rate), so
    delta, gamma and theta are those of `greeks` at q'; vega adds the drift term
    corr*fx_vol*t*S*delta, rho is -t*price when `usd_rate` is given (the forward no longer
    depends on `rate`), dcorr = vol*fx_vol*t*S*delta and dfx_vol = corr*vol*t*S*delta.
    """
    _sign(kind)
    s, tt = _positive("spot", spot), _time(t)
    r, q = _finite("rate", rate), _finite("div", div)
    v, fxv, rho = _nonneg("vol", vol), _nonneg("fx_vol", fx_vol), _corr(corr)
    q_eff = q - rho * v * fxv
    if usd_rate is not None:
        q_eff = q_eff - (_finite("usd_rate", usd_rate) - r)
    g = {key: np.asarray(val) for key, val in greeks(kind, s, strike, tt, r, v, q_eff).items()}
    spot_delta = tt * s * g["delta"]
    g["vega"] = g["vega"] + rho * fxv * spot_delta
    if usd_rate is not None:
        g["rho"] = -tt * g["price"]
    g["dcorr"] = v * fxv * spot_delta
    g["dfx_vol"] = rho * v * spot_delta
    return {key: _out(val) for key, val in g.items()}


# --------------------------------------------------------------------------- parity


def _parity_forward(
    spot: ArrayLike, strike: ArrayLike, t: ArrayLike, rate: ArrayLike, div: ArrayLike
) -> Array:
    """S*e^(-div*t) - K*e^(-rate*t): what C - P must equal."""
    s, k, tt, r, q = _spot_inputs(spot, strike, t, rate, div)
    return s * np.exp(-q * tt) - k * np.exp(-r * tt)


def put_call_parity_gap(
    call: ArrayLike,
    put: ArrayLike,
    spot: ArrayLike,
    strike: ArrayLike,
    t: ArrayLike,
    rate: ArrayLike,
    div: ArrayLike = 0.0,
) -> FloatOrArray:
    """C - P - (S*e^(-div*t) - K*e^(-rate*t)): zero for arbitrage-free European prices."""
    c, p = _finite("call", call), _finite("put", put)
    return _out(c - p - _parity_forward(spot, strike, t, rate, div))


def put_from_call(
    call: ArrayLike,
    spot: ArrayLike,
    strike: ArrayLike,
    t: ArrayLike,
    rate: ArrayLike,
    div: ArrayLike = 0.0,
) -> FloatOrArray:
    """The put price implied by put-call parity: P = C - S*e^(-div*t) + K*e^(-rate*t)."""
    return _out(_finite("call", call) - _parity_forward(spot, strike, t, rate, div))


def call_from_put(
    put: ArrayLike,
    spot: ArrayLike,
    strike: ArrayLike,
    t: ArrayLike,
    rate: ArrayLike,
    div: ArrayLike = 0.0,
) -> FloatOrArray:
    """The call price implied by put-call parity: C = P + S*e^(-div*t) - K*e^(-rate*t)."""
    return _out(_finite("put", put) + _parity_forward(spot, strike, t, rate, div))


# --------------------------------------------------------------------------- implied vol


def _iv_bounds(w: int, forward: float, strike: float, df: float) -> tuple[float, float]:
    """No-arbitrage price bounds (vol -> 0 and vol -> inf) of a European option."""
    lower = df * max(w * (forward - strike), 0.0)
    upper = df * (forward if w == 1 else strike)
    return lower, upper


def _iv_scalar(w: int, price: float, forward: float, strike: float, t: float, df: float) -> float:
    lower, upper = _iv_bounds(w, forward, strike, df)
    tol = 1e-12 * df * max(forward, strike)
    if price < lower - tol:
        raise ValueError(
            f"no implied volatility: price {price!r} is below the no-arbitrage lower bound "
            f"(discounted intrinsic) {lower!r}"
        )
    if price >= upper - tol:
        raise ValueError(
            f"no implied volatility: price {price!r} is at or above the upper bound {upper!r} "
            "(the value at infinite volatility)"
        )
    # Solve on the out-of-the-money side (parity), where the price is all time value.
    otm = -w if w * (forward - strike) > 0 else w
    target = price - (w - otm) / 2 * df * (forward - strike)
    if target <= tol:
        return 0.0

    def gap(vol: float) -> float:
        one = np.asarray(vol)
        return (
            float(
                _black(
                    otm, np.asarray(forward), np.asarray(strike), np.asarray(t), one, np.asarray(df)
                )
            )
            - target
        )

    hi = 1.0
    while gap(hi) < 0:
        hi *= 2.0
        if hi > _VOL_CAP:
            raise ValueError(f"no implied volatility below {_VOL_CAP:g} for price {price!r}")
    return float(optimize.brentq(gap, 0.0, hi, xtol=1e-15, rtol=1e-15, maxiter=500))


def implied_vol(
    kind: Kind,
    price: ArrayLike,
    spot: ArrayLike,
    strike: ArrayLike,
    t: ArrayLike,
    rate: ArrayLike,
    div: ArrayLike = 0.0,
) -> FloatOrArray:
    """Black-Scholes implied volatility by bracketed root finding (Brent) on the OTM side.

    Returns 0.0 for a price at the lower bound (discounted intrinsic). Raises ValueError for
    t == 0, for a price below the lower bound or at/above the upper bound (S*e^(-qt) for a
    call, K*e^(-rt) for a put): there is no volatility that produces it.
    """
    w = _sign(kind)
    p = _nonneg("price", price)
    s, k, tt, r, q = _spot_inputs(spot, strike, t, rate, div)
    _require("t", tt, tt > 0, "> 0 for an implied volatility (at t == 0 the price is intrinsic)")
    p, s, k, tt, r, q = np.broadcast_arrays(p, s, k, tt, r, q)
    forward, df = s * np.exp((r - q) * tt), np.exp(-r * tt)
    out = np.empty(p.shape)
    for i in np.ndindex(p.shape):
        out[i] = _iv_scalar(
            w, float(p[i]), float(forward[i]), float(k[i]), float(tt[i]), float(df[i])
        )
    return _out(out)
