"""Custody (issue 12, attack 4; docs/architecture.md §11): with governance="timelock" no key can change
a parameter without notice. A change is proposed, refused before the one-day delay, executed by
anyone after it, and users withdraw in between; the guardian's pause stays immediate."""

from __future__ import annotations

import ape
import pytest
from helpers import NOT_OWNER, deploy_reverts, fund

from rangebound.constants import DAY
from rangebound.dev.node import warp
from rangebound.ops.deploy import deploy_system

ZERO32 = b"\x00" * 32


@pytest.fixture(scope="module")
def gov(deployer, guardian):
    return deploy_system(deployer, guardian=guardian, governance="timelock")


def test_deploy_system__timelock__owns_every_contract(gov, deployer):
    tl = gov.timelock
    m = gov.markets["BTC"]
    owned = [gov.vault, gov.clearinghouse, m.registry, m.book, *gov.feeds.values()]
    assert all(c.owner() == tl.address for c in owned)
    assert all(c.pending_owner() == ape.utils.ZERO_ADDRESS for c in owned)
    assert tl.get_minimum_delay() == DAY and tl.MIN_DELAY() == DAY
    assert tl.hasRole(tl.PROPOSER_ROLE(), deployer) and tl.hasRole(tl.EXECUTOR_ROLE(), ape.utils.ZERO_ADDRESS)
    assert not tl.hasRole(tl.DEFAULT_ADMIN_ROLE(), deployer)
    assert gov.addresses()["timelock"] == tl.address


def test_timelock__parameter_change__refused_before_delay_executed_after_users_leave(gov, deployer, maker, stranger, chain):
    ch, tl, vault = gov.clearinghouse, gov.timelock, gov.vault
    amount = fund(gov, maker, 1_000)
    with ape.reverts(NOT_OWNER):                            # the deployer holds no key any more
        ch.set_fees(50, 50, sender=deployer)
    payload = ch.set_fees.encode_input(50, 50)
    tl.schedule(ch, 0, payload, ZERO32, ZERO32, DAY, sender=deployer)
    with ape.reverts("access_control: account is missing role"):
        tl.schedule(ch, 0, payload, ZERO32, b"\x01" * 32, DAY, sender=stranger)
    with ape.reverts("timelock_controller: insufficient delay"):
        tl.schedule(ch, 0, payload, ZERO32, b"\x02" * 32, DAY - 1, sender=deployer)
    with ape.reverts("timelock_controller: operation is not ready"):
        tl.execute(ch, 0, payload, ZERO32, ZERO32, sender=stranger)
    # the change is public for a day: a user who disagrees leaves with everything
    vault.withdraw(amount, sender=maker)
    assert vault.balance_of(maker) == 0 and gov.token.balanceOf(maker) == amount
    warp(chain, chain.pending_timestamp + DAY)
    tl.execute(ch, 0, payload, ZERO32, ZERO32, sender=stranger)   # anyone executes
    assert (ch.taker_fee_bps(), ch.maker_fee_bps()) == (50, 50)


def test_timelock__guardian_pause_stays_immediate(gov, guardian, deployer):
    book = gov.markets["BTC"].book
    book.pause(sender=guardian)
    assert book.paused()
    gov.vault.pause(sender=guardian)
    assert gov.vault.paused()
    with ape.reverts("book: not guardian"):                 # the old owner key is gone
        book.unpause(sender=deployer)


def test_timelock__delay_below_one_day__reverts(project, deployer):
    with deploy_reverts("timelock: delay below one day", deployer):
        project.Timelock.deploy(DAY - 1, [deployer], [ape.utils.ZERO_ADDRESS], ape.utils.ZERO_ADDRESS, sender=deployer)


def test_accept_ownership_of__not_offered__reverts(gov, stranger):
    with ape.reverts("ownable_2step: caller is not the new owner"):
        gov.timelock.accept_ownership_of(gov.clearinghouse, sender=stranger)


def test_timelock__runtime_under_eip170(gov, chain):
    size = len(chain.provider.get_code(gov.timelock.address))
    print(f"\nTimelock runtime: {size} bytes")
    assert 0 < size <= 24_576
