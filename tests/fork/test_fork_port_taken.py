"""`fork_of` when the port it drew is taken: anvil exits with "Address already in use", Ape
times out waiting for it, and `fork_of` starts the fork again on the next port.

CI saw this once (every test of test_fork.py erroring at setup with RPCTimeoutError): Ape's
`host: auto` draws from 49152-60999, inside Linux's ephemeral range, so the draw can hit the
local port of one of the session's own client connections. Here the clash is made on purpose:
the port handed to the fork is the local port of an open connection.
"""

from __future__ import annotations

import socket
from functools import partialmethod

import pytest
from ape.api.providers import SubprocessProvider

from rangebound.dev.node import START_ATTEMPTS, free_port

FAST_START_TIMEOUT = 3  # s: Ape waits 20 s for a node that never answers; keep the test short


@pytest.fixture
def taken_port():
    """The local port of an open client connection (a listener cannot bind it)."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        client = socket.create_connection(server.getsockname())
        accepted, _ = server.accept()
        try:
            yield client.getsockname()[1]
        finally:
            client.close()
            accepted.close()


@pytest.fixture
def fast_start(monkeypatch):
    """Ape gives up on a silent node after FAST_START_TIMEOUT s instead of 20 s."""
    monkeypatch.setattr(
        SubprocessProvider, "start", partialmethod(SubprocessProvider.start, FAST_START_TIMEOUT)
    )


def test_fork_of__first_port_taken__starts_on_the_next(
    networks, upstream, fork_with_ports, taken_port, fast_start
):
    handed: list[int] = []

    def port() -> int:
        handed.append(taken_port if not handed else free_port())
        return handed[-1]

    outer = networks.active_provider
    with fork_with_ports(port) as p:
        assert handed[0] == taken_port and len(handed) == 2
        assert p.uri == f"http://127.0.0.1:{handed[1]}"
        genesis = upstream.rpc("eth_getBlockByNumber", "0x0", False)["hash"]
        assert bytes(p.get_block(0).hash) == bytes.fromhex(genesis.removeprefix("0x"))
    assert networks.active_provider is outer


def test_fork_of__every_port_taken__raises_with_each_attempt(
    networks, upstream, fork_with_ports, taken_port, fast_start
):
    outer = networks.active_provider
    fork = fork_with_ports(lambda: taken_port)
    with pytest.raises(RuntimeError, match="fork anvil did not start") as err, fork:
        pass
    assert str(err.value).count(f"http://127.0.0.1:{taken_port}") == START_ATTEMPTS
    assert networks.active_provider is outer
