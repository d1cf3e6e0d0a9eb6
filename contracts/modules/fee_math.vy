# pragma version ~=0.4.3
"""
@title Rangebound fee maths
@notice The one fee formula: a fee is `notional · bps / BPS` rounded UP (against the
        user). The Clearinghouse charges it on every fill; the order book sums it again for
        the fill records it folds (docs/architecture.md §16), which must equal the maker fee
        each record's `Fill` event stated.
@custom:security Pure, no state. Checked arithmetic: a notional below 2**176 (a price below
        2**112 times a quantity below 2**64) times a rate of at most 50 bps cannot overflow.
"""

from contracts.modules import constants as c


@pure
@internal
def _fee(notional: uint256, bps: uint256) -> uint256:
    """
    @dev notional·bps / BPS rounded UP (against the user).
    """
    return (notional * bps + c.BPS - 1) // c.BPS
