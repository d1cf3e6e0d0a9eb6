"""Deploying onto a node you run, as a user does it, each step in its own process:
`make deploy NETWORK=http://127.0.0.1:PORT ACCOUNT=TEST::0`, then `ape console --network
http://127.0.0.1:PORT` and `ape run keeper --network http://127.0.0.1:PORT --account TEST::0`
against the record, which is named after the node (`ethereum_127_0_0_1_PORT.json`); and plain
`make deploy` (no network), which says that its chain is temporary (that one in-process: what it
checks is the script's message on a chain Ape started for the process, not a node's record).

The node is an anvil this module starts (anvil's dev accounts are Ape's test accounts, so
`TEST::0` is anvil's first account). Records go to a temp dir (`RANGEBOUND_DEPLOYMENTS`), never
to the repo's `deployments/`, and Ape's data folder is a temp dir too.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from rangebound.dev.node import rpc, start_anvil
from rangebound.ops.deploy import DEFAULTS
from rangebound.ops.records import custom_network_key

ROOT = Path(__file__).resolve().parents[2]
BIN = ROOT / ".venv" / "bin"
TIMEOUT = 180
CONSOLE_NAMES = ("token", "vault", "clearinghouse", "lens", "btc_registry", "btc_book",
                 "feed_btc_usd", "feed_usd1_usd", "deploy_system", "rangebound",
                 "deployment_network")


def _ape(args: list[str], env: dict, stdin: str | None = None) -> subprocess.CompletedProcess:
    exe = BIN / "ape" if (BIN / "ape").exists() else Path(sys.executable).parent / "ape"
    return _run([str(exe), *args], env, stdin)


def _make(args: list[str], env: dict) -> subprocess.CompletedProcess:
    return _run(["make", "--no-print-directory", *args], env)


def _run(args: list[str], env: dict, stdin: str | None = None) -> subprocess.CompletedProcess:
    proc = subprocess.run(args, cwd=ROOT, env=env, input=stdin, text=True,
                          capture_output=True, timeout=TIMEOUT, check=False)
    assert proc.returncode == 0, (
        f"`{' '.join(args)}` exited {proc.returncode}\n--- stdout ---\n{proc.stdout[-4000:]}"
        f"\n--- stderr ---\n{proc.stderr[-4000:]}"
    )
    return proc


@pytest.fixture(scope="module")
def local_anvil(tmp_path_factory):
    """An anvil (chain id 31337, Ape's test mnemonic) shared by the module's ape processes."""
    node = start_anvil(tmp_path_factory.mktemp("anvil") / "anvil.log")
    try:
        assert int(node.rpc("eth_chainId"), 16) == 31337
        yield node.url
    finally:
        node.stop()


@pytest.fixture(scope="module")
def ape_env(local_anvil, tmp_path_factory):
    env = dict(os.environ)
    env.update(
        PATH=f"{BIN}{os.pathsep}{env.get('PATH', '')}",
        RANGEBOUND_DEPLOYMENTS=str(tmp_path_factory.mktemp("deployments")),
        APE_DATA_FOLDER=str(tmp_path_factory.mktemp("ape-data")),
        IPYTHONDIR=str(tmp_path_factory.mktemp("ipython")),  # no history in ~/.ipython
    )
    env.setdefault("PYTHONHASHSEED", "0")
    env.pop("APE_FOUNDRY_HOST", None)
    return env


@pytest.fixture(scope="module")
def key(local_anvil):
    """The record's name: the node's URI, `ethereum_127_0_0_1_<port>`."""
    k = custom_network_key("ethereum", local_anvil)
    assert re.fullmatch(r"ethereum_127_0_0_1_\d+", k)
    return k


@pytest.fixture(scope="module")
def deployed(ape_env, local_anvil, key):
    """`make deploy NETWORK=<node> ACCOUNT=TEST::0 DEPLOYARGS=--yes`; returns (stdout, record)."""
    repo_records = _repo_records()
    out = _make(["deploy", f"NETWORK={local_anvil}", "ACCOUNT=TEST::0", "DEPLOYARGS=--yes"],
                ape_env)
    assert _repo_records() == repo_records, "the deploy wrote into the repo's deployments/"
    path = Path(ape_env["RANGEBOUND_DEPLOYMENTS"]) / f"{key}.json"
    assert path.is_file(), out.stdout[-3000:]
    return out.stdout, json.loads(path.read_text())


def _repo_records() -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted((ROOT / "deployments").glob("*.json"))}


def test_make_deploy__node_you_run__record_named_after_it(deployed, local_anvil, ape_env, key,
                                                          accounts):
    stdout, rec = deployed
    deployer = accounts[0].address  # the `accounts` fixture holds the test accounts
    assert f"Rangebound on {key}" in stdout
    assert f"recorded in {Path(ape_env['RANGEBOUND_DEPLOYMENTS']) / f'{key}.json'}" in (
        stdout.replace("\n", "")
    )
    assert "temporary" not in stdout  # the node outlives the command

    assert rec["network"] == key
    assert rec["chain_id"] == 31337 == int(rpc(local_anvil, "eth_chainId"), 16)
    assert rec["deployer"] == deployer
    assert 0 < rec["block"] <= int(rpc(local_anvil, "eth_blockNumber"), 16)

    want = {k: v for k, v in DEFAULTS.items() if isinstance(v, (int, str, float))}
    want.update(guardian=deployer, fee_account=deployer, decimals=6)
    assert rec["params"] == want

    c = rec["contracts"]
    assert set(c) == {"token", "vault", "clearinghouse", "lens", "feeds", "markets"}
    assert set(c["feeds"]) == {"BTC/USD", "USD1/USD"}
    assert set(c["markets"]) == {"BTC"} and set(c["markets"]["BTC"]) == {"registry", "book"}
    addrs = [c["token"], c["vault"], c["clearinghouse"], c["lens"], *c["feeds"].values(),
             *c["markets"]["BTC"].values()]
    assert len(set(addrs)) == 8
    for a in addrs:
        assert re.fullmatch(r"0x[0-9a-fA-F]{40}", a) and a != a.lower()  # checksummed
        assert len(rpc(local_anvil, "eth_getCode", a, "latest")) > 2, f"no code at {a}"
        assert a in stdout  # the printed table lists every address


CONSOLE_SCRIPT = """\
import json
g = globals()
print("RB-NAMES " + json.dumps(sorted(n for n in {names!r} if n in g)))
print("RB-NET " + json.dumps(deployment_network))
print("RB-ADDR " + json.dumps({{n: g[n].address for n in {contracts!r}}}))
print("RB-LIVE " + json.dumps([vault.token() == token.address, len(btc_registry.live_expiries()), feed_btc_usd.latestRoundData()[1], btc_book.address == btc_registry.order_book(), chain.chain_id]))
print("RB-FUNCS " + json.dumps([callable(deploy_system), deploy_system.__module__, rangebound.__name__]))
exit
"""


def _lines(stdout: str) -> dict[str, object]:
    """`RB-<KEY> <json>` lines printed by the console (after IPython's `In [n]:` prompts)."""
    found = {}
    for m in re.finditer(r"RB-([A-Z]+) (.*)", stdout):
        found[m.group(1)] = json.loads(m.group(2))
    return found


def test_console__node_you_run__loads_its_record(deployed, ape_env, local_anvil, key):
    _, rec = deployed
    contracts = ("token", "vault", "clearinghouse", "lens", "btc_registry", "btc_book",
                 "feed_btc_usd", "feed_usd1_usd")
    script = CONSOLE_SCRIPT.format(names=CONSOLE_NAMES, contracts=contracts)
    out = _ape(["console", "--network", local_anvil], ape_env, stdin=script)
    got = _lines(out.stdout)
    assert set(got) == {"NAMES", "NET", "ADDR", "LIVE", "FUNCS"}, (
        f"console output:\n{out.stdout[-4000:]}\n{out.stderr[-2000:]}"
    )
    assert got["NAMES"] == sorted(CONSOLE_NAMES)
    assert got["NET"] == key
    c = rec["contracts"]
    assert got["ADDR"] == {
        "token": c["token"], "vault": c["vault"], "clearinghouse": c["clearinghouse"],
        "lens": c["lens"], "btc_registry": c["markets"]["BTC"]["registry"], "btc_book": c["markets"]["BTC"]["book"],
        "feed_btc_usd": c["feeds"]["BTC/USD"], "feed_usd1_usd": c["feeds"]["USD1/USD"],
    }
    # the names are live contracts on the connected chain, wired together
    assert got["LIVE"] == [True, 6, 100_000 * 10**8, True, 31337]
    assert got["FUNCS"] == [True, "rangebound.ops.deploy", "rangebound"]


def test_keeper__node_you_run__runs_against_its_record(deployed, ape_env, local_anvil, key,
                                                       accounts):
    out = _ape(["run", "keeper", "--network", local_anvil, "--account", "TEST::0", "--once",
                "--prices", "none"], ape_env)
    assert f"keeper {accounts[0].address} on {key}" in out.stdout.replace("\n", " ")


def test_make_deploy__no_network__says_its_chain_is_temporary(load_script, monkeypatch,
                                                               tmp_path):
    """Plain `make deploy` (`ape run deploy DEPLOYARGS`, no `--network`): on ethereum:local Ape
    starts an anvil for the one command and stops it after, and the script says so. Run
    in-process (click's CliRunner) on this session's own ethereum:local provider, which Ape
    also started for this process: the same default network, account and detection as the
    command, without a fourth `ape` process."""
    from click.testing import CliRunner

    monkeypatch.setenv("RANGEBOUND_DEPLOYMENTS", str(tmp_path))
    script = load_script("deploy")
    assert "$(if $(NETWORK),--network $(NETWORK))" in (ROOT / "Makefile").read_text()
    res = CliRunner().invoke(script.cli, ["--yes"])
    assert res.exit_code == 0, res.output
    text = " ".join(res.output.split())
    assert "Rangebound on ethereum_local" in text
    assert "this chain is temporary" in text
    assert "make deploy NETWORK=http://127.0.0.1:8545 ACCOUNT=TEST::0" in text
    assert (tmp_path / "ethereum_local.json").is_file()
