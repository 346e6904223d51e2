"""Shared fixtures for the simulators' own tests.

- ``harness``: an in-process harness with every available fake on one frozen clock (fresh per test).
- ``live``: a LiveHarness on free loopback ports. A test under ``tests/<fake>/`` gets just that
  fake; elsewhere every available fake. Servers start once per session per set of fakes and are
  reset before each test.
"""
from __future__ import annotations


import pytest

from simulators.harness import InProcessHarness, LiveHarness
from simulators.registry import FAKES, available, free_port  # noqa: F401  (tests import free_port from here)


@pytest.fixture
def harness():
    with InProcessHarness() as h:
        yield h


@pytest.fixture(scope="session")
def _live_pool(tmp_path_factory):
    pool: dict[tuple[str, ...], LiveHarness] = {}

    def get(names: tuple[str, ...]) -> LiveHarness:
        if names not in pool:
            h = LiveHarness(list(names), ports={n: free_port() for n in names},
                            run_dir=tmp_path_factory.mktemp("o2c-" + "-".join(names)))
            h.start()
            pool[names] = h
        return pool[names]

    yield get
    for h in pool.values():
        h.stop()


@pytest.fixture
def live(request, _live_pool):
    parts = request.module.__name__.split(".")
    names = (parts[1],) if len(parts) > 2 and parts[1] in FAKES else tuple(available())
    h = _live_pool(names)
    h.reset()
    h.sync_clocks()
    return h


# a user's own project, run from outside the checkout by tests/install (and by the CI install smoke test)
collect_ignore = ["install/user_project"]
