"""A standalone anvil node on a free loopback port, for what Ape's own provider does not cover.

Ape's foundry provider starts (and stops) one anvil per session. A second node is needed to play
an upstream network for fork tests, to load a dumped state into a fresh chain, or to let several
`ape` processes share one chain. `start_anvil(log)` starts one with Ape's test mnemonic (the
same accounts as `ape test`), waits until it answers JSON-RPC and returns an `AnvilNode`;
`node.stop()` (or `stop_process`) ends it, and any node still running when Python exits is
stopped then.

The executable is the project's wrapper `.venv/bin/anvil` (it never passes `--steps-tracing`,
see `tools/anvil`), else whatever `anvil` is on `PATH`.
"""

from __future__ import annotations

import atexit
import shutil
import socket
import subprocess
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests

from rangebound.constants import ROOT

MNEMONIC = "test test test test test test test test test test test junk"
START_TIMEOUT = 20.0          # s to wait for a node to answer
START_ATTEMPTS = 3            # a probed free port can be taken before anvil binds it

_STARTED: list[subprocess.Popen] = []


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def free_host() -> str:
    """`http://127.0.0.1:<free_port()>`: a host for Ape's foundry provider (`APE_FOUNDRY_HOST`)."""
    return f"http://127.0.0.1:{free_port()}"


def anvil_executable() -> str:
    """The project's anvil wrapper, else `anvil` on PATH."""
    wrapper = ROOT / ".venv" / "bin" / "anvil"
    if wrapper.exists():
        return str(wrapper)
    found = shutil.which("anvil")
    if not found:
        raise FileNotFoundError("anvil not installed (run `make install`)")
    return found


def rpc(url: str, method: str, *params: Any, timeout: float = 10.0) -> Any:
    """One JSON-RPC call; raises RuntimeError with the node's error message."""
    r = requests.post(url, json={"jsonrpc": "2.0", "id": 1, "method": method,
                                 "params": list(params)}, timeout=timeout)
    r.raise_for_status()
    body = r.json()
    if "error" in body:
        raise RuntimeError(f"{method}: {body['error']}")
    return body["result"]


def stop_process(proc: subprocess.Popen) -> None:
    """Terminate, then kill after 10 s; a no-op for a process that already ended."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


@atexit.register
def _stop_all() -> None:
    """Last resort: no node started here outlives the Python process."""
    for proc in _STARTED:
        stop_process(proc)


@dataclass
class AnvilNode:
    url: str
    proc: subprocess.Popen
    log: Path

    def rpc(self, method: str, *params: Any) -> Any:
        return rpc(self.url, method, *params)

    def stop(self) -> None:
        stop_process(self.proc)


def start_anvil(log: Path, chain_id: int | None = None, extra: Sequence[str] = ()) -> AnvilNode:
    """Start anvil on a free port with 10 accounts of Ape's test mnemonic (and `chain_id`, and
    any `extra` arguments), appending its output to `log`; wait until it answers."""
    exe = anvil_executable()
    last_err: Exception | None = None
    for _ in range(START_ATTEMPTS):
        port = free_port()
        cmd = [exe, "--host", "127.0.0.1", "--port", str(port), "--mnemonic", MNEMONIC,
               "--accounts", "10", *extra]
        if chain_id is not None:
            cmd += ["--chain-id", str(chain_id)]
        with log.open("ab") as fh:
            proc = subprocess.Popen(cmd, stdout=fh, stderr=subprocess.STDOUT,
                                    stdin=subprocess.DEVNULL)
        _STARTED.append(proc)
        node = AnvilNode(url=f"http://127.0.0.1:{port}", proc=proc, log=log)
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                node.rpc("eth_chainId")
                return node
            except Exception as err:  # noqa: BLE001 - not listening yet
                last_err = err
                time.sleep(0.1)
        stop_process(proc)
    raise RuntimeError(f"anvil did not start: {last_err}; log:\n{log.read_text()[-2000:]}")


LOCAL_POLL_LATENCY = 0.005    # s between receipt polls on a local node (web3's default: 0.1)


def fast_receipt_polling(poll_latency: float = LOCAL_POLL_LATENCY) -> None:
    """Poll for receipts every `poll_latency` s instead of web3's 0.1 s.

    anvil answers `eth_sendRawTransaction` before its automine task has mined the block, so
    about one receipt in eight is not there at the first poll and web3 then sleeps 0.1 s: on a
    local chain that sleep is most of a transaction's time. Ape does not expose the latency, so
    this sets web3's default once per process (idempotent); only local runs (tests, demo,
    benchmark) call it, a public network keeps web3's default.
    """
    from web3.eth import Eth

    current = Eth.wait_for_transaction_receipt
    if getattr(current, "_rangebound_fast", False):
        return

    def wait_for_transaction_receipt(self: Any, transaction_hash: Any, timeout: float = 120,
                                     poll_latency: float = poll_latency) -> Any:
        return current(self, transaction_hash, timeout, poll_latency)

    wait_for_transaction_receipt._rangebound_fast = True  # type: ignore[attr-defined]
    Eth.wait_for_transaction_receipt = wait_for_transaction_receipt  # type: ignore[method-assign]


def warp(chain: Any, ts: int) -> None:
    """Move the chain clock forward to `ts`; never backwards (anvil refuses a timestamp below the
    last block's). A helper that wants "07:56, before the 08:00 update" and finds the clock
    already past 07:56 (but before 08:00) reports now instead, which serves the same fixing."""
    chain.pending_timestamp = max(chain.pending_timestamp, ts)


if __name__ == "__main__":   # `python -m rangebound.dev.node`: a free host (the Makefile's demo and bench)
    print(free_host())
