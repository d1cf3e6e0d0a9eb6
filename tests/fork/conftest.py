"""Fork tests: a second anvil plays the upstream "sepolia", the tests run on a fork of it.

Flow (module-scoped fixtures: everything is stopped and restored when the module ends):

1. `upstream`: start an anvil (chain id 11155111, Sepolia's) on a free port.
2. `upstream_deployment`: `ape run deploy --network ethereum:sepolia:node --account TEST::0
   --yes` in a subprocess, with `SEPOLIA_RPC_URL` pointing at the upstream (ape-config.yaml
   expands `${SEPOLIA_RPC_URL}` when the subprocess loads its config) and
   `RANGEBOUND_DEPLOYMENTS` at a temp dir, so the record `ethereum_sepolia.json` never lands in
   the repo's `deployments/`. The subprocess also gets its own `APE_DATA_FOLDER`, so Ape's
   per-network caches (contract types, deployment map for "sepolia") are not polluted with
   addresses of a throw-away chain, and `APE_ETHEREUM_SEPOLIA={"required_confirmations": 0}`
   (merged into the sepolia network config): an automining anvil never produces the two
   confirmations Ape waits for on sepolia by default.
3. `fork`: inside this (already configured) `ape test` session, connect to
   `ethereum:sepolia-fork:foundry`. The `${SEPOLIA_RPC_URL}` in the config was expanded when
   the session started, before the upstream existed, so the upstream URI is passed
   programmatically instead: as the fork's ad-hoc `upstream_provider` setting, which Ape
   resolves to a node provider at that URI (a provider "name" containing ":" is a URI). The
   previous provider (ethereum:local:foundry) is restored and the fork's anvil is stopped when
   the module ends; the network config value the foundry plugin overwrites is restored too,
   and so is `<APE_DATA_FOLDER>/ethereum/sepolia/` (Ape caches a fork's contract types under
   the upstream network's name; see `preserved_tree`).
4. `upstream_before` / `read_upstream_state`: the upstream's head, code, storage slots,
   balances, nonces and key views, read by plain JSON-RPC, so the last test can prove the
   fork's trades, settlement and time travel left the upstream untouched.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import ape
import pytest
from eth_abi import decode, encode
from eth_utils import function_signature_to_4byte_selector, keccak

from rangebound.anvil_node import rpc, start_anvil

ROOT = Path(__file__).resolve().parents[2]
BIN = ROOT / ".venv" / "bin"
SEPOLIA_CHAIN_ID = 11155111
DEPLOY_TIMEOUT = 240


def ape_bin() -> str:
    exe = BIN / "ape"
    return str(exe) if exe.exists() else str(Path(sys.executable).parent / "ape")


@dataclass
class Rpc:
    """Minimal JSON-RPC client: reads the upstream without going through Ape."""

    url: str

    def __call__(self, method: str, *params):
        return rpc(self.url, method, *params)

    def block_number(self) -> int:
        return int(self("eth_blockNumber"), 16)


@dataclass
class Upstream:
    url: str
    rpc: Rpc
    proc: subprocess.Popen
    log: Path


def ape_env(**extra: str) -> dict[str, str]:
    """Environment for an `ape` subprocess: the venv first on PATH, plus `extra`."""
    env = dict(os.environ)
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    env.setdefault("PYTHONHASHSEED", "0")
    env.update(extra)
    return env


def run_ape(args: list[str], env: dict[str, str], timeout: int = DEPLOY_TIMEOUT,
            input: str | None = None) -> subprocess.CompletedProcess:
    proc = subprocess.run(
        [ape_bin(), *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout,
        input=input, check=False,
    )
    if proc.returncode != 0:
        raise AssertionError(
            f"`ape {' '.join(args)}` exited {proc.returncode}\n"
            f"--- stdout ---\n{proc.stdout[-4000:]}\n--- stderr ---\n{proc.stderr[-4000:]}"
        )
    return proc


@pytest.fixture(scope="module")
def upstream(tmp_path_factory):
    """The upstream "sepolia": an anvil with chain id 11155111, stopped at session end."""
    log = tmp_path_factory.mktemp("upstream") / "anvil.log"
    node = start_anvil(log, chain_id=SEPOLIA_CHAIN_ID)
    up = Upstream(url=node.url, rpc=Rpc(node.url), proc=node.proc, log=log)
    try:
        assert int(up.rpc("eth_chainId"), 16) == SEPOLIA_CHAIN_ID
        yield up
    finally:
        node.stop()


@pytest.fixture(scope="module")
def fork_deployments_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("deployments")


@pytest.fixture(scope="module")
def upstream_deployment(upstream, fork_deployments_dir, tmp_path_factory):
    """Deploy to the upstream with the real script; returns the record (dict)."""
    env = ape_env(
        SEPOLIA_RPC_URL=upstream.url,
        RANGEBOUND_DEPLOYMENTS=str(fork_deployments_dir),
        APE_DATA_FOLDER=str(tmp_path_factory.mktemp("ape-data")),
        APE_ETHEREUM_SEPOLIA=json.dumps({"required_confirmations": 0}),
    )
    out = run_ape(
        ["run", "deploy", "--network", "ethereum:sepolia:node", "--account", "TEST::0", "--yes"],
        env,
    )
    path = fork_deployments_dir / "ethereum_sepolia.json"
    assert path.is_file(), out.stdout[-2000:]
    assert "recorded in" in out.stdout
    return json.loads(path.read_text())


@pytest.fixture(scope="module")
def deployments_env(upstream, fork_deployments_dir):
    """Point this process's `deployments_dir()` (and SEPOLIA_RPC_URL) at the test's values."""
    saved = {k: os.environ.get(k) for k in ("RANGEBOUND_DEPLOYMENTS", "SEPOLIA_RPC_URL")}
    os.environ["RANGEBOUND_DEPLOYMENTS"] = str(fork_deployments_dir)
    os.environ["SEPOLIA_RPC_URL"] = upstream.url
    try:
        yield fork_deployments_dir
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def _call(rpc: Rpc, to: str, sig: str, *args) -> str:
    """Raw `eth_call` result of `sig` (e.g. "balance_of(address)") on the latest block."""
    types = sig[sig.index("(") + 1 : -1]
    data = function_signature_to_4byte_selector(sig) + (
        encode([t for t in types.split(",")], list(args)) if types else b""
    )
    return rpc("eth_call", {"to": to, "data": "0x" + data.hex()}, "latest")


def upstream_state(rpc: Rpc, record: dict, holders: list[str]) -> dict:
    """What the fork tests could conceivably have changed upstream, read by plain JSON-RPC:
    head, every contract's code and first storage slots, ETH balances and nonces, token and
    vault balances, feed rounds, the registry's series (bounds, settlement) and positions."""
    c = record["contracts"]
    head = rpc("eth_getBlockByNumber", "latest", False)
    contracts = {
        "token": c["token"], "vault": c["vault"], "clearinghouse": c.get("clearinghouse"),
        **{f"feed:{k}": v for k, v in c["feeds"].items()},
        **{f"{m}:registry": x["registry"] for m, x in c["markets"].items()},
        **{f"{m}:book": x["book"] for m, x in c["markets"].items() if x.get("book")},
    }
    state: dict = {"block": int(head["number"], 16), "hash": head["hash"],
                   "state_root": head["stateRoot"], "code": {}, "storage": {}, "accounts": {},
                   "feeds": {}, "series": {}}
    for name, addr in contracts.items():
        if addr is None:
            continue
        state["code"][name] = keccak(hexstr=rpc("eth_getCode", addr, "latest")).hex()
        state["storage"][name] = [rpc("eth_getStorageAt", addr, hex(i), "latest") for i in range(16)]
    for name, addr in c["feeds"].items():
        state["feeds"][name] = _call(rpc, addr, "latestRoundData()")
    reg = c["markets"]["BTC"]["registry"]
    live = _call(rpc, reg, "live_expiries()")
    state["live"] = live
    expiries = decode(["uint256[]"], bytes.fromhex(live[2:]))[0]
    for e in expiries:
        state["series"][e] = (_call(rpc, reg, "bounds(uint256)", e),
                              _call(rpc, reg, "settlement_price(uint256)", e))
    state["total_supply"] = _call(rpc, c["token"], "totalSupply()")
    for a in holders:
        row = [rpc("eth_getBalance", a, "latest"), rpc("eth_getTransactionCount", a, "latest"),
               _call(rpc, c["token"], "balanceOf(address)", a),
               _call(rpc, c["vault"], "balance_of(address)", a)]
        if c.get("clearinghouse"):
            row.append(_call(rpc, c["clearinghouse"], "requirement(address)", a))
            row += [_call(rpc, c["clearinghouse"], "futures_position(address,address,uint256)",
                          a, reg, e) for e in expiries]
        state["accounts"][a] = row
    return state


