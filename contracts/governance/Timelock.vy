# pragma version ~=0.4.3
"""
@title Timelock
@notice The owner of every Rangebound contract on a public network (docs/architecture.md §11):
        snekmate's `timelock_controller` with a minimum delay of at least one day, so users
        see every parameter change coming and can leave before it lands. Proposers (a
        multisig) schedule and cancel; executors (everyone, when the zero address is given)
        execute once the delay has passed. The guardian's pause never goes through it.
        Added here: the one-day floor on the delay at deployment, and
        `accept_ownership_of(target)`, which completes a two-step ownership transfer that a
        contract's current owner started towards this timelock (accepting grants nothing the
        owner did not already decide, so anyone may call it; it saves a timelocked round
        trip at deployment).
@custom:security A later `update_delay` below one day is itself a timelocked proposal,
        visible for the current delay before it lands. No admin is kept unless one is given
        (the deployment passes none).
"""

from snekmate.auth import access_control
from snekmate.governance import timelock_controller

initializes: access_control
initializes: timelock_controller[access_control := access_control]

exports: timelock_controller.__interface__

interface IOwnable2Step:
    def accept_ownership(): nonpayable

MIN_DELAY: public(constant(uint256)) = 86_400     # seconds, the floor of the minimum delay


@deploy
@payable
def __init__(
    minimum_delay_: uint256,
    proposers_: DynArray[address, timelock_controller._DYNARRAY_BOUND],
    executors_: DynArray[address, timelock_controller._DYNARRAY_BOUND],
    admin_: address,
):
    """
    @notice Deploys the timelock.
    @param minimum_delay_ Seconds between scheduling and execution, at least MIN_DELAY.
    @param proposers_ Accounts that may schedule and cancel (a multisig on public networks).
    @param executors_ Accounts that may execute; the zero address opens execution to anyone.
    @param admin_ Optional admin for the initial role set-up (zero address: none).
    """
    assert minimum_delay_ >= MIN_DELAY, "timelock: delay below one day"
    access_control.__init__()
    timelock_controller.__init__(minimum_delay_, proposers_, executors_, admin_)


@external
def accept_ownership_of(target: address):
    """
    @notice Accepts the ownership of `target` that its owner offered to this timelock
            (`transfer_ownership(timelock)` on a snekmate ownable_2step contract).
            Permissionless; reverts unless this timelock is the pending owner.
    @param target The contract whose pending owner is this timelock.
    """
    extcall IOwnable2Step(target).accept_ownership()
