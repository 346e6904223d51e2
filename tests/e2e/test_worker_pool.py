"""The integration's work queue on a running clock: independent jobs run at once on the worker pool,
jobs of one lane (one order, one Stripe invoice) one at a time and in order; a frozen clock runs
every job inline. Back-off has a wall-time floor on a running clock and honours Retry-After."""
from __future__ import annotations

import threading
from types import SimpleNamespace

import pytest
import requests

from simulators.core.clock import SimClock
from simulators.core.store import Store
from simulators.integration.app import _state
from simulators.clients import check
from simulators.integration.config import Config
from simulators.clients import Retryable
from simulators.integration.jobs import WorkQueue, lane_of


def queue(mode: str = "scaled", rate: float = 60.0, workers: int = 4, **settings) -> WorkQueue:
    clock = SimClock(mode=mode, rate=rate)
    sim = SimpleNamespace(clock=clock, now=clock.now, name="integration")
    config = Config()
    config.update(settings)
    q = WorkQueue(sim, config, Store(_state))
    q.start_workers(workers)
    return q


def run_until_idle(q: WorkQueue, timeout: float = 10.0) -> None:
    """Fire the due jobs, then wait (on a condition, not a sleep) until nothing is pending."""
    q.sim.clock.run_due()
    idle = threading.Event()
    while not idle.wait(0.01):
        if not q.data["pending"]:
            idle.set()
        timeout -= 0.01
        assert timeout > 0, q.data["pending"]


def test_independent_orders_run_at_once_and_one_orders_jobs_one_at_a_time_in_order():
    q = queue()
    both_started = threading.Barrier(2, timeout=5)   # passes only if two orders' jobs overlap
    lock = threading.Lock()
    active: dict[str, int] = {}
    most: dict[str, int] = {}
    seen: list[tuple[str, str]] = []

    def handler(kind):
        def run(payload):
            order = payload["order_id"]
            with lock:
                active[order] = active.get(order, 0) + 1
                most[order] = max(most.get(order, 0), active[order])
                seen.append((order, kind))
            if kind == "order":
                both_started.wait()
            with lock:
                active[order] -= 1
        return run

    for kind in ("order", "bill", "publish"):
        q.handler(kind)(handler(kind))
    for kind in ("order", "bill", "publish"):
        for order in ("801A", "801B"):
            q.submit(kind, order, {"order_id": order})
    run_until_idle(q)
    assert most == {"801A": 1, "801B": 1}
    for order in ("801A", "801B"):
        assert [k for o, k in seen if o == order] == ["order", "bill", "publish"]
    assert q.data["stats"]["done"] == 6 and not q.worker_errors


def test_a_frozen_clock_runs_jobs_inline_on_the_thread_that_moves_it():
    q = queue(mode="frozen")
    threads = []
    q.handler("order")(lambda payload: threads.append(threading.get_ident()))
    q.submit("order", "801A", {"order_id": "801A"})
    q.sim.clock.run_due()
    assert threads == [threading.get_ident()] and q.data["stats"]["done"] == 1


def test_lanes_follow_the_order_or_the_stripe_invoice():
    assert lane_of({"kind": "bill", "payload": {"order_id": "801A"}}, "bill:801A") == "order:801A"
    assert lane_of({"kind": "stripe_event", "payload": {"event_id": "evt_1", "invoice": "in_1"}},
                   "stripe_event:evt_1") == "invoice:in_1"
    assert lane_of({"kind": "poll", "payload": {}}, "poll:events") == "poll:events"


@pytest.mark.parametrize("mode,attempt,retry_after,expected", [
    ("scaled", 1, None, 0.5 * 60),       # 2 s simulated would be 33 ms of wall time: the floor wins
    ("scaled", 3, None, 2.0 * 60),       # the floor doubles per attempt
    ("scaled", 13, None, 7200.0),        # the schedule's own delay, once it is longer than the floor
    ("scaled", 1, 10.0, 10.0 * 60),      # Retry-After (wall seconds) is the least wait
    ("frozen", 1, None, 2.0),            # a frozen clock: simulated time only
    ("frozen", 1, 10.0, 10.0),
])
def test_back_off_has_a_wall_time_floor_and_honours_retry_after(mode, attempt, retry_after, expected):
    q = queue(mode=mode, workers=0)
    assert q.backoff(attempt, Retryable("refused", retry_after)) == pytest.approx(expected)


def test_the_wall_floor_is_capped_and_configurable():
    q = queue(workers=0, retry_wall_floor=1.0, retry_wall_cap=4.0, retry_schedule=[1] * 10)
    assert [q.backoff(n, Retryable("x")) / 60 for n in (1, 2, 3, 4, 5)] == [1.0, 2.0, 4.0, 4.0, 4.0]
    with pytest.raises(ValueError):
        Config().update({"workers": -1})


def test_a_vendor_refusal_carries_its_retry_after():
    resp = requests.Response()
    resp.status_code, resp._content = 429, b'{"type": "x", "o:errorDetails": []}'
    resp.headers["Retry-After"] = "7"
    with pytest.raises(Retryable) as caught:
        check(resp, "erp GET")
    assert caught.value.retry_after == 7.0
