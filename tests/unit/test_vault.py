"""CollateralVault: custody, internal accounting, requirement hook, pause, hostile tokens."""

from __future__ import annotations

import ape
import pytest
from eth_abi import encode
from eth_utils import function_signature_to_4byte_selector as selector
from helpers import fund_account
from hypothesis import given, settings
from hypothesis import strategies as st

RETURNS_FALSE, FEE, BLOCKLIST, PAUSABLE, REENTRANT = 1, 2, 4, 8, 16


@pytest.fixture(scope="module", params=[6, 18], ids=["dec6", "dec18"])
def decimals(request):
    return request.param


@pytest.fixture(scope="module")
def unit(decimals):
    return 10**decimals


@pytest.fixture(scope="module")
def token(project, deployer, decimals):
    return project.ReferenceUSD1.deploy(decimals, sender=deployer)


@pytest.fixture(scope="module")
def vault(project, deployer, guardian, token):
    return project.CollateralVault.deploy(token, guardian, sender=deployer)


@pytest.fixture(scope="module")
def engine(project, deployer):
    return project.MockRiskEngine.deploy(sender=deployer)


@pytest.fixture(scope="module")
def wired_vault(project, deployer, guardian, token, engine):
    v = project.CollateralVault.deploy(token, guardian, sender=deployer)
    v.set_risk_engine(engine, sender=deployer)
    return v


def _fund(token, vault, deployer, account, amount):
    fund_account(token, vault, deployer, account, amount, deposit=False)


def _state(token, vault, *accounts):
    return (
        token.balanceOf(vault),
        vault.total_balances(),
        tuple(vault.balance_of(a) for a in accounts),
        tuple(token.balanceOf(a) for a in accounts),
    )


# ------------------------------------------------------------------ basics

def test_token__public_face(vault, token):
    assert vault.token() == token.address


def test_deposit__credits_and_emits(vault, token, deployer, maker, unit):
    _fund(token, vault, deployer, maker, 100 * unit)
    tx = vault.deposit(100 * unit, sender=maker)
    assert vault.balance_of(maker) == 100 * unit
    assert vault.total_balances() == 100 * unit
    assert token.balanceOf(vault) == 100 * unit
    assert vault.free_collateral(maker) == 100 * unit
    ev = tx.events.filter(vault.Deposit)[0]
    assert ev.account == maker and ev.amount == 100 * unit


def test_withdraw__round_trip_never_gains(vault, token, deployer, maker, unit):
    _fund(token, vault, deployer, maker, 7 * unit + 3)
    vault.deposit(7 * unit + 3, sender=maker)
    tx = vault.withdraw(7 * unit + 3, sender=maker)
    assert vault.balance_of(maker) == 0
    assert token.balanceOf(maker) == 7 * unit + 3
    assert token.balanceOf(vault) == 0
    ev = tx.events.filter(vault.Withdraw)[0]
    assert ev.receiver == maker and ev.amount == 7 * unit + 3


@settings(max_examples=15)
@given(amounts=st.lists(st.integers(min_value=1, max_value=10**30), min_size=1, max_size=4))
def test_deposit_withdraw__random_round_trips__never_gain(vault, token, deployer, taker, amounts):
    start = token.balanceOf(taker) + vault.balance_of(taker)
    for a in amounts:
        _fund(token, vault, deployer, taker, a)
        vault.deposit(a, sender=taker)
    start += sum(amounts)
    vault.withdraw(vault.balance_of(taker), sender=taker)
    assert token.balanceOf(taker) + vault.balance_of(taker) == start
    assert token.balanceOf(vault) == vault.total_balances()


def test_withdraw_to__other_receiver(vault, token, deployer, maker, treasury, unit):
    _fund(token, vault, deployer, maker, 5 * unit)
    vault.deposit(5 * unit, sender=maker)
    before = token.balanceOf(treasury)
    vault.withdraw_to(treasury, 2 * unit, sender=maker)
    assert token.balanceOf(treasury) == before + 2 * unit
    assert vault.balance_of(maker) == 3 * unit


