"""What the OptionsPool tests share (tests/integration/pool/; fixtures in its conftest.py): the
series they trade, the collateral check, the state a refused trade must leave unchanged."""

from __future__ import annotations

from rangebound.constants import CALL


def covered(system, account) -> bool:
    return system.vault.balance_of(account) >= system.clearinghouse.requirement(account)


def series(system):
    """The second live expiry (a week or more away) and a middle active strike."""
    reg = system.markets["BTC"].registry
    expiry = reg.live_expiries()[1]
    strikes = list(reg.strikes(expiry))
    return expiry, strikes[len(strikes) // 2]


def snapshot(world, taker):
    m = world.markets["BTC"]
    pool, ch = m.pool, world.clearinghouse
    expiry, strike = series(world)
    return (
        world.vault.balance_of(taker),
        world.vault.balance_of(pool),
        pool.totalSupply(),
        ch.option_position(taker, m.registry, expiry, CALL, strike),
        ch.option_position(pool, m.registry, expiry, CALL, strike),
        ch.requirement(pool),
    )
