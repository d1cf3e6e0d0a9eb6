"""CollateralVault: tokens that return nothing or false, take fees, blocklist, pause or re-enter."""

from __future__ import annotations

import ape
from vault_helpers import (
    BLOCKLIST,
    FEE,
    PAUSABLE,
    REENTRANT,
    RETURNS_FALSE,
    calldata,
)

# ------------------------------------------------------------------ hostile tokens

def test_no_return_token__deposit_and_withdraw_work(project, deployer, guardian, maker, decimals):
    tok = project.MockNoReturnToken.deploy(decimals, sender=deployer)
    v = project.CollateralVault.deploy(tok, guardian, ape.utils.ZERO_ADDRESS, sender=deployer)
    tok.mint(maker, 10**decimals, sender=deployer)
    tok.approve(v, 10**decimals, sender=maker)
    v.deposit(10**decimals, sender=maker)
    assert v.balance_of(maker) == 10**decimals
    v.withdraw(10**decimals, sender=maker)
    assert tok.balanceOf(maker) == 10**decimals and v.balance_of(maker) == 0


def test_returns_false_token__deposit__reverts(hostile, deployer, maker, unit):
    tok, v = hostile(RETURNS_FALSE)
    tok.mint(maker, unit, sender=deployer)
    tok.approve(v, unit, sender=maker)
    with ape.reverts("vault: transfer failed"):
        v.deposit(unit, sender=maker)
    assert v.balance_of(maker) == 0


def test_returns_false_token__withdraw__reverts(hostile, deployer, maker, unit):
    tok, v = hostile(0)
    tok.mint(maker, unit, sender=deployer)
    tok.approve(v, unit, sender=maker)
    v.deposit(unit, sender=maker)
    tok.set_behaviour(RETURNS_FALSE, sender=deployer)
    with ape.reverts("vault: transfer failed"):
        v.withdraw(unit, sender=maker)
    assert v.balance_of(maker) == unit


def test_fee_on_transfer_token__deposit__reverts(hostile, deployer, maker, unit):
    tok, v = hostile(FEE)
    tok.mint(maker, unit, sender=deployer)
    tok.approve(v, unit, sender=maker)
    with ape.reverts("vault: fee-on-transfer token"):
        v.deposit(unit, sender=maker)
    assert v.balance_of(maker) == 0 and tok.balanceOf(v) == 0


def test_fee_on_transfer_token__withdraw__vault_parts_with_exact_amount(
    hostile, deployer, maker, unit
):
    tok, v = hostile(0)
    tok.mint(maker, unit, sender=deployer)
    tok.approve(v, unit, sender=maker)
    v.deposit(unit, sender=maker)
    tok.set_behaviour(FEE, sender=deployer)
    v.withdraw(unit, sender=maker)  # the fee is the receiver's cost; the vault stays exact
    assert v.balance_of(maker) == 0 and tok.balanceOf(v) == 0 == v.total_balances()
    assert tok.balanceOf(maker) == unit - unit // 100


def test_blocklist_token__withdraw_to_elsewhere(hostile, deployer, maker, treasury, unit):
    tok, v = hostile(BLOCKLIST)
    tok.mint(maker, unit, sender=deployer)
    tok.approve(v, unit, sender=maker)
    v.deposit(unit, sender=maker)
    tok.set_blocked(maker, True, sender=deployer)
    with ape.reverts("token: blocked"):
        v.withdraw(unit, sender=maker)
    v.withdraw_to(treasury, unit, sender=maker)
    assert tok.balanceOf(treasury) == unit and v.balance_of(maker) == 0


def test_pausable_token__paused__reverts_then_recovers(hostile, deployer, maker, unit):
    tok, v = hostile(PAUSABLE)
    tok.mint(maker, 2 * unit, sender=deployer)
    tok.approve(v, 2 * unit, sender=maker)
    v.deposit(unit, sender=maker)
    tok.set_paused(True, sender=deployer)
    with ape.reverts("token: paused"):
        v.withdraw(unit, sender=maker)
    with ape.reverts("token: paused"):
        v.deposit(unit, sender=maker)
    assert v.balance_of(maker) == unit
    tok.set_paused(False, sender=deployer)
    v.withdraw(unit, sender=maker)
    assert v.balance_of(maker) == 0


def test_reentrant_token__reenter_withdraw__cannot_double_spend(hostile, deployer, maker, unit):
    tok, v = hostile(0)
    tok.mint(maker, 2 * unit, sender=deployer)
    tok.approve(v, 2 * unit, sender=maker)
    v.deposit(2 * unit, sender=maker)
    # on every transfer the token calls back into vault.withdraw(unit) as the token itself
    tok.set_reentry(v, calldata("withdraw(uint256)", ["uint256"], [unit]), sender=deployer)
    tok.set_behaviour(REENTRANT, sender=deployer)
    v.withdraw(unit, sender=maker)
    assert not tok.reentry_ok()            # the re-entry was refused by the lock
    assert v.balance_of(maker) == unit
    assert tok.balanceOf(v) == unit == v.total_balances()


def test_reentrant_token__reenter_deposit__refused(hostile, deployer, maker, unit):
    tok, v = hostile(0)
    tok.mint(maker, 2 * unit, sender=deployer)
    tok.approve(v, 2 * unit, sender=maker)
    tok.set_reentry(v, calldata("deposit(uint256)", ["uint256"], [unit]), sender=deployer)
    tok.set_behaviour(REENTRANT, sender=deployer)
    v.deposit(unit, sender=maker)
    assert not tok.reentry_ok()
    assert v.balance_of(maker) == unit == tok.balanceOf(v) == v.total_balances()
