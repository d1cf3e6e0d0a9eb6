# pragma version ~=0.4.3
"""
@title CollateralVault
@notice Custody of the settlement token (USD1) for every Rangebound market. Accounts hold
        internal balances; tokens sent straight to the vault credit nobody (the owner may
        sweep only that excess to a treasury). A withdrawal must leave at least the account's
        requirement, which the risk engine (the Clearinghouse, fixed at deployment) reports; a
        vault deployed without one has every requirement 0. The risk engine moves balances between accounts
        (premiums, fees) and applies settled P&L; it can never move tokens out.
@custom:security Reentrancy lock on every state-changing function. Fee-on-transfer tokens
        are rejected; tokens that return no value are accepted; 6 and 18 decimals work.
        No rehypothecation: the vault never lends or reuses collateral.
        When paused (guardian or owner): deposits stop. Withdrawals, internal transfers and
        P&L application (so settlement and claims) never stop.
"""

from ethereum.ercs import IERC20
from snekmate.auth import ownable
from snekmate.auth import ownable_2step
from snekmate.utils import pausable

from interfaces import ICollateralVault
from interfaces import IRiskEngine

from contracts.modules import guardian as gd

implements: ICollateralVault

initializes: ownable
initializes: ownable_2step[ownable := ownable]
initializes: pausable
initializes: gd[ownable := ownable]

exports: (
    ownable_2step.owner,
    ownable_2step.pending_owner,
    ownable_2step.transfer_ownership,
    ownable_2step.accept_ownership,
    pausable.paused,
    gd.guardian,
    gd.set_guardian,
)

token: public(immutable(IERC20))         # settlement token (USD1)
balances: HashMap[address, uint256]      # raw token units per account
total_balances: public(uint256)          # raw token units, sum of all balances
pnl_applied: public(int256)              # raw token units, net settled P&L credited so far
# @dev the Clearinghouse, fixed at deployment (empty = no requirements, no hooks): its address is
# predicted from the deployer's next nonce (the Clearinghouse is deployed right after the
# vault, and its constructor checks that the vault names it), so no owner can ever change
# who may move balances, and each hook reads it from code, not a cold slot (-2,100 gas)
risk_engine: public(immutable(address))


@deploy
def __init__(token_: address, guardian_: address, risk_engine_: address):
    """
    @notice Deploys a vault for `token_`; the deployer becomes owner.
    @param token_ Settlement token (ERC20, 6 or 18 decimals, no transfer fee).
    @param guardian_ Account allowed to pause deposits.
    @param risk_engine_ The Clearinghouse's address, deployed next (not yet a contract: its
           constructor confirms it with `risk_engine()`); empty = a vault without one.
    """
    assert token_.is_contract, "vault: token not a contract"
    risk_engine = risk_engine_
    log ICollateralVault.RiskEngineSet(risk_engine=risk_engine_)
    ownable.__init__()
    ownable_2step.__init__()
    pausable.__init__()
    token = IERC20(token_)
    gd.__init__(guardian_)


# ---------------------------------------------------------------- role checks

@internal
def _check_risk_engine():
    assert msg.sender == risk_engine and msg.sender != empty(address), "vault: not risk engine"


@internal
def _check_guardian():
    assert gd._is_pauser(), "vault: not guardian"


# ---------------------------------------------------------------- views

@view
@internal
def _requirement(account: address) -> uint256:
    if risk_engine == empty(address):
        return 0
    return staticcall IRiskEngine(risk_engine).requirement(account)


@view
@external
def balance_of(account: address) -> uint256:
    """
    @notice Internal balance of `account` in raw token units.
    """
    return self.balances[account]


@view
@external
def free_collateral(account: address) -> uint256:
    """
    @notice What `account` could withdraw now: balance minus requirement, floored at 0.
            The requirement is the stored one; `withdraw` refreshes it first (ranges only
            shrink, so a withdrawal may allow slightly more than this view shows).
    """
    bal: uint256 = self.balances[account]
    req: uint256 = self._requirement(account)
    if req >= bal:
        return 0
    return bal - req


@view
@external
def excess() -> uint256:
    """
    @notice Tokens held beyond what accounts are owed (direct transfers): the only thing
            `sweep` may move.
    """
    return self._excess()


@view
@internal
def _excess() -> uint256:
    held: int256 = convert(staticcall token.balanceOf(self), int256)
    owed: int256 = convert(self.total_balances, int256) - self.pnl_applied
    if held <= owed:
        return 0
    return convert(held - owed, uint256)


# ---------------------------------------------------------------- users

