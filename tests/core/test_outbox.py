from datetime import timedelta

from simulators.core.clock import SimClock
from simulators.core.faults import FaultEngine
from simulators.core.outbox import Outbox


class Receiver:
    """A fake transport: answers with scripted statuses and remembers what it got."""

    def __init__(self, clock, statuses):
        self.clock, self.statuses, self.got = clock, list(statuses), []

    def __call__(self, url, body, headers, timeout):
        self.got.append((self.clock.now(), body, dict(headers)))
        status = self.statuses.pop(0) if self.statuses else 200
        return (status, 1.0, None) if status else (None, 0.0, "ConnectTimeout")


def make(statuses, faults=None):
    clock = SimClock()
    rx = Receiver(clock, statuses)
    signer = lambda body, now, ep: {"X-Sig": f"t={int(now.timestamp())}"}  # noqa: E731
    box = Outbox(clock, "test", faults or FaultEngine(), signer=signer, transport=rx)
    return clock, rx, box


def test_retries_follow_the_schedule_on_the_simulated_clock_and_resign():
    clock, rx, box = make([500, None, 200])
    t0 = clock.now()
    d = box.enqueue({"id": "we_1", "url": "http://rx/hook"}, b"{}", "evt_1", "invoice.paid", schedule=[60, 3600, 7200])
    clock.run_due()
    assert d.status == "pending" and len(rx.got) == 1
    clock.advance("59s")
    assert len(rx.got) == 1  # not yet
    clock.advance("1s")
    assert len(rx.got) == 2
    clock.advance("1h")
    assert d.status == "delivered"
    assert [at - t0 for at, _, _ in rx.got] == [timedelta(0), timedelta(seconds=60), timedelta(seconds=3660)]
    # a fresh signature for every attempt
    assert len({h["X-Sig"] for _, _, h in rx.got}) == 3
    assert [a["status"] for a in d.attempts] == [500, None, 200]


def test_gives_up_after_the_schedule_is_used():
    clock, rx, box = make([500, 500, 500])
    d = box.enqueue({"id": "we", "url": "http://rx"}, b"{}", "evt", "t", schedule=[10, 10])
    clock.advance("1m")
    assert d.status == "failed" and len(d.attempts) == 3


def test_drop_duplicate_delay_and_reorder_faults():
    faults = FaultEngine()
    faults.add({"operation": "webhook.deliver", "match": {"event_type": "a"}, "drop": True, "times": 1})
    faults.add({"operation": "webhook.deliver", "match": {"event_type": "b"}, "duplicate": True, "times": 1})
    faults.add({"operation": "webhook.deliver", "match": {"event_type": "c"}, "latency": {"kind": "fixed", "ms": 90000}})
    clock, rx, box = make([], faults)
    ep = {"id": "we", "url": "http://rx"}
    a = box.enqueue(ep, b"a", "e1", "a", schedule=[30])
    box.enqueue(ep, b"b", "e2", "b", schedule=[30])
    c = box.enqueue(ep, b"c", "e3", "c", schedule=[30])
    clock.run_due()
    assert [b for _, b, _ in rx.got] == [b"b", b"b"]  # a dropped, b twice, c delayed
    assert a.attempts[0]["error"].startswith("dropped")
    clock.advance("30s")
    assert a.status == "delivered"
    clock.advance("60s")
    assert c.status == "delivered" and c.delivered_at - c.created_at == timedelta(seconds=90)


def test_reorder_holds_a_delivery_until_the_next_one_went_out():
    faults = FaultEngine()
    faults.add({"operation": "webhook.deliver", "match": {"event_type": "first"}, "reorder": True, "times": 1})
    clock, rx, box = make([], faults)
    ep = {"id": "we", "url": "http://rx"}
    box.enqueue(ep, b"1", "e1", "first", schedule=[])
    clock.run_due()
    assert rx.got == []
    box.enqueue(ep, b"2", "e2", "second", schedule=[])
    clock.run_due()
    assert [b for _, b, _ in rx.got] == [b"2", b"1"]


def test_deliver_now_ignores_delays():
    faults = FaultEngine()
    faults.add({"operation": "webhook.deliver", "latency": {"kind": "fixed", "ms": 3_600_000}})
    clock, rx, box = make([], faults)
    d = box.enqueue({"id": "we", "url": "http://rx"}, b"x", "e", "t", schedule=[])
    assert box.deliver_now() == 1
    assert d.status == "delivered" and d.delivered_at == d.created_at
