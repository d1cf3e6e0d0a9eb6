"""Range models: option prices when the contracts clamp the settlement price into [L, U].

* `truncated_t` / `truncated_lognormal`: expected payoff *given* settlement inside [lo, hi];
* `clamped_t` / `clamped_lognormal`: expected payoff of the clamped settlement
  `min(max(S, lo), hi)`, i.e. the mass outside the range sits on the bounds.

Conventions as `rangebound.quant.pricing` (which re-exports these four): see docs/pricing.md.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from itertools import pairwise
from typing import Protocol

import numpy as np
from numpy.typing import ArrayLike
from scipy import integrate, special

from rangebound.quant._core import (
    _SQRT_2PI,
    Array,
    FloatOrArray,
    Kind,
    Method,
    _bounds,
    _finite,
    _npdf,
    _out,
    _positive,
    _require,
    _sign,
    _time,
)

_QUAD_RTOL = 1e-11


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
