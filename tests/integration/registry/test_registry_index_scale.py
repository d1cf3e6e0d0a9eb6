"""SeriesRegistry.index_price through the packed `index_word`: feed answer x lot_size x
10**token_decimals / (10**feed decimals x WAD), rounded down to the tick, for lot sizes whose
reduced numerator fits the word and for one that does not (`index_num` is read instead)."""

from __future__ import annotations

import pytest
from ape import project

from rangebound.constants import WAD
from rangebound.ops.deploy import DEFAULTS, market_params


@pytest.mark.parametrize("lot_size, decimals", [
    (10**15, 6),            # the default market: reduced to 1 / 10**5
    (10**15, 18),           # reduced to 10**7 / 10**0
    (3 * 10**17 + 7, 18),   # no power of ten in the lot size: 64-bit numerator
    (2**64 + 1, 6),         # reduced numerator of 65 bits: index_num is read
])
def test_index_price__lot_size_and_decimals__answer_scaled_down_to_tick(sys_, deployer, lot_size, decimals):
    p = {**DEFAULTS, "lot_size": lot_size, "decimals": decimals}
    index_feed = sys_.feeds["BTC/USD"]
    params = market_params(p, index_feed, sys_.feeds["USD1/USD"])
    registry = project.SeriesRegistry.deploy(params, sender=deployer)
    answer = index_feed.latestRoundData()[1]
    raw = answer * lot_size * 10**decimals // (10 ** index_feed.decimals() * WAD)
    price, fresh = registry.index_price()
    assert fresh
    assert price == raw - raw % params["tick"] and price > 0
