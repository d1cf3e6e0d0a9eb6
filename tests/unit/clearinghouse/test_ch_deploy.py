"""Clearinghouse deployment: runtime size, constructor bounds, public face, two-step ownership."""

from __future__ import annotations

import ape
from helpers import EIP170, deploy_reverts

from rangebound.ops.deploy import deploy_vault_and_clearinghouse


def test_runtime__under_eip170(env, chain, project):
    size = len(chain.provider.get_code(env.ch.address))
    print(f"Clearinghouse runtime: {size} bytes")
    assert 0 < size < EIP170


def test_constructor__bounds__revert(project, deployer, env, treasury):
    """The argument checks come before the vault's (which depends on the deployed address)."""
    with deploy_reverts("clearinghouse: fee too high", deployer):
        project.Clearinghouse.deploy(env.vault, treasury, 51, 0, sender=deployer)
    with deploy_reverts("clearinghouse: fee too high", deployer):
        project.Clearinghouse.deploy(env.vault, treasury, 0, 51, sender=deployer)
    with deploy_reverts("clearinghouse: zero address", deployer):
        project.Clearinghouse.deploy(env.vault, ape.utils.ZERO_ADDRESS, 5, 2, sender=deployer)
    with deploy_reverts("clearinghouse: vault not a contract", deployer):
        project.Clearinghouse.deploy(treasury, treasury, 5, 2, sender=deployer)


def test_constructor__vault_names_another_engine__reverts(project, deployer, env, treasury):
    """The vault's risk engine is immutable: a Clearinghouse the vault does not name (here
    the deployed one already is its engine) cannot be deployed over it."""
    with deploy_reverts("clearinghouse: vault names another risk engine", deployer):
        project.Clearinghouse.deploy(env.vault, treasury, 5, 2, sender=deployer)
    other = project.CollateralVault.deploy(env.token, treasury, treasury, sender=deployer)
    with deploy_reverts("clearinghouse: vault names another risk engine", deployer):
        project.Clearinghouse.deploy(other, treasury, 5, 2, sender=deployer)


def test_constructor__public_face(env, deployer):
    ch = env.ch
    assert ch.vault() == env.vault.address
    assert ch.owner() == deployer.address
    assert ch.taker_fee_bps() == 5 and ch.maker_fee_bps() == 2
    assert ch.MAX_FEE_BPS() == 50 and ch.MAX_OPEN_SERIES() == 24
    assert env.vault.risk_engine() == ch.address


def test_constructor__logs_fee_account_and_fees(project, chain, deployer, env, treasury):
    vault, ch = deploy_vault_and_clearinghouse(deployer, env.token, treasury, treasury, 5, 2)
    assert vault.risk_engine() == ch.address
    logs = chain.get_receipt(ch.txn_hash).events
    got = [(e.event_name, dict(e.event_arguments)) for e in logs if e.event_name != "OwnershipTransferred"]
    assert got == [("FeeAccountSet", {"fee_account": treasury.address}),
                   ("FeesSet", {"taker_fee_bps": 5, "maker_fee_bps": 2})]


def test_ownership__two_step(env, deployer, guardian, stranger):
    ch = env.ch
    ch.transfer_ownership(guardian, sender=deployer)
    assert ch.owner() == deployer.address and ch.pending_owner() == guardian.address
    with ape.reverts("ownable_2step: caller is not the new owner"):
        ch.accept_ownership(sender=stranger)
    ch.accept_ownership(sender=guardian)
    assert ch.owner() == guardian.address
    with ape.reverts("ownable: caller is not the owner"):
        ch.set_fees(1, 1, sender=deployer)