def test_direct_transfer__not_credited_and_sweepable(vault, token, deployer, maker, treasury, unit):
    _fund(token, vault, deployer, maker, 10 * unit)
    vault.deposit(4 * unit, sender=maker)
    token.transfer(vault, 6 * unit, sender=maker)
    assert vault.balance_of(maker) == 4 * unit
    assert vault.total_balances() == 4 * unit
    assert vault.excess() == 6 * unit
    before = token.balanceOf(treasury)
    tx = vault.sweep(treasury, sender=deployer)
    assert token.balanceOf(treasury) == before + 6 * unit
    assert tx.events.filter(vault.Swept)[0].amount == 6 * unit
    assert token.balanceOf(vault) == 4 * unit
    with ape.reverts("vault: nothing to sweep"):
        vault.sweep(treasury, sender=deployer)


# ------------------------------------------------------------------ revert reasons

def test_deposit__zero__reverts(vault, maker):
    with ape.reverts("vault: zero amount"):
        vault.deposit(0, sender=maker)


def test_withdraw__zero__reverts(vault, maker):
    with ape.reverts("vault: zero amount"):
        vault.withdraw(0, sender=maker)


def test_withdraw__more_than_balance__reverts(vault, token, deployer, maker, unit):
    _fund(token, vault, deployer, maker, unit)
    vault.deposit(unit, sender=maker)
    before = _state(token, vault, maker)
    with ape.reverts("vault: insufficient balance"):
        vault.withdraw(unit + 1, sender=maker)
    assert _state(token, vault, maker) == before


def test_withdraw_to__zero_receiver__reverts(vault, token, deployer, maker, unit):
    _fund(token, vault, deployer, maker, unit)
    vault.deposit(unit, sender=maker)
    with ape.reverts("vault: zero receiver"):
        vault.withdraw_to("0x0000000000000000000000000000000000000000", unit, sender=maker)


def test_deposit__without_approval__reverts(vault, token, deployer, stranger, unit):
    token.mint(stranger, unit, sender=deployer)
    with ape.reverts():
        vault.deposit(unit, sender=stranger)
    assert vault.balance_of(stranger) == 0


def test_sweep__stranger__reverts(vault, stranger, treasury):
    with ape.reverts("ownable: caller is not the owner"):
        vault.sweep(treasury, sender=stranger)


def test_sweep__zero_receiver__reverts(vault, deployer):
    with ape.reverts("vault: zero receiver"):
        vault.sweep("0x0000000000000000000000000000000000000000", sender=deployer)


def test_hooks__stranger__reverts(vault, maker, stranger):
    with ape.reverts("vault: not risk engine"):
        vault.transfer_internal(maker, stranger, 1, sender=stranger)
    with ape.reverts("vault: not risk engine"):
        vault.apply_pnl(stranger, 1, sender=stranger)


def test_constructor__token_not_contract__reverts(project, deployer, stranger):
    with ape.reverts("vault: token not a contract"):
        project.CollateralVault.deploy(stranger, stranger, sender=deployer)


# ------------------------------------------------------------------ risk engine hook

def test_set_risk_engine__once__then_reverts(vault, engine, deployer, project):
    assert vault.risk_engine() == "0x0000000000000000000000000000000000000000"
    tx = vault.set_risk_engine(engine, sender=deployer)
    assert tx.events.filter(vault.RiskEngineSet)[0].risk_engine == engine.address
    with ape.reverts("vault: risk engine already set"):
        vault.set_risk_engine(engine, sender=deployer)


def test_set_risk_engine__stranger__reverts(vault, engine, stranger):
    with ape.reverts("ownable: caller is not the owner"):
        vault.set_risk_engine(engine, sender=stranger)


def test_set_risk_engine__not_contract__reverts(vault, stranger, deployer):
    with ape.reverts("vault: risk engine not a contract"):
        vault.set_risk_engine(stranger, sender=deployer)


def test_withdraw__locked_collateral__reverts(wired_vault, engine, token, deployer, maker, unit):
    vault = wired_vault
    _fund(token, vault, deployer, maker, 10 * unit)
    vault.deposit(10 * unit, sender=maker)
    engine.set_requirement(maker, 4 * unit, sender=deployer)
    assert vault.free_collateral(maker) == 6 * unit
    before = _state(token, vault, maker)
    with ape.reverts("vault: insufficient collateral"):
        vault.withdraw(6 * unit + 1, sender=maker)
    assert _state(token, vault, maker) == before
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
    _fund(token, vault, deployer, maker, 3 * unit)
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
        _fund(token, vault, deployer, a, 10 * unit)
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


