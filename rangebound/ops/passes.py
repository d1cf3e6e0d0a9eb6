"""What one keeper pass reports (`PassReport`, `Action`) and the helpers the keeper reads the
chain with: the pending timestamp, the fixing window due, a transaction's preflight, revert
reasons, a step's progress bar, incremental event logs (`EventScan`)."""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from ape import chain
from eth_utils import to_hex
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from web3.exceptions import ContractLogicError as Web3ContractLogicError

from rangebound.models import calendar as cal

REORG_MARGIN = 12         # blocks rescanned on every log refresh


# ---------------------------------------------------------------------------- results


@dataclass
class Action:
    """One transaction the keeper sent (or tried to)."""

    step: str            # report | update | settle | sweep | fold | claim | hedge
    target: str          # what it acted on, human readable
    status: str          # sent | skipped (race) | blocked (revert) | failed (other error)
    gas_used: int = 0
    detail: str = ""


@dataclass
class PassReport:
    """What one keeper pass did. `transactions == 0` means there was nothing to do."""

    started_at: int = 0                  # pending block timestamp when the pass began
    prices_reported: int = 0             # feed rounds submitted
    updates: int = 0                     # daily_update transactions
    settled: int = 0                     # series settled
    swept: int = 0                       # dead orders swept
    folded: int = 0                      # accounts whose fill records or deferred maker bookkeeping were folded
    claimed: int = 0                     # positions claimed
    transactions: int = 0                # transactions mined
    gas_used: int = 0                    # total gas of those transactions
    skipped: int = 0                     # preflight reverts of work someone already did
    blocked: list[str] = field(default_factory=list)   # work that could not be done, and why
    actions: list[Action] = field(default_factory=list)
    gas_by_step: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    tx_by_step: dict[str, int] = field(default_factory=lambda: defaultdict(int))

    @property
    def idle(self) -> bool:
        return self.transactions == 0

    def counts(self) -> dict[str, int]:
        return {
            "prices_reported": self.prices_reported,
            "updates": self.updates,
            "settled": self.settled,
            "swept": self.swept,
            "folded": self.folded,
            "claimed": self.claimed,
            "transactions": self.transactions,
            "gas_used": self.gas_used,
        }

    def table(self) -> Table:
        """The pass as a rich table: per step what was done, transactions, gas, details."""
        table = Table(title=f"keeper pass at {_date(self.started_at)} UTC")
        table.add_column("step")
        table.add_column("done", justify="right")
        table.add_column("txs", justify="right")
        table.add_column("gas", justify="right")
        table.add_column("details", overflow="fold")
        done = {
            "report": self.prices_reported,
            "update": self.updates,
            "settle": self.settled,
            "sweep": self.swept,
            "fold": self.folded,
            "claim": self.claimed,
        }
        for step, n in done.items():
            acts = [a for a in self.actions if a.step == step]
            notes = [a.target for a in acts if a.status == "sent"]
            notes += [f"{a.status}: {a.target}" + (f" ({a.detail})" if a.detail else "")
                      for a in acts if a.status != "sent"]
            table.add_row(
                step,
                str(n),
                str(self.tx_by_step.get(step, 0)),
                f"{self.gas_by_step.get(step, 0):,}",
                "; ".join(notes[:4]) + (f"; +{len(notes) - 4} more" if len(notes) > 4 else ""),
            )
        table.add_row("total", "", str(self.transactions), f"{self.gas_used:,}", "",
                      style="bold")
        return table


# ---------------------------------------------------------------------------- helpers


def now_ts() -> int:
    """Timestamp of the next block (what a transaction sent now will see)."""
    try:
        return int(chain.pending_timestamp)
    except Exception:  # noqa: BLE001 - nodes without a pending block
        return int(chain.blocks.head.timestamp)


def window_start_due(now: int) -> int:
    """Start (07:55:00 UTC) of the most recent fixing window that has begun at `now`."""
    start = cal.day_start(now) + cal.WINDOW_START
    return start if now >= start else start - cal.DAY


def preflight(sender: Any, fn: Any, args: Sequence[Any]) -> str | None:
    """Revert reason of the call at the pending block (None: it would succeed, or the node
    cannot tell). A plain eth_call, so a doomed transaction is never mined and nothing is
    printed (Ape prints a call trace for every revert it enriches)."""
    call = {
        "from": sender.address,
        "to": fn.contract.address,
        "data": to_hex(fn.encode_input(*args)),
    }
    web3 = getattr(chain.provider, "web3", None)
    if web3 is None:
        return None
    for block in ("pending", "latest"):
        try:
            web3.eth.call(call, block)
            return None
        except Web3ContractLogicError as err:
            msg = str(err.message or err)
            return msg.removeprefix("execution reverted: ").removeprefix("execution reverted")
        except Exception:  # noqa: BLE001, S112 - e.g. no "pending" support: try "latest"
            continue
    return None


def step_progress(console: Console, quiet: bool) -> Progress:
    """The progress bar of one keeper step (none when `quiet`)."""
    return Progress(
        TextColumn("[bold]{task.description:<8}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[note]}"),
        TimeElapsedColumn(),
        console=console,
        disable=quiet,
        transient=False,
    )


def revert_reason(err: Exception) -> str:
    msg = getattr(err, "revert_message", None) or getattr(err, "message", None) or str(err)
    return str(msg).strip()


def _short(addr: str) -> str:
    return f"{addr[:6]}..{addr[-4:]}"


def _date(ts: int) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.gmtime(ts))


class EventScan:
    """Logs of one event of one contract, read incrementally from `start_block`.

    `refresh()` returns the logs not seen before (deduplicated by transaction hash and log
    index, so rescanning the last REORG_MARGIN blocks is harmless).
    """

    def __init__(self, event: Any, start_block: int) -> None:
        self.event = event
        self.next_block = max(0, start_block)
        self._seen: dict[tuple[str, int], int] = {}     # (tx hash, log index) -> block

    def refresh(self) -> list[Any]:
        head = chain.blocks.height
        start = max(0, min(self.next_block, head + 1) - REORG_MARGIN)
        if start > head:
            return []
        new = []
        for log in self.event.range(start, head + 1):
            key = (str(log.transaction_hash), int(log.log_index))
            if key not in self._seen:
                self._seen[key] = int(log.block_number)
                new.append(log)
        self.next_block = head + 1
        self._seen = {k: b for k, b in self._seen.items() if b > head - REORG_MARGIN}
        return new
