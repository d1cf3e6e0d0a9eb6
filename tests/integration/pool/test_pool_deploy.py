"""OptionsPool deployment: one pool per market, a registered venue and the market's fee account;
runtime sizes under EIP-170; the keeper finds a market's pool."""

from __future__ import annotations

import ape
from helpers import EIP170


def test_deploy__pool_per_market__venue_and_fee_account(world):
    m = world.markets["BTC"]
    assert m.registry.pool() == m.pool.address and m.registry.is_venue(m.pool)
    assert (
        m.pool.registry() == m.registry.address
        and m.pool.clearinghouse() == world.clearinghouse.address
    )
    assert world.clearinghouse.fee_account_of(m.registry) == m.pool.address
    assert m.pool.asset() == world.token.address
    assert m.pool.decimals() == world.decimals + 3


def test_bytecode__pool_and_pricer__under_eip_170(world, project):
    pool = world.markets["BTC"].pool
    for address in (pool.address, pool.pricer()):
        size = len(ape.chain.provider.get_code(address))
        assert 0 < size <= EIP170


def test_keeper_attach_pools__market_without_pool__finds_registry_pool(world):
    from rangebound.ops.deploy import Market
    from rangebound.ops.records import attach_pools

    m = world.markets["BTC"]
    markets = {"BTC": Market(name="BTC", registry=m.registry, book=m.book)}
    attach_pools(markets)
    assert markets["BTC"].pool.address == m.pool.address
