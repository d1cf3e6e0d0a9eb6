# pragma version ~=0.4.3
"""
@title Rangebound guardian
@notice The guardian of a pausable contract: an account, besides the owner, that may pause
        and unpause it. Holds the guardian, emits `GuardianSet` on every change (the
        constructor's included) and answers who may pause; an empty guardian leaves only the
        owner. Initialised by CollateralVault, OrderBook and OptionsPool. The vault and the
        book export `guardian` and `set_guardian`; the pool exports `guardian`, and its
        pool_params (`uses:` this module) keeps its own `set_guardian`, which refuses an
        empty guardian, and its pause, which also rewrites the packed pause flag.
@custom:security The pause check never reverts in the module: `_is_pauser` returns a
        bool and each contract asserts it with its own revert string
        ("vault: not guardian", "book: not guardian", "pool: not guardian"); the pause
        itself (snekmate's `pausable`) and its "already paused" strings stay in the
        contracts too. `set_guardian` is owner-only (snekmate's `ownable`).
"""

from snekmate.auth import ownable

uses: ownable


# @dev Returns the account that may pause (and unpause) besides the
# owner; empty disables it.
guardian: public(address)


# @dev Emitted when the guardian is set (at deployment and by
# `set_guardian`); `guardian` is empty when it is disabled.
event GuardianSet:
    guardian: indexed(address)


@deploy
@payable
def __init__(guardian_: address):
    """
    @dev Sets the first guardian and emits `GuardianSet`. Declared `payable`
         (as snekmate's constructors) to omit the `msg.value` check.
    @param guardian_ The account allowed to pause; empty for none.
    """
    self._set_guardian(guardian_)


@external
def set_guardian(guardian_: address):
    """
    @notice Replaces the guardian (empty disables it; the owner can still pause). Owner only.
    @dev The two lines of `_set_guardian` written out: the internal call would add 14 bytes
         to each contract that exports this function.
    @param guardian_ The new guardian; empty for none.
    """
    ownable._check_owner()
    self.guardian = guardian_
    log GuardianSet(guardian=guardian_)


@internal
def _set_guardian(guardian_: address):
    """
    @dev Stores `guardian_` and emits `GuardianSet`. No access check: the
         caller checks who may set it.
    @param guardian_ The new guardian; empty for none.
    """
    self.guardian = guardian_
    log GuardianSet(guardian=guardian_)


@view
@internal
def _is_pauser() -> bool:
    """
    @dev Whether `msg.sender` may pause and unpause: the guardian or the owner.
         Returns a bool (it never reverts) so that each contract asserts it with
         its own revert string.
    @return True for the guardian (if set) and the owner.
    """
    return msg.sender == self.guardian or msg.sender == ownable.owner
