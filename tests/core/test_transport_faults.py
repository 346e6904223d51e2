"""Each fault kind (latency, vendor error, dropped connection) through both transports: the live server
(loopserver on a real loopback socket) and in-process (transport.py). Stripe's /v1 routes run on the
server's event loop (the fast lane: latency held back by the server), AvaTax's in a worker thread
(latency slept by the pipeline); in-process, latency is recorded but not waited out."""
from __future__ import annotations

import base64
import threading
import time

import pytest
import requests

from simulators.core.loopserver import LoopServer
from simulators.core.transport import InProcessRouter
from simulators.registry import SERVICES, create

CASES = {
    # fake: (path, operation, headers, error code injected)
    "stripe": ("/v1/customers?limit=1", "customers.list", {"Authorization": "Bearer sk_test_x"}, "rate_limit"),
    "avalara": ("/api/v2/utilities/ping", "utilities.ping",
                {"Authorization": "Basic " + base64.b64encode(b"123456:key").decode()}, "ServiceUnavailable"),
}
LATENCY_MS = 100   # enough to tell a held answer (took >= it) from a prompt one on loopback


class Live:
    def __init__(self, fake: str):
        self.app = create(fake, live=True)
        self.sim = self.app.extensions["sim"]
        self.sim.sleep_latency = True   # as server.serve does
        lane = self.app.extensions.get("lane")
        self.server = LoopServer(self.app, "127.0.0.1", 0, threads=2, inline=lane.inline if lane else None)
        ready = threading.Event()
        self.thread = threading.Thread(target=self.server.run, kwargs={"on_ready": lambda s: ready.set()}, daemon=True)
        self.thread.start()
        assert ready.wait(10)

    def get(self, path: str, headers: dict) -> requests.Response:
        return requests.get(f"http://127.0.0.1:{self.server.port}{path}", headers=headers, timeout=10)

    def close(self) -> None:
        self.sim.stopping.set()
        self.server.stop()
        self.thread.join(10)


class InProcess:
    def __init__(self, fake: str):
        self.app = create(fake)
        self.sim = self.app.extensions["sim"]
        self.host = SERVICES[fake].hosts[0]
        self.router = InProcessRouter()
        self.router.add(SERVICES[fake].hosts, self.app)
        self.router.start()

    def get(self, path: str, headers: dict) -> requests.Response:
        return requests.get(f"https://{self.host}{path}", headers=headers, timeout=10)

    def close(self) -> None:
        self.router.stop()


@pytest.fixture(params=[(f, t) for f in CASES for t in ("live", "in-process")], ids=lambda p: f"{p[0]}-{p[1]}",
                scope="module")
def target(request):
    fake, transport = request.param
    t = Live(fake) if transport == "live" else InProcess(fake)
    t.fake, t.transport = fake, transport
    yield t
    t.close()


@pytest.fixture(autouse=True)
def _clean(target):
    target.sim.faults.clear()
    yield
    target.sim.faults.clear()


def no_internal_headers(resp: requests.Response) -> None:
    assert not [k for k in resp.headers if k.lower().startswith("x-sim-")]


def test_no_fault_answers_normally(target):
    path, _, headers, _ = CASES[target.fake]
    resp = target.get(path, headers)
    assert resp.status_code == 200
    no_internal_headers(resp)


def test_a_latency_fault(target):
    path, op, headers, _ = CASES[target.fake]
    target.sim.faults.add({"operation": op, "latency": {"kind": "fixed", "ms": LATENCY_MS}, "times": 1})
    began = time.monotonic()
    resp = target.get(path, headers)
    took = time.monotonic() - began
    assert resp.status_code == 200
    no_internal_headers(resp)
    assert target.sim.journal.entries(op)[-1]["simulated_latency_ms"] == LATENCY_MS
    if target.transport == "live":
        assert took >= LATENCY_MS / 1000 * 0.8   # a lower bound: the answer was held back, not a speed test


def test_a_vendor_error_fault(target):
    path, op, headers, code = CASES[target.fake]
    target.sim.faults.add({"operation": op, "error": {"code": code}, "times": 1})
    expected = target.sim.vendor.fault_error({"code": code})
    resp = target.get(path, headers)
    assert resp.status_code == expected.status
    assert code in resp.text and resp.headers["Content-Type"].startswith("application/json")
    no_internal_headers(resp)
    assert target.get(path, headers).status_code == 200   # times: 1


def test_a_drop_fault_closes_the_connection_without_an_answer(target):
    path, op, headers, _ = CASES[target.fake]
    target.sim.faults.add({"operation": op, "drop": True, "times": 1})
    with pytest.raises(requests.ConnectionError):
        target.get(path, headers)
    assert target.get(path, headers).status_code == 200
