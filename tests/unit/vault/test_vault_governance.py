"""CollateralVault: pause, guardian, two-step ownership."""

from __future__ import annotations

import ape
from vault_helpers import (
    fund_vault,
)

# ------------------------------------------------------------------ pause and governance

def test_pause__stops_deposits_not_withdrawals(vault, token, deployer, guardian, maker, unit):
    fund_vault(token, vault, deployer, maker, 2 * unit)
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
