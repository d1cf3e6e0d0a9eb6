# pragma version ~=0.4.3
"""
@title StudentTHarness
@notice Test harness: exposes the pure `student_t` module (DESIGN section 15) as external pure
        functions, so `rangebound/pool.py` can be checked bit for bit against the compiled code.
        Holds no state and no funds; not part of the system.
"""

from contracts.modules import student_t


@external
@pure
def z(x: uint256, f: uint256, s: uint256) -> int256:
    return student_t._z(x, f, s)


@external
@pure
def phi_g(z: int256) -> (uint256, uint256):
    p: student_t.Point = student_t._point(z)
    return p.phi, p.g


@external
@pure
def scale(forward: uint256, w: uint256, v: uint256, tau: uint256) -> uint256:
    return student_t._scale(forward, w, v, tau)


@external
@pure
def price(kind: uint8, strike: uint256, forward: uint256, s: uint256, lo: uint256, hi: uint256) -> uint256:
    return student_t._price(kind, strike, forward, s, lo, hi)


@external
@pure
def delta(kind: uint8, strike: uint256, forward: uint256, s: uint256, lo: uint256, hi: uint256) -> int256:
    return student_t._delta(kind, strike, forward, s, lo, hi)
