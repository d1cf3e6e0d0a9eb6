"""CollateralVault: the risk-engine hook (fixed at deployment; requirement, transfer_internal, apply_pnl)."""

from __future__ import annotations

import ape
from vault_helpers import (
    fund_vault,
    vault_state,
)

# ------------------------------------------------------------------ risk engine hook

def test_constructor__risk_engine__fixed_and_logged(project, chain, deployer, guardian, token, engine):
    """The risk engine is an immutable constructor argument, logged once; the vault has no
    setter, so no key can ever change who moves balances."""
    v = project.CollateralVault.deploy(token, guardian, engine, sender=deployer)
    assert v.risk_engine() == engine.address
    logs = [e for e in chain.get_receipt(v.txn_hash).events if e.event_name == "RiskEngineSet"]
    assert [e.risk_engine for e in logs] == [engine.address]
    assert "set_risk_engine" not in [a.name for a in v.contract_type.abi if a.type == "function"]


def test_withdraw__locked_collateral__reverts(wired_vault, engine, token, deployer, maker, unit):
    vault = wired_vault
    fund_vault(token, vault, deployer, maker, 10 * unit)
    vault.deposit(10 * unit, sender=maker)
    engine.set_requirement(maker, 4 * unit, sender=deployer)
    assert vault.free_collateral(maker) == 6 * unit
    before = vault_state(token, vault, maker)
    with ape.reverts("vault: insufficient collateral"):
        vault.withdraw(6 * unit + 1, sender=maker)
    assert vault_state(token, vault, maker) == before
    calls = engine.recalculations()
    vault.withdraw(6 * unit, sender=maker)
    assert engine.recalculations() == calls + 1
    assert vault.balance_of(maker) == 4 * unit
    assert vault.free_collateral(maker) == 0


def test_free_collateral__requirement_above_balance__zero(wired_vault, engine, deployer, stranger):
    engine.set_requirement(stranger, 5, sender=deployer)
    assert wired_vault.free_collateral(stranger) == 0


def test_transfer_internal__moves_balance(wired_vault, engine, token, deployer, maker, taker, unit):
    vault = wired_vault
    fund_vault(token, vault, deployer, maker, 3 * unit)
    vault.deposit(3 * unit, sender=maker)
    total = vault.total_balances()
    tx = engine.move(vault, maker, taker, unit, sender=deployer)
    assert vault.balance_of(maker) == 2 * unit and vault.balance_of(taker) == unit
    assert vault.total_balances() == total
    assert len(tx.events.filter(vault.InternalTransfer)) == 1
    with ape.reverts("vault: insufficient balance"):
        engine.move(vault, maker, taker, 2 * unit + 1, sender=deployer)


def test_apply_pnl__zero_sum_restores_equality(wired_vault, engine, token, deployer, maker, taker, unit):
    vault = wired_vault
    for a in (maker, taker):
        fund_vault(token, vault, deployer, a, 10 * unit)
        vault.deposit(10 * unit, sender=a)
    engine.pnl(vault, maker, 3 * unit, sender=deployer)          # winner claims first
    assert vault.total_balances() == 23 * unit
    assert vault.pnl_applied() == 3 * unit
    assert token.balanceOf(vault) == vault.total_balances() - vault.pnl_applied()
    assert vault.excess() == 0
    engine.pnl(vault, taker, -3 * unit, sender=deployer)         # then the loser
    assert vault.total_balances() == 20 * unit == token.balanceOf(vault)
    assert vault.pnl_applied() == 0
    with ape.reverts("vault: insufficient balance"):
        engine.pnl(vault, taker, -8 * unit, sender=deployer)
