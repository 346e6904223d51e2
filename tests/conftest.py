"""Shared fixtures for the simulators' own tests.

- ``harness``: an in-process harness with every available fake on one frozen clock: one per session
  (per xdist worker), reset before each test, so each test sees the fakes as built.
- ``live``: a LiveHarness of every available fake on free loopback ports. The servers start once
  per session (per xdist worker) and are shared by every live test, reset before each one.
"""
from __future__ import annotations

import gc
import os
import sys

import pytest

from simulators.harness import InProcessHarness, LiveHarness
from simulators.registry import FAKES, available, free_port  # noqa: F401  (tests import free_port from here)


@pytest.fixture(scope="session")
def _harness_pool():
    """One in-process harness per set of fakes, per session (per xdist worker)."""
    pool: dict[tuple[str, ...], InProcessHarness] = {}
    yield pool
    pool.clear()


def shared_harness(pool: dict, fakes: tuple[str, ...] | None = None):
    """The pool's harness of ``fakes`` (None: every available fake), reset and started: a reset
    harness answers exactly as a freshly built one (tests/core/test_reset_complete.py), and is
    about four times cheaper than building one. Tests with other construction options build their own."""
    key = tuple(fakes) if fakes is not None else ()
    h = pool.get(key)
    if h is None:
        h = pool[key] = InProcessHarness(fakes)
    h.start()
    try:
        h.reset()
        yield h
    finally:
        h.stop()


@pytest.fixture
def harness(_harness_pool):
    yield from shared_harness(_harness_pool)


@pytest.fixture(scope="session")
def _live_pool(tmp_path_factory):
    """``get(names)``: the session's one LiveHarness of every available fake (which includes ``names``),
    started on first use; one set of servers instead of one per combination of fakes."""
    pool: list[LiveHarness] = []

    def get(names: tuple[str, ...] = ()) -> LiveHarness:
        if not pool:
            every = available()
            h = LiveHarness(every, ports={n: free_port() for n in every}, run_dir=tmp_path_factory.mktemp("o2c-live"))
            pool.append(h.start())
        missing = set(names) - set(pool[0].names)
        assert not missing, f"not available: {sorted(missing)}"
        return pool[0]

    yield get
    for h in pool:
        h.stop()


@pytest.fixture
def live(_live_pool):
    h = _live_pool()
    h.reset()
    h.sync_clocks()
    return h


def pytest_configure(config):
    # A test session builds a large, long-lived heap (the shared harnesses, parsed schemas and data):
    # with the default thresholds the collector walks all of it some twenty times a run (about 4 of the
    # suite's 60 CPU seconds). Fewer, larger young collections keep the cost near half a second.
    gc.set_threshold(20_000, 20, 20)


def pytest_collection_finish(session):
    # what collection built (modules, parsed features, fixtures' definitions) lives to the end: out of
    # the collector's sight
    gc.collect()
    gc.freeze()


@pytest.hookimpl(trylast=True)
def pytest_unconfigure(config):
    """An xdist worker ends here, once pytest is done with it (its results were sent with
    ``workerfinished``; every other plugin has unconfigured): the interpreter's teardown of the
    worker's large heap took 0.5-0.8 s, and the controller waits for every worker to exit."""
    if hasattr(config, "workerinput"):
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(0)


# the longest single tests run first: with ``--dist worksteal`` (make test) one worker starts on them while
# the other works through the rest and then takes over what remains of the first one's share
LONG_FIRST = ("tests/load/",)


def pytest_collection_modifyitems(config, items):
    items.sort(key=lambda item: not item.nodeid.startswith(LONG_FIRST))   # stable: otherwise in order


# a user's own project, run from outside the checkout by tests/install (and by the CI install smoke test)
collect_ignore = ["install/user_project"]
