"""CollateralVault: deposit, withdraw, withdraw_to, sweep, direct transfers and their revert reasons."""

from __future__ import annotations

import ape
from helpers import deploy_reverts
from hypothesis import given, settings
from hypothesis import strategies as st
from vault_helpers import (
    fund_vault,
    vault_state,
)

# ------------------------------------------------------------------ basics

def test_token__public_face(vault, token):
    assert vault.token() == token.address


def test_deposit__credits_and_emits(vault, token, deployer, maker, unit):
    fund_vault(token, vault, deployer, maker, 100 * unit)
    tx = vault.deposit(100 * unit, sender=maker)
    assert vault.balance_of(maker) == 100 * unit
    assert vault.total_balances() == 100 * unit
    assert token.balanceOf(vault) == 100 * unit
    assert vault.free_collateral(maker) == 100 * unit
    ev = tx.events.filter(vault.Deposit)[0]
    assert ev.account == maker and ev.amount == 100 * unit


def test_withdraw__round_trip_never_gains(vault, token, deployer, maker, unit):
    fund_vault(token, vault, deployer, maker, 7 * unit + 3)
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
        fund_vault(token, vault, deployer, taker, a)
        vault.deposit(a, sender=taker)
    start += sum(amounts)
    vault.withdraw(vault.balance_of(taker), sender=taker)
    assert token.balanceOf(taker) + vault.balance_of(taker) == start
    assert token.balanceOf(vault) == vault.total_balances()


def test_withdraw_to__other_receiver(vault, token, deployer, maker, treasury, unit):
    fund_vault(token, vault, deployer, maker, 5 * unit)
    vault.deposit(5 * unit, sender=maker)
    before = token.balanceOf(treasury)
    vault.withdraw_to(treasury, 2 * unit, sender=maker)
    assert token.balanceOf(treasury) == before + 2 * unit
    assert vault.balance_of(maker) == 3 * unit


def test_direct_transfer__not_credited_and_sweepable(vault, token, deployer, maker, treasury, unit):
    fund_vault(token, vault, deployer, maker, 10 * unit)
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
    fund_vault(token, vault, deployer, maker, unit)
    vault.deposit(unit, sender=maker)
    before = vault_state(token, vault, maker)
    with ape.reverts("vault: insufficient balance"):
        vault.withdraw(unit + 1, sender=maker)
    assert vault_state(token, vault, maker) == before


def test_withdraw_to__zero_receiver__reverts(vault, token, deployer, maker, unit):
    fund_vault(token, vault, deployer, maker, unit)
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


def test_hooks__stranger_or_owner__reverts(vault, maker, stranger, deployer):
    """A vault deployed without a risk engine (empty) refuses the hooks to everyone, its
    owner included."""
    assert vault.risk_engine() == "0x0000000000000000000000000000000000000000"
    for who in (stranger, deployer):
        for amount in (0, 1):
            with ape.reverts("vault: not risk engine"):
                vault.transfer_internal(maker, who, amount, sender=who)
            with ape.reverts("vault: not risk engine"):
                vault.apply_pnl(who, amount, sender=who)


def test_constructor__token_not_contract__reverts(project, deployer, stranger):
    with deploy_reverts("vault: token not a contract", deployer):
        project.CollateralVault.deploy(stranger, stranger, stranger, sender=deployer)
