# pragma version ~=0.4.3
"""
@title MockHostileToken
@notice Test-only ERC20 that misbehaves on demand, for the vault's hostile-token tests.
        Behaviour bits (combine freely):
          RETURNS_FALSE  transfer/transferFrom return false instead of moving tokens
          FEE            1% of every transfer is burnt (fee-on-transfer)
          BLOCKLIST      transfers from or to a blocked address revert
          PAUSABLE       transfers revert while paused
          REENTRANT      every transfer first calls `target` with `payload` (a reentrancy probe)
@custom:security A mock. Never deploy outside tests.
"""

RETURNS_FALSE: constant(uint256) = 1
FEE: constant(uint256) = 2
BLOCKLIST: constant(uint256) = 4
PAUSABLE: constant(uint256) = 8
REENTRANT: constant(uint256) = 16

event Transfer:
    sender: indexed(address)
    receiver: indexed(address)
    value: uint256

event Approval:
    owner: indexed(address)
    spender: indexed(address)
    value: uint256

decimals: public(uint8)                                     # token decimals
behaviour: public(uint256)                                  # bit set of the constants above
balanceOf: public(HashMap[address, uint256])                # raw units
allowance: public(HashMap[address, HashMap[address, uint256]])  # raw units
totalSupply: public(uint256)                                # raw units
blocked: public(HashMap[address, bool])                     # BLOCKLIST targets
paused: public(bool)                                        # PAUSABLE switch
target: public(address)                                     # REENTRANT callee
payload: public(Bytes[256])                                 # REENTRANT calldata
reentry_ok: public(bool)                                    # did the last re-entry succeed


@deploy
def __init__(decimals_: uint8, behaviour_: uint256):
    """
    @notice Deploys a hostile token with `behaviour_` bits.
    """
    self.decimals = decimals_
    self.behaviour = behaviour_


@external
def mint(receiver: address, amount: uint256):
    """
    @notice Mints freely (test helper).
    """
    self.balanceOf[receiver] += amount
    self.totalSupply += amount
    log Transfer(sender=empty(address), receiver=receiver, value=amount)


@external
def set_behaviour(behaviour_: uint256):
    """
    @notice Changes the behaviour bits.
    """
    self.behaviour = behaviour_


@external
def set_blocked(account: address, status: bool):
    """
    @notice Blocks or unblocks an address (BLOCKLIST).
    """
    self.blocked[account] = status


@external
def set_paused(status: bool):
    """
    @notice Pauses or resumes transfers (PAUSABLE).
    """
    self.paused = status


@external
def set_reentry(target_: address, payload_: Bytes[256]):
    """
    @notice Sets the call made before every transfer (REENTRANT).
    """
    self.target = target_
    self.payload = payload_


@external
def approve(spender: address, amount: uint256) -> bool:
    """
    @notice ERC20 approve.
    """
    self.allowance[msg.sender][spender] = amount
    log Approval(owner=msg.sender, spender=spender, value=amount)
    return True


@internal
def _move(sender: address, receiver: address, amount: uint256) -> bool:
    mode: uint256 = self.behaviour
    if mode & REENTRANT != 0 and self.target != empty(address):
        ok: bool = False
        out: Bytes[32] = b""
        ok, out = raw_call(self.target, self.payload, max_outsize=32, revert_on_failure=False)
        self.reentry_ok = ok
    if mode & RETURNS_FALSE != 0:
        return False
    if mode & BLOCKLIST != 0:
        assert not self.blocked[sender] and not self.blocked[receiver], "token: blocked"
    if mode & PAUSABLE != 0:
        assert not self.paused, "token: paused"
    self.balanceOf[sender] -= amount
    received: uint256 = amount
    if mode & FEE != 0:
        received = amount - amount // 100
        self.totalSupply -= amount // 100
    self.balanceOf[receiver] += received
    log Transfer(sender=sender, receiver=receiver, value=received)
    return True


@external
def transfer(receiver: address, amount: uint256) -> bool:
    """
    @notice ERC20 transfer, with the configured misbehaviour.
    """
    return self._move(msg.sender, receiver, amount)


@external
def transferFrom(sender: address, receiver: address, amount: uint256) -> bool:
    """
    @notice ERC20 transferFrom, with the configured misbehaviour.
    """
    if self.behaviour & RETURNS_FALSE == 0:
        self.allowance[sender][msg.sender] -= amount
    return self._move(sender, receiver, amount)
