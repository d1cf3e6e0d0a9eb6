"""The gas bench's transaction sender: plain `eth_sendTransaction` calls from impersonated
addresses on anvil (same receipts as signed Ape transactions, about 20x faster), and the
receipt samples per operation name."""

from __future__ import annotations

import hashlib
import statistics
import time
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from ape import chain
from eth_utils import to_checksum_address

from rangebound.constants import MAX_UINT  # noqa: F401  (the bench scenarios import it from here)


def median(xs: list[int]) -> int:
    return int(statistics.median(xs))


class BenchError(RuntimeError):
    pass


@dataclass
class Tx:
    """A mined transaction's receipt, as the benchmark needs it."""

    txn_hash: str
    gas_used: int
    logs: list[dict[str, Any]]

    def decode(self, event: Any) -> list[Any]:
        """Logs of `event` (a contract's event attribute, e.g. `book.OrderFilled`)."""
        return list(chain.provider.network.ecosystem.decode_logs(self.logs, event.abi))


class Sender:
    """Sends transactions straight to anvil (`eth_sendTransaction` from impersonated
    addresses, automine): one request per transaction plus the receipt, about 20x faster
    than a signed Ape transaction, and the receipt is the same. Gas price is 0 on the local
    network, so accounts need no ether; bulk accounts are plain addresses."""

    GAS = 25_000_000   # a limit, not a price: gas_used does not depend on it

    def __init__(self) -> None:
        chain.provider.make_request("anvil_autoImpersonateAccount", [True])
        self.count = 0
        self._n = 0

    def address(self, role: str) -> str:
        """A fresh, never-used address for a bulk account."""
        self._n += 1
        h = hashlib.sha256(f"rangebound-bench/{role}/{self._n}".encode()).hexdigest()
        return to_checksum_address("0x" + h[:40])

    def send(self, sender: Any, contract: Any, method: str, *args: Any) -> Tx:
        frm = str(getattr(sender, "address", sender))
        data = "0x" + bytes(getattr(contract, method).encode_input(*args)).hex()
        req = {"from": frm, "to": str(contract.address), "data": data,
               "gas": hex(self.GAS), "gasPrice": "0x0"}
        h = chain.provider.make_request("eth_sendTransaction", [req])
        r = self._receipt(h)
        self.count += 1
        if int(r["status"], 16) != 1:
            raise BenchError(f"{method} reverted: {self._reason(req, r)}")
        return Tx(str(h), int(r["gasUsed"], 16), list(r["logs"]))

    @staticmethod
    def _receipt(txn_hash: str) -> dict[str, Any]:
        """The receipt; automine answers the send a moment before the block is stored."""
        deadline = time.time() + 30
        while True:
            r = chain.provider.make_request("eth_getTransactionReceipt", [txn_hash])
            if r is not None:
                return r
            if time.time() > deadline:
                raise BenchError(f"transaction {txn_hash} not mined")
            time.sleep(0.002)

    @staticmethod
    def _reason(req: dict[str, Any], receipt: dict[str, Any]) -> str:
        try:   # replay on the parent block for the revert reason
            block = hex(int(receipt["blockNumber"], 16) - 1)
            chain.provider.make_request("eth_call", [req, block])
        except Exception as err:  # noqa: BLE001  (any error text is the answer)
            return str(err)[:200]
        return "unknown reason"


@dataclass
class Samples:
    """Receipt gas per operation name, in the order measured."""

    data: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))
    hashes: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))

    def add(self, name: str, tx: Tx) -> Tx:
        self.data[name].append(int(tx.gas_used))
        self.hashes[name].append(str(tx.txn_hash))
        return tx

    def median(self, name: str) -> int:
        return median(self.data[name])
