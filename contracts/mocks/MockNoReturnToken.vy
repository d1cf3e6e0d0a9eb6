# pragma version ~=0.4.3
"""
@title MockNoReturnToken
@notice Test-only ERC20 whose `transfer`, `transferFrom` and `approve` return nothing
        (like USDT on mainnet). The vault must still work with it.
@custom:security A mock. Never deploy outside tests.
"""

event Transfer:
    sender: indexed(address)
    receiver: indexed(address)
    value: uint256

decimals: public(uint8)                                          # token decimals
balanceOf: public(HashMap[address, uint256])                     # raw units
allowance: public(HashMap[address, HashMap[address, uint256]])   # raw units


@deploy
def __init__(decimals_: uint8):
    """
    @notice Deploys the token.
    """
    self.decimals = decimals_


@external
def mint(receiver: address, amount: uint256):
    """
    @notice Mints freely (test helper).
    """
    self.balanceOf[receiver] += amount


@external
def approve(spender: address, amount: uint256):
    """
    @notice ERC20 approve without a return value.
    """
    self.allowance[msg.sender][spender] = amount


@external
def transfer(receiver: address, amount: uint256):
    """
    @notice ERC20 transfer without a return value.
    """
    self.balanceOf[msg.sender] -= amount
    self.balanceOf[receiver] += amount
    log Transfer(sender=msg.sender, receiver=receiver, value=amount)


@external
def transferFrom(sender: address, receiver: address, amount: uint256):
    """
    @notice ERC20 transferFrom without a return value.
    """
    self.allowance[sender][msg.sender] -= amount
    self.balanceOf[sender] -= amount
    self.balanceOf[receiver] += amount
    log Transfer(sender=sender, receiver=receiver, value=amount)
