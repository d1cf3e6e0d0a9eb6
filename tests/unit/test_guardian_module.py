"""The guardian module (contracts/modules/guardian.vy) as CollateralVault, OrderBook and OptionsPool
use it: who may pause and unpause (guardian or owner), `set_guardian` (owner only, with
`GuardianSet`), an empty guardian, the deployment's `GuardianSet` and the ABI. The module answers
with a bool: every revert string asserted here is the contract's own."""

from __future__ import annotations

import ape
import pytest

from rangebound.constants import ZERO_ADDRESS

ALL = ["vault", "book", "pool"]
NOT_OWNER = "ownable: caller is not the owner"
ALREADY_PAUSED = {"vault": "vault: paused", "book": "book: paused",
                  "pool": "pausable: contract is paused"}
NOT_PAUSED = {"vault": "vault: not paused", "book": "book: not paused",
              "pool": "pausable: contract is not paused"}


@pytest.fixture(scope="module")
def contracts(system):
    market = system.markets["BTC"]
    return {"vault": system.vault, "book": market.book, "pool": market.pool}


@pytest.fixture(params=ALL)
def name(request):
    return request.param


@pytest.fixture
def target(contracts, name):
    return contracts[name]


def _guardian_sets(tx) -> list[str]:
    return [e.guardian for e in tx.events if e.event_name == "GuardianSet"]


# ------------------------------------------------------------------ pause and unpause

def test_pause__stranger__reverts_not_guardian(target, name, stranger):
    with ape.reverts(f"{name}: not guardian"):
        target.pause(sender=stranger)
    assert not target.paused()


def test_unpause__stranger__reverts_not_guardian(target, name, guardian, stranger):
    target.pause(sender=guardian)
    with ape.reverts(f"{name}: not guardian"):
        target.unpause(sender=stranger)
    assert target.paused()


def test_pause__guardian_or_owner__pauses_and_unpauses(target, guardian, deployer):
    for pauser, unpauser in ((guardian, deployer), (deployer, guardian)):
        tx = target.pause(sender=pauser)
        assert target.paused()
        assert [e.account for e in tx.events if e.event_name == "Paused"] == [pauser.address]
        tx = target.unpause(sender=unpauser)
        assert not target.paused()
        assert [e.account for e in tx.events if e.event_name == "Unpaused"] == [unpauser.address]


def test_pause__already_paused__reverts_with_the_contracts_string(target, name, guardian):
    target.pause(sender=guardian)
    with ape.reverts(ALREADY_PAUSED[name]):
        target.pause(sender=guardian)
    assert target.paused()


def test_unpause__not_paused__reverts_with_the_contracts_string(target, name, guardian):
    with ape.reverts(NOT_PAUSED[name]):
        target.unpause(sender=guardian)
    assert not target.paused()


# ------------------------------------------------------------------ set_guardian

def test_set_guardian__not_owner__reverts(target, guardian, stranger):
    for caller in (stranger, guardian):   # the guardian may pause but not replace itself
        with ape.reverts(NOT_OWNER):
            target.set_guardian(stranger, sender=caller)
    assert target.guardian() == guardian.address


def test_set_guardian__owner__emits_and_moves_the_pause(target, name, deployer, guardian, stranger):
    tx = target.set_guardian(stranger, sender=deployer)
    assert _guardian_sets(tx) == [stranger.address]
    assert target.guardian() == stranger.address
    with ape.reverts(f"{name}: not guardian"):
        target.pause(sender=guardian)
    target.pause(sender=stranger)
    assert target.paused()


@pytest.mark.parametrize("name", ["vault", "book"])
def test_set_guardian__empty__only_the_owner_pauses(target, name, deployer, guardian):
    tx = target.set_guardian(ZERO_ADDRESS, sender=deployer)
    assert _guardian_sets(tx) == [ZERO_ADDRESS]
    assert target.guardian() == ZERO_ADDRESS
    with ape.reverts(f"{name}: not guardian"):
        target.pause(sender=guardian)
    target.pause(sender=deployer)
    assert target.paused()


def test_set_guardian__pool_empty__reverts_zero_address(contracts, deployer, guardian):
    """The pool's own setter (pool_params) refuses an empty guardian: its pause is the only
    emergency stop of the LP's trades besides the owner, who may be a timelock."""
    pool = contracts["pool"]
    with ape.reverts("pool: zero address"):
        pool.set_guardian(ZERO_ADDRESS, sender=deployer)
    assert pool.guardian() == guardian.address


# ------------------------------------------------------------------ deployment and ABI

def test_deploy__guardian_set__logged_once(target, guardian):
    """The constructor logs the first guardian (the pool does so since it uses the module)."""
    receipt = target.creation_metadata.receipt
    assert _guardian_sets(receipt) == [guardian.address]
    assert target.guardian() == guardian.address


def test_abi__guardian_entries__exactly_once(target):
    abi = target.contract_type.abi
    events = [e for e in abi if e.type == "event" and e.name == "GuardianSet"]
    assert [[(i.name, i.type, i.indexed) for i in e.inputs] for e in events] == [
        [("guardian", "address", True)]]
    for fn, inputs in (("guardian", []), ("set_guardian", ["address"])):
        found = [f for f in abi if f.type == "function" and f.name == fn]
        assert [[i.type for i in f.inputs] for f in found] == [inputs], fn
