"""OptionsPool gas (receipts) of buy, sell, deposit and redeem."""

from __future__ import annotations

from helpers import fund

from rangebound.constants import CALL, PUT

from .pool_helpers import series


def test_gas__buy_sell_deposit_redeem__receipts(world, taker, lp, stranger):
    pool = world.markets["BTC"].pool
    expiry, strike = series(world)
    strikes = list(world.markets["BTC"].registry.strikes(expiry))
    gas = {}
    gas["buy_first"] = pool.buy(expiry, CALL, strike, 2, 10**30, sender=taker).gas_used
    gas["buy_again"] = pool.buy(expiry, CALL, strike, 2, 10**30, sender=taker).gas_used
    gas["sell"] = pool.sell(expiry, CALL, strike, 1, 0, sender=taker).gas_used
    for k in strikes[:11]:  # 12 open legs in the series
        pool.buy(expiry, PUT, k, 1, 10**30, sender=taker)
    gas["buy_12_legs"] = pool.buy(expiry, PUT, strikes[0], 1, 10**30, sender=taker).gas_used
    amount = fund(world, stranger, 1_000, deposit=False)
    world.token.approve(pool, amount, sender=stranger)
    gas["deposit_12_legs"] = pool.deposit(amount, stranger, sender=stranger).gas_used
    gas["redeem_12_legs"] = pool.redeem(
        pool.balanceOf(stranger), stranger, stranger, sender=stranger
    ).gas_used
    print("GAS", gas)
    assert gas["buy_again"] < 400_000 and gas["sell"] < 400_000
    assert gas["deposit_12_legs"] < 650_000 and gas["redeem_12_legs"] < 650_000
