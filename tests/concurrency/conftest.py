"""Concurrency tests: many threads against one fake, bounded (8-16 threads, a few hundred requests
per module), asserting that no acknowledged write is lost, nothing rolled back persists, no request
answers 5xx, and idempotent operations create one object.

In-process, each thread drives the fake's WSGI app through its own werkzeug test client (no
sockets, real threads); ``live_salesforce`` drives the real server (8 worker threads).
"""
from __future__ import annotations

import threading
from typing import Any, Callable

import pytest

from simulators.harness import InProcessHarness


def run_threads(n: int, work: Callable[[int], Any]) -> list[Any]:
    """Run ``work(i)`` on ``n`` threads released together by a barrier; re-raise the first failure."""
    barrier = threading.Barrier(n)
    results: list[Any] = [None] * n
    errors: list[BaseException] = []

    def run(i: int) -> None:
        try:
            barrier.wait(timeout=30)
            results[i] = work(i)
        except BaseException as exc:  # reported to the test below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i,), name=f"worker-{i}") for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "a worker thread did not finish"
    if errors:
        raise errors[0]
    return results


@pytest.fixture
def app_of():
    """``app_of(name)``: a fresh in-process fake's WSGI app (the harness routes nothing here)."""
    harnesses: list[InProcessHarness] = []

    def make(name: str):
        h = InProcessHarness(fakes=[name])
        harnesses.append(h)
        return h.apps[name]
    return make


@pytest.fixture
def live_salesforce(_live_pool):
    h = _live_pool(("salesforce",))
    h.reset()
    h.sync_clocks()
    return h
