# pragma version ~=0.4.3
"""
@title MockRiskEngine
@notice Test-only risk engine with a settable requirement per account, so the vault's
        withdrawal rule can be unit-tested alone (the real one is the Clearinghouse).
        Can also move balances through the vault hooks like the Clearinghouse does.
@custom:security A mock. Never deploy outside tests.
"""

interface IVaultHooks:
    def transfer_internal(sender: address, receiver: address, amount: uint256): nonpayable
    def apply_pnl(account: address, pnl: int256): nonpayable

requirement: public(HashMap[address, uint256])   # raw units per account
recalculations: public(uint256)                  # times recalculate was called


@external
def set_requirement(account: address, amount: uint256):
    """
    @notice Sets an account's requirement.
    """
    self.requirement[account] = amount


@external
def recalculate(account: address):
    """
    @notice Counts calls (the vault must refresh before a withdrawal).
    """
    self.recalculations += 1


@external
def move(vault: address, sender: address, receiver: address, amount: uint256):
    """
    @notice Calls the vault's transfer_internal hook.
    """
    extcall IVaultHooks(vault).transfer_internal(sender, receiver, amount)


@external
def pnl(vault: address, account: address, amount: int256):
    """
    @notice Calls the vault's apply_pnl hook.
    """
    extcall IVaultHooks(vault).apply_pnl(account, amount)