@pytest.fixture(scope="module")
def upstream_call(upstream):
    """`upstream_call(to, "sig(types)", *args) -> int`: a one-word view read on the upstream."""
    return lambda to, sig, *args: int(_call(upstream.rpc, to, sig, *args), 16)


@pytest.fixture(scope="module")
def read_upstream_state(upstream, upstream_deployment, holders):
    """`read_upstream_state()`: the upstream's state now (see `upstream_state`)."""
    return lambda: upstream_state(upstream.rpc, upstream_deployment, holders)


@pytest.fixture(scope="module")
def holders(accounts):
    return [a.address for a in accounts[:8]]


@pytest.fixture(scope="module")
def upstream_before(read_upstream_state):
    """The upstream's state right after the deployment, before any fork exists."""
    return read_upstream_state()


@contextmanager
def preserved_tree(folder: Path):
    """Put `folder` back as it was on exit (files added, changed or removed; folders added).

    Ape 0.8 caches the contract types seen on a fork under the *upstream* network's name
    (`<APE_DATA_FOLDER>/ethereum/sepolia/contract_types/<address>.json`): left alone, this
    throw-away chain's contracts would be remembered as Sepolia's.
    """
    created = [p for p in (folder, *folder.parents) if not p.exists()]
    before = {p: p.read_bytes() for p in folder.rglob("*") if p.is_file()}
    try:
        yield
    finally:
        if created:
            shutil.rmtree(created[-1], ignore_errors=True)  # the outermost folder we made
        elif folder.exists():
            for p in sorted(folder.rglob("*"), reverse=True):
                if p.is_file() and p not in before:
                    p.unlink()
                elif p.is_dir() and not any(p.iterdir()) and not any(
                    b.is_relative_to(p) for b in before
                ):
                    p.rmdir()
        for p, data in before.items():
            if not p.is_file() or p.read_bytes() != data:
                p.parent.mkdir(parents=True, exist_ok=True)
                p.write_bytes(data)


@pytest.fixture(scope="module")
def fork(networks, upstream, upstream_deployment, upstream_before, deployments_env):
    """Connected to ethereum:sepolia-fork:foundry (forking the upstream) for one module."""
    net = networks.ethereum.sepolia_fork
    fork_cfg = getattr(net.ecosystem.config, net.name)
    saved_upstream = getattr(fork_cfg, "upstream_provider", None)
    outer = networks.active_provider
    settings = {"fork": {"ethereum": {"sepolia": {"upstream_provider": upstream.url}}}}
    cache = Path(ape.config.DATA_FOLDER) / net.ecosystem.name / net.upstream_network.name
    try:
        with preserved_tree(cache), net.use_provider(
            "foundry", provider_settings=settings, disconnect_after=True
        ) as p:
            assert p.network.name == "sepolia-fork"
            assert p.fork_url == upstream.url
            yield p
    finally:
        fork_cfg.upstream_provider = saved_upstream
    assert networks.active_provider is outer, "fork provider was not popped"