# ------------------------------------------------------------------ pause and governance

def test_pause__stops_deposits_not_withdrawals(vault, token, deployer, guardian, maker, unit):
    _fund(token, vault, deployer, maker, 2 * unit)
    vault.deposit(unit, sender=maker)
    vault.pause(sender=guardian)
    assert vault.paused()
    with ape.reverts("vault: paused"):
        vault.deposit(unit, sender=maker)
    vault.withdraw(unit, sender=maker)
    with ape.reverts("vault: paused"):
        vault.pause(sender=guardian)
    vault.unpause(sender=deployer)
    vault.deposit(unit, sender=maker)
    with ape.reverts("vault: not paused"):
        vault.unpause(sender=guardian)


def test_pause__stranger__reverts(vault, stranger):
    with ape.reverts("vault: not guardian"):
        vault.pause(sender=stranger)
    with ape.reverts("vault: not guardian"):
        vault.unpause(sender=stranger)


def test_set_guardian__owner_only_with_event(vault, deployer, stranger, guardian):
    with ape.reverts("ownable: caller is not the owner"):
        vault.set_guardian(stranger, sender=stranger)
    tx = vault.set_guardian(stranger, sender=deployer)
    assert tx.events.filter(vault.GuardianSet)[0].guardian == stranger.address
    vault.pause(sender=stranger)


def test_ownership__two_step(vault, deployer, stranger):
    vault.transfer_ownership(stranger, sender=deployer)
    assert vault.owner() == deployer.address
    assert vault.pending_owner() == stranger.address
    with ape.reverts("ownable_2step: caller is not the new owner"):
        vault.accept_ownership(sender=deployer)
    vault.accept_ownership(sender=stranger)
    assert vault.owner() == stranger.address


# ------------------------------------------------------------------ hostile tokens

@pytest.fixture(scope="module")
def hostile(project, deployer, guardian, decimals):
    def make(behaviour):
        tok = project.MockHostileToken.deploy(decimals, behaviour, sender=deployer)
        v = project.CollateralVault.deploy(tok, guardian, sender=deployer)
        return tok, v

    return make


def test_no_return_token__deposit_and_withdraw_work(project, deployer, guardian, maker, decimals):
    tok = project.MockNoReturnToken.deploy(decimals, sender=deployer)
    v = project.CollateralVault.deploy(tok, guardian, sender=deployer)
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


def _calldata(sig: str, types: list[str], values: list) -> bytes:
    return selector(sig) + encode(types, values)


def test_reentrant_token__reenter_withdraw__cannot_double_spend(hostile, deployer, maker, unit):
    tok, v = hostile(0)
    tok.mint(maker, 2 * unit, sender=deployer)
    tok.approve(v, 2 * unit, sender=maker)
    v.deposit(2 * unit, sender=maker)
    # on every transfer the token calls back into vault.withdraw(unit) as the token itself
    tok.set_reentry(v, _calldata("withdraw(uint256)", ["uint256"], [unit]), sender=deployer)
    tok.set_behaviour(REENTRANT, sender=deployer)
    v.withdraw(unit, sender=maker)
    assert not tok.reentry_ok()            # the re-entry was refused by the lock
    assert v.balance_of(maker) == unit
    assert tok.balanceOf(v) == unit == v.total_balances()


def test_reentrant_token__reenter_deposit__refused(hostile, deployer, maker, unit):
    tok, v = hostile(0)
    tok.mint(maker, 2 * unit, sender=deployer)
    tok.approve(v, 2 * unit, sender=maker)
    tok.set_reentry(v, _calldata("deposit(uint256)", ["uint256"], [unit]), sender=deployer)
    tok.set_behaviour(REENTRANT, sender=deployer)
    v.deposit(unit, sender=maker)
    assert not tok.reentry_ok()
    assert v.balance_of(maker) == unit == tok.balanceOf(v) == v.total_balances()
