"""The "work unfinished" check reads the integration's queue: the polling integration's periodic
read of Stripe's events, while under way and not failed, is its routine, not work left undone; a
poll that has failed, and any order's job, are unfinished."""
from __future__ import annotations

from types import SimpleNamespace

import pytest

from simulators.reconcile import work
from simulators.reconcile.model import Endpoints

EP = Endpoints("http://sf", "http://stripe", "http://tax", "http://erp", integration="http://integration")
NO_ORDERS = SimpleNamespace(order_by_id={})


def check(monkeypatch, pending, dead=(), statuses=None):
    reads = iter(statuses or [{"pending": len(pending), "dead_letters": len(dead)}] * 2)
    monkeypatch.setattr(work, "read", lambda ep: (next(reads), list(pending), list(dead)))
    c, _ = work.work_unfinished(EP, NO_ORDERS)
    return c


def test_a_poll_under_way_is_routine(monkeypatch):
    c = check(monkeypatch, [{"kind": "poll", "key": "events", "attempts": 1, "errors": []}])
    assert c.ok, c.failures


def test_a_failed_poll_is_unfinished_and_says_it_is_retrying(monkeypatch):
    c = check(monkeypatch, [{"kind": "poll", "key": "events", "attempts": 1,
                             "errors": ["2026-01-05T09:00:00Z stripe 503"]}])
    assert not c.ok and c.failures == ["poll events: retrying, 1 attempt(s); last error: 2026-01-05T09:00:00Z stripe 503"]


@pytest.mark.parametrize("attempts, state", [(0, "in flight"), (1, "in flight")])
def test_an_orders_job_is_unfinished_in_flight_until_an_attempt_fails(monkeypatch, attempts, state):
    c = check(monkeypatch, [{"kind": "bill", "key": "801X", "attempts": attempts, "errors": []}])
    assert c.failures == [f"bill 801X: {state}, {attempts} attempt(s)"]


def test_a_count_that_is_gone_when_read_again_is_not_a_mismatch(monkeypatch):
    # the status counted a job that finished before the lists were read
    c = check(monkeypatch, [], statuses=[{"pending": 1, "dead_letters": 0}, {"pending": 0, "dead_letters": 0}])
    assert c.ok, c.failures
    c = check(monkeypatch, [], statuses=[{"pending": 1, "dead_letters": 0}, {"pending": 1, "dead_letters": 0}])
    assert c.failures == ["the integration reports 1 pending and 0 dead-lettered job(s) but lists none"]
