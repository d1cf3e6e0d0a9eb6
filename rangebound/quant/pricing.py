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

import dataclasses
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from itertools import pairwise
from typing import Literal, Protocol

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import integrate, optimize, special

__all__ = [
    "Kind",
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

Kind = Literal["call", "put"]
Array = NDArray[np.float64]
FloatOrArray = float | Array
Method = Literal["closed", "quad"]

_SQRT_2PI = math.sqrt(2.0 * math.pi)
_VOL_CAP = 100.0  # implied-vol search stops at 10,000 % a year
_QUAD_RTOL = 1e-11


# --------------------------------------------------------------------------- input checks


def _sign(kind: str) -> int:
    """+1 for a call, -1 for a put."""
    if kind == "call":
        return 1
    if kind == "put":
        return -1
    raise ValueError(f"kind must be 'call' or 'put', got {kind!r}")


def _num(name: str, x: ArrayLike) -> Array:
    try:
        a = np.asarray(x, dtype=float)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be a number, got {x!r}") from exc
    if np.any(np.isnan(a)):
        raise ValueError(f"{name} must be a number, got NaN")
    return a


def _require(name: str, a: Array, ok: Array | np.bool_ | bool, rule: str) -> Array:
    bad = ~np.asarray(ok, dtype=bool)
    if np.any(bad):
        first = np.broadcast_to(a, bad.shape)[bad].flat[0] if bad.ndim else a
        raise ValueError(f"{name} must be {rule}, got {float(first)!r}")
    return a


def _finite(name: str, x: ArrayLike) -> Array:
    a = _num(name, x)
    return _require(name, a, np.isfinite(a), "finite")


def _positive(name: str, x: ArrayLike) -> Array:
    a = _num(name, x)
    return _require(name, a, (a > 0) & np.isfinite(a), "> 0 and finite")


def _nonneg(name: str, x: ArrayLike) -> Array:
    a = _num(name, x)
    return _require(name, a, (a >= 0) & np.isfinite(a), ">= 0 and finite")


def _time(t: ArrayLike) -> Array:
    a = _num("t", t)
    return _require("t", a, (a >= 0) & np.isfinite(a), ">= 0 (years to expiry) and finite")


def _corr(corr: ArrayLike) -> Array:
    a = _num("corr", corr)
    return _require("corr", a, (a >= -1) & (a <= 1), "in [-1, 1]")


def _bounds(lo: ArrayLike, hi: ArrayLike) -> tuple[Array, Array]:
    a, b = _num("lo", lo), _num("hi", hi)
    _require("lo", a, a < np.inf, "< +inf")
    _require("hi", b, b > -np.inf, "> -inf")
    bad = ~(a < b)
    if np.any(bad):
        aa, bb = np.broadcast_arrays(a, b)
        i = np.flatnonzero(bad)[0] if bad.ndim else 0
        raise ValueError(f"need lo < hi, got lo={float(aa.flat[i])!r}, hi={float(bb.flat[i])!r}")
    return a, b


def _out(x: ArrayLike) -> FloatOrArray:
    a = np.asarray(x, dtype=float)
    return float(a) if a.ndim == 0 else a


# --------------------------------------------------------------------------- Black core


def _npdf(x: Array) -> Array:
    return np.exp(-0.5 * np.square(x)) / _SQRT_2PI


def _d1(forward: Array, strike: Array, sd: Array) -> Array:
    """d1 = ln(F/K)/sd + sd/2, with the sd -> 0 limit (+inf, 0 or -inf)."""
    log_m = np.log(forward / strike)
    with np.errstate(divide="ignore", invalid="ignore"):
        live = log_m / np.where(sd > 0, sd, 1.0) + 0.5 * sd
    limit = np.where(log_m > 0, np.inf, np.where(log_m < 0, -np.inf, 0.0))
    return np.where(sd > 0, live, limit)


def _black(w: int, forward: Array, strike: Array, t: Array, vol: Array, df: Array) -> Array:
    """Discounted Black price; sd = 0 (t == 0 or vol == 0) gives df * intrinsic of the forward."""
    sd = vol * np.sqrt(t)
    d1 = _d1(forward, strike, sd)
    d2 = d1 - sd
    value = w * (forward * special.ndtr(w * d1) - strike * special.ndtr(w * d2))
    return df * np.maximum(value, 0.0)


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
    s, k, tt = _positive("spot", spot), _positive("strike", strike), _time(t)
    r, q, v = _finite("rate", rate), _finite("div", div), _nonneg("vol", vol)
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
    s, k, tt = _positive("spot", spot), _positive("strike", strike), _time(t)
    r, q, v = _finite("rate", rate), _finite("div", div), _nonneg("vol", vol)
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
    s, k, tt = _positive("spot", spot), _positive("strike", strike), _time(t)
    r, q = _finite("rate", rate), _finite("div", div)
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
    s, k, tt = _positive("spot", spot), _positive("strike", strike), _time(t)
    r, q = _finite("rate", rate), _finite("div", div)
    _require("t", tt, tt > 0, "> 0 for an implied volatility (at t == 0 the price is intrinsic)")
    p, s, k, tt, r, q = np.broadcast_arrays(p, s, k, tt, r, q)
    forward, df = s * np.exp((r - q) * tt), np.exp(-r * tt)
    out = np.empty(p.shape)
    for i in np.ndindex(p.shape):
        out[i] = _iv_scalar(
            w, float(p[i]), float(forward[i]), float(k[i]), float(tt[i]), float(df[i])
        )
    return _out(out)


# --------------------------------------------------------------------------- range models


class _Settlement(Protocol):
    """A settlement-price distribution written as x = x(z) of a standard variable z."""

    def z(self, x: Array) -> Array: ...

    def x(self, z: Array) -> Array: ...

    def pdf_z(self, z: Array) -> Array: ...

    def prob(self, a: Array, b: Array) -> Array: ...

    def layer(self, strike: Array, a: Array, b: Array) -> Array: ...

    def scalar(self) -> tuple[Callable[[float], float], Callable[[float], float]]: ...


def _interval(cdf: Callable[[Array], Array], za: Array, zb: Array) -> Array:
    """P(za < Z < zb) for a variable symmetric about 0, taking upper tails from the right."""
    return np.where(za >= 0, cdf(-za) - cdf(-zb), cdf(zb) - cdf(za))


def _expm1_over(e: Array, x: Array) -> Array:
    """expm1(e*x)/e, with its e -> 0 limit x."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(e == 0, x, np.expm1(e * x) / np.where(e == 0, 1.0, e))


def _t_density_at_zero(nu: Array) -> Array:
    """Gamma((nu+1)/2) / (Gamma(nu/2) sqrt(nu pi)), accurate for large nu too.

    For x = nu/2 >= 20 the log-gamma difference loses digits, so use the asymptotic series
    ln(Gamma(x+1/2) / (Gamma(x) sqrt(x))) = -1/(8x) + 1/(192x^3) - 1/(640x^5) + 17/(14336x^7).
    """
    x = np.maximum(nu / 2, 1e-300)
    series = -1 / (8 * x) + 1 / (192 * x**3) - 1 / (640 * x**5) + 17 / (14336 * x**7)
    direct = special.gammaln(x + 0.5) - special.gammaln(x) - 0.5 * np.log(x)
    return np.exp(np.where(x >= 20, series, direct)) / _SQRT_2PI


@dataclass(frozen=True)
class _StudentT:
    """x = center + scale * z, z ~ Student-t with `dof` degrees of freedom."""

    center: Array
    scale: Array
    dof: Array

    def z(self, x: Array) -> Array:
        return (x - self.center) / self.scale

    def x(self, z: Array) -> Array:
        return self.center + self.scale * z

    def pdf_z(self, z: Array) -> Array:
        nu = self.dof
        return _t_density_at_zero(nu) * np.exp(-(nu + 1) / 2 * np.log1p(np.square(z) / nu))

    def _cdf(self, z: Array) -> Array:
        return special.stdtr(self.dof, z)

    def scalar(self) -> tuple[Callable[[float], float], Callable[[float], float]]:
        """Float versions of x(z) and pdf(z) for quadrature."""
        mu, sc, nu = float(self.center), float(self.scale), float(self.dof)
        c, power = float(_t_density_at_zero(np.asarray(nu))), -(nu + 1) / 2
        return (lambda z: mu + sc * z), (lambda z: c * math.exp(power * math.log1p(z * z / nu)))

    def prob(self, a: Array, b: Array) -> Array:
        return _interval(self._cdf, self.z(a), self.z(b))

    def first_moment_z(self, za: Array, zb: Array) -> Array:
        """Integral of z f(z) over [za, zb].

        The antiderivative is nu c (1 + z^2/nu)^e / (2e) with e = (1 - nu)/2 and c = f(0); it is
        written with expm1 around the smaller end so that it stays exact near dof = 1 (where it
        tends to log(1 + z^2) / (2 pi)) and at an infinite end (dof > 1).
        """
        nu = self.dof
        e = (1 - nu) / 2
        la, lb = np.log1p(np.square(za) / nu), np.log1p(np.square(zb) / nu)
        with np.errstate(invalid="ignore"):
            span = np.where(la == lb, 0.0, np.abs(lb - la))
        sign = np.where(lb >= la, 1.0, -1.0)
        scale = nu * _t_density_at_zero(nu) * np.exp(e * np.minimum(la, lb)) / 2
        return sign * scale * _expm1_over(e, span)

    def layer(self, strike: Array, a: Array, b: Array) -> Array:
        """Integral of (x - strike) f(x) over [a, b]."""
        za, zb = self.z(a), self.z(b)
        mass = _interval(self._cdf, za, zb)
        return (self.center - strike) * mass + self.scale * self.first_moment_z(za, zb)


@dataclass(frozen=True)
class _LogNormal:
    """x = forward * exp(sd * z - sd^2 / 2), z standard normal (so E[x] = forward)."""

    forward: Array
    sd: Array

    def z(self, x: Array) -> Array:
        with np.errstate(divide="ignore"):
            return (np.log(np.maximum(x, 0.0) / self.forward) + self.sd**2 / 2) / self.sd

    def x(self, z: Array) -> Array:
        return self.forward * np.exp(self.sd * z - self.sd**2 / 2)

    def pdf_z(self, z: Array) -> Array:
        return _npdf(z)

    def scalar(self) -> tuple[Callable[[float], float], Callable[[float], float]]:
        """Float versions of x(z) and pdf(z) for quadrature (x capped below float overflow)."""
        f, sd = float(self.forward), float(self.sd)
        return (
            lambda z: f * math.exp(min(sd * z - sd * sd / 2, 700.0)),
            lambda z: math.exp(-0.5 * z * z) / _SQRT_2PI,
        )

    def prob(self, a: Array, b: Array) -> Array:
        return _interval(special.ndtr, self.z(a), self.z(b))

    def layer(self, strike: Array, a: Array, b: Array) -> Array:
        za, zb = self.z(a), self.z(b)
        first = self.forward * _interval(special.ndtr, za - self.sd, zb - self.sd)
        return first - strike * _interval(special.ndtr, za, zb)


def _payoff(w: int, strike: float) -> Callable[[float], float]:
    return lambda x: max(w * (x - strike), 0.0)


def _weighted(dist: _Settlement, g: Callable[[float], float]) -> Callable[[float], float]:
    """z -> g(x(z)) * pdf(z) in plain floats (quad calls it thousands of times)."""
    x_of, pdf = dist.scalar()

    def f(z: float) -> float:
        density = pdf(z)
        return g(x_of(z)) * density if density > 0 else 0.0

    return f


def _quad(f: Callable[[float], float], a: float, b: float, points: Iterable[float]) -> float:
    """Integral of f over [a, b] (ends may be infinite), split at the interior `points`."""
    inner = sorted({float(p) for p in points if a < p < b and math.isfinite(p)})
    total = 0.0
    for lo, hi in pairwise([a, *inner, b]):
        total += integrate.quad(f, lo, hi, epsabs=0.0, epsrel=_QUAD_RTOL, limit=200)[0]
    return total


def _zs(dist: _Settlement, *xs: float) -> list[float]:
    return [float(dist.z(np.asarray(x))) for x in xs]


def _quad_inside(dist: _Settlement, w: int, strike: float, lo: float, hi: float) -> float:
    """Integral of payoff(x) f(x) over [lo, hi], in z-space, only where the payoff is live."""
    za, zb, zk = _zs(dist, lo, hi, strike)
    a, b = (max(za, zk), zb) if w == 1 else (za, min(zb, zk))
    if not a < b:
        return 0.0
    return _quad(_weighted(dist, _payoff(w, strike)), a, b, (0.0,))


def _quad_mass(dist: _Settlement, lo: float, hi: float) -> float:
    za, zb = _zs(dist, lo, hi)
    return _quad(_weighted(dist, lambda x: 1.0), za, zb, (0.0,))


def _quad_clamped(dist: _Settlement, w: int, strike: float, lo: float, hi: float) -> float:
    """Integral of payoff(clamp(x, lo, hi)) f(x) over the whole support, split at the kinks."""
    pay = _payoff(w, strike)
    f = _weighted(dist, lambda x: pay(min(max(x, lo), hi)))
    return _quad(f, -math.inf, math.inf, [*_zs(dist, lo, hi, strike), 0.0])


def _closed_inside(dist: _Settlement, w: int, strike: Array, lo: Array, hi: Array) -> Array:
    """Integral of payoff(x) f(x) over [lo, hi] in closed form."""
    k = np.clip(strike, lo, hi)
    return dist.layer(strike, k, hi) if w == 1 else -dist.layer(strike, lo, k)


def _edge_value(w: int, strike: Array, edge: Array, weight: Array) -> Array:
    """payoff(edge) * weight, zero where the edge is infinite (its weight is zero)."""
    with np.errstate(invalid="ignore"):
        value = np.maximum(w * (edge - strike), 0.0) * weight
    return np.where(np.isfinite(edge), value, 0.0)


def _range_price(
    dist: _Settlement,
    kind: Kind,
    strike: Array,
    lo: Array,
    hi: Array,
    *,
    clamped: bool,
    method: str,
) -> FloatOrArray:
    w = _sign(kind)
    if method == "closed":
        inside = _closed_inside(dist, w, strike, lo, hi)
        if clamped:
            below, above = dist.prob(np.full_like(lo, -np.inf), lo), dist.prob(hi, np.inf)
            return _out(
                inside + _edge_value(w, strike, lo, below) + _edge_value(w, strike, hi, above)
            )
        return _out(inside / _mass(dist, lo, hi))
    if method != "quad":
        raise ValueError(f"method must be 'closed' or 'quad', got {method!r}")
    params = [getattr(dist, field.name) for field in dataclasses.fields(dist)]
    arrays = np.broadcast_arrays(strike, lo, hi, *params)
    out = np.empty(arrays[0].shape)
    for i in np.ndindex(out.shape):
        k, a, b, *values = (float(arr[i]) for arr in arrays)
        one = type(dist)(*(np.asarray(v) for v in values))
        if clamped:
            out[i] = _quad_clamped(one, w, k, a, b)
        else:
            out[i] = _quad_inside(one, w, k, a, b) / _checked_mass(_quad_mass(one, a, b), a, b)
    return _out(out)


def _checked_mass(mass: ArrayLike, lo: ArrayLike, hi: ArrayLike) -> Array:
    m, a, b = np.broadcast_arrays(np.asarray(mass, dtype=float), lo, hi)
    empty = np.flatnonzero(m <= 0)
    if empty.size:
        i = empty[0]
        raise ValueError(
            f"no probability mass in [lo, hi] = [{float(a.flat[i])!r}, {float(b.flat[i])!r}]: "
            "the conditional expectation is undefined (use the clamped view)"
        )
    return np.asarray(mass, dtype=float)


def _mass(dist: _Settlement, lo: Array, hi: Array) -> Array:
    return _checked_mass(dist.prob(lo, hi), lo, hi)


def _t_inputs(
    strike: ArrayLike,
    center: ArrayLike,
    scale: ArrayLike,
    dof: ArrayLike,
    lo: ArrayLike,
    hi: ArrayLike,
) -> tuple[_StudentT, Array, Array, Array]:
    k, mu, sc = _positive("strike", strike), _finite("center", center), _positive("scale", scale)
    nu = _positive("dof", dof)
    a, b = _bounds(lo, hi)
    heavy = (nu <= 1) & ~(np.isfinite(a) & np.isfinite(b))
    if np.any(heavy):
        raise ValueError("dof <= 1 has no mean: lo and hi must be finite")
    return _StudentT(mu, sc, nu), k, a, b


def _ln_inputs(
    strike: ArrayLike,
    forward: ArrayLike,
    vol: ArrayLike,
    t: ArrayLike,
    lo: ArrayLike,
    hi: ArrayLike,
) -> tuple[_LogNormal, Array, Array, Array]:
    k, f = _positive("strike", strike), _positive("forward", forward)
    v, tt = _positive("vol", vol), _time(t)
    _require("t", tt, tt > 0, "> 0 for a lognormal settlement distribution")
    a, b = _bounds(lo, hi)
    _require("lo", a, a >= 0, ">= 0 for a lognormal settlement distribution")
    return _LogNormal(f, v * np.sqrt(tt)), k, a, b


def truncated_t(
    kind: Kind,
    strike: ArrayLike,
    center: ArrayLike,
    scale: ArrayLike,
    dof: ArrayLike,
    lo: ArrayLike,
    hi: ArrayLike,
    *,
    method: Method = "closed",
) -> FloatOrArray:
    """E[payoff(S) | lo <= S <= hi] for S = center + scale * T_dof (undiscounted).

    `scale` is the t scale parameter D (the AMM's "variance parameter"; the standard deviation
    is D*sqrt(dof/(dof-2)) for dof > 2). method="closed" (default) or "quad" (numerical check).
    """
    dist, k, a, b = _t_inputs(strike, center, scale, dof, lo, hi)
    return _range_price(dist, kind, k, a, b, clamped=False, method=method)


def clamped_t(
    kind: Kind,
    strike: ArrayLike,
    center: ArrayLike,
    scale: ArrayLike,
    dof: ArrayLike,
    lo: ArrayLike,
    hi: ArrayLike,
    *,
    method: Method = "closed",
) -> FloatOrArray:
    """E[payoff(min(max(S, lo), hi))] for S = center + scale * T_dof: how the contracts settle."""
    dist, k, a, b = _t_inputs(strike, center, scale, dof, lo, hi)
    return _range_price(dist, kind, k, a, b, clamped=True, method=method)


def truncated_lognormal(
    kind: Kind,
    strike: ArrayLike,
    forward: ArrayLike,
    vol: ArrayLike,
    t: ArrayLike,
    lo: ArrayLike,
    hi: ArrayLike,
    *,
    method: Method = "closed",
) -> FloatOrArray:
    """E[payoff(S) | lo <= S <= hi] for lognormal S with mean `forward`, log-sd vol*sqrt(t).

    Undiscounted; lo = 0, hi = inf gives the Black-76 value divided by the discount factor.
    """
    dist, k, a, b = _ln_inputs(strike, forward, vol, t, lo, hi)
    return _range_price(dist, kind, k, a, b, clamped=False, method=method)


def clamped_lognormal(
    kind: Kind,
    strike: ArrayLike,
    forward: ArrayLike,
    vol: ArrayLike,
    t: ArrayLike,
    lo: ArrayLike,
    hi: ArrayLike,
    *,
    method: Method = "closed",
) -> FloatOrArray:
    """E[payoff(min(max(S, lo), hi))] for lognormal S with mean `forward` (undiscounted)."""
    dist, k, a, b = _ln_inputs(strike, forward, vol, t, lo, hi)
    return _range_price(dist, kind, k, a, b, clamped=True, method=method)
