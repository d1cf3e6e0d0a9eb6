# pragma version ~=0.4.3
"""
@title Dead orders
@notice When a resting order can never fill again (so that anyone may sweep it): its series
        expired or settled, or its option strike inactive (ranges only shrink, so an inactive
        strike never comes back). The one rule of the book's `sweep_dead_orders` and the
        Lens's `is_dead`.
@custom:security No state; two views of the market's registry at most.
"""

from interfaces import ISeriesRegistry
from contracts.modules import constants as c


@view
@internal
def _is_dead(registry: ISeriesRegistry, expiry: uint256, kind: uint8, strike: uint256) -> bool:
    """
    @dev Whether an order of (expiry, kind, strike: raw units) in `registry`'s market can
         never fill again.
    """
    if block.timestamp >= expiry:
        return True
    if staticcall registry.settlement_price(expiry) != 0:
        return True
    if kind != c.FUTURE:
        return not staticcall registry.strike_active(expiry, strike)
    return False
