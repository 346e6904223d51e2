"""Per-vendor concurrency: the integration never has more requests in flight to one system than its
``<system>_concurrency`` setting allows, so a go-live under the vendors' limits queues its work
instead of drawing a storm of 429s. Also: the harness CA loaded once into the clients' SSL context."""
from __future__ import annotations

import threading

import pytest

from simulators.clients import ErpConn
from simulators.clients.conns import _session
from simulators.integration.config import Config


class CountingSlots(threading.BoundedSemaphore):
    """A semaphore that counts the threads that have come to it (waiting or through)."""

    def __init__(self, n: int):
        super().__init__(n)
        self.arrived = 0
        self.lock = threading.Lock()

    def acquire(self, *args, **kwargs):
        with self.lock:
            self.arrived += 1
        return super().acquire(*args, **kwargs)

    __enter__ = acquire


def test_requests_beyond_the_erp_concurrency_wait_for_a_free_slot(monkeypatch):
    config = Config()
    config.update({"erp_concurrency": 2})
    conn = ErpConn(config)
    conn.slots = CountingSlots(config.erp_concurrency)
    gate, changed = threading.Event(), threading.Condition()
    state = {"in_flight": 0, "most": 0}

    class Stub:
        def request(self, method, url, **kw):
            with changed:
                state["in_flight"] += 1
                state["most"] = max(state["most"], state["in_flight"])
                changed.notify_all()
            assert gate.wait(10)
            with changed:
                state["in_flight"] -= 1
            return type("Resp", (), {"status_code": 200, "headers": {}})()

    monkeypatch.setattr(ErpConn, "http", property(lambda self: Stub()))
    threads = [threading.Thread(target=conn.request, args=("GET", f"/record/v1/customer/{i}")) for i in range(6)]
    for t in threads:
        t.start()
    with changed:   # all six have come to the semaphore, two are in flight: four are waiting
        assert changed.wait_for(lambda: conn.slots.arrived == 6 and state["in_flight"] == 2, timeout=10)
    gate.set()
    for t in threads:
        t.join(10)
    assert state["most"] == 2 and state["in_flight"] == 0


@pytest.mark.parametrize("value", [-1, 1.5, True, "5"])
def test_a_concurrency_setting_is_a_whole_number(value):
    config = Config()
    with pytest.raises(ValueError, match="erp_concurrency"):
        config.update({"erp_concurrency": value})
    assert config.erp_concurrency == 5   # a refused change leaves the setting as it was


def test_a_ca_bundle_is_trusted_through_one_ssl_context(tmp_path):
    from simulators.harness import make_tls
    ca, _cert, _key = make_tls(tmp_path)
    config = Config()
    config.ca_bundle = str(ca)
    session = _session(config)
    adapter = session.get_adapter("https://o2c.my.salesforce.com")
    assert session.verify is True and not session.trust_env
    assert adapter.context.get_ca_certs(), "the harness CA is loaded once, into the adapter's context"
