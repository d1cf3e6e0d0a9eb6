# pragma version ~=0.4.3
"""
@title ReferenceUSD1
@notice The local and test-network stand-in for USD1, the USD stablecoin Rangebound is
        margined, quoted and settled in. snekmate's audited ERC20 with EIP-2612 permit,
        `mint(owner, amount)` for its minters (the deployer, who may add more with
        `set_minter`). Decimals are a constructor argument (6 by default in `deploy_system`,
        18 in some tests) because the venue must work with both.
@custom:security No pause, no blocklist, no fee: a plain token. Hostile behaviour is tested
        with the tokens under `contracts/mocks/`.
"""

from snekmate.auth import ownable as ow
from snekmate.tokens import erc20

initializes: ow
initializes: erc20[ownable := ow]

exports: erc20.__interface__


@deploy
def __init__(decimals_: uint8):
    """
    @notice Deploys the token; the deployer becomes owner and first minter.
    @param decimals_ Token decimals (6 or 18 in this project).
    """
    ow.__init__()
    erc20.__init__("Reference USD1", "USD1", decimals_, "Reference USD1", "1")
