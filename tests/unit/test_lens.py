"""The Lens (contracts/Lens.vy): the read-only views that left the Clearinghouse and the OrderBook
for room (docs/decisions.md, round 15), on the system as `deploy_system` deploys it.

`queue(book, ...)`: a level's order ids, oldest first, at most min(max_orders, MAX_QUEUE); empty
off the tick grid, below a futures book's base, at or past MAX_PRICE_INDEX. Its answers inside
the grid are checked against the books' price-time model in tests/unit/order_book/.
`unclaimed_pnl`: 0 for an unknown market and before settlement, then what the claim pays
(each kind of position: tests/unit/clearinghouse/test_ch_claim.py).
"""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from helpers import deploy_reverts, fund, settle_series

from rangebound.constants import CALL, FUTURE, IOC, MAX_PRICE_INDEX, MAX_QUEUE, MAX_QUOTES


@pytest.fixture(scope="module")
def mkt(system, maker, maker2, taker):
    """The BTC market's farthest live series (no order yet) and its mid price; makers and the
    taker funded."""
    for who in (maker, maker2, taker):
        fund(system, who, 100_000)
    m = system.markets["BTC"]
    e = m.registry.live_expiries()[-1]
    lo, hi = m.registry.bounds(e)
    tick = m.registry.tick()
    return SimpleNamespace(lens=system.lens, book=m.book, registry=m.registry, e=e, lo=lo,
                           hi=hi, tick=tick, mid=(lo + hi) // 2 // tick * tick)


def _asks(mkt, price, n=MAX_QUEUE):
    return list(mkt.lens.queue(mkt.book, mkt.e, FUTURE, 0, False, price, n))


def test_constructor__wired_by_deploy_system__refuses_a_non_contract(system, project, deployer,
                                                                    stranger):
    assert system.lens.CLEARINGHOUSE() == system.clearinghouse.address
    assert system.lens.MAX_QUEUE() == MAX_QUEUE
    with deploy_reverts("lens: not a contract", deployer):
        project.Lens.deploy(stranger, sender=deployer)


def test_queue__off_grid_below_base_or_index_too_large__empty(mkt, maker):
    assert _asks(mkt, mkt.mid) == []                     # no futures order yet: base unset
    oid = mkt.book.place_order(mkt.e, FUTURE, 0, False, mkt.mid, 1, 0, 8, sender=maker).return_value
    base = mkt.book.future_base(mkt.e) - 1               # stored + 1: the first order's lower bound
    assert base == mkt.lo // mkt.tick
    assert _asks(mkt, mkt.mid) == [oid]
    assert _asks(mkt, mkt.mid + 1) == []                 # off tick
    assert _asks(mkt, (base - 1) * mkt.tick) == []       # below the base
    assert _asks(mkt, (base + MAX_PRICE_INDEX - 1) * mkt.tick) == []   # last index: empty level
    assert _asks(mkt, (base + MAX_PRICE_INDEX) * mkt.tick) == []       # index too large
    strike = mkt.registry.strikes(mkt.e)[0]
    for premium in (0, (1 + MAX_PRICE_INDEX) * mkt.tick):              # premiums: base 1
        assert mkt.lens.queue(mkt.book, mkt.e, CALL, strike, False, premium, MAX_QUEUE) == []


def test_queue__one_level__pages_at_max_orders_and_at_max_queue(mkt, maker, maker2):
    ask = (mkt.e, FUTURE, 0, False, mkt.mid, 1)
    ids = []
    for who in (maker, maker2, maker):                   # 3 × 16 post-only asks at one price
        ids += mkt.book.place_quotes([ask] * MAX_QUOTES, sender=who).return_value
    assert len(ids) == 3 * MAX_QUOTES > MAX_QUEUE
    assert _asks(mkt, mkt.mid, 0) == []
    assert _asks(mkt, mkt.mid, 5) == ids[:5]
    assert _asks(mkt, mkt.mid, MAX_QUEUE) == _asks(mkt, mkt.mid, 10**6) == ids[:MAX_QUEUE]
    assert _asks(mkt, mkt.mid + mkt.tick, 10**6) == []  # the next level holds nothing


def test_unclaimed_pnl__unknown_market_then_unsettled_then_the_claim(system, mkt, maker, taker,
                                                                     keeper, stranger, chain):
    lens, book, reg, ch = system.lens, mkt.book, mkt.registry, system.clearinghouse
    e = reg.live_expiries()[0]
    lo, hi = reg.bounds(e)
    price = (lo + hi) // 2 // mkt.tick * mkt.tick
    book.place_order(e, FUTURE, 0, False, price, 2, 0, 8, sender=maker)
    book.place_order(e, FUTURE, 0, True, price, 2, IOC, 8, sender=taker)   # maker: a fill record
    for market in (stranger, system.vault):              # not a registered market
        assert lens.unclaimed_pnl(taker, market, e) == 0
    assert lens.unclaimed_pnl(taker, reg, e) == lens.unclaimed_pnl(maker, reg, e) == 0
    s = settle_series(SimpleNamespace(system=system, registry=reg), chain, keeper, e, 103_000)
    want = {taker: 2 * (s - price), maker: 2 * (price - s)}
    assert want[taker] != 0
    for who, pnl in want.items():
        assert lens.unclaimed_pnl(who, reg, e) == pnl
        assert ch.claim(who, reg, e, sender=keeper).events.filter(ch.Claimed)[0].pnl == pnl
        assert lens.unclaimed_pnl(who, reg, e) == 0
