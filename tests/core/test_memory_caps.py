"""Bounded memory: the journal in bytes as well as entries, the violation report in total across
callers, the outbox's cap with the receiver down, and a reset that leaves every store empty."""
from __future__ import annotations

import json

from simulators.core.clock import SimClock
from simulators.core.faults import FaultEngine
from simulators.core.journal import Journal
from simulators.core.memory import give_back
from simulators.core.outbox import Outbox
from simulators.core.validation import SchemaValidator


def test_the_journal_cuts_long_text_and_says_how_long_it_was():
    j = Journal(maxlen=10, max_field=64)
    key = "sk_test_" + "k" * 8_000_000
    j.record({"operation": "customers.list", "caller": key, "path": "/v1/customers", "status": 200})
    entry = j.entries()[0]
    assert entry["caller"].startswith("sk_test_kkk") and entry["caller"].endswith("(8000008 chars)")
    assert len(entry["caller"]) < 100 and entry["path"] == "/v1/customers" and entry["status"] == 200


def test_the_journal_is_bounded_in_bytes_oldest_first():
    j = Journal(maxlen=1000, max_bytes=20_000, max_field=1000)
    for i in range(100):
        j.record({"operation": "op", "path": f"/{i}/" + "p" * 900})
    assert j.bytes <= 20_000 and 10 <= len(j) < 100
    seqs = [e["seq"] for e in j.entries()]
    assert seqs == list(range(101 - len(j), 101)) and j.total == 100   # the newest kept, the count goes on
    j.clear()
    assert len(j) == 0 and j.bytes == 0 and j.total == 0


def _validator(tmp_path, **kw) -> SchemaValidator:
    (tmp_path / "op.json").write_text(json.dumps({"type": "object", "additionalProperties": False,
                                                  "properties": {"a": {"type": "string"}}}))
    return SchemaValidator(tmp_path, mode="lenient", **kw)


def test_violations_are_capped_in_total_across_callers_oldest_first(tmp_path):
    v = _validator(tmp_path, max_per_caller=5, max_total=50)
    for caller in range(300):
        for n in range(3):
            v.check("op", {"bad": n}, f"caller{caller}", f"t{caller}.{n}")
    report = v.violations()
    kept = [item for items in report.values() for item in items]
    assert len(kept) == 50 and v.dropped == 300 * 3 - 50
    assert "caller299" in report and "caller0" not in report   # the newest kept
    assert sorted(i["at"] for i in kept)[0] == "t283.1"         # 900 - 50 = 850th onwards: caller 283, second one


def test_violations_per_caller_still_keep_the_newest(tmp_path):
    v = _validator(tmp_path, max_per_caller=3, max_total=100)
    for n in range(10):
        v.check("op", {"bad": n}, "one", f"t{n}")
    v.check("op", {"bad": 0}, "two", "t-two")
    report = v.violations()
    assert [i["at"] for i in report["one"]] == ["t7", "t8", "t9"] and len(report["two"]) == 1
    assert v.dropped == 7


def test_violations_cut_long_callers_and_messages(tmp_path):
    v = _validator(tmp_path)
    v.check("op", {"a": 1, "x" * 100_000: 1}, "sk_test_" + "k" * 1_000_000, "t")
    (caller, items), = v.violations().items()
    assert len(caller) < 400 and caller.endswith("(1000008 chars)")
    assert all(len(e["message"]) < 400 for e in items[0]["errors"]) and items[0]["error_count"] == 2
    v.clear()
    assert v.violations() == {} and v.dropped == 0


def _down(url, body, headers, timeout):
    return None, 0.0, "ConnectionRefused"


def test_the_outbox_keeps_its_cap_with_the_receiver_down_and_counts_what_it_abandons():
    clock = SimClock()
    box = Outbox(clock, "test", FaultEngine(), transport=_down, keep=100)
    for i in range(250):
        box.enqueue({"id": "we_1", "url": "http://127.0.0.1:9/hook"}, b"{}", f"evt_{i}", "a", schedule=[60.0])
    kept = box.deliveries()
    assert len(kept) == 100 and box.abandoned == 150
    assert [d.event_id for d in kept] == [f"evt_{i}" for i in range(150, 250)]   # the newest still waiting
    assert all(d.status == "pending" for d in kept)
    clock.advance(3600)   # every attempt and its retry fail: all settled, nothing more abandoned
    assert {d.status for d in box.deliveries()} == {"failed"} and box.abandoned == 150
    box.reset()
    assert box.deliveries() == [] and box.abandoned == 0


def test_the_outbox_trims_settled_deliveries_before_waiting_ones():
    clock = SimClock()
    answers = iter([200] * 60)
    box = Outbox(clock, "test", FaultEngine(), keep=100,
                 transport=lambda u, b, h, t: (next(answers, None), 1.0, None))
    for i in range(60):
        box.enqueue({"id": "we_1", "url": "http://127.0.0.1:9/hook"}, b"{}", f"old_{i}", "a", schedule=[])
    clock.advance(1)
    assert len(box.deliveries(status="delivered")) == 60
    for i in range(60):   # the receiver is down now: these wait
        box.enqueue({"id": "we_1", "url": "http://127.0.0.1:9/hook"}, b"{}", f"new_{i}", "a", schedule=[600.0])
    assert len(box.deliveries()) == 100 and box.abandoned == 0
    assert len(box.deliveries(status="delivered")) == 40 and len(box.deliveries(status="pending")) == 60
    assert box.deliveries(status="delivered")[0].event_id == "old_20"


def test_a_live_reset_empties_every_store_and_gives_memory_back():
    from simulators.registry import create

    sim = create("stripe").extensions["sim"]
    sim.trim_on_reset = True
    for i in range(50):
        sim.journal.record({"operation": "op", "caller": "k" * 10_000})
    sim.reset()
    assert len(sim.journal) == 0 and sim.journal.bytes == 0 and sim.validator.violations() == {}
    give_back()   # callable on its own; a no-op where glibc is absent
