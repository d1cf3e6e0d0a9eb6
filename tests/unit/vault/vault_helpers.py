"""What the CollateralVault tests share: hostile-token behaviours, funding, a state snapshot,
calldata (tests/unit/vault/; fixtures in its conftest.py)."""

from __future__ import annotations

from eth_abi import encode
from eth_utils import function_signature_to_4byte_selector as selector
from helpers import fund_account

RETURNS_FALSE, FEE, BLOCKLIST, PAUSABLE, REENTRANT = 1, 2, 4, 8, 16   # MockHostileToken flags


def fund_vault(token, vault, deployer, account, amount):
    fund_account(token, vault, deployer, account, amount, deposit=False)


def vault_state(token, vault, *accounts):
    return (
        token.balanceOf(vault),
        vault.total_balances(),
        tuple(vault.balance_of(a) for a in accounts),
        tuple(token.balanceOf(a) for a in accounts),
    )


def calldata(sig: str, types: list[str], values: list) -> bytes:
    return selector(sig) + encode(types, values)