@external
@nonreentrant
def deposit(amount: uint256):
    """
    @notice Moves `amount` tokens from the caller into the vault and credits them.
            Needs an ERC20 approval. Stopped while paused.
    @param amount Raw token units, > 0.
    """
    assert not pausable.paused, "vault: paused"
    assert amount > 0, "vault: zero amount"
    before: uint256 = staticcall token.balanceOf(self)
    ok: bool = extcall token.transferFrom(msg.sender, self, amount, default_return_value=True)
    assert ok, "vault: transfer failed"
    after: uint256 = staticcall token.balanceOf(self)
    assert after - before == amount, "vault: fee-on-transfer token"
    self.balances[msg.sender] += amount
    self.total_balances += amount
    log ICollateralVault.Deposit(account=msg.sender, amount=amount)


@internal
def _withdraw(receiver: address, amount: uint256):
    assert amount > 0, "vault: zero amount"
    assert receiver != empty(address), "vault: zero receiver"
    bal: uint256 = self.balances[msg.sender]
    assert bal >= amount, "vault: insufficient balance"
    if risk_engine != empty(address):
        extcall IRiskEngine(risk_engine).recalculate(msg.sender)
        assert bal - amount >= staticcall IRiskEngine(risk_engine).requirement(msg.sender), "vault: insufficient collateral"
    self.balances[msg.sender] = bal - amount
    self.total_balances -= amount
    # a transfer fee on the way out is the receiver's cost: the vault parts with exactly `amount`
    ok: bool = extcall token.transfer(receiver, amount, default_return_value=True)
    assert ok, "vault: transfer failed"
    log ICollateralVault.Withdraw(account=msg.sender, receiver=receiver, amount=amount)


@external
@nonreentrant
def withdraw(amount: uint256):
    """
    @notice Sends `amount` of the caller's free collateral to the caller. Never paused.
    @param amount Raw token units, > 0, at most balance − requirement.
    """
    self._withdraw(msg.sender, amount)


@external
@nonreentrant
def withdraw_to(receiver: address, amount: uint256):
    """
    @notice Sends `amount` of the caller's free collateral to `receiver` (so a blocklisted
            or frozen address can still get its money out elsewhere). Never paused.
    @param receiver Recipient of the tokens.
    @param amount Raw token units, > 0, at most balance − requirement.
    """
    self._withdraw(receiver, amount)


# ---------------------------------------------------------------- risk engine hooks

@external
@nonreentrant
def transfer_internal(sender: address, receiver: address, amount: uint256):
    """
    @notice Moves `amount` between two internal balances (premiums, fees). Risk engine only.
            The risk engine checks requirements; the vault checks the balance.
    """
    self._check_risk_engine()
    bal: uint256 = self.balances[sender]
    assert bal >= amount, "vault: insufficient balance"
    self.balances[sender] = bal - amount
    self.balances[receiver] += amount
    log ICollateralVault.InternalTransfer(sender=sender, receiver=receiver, amount=amount)


@external
@nonreentrant
def apply_pnl(account: address, pnl: int256):
    """
    @notice Credits (pnl > 0) or debits (pnl < 0) settled P&L to `account`. Risk engine
            only. A series' P&L sums to zero, so once every position of a series is claimed
            the vault's token holdings equal Σ balances again.
    """
    self._check_risk_engine()
    if pnl >= 0:
        self.balances[account] += convert(pnl, uint256)
        self.total_balances += convert(pnl, uint256)
    else:
        loss: uint256 = convert(-pnl, uint256)
        bal: uint256 = self.balances[account]
        assert bal >= loss, "vault: insufficient balance"
        self.balances[account] = bal - loss
        self.total_balances -= loss
    self.pnl_applied += pnl
    log ICollateralVault.PnlApplied(account=account, pnl=pnl)


# ---------------------------------------------------------------- governance

@external
def pause():
    """
    @notice Stops deposits. Guardian or owner. Withdrawals and settlement never stop.
    """
    self._check_guardian()
    assert not pausable.paused, "vault: paused"
    pausable._pause()


@external
def unpause():
    """
    @notice Resumes deposits. Guardian or owner.
    """
    self._check_guardian()
    assert pausable.paused, "vault: not paused"
    pausable._unpause()


@external
@nonreentrant
def sweep(treasury: address) -> uint256:
    """
    @notice Sends tokens held beyond what accounts are owed (direct transfers) to
            `treasury`. Owner only. Never touches any account's balance.
    @return The amount swept (raw token units).
    """
    ownable._check_owner()
    assert treasury != empty(address), "vault: zero receiver"
    amount: uint256 = self._excess()
    assert amount > 0, "vault: nothing to sweep"
    ok: bool = extcall token.transfer(treasury, amount, default_return_value=True)
    assert ok, "vault: transfer failed"
    log ICollateralVault.Swept(treasury=treasury, amount=amount)
    return amount
