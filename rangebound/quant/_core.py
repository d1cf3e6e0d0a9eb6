"""Shared internals of the quant library: argument checks and the Black core (no public API;
`rangebound.quant.pricing` and `rangebound.quant.range_models` build on it)."""

from __future__ import annotations

import math
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import special

Kind = Literal["call", "put"]
Array = NDArray[np.float64]
FloatOrArray = float | Array
Method = Literal["closed", "quad"]

_SQRT_2PI = math.sqrt(2.0 * math.pi)


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
