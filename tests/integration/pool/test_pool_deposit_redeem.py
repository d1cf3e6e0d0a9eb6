"""OptionsPool `deposit` / `redeem`: shares with the virtual offset and the entry fee, exact
previews, the exit fee."""

from __future__ import annotations

from helpers import fund


def test_deposit__first_lp__shares_with_offset_and_fee(world, lp):
    pool = world.markets["BTC"].pool
    amount = world.usd(100_000)
    fee = -(-amount * pool.lp_fee_bps() // 10_000)
    assert pool.balanceOf(lp) == pool.totalSupply() == (amount - fee) * 10**3  # 10**3 per unit
    assert world.vault.balance_of(pool) == amount == pool.totalAssets()


def test_deposit__second_lp__preview_exact_and_price_unchanged(world, stranger):
    pool = world.markets["BTC"].pool
    amount = fund(world, stranger, 1_000, deposit=False)
    world.token.approve(pool, amount, sender=stranger)
    assets_before, supply_before = pool.totalAssets(), pool.totalSupply()
    preview = pool.previewDeposit(amount)
    tx = pool.deposit(amount, stranger, sender=stranger)
    assert pool.balanceOf(stranger) == preview > 0
    # share price (assets per share) never falls for existing holders
    assert pool.totalAssets() * supply_before >= assets_before * pool.totalSupply()
    assert tx.gas_used < 400_000


def test_redeem__lp_all_shares__gets_value_less_exit_fee(world, lp):
    pool = world.markets["BTC"].pool
    shares = pool.balanceOf(lp)
    assert pool.maxRedeem(lp) == shares
    preview = pool.previewRedeem(shares)
    before = world.token.balanceOf(lp)
    pool.redeem(shares, lp, lp, sender=lp)
    assert world.token.balanceOf(lp) - before == preview
    assert preview < world.usd(100_000)
    assert pool.totalSupply() == 0 and world.vault.balance_of(pool) > 0  # fees stay
