"""Shared fixtures for the simulators' own tests.

- ``harness``: an in-process harness with every available fake on one frozen clock (fresh per test).
- ``live``: a session-wide LiveHarness on free loopback ports (started once, reset per use).
"""
from __future__ import annotations

import socket

import pytest

from simulators.harness import InProcessHarness, LiveHarness


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def harness():
    with InProcessHarness() as h:
        yield h


@pytest.fixture(scope="session")
def live_session(tmp_path_factory):
    from simulators.registry import available
    names = available()
    h = LiveHarness(names, ports={n: free_port() for n in names}, run_dir=tmp_path_factory.mktemp("o2c"))
    h.start()
    yield h
    h.stop()


@pytest.fixture
def live(live_session):
    live_session.reset()
    live_session.sync_clocks()
    return live_session
